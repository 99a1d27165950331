#!/bin/sh
# Retention in the running server: segments sealed by age are expired
# when older than storage.retention; the expiry is recorded, so verify
# says intact and counts the expired segments, and search no longer
# returns their records.
. "$(dirname "$0")/lib.sh"

port=$(free_port tcp)
cat > "$T/r.yaml" <<CONF
storage:
  segment_max_age: 1s
  retention: 3s
CONF
start_server --config "$T/r.yaml" --listen "tcp://127.0.0.1:$port" || exit 1
printf '<13>1 - h old - - - early message\n' | nc -q 1 127.0.0.1 "$port"
wait_stored 1
# Wait for it to be sealed and then expired (age 3 s, checked every 1 s).
i=0
while [ "$(search --count early)" != 0 ] && [ $i -lt 150 ]; do
	printf '<13>1 - h new - - - keep-alive %d\n' $i | nc -q 1 127.0.0.1 "$port"
	sleep 0.1
	i=$((i + 1))
done
check "expired record no longer found" "$(search --count early)" 0
check_contains "expiry reported" "$(cat "$SERVER_LOG")" "expired"
printf '<13>1 - h new - - - late message\n' | nc -q 1 127.0.0.1 "$port"
wait_stored 1
stop_server || fail "server exit status"
out=$("$MAMORI" logs verify --data "$DATA")
check "verify after expiry" $? 0
check_contains "expired counted" "$out" "expired by retention"
case "$out" in
*" 0 segments expired"*) fail "no segment counted as expired: $out" ;;
*) pass ;;
esac
check "late message kept" "$(search --count 'late message')" 1
echo "$out"
finish
