#!/bin/sh
# Oversized messages are truncated at input.max_message_size and marked,
# never dropped, and the message after one is intact (LF framing,
# octet counting, UDP).
. "$(dirname "$0")/lib.sh"

port=$(free_port tcp)
uport=$(free_port udp)
cat > "$T/c.yaml" <<CONF
input:
  max_message_size: 4KiB
CONF
start_server --config "$T/c.yaml" --listen "tcp://127.0.0.1:$port" \
    --listen "udp://127.0.0.1:$uport" || exit 1
big=$(head -c 10000 /dev/zero | tr '\0' 'A')
{
	printf '<13>1 - h1 biglf - - - %s\n' "$big"
	printf '<13>1 - h1 afterlf - - - intact one\n'
	m="<13>1 - h1 bigoct - - - $big"
	printf '%d %s' "${#m}" "$m"
	m='<13>1 - h1 afteroct - - - intact two'
	printf '%d %s' "${#m}" "$m"
} | nc -q 1 127.0.0.1 "$port"
printf '<13>1 - h1 bigudp - - - %s' "$big" | nc -u -w 1 127.0.0.1 "$uport"
wait_stored 5
stop_server || fail "server exit status"
for app in biglf bigoct bigudp; do
	j=$(search --json --app $app)
	check "$app raw length" "$(printf '%s\n' "$j" | jq -r '.raw | length')" 4096
	check "$app marked" "$(printf '%s\n' "$j" | jq -r '.flags | index("truncated") != null')" true
done
check "after LF oversize" "$(search --json --app afterlf | jq -r .message)" \
    "intact one"
check "after octet oversize" "$(search --json --app afteroct |
    jq -r .message)" "intact two"
check "status counts" "$("$MAMORI" status --data "$DATA" --json |
    jq '[.listeners[].truncated] | add')" 3
check "total records" "$(search --count)" 5
finish
