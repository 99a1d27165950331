#!/bin/sh
# A sender cannot hide its lines from the rules by the host name it
# gives: a syslog HOSTNAME with characters OSSEC-style pre-decoding does
# not take in a host ("a<b", markup) still has its sshd line decoded and
# alerted on; the stored record keeps the host as sent.
. "$(dirname "$0")/lib.sh"

port=$(free_port tcp)
start_server --listen "tcp://127.0.0.1:$port" || exit 1
for h in 'a<b' '<img_src=x>' 'web1'; do
	printf '<38>1 2026-11-28T10:00:00Z %s sshd 4242 - - Failed password for invalid user bob from 203.0.113.12 port 40000 ssh2\n' "$h"
done | nc -q 1 127.0.0.1 "$port"
wait_stored 3 || exit 1
i=0
while [ "$(wc -l < "$DATA/alerts.json" 2>/dev/null || echo 0)" -lt 3 ] &&
    [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
stop_server
check "each line alerted" "$(jq -r .rule.id "$DATA/alerts.json" | sort -u)" \
    101010
check "alerts" "$(wc -l < "$DATA/alerts.json")" 3
check "source decoded" "$(jq -r .data.srcip "$DATA/alerts.json" | sort -u)" \
    203.0.113.12
check "host kept as sent in the store" \
    "$(search --json 2>/dev/null | jq -r .host | sort | tr '\n' ' ')" \
    "<img_src=x> a<b web1 "
finish
