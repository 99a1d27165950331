#!/bin/sh
# The agent runs the host checks on its schedules and forwards what they
# find to the real server, where the rules make alerts and incidents:
#  - file integrity: the first scheduled check makes the baseline and
#    sends its digest; a file changed under a realtime directory is
#    reported at once (tampering), a new set-uid file by the next full
#    check (backdoor);
#  - audit (on a fake root, --root as audit.root): an account with an
#    empty password and a second UID 0 (intrusion);
#  - rootcheck (on a fake root): a known rootkit's directory (backdoor).
# A bad fim: setting stops the agent with its file and line.  The
# server's agent registry records the agent, and when it stops sending,
# an "agent went silent" alert follows (agents.silent_after: 2s here); a
# FIM baseline replaced behind the agent's back is noticed by the server.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { echo "FAIL: jq missing"; exit 1; }
tport=$(free_port tcp)
printf 'agents:\n  silent_after: 2s\n' > "$T/server.yaml"
start_server --config "$T/server.yaml" --listen "tcp://127.0.0.1:$tport" ||
    exit 1

W="$T/watched"
R="$T/root"
mkdir -p "$W/etc" "$W/bin" "$R/etc" "$R/usr/src/.puta" "$R/proc" \
    "$R/sys/module" "$R/dev" "$R/tmp" "$R/var/tmp"
echo "listen 80" > "$W/etc/web.conf"
cp /bin/true "$W/bin/tool"
printf 'root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\nguest::1001:1001::/home/guest:/bin/bash\n' \
    > "$R/etc/passwd"
printf 'root:$6$x$y:19000:0:99999:7:::\ntoor:$6$a$b:19000:0:99999:7:::\n' \
    > "$R/etc/shadow"
echo 'root:x:0:' > "$R/etc/group"

cat > "$T/agent.yaml" <<CONF
agent:
  name: checks-it
  server: 127.0.0.1:$tport
  transport: tcp
  state_dir: $T/state
  heartbeat: 1s
  reconnect: { min: 100ms, max: 500ms }
fim:
  database: $T/fim.db
  schedule: 3s
  paths: [$W]
  realtime: [$W/etc]
audit:
  root: $R
  schedule: 1h
  listeners: { allow: [] }
  world_writable: { paths: [] }
  suid: { paths: [] }
  shares: { paths: [] }
  updates: off
  clock: off
rootcheck:
  root: $R
  schedule: 1h
  processes: off
  ports: off
CONF

# A bad setting: refused with its place, before anything runs.
printf 'fim:\n  paths: [/etc]\n  hash: sha265\n' > "$T/bad.yaml"
out=$("$MAMORI" agent --server 127.0.0.1:1 --config "$T/bad.yaml" \
    --state "$T/bad-state" 2>&1)
check "bad fim setting refused" "$?" 2
check_contains "bad fim setting named" "$out" "$T/bad.yaml:3"

"$MAMORI" agent --config "$T/agent.yaml" > "$T/agent.log" 2>&1 &
echo $! > "$T/agent.pid"

# wait_match APP PATTERN: until a record of APP holds PATTERN.
wait_match() {
	i=0
	while [ $i -lt 300 ]; do
		n=$(search --app "$1" --count "$2" 2>/dev/null)
		[ -n "$n" ] && [ "$n" -ge 1 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "no '$2' record from $1" >&2
	return 1
}
wait_match mamori-fim '"event":"baseline"' &&
    pass || fail "baseline digest sent"
digest=$(search --app mamori-fim --json '"event":"baseline"' 2>/dev/null |
    jq -r '.message | fromjson | .fim.digest' | head -1)
check "baseline digest is SHA-256 hex" "$(printf '%s' "$digest" | wc -c)" 64

echo "listen 8080" >> "$W/etc/web.conf"
wait_match mamori-fim "$W/etc/web.conf" && pass || fail "realtime change"
search --app mamori-fim --json "$W/etc/web.conf" 2>/dev/null |
    jq -c '.message | fromjson | .fim' > "$T/change.json"
check "realtime change is a modification" "$(jq -r '.event' \
    "$T/change.json" | sort -u | head -1)" "modified"
check "realtime change says it was realtime" "$(jq -r '.scan' \
    "$T/change.json" | sort -u | head -1)" "realtime"

cp /bin/true "$W/bin/backdoor"
chmod 4755 "$W/bin/backdoor"
wait_match mamori-fim "$W/bin/backdoor" && pass || fail "new SUID file"
wait_match mamori-audit '"check":"accounts"' && pass ||
    fail "audit findings"
wait_match mamori-rootcheck "/usr/src/.puta" && pass ||
    fail "rootcheck findings"

# A baseline swapped behind the agent's back (made by someone else, of
# other paths): the server compares the digest the next check used with
# the one the agent last reported making.
"$MAMORI" fim init --config "$T/agent.yaml" --db "$T/fim.db" "$W/etc" \
    > "$T/swap.out" 2>&1
check "baseline swapped by hand" "$?" 0
i=0
while [ $i -lt 300 ]; do
	n=$(sqlite3 "$DATA/mamori.db" "select count(*) from alerts
	    where rule_id = 122345" 2>/dev/null)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.1
	i=$((i + 1))
done
check "swapped baseline: alert" "$([ "${n:-0}" -ge 1 ] && echo yes)" yes
check "registry knows the agent" "$(sqlite3 "$DATA/mamori.db" \
    "select state from agents where name = 'checks-it'")" "active"
kill -TERM "$(cat "$T/agent.pid")"
wait "$(cat "$T/agent.pid")"
check "agent stopped cleanly" "$?" 0
rm -f "$T/agent.pid"
# Silence: the registry's sweep (every 10 s) marks it and reports it.
i=0
while [ $i -lt 300 ]; do
	n=$(sqlite3 "$DATA/mamori.db" "select count(*) from alerts
	    where rule_id = 122340" 2>/dev/null)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.1
	i=$((i + 1))
done
check "agent went silent: alert" "${n:-0}" 1
check "agent went silent: state" "$(sqlite3 "$DATA/mamori.db" \
    "select state from agents where name = 'checks-it'")" "silent"
stop_server

# The rules: alerts and incidents of the right categories.
inc=$("$MAMORI" incident list --data "$DATA" --status all --json 2>/dev/null)
cats=$(echo "$inc" | jq -r .category | sort -u | tr '\n' ' ')
check_contains "tampering incident (FIM)" "$cats" "tampering"
check_contains "backdoor incident (SUID, rootkit)" "$cats" "backdoor"
check_contains "intrusion incident (accounts)" "$cats" "intrusion"
check "every alert from the agent's host" "$(sqlite3 "$DATA/mamori.db" \
    "select count(*) from alerts where host != 'checks-it' and
    (groups like '%fim%' or groups like '%audit%' or
    groups like '%rootcheck%')")" 0
finish
