#!/bin/sh
# A full disk loses nothing: the writer holds what it cannot write and
# retries, the pipeline fills and the TCP sender waits; once space is
# freed, every message is stored and the store verifies intact.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	fail "this test mounts a small tmpfs and needs root (CI runs as root)"
	finish
fi
mkdir -p "$T/small"
mount -t tmpfs -o size=16m tmpfs "$T/small" || { fail "mount tmpfs"; finish; }
umount_small() { umount -l "$T/small" 2>/dev/null; }
trap 'umount_small; cleanup' EXIT
chmod 755 "$T/small"
# Leave about 1.5 MiB free: the messages need about 4 MiB.
head -c 15200000 /dev/zero > "$T/small/filler"
DATA="$T/small/data"

port=$(free_port tcp)
cat > "$T/c.yaml" <<CONF
storage:
  segment_size: 256KiB
CONF
start_server --config "$T/c.yaml" --listen "tcp://127.0.0.1:$port" || exit 1
sent=12000
# Random padding, so that compressing sealed segments cannot make room.
awk -v n=$sent 'BEGIN { srand(7); for (i = 0; i < n; i++) {
	p = ""; for (j = 0; j < 12; j++) p = p sprintf("%08x", int(rand() * 4294967295));
	printf "<13>1 - host app - - - disk full test message %06d %s\n", i, p } }' \
    > "$T/msgs"
nc -N 127.0.0.1 "$port" < "$T/msgs" &
ncpid=$!
# Wait until the server says it cannot write.
i=0
while ! grep -q "cannot append\|sync failed" "$SERVER_LOG" && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
check_contains "disk full reported" "$(cat "$SERVER_LOG")" "cannot append"
kill -0 "$SERVER_PID" 2>/dev/null && pass || fail "server died on a full disk"
# Free the space: everything held must now be written.
rm -f "$T/small/filler"
wait $ncpid
stop_server || fail "server exit status"
check "all stored after space was freed" \
    "$(search --count 'disk full test message')" $sent
check "distinct" "$(search --json 'disk full test message' |
    jq -r .message | sort -u | wc -l)" $sent
out=$("$MAMORI" logs verify --data "$DATA")
check "verify" $? 0
echo "$out"

# Asked to stop while the disk stays full, the server still stops (after
# a bounded retry) and says how many events it could not store: received
# = stored + lost, nothing silent.
start_server --config "$T/c.yaml" --listen "tcp://127.0.0.1:$port" || exit 1
head -c 20000000 /dev/zero > "$T/small/filler2" 2>/dev/null
nc -N 127.0.0.1 "$port" < "$T/msgs" &
ncpid=$!
i=0
while ! grep -q "cannot append" "$SERVER_LOG" && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -TERM "$SERVER_PID"
i=0
while kill -0 "$SERVER_PID" 2>/dev/null && [ $i -lt 600 ]; do
	sleep 0.1; i=$((i + 1))
done
if kill -0 "$SERVER_PID" 2>/dev/null; then
	fail "server did not stop within 60 s on a full disk"
	kill -9 "$SERVER_PID"
else
	pass
fi
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
kill "$ncpid" 2>/dev/null
check_contains "loss reported" "$(cat "$SERVER_LOG")" "are lost"
rm -f "$T/small/filler2"
# mamori.db is on the full disk too, so the final counts are read from
# the server's last stats line and its loss report.
line=$(grep 'stats: tcp' "$SERVER_LOG" | tail -1)
recv=$(echo "$line" | sed -n 's/.* received=\([0-9]*\) .*/\1/p')
stored=$(echo "$line" | sed -n 's/.* stored=\([0-9]*\) .*/\1/p')
lost=$(sed -n 's/.*log store: \([0-9]*\) events received could not be stored.*/\1/p' \
    "$SERVER_LOG")
echo "second run: received $recv stored $stored lost $lost"
check "received = stored + lost" "$recv" $((stored + lost))
check "listener's lost count" \
    "$(echo "$line" | sed -n 's/.* lost=\([0-9]*\) .*/\1/p')" "$lost"
[ "${lost:-0}" -gt 0 ] && pass || fail "nothing lost although the disk stayed full"
check "what was stored is there" "$(search --count 'disk full test message')" \
    $((sent + stored))
finish
