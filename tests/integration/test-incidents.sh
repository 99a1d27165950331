#!/bin/sh
# Incidents from the real logs in the shared data (mamori analyze
# --incidents): one SSH brute-force incident per attacking address in
# loghub_OpenSSH_2k.log, web-scanning incidents for the botsearch samples,
# spam incidents for the mail samples; then the life of an incident
# through the CLI: report, steps, status, notes, evidence, merge, exports
# (IODEF validated against the RFC 7970 schema), and that nothing is ever
# deleted.
. "$(dirname "$0")/lib.sh"

LOGS=${MAMORI_SHARED:-}/data/logs
XSD=${MAMORI_SHARED:-}/data/schemas/iodef/iodef-2.0.xsd
if [ ! -f "$LOGS/loghub_OpenSSH_2k.log" ]; then
	echo "SKIP: no shared data"
	exit 0
fi

# --- offline: the OpenSSH log -------------------------------------------
"$MAMORI" analyze --json --no-summary "$LOGS/loghub_OpenSSH_2k.log" \
    > "$T/ssh-alerts.json"
# The addresses the brute-force rule fired for.
jq -r 'select(.rule.id == "119001") | .data.srcip' "$T/ssh-alerts.json" |
    sort -u > "$T/bruteforcers"
check "brute-forcing addresses found" "$(wc -l < "$T/bruteforcers")" 10
"$MAMORI" analyze --incidents --json "$LOGS/loghub_OpenSSH_2k.log" \
    > "$T/ssh-inc.json" 2> "$T/ssh-inc.err"
check "analyze --incidents exit" "$?" 0
# Every incident carries the documented keys.
check "incident keys" "$(jq -c 'select((has("id") and has("title") and
    has("category") and has("rsit") and has("impact") and has("severity")
    and has("attackers") and has("victims") and has("first_seen") and
    has("last_seen") and has("alert_count")) | not)' "$T/ssh-inc.json")" ""
jq -r 'select(.title | startswith("SSH brute force")) |
    "\(.attackers | map(.value) | join(","))"' "$T/ssh-inc.json" |
    sort > "$T/bf-incidents"
check "one brute-force incident per attacking address" \
    "$(cat "$T/bf-incidents")" "$(cat "$T/bruteforcers")"
check "brute force is category attack" "$(jq -r 'select(.title |
    startswith("SSH brute force")) | "\(.category) \(.rsit.class)"' \
    "$T/ssh-inc.json" | sort -u)" "attack intrusion-attempts"
check "brute force is internal, high" "$(jq -r 'select(.title |
    startswith("SSH brute force")) | "\(.impact) \(.severity)"' \
    "$T/ssh-inc.json" | sort -u)" "internal high"
# The 580 alerts of 183.62.140.253 are one incident, not 580.
check "one address, one incident" "$(jq -r 'select(.attackers |
    map(.value) == ["183.62.140.253"]) | .id' "$T/ssh-inc.json" | wc -l)" 1
n=$(jq -r 'select(.attackers | map(.value) == ["183.62.140.253"]) |
    .alert_count' "$T/ssh-inc.json")
[ "$n" -ge 500 ] && pass || fail "183.62.140.253: $n alerts, want >= 500"
check "victim is the host" "$(jq -r 'select(.title |
    startswith("SSH brute force")) | .victims[] | select(.kind == "host") |
    .value' \
    "$T/ssh-inc.json" | sort -u)" "LabSZ"
# Nothing the rules raised is lost: every alert is in some incident or
# counted as held.
total=$(wc -l < "$T/ssh-alerts.json")
check_contains "every alert accounted for" "$(cat "$T/ssh-inc.err")" \
    "$total alerts"

# --- offline: web scanning and spam --------------------------------------
F2B="$LOGS/fail2ban"
for f in apache-botsearch nginx-botsearch; do
	"$MAMORI" analyze --incidents --json "$F2B/$f.log" > "$T/$f.json" \
	    2>/dev/null
	check "$f: a web-scanning incident" "$(jq -r 'select(.category ==
	    "scan") | .rsit.type' "$T/$f.json" | sort -u)" "scanner"
