#!/bin/sh
# mamori agent -> the real mamori server over RELP (the default):
#  - a sshd line tailed from an auth.log gives the same alert as the line
#    sent by logger (the program, pid and text carried over);
#  - a server outage: the server is stopped, 5000 lines are written (with
#    a rotation in the middle), the server starts again, and every line
#    arrives exactly once.  (The issue asks for ten minutes; what matters
#    is that the queue holds whatever accumulates, so a short outage with
#    many lines stands for it.)
#  - the agent stopped while lines are written: they arrive once when it
#    is back; killed with -9 in the middle of a stream: nothing is lost
#    (repeats are allowed: at least once);
#  - copytruncate: the new lines arrive, and a log-truncated event alerts;
#  - started/stopping/heartbeat events are stored and decoded.
. "$(dirname "$0")/lib.sh"

rport=$(free_port tcp)
tport=$(free_port tcp)
start_server --listen "relp://127.0.0.1:$rport" \
    --listen "tcp://127.0.0.1:$tport" || exit 1

mkdir -p "$T/logs"
AUTH="$T/logs/auth.log"
APP="$T/logs/app.log"
: > "$AUTH"
: > "$APP"
cat > "$T/agent.yaml" <<CONF
agent:
  name: agent-it
  server: 127.0.0.1:$rport
  state_dir: $T/state
  heartbeat: 2s
  reconnect: { min: 100ms, max: 500ms }
  queue: { fsync: 100ms }
logs:
  start: beginning
  poll: 200ms
  rotate_grace: 1s
  files:
    - path: $AUTH
      facility: auth
    - path: $APP
      tag: itapp
# Log shipping only: no scheduled host checks (test-agent-checks.sh).
audit: { schedule: 0 }
rootcheck: { schedule: 0 }
CONF

AGENT_PID=
start_agent() {
	"$MAMORI" agent --config "$T/agent.yaml" >> "$T/agent.log" 2>&1 &
	AGENT_PID=$!
	echo "$AGENT_PID" > "$T/agent.pid"
}
stop_agent() {
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID"
	rc=$?
	AGENT_PID=
	rm -f "$T/agent.pid"
	return $rc
}

# wait_match APP PATTERN N: until N records of APP hold PATTERN.
wait_match() {
	i=0
	while [ $i -lt 600 ]; do
		n=$(search --app "$1" --count "$2" 2>/dev/null)
		[ -n "$n" ] && [ "$n" -ge "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "only ${n:-0} of $3 '$2' records from $1" >&2
	return 1
}

# wait_drained LINES: until a heartbeat says the agent has read LINES
# lines in this run and has nothing unacknowledged.  (A server stopped
# while acknowledgements are on their way makes the agent send those
# records again: RELP is at least once.  The lines that must arrive
# exactly once are the ones written while the server is away.)
wait_drained() {
	i=0
	while [ $i -lt 300 ]; do
		search --app mamori-agent --json heartbeat 2>/dev/null |
		    jq -e --argjson n "$1" 'select(.sd["mamori-agent@32473"] |
		    (.queue == "0" and (.lines | tonumber) >= $n))' \
		    >/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "no heartbeat with $1 lines and an empty queue" >&2
	return 1
}

# exactly_once PREFIX N: the messages "PREFIX 1".."PREFIX N" from itapp,
# each once.
exactly_once() {
	search --app itapp --json "$1 " | jq -r .message | sort > "$T/got"
	seq 1 "$2" | sed "s/^/$1 /" | sort > "$T/want"
	check "$1: missing" "$(comm -13 "$T/got" "$T/want" | wc -l)" 0
	check "$1: repeated" "$(uniq -d "$T/got" | wc -l)" 0
	check "$1: count" "$(wc -l < "$T/got")" "$2"
}

start_agent
wait_match mamori-agent started 1 || { cat "$T/agent.log"; exit 1; }

# 1. The same alert as logger.
ssh='Failed password for root from 192.0.2.7 port 4242 ssh2'
echo "Nov 28 10:00:00 web1 sshd[4242]: $ssh" >> "$AUTH"
wait_match sshd "$ssh" 1 || exit 1
logger -n 127.0.0.1 -P "$tport" -T --rfc3164 -t sshd --id=4242 "$ssh"
wait_match sshd "$ssh" 2 || exit 1
check "tailed line keeps program and pid" \
    "$(search --app sshd --host agent-it --json | jq -r '.procid + " " + .message')" \
    "4242 $ssh"
