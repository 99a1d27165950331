#!/bin/sh
# `mamori logtest` against OSSEC's golden outputs: the 44 cases of
# ossec-ruleset/tests/logtesting (one raw line each, and what
# ossec-logtest printed for it from "**Phase 1" on), with the OSSEC
# ruleset loaded through its own ossec-server.conf.  The upstream runner
# ran on a machine named melancia; lines without a header get that name.
# Also: a broken rule file is refused with file:line, exit 2.
. "$(dirname "$0")/lib.sh"

S=${MAMORI_SHARED:-}/data/ossec-ruleset
if [ ! -d "$S/tests/logtesting" ]; then
	echo "no $S: skipped"
	exit 0
fi
n=0
for d in "$S"/tests/logtesting/*/; do
	name=$(basename "$d")
	"$MAMORI" logtest --hostname melancia \
	    --rules "$S/config/ossec-server.conf" < "$d/log" |
	    sed -n '/^\*\*Phase 1/,$p' > "$T/out.$name"
	if cmp -s "$T/out.$name" "$d/res"; then
		pass "logtesting/$name"
	else
		fail "logtesting/$name differs:"
		diff "$T/out.$name" "$d/res" | head -20 >&2
	fi
	n=$((n + 1))
done
check "golden cases found" "$n" 44

# JSON: one object per line, with the decoded fields and the rule.
line='Feb  4 10:15:00 melancia sshd[1234]: Failed password for root from 10.0.0.1 port 22 ssh2'
out=$(printf '%s\n' "$line" | "$MAMORI" logtest --json \
    --rules "$S/config/ossec-server.conf")
check "json decoder" "$(printf '%s\n' "$out" | jq -r '.decoder.parent // .decoder.name')" sshd
check "json srcip" "$(printf '%s\n' "$out" | jq -r .data.srcip)" 10.0.0.1
check "json user" "$(printf '%s\n' "$out" | jq -r .data.dstuser)" root
check "json rule" "$(printf '%s\n' "$out" | jq -r .rule.id)" 5716
check "json level" "$(printf '%s\n' "$out" | jq -r .rule.level)" 5
check "json alert" "$(printf '%s\n' "$out" | jq -r .alert)" true
check "json groups" "$(printf '%s\n' "$out" | jq -r '.rule.groups | index("authentication_failed") != null')" true

# <accumulate>: OpenLDAP logs one connection over several lines; the
# decoders keep its address and user from line to line (same conn id).
out=$(printf '%s\n' \
    'Jan  1 00:00:00 ldap slapd[1]: conn=1000 fd=12 ACCEPT from IP=192.0.2.44:53210 (IP=0.0.0.0:389)' \
    'Jan  1 00:00:01 ldap slapd[1]: conn=1000 op=0 BIND dn="uid=bob,ou=people,dc=example" method=128' \
    'Jan  1 00:00:02 ldap slapd[1]: conn=1000 op=0 RESULT tag=97 err=49 text=' \
    'Jan  1 00:00:03 ldap slapd[1]: conn=1001 op=0 RESULT tag=97 err=49 text=' |
    "$MAMORI" logtest --json --rules "$S/config/ossec-server.conf")
check "accumulated srcip" "$(printf '%s\n' "$out" | sed -n 3p | jq -r .data.srcip)" 192.0.2.44
check "accumulated user" "$(printf '%s\n' "$out" | sed -n 3p | jq -r .data.dstuser)" bob
check "other session apart" "$(printf '%s\n' "$out" | sed -n 4p | jq -r '.data.srcip // "none"')" none
# A rule on an accumulated field: the user comes from an earlier line,
# so the literal prefilter must not judge it by this line's text.
cat > "$T/acc.xml" <<'XML'
<group name="t,">
  <rule id="100900" level="7">
    <if_sid>2509</if_sid>
    <user>bob</user>
    <description>LDAP failure for bob</description>
  </rule>
</group>
XML
out=$(printf '%s\n' \
    'Jan  1 00:00:00 ldap slapd[1]: conn=1000 fd=12 ACCEPT from IP=192.0.2.44:53210 (IP=0.0.0.0:389)' \
    'Jan  1 00:00:01 ldap slapd[1]: conn=1000 op=0 BIND dn="uid=bob,ou=people,dc=example" method=128' \
    'Jan  1 00:00:02 ldap slapd[1]: conn=1000 op=0 RESULT tag=97 err=49 text=' |
    "$MAMORI" logtest --json --rules "$S/config/ossec-server.conf" \
    --rules "$T/acc.xml")
check "rule on an accumulated field" "$(printf '%s\n' "$out" | sed -n 3p | jq -r .rule.id)" 100900

# A broken rule: refused with its file and line, nothing analysed.
cat > "$T/bad.xml" <<'XML'
<group name="test,">
  <rule id="100100" level="3">
    <match>x</match>
    <if_sidd>1</if_sidd>
  </rule>
</group>
XML
out=$(printf 'x\n' | "$MAMORI" logtest --rules "$S/config/ossec-server.conf" \
    --rules "$T/bad.xml" 2>&1)
check "broken rule exit" $? 2
check_contains "broken rule named" "$out" "$T/bad.xml:4: rule 100100: unknown element <if_sidd>"
finish
