#!/bin/sh
# mamori audit: a fake root with one of each finding (--root), a clean
# one, the text output and its escaping, exit codes and configuration
# errors; a real listener started here against the inventory (new, then
# declared, then declared for another program); apt's real simulation
# over a fake package database with a security archive; and the rules:
# every finding, as the syslog line the agent sends, gives its rule.
. "$(dirname "$0")/lib.sh"

R="$T/root"
A="$T/audit.json"
: > "$A"

# --- a fake root with something wrong in every check ------------------
mkdir -p "$R/etc/ssh" "$R/sys/class/net/eth1" "$R/sys/class/net/lo" \
    "$R/usr/bin" "$R/usr/local/sbin" "$R/srv/share" "$R/proc/net" \
    "$R/etc/systemd/system/multi-user.target.wants" "$R/var/lib/dpkg/info"
cat > "$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
toor:x:0:0::/root:/bin/bash
guest::1001:1001::/home/guest:/bin/bash
EOF
cat > "$R/etc/shadow" <<'EOF'
root:$6$x$y:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
toor:$6$a$b:19000:0:99999:7:::
EOF
echo 'root:x:0:' > "$R/etc/group"
printf 'PermitRootLogin yes\nPasswordAuthentication no\n' \
    > "$R/etc/ssh/sshd_config"
echo 0x1103 > "$R/sys/class/net/eth1/flags"
echo 0x9 > "$R/sys/class/net/lo/flags"
cp /bin/true "$R/usr/local/sbin/helper"
chmod 4755 "$R/usr/local/sbin/helper"
echo data > "$R/usr/bin/notes"
chmod 666 "$R/usr/bin/notes"
printf 'MZ' > "$R/srv/share/invoice.pdf.exe"
printf 'x' > "$R/srv/share/$(printf 'evil\033[2Jname.txt.exe')"
ln -s /lib/systemd/system/xinetd.service \
    "$R/etc/systemd/system/multi-user.target.wants/xinetd.service"
printf '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:0917 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0\n' \
    > "$R/proc/net/tcp"
cat > "$T/shares.yaml" <<'EOF'
audit:
  shares: {paths: [/srv/share]}
  listeners: {allow: [tcp/22]}
EOF

out=$("$MAMORI" audit --root "$R" --config "$T/shares.yaml" --json \
    2>"$T/sum.txt")
check "fake root: exit status" $? 1
printf '%s\n' "$out" >> "$A"
n=$(printf '%s\n' "$out" | jq -e -c 'select(.audit)' | wc -l)
check "every line is an audit finding" "$n" "$(printf '%s\n' "$out" | wc -l)"
has() {	# has CHECK KIND SUBJECT (jq 1.6's -e judges only the last input)
	printf '%s\n' "$out" | jq -c --arg c "$1" --arg k "$2" --arg s "$3" \
	    'select(.audit.check == $c and .audit.kind == $k and
	    .audit.subject == $s)' | grep -q .
}
has listeners new tcp/0.0.0.0:2327 && pass || fail "listener 2327"
has accounts uid0 toor && pass || fail "uid0 toor"
has accounts empty_password guest && pass || fail "empty password"
has sshd setting PermitRootLogin && pass || fail "sshd root login"
has promisc promiscuous eth1 && pass || fail "promiscuous eth1"
has suid unknown /usr/local/sbin/helper && pass || fail "suid helper"
has world_writable file /usr/bin/notes && pass || fail "world-writable"
has shares double_extension /srv/share/invoice.pdf.exe && pass ||
    fail "double extension"
has services enabled xinetd.service && pass || fail "xinetd"
check "severity of a second root" "$(printf '%s\n' "$out" | jq -r \
    'select(.audit.kind == "uid0") | .audit.severity')" critical
check "every finding has a hint" "$(printf '%s\n' "$out" | jq -r \
    'select(.audit.hint == null or .audit.hint == "") | .audit.subject')" ""
