#!/bin/sh
# Wazuh 4.x syntax in decoders and rules: the JSON decoder and dynamic
# fields, <field name=>, type= and negate= on patterns, <mitre>,
# $(field) in descriptions, frequency with <same_field> and with the
# long same_/different_ forms, and if_matched_group; checked through `mamori logtest --json`, whose state
# carries from line to line.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/r"
cat > "$T/r/0010-app_decoders.xml" <<'XML'
<decoder name="app-json">
  <prematch>^{</prematch>
  <plugin_decoder>JSON_Decoder</plugin_decoder>
</decoder>
<decoder name="web">
  <program_name>web</program_name>
</decoder>
<decoder name="web-req">
  <parent>web</parent>
  <regex type="pcre2">^(\S+) (\S+) (\d+) (\S+)$</regex>
  <order>srcip, url, status, session</order>
</decoder>
XML
cat > "$T/r/0100-app_rules.xml" <<'XML'
<group name="app,">
  <rule id="1" level="0" noalert="1">
    <category>syslog</category>
    <description>syslog</description>
  </rule>
  <rule id="100010" level="4">
    <decoded_as>app-json</decoded_as>
    <field name="event.kind">^login_failure$</field>
    <description>Login failure for $(user.name) from $(srcip)</description>
    <mitre><id>T1110</id></mitre>
    <group>authentication_failed,category_attack,</group>
  </rule>
  <rule id="100012" level="6">
    <if_sid>100010</if_sid>
    <list field="user.name" lookup="match_key">lists/watched-users</list>
    <list field="srcip" lookup="address_match_key">lists/bad-nets</list>
    <description>Login failure for watched user $(user.name) from a bad net</description>
    <group>authentication_failed,category_attack,</group>
  </rule>
  <rule id="100011" level="10" frequency="3" timeframe="120">
    <if_matched_sid>100010</if_matched_sid>
    <same_field>user.name</same_field>
    <description>Brute force against $(user.name)</description>
    <group>category_attack,</group>
  </rule>
  <rule id="100020" level="5">
    <decoded_as>web</decoded_as>
    <url type="pcre2">\.php$</url>
    <status negate="yes">^2</status>
    <description>Failed PHP request $(url)</description>
    <group>web,category_scan,</group>
  </rule>
  <rule id="100022" level="9" frequency="2" timeframe="60">
    <if_matched_sid>100020</if_matched_sid>
    <same_srcip />
    <different_status />
    <description>PHP probing with varied answers from $(srcip)</description>
    <group>category_scan,</group>
  </rule>
  <rule id="100021" level="8" frequency="2" timeframe="60">
    <if_matched_group>web</if_matched_group>
    <same_source_ip />
    <description>PHP probing from $(srcip)</description>
    <group>category_scan,</group>
  </rule>
</group>
XML
mkdir -p "$T/r/lists"
printf 'carl:\nann:watched since 2026\n' > "$T/r/lists/watched-users"
printf '198.51.100.:\n203.0.113.7:\n' > "$T/r/lists/bad-nets"
run() {
	printf '%s\n' "$@" | "$MAMORI" logtest --json --rules "$T/r"
}
out=$(run '{"event":{"kind":"login_failure"},"user":{"name":"ann"},"srcip":"192.0.2.5"}')
check "json rule" "$(printf '%s\n' "$out" | jq -r .rule.id)" 100010
check "json dynamic field" "$(printf '%s\n' "$out" | jq -r '.data["user.name"]')" ann
check "json fixed field" "$(printf '%s\n' "$out" | jq -r .data.srcip)" 192.0.2.5
check "description" "$(printf '%s\n' "$out" | jq -r .rule.description)" \
    "Login failure for ann from 192.0.2.5"
check "mitre" "$(printf '%s\n' "$out" | jq -r '.rule.mitre.id[0]')" T1110

# CDB lists: a dynamic field and an address prefix.
out=$(run '{"event":{"kind":"login_failure"},"user":{"name":"carl"},"srcip":"198.51.100.23"}' \
    '{"event":{"kind":"login_failure"},"user":{"name":"carl"},"srcip":"192.0.2.23"}' \
    '{"event":{"kind":"login_failure"},"user":{"name":"dave"},"srcip":"198.51.100.23"}')
check "list lookups" "$(printf '%s\n' "$out" | jq -r .rule.id | tr '\n' ' ')" \
    "100012 100010 100010 "

# Three failures for ann (with one for bob between) fire the brute force
# on the third of ann's; bob's do not count for ann.
a='{"event":{"kind":"login_failure"},"user":{"name":"ann"},"srcip":"192.0.2.5"}'
b='{"event":{"kind":"login_failure"},"user":{"name":"bob"},"srcip":"192.0.2.5"}'
out=$(run "$a" "$b" "$a" "$a")
check "same_field frequency" "$(printf '%s\n' "$out" | jq -r .rule.id | tr '\n' ' ')" \
    "100010 100010 100010 100011 "
check "brute force names ann" "$(printf '%s\n' "$out" | tail -n 1 | jq -r .rule.description)" \
    "Brute force against ann"

# negate="yes": a PHP request that succeeded is no alert.
out=$(run 'Nov 28 10:00:00 h web: 198.51.100.1 /x.php 200 s1' \
    'Nov 28 10:00:01 h web: 198.51.100.1 /x.php 404 s1' \
    'Nov 28 10:00:02 h web: 198.51.100.1 /y.php 403 s1')
check "negated status" "$(printf '%s\n' "$out" | jq -r '.rule.id // "none"' | tr '\n' ' ')" \
    "none 100020 100022 "
check "url decoded" "$(printf '%s\n' "$out" | sed -n 2p | jq -r .data.url)" /x.php
check "dynamic session" "$(printf '%s\n' "$out" | sed -n 2p | jq -r .data.session)" s1
finish