done
for f in sendmail-reject exim-spam postfix; do
	"$MAMORI" analyze --incidents --json "$F2B/$f.log" > "$T/$f.json" \
	    2>/dev/null
	n=$(jq -r 'select(.category == "spam") | .id' "$T/$f.json" | wc -l)
	[ "$n" -ge 1 ] && pass || fail "$f: no spam incident"
done
check "spam maps to RSIT abusive-content/spam" "$(jq -r 'select(.category
    == "spam") | "\(.rsit.class)/\(.rsit.type)"' "$T/sendmail-reject.json" |
    sort -u)" "abusive-content/spam"

# Text output names the incidents too.
"$MAMORI" analyze --incidents "$LOGS/loghub_OpenSSH_2k.log" > "$T/ssh.txt"
check_contains "text output" "$(cat "$T/ssh.txt")" \
    "incident 2: SSH brute force: 112.95.230.3"

# --- a configuration changes the grouping --------------------------------
cat > "$T/victim.yaml" <<'EOF'
incidents:
  group_by:
    - [category, victim]
  open_level: 10
EOF
"$MAMORI" analyze --incidents --json --config "$T/victim.yaml" \
    "$LOGS/loghub_OpenSSH_2k.log" > "$T/victim.json" 2>/dev/null
check "grouped by victim only" "$(jq -r '"\(.category) \(.victims |
    map(select(.kind == "host")) | map(.value) | join(","))"' \
    "$T/victim.json" | sort -u | tr '\n' ';')" "attack LabSZ;scan LabSZ;"
cat > "$T/bad.yaml" <<'EOF'
incidents:
  group_by:
    - [category, atacker]
EOF
out=$("$MAMORI" analyze --incidents --config "$T/bad.yaml" \
    "$LOGS/loghub_OpenSSH_2k.log" 2>&1 >/dev/null)
check "bad config exit" "$?" 2
check_contains "bad config names file and line" "$out" "bad.yaml:3:"
check_contains "bad config hints" "$out" "did you mean 'attacker'"

# --- the life of an incident through the CLI -----------------------------
D="$T/data"
inc() { "$MAMORI" incident "$@" --data "$D"; }
out=$(inc report --from "JPCERT/CC <info@jpcert.or.jp>" --user bob \
    --text "192.0.2.55 in your network scans our servers on 22/tcp" \
    --attacker 192.0.2.55 --category scan)
check "report exit" "$?" 0
check_contains "report recorded" "$out" "incident 1 recorded"
check "listed" "$(inc list --json |
    jq -r '"\(.id) \(.status) \(.category) \(.source) \(.reporter)"')" \
    "1 new scan report JPCERT/CC <info@jpcert.or.jp>"
# Reports get the report playbook first: thank the reporter.
check "report playbook first step" "$(inc show 1 --json |
    jq -r '.steps[0].title')" "Thank the reporter"
check "category steps follow" "$(inc show 1 --json | jq -r '[.steps[] |
    .title] | index("Check whether the source is internal") != null')" true
inc step 1 1 done --note "thanked by mail" --user alice
check "step done" "$(inc show 1 --json | jq -r '.steps[0] |
    "\(.state) \(.who) \(.note)"')" "done alice thanked by mail"
inc step 1 2 skip --user alice
check "step skipped" "$(inc show 1 --json | jq -r '.steps[1].state')" \
    "skipped"
inc step 1 999 done 2>/dev/null
check "no such step" "$?" 1
inc set 1 --status triage --user alice
inc set 1 --assignee carol --user alice
inc set 1 --severity high --user alice
inc note 1 "called the reporter back" --user alice
inc evidence 1 --hash sha256:9f86d081884c7d65 --note "dropper" --user alice
inc evidence 1 --capture "sensor1:2026-11-28T10:00Z/10:05Z" --user alice
j=$(inc show 1 --json)
check "status" "$(echo "$j" | jq -r .status)" "triage"
check "assignee" "$(echo "$j" | jq -r .assignee)" "carol"
check "severity" "$(echo "$j" | jq -r .severity)" "high"
check "evidence" "$(echo "$j" | jq -r '[.evidence[].kind] | join(",")')" \
    "hash,capture"
