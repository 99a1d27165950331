#!/bin/sh
# `mamori analyze` on real logs: alerts, the summary by rule and source,
# .gz input, JSON lines, and a clear error for a missing file.
. "$(dirname "$0")/lib.sh"

S=${MAMORI_SHARED:-}/data
R="$S/ossec-ruleset/config/ossec-server.conf"
if [ ! -f "$S/logs/loghub_OpenSSH_2k.log" ] || [ ! -f "$R" ]; then
	echo "no shared data: skipped"
	exit 0
fi
log="$S/logs/loghub_OpenSSH_2k.log"
out=$("$MAMORI" analyze --rules "$R" "$log")
check "exit status" $? 0
check_contains "summary counts lines" "$out" "2000 lines,"
check_contains "brute force rule in the summary" "$out" \
    "Multiple SSHD authentication failures."
# The loudest source of the log (its README) leads the source table.
top=$(printf '%s\n' "$out" | sed -n '/SOURCE ADDRESS/{n;p;}' | awk '{print $2}')
check "top source" "$top" 183.62.140.253

# Compressed input gives the same alerts.
gzip -c "$log" > "$T/ssh.log.gz"
a=$("$MAMORI" analyze --no-summary --rules "$R" "$log" | grep -c '^[0-9]')
b=$("$MAMORI" analyze --no-summary --rules "$R" "$T/ssh.log.gz" | grep -c '^[0-9]')
check "same alerts from .gz" "$b" "$a"

# JSON: one object per alert; the summary on stderr.
"$MAMORI" analyze --json --rules "$R" "$log" > "$T/alerts.json" \
    2> "$T/summary.txt"
n=$(jq -c 'select(.alert == true)' "$T/alerts.json" | wc -l)
check "json alerts" "$n" "$a"
check "json srcip" "$(jq -r 'select(.rule.id == "5720") | .data.srcip' \
    "$T/alerts.json" | grep -c 183.62.140.253 | awk '{print ($1 > 0)}')" 1
check_contains "summary on stderr" "$(cat "$T/summary.txt")" "2000 lines,"

# RFC 5424 input is detected and given to the decoders in BSD shape.
printf '%s\n' '<38>1 2026-11-28T10:00:00Z gw sshd 4242 - - Failed password for root from 192.0.2.9 port 22 ssh2' > "$T/r5424.log"
out=$("$MAMORI" analyze --json --no-summary --rules "$R" "$T/r5424.log")
check "5424 decoded" "$(printf '%s\n' "$out" | jq -r '.decoder.parent // .decoder.name')" sshd
check "5424 srcip" "$(printf '%s\n' "$out" | jq -r .data.srcip)" 192.0.2.9

out=$("$MAMORI" analyze --rules "$R" "$T/missing.log" 2>&1)
check "missing file exit" $? 1
check_contains "missing file named" "$out" "$T/missing.log"
finish
