#!/bin/sh
# bench/pcap.sh - packets per second of the network sensor: `mamori
# analyze` (decoders, flows, every detector, the bundled signatures, and
# the rules on what they report) against `tcpdump -r FILE -w /dev/null`
# (libpcap reading and writing every packet: the floor any pcap tool
# pays) on the same capture, in one run, as a ratio; with peak RSS, and
# mamori's RSS on a quarter of the capture too, to show that memory does
# not grow with the capture.  Also, for information only, `tcpdump -n -r
# FILE > /dev/null` (decoding and printing every packet): what a tool
# that looks at each packet costs, next to the floor of copying them.
#
#   bench/pcap.sh [PACKETS] [ROUNDS]     (defaults 2000000 and 3)
#
# The capture is built from every capture in the shared data
# (../shared/data/pcaps): laid end to end with editcap and mergecap, then
# repeated with editcap shifting each copy's clock past the previous
# one's end, until it holds at least PACKETS packets.  Its clock only
# moves forward, as a live link's does.
set -eu
PACKETS=${1:-2000000}
ROUNDS=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
MAMORI=${MAMORI:-$top/build/mamori}
S=${MAMORI_SHARED:-$top/../shared}/data/pcaps
[ -x "$MAMORI" ] || { echo "build mamori first (make)"; exit 1; }
[ -d "$S" ] || { echo "no shared captures in $S"; exit 1; }
for t in mergecap editcap capinfos tcpdump; do
	command -v $t >/dev/null ||
	    { echo "$t missing (scripts/install-deps.sh --bench)"; exit 1; }
done
T=$(mktemp -d /tmp/mamori-pbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
TIME=/usr/bin/time

# The base: every capture, in the order of their first packets, one after
# the other (each shifted to start a minute after the previous one
# ends).  Merged at their own times they would span the 53 years from
# the oldest (1970) to the newest, and a few copies of that run past
# 2106, where pcap's 32-bit seconds wrap and time goes backwards.
for f in "$S"/*.pcap "$S"/*.pcapng; do
	echo "$(capinfos -T -r -a -S "$f" | cut -f2 | cut -d. -f1) $f"
done | sort -n > "$T/order"
cursor=1500000000
i=0
list=""
while read -r first f; do
	last=$(capinfos -T -r -e -S "$f" | cut -f2 | cut -d. -f1)
	editcap -F pcap -t $((cursor - first)) "$f" "$T/s$i.pcap"
	list="$list $T/s$i.pcap"
	cursor=$((cursor + last - first + 60))
	i=$((i + 1))
done < "$T/order"
mergecap -a -F pcap -w "$T/base.pcap" $list
rm -f $list
base=$(capinfos -T -r -c "$T/base.pcap" | cut -f2)
first=$(capinfos -T -r -a -S "$T/base.pcap" | cut -f2 | cut -d. -f1)
last=$(capinfos -T -r -e -S "$T/base.pcap" | cut -f2 | cut -d. -f1)
span=$((last - first + 60))
copies=$(( (PACKETS + base - 1) / base ))
quarter=$(( (copies + 3) / 4 ))
k=0
list=""
while [ $k -lt $copies ]; do
	editcap -F pcap -t $((k * span)) "$T/base.pcap" "$T/c$k.pcap"
	list="$list $T/c$k.pcap"
	k=$((k + 1))
	[ $k -eq $quarter ] && mergecap -a -F pcap -w "$T/quarter.pcap" $list
done
mergecap -a -F pcap -w "$T/big.pcap" $list
rm -f $list
n=$(capinfos -T -r -c "$T/big.pcap" | cut -f2)
nq=$(capinfos -T -r -c "$T/quarter.pcap" | cut -f2)
echo "capture: $n packets ($copies copies of $base), $(du -m "$T/big.pcap" |
    cut -f1) MB; quarter: $nq packets"

# run NAME CMD...: prints "seconds peak_rss_kb cpu_seconds" (cpu: user
# plus system, all threads)
run() {
	$TIME -f "%e %M %U %S" -o "$T/time" "$@" > /dev/null 2> "$T/err" ||
	    { echo "$* failed:"; cat "$T/err"; exit 1; }
	set -- $(cat "$T/time")
	echo "$1 $2 $(echo "$3 + $4" | bc)"
}
best_m=0
best_t=0
best_p=0
r=1
while [ $r -le "$ROUNDS" ]; do
	set -- $(run "$MAMORI" analyze --no-summary "$T/big.pcap")
	ms=$1 mrss=$2 mcpu=$3
	set -- $(run tcpdump -r "$T/big.pcap" -w /dev/null)
	ts=$1 trss=$2
	set -- $(run tcpdump -n -r "$T/big.pcap")
	ps=$1
	m=$(echo "$n / $ms" | bc)
	t=$(echo "$n / $ts" | bc)
	pr=$(echo "$n / $ps" | bc)
	echo "round $r: mamori $m pkt/s (${ms}s, cpu ${mcpu}s, peak RSS" \
	    "$((mrss / 1024)) MB), tcpdump -w $t pkt/s (${ts}s, peak RSS" \
	    "$((trss / 1024)) MB), tcpdump -n $pr pkt/s (${ps}s)"
	[ "$m" -gt "$best_m" ] && best_m=$m
	[ "$t" -gt "$best_t" ] && best_t=$t
	[ "$pr" -gt "$best_p" ] && best_p=$pr
	echo "$m" >> "$T/rates.m"
	echo "$t" >> "$T/rates.t"
	r=$((r + 1))
done
# The median round of each tool (the upper one of an even count).
median() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int(NR / 2) + 1] }'
}
med_m=$(median "$T/rates.m")
med_t=$(median "$T/rates.t")
set -- $(run "$MAMORI" analyze --no-summary "$T/quarter.pcap")
echo "mamori on the quarter capture: peak RSS $(($2 / 1024)) MB" \
    "(full capture: $((mrss / 1024)) MB)"
echo "alerts on the full capture:" \
    "$("$MAMORI" analyze --json --no-summary "$T/big.pcap" 2>/dev/null | wc -l)"
echo
echo "best: mamori $best_m pkt/s, tcpdump $best_t pkt/s," \
    "ratio $(echo "scale=2; $best_m / $best_t" | bc)"
echo "median: mamori $med_m pkt/s, tcpdump $med_t pkt/s," \
    "ratio $(echo "scale=2; $med_m / $med_t" | bc)"
echo "(for information: tcpdump -n -r FILE > /dev/null $best_p pkt/s," \
    "mamori at $(echo "scale=2; $best_m / $best_p" | bc) of it)"
