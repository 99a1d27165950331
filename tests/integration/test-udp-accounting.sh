#!/bin/sh
# UDP has no backpressure: what cannot be queued is dropped, and counted.
# A burst far larger than a tiny pipeline can hold must end with
# received + kernel drops = sent and stored + dropped = sent: every loss
# shows in `mamori status`, none is hidden.
. "$(dirname "$0")/lib.sh"

uport=$(free_port udp)
cat > "$T/small.yaml" <<CONF
pipeline:
  queue_size: 16
  workers: 1
CONF
start_server --config "$T/small.yaml" --listen "udp://127.0.0.1:$uport" ||
    exit 1
sent=20000
loggen=${MAMORI_TOOLS}/syslog-ng/usr/bin/loggen
if [ ! -x "$loggen" ]; then
	fail "loggen missing (scripts/install-deps.sh --test unpacks it)"
	finish
fi
SYSLOGNG_PREFIX=${MAMORI_TOOLS}/syslog-ng/usr \
LD_LIBRARY_PATH=${MAMORI_TOOLS}/syslog-ng/usr/lib/syslog-ng \
    "$loggen" --dgram --inet --rate 1000000 --number $sent --size 300 \
    127.0.0.1 "$uport" > "$T/loggen.out" 2>&1 || fail "loggen failed"
sleep 2
stop_server || fail "server exit status"
st=$("$MAMORI" status --data "$DATA" --json)
recv=$(printf '%s\n' "$st" | jq '.listeners[0].received')
stored=$(printf '%s\n' "$st" | jq '.listeners[0].stored')
dropped=$(printf '%s\n' "$st" | jq '.listeners[0].dropped')
echo "sent $sent received $recv stored $stored dropped $dropped"
check "stored + dropped = sent" $((stored + dropped)) $sent
check "store holds what status says" "$(search --count)" "$stored"
finish
