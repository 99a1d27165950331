#!/bin/sh
# TCP backpressure: with a pipeline of 16 events, loggen pushing 200000
# messages as fast as it can must not lose one (the server stops reading
# and the sender waits) and the server's memory stays bounded.
. "$(dirname "$0")/lib.sh"

port=$(free_port tcp)
cat > "$T/small.yaml" <<CONF
pipeline:
  queue_size: 16
  queue_memory: 64KiB
  workers: 1
CONF
start_server --config "$T/small.yaml" --listen "tcp://127.0.0.1:$port" ||
    exit 1
sent=200000
loggen=${MAMORI_TOOLS}/syslog-ng/usr/bin/loggen
SYSLOGNG_PREFIX=${MAMORI_TOOLS}/syslog-ng/usr \
LD_LIBRARY_PATH=${MAMORI_TOOLS}/syslog-ng/usr/lib/syslog-ng \
    "$loggen" --stream --inet --rate 10000000 --number $sent --size 200 \
    127.0.0.1 "$port" > "$T/loggen.out" 2>&1 || fail "loggen failed"
hwm=$(awk '/VmHWM/ {print $2}' /proc/"$SERVER_PID"/status)
stop_server || fail "server exit status"
check "all stored" "$(search --count)" $sent
# loggen numbers its messages: each one exactly once, fields intact.
check "distinct sequence numbers" "$(search --json | jq -r .message |
    sed -n 's/^seq: \([0-9]*\),.*/\1/p' | sort -u | wc -l)" $sent
j=$(search --json | head -1)
check "loggen app" "$(printf '%s\n' "$j" | jq -r .app)" prg00000
check "loggen procid" "$(printf '%s\n' "$j" | jq -r .procid)" 1234
st=$("$MAMORI" status --data "$DATA" --json)
check "none dropped" "$(printf '%s\n' "$st" | jq '.listeners[0].dropped')" 0
peak=$(printf '%s\n' "$st" | jq '.queues[0].peak')
echo "peak RSS ${hwm} kB, analysis queue peak $peak"
[ "$peak" -le 16 ] || fail "queue peak $peak above its bound 16"
# ASan's quarantine and shadow memory are not the server's own.
if [ -z "${MAMORI_SANITIZED:-}" ]; then
	[ "$hwm" -lt 204800 ] || fail "peak RSS ${hwm} kB"
fi
finish
