#!/bin/sh
# bench/rules.sh - lines per second of `mamori analyze` (alerts to
# /dev/null) on a corpus of real sshd and Apache lines, with (a) the
# OSSEC ruleset from the shared data and (b) mamori's bundled ruleset,
# on one core and on all cores.
#
#   bench/rules.sh [LINES] [ROUNDS]      (defaults 1000000 and 3)
#
# The corpus repeats loghub's OpenSSH_2k.log (real sshd, brute force) and
# nielsbasjes' hackers-access.log (real Apache access log of bots) until
# LINES lines.  "All cores" runs one analyze per core, each on its share
# of the corpus (split by lines), and counts the lines of all of them over
# the time the last one needs: that is how a multi-core server analyses
# (one worker per partition).  OSSEC's ossec-logtest -a did about 27,000
# lines/s on one core of this kind of machine (issue 3); that reference
# is not rerun here (OSSEC is not packaged in Debian).
set -eu
LINES=${1:-1000000}
ROUNDS=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
MAMORI=${MAMORI:-$top/build/mamori}
S=${MAMORI_SHARED:-$top/../shared}/data
[ -x "$MAMORI" ] || { echo "build mamori first (make)"; exit 1; }
[ -f "$S/logs/loghub_OpenSSH_2k.log" ] || { echo "no shared data in $S"; exit 1; }
T=$(mktemp -d /tmp/mamori-rbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }

n=0
: > "$T/corpus.log"
while [ "$n" -lt "$LINES" ]; do
	cat "$S/logs/loghub_OpenSSH_2k.log" "$S/logs/basjes_hackers-access.log" \
	    >> "$T/corpus.log"
	n=$(wc -l < "$T/corpus.log")
done
head -n "$LINES" "$T/corpus.log" > "$T/c" && mv "$T/c" "$T/corpus.log"
cores=$(nproc)
split -n "l/$cores" "$T/corpus.log" "$T/part."

one() {	# ruleset
	t0=$(now)
	"$MAMORI" analyze --no-summary --rules "$1" "$T/corpus.log" >/dev/null
	t1=$(now)
	echo "$LINES / ($t1 - $t0)" | bc -l
}
all() {	# ruleset
	t0=$(now)
	for p in "$T"/part.*; do
		"$MAMORI" analyze --no-summary --rules "$1" "$p" >/dev/null &
	done
	wait
	t1=$(now)
	echo "$LINES / ($t1 - $t0)" | bc -l
}

echo "bench/rules.sh: $LINES lines (sshd + Apache access), $ROUNDS rounds, $cores cores"
for name in ossec mamori; do
	if [ $name = ossec ]; then
		rules="$S/ossec-ruleset/config/ossec-server.conf"
	else
		rules="$top/rules"
		[ -d "$rules" ] || continue
	fi
	r=1
	while [ $r -le "$ROUNDS" ]; do
		a=$(one "$rules")
		b=$(all "$rules")
		printf '%s ruleset, round %d: one core %.0f lines/s (%.1fx OSSEC'"'"'s 27,000), %d cores %.0f lines/s\n' \
		    "$name" "$r" "$a" "$(echo "$a / 27000" | bc -l)" "$cores" "$b"
		r=$((r + 1))
	done
done
