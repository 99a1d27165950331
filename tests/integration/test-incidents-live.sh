#!/bin/sh
# The server forms incidents live from the alerts of its rules, the same
# ones `mamori analyze --incidents` forms offline: the OpenSSH log of the
# shared data is sent over TCP (as RFC 5424, so each line keeps its own
# time) and the brute-force incidents must name the same attackers, link
# their alerts to the log records, and survive a restart without being
# split; and that each new incident is announced along the contact plan
# (mail and webhook, on loopback).
. "$(dirname "$0")/lib.sh"

LOG=${MAMORI_SHARED:-}/data/logs/loghub_OpenSSH_2k.log
if [ ! -f "$LOG" ]; then
	echo "SKIP: no shared data"
	exit 0
fi

"$MAMORI" analyze --incidents --json "$LOG" 2>/dev/null |
    jq -r 'select(.title | startswith("SSH brute force")) |
    .attackers[0].value' | sort > "$T/offline"
check "offline brute-force incidents" "$(wc -l < "$T/offline")" 10

# The contact plan: mail to a real SMTP server, and a webhook, on
# loopback; each new incident is announced to both.
PY=/usr/bin/python3
HERE=$(dirname "$0")
helper() {
	name=$1
	shift
	$PY "$@" --ready "$T/$name.ready" >"$T/$name.log" 2>&1 &
	echo $! > "$T/$name.pid"
	i=0
	while [ ! -s "$T/$name.ready" ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$T/$name.ready" ] || { cat "$T/$name.log" >&2; exit 1; }
}
mkdir -p "$T/mail" "$T/hook"
P_SMTP=$(free_port tcp)
helper smtp "$HERE/notify-smtpd.py" --port "$P_SMTP" --dir "$T/mail"
P_HOOK=$(free_port tcp)
helper hook "$HERE/notify-httpd.py" --port "$P_HOOK" --dir "$T/hook"
cp -r "$MAMORI_SRC/playbooks" "$T/playbooks"
cat > "$T/mamori.yaml" <<EOF
incidents:
  playbooks: $T/playbooks
notify:
  from: "mamori <mamori@example.org>"
  smtp:
    url: smtp://127.0.0.1:$P_SMTP
    starttls: never
  rate_limit: 1000/h
  contacts:
    - name: csirt
      role: csirt
      email: csirt@example.org
      webhook: http://127.0.0.1:$P_HOOK/hook
  routes:
    - roles: [csirt]
EOF

port=$(free_port tcp)
start_server --config "$T/mamori.yaml" --listen "tcp://127.0.0.1:$port" ||
    exit 1
bsd_to_5424 "$LOG" > "$T/ssh.5424"
check "converted every line" "$(wc -l < "$T/ssh.5424")" 2000
nc -q 1 127.0.0.1 "$port" < "$T/ssh.5424"
wait_stored 2000 || exit 1

# Incidents are written once the alerts' records are on disk: wait
# until the count stops moving.
inc() { "$MAMORI" incident "$@" --data "$DATA"; }
last=-1
i=0
while [ $i -lt 100 ]; do
	n=$(inc list --status all --json 2>/dev/null | wc -l)
	[ "$n" = "$last" ] && [ "$n" -gt 0 ] && break
	last=$n
	sleep 0.3
	i=$((i + 1))
done
inc list --status all --json > "$T/live.json"
jq -r 'select(.title | startswith("SSH brute force")) |
    .attackers[0].value' "$T/live.json" | sort > "$T/live"
check "live brute-force incidents as offline" "$(cat "$T/live")" \
    "$(cat "$T/offline")"
check "live incidents as offline" "$(wc -l < "$T/live.json")" \
    "$("$MAMORI" analyze --incidents --json "$LOG" 2>/dev/null | wc -l)"

# Alerts link to their rows and log records.
id=$(jq -r 'select(.attackers[0].value == "183.62.140.253" and
    (.title | startswith("SSH brute force"))) | .id' "$T/live.json")
j=$(inc show "$id" --json)
check "alert linked to alerts row" "$(echo "$j" | jq -r '[.alerts[] |
    select(.alert_id == null or .alert_id == 0)] | length')" 0
