#!/bin/sh
# `mamori server --demo`: the bundled scenario (etc/demo.log) replayed at
# start gives alerts and incidents of several categories at once; without
# --demo the store starts empty; a store in use is not replayed into
# again; a scenario with a bad line is refused
# with its file and line, and nothing of it is replayed.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { echo "FAIL: jq missing"; exit 1; }
port=$(free_port tcp)
start_server --listen "tcp://127.0.0.1:$port" || exit 1
stop_server
check "no demo: the store starts empty" \
    "$(search --count 2>/dev/null)" 0
rm -rf "$DATA"

lines=$(grep -c '^+' "$MAMORI_SRC/etc/demo.log")
start_server --demo --listen "tcp://127.0.0.1:$port" || exit 1
wait_stored "$lines" || exit 1
# Incidents are written once their alerts are stored; wait until the
# count stops moving.
last=-1
i=0
while [ $i -lt 100 ]; do
	n=$("$MAMORI" incident list --data "$DATA" --json 2>/dev/null | wc -l)
	[ "$n" = "$last" ] && [ "$n" -gt 0 ] && break
	last=$n
	sleep 0.3
	i=$((i + 1))
done
stop_server
check_contains "replay logged" "$(cat "$SERVER_LOG")" \
    "demo: replayed $lines of $lines scenario lines"
inc=$("$MAMORI" incident list --data "$DATA" --json 2>/dev/null)
check "demo incident categories" "$(echo "$inc" | jq -r .category |
    sort -u | tr '\n' ' ')" "attack dos infection intrusion scan "
check "the brute force names its attacker" "$(echo "$inc" | jq -r \
    'select(.category == "intrusion") | .attackers[0].value')" \
    "203.0.113.45"
# The sensor only watched: it is no victim.
check "sensor host is no party" "$(echo "$inc" | jq -r \
    '[.victims[]? | select(.value == "border")] | length' | sort -u)" 0
# Replayed times end a minute before the start, in order.
first=$(search --json 2>/dev/null | jq -r .timestamp | head -1)
last=$(search --json 2>/dev/null | jq -r .timestamp | tail -1)
[ "$first" \< "$last" ]
check "replayed times increase" "$?" 0

# A store in use is not replayed into again.
start_server --demo --listen "tcp://127.0.0.1:$port" || exit 1
stop_server
check_contains "no second replay" "$(cat "$SERVER_LOG")" \
    "the scenario is not replayed again"
check "store unchanged by a second --demo" "$(search --count 2>/dev/null)" \
    "$lines"

# A bad line: named, and nothing replayed.
printf '+0 web1 sshd[1]: fine\n+10 web1 no colon here\n' > "$T/bad.log"
DATA="$T/bad-data"
start_server --demo="$T/bad.log" --listen "tcp://127.0.0.1:$port" || exit 1
stop_server
check_contains "bad scenario line named" "$(cat "$SERVER_LOG")" \
    "$T/bad.log:2: expected '+SECONDS HOST PROGRAM[PID]: MESSAGE'"
check "bad scenario replays nothing" "$(search --count 2>/dev/null)" 0
finish
