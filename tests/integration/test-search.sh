#!/bin/sh
# `mamori logs search`: time windows (ISO 8601 and relative), host, app,
# severity, substring and regex patterns, --count, --json, and escaping
# of control characters in text output.
. "$(dirname "$0")/lib.sh"

port=$(free_port tcp)
start_server --listen "tcp://127.0.0.1:$port" || exit 1
old=$(date -u -d '-3 days' +%Y-%m-%dT%H:%M:%SZ)
recent=$(date -u -d '-30 minutes' +%Y-%m-%dT%H:%M:%SZ)
{
	printf '<34>1 %s web1 sshd 10 - - Failed password for root from 192.0.2.7\n' "$old"
	printf '<38>1 %s web1 sshd 11 - - Accepted publickey for alice\n' "$recent"
	printf '<11>1 %s db1 postgres 12 - - FATAL: password authentication failed\n' "$recent"
	printf '<15>1 %s db1 cron 13 - - debug noise\n' "$recent"
	printf '<14>1 %s evil attacker 14 - - \033]0;owned\007 \033[31mred\033[0m end\n' "$recent"
} | nc -q 1 127.0.0.1 "$port"
wait_stored 5
stop_server || fail "server exit status"

check "all" "$(search --count)" 5
check "host" "$(search --count --host web1)" 2
check "host case-insensitive" "$(search --count --host WEB1)" 2
check "app" "$(search --count --app postgres)" 1
check "severity err or worse" "$(search --count --severity err)" 2
check "severity numeric" "$(search --count --severity 3)" 2
check "substring" "$(search --count password)" 2
check "regex" "$(search --count --regex 'Fail(ed|ure) pass')" 1
check "regex case" "$(search --count --regex '(?i)fatal')" 1
check "since relative" "$(search --count --since -1h)" 4
check "until relative" "$(search --count --until -1d)" 1
check "since ISO" "$(search --count --since "$(date -u -d '-2 days' +%Y-%m-%d)")" 4
check "combined" "$(search --count --since -1h --host web1 --app sshd)" 1
search --count --host nosuchhost >/dev/null
check "no match exit 1" $? 1
out=$(search --regex '(' 2>&1)
check "bad regex exit 2" $? 2
check_contains "bad regex reason" "$out" "regex"
out=$(search --since yesterday 2>&1)
check "bad time exit 2" $? 2

# Text output never passes terminal escapes through.
txt=$(search --host evil)
case "$txt" in
*"$(printf '\033')"*) fail "escape byte reached the terminal: $txt" ;;
*) pass ;;
esac
check_contains "escaped visibly" "$txt" '\033'
# JSON keeps the bytes (as JSON escapes).
check "json keeps bytes" "$(search --json --host evil |
    jq -r .message | tr -cd '\033' | wc -c)" 3
line=$(search --host web1 --app sshd Accepted)
check_contains "text line" "$line" "web1 sshd[11]: Accepted publickey for alice"
finish
