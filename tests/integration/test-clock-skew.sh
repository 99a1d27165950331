#!/bin/sh
# Clock skew: a host whose timestamps run two hours ahead is reported at
# once ("clock not synchronised", naming host and offset) and only once
# per report interval; a host two hours behind is reported when its
# measurement window closes (delivery delay could explain one old
# message, not a whole window of them); a punctual host is not reported.
. "$(dirname "$0")/lib.sh"

port=$(free_port tcp)
cat > "$T/skew.yaml" <<CONF
input:
  clock_skew_threshold: 60s
  clock_skew_window: 2s
  clock_report_interval: 1h
CONF
start_server --config "$T/skew.yaml" --listen "tcp://127.0.0.1:$port" ||
    exit 1

ahead=$(date -u -d '+2 hours' +%Y-%m-%dT%H:%M:%S.000000Z)
behind=$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%S.000000Z)
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
	printf '<13>1 %s ahead.example app - - - one\n' "$ahead"
	printf '<13>1 %s ahead.example app - - - two\n' "$ahead"
	printf '<13>1 %s behind.example app - - - old\n' "$behind"
	printf '<13>1 %s ontime.example app - - - fine\n' "$now"
} | nc -q 1 127.0.0.1 "$port"
sleep 4
# A later message makes the behind host's window close too.
printf '<13>1 %s behind.example app - - - older\n' "$behind" |
    nc -q 1 127.0.0.1 "$port"
sleep 2
stop_server || fail "server exit status"

j=$(search --json --app mamori 'clock not synchronised')
check "reports" "$(printf '%s\n' "$j" | grep -c .)" 2
a=$(printf '%s\n' "$j" | jq -c 'select(.sd["mamori@32473"].host == "ahead.example")')
check "ahead reported once" "$(printf '%s\n' "$a" | grep -c .)" 1
check "ahead msgid" "$(printf '%s\n' "$a" | jq -r .msgid)" "clock-skew"
off=$(printf '%s\n' "$a" | jq -r '.sd["mamori@32473"].offset | tonumber | floor')
[ "$off" -ge 7190 ] && [ "$off" -le 7201 ] || fail "ahead offset $off"
check_contains "ahead text" "$(printf '%s\n' "$a" | jq -r .message)" \
    "host ahead.example (127.0.0.1) is at least"
b=$(printf '%s\n' "$j" | jq -c 'select(.sd["mamori@32473"].host == "behind.example")')
check_contains "behind text" "$(printf '%s\n' "$b" | jq -r .message)" \
    "behind the log server"
off=$(printf '%s\n' "$b" | jq -r '.sd["mamori@32473"].offset | tonumber | floor')
[ "$off" -le -7190 ] && [ "$off" -ge -7210 ] || fail "behind offset $off"
check "status shows the offset" "$("$MAMORI" status --data "$DATA" --json |
    jq '.hosts[] | select(.host == "ahead.example") |
    .clock_offset_s > 7000')" true
# The reports go through the bundled rules like any other event.
check "skew alerts" "$(jq -c 'select(.rule.id == "180010")' \
    "$DATA/alerts.json" 2>/dev/null | wc -l)" 2
check "skew alert category" "$(jq -r 'select(.rule.id == "180010") |
    .rule.groups | index("category_tampering") != null' "$DATA/alerts.json" |
    sort -u)" true
finish
