#!/bin/sh
# util-linux logger -> mamori over UDP and TCP, RFC 3164 and RFC 5424,
# LF and octet-counting framing; every field checked in `logs search`.
. "$(dirname "$0")/lib.sh"

port=$(free_port tcp)
uport=$(free_port udp)
start_server --listen "tcp://127.0.0.1:$port" \
    --listen "udp://127.0.0.1:$uport" || exit 1

host=$(hostname)

# One message per transport/format combination, each with its own tag.
logger -n 127.0.0.1 -P "$uport" -d --rfc3164 -t udp3164 -p auth.warning \
    --id=4242 "first over udp in 3164"
logger -n 127.0.0.1 -P "$uport" -d --rfc5424 -t udp5424 -p local3.err \
    --id=77 --msgid ID47 --sd-id 'origin@32473' --sd-param 'ip="192.0.2.1"' \
    "second over udp in 5424"
logger -n 127.0.0.1 -P "$port" -T --rfc3164 -t tcp3164 -p mail.info \
    "third over tcp in 3164"
logger -n 127.0.0.1 -P "$port" -T --rfc5424 -t tcp5424 -p daemon.notice \
    --octet-count --msgid M1 "fourth over tcp, octet-counted"
# Several messages in one octet-counted stream, one with an embedded LF,
# which only octet counting can carry.
printf 'line one\nline two\n' | logger -n 127.0.0.1 -P "$port" -T \
    --rfc5424 --octet-count -t multi
logger -n 127.0.0.1 -P "$port" -T --rfc5424 --octet-count -t embedded \
    "$(printf 'has\nnewline')"
# A message with a quote, bracket and backslash in its structured data.
logger -n 127.0.0.1 -P "$port" -T --rfc5424 -t sdesc \
    --sd-id 'x@32473' --sd-param 'v="a\"b\]c\\d"' "escaped sd"

wait_stored 8 || { cat "$SERVER_LOG"; exit 1; }

j=$(search --json --app udp3164)
check "udp3164 host" "$(printf '%s\n' "$j" | jq -r .host)" "$host"
check "udp3164 app" "$(printf '%s\n' "$j" | jq -r .app)" "udp3164"
check "udp3164 procid" "$(printf '%s\n' "$j" | jq -r .procid)" "4242"
check "udp3164 facility" "$(printf '%s\n' "$j" | jq -r .facility)" "auth"
check "udp3164 severity" "$(printf '%s\n' "$j" | jq -r .severity)" "warning"
check "udp3164 message" "$(printf '%s\n' "$j" | jq -r .message)" \
    "first over udp in 3164"
check "udp3164 format" "$(printf '%s\n' "$j" | jq -r .format)" "rfc3164"
check_contains "udp3164 source" "$(printf '%s\n' "$j" | jq -r .source)" "127.0.0.1"

j=$(search --json --app udp5424)
check "udp5424 host" "$(printf '%s\n' "$j" | jq -r .host)" "$host"
check "udp5424 procid" "$(printf '%s\n' "$j" | jq -r .procid)" "77"
check "udp5424 msgid" "$(printf '%s\n' "$j" | jq -r .msgid)" "ID47"
check "udp5424 facility" "$(printf '%s\n' "$j" | jq -r .facility)" "local3"
check "udp5424 severity" "$(printf '%s\n' "$j" | jq -r .severity)" "err"
check "udp5424 sd param" \
    "$(printf '%s\n' "$j" | jq -r '.sd["origin@32473"].ip')" "192.0.2.1"
check "udp5424 message" "$(printf '%s\n' "$j" | jq -r .message)" \
    "second over udp in 5424"
check "udp5424 format" "$(printf '%s\n' "$j" | jq -r .format)" "rfc5424"
# logger's RFC 5424 timestamp has microseconds and an offset: kept.
check_contains "udp5424 timestamp" "$(printf '%s\n' "$j" | jq -r .timestamp)" "."

j=$(search --json --app tcp3164)
check "tcp3164 facility" "$(printf '%s\n' "$j" | jq -r .facility)" "mail"
check "tcp3164 severity" "$(printf '%s\n' "$j" | jq -r .severity)" "info"
check "tcp3164 message" "$(printf '%s\n' "$j" | jq -r .message)" \
    "third over tcp in 3164"

j=$(search --json --app tcp5424)
check "tcp5424 msgid" "$(printf '%s\n' "$j" | jq -r .msgid)" "M1"
check "tcp5424 severity" "$(printf '%s\n' "$j" | jq -r .severity)" "notice"
check "tcp5424 message" "$(printf '%s\n' "$j" | jq -r .message)" \
    "fourth over tcp, octet-counted"

check "multi count" "$(search --count --app multi)" 2
check "multi lines" "$(search --json --app multi | jq -r .message | sort |
    tr '\n' '|')" "line one|line two|"
check "embedded newline kept" "$(search --json --app embedded |
    jq -r .message)" "$(printf 'has\nnewline')"
check "sd escapes" "$(search --json --app sdesc |
    jq -r '.sd["x@32473"].v')" 'a"b]c\d'

# Raw bytes are kept exactly: the 5424 record's raw starts with its PRI.
check_contains "raw kept" "$(search --json --app udp5424 | jq -r .raw)" \
    "<155>1 "

# Every record is intact after a clean stop.
stop_server || fail "server exit status"
out=$("$MAMORI" logs verify --data "$DATA")
check "verify exit" $? 0
check_contains "verify summary" "$out" "intact"
finish
