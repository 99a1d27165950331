#!/bin/sh
# The rules engine in the server: events sent by logger are analysed by
# the workers; alerts go to alerts.json and mamori.db and name the log
# record (log_seq) that raised them; SIGHUP reloads the rules, and a
# broken ruleset is refused while the old one keeps serving.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/rules"
cat > "$T/rules/0010-test_decoders.xml" <<'XML'
<decoder name="testd">
  <program_name>testd</program_name>
</decoder>
<decoder name="testd-login">
  <parent>testd</parent>
  <prematch_pcre2>^login failed</prematch_pcre2>
  <pcre2 offset="after_prematch"> for (\S+) from (\S+)</pcre2>
  <order>user, srcip</order>
</decoder>
XML
rules_v1() {
	cat > "$T/rules/0100-test_rules.xml" <<'XML'
<group name="test,">
  <rule id="1" level="0" noalert="1">
    <category>syslog</category>
    <description>syslog</description>
  </rule>
  <rule id="100001" level="5">
    <decoded_as>testd</decoded_as>
    <pcre2>login failed</pcre2>
    <description>Test login failure for $(dstuser).</description>
    <group>authentication_failed,category_attack,</group>
  </rule>
  <rule id="100002" level="10" frequency="3" timeframe="60">
    <if_matched_sid>100001</if_matched_sid>
    <same_source_ip />
    <description>Test brute force.</description>
  </rule>
</group>
XML
}
rules_v1
port=$(free_port tcp)
start_server --listen "tcp://127.0.0.1:$port" --rules "$T/rules" || exit 1
check_contains "rules loaded" "$(cat "$SERVER_LOG")" "rules: 2 decoders and 3 rules"
send() {
	logger -n 127.0.0.1 -P "$port" -T --rfc3164 -t testd "$1"
}
send "login failed for alice from 192.0.2.7"
send "login failed for alice from 192.0.2.7"
send "login failed for alice from 192.0.2.7"
send "nothing to see here"
wait_stored 4 || exit 1
i=0
while [ "$(wc -l < "$DATA/alerts.json" 2>/dev/null || echo 0)" -lt 3 ] && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
A="$DATA/alerts.json"
check "alerts written" "$(wc -l < "$A")" 3
check "first alert rule" "$(sed -n 1p "$A" | jq -r .rule.id)" 100001
check "description expanded" "$(sed -n 1p "$A" | jq -r .rule.description)" \
    "Test login failure for alice."
check "srcip decoded" "$(sed -n 1p "$A" | jq -r .data.srcip)" 192.0.2.7
check "brute force on the third" "$(sed -n 3p "$A" | jq -r .rule.id)" 100002
check "category group" "$(sed -n 1p "$A" | jq -r '.rule.groups | index("category_attack") != null')" true
# log_seq names the record that raised the alert.
seq=$(sed -n 3p "$A" | jq -r .log_seq)
msg=$(search --json | jq -r --argjson s "$seq" 'select(.seq == $s) | .message')
check "log_seq links to the record" "$msg" "login failed for alice from 192.0.2.7"
check "alert id" "$(sed -n 3p "$A" | jq -r .id | sed 's/^[0-9]*\.//')" "$seq"
check "alerts in mamori.db" \
    "$(sqlite3 "$DATA/mamori.db" 'select count(*) from alerts where log_seq is not null')" 3
check "db rule and source" \
    "$(sqlite3 "$DATA/mamori.db" 'select rule_id || " " || srcip from alerts order by id desc limit 1')" \
    "100002 192.0.2.7"

# SIGHUP with a changed rule: the new one serves.
sed 's/level="5"/level="7"/' "$T/rules/0100-test_rules.xml" > "$T/x" &&
    mv "$T/x" "$T/rules/0100-test_rules.xml"
kill -HUP "$SERVER_PID"
i=0
while ! grep -q "rules reloaded" "$SERVER_LOG" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
check_contains "reload logged" "$(cat "$SERVER_LOG")" "SIGHUP: rules reloaded"
send "login failed for bob from 192.0.2.8"
wait_stored 5 || exit 1
sleep 0.3
check "new level after reload" "$(tail -n 1 "$A" | jq -r .rule.level)" 7

# A broken ruleset: refused with file and line; the old one stays.
printf '<group name="x,">\n  <rule id="100003" level="3">\n    <bogus>1</bogus>\n  </rule>\n</group>\n' \
    > "$T/rules/0200-broken.xml"
kill -HUP "$SERVER_PID"
i=0
while ! grep -q "stay in use" "$SERVER_LOG" && [ $i -lt 50 ]; do
	sleep 0.1; i=$((i + 1))
done
check_contains "broken reload refused" "$(cat "$SERVER_LOG")" \
    "0200-broken.xml:3: rule 100003: unknown element <bogus>"
send "login failed for carol from 192.0.2.9"
wait_stored 6 || exit 1
sleep 0.3
check "old rules still serve" "$(tail -n 1 "$A" | jq -r .data.dstuser)" carol
stop_server
check "server stopped cleanly" $? 0

# A ruleset that does not load stops the server from starting.
out=$("$MAMORI" server --data "$T/d2" --listen "tcp://127.0.0.1:$port" \
    --rules "$T/rules" 2>&1)
check "start refused" $? 1
check_contains "start names the file" "$out" "0200-broken.xml:3:"
finish
