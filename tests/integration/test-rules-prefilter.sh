#!/bin/sh
# The literal prefilter changes the time, never the result: every shared
# sample log, analysed with OSSEC's ruleset and with mamori's, gives the
# same alerts with the prefilter as without it (MAMORI_NO_PREFILTER=1).
. "$(dirname "$0")/lib.sh"

S=${MAMORI_SHARED:-}/data
if [ ! -d "$S/logs" ]; then
	echo "no shared data: skipped"
	exit 0
fi
n=0
for f in "$S"/logs/*.log "$S"/logs/fail2ban/*.log \
    "$S"/ossec-ruleset/rules/log-entries/*; do
	[ -f "$f" ] || continue
	for R in "$MAMORI_SRC/rules" "$S/ossec-ruleset/config/ossec-server.conf"; do
		"$MAMORI" analyze --json --no-summary --rules "$R" "$f" \
		    > "$T/with" 2>/dev/null
		MAMORI_NO_PREFILTER=1 "$MAMORI" analyze --json --no-summary \
		    --rules "$R" "$f" > "$T/without" 2>/dev/null
		if cmp -s "$T/with" "$T/without"; then
			n=$((n + 1))
		else
			fail "$(basename "$f") with $(basename "$R"): the prefilter changed the alerts"
			diff "$T/with" "$T/without" | head -6 >&2
		fi
	done
done
[ "$n" -gt 40 ] && pass "$n log/ruleset pairs identical" || fail "only $n pairs compared"
finish
