#!/bin/sh
# Started as root to bind a port below 1024, the server drops to the
# unprivileged user after binding, and still stores what arrives.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	fail "this test needs root (CI runs as root)"
	finish
fi
id mamori >/dev/null 2>&1 || { fail "user mamori missing"; finish; }
start_server --listen "tcp://127.0.0.1:514" || exit 1
uid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/"$SERVER_PID"/status)
want=$(id -u mamori)
check "uids after binding" "$uid" "$want $want $want $want"
check "groups" "$(awk '/^Groups:/ {print $2}' /proc/"$SERVER_PID"/status)" \
    "$(id -g mamori)"
logger -n 127.0.0.1 -P 514 -T --rfc5424 -t privtest "below 1024"
wait_stored 1
check "stored" "$(search --app privtest --json | jq -r .message)" "below 1024"
check "data owned by mamori" "$(stat -c %U "$DATA")" mamori
stop_server || fail "server exit status"
finish