check "alert linked to log record" "$(echo "$j" | jq -r '[.alerts[] |
    select(.log_seq == null or .log_seq == 0)] | length')" 0
seq=$(echo "$j" | jq -r '.alerts[0].log_seq')
rec=$("$MAMORI" logs search --data "$DATA" --json 2>/dev/null |
    jq -r "select(.seq == $seq) | .message" | head -1)
check_contains "log record is the line" "$rec" "183.62.140.253"
check "incident has its playbook" "$(echo "$j" | jq -r '.playbook')" \
    "attack"
n=$(echo "$j" | jq -r '.steps | length')
[ "$n" -ge 4 ] && pass || fail "playbook steps: $n"
check_contains "server logged it" "$(cat "$SERVER_LOG")" "incident $id opened"

# Every incident was announced, by mail and by webhook, and the timeline
# says so.
n=$(wc -l < "$T/live.json")
i=0
while [ "$(ls "$T/hook" 2>/dev/null | grep -c '\.json$')" -lt "$n" ] &&
    [ $i -lt 100 ]; do
	sleep 0.2
	i=$((i + 1))
done
check "a webhook per incident" "$(cat "$T/hook"/*.json |
    jq -r '.incident.id' | sort -n | tr '\n' ' ')" \
    "$(jq -r .id "$T/live.json" | sort -n | tr '\n' ' ')"
check "webhook says why" "$(cat "$T/hook"/*.json | jq -r .why | sort -u)" \
    "created"
i=0
while [ "$(ls "$T/mail" 2>/dev/null | grep -c eml)" -lt "$n" ] &&
    [ $i -lt 100 ]; do
	sleep 0.2
	i=$((i + 1))
done
check "a mail per incident" "$(ls "$T/mail" | grep -c eml)" "$n"
check_contains "mail subject" "$(cat "$T/mail"/*.eml)" \
    "SSH brute force: 183.62.140.253"
check "notification on the timeline" "$(inc show "$id" --json |
    jq -r '[.timeline[] | select(.kind == "notify")] | length')" 2

# A restart takes the open incidents up again: more of the same attack
# joins the same incident instead of opening a new one.
before=$(echo "$j" | jq -r .alert_count)
stop_server
start_server --config "$T/mamori.yaml" --listen "tcp://127.0.0.1:$port" ||
    exit 1
grep ' 183\.62\.140\.253 ' "$T/ssh.5424" | tail -20 |
    nc -q 1 127.0.0.1 "$port"
wait_stored 2020 || exit 1
i=0
while [ $i -lt 50 ]; do
	after=$(inc show "$id" --json | jq -r .alert_count)
	[ "$after" -gt "$before" ] && break
	sleep 0.2
	i=$((i + 1))
done
[ "$after" -gt "$before" ] && pass ||
    fail "after restart: alert count $before -> $after"
check "no new incident after restart" "$(inc list --status all --json |
    wc -l)" "$(wc -l < "$T/live.json")"

# SIGHUP reads the playbooks again; a broken one is refused with its file
# and line, and the ones loaded before stay in use.
printf 'id: attack\ncategory: attack\ntitel: x\n' > "$T/playbooks/attack.yaml"
kill -HUP "$SERVER_PID"
i=0
while ! grep -q "stay in use" "$SERVER_LOG" && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check_contains "broken playbook refused" "$(cat "$SERVER_LOG")" \
    "$T/playbooks/attack.yaml:3: unknown setting 'titel'"
cp "$MAMORI_SRC/playbooks/attack.yaml" "$T/playbooks/attack.yaml"
kill -HUP "$SERVER_PID"
i=0
while ! grep -q "playbooks reloaded" "$SERVER_LOG" && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check_contains "playbooks reloaded" "$(cat "$SERVER_LOG")" \
    "SIGHUP: taxonomy and 16 playbooks reloaded"
kill -0 "$SERVER_PID"
check "server still running" "$?" 0

finish
