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
finish
