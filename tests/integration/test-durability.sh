#!/bin/sh
# kill -9 under RELP load loses no acknowledged record; the next start
# repairs a torn tail (here a half-written record appended by hand, as a
# crash in the middle of a write leaves one) and says so; the store then
# verifies intact.
. "$(dirname "$0")/lib.sh"

rport=$(free_port tcp)
start_server --listen "relp://127.0.0.1:$rport" || exit 1

: > "$T/acked.txt"
"$MAMORI_TEST_TOOLS/relp-send" 127.0.0.1 "$rport" 1000000 8 \
    > "$T/acked.txt" 2>"$T/relp-send.err" &
echo $! > "$T/relp-send.pid"
i=0
while [ "$(wc -l < "$T/acked.txt")" -lt 3000 ] && [ $i -lt 600 ]; do
	sleep 0.1; i=$((i + 1))
done
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null
SERVER_PID=
sleep 0.2
kill "$(cat "$T/relp-send.pid")" 2>/dev/null
nacked=$(wc -l < "$T/acked.txt")
if [ "$nacked" -lt 3000 ]; then
	cat "$T/relp-send.err" >&2
	ss -ltnp >&2
fi
[ "$nacked" -ge 3000 ] || fail "only $nacked messages acknowledged before the kill"

# A torn record at the end of the active segment.
seg=$(ls "$DATA"/log/*.seg | tail -1)
printf '\x40\x00\x00\x00partial-record-bytes' >> "$seg"

start_server --listen "relp://127.0.0.1:$rport" || exit 1
check_contains "repair reported" "$(cat "$SERVER_LOG")" "torn tail"
search --json --app relpsend | jq -r .message |
    sed 's/^durable message //' | sort -n > "$T/stored.txt"
sort -n "$T/acked.txt" > "$T/acked.sorted"
missing=$(comm -23 "$T/acked.sorted" "$T/stored.txt" | wc -l)
check "acknowledged but missing after kill -9" "$missing" 0
echo "acknowledged $nacked, stored $(wc -l < "$T/stored.txt")"
stop_server || fail "server exit status"
out=$("$MAMORI" logs verify --data "$DATA")
check "verify after repair" $? 0
echo "$out"
finish
