#!/bin/sh
# bench/incidents.sh - from raw sshd log lines to per-attacker findings:
# `mamori analyze --incidents` (rules, then alerts grouped into
# incidents in an in-memory mamori.db) against fail2ban-regex with
# Debian's sshd filter (what fail2ban runs before it counts failures per
# address to ban), on the same corpus, in one run, as a ratio of lines per
# second.  Both are single-threaded.
#
#   bench/incidents.sh [LINES] [ROUNDS]      (defaults 200000 and 3)
#
# The corpus repeats loghub's OpenSSH_2k.log (real sshd under brute
# force).  fail2ban comes from Debian (scripts/install-deps.sh --bench;
# its service need not run).
set -eu
LINES=${1:-200000}
ROUNDS=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
MAMORI=${MAMORI:-$top/build/mamori}
S=${MAMORI_SHARED:-$top/../shared}/data
F2B_FILTER=/etc/fail2ban/filter.d/sshd.conf
[ -x "$MAMORI" ] || { echo "build mamori first (make)"; exit 1; }
[ -f "$S/logs/loghub_OpenSSH_2k.log" ] || { echo "no shared data in $S"; exit 1; }
command -v fail2ban-regex >/dev/null && [ -f "$F2B_FILTER" ] ||
    { echo "fail2ban is not installed (scripts/install-deps.sh --bench)"; exit 1; }
T=$(mktemp -d /tmp/mamori-ibench.XXXXXX)
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }

n=0
: > "$T/corpus.log"
while [ "$n" -lt "$LINES" ]; do
	cat "$S/logs/loghub_OpenSSH_2k.log" >> "$T/corpus.log"
	n=$(wc -l < "$T/corpus.log")
done
head -n "$LINES" "$T/corpus.log" > "$T/c" && mv "$T/c" "$T/corpus.log"

best_m=0
best_f=0
r=1
while [ $r -le "$ROUNDS" ]; do
	t0=$(now)
	"$MAMORI" analyze --incidents "$T/corpus.log" > "$T/m.out"
	t1=$(now)
	fail2ban-regex "$T/corpus.log" "$F2B_FILTER" > "$T/f.out" 2>&1
	t2=$(now)
	m=$(echo "$LINES / ($t1 - $t0)" | bc)
	f=$(echo "$LINES / ($t2 - $t1)" | bc)
	echo "round $r: mamori $m lines/s, fail2ban-regex $f lines/s"
	[ "$m" -gt "$best_m" ] && best_m=$m
	[ "$f" -gt "$best_f" ] && best_f=$f
	r=$((r + 1))
done
echo
tail -1 "$T/m.out"
grep -E '^Lines:' "$T/f.out" || true
head -n 2000 "$T/corpus.log" > "$T/one.log"
echo "addresses fail2ban's filter matched in one copy of the log:" \
    "$(fail2ban-regex --print-all-matched "$T/one.log" "$F2B_FILTER" \
    2>/dev/null | grep -oE '(from|rhost=) *[0-9.]+[0-9]' |
    grep -oE '[0-9.]+[0-9]$' | sort -u | wc -l)"
t0=$(now)
"$MAMORI" analyze --no-summary "$T/corpus.log" > /dev/null
t1=$(now)
echo "mamori without --incidents: $(echo "$LINES / ($t1 - $t0)" | bc) lines/s"
echo "best: mamori $best_m lines/s, fail2ban-regex $best_f lines/s," \
    "ratio $(echo "scale=1; $best_m / $best_f" | bc)x"