check_contains "summary on stderr" "$(cat "$T/sum.txt")" "clock            skipped"

# --only, and the text output: headings, severities, fixes, escapes.
out=$("$MAMORI" audit --root "$R" --only accounts,promisc --json)
check "--only: checks" "$(printf '%s\n' "$out" | jq -r .audit.check | sort -u |
    tr '\n' ' ')" "accounts promisc "
txt=$("$MAMORI" audit --root "$R" --config "$T/shares.yaml" --only shares)
check "--only text: exit status" $? 1
check_contains "text heading" "$txt" "shares:"
check_contains "text severity" "$txt" "  HIGH     /srv/share/invoice.pdf.exe"
check_contains "text fix" "$txt" "fix: move it to quarantine"
check_contains "escape shown" "$txt" 'evil\x1b[2Jname.txt.exe'
if printf '%s' "$txt" | grep -q "$(printf '\033')"; then
	fail "a raw escape byte reached the terminal"
else
	pass
fi
check_contains "text summary" "$txt" "suid             off"

# --- a clean root: nothing, exit 0 -------------------------------------
C="$T/clean"
mkdir -p "$C/etc" "$C/usr/bin"
echo 'root:x:0:0:root:/root:/bin/bash' > "$C/etc/passwd"
echo 'root:$6$x$y:19000:0:99999:7:::' > "$C/etc/shadow"
echo 'root:x:0:' > "$C/etc/group"
txt=$("$MAMORI" audit --root "$C")
check "clean root: exit status" $? 0
check_contains "clean root: summary" "$txt" "0 findings"

# --- usage and configuration errors: 2, with what and where ------------
"$MAMORI" audit --bogus >/dev/null 2>&1
check "unknown option" $? 2
err=$("$MAMORI" audit --only listners 2>&1)
check "unknown check: exit" $? 2
check_contains "unknown check: hint" "$err" "did you mean 'listeners'?"
printf 'audit:\n  listeners:\n    allow:\n      - tcp/22\n      - udp/x\n' \
    > "$T/bad.yaml"
err=$("$MAMORI" audit --config "$T/bad.yaml" 2>&1)
check "bad inventory: exit" $? 2
check_contains "bad inventory: where" "$err" "$T/bad.yaml:5: setting 'audit.listeners.allow[1]'"
err=$("$MAMORI" audit --root "$T/nowhere" 2>&1)
check "missing root: exit" $? 2
check_contains "missing root: named" "$err" "$T/nowhere"

