#!/bin/sh
# The network sensor inside `mamori server` (the sensor: section): the
# server runs in namespace A and captures on A's interface; B scans A
# with nmap and fetches a page from A's web server.  The scan becomes a
# mamori-sensor event, an alert and an incident of category scan with B
# as the attacker; the page fetch becomes a mamori-conn record (Zeek
# conn.log fields) that `mamori logs search` finds; the records survive
# `mamori logs verify`.  A bad interface name stops the server with a
# message naming the setting.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces)"
	exit 0
fi
for tool in nmap jq nc; do
	command -v $tool >/dev/null 2>&1 ||
	    { echo "FAIL: $tool missing (scripts/install-deps.sh --test)"; exit 1; }
done
A=mamori-sa-$$
B=mamori-sbs-$$
if ! ip netns add "$A" 2>/dev/null; then
	echo "SKIP: no network namespace support here"
	exit 0
fi
ns_cleanup() {
	[ -f "$T/httpd.pid" ] && kill "$(cat "$T/httpd.pid")" 2>/dev/null
	cleanup
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
}
trap ns_cleanup EXIT
ip netns add "$B"
ip link add "sA$$" type veth peer name "sB$$"
ip link set "sA$$" netns "$A"
ip link set "sB$$" netns "$B"
for n in A B; do
	eval ns=\$$n
	ip -n "$ns" link set "s$n$$" up
	ip -n "$ns" link set lo up
done
ip -n "$A" addr add 10.97.0.1/24 dev "sA$$"
ip -n "$B" addr add 10.97.0.2/24 dev "sB$$"

# A wrong interface: the server says which setting and does not start.
cat > "$T/bad.yaml" <<EOF
sensor:
  interfaces: [nosuch$$]
EOF
out=$(ip netns exec "$A" "$MAMORI" server --data "$T/bad" \
    --config "$T/bad.yaml" --listen "tcp://127.0.0.1:$(free_port tcp)" 2>&1)
rc=$?
check "bad interface refused" "$rc" 1
check_contains "bad interface named" "$out" "sensor.interfaces: nosuch$$"

cat > "$T/mamori.yaml" <<EOF
sensor:
  interfaces: [sA$$]
  hostname: border
  vars:
    HOME_NET: "[10.97.0.0/24]"
EOF
port=$(free_port tcp)
SERVER_STARTS=$((SERVER_STARTS + 1))
SERVER_LOG="$T/server.$SERVER_STARTS.log"
ip netns exec "$A" "$MAMORI" server --data "$DATA" --config "$T/mamori.yaml" \
    --listen "tcp://127.0.0.1:$port" > "$SERVER_LOG" 2>&1 &
SERVER_PID=$!
i=0
until grep -q "capturing on sA$$" "$SERVER_LOG" || [ $i -ge 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
check_contains "server captures" "$(cat "$SERVER_LOG")" "capturing on sA$$"

ip netns exec "$A" /usr/bin/python3 -m http.server 8080 --bind 10.97.0.1 \
    > "$T/httpd.log" 2>&1 &
echo $! > "$T/httpd.pid"
# The page: a client that reads the whole answer and closes in order, so
# the flow ends SF whatever the load (nc may close first and draw a RST).
ip netns exec "$B" /usr/bin/python3 -c '
import sys, time, urllib.request
for i in range(100):
    try:
        r = urllib.request.urlopen("http://10.97.0.1:8080/", timeout=5)
        r.read(); r.close(); sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)' && pass || fail "page fetched"
ip netns exec "$B" nmap -n -T4 -sS -p 1-1000,8080 10.97.0.1 > "$T/nmap.out" 2>&1
check_contains "nmap ran" "$(cat "$T/nmap.out")" "8080/tcp open"
# Detections are reported after their window (report_delay); stopping
# the server flushes windows and flows into the pipeline first.
sleep 1
stop_server
check "server stopped cleanly" "$?" 0

ev=$(search --app mamori-sensor 2>/dev/null)
check_contains "scan event stored" "$ev" "portscan syn"
check_contains "scan event names the scanner" "$ev" "src=10.97.0.2"
check_contains "sensor host name" "$ev" "border"
search --app mamori-conn --json 2>/dev/null | jq -c '.message | fromjson' \
    > "$T/conn.json"
check "a conn record for the page" "$(jq -r 'select(.["id.resp_p"] == 8080
    and .["id.orig_h"] == "10.97.0.2" and .conn_state == "SF") | .proto' \
    "$T/conn.json" | sort -u)" "tcp"
check "the page's record has Zeek's fields" "$(jq -r 'select(.["id.resp_p"]
    == 8080 and .conn_state == "SF") | has("ts") and has("uid") and
    has("duration") and has("orig_bytes") and has("resp_bytes") and
    has("history") and has("orig_pkts") and has("resp_pkts")' \
    "$T/conn.json" | sort -u)" "true"
check "conn records searchable by address" \
    "$(search --app mamori-conn --count 10.97.0.2 2>/dev/null)" \
    "$(grep -c '"10.97.0.2"' "$T/conn.json")"
"$MAMORI" logs verify --data "$DATA" > "$T/verify.out" 2>&1
check "store verifies" "$?" 0

inc=$("$MAMORI" incident list --data "$DATA" --status all --json 2>/dev/null)
check "scan incident from the sensor" "$(echo "$inc" | jq -r \
    'select(.category == "scan") | .attackers[0].value' | sort -u)" \
    "10.97.0.2"
st=$(sqlite3 "$DATA/mamori.db" "select json from status order by 1 desc
    limit 1" 2>/dev/null)
check_contains "status counts the capture" "$st" "\"interface\":\"sA$$\""
# Saved at shutdown, after the capture stopped: its last counts, not 0.
recv=$(echo "$st" | jq -r '.. | objects | select(.interface? ==
    "sA'$$'") | .received' 2>/dev/null | head -1)
[ "${recv:-0}" -gt 0 ] && pass ||
    fail "the saved status shows the packets received (got '$recv')"
check_contains "mamori status shows the capture" \
    "$("$MAMORI" status --data "$DATA" 2>&1)" "sA$$"
finish