check "tailed line names its file" \
    "$(search --app sshd --host agent-it --json | jq -r '.sd["mamori-agent@32473"].file')" \
    "$AUTH"
i=0
while [ "$(jq -s '[.[] | select(.rule.id == "101011")] | length' \
    "$DATA/alerts.json" 2>/dev/null || echo 0)" -lt 2 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
alert() {	# host
	jq -c --arg h "$1" 'select(.full_log | contains("sshd[4242]")) |
	    select(.agent.name == $h or (.full_log | contains(" " + $h + " "))) |
	    [.rule.id, .rule.level, .rule.description, .data.srcip]' \
	    "$DATA/alerts.json" | head -1
}
a1=$(alert agent-it)
a2=$(alert "$(hostname)")
check_contains "tailed sshd line alerts" "$a1" '"101011"'
check "same alert as logger" "$a1" "$a2"

# 2. Lines while the server is up.
seq 1 1000 | sed 's/^/up /' >> "$APP"
wait_match itapp "up " 1000 || exit 1
wait_drained 1001 || exit 1

# 3. An outage: the queue holds everything, with a rotation meanwhile.
stop_server || fail "server exit status"
seq 1 2500 | sed 's/^/outage /' >> "$APP"
sleep 0.5	# the agent reads them (order, not a measurement)
mv "$APP" "$APP.1"
seq 2501 5000 | sed 's/^/outage /' > "$APP"
start_server --listen "relp://127.0.0.1:$rport" \
    --listen "tcp://127.0.0.1:$tport" || exit 1
wait_match itapp "outage " 5000 || { tail -20 "$T/agent.log"; exit 1; }

# 4. The agent stopped while lines are written; the stop drains.
stop_agent || fail "agent exit status"
check_contains "clean stop says so" "$(tail -1 "$T/agent.log")" \
    "0 messages stay queued"
seq 1 300 | sed 's/^/down /' >> "$APP"
start_agent
wait_match itapp "down " 300 || exit 1
wait_drained 300 || exit 1
check "restart after a clean stop" "$(search --app mamori-agent --json \
    started | jq -r '.sd["mamori-agent@32473"].previous' | tail -1)" clean

# 5. kill -9 in the middle of a stream: nothing lost.
( i=1; while [ $i -le 2000 ]; do echo "crash $i"; i=$((i + 1)); \
    [ $((i % 200)) = 0 ] && sleep 0.05; done >> "$APP" ) &
writer=$!
sleep 0.2
kill -9 "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
wait "$writer"
start_agent
wait_match itapp "crash " 2000 || exit 1
check "unclean stop is said" "$(search --app mamori-agent --json started |
    jq -r '.sd["mamori-agent@32473"].previous' | tail -1)" unclean

# 6. copytruncate.
: > "$APP"
echo "after truncate" >> "$APP"
wait_match itapp "after truncate" 1 || exit 1
wait_match mamori-agent "log-truncated" 1 || exit 1

stop_agent || fail "agent exit status"
exactly_once up 1000
exactly_once outage 5000
exactly_once down 300
search --app itapp --json "crash " | jq -r .message | sort -u > "$T/got"
check "crash: none missing" "$(seq 1 2000 | sed 's/^/crash /' | sort |
    comm -23 - "$T/got" | wc -l)" 0
echo "crash: $(search --app itapp --count "crash ") records for 2000 lines"
check "heartbeats decoded" "$(search --app mamori-agent --count heartbeat |
    awk '{ print ($1 > 0) }')" 1
check "stopping event" "$(search --app mamori-agent --json stopping |
    jq -r '.sd["mamori-agent@32473"].name' | sort -u)" agent-it
i=0
while ! grep -q '"122321"' "$DATA/alerts.json" && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "truncation alerts" "$(jq -r 'select(.rule.id == "122321") |
    .data["agent.file"]' "$DATA/alerts.json" | head -1)" "$APP"
check "no errors from the agent" "$(grep -c ' error: ' "$T/agent.log")" 0
check "no sanitizer reports from the agent" \
    "$(cat "$T/agent.log" | grep -c 'Sanitizer\|runtime error')" 0
stop_server || fail "server exit status"
finish