# --- a real listener against the inventory -----------------------------
P=$(free_port tcp)
/usr/bin/python3 - "$P" "$T/ready" <<'EOF' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(5)
open(sys.argv[2], "w").write("ready")
time.sleep(600)
EOF
echo $! > "$T/listener.pid"
i=0
while [ ! -s "$T/ready" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
mine() {	# the findings about our port
	jq -c --arg s "tcp/0.0.0.0:$P" 'select(.audit.subject == $s)'
}
printf 'audit:\n  listeners: {allow: [tcp/1]}\n' > "$T/inv1.yaml"
out=$("$MAMORI" audit --config "$T/inv1.yaml" --only listeners --json |
    mine)
printf '%s\n' "$out" >> "$A"
check "new listener: kind" "$(printf '%s' "$out" | jq -r .audit.kind)" new
check "new listener: severity" "$(printf '%s' "$out" | jq -r .audit.severity)" high
check "new listener: program" "$(printf '%s' "$out" | jq -r .audit.program)" python3
check "new listener: pid" "$(printf '%s' "$out" | jq -r .audit.pid)" \
    "$(cat "$T/listener.pid")"
printf 'audit:\n  listeners: {allow: [tcp/1, "tcp/%s"]}\n' "$P" > "$T/inv2.yaml"
out=$("$MAMORI" audit --config "$T/inv2.yaml" --only listeners --json |
    mine)
check "declared listener: no finding" "$out" ""
printf 'audit:\n  listeners: {allow: ["tcp/0.0.0.0:%s python3"]}\n' "$P" \
    > "$T/inv3.yaml"
out=$("$MAMORI" audit --config "$T/inv3.yaml" --only listeners --json |
    mine)
check "declared with its program and address: no finding" "$out" ""
printf 'audit:\n  listeners: {allow: ["tcp/%s sshd"]}\n' "$P" > "$T/inv4.yaml"
out=$("$MAMORI" audit --config "$T/inv4.yaml" --only listeners --json |
    mine)
printf '%s\n' "$out" >> "$A"
check "another program on a declared port" \
    "$(printf '%s' "$out" | jq -r '.audit.kind + " " + .audit.expected')" \
    "program sshd"
kill "$(cat "$T/listener.pid")"
rm -f "$T/listener.pid"

# --- pending security updates: apt's simulation over a fake database ---
U="$T/apt"
L="$U/var/lib/apt/lists"
mkdir -p "$U/var/lib/dpkg" "$L/partial" "$U/etc/apt/apt.conf.d" \
    "$U/etc/apt/preferences.d" "$U/etc/apt/sources.list.d" \
    "$U/var/cache/apt/archives/partial" "$U/etc"
cp "$R/etc/passwd" "$U/etc/passwd"
printf 'Package: foo\nStatus: install ok installed\nPriority: optional\nSection: utils\nArchitecture: amd64\nVersion: 1.0-1\nDescription: t\n\nPackage: bar\nStatus: install ok installed\nPriority: optional\nSection: utils\nArchitecture: amd64\nVersion: 2.0-1\nDescription: t\n\n' \
    > "$U/var/lib/dpkg/status"
printf 'deb [trusted=yes] http://sec.example/debian-security bookworm-security main\ndeb [trusted=yes] http://deb.example/debian bookworm main\n' \
    > "$U/etc/apt/sources.list"
printf 'Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nVersion: 12\nCodename: bookworm-security\nDate: Sat, 28 Nov 2025 10:00:00 UTC\nArchitectures: amd64\nComponents: main\n' \
    > "$L/sec.example_debian-security_dists_bookworm-security_InRelease"
printf 'Package: foo\nVersion: 1.0-1+deb12u1\nArchitecture: amd64\nPriority: optional\nSection: utils\nFilename: pool/f/foo.deb\nSize: 1\nDescription: t\n\n' \
    > "$L/sec.example_debian-security_dists_bookworm-security_main_binary-amd64_Packages"
printf 'Origin: Debian\nLabel: Debian\nSuite: stable\nVersion: 12.5\nCodename: bookworm\nDate: Sat, 28 Nov 2025 10:00:00 UTC\nArchitectures: amd64\nComponents: main\n' \
    > "$L/deb.example_debian_dists_bookworm_InRelease"
printf 'Package: bar\nVersion: 2.0-2\nArchitecture: amd64\nPriority: optional\nSection: utils\nFilename: pool/b/bar.deb\nSize: 1\nDescription: t\n\n' \
    > "$L/deb.example_debian_dists_bookworm_main_binary-amd64_Packages"
if command -v apt-get >/dev/null; then
	out=$("$MAMORI" audit --root "$U" --only updates --json 2>"$T/sum.txt")
	check "updates: exit status" $? 1
	printf '%s\n' "$out" >> "$A"
	check "updates: the security one only" "$(printf '%s\n' "$out" |
	    jq -r 'select(.audit.kind == "security") | .audit.kind + " " +
	    .audit.package + " " +
	    .audit.installed + " " + .audit.candidate')" \
	    "security foo 1.0-1 1.0-1+deb12u1"
	check_contains "updates: the others counted" "$(cat "$T/sum.txt")" \
	    "1 other update pending"
	touch -d '10 days ago' "$L"/*_InRelease
	out=$("$MAMORI" audit --root "$U" --only updates --json 2>/dev/null)
	check "stale lists" "$(printf '%s\n' "$out" | jq -r \
	    'select(.audit.kind == "stale_lists") | .audit.severity')" low
else
	echo "no apt-get: update test skipped"
fi

# --- a check that cannot run, and one cut at max_findings ---------------
printf 'audit:\n  max_findings: 1\n  updates: {apt_get: /bin/false}\n' \
    > "$T/cut.yaml"
out=$("$MAMORI" audit --root "$U" --config "$T/cut.yaml" --only updates \
    --json 2>"$T/sum.txt")
check "failed check: exit status" $? 1
printf '%s\n' "$out" >> "$A"
check "failed check: error finding" "$(printf '%s\n' "$out" | jq -r \
    'select(.audit.kind == "error") | .audit.check')" updates
check_contains "failed check: summary" "$(cat "$T/sum.txt")" \
    "updates          FAILED: /bin/false -s dist-upgrade failed (status 1)"
out=$("$MAMORI" audit --root "$R" --config "$T/cut.yaml" --only accounts \
    --json)
printf '%s\n' "$out" >> "$A"
check "cut: one finding and the count" "$(printf '%s\n' "$out" | jq -r \
    .audit.kind | tr '\n' ' ')" "uid0 truncated "
check_contains "cut: how many" "$(printf '%s\n' "$out" | jq -r \
    'select(.audit.kind == "truncated") | .audit.text')" "1 more finding"

# --- the rules: each finding as the agent's syslog line ----------------
sed 's/^/Nov 28 10:00:00 host1 mamori-audit: /' "$A" > "$T/audit.log"
"$MAMORI" analyze --json --no-summary "$T/audit.log" > "$T/alerts.json"
rule_of() {	# rule_of CHECK KIND SUBJECT: "RULE CATEGORY"
	jq -r --arg c "$1" --arg k "$2" --arg s "$3" 'select(
	    .data["audit.check"] == $c and .data["audit.kind"] == $k and
	    (.data["audit.subject"] // "") == $s) | .rule.id + " " +
	    ([.rule.groups[] | select(startswith("category_"))] | join(","))' \
	    "$T/alerts.json" | head -1
}
check "rule: new listener" "$(rule_of listeners new "tcp/0.0.0.0:$P")" \
    "122110 category_backdoor"
check "rule: undeclared inventory" "$(rule_of listeners program \
    "tcp/0.0.0.0:$P")" "122112 category_backdoor"
check "rule: suid" "$(rule_of suid unknown /usr/local/sbin/helper)" \
    "122130 category_backdoor"
check "rule: uid 0" "$(rule_of accounts uid0 toor)" \
    "122140 category_intrusion"
check "rule: empty password" "$(rule_of accounts empty_password guest)" \
    "122141 category_intrusion"
check "rule: promiscuous" "$(rule_of promisc promiscuous eth1)" \
    "122150 category_leak"
check "rule: double extension" "$(rule_of shares double_extension \
    /srv/share/invoice.pdf.exe)" "122160 category_infection"
check "rule: sshd" "$(rule_of sshd setting PermitRootLogin)" \
    "122170 category_intrusion"
check "rule: world-writable" "$(rule_of world_writable file \
    /usr/bin/notes)" "122120 category_tampering"
check "rule: service" "$(rule_of services enabled xinetd.service)" \
    "122185 category_intrusion"
if command -v apt-get >/dev/null; then
	check "rule: security update" "$(rule_of updates security foo)" \
	    "122180 category_intrusion"
fi
check "rule: failed check" "$(rule_of updates error "")" \
    "122190 category_tampering"
check "rule: cut" "$(rule_of accounts truncated "")" \
    "122191 category_intrusion"
check "every line gave an audit alert" "$(jq -r 'select(.alert != true or
    (.rule.id | startswith("1221") | not)) | .full_log' "$T/alerts.json")" ""
check "as many alerts as findings" "$(wc -l < "$T/alerts.json")" \
    "$(wc -l < "$A")"
finish
