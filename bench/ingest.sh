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
# for ROUNDS rounds.  mamori runs with --no-rules: rsyslog analyses
# nothing either.  A receiver's time runs from the first byte sent
# until every message is on its disk: for mamori until the server, told
# to stop after loggen finished, has stored and synced everything and
# exited; for rsyslog until its file holds all N lines (see
# run_rsyslog).  Prints each rate, the CPU time each receiver used per
# message (user + system, all threads, from GNU time), the median ratios,
# lost counts, and mamori's peak RSS.  This machine is shared and noisy:
# compare the ratios, not the absolute rates.
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
[ -x /usr/bin/time ] || { echo "GNU time missing (apt-get install time)"; exit 1; }

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

# Runs "$@" under GNU time into $T/time (elapsed, user, system seconds,
# peak RSS in KiB); sets tpid to time's pid and pid to the command's.
timed() {
	/usr/bin/time -f '%e %U %S %M' -o "$T/time" "$@" &
	tpid=$!
	pid=""
	i=0
	while [ -z "$pid" ] && [ $i -lt 200 ]; do
		pid=$(pgrep -P $tpid || true)
		[ -n "$pid" ] || sleep 0.01
		i=$((i + 1))
	done
}

# Prints "t0 t1 stored cpu_seconds peak_rss_kib".
run_mamori() {
	p=$(port)
	rm -rf "$T/data"
	sync	# the last run's files go to disk now, not during this one
	timed "$MAMORI" server --no-rules --data "$T/data" \
	    --listen "tcp://127.0.0.1:$p" >"$T/mamori.log" 2>&1
	wait_listen "$p"
	t0=$(now)
	send "$p"
	kill -TERM $pid
	wait $tpid
	t1=$(now)
	stored=$("$MAMORI" status --data "$T/data" --json |
	    jq '.listeners[0].stored')
	set -- $(cat "$T/time")
	echo "$t0 $t1 $stored $(echo "$2 + $3" | bc -l) $4"
}

# rsyslog has no "all written" signal: the bench waits for its file to
# reach the size it had after a first, untimed run of the same messages
# (its lines have a fixed width, so the size is the same each time),
# checking with stat every 10 ms, then counts the lines.  Polling with
# wc -l, as this script first did, reads the whole file each time and
# took CPU from rsyslog on a 2-core machine.
rs_size=0

# Prints "t0 t1 lines cpu_seconds".
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
	sync
	timed rsyslogd -n -f "$T/rs/rsyslog.conf" -i "$T/rs/pid" \
	    >"$T/rs/log" 2>&1
	wait_listen "$p"
	t0=$(now)
	send "$p"
	i=0
	if [ "$rs_size" -gt 0 ]; then
		while [ $i -lt 12000 ]; do
			size=$(stat -c %s "$T/rs/out.log" 2>/dev/null || echo 0)
			[ "$size" -ge "$rs_size" ] && break
			sleep 0.01
			i=$((i + 1))
		done
	else
		while [ $i -lt 2400 ]; do
			lines=$(wc -l < "$T/rs/out.log" 2>/dev/null || echo 0)
			[ "$lines" -ge "$N" ] && break
			sleep 0.05
			i=$((i + 1))
		done
	fi
	t1=$(now)
	kill -TERM $pid
	wait $tpid || true
	lines=$(wc -l < "$T/rs/out.log" 2>/dev/null || echo 0)
	[ "$rs_size" -gt 0 ] || rs_size=$(stat -c %s "$T/rs/out.log")
	set -- $(cat "$T/time")
	echo "$t0 $t1 $lines $(echo "$2 + $3" | bc -l)"
}

echo "bench/ingest.sh: $N messages of 200 bytes over TCP, $ROUNDS rounds"
make_messages
run_rsyslog >/dev/null		# learns the size of rsyslog's file
ratios=""
cratios=""
r=1
while [ $r -le "$ROUNDS" ]; do
	set -- $(run_mamori)
	m_rate=$(echo "$N / ($2 - $1)" | bc -l)
	m_lost=$((N - $3))
	m_cpu=$(echo "$4 * 1000000 / $N" | bc -l)
	m_rss=$5
	set -- $(run_rsyslog)
	r_rate=$(echo "$N / ($2 - $1)" | bc -l)
	r_lost=$((N - $3))
	r_cpu=$(echo "$4 * 1000000 / $N" | bc -l)
	ratio=$(echo "$m_rate / $r_rate" | bc -l)
	cratio=$(echo "$r_cpu / $m_cpu" | bc -l)
	printf 'round %d: mamori %.0f msg/s (lost %d, %.2f us CPU/msg, peak RSS %d MB)  rsyslog %.0f msg/s (lost %d, %.2f us CPU/msg)  rate ratio %.2f  CPU ratio %.2f\n' \
	    "$r" "$m_rate" "$m_lost" "$m_cpu" $((m_rss / 1024)) \
	    "$r_rate" "$r_lost" "$r_cpu" "$ratio" "$cratio"
	ratios="$ratios $ratio"
	cratios="$cratios $cratio"
	r=$((r + 1))
done
median() {
	printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
printf 'median ratio mamori/rsyslog: %.2f messages per second, %.2f messages per CPU second\n' \
    "$(median $ratios)" "$(median $cratios)"
