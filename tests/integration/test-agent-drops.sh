#!/bin/sh
# The agent's queue cap: with the server away and far more written than
# agent.queue.max_size holds, the oldest records are dropped; when the
# server is back the agent first reports how many and from when to when
# ("queue full: dropped N messages from T1 to T2"), which alerts (rule
# 122320), and then delivers the rest: every line is either delivered or
# counted as dropped, none both, none neither.
. "$(dirname "$0")/lib.sh"

rport=$(free_port tcp)
mkdir -p "$T/logs"
: > "$T/logs/fill.log"
cat > "$T/agent.yaml" <<CONF
agent:
  name: agent-drops
  server: 127.0.0.1:$rport
  state_dir: $T/state
  heartbeat: 1h
  reconnect: { min: 100ms, max: 300ms }
  queue: { max_size: 1MiB, fsync: 100ms }
logs:
  start: beginning
  poll: 100ms
  files:
    - path: $T/logs/fill.log
      tag: fill
# Log shipping only: no scheduled host checks (test-agent-checks.sh).
audit: { schedule: 0 }
rootcheck: { schedule: 0 }
CONF
"$MAMORI" agent --config "$T/agent.yaml" > "$T/agent.log" 2>&1 &
echo $! > "$T/agent.pid"

# 20000 lines of about 200 bytes: some 6 MB of messages for a 1 MiB queue.
pad=$(printf '%0150d' 0)
seq 1 20000 | sed "s/^\(.*\)$/fill \1 $pad/" >> "$T/logs/fill.log"
# The agent has read the file when its state says so.
i=0
while [ $i -lt 300 ]; do
	off=$(awk '$6 ~ /fill.log$/ { print $3 }' "$T/state/positions" \
	    2>/dev/null)
	[ "${off:-0}" = "$(stat -c %s "$T/logs/fill.log")" ] && break
	sleep 0.1
	i=$((i + 1))
done
check "agent read everything" "${off:-0}" "$(stat -c %s "$T/logs/fill.log")"
check "queue within its cap" \
    "$(du -b -c "$T"/state/queue/*.seg | tail -1 | awk '{ print ($1 <= 1048576) }')" 1

start_server --listen "relp://127.0.0.1:$rport" || exit 1
i=0
while [ $i -lt 600 ]; do
	n=$(search --app mamori-agent --count queue-dropped 2>/dev/null)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.1
	i=$((i + 1))
done
rep=$(search --app mamori-agent --json queue-dropped | head -1)
dropped=$(printf '%s\n' "$rep" | jq -r '.sd["mamori-agent@32473"].count')
check_contains "report text" "$(printf '%s\n' "$rep" | jq -r .message)" \
    "queue full: dropped $dropped messages from "
# Delivered lines: wait until the queue is empty (a clean stop drains).
i=0
while [ $i -lt 600 ]; do
	got=$(search --app fill --count)
	[ $((got + dropped)) -ge 20001 ] && break
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$(cat "$T/agent.pid")"
wait "$(cat "$T/agent.pid")"
rm -f "$T/agent.pid"
got=$(search --app fill --count)
echo "dropped $dropped, delivered $got of 20000 lines"
check "some dropped" "$([ "$dropped" -gt 1000 ] && echo yes)" yes
# The oldest went first: the "started" event (record 1) and the first
# lines.  Each record counted once: delivered or dropped.
check "delivered + dropped = written + started" $((got + dropped)) 20001
search --app fill --json | jq -r .message | awk '{ print $2 }' > "$T/nums"
check "the newest were kept" "$(tail -1 "$T/nums")" 20000
check "kept lines are consecutive" \
    "$(awk 'NR > 1 && $1 != prev + 1 { bad++ } { prev = $1 } END { print bad + 0 }' "$T/nums")" 0
check "the first kept follows the dropped" "$(head -1 "$T/nums")" \
    $((dropped))
# The report came before the backlog.
rseq=$(printf '%s\n' "$rep" | jq -r .seq)
fseq=$(search --app fill --json | head -1 | jq -r .seq)
check "report first" "$([ "$rseq" -lt "$fseq" ] && echo yes)" yes
from=$(printf '%s\n' "$rep" | jq -r '.sd["mamori-agent@32473"].from')
to=$(printf '%s\n' "$rep" | jq -r '.sd["mamori-agent@32473"].to')
check "from <= to" "$([ "$(date -d "$from" +%s%N)" -le \
    "$(date -d "$to" +%s%N)" ] && echo yes)" yes
i=0
while ! grep -q '"122320"' "$DATA/alerts.json" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "drop alert" "$(jq -r 'select(.rule.id == "122320") | .rule.level' \
    "$DATA/alerts.json" | head -1)" 7
# Reported once: a restart does not report the same drops again.
"$MAMORI" agent --config "$T/agent.yaml" >> "$T/agent.log" 2>&1 &
echo $! > "$T/agent.pid"
i=0
while [ "$(search --app mamori-agent --count started)" -lt 1 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -TERM "$(cat "$T/agent.pid")"
wait "$(cat "$T/agent.pid")"
rm -f "$T/agent.pid"
check "reported once" "$(search --app mamori-agent --count queue-dropped)" 1
check "no sanitizer reports from the agent" \
    "$(cat "$T/agent.log" | grep -c 'Sanitizer\|runtime error')" 0
stop_server || fail "server exit status"
finish