check "timeline kinds" "$(echo "$j" | jq -r '[.timeline[].kind] |
    join(",")')" "report,step,step,step,status,assignee,severity,note,evidence,evidence"
check "timeline says who" "$(echo "$j" | jq -r '.timeline[4].who')" "alice"
inc set 1 --status nonsense 2>/dev/null
check "unknown status refused" "$?" 2
# A second report, merged into the first.
inc report --from "abuse@example.net" --text "scan from 192.0.2.56" \
    --attacker 192.0.2.56 --category scan > /dev/null
inc merge 1 2 --user alice
check "merged attackers" "$(inc show 1 --json | jq -r '[.attackers[].value]
    | sort | join(",")')" "192.0.2.55,192.0.2.56"
check "merged one is closed" "$(inc show 2 --json |
    jq -r '"\(.status) \(.merged_into)"')" "closed 1"
inc note 2 "late note" 2>/dev/null
check "merged incident is read-only" "$?" 1
check "open list hides merged" "$(inc list --status open --json |
    jq -r .id | tr '\n' ' ')" "1 "
inc set 1 --status closed --user alice
check "closed, still there" "$(inc list --status all --json | jq -r .id |
    sort | tr '\n' ' ')" "1 2 "

# Nothing is deleted: the database refuses.
if command -v sqlite3 >/dev/null; then
	out=$(sqlite3 "$D/mamori.db" "DELETE FROM incidents" 2>&1)
	check_contains "incident delete refused" "$out" "never deleted"
	for sql in "UPDATE incident_timeline SET text = 'x'" \
	    "DELETE FROM incident_timeline"; do
		out=$(sqlite3 "$D/mamori.db" "$sql" 2>&1)
		check_contains "refused: $sql" "$out" "append-only"
	done
fi

# Exports: IODEF v2 valid against the schema, JSON, Markdown.
inc export 1 --format iodef --output "$T/inc1.xml" --user alice
check "export exit" "$?" 0
if [ -f "$XSD" ] && command -v xmllint >/dev/null; then
	xmllint --noout --schema "$XSD" "$T/inc1.xml" 2> "$T/xmllint.out"
	check "IODEF validates against iodef-2.0.xsd" "$?" 0
	grep -v validates "$T/xmllint.out" >&2
fi
check_contains "IODEF names the attacker" "$(cat "$T/inc1.xml")" \
    "192.0.2.55"
inc export 1 --format json > "$T/inc1.json"
check "JSON export" "$(jq -r .title "$T/inc1.json")" \
    "192.0.2.55 in your network scans our servers on 22/tcp"
inc export 1 --format md > "$T/inc1.md"
check_contains "Markdown export" "$(cat "$T/inc1.md")" "# "
check "export recorded" "$(inc show 1 --json | jq -r '[.timeline[] |
    select(.kind == "export")] | length')" 3
inc export 1 --format pdf 2>/dev/null
check "unknown format" "$?" 2

# Import: the IODEF just written comes back as a new report.
inc import "$T/inc1.xml" --from "peer CSIRT" > "$T/import.out"
check "import exit" "$?" 0
check "imported category" "$(inc show 3 --json |
    jq -r '"\(.source) \(.category) \(.reporter)"')" \
    "report scan peer CSIRT"
printf '<IODEF-Document><broken' > "$T/bad.xml"
out=$(inc import "$T/bad.xml" 2>&1)
check "bad import exit" "$?" 1
check_contains "bad import names the file" "$out" "bad.xml"
check "bad import adds nothing" "$(inc list --status all --json | wc -l)" 3

finish
