#!/bin/sh
# The largest message the configuration allows (16 MiB) is stored: the
# store's record limit leaves room for it, so no accepted message can be
# refused (or stall the writer) later.
. "$(dirname "$0")/lib.sh"

port=$(free_port tcp)
cat > "$T/c.yaml" <<CONF
input:
  max_message_size: 16MiB
pipeline:
  queue_memory: 64MiB
CONF
start_server --config "$T/c.yaml" --listen "tcp://127.0.0.1:$port" || exit 1
{
	printf '<13>1 - h huge - - - '
	head -c 17000000 /dev/zero | tr '\0' 'x'
	printf '\n<13>1 - h after - - - next one\n'
} | nc -q 1 127.0.0.1 "$port"
wait_stored 2 60
stop_server || fail "server exit status"
check "huge stored, cut at the limit" \
    "$(search --json --app huge | jq -r '.raw | length')" 16777216
check "marked truncated" "$(search --json --app huge |
    jq -r '.flags | index("truncated") != null')" true
check "next message intact" "$(search --json --app after | jq -r .message)" \
    "next one"
check "nothing lost" "$("$MAMORI" status --data "$DATA" --json |
    jq '.store.lost')" 0
"$MAMORI" logs verify --data "$DATA" >/dev/null
check "verify" $? 0
finish
