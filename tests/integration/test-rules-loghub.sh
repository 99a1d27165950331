#!/bin/sh
# The bundled ruleset (rules/) on real logs from loghub (see
# ../shared/data/README.md, "logs/"):
#  - loghub_OpenSSH_2k.log: the SSH brute-force rule fires for each of
#    the four loud sources the README names;
#  - loghub_Linux_2k.log: the SSH brute-force rule fires for
#    150.183.249.110 (old PAM "sshd(pam_unix)" lines), and the FTP
#    connection-burst rule for the three FTP burst sources;
#  - loghub_Apache_2k_error.log (a benign control): no alert above
#    level 5.
# Each file goes through one `mamori logtest --json` process.  logtest
# stamps every line with the time it reads it, so the frequency rules see
# the whole file as one moment; that is enough to show they count per
# source.  Also checked: the brute-force alerts carry category_attack,
# and no brute-force alert names an address that the log never shows
# failing.
. "$(dirname "$0")/lib.sh"

D=${MAMORI_SHARED:-}/data/logs
R=${MAMORI_SRC:?}/rules
if [ ! -f "$D/loghub_OpenSSH_2k.log" ]; then
	echo "no $D: skipped"
	exit 0
fi

SSH_BF=119001		# SSH brute force (0900-correlation_rules.xml)
FTP_BURST=119011	# FTP connection burst

run() {
	"$MAMORI" logtest --json --rules "$R" < "$D/$1" > "$T/$1.json" \
	    2> "$T/$1.err"
	check "$1: logtest exit" $? 0
	# (the files have no newline after their last line)
	check "$1: one result per line" "$(wc -l < "$T/$1.json")" \
	    "$(awk 'END { print NR }' "$D/$1")"
}

# sources RULE FILE: "count address" lines of the alerts of RULE.
sources() {
	jq -r --arg r "$1" 'select(.alert and .rule.id == $r) | .data.srcip' \
	    "$T/$2.json" | sort | uniq -c
}

# expect_source RULE FILE ADDRESS
expect_source() {
	n=$(sources "$1" "$2" | awk -v a="$3" '$2 == a { print $1 }')
	if [ -n "$n" ] && [ "$n" -gt 0 ]; then
		pass
		echo "$2: rule $1 fired $n times for $3"
	else
		fail "$2: rule $1 never fired for $3"
	fi
}

# --- OpenSSH: four brute-force sources. ---
f=loghub_OpenSSH_2k.log
run "$f"
for a in 183.62.140.253 187.141.143.180 103.99.0.122 112.95.230.3; do
	expect_source "$SSH_BF" "$f" "$a"
done
check "$f: brute-force alerts are attacks" "$(jq -r --arg r "$SSH_BF" \
    'select(.rule.id == $r) | (.rule.groups | index("category_attack") != null)' \
    "$T/$f.json" | sort -u)" true
# Every address the rule names must have failed in the log.
sources "$SSH_BF" "$f" | while read -r n a; do
	if ! grep -q "Failed [a-z]* for .* from $a \|Invalid user .* from $a\$\|Invalid user .* from $a\r" "$D/$f"; then
		echo "FAIL: $f: brute force reported for $a, which never failed" >&2
		echo x >> "$T/bad"
	fi
done
[ -f "$T/bad" ] && fail "$f: brute force for addresses without failures" || pass
# The single login in the log (119.137.62.142, a user's own) is no alert.
check "$f: the one Accepted line" "$(jq -r \
    'select(.full_log | test("Accepted password")) | .alert' "$T/$f.json")" false

# --- Linux: SSH guessing through old PAM, and FTP connection bursts. ---
f=loghub_Linux_2k.log
run "$f"
expect_source "$SSH_BF" "$f" 150.183.249.110
for a in 207.30.238.8 203.101.45.59 211.72.151.162; do
	expect_source "$FTP_BURST" "$f" "$a"
done
check "$f: FTP bursts are scans" "$(jq -r --arg r "$FTP_BURST" \
    'select(.rule.id == $r) | (.rule.groups | index("category_scan") != null)' \
    "$T/$f.json" | sort -u)" true
# The benign su sessions of cron and logrotate raise nothing.
check "$f: su sessions" "$(jq -r 'select(.full_log | test("su\\(pam_unix\\)")) | .alert' \
    "$T/$f.json" | sort -u)" false

# --- Apache error log: a control, nothing above level 5. ---
f=loghub_Apache_2k_error.log
run "$f"
high=$(jq -r 'select(.alert and .rule.level > 5) | "\(.rule.id) \(.rule.level) \(.full_log)"' \
    "$T/$f.json")
check "$f: alerts above level 5" "$high" ""
echo "$f: $(jq -r 'select(.alert) | .rule.id' "$T/$f.json" | wc -l) alerts (none above level 5 expected)"
finish
