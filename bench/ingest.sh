#!/bin/sh
# bench/ingest.sh - mamori against rsyslog, the same N messages over TCP.
#
#   bench/ingest.sh [N] [ROUNDS]      (defaults 1000000 and 3)
#
# syslog-ng's loggen writes N messages of 200 bytes once into a file
# (loggen paces itself at one million messages a second, which would hide
# the receivers' speed); netcat then sends that file as fast as the
# receiver takes it over one TCP connection: first to `mamori server`, which
# stores them in its hash-chained log store (fsync every 50 ms), then to
# rsyslogd writing them to a plain file (omfile, no fsync), alternating
# for ROUNDS rounds.  A receiver's time runs from the first byte sent
# until every message is on its disk: for mamori until the server, told
# to stop after loggen finished, has stored and synced everything and
# exited; for rsyslog until its file holds N lines.  Prints each rate,
# the median ratio, lost counts, and mamori's peak RSS.  This machine is
# shared and noisy: compare the ratio, not the absolute rates.
set -eu
N=${1:-1000000}
ROUNDS=${2:-3}
top=$(cd "$(dirname "$0")/.." && pwd)
MAMORI=${MAMORI:-$top/build/mamori}
tools=$top/build/tools/syslog-ng/usr
send() {
	nc -N 127.0.0.1 "$1" < "$T/messages"
}
[ -x "$MAMORI" ] || { echo "build mamori first (make)"; exit 1; }
[ -x "$tools/bin/loggen" ] || { echo "run scripts/install-deps.sh --test"; exit 1; }
command -v rsyslogd >/dev/null || { echo "rsyslogd missing"; exit 1; }

T=$(mktemp -d /tmp/mamori-bench.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
export MAMORI_SEAL_KEY=$T/seal.key
now() { date +%s.%N; }
port() { echo $(( 30000 + $(od -An -N2 -tu2 /dev/urandom) % 20000 )); }
make_messages() {
	p=$(port)
	nc -l 127.0.0.1 "$p" > "$T/messages" &
	ncpid=$!
	wait_listen "$p"
	SYSLOGNG_PREFIX=$tools LD_LIBRARY_PATH=$tools/lib/syslog-ng \
	    "$tools/bin/loggen" --stream --inet --rate 100000000 \
	    --number "$N" --size 200 127.0.0.1 "$p" >/dev/null 2>&1
	wait $ncpid
	[ "$(wc -l < "$T/messages")" -eq "$N" ] ||
	    { echo "could not make $N messages"; exit 1; }
}

wait_listen() {
	i=0
	while ! ss -Hltn "sport = :$1" | grep -q . && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
}

run_mamori() {
	p=$(port)
	rm -rf "$T/data"
	"$MAMORI" server --data "$T/data" --listen "tcp://127.0.0.1:$p" \
	    >"$T/mamori.log" 2>&1 &
	pid=$!
	wait_listen "$p"
	t0=$(now)
	send "$p"
	hwm=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
	kill -TERM $pid
	wait $pid
	t1=$(now)
	stored=$("$MAMORI" status --data "$T/data" --json |
	    jq '.listeners[0].stored')
	echo "$t0 $t1 $stored $hwm"
}

run_rsyslog() {
	p=$(port)
	rm -rf "$T/rs" && mkdir -p "$T/rs"
	cat > "$T/rs/rsyslog.conf" <<CONF
global(workDirectory="$T/rs")
module(load="imtcp")
input(type="imtcp" port="$p" ruleset="file")
ruleset(name="file") {
  action(type="omfile" file="$T/rs/out.log")
}
CONF
	rsyslogd -n -f "$T/rs/rsyslog.conf" -i "$T/rs/pid" >"$T/rs/log" 2>&1 &
	pid=$!
	wait_listen "$p"
	t0=$(now)
	send "$p"
	lines=0
	i=0
	while [ $i -lt 2400 ]; do
		lines=$(wc -l < "$T/rs/out.log" 2>/dev/null || echo 0)
		[ "$lines" -ge "$N" ] && break
		sleep 0.05
		i=$((i + 1))
	done
	t1=$(now)
	kill -TERM $pid
	wait $pid || true
	echo "$t0 $t1 $lines"
}

echo "bench/ingest.sh: $N messages of 200 bytes over TCP, $ROUNDS rounds"
make_messages
ratios=""
r=1
while [ $r -le "$ROUNDS" ]; do
	set -- $(run_mamori)
	m_rate=$(echo "$N / ($2 - $1)" | bc -l)
	m_lost=$((N - $3))
	m_rss=$4
	set -- $(run_rsyslog)
	r_rate=$(echo "$N / ($2 - $1)" | bc -l)
	r_lost=$((N - $3))
	ratio=$(echo "$m_rate / $r_rate" | bc -l)
	printf 'round %d: mamori %.0f msg/s (lost %d, peak RSS %d MB)  rsyslog %.0f msg/s (lost %d)  ratio %.2f\n' \
	    "$r" "$m_rate" "$m_lost" $((m_rss / 1024)) "$r_rate" "$r_lost" \
	    "$ratio"
	ratios="$ratios $ratio"
	r=$((r + 1))
done
med=$(printf '%s\n' $ratios | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'median ratio mamori/rsyslog: %.2f\n' "$med"
