#!/bin/sh
# The bundled ruleset (rules/) against fail2ban's labelled log samples:
# every "match": true line of the named files raises an alert whose
# groups name the file's incident category, and no "match": false line
# raises one.  All lines of a file go through one `mamori logtest --json`
# process in file order (so frequency rules may fire on later lines; a
# "match": false line must still not alert).
#
# fail2ban labels lines for its own state machine and for modes other
# than the default one (ddos, extra, aggressive, errors).  A label that
# a stateless, single-line analyser cannot honour is listed below in
# EXCEPTIONS with its reason; everything else must agree.  The listed
# lines are still analysed and counted.
#
# Also checked: every rule that can raise an alert (level >= 1 and not
# <options>no_log</options>) names exactly one incident category group.
. "$(dirname "$0")/lib.sh"

D=${MAMORI_SHARED:-}/data/logs/fail2ban
R=${MAMORI_SRC:?}/rules
if [ ! -d "$D" ]; then
	echo "no $D: skipped"
	exit 0
fi

# file  expected category of its "match": true lines (the first twelve
# are the issue's; the others are the remaining samples of services the
# ruleset covers)
FILES='
sshd attack
dropbear attack
vsftpd attack
proftpd attack
apache-auth attack
nginx-http-auth attack
apache-botsearch scan
apache-noscript scan
apache-shellshock attack
postfix spam
sendmail-reject spam
exim-spam spam
wuftpd attack
apache-overflows attack
nginx-botsearch scan
nginx-limit-req dos
portsentry scan
scanlogd scan
'

# Lines whose expected category differs from their file's (an awk
# regular expression on the line, then the category), with the reason:
#  - postfix: SMTP AUTH password guessing is an attack, not spam;
#  - sshd: clients that never speak SSH properly (no identification
#    string, bad protocol version, failed key exchange, banner garbage,
#    login grace timeout) or reset the connection before authenticating
#    are port scanners and banner grabbers;
#  - apache-overflows: a request with a method that is no HTTP method
#    (an SMTP command, a TLS hello) comes from a probe, not an exploit;
#  - postfix, sendmail-reject: a client that leaves without mail (fail2ban
#    ddos/extra modes) is a probe;
#  - nginx-http-auth: a TLS handshake on garbage (fail2ban fallback mode)
#    is a probe, not a password failure.
OVERRIDES='
postfix	SASL [A-Za-z0-9-]+ authentication failed|auth=0/	attack
sshd	Did not receive identification string|Bad protocol version identification|kex_exchange_identification|banner exchange|ssh_dispatch_run_fatal|Unable to negotiate|no matching [a-z ]+ found: client|Timeout before authentication|Read from socket failed: Connection reset by peer|(Connection reset by|Disconnected from) [0-9a-fA-F:.]+( port [0-9]+)? \[preauth\]	scan
apache-overflows	Invalid method in request	scan
postfix	lost connection after (CONNECT|EHLO|HELO|STARTTLS|UNKNOWN) from|HANGUP after 	scan
sendmail-reject	did not issue MAIL/EXPN/VRFY/ETRN|lost input channel from 	scan
nginx-http-auth	SSL_(do_handshake|read)\(\) failed	scan
'

# file:line (of the fail2ban file) and why its label is not binding.
# Nearly all are labels that hold only in fail2ban modes other than the
# default one (ddos, extra, aggressive, errors, fallback) or that need
# fail2ban's multi-line state; mamori counts most of these lines towards
# a frequency rule (building blocks) instead of alerting on each.
EXCEPTIONS='
sshd:173	true; the same message is labelled false at 180 and 185 (fail2ban counts it on a later line of the session); not alerting on it keeps those quiet
sshd:177	true; aggressive mode only (the same line is labelled false at 175)
sshd:182	true; multi-line: the failure is the "Too many authentication failures" line before it (same pid); the disconnect alone is no failure (compare 175)
sshd:203	true; as 173 (the same line is labelled false at 180 and 185)
sshd:208	true; as 173 (the same message, without the user name, is labelled false at 180 and 185)
sshd:224	true; aggressive mode only ("Connection closed ... [preauth]" after a PAM failure that sshd did not report itself)
sshd:250	true; needs per-user state: a second user tried from the same address; PAM failure lines repeat the ones of sshd and are not counted
sshd:252	true; needs per-user state: fail2ban flags a success for another user than the failed ones
sshd:262	true; needs per-user state: fail2ban flags a success for another user than the failed ones
sshd:324	true; DDOS; the line names no client and is labelled false at 352
sshd:339	true; DDOS; the same message is labelled false at 175 (a client that ran out of keys)
sshd:341	true; as 339
sshd:354	true; DDOS (the failure is the kex_exchange_identification line before it)
sshd:407	true; EXTRA (the same message is labelled false at 271)
apache-auth:146	true; aggressive mode only: mod_evasive (the same line is labelled false at 138); mamori counts it towards the HTTP flood rule
apache-noscript:20	true; php-fpm does not name the missing script; one missing script is a building block of the web scan rule (apache-botsearch labels a missing forum/mail.php false)
apache-noscript:22	true; as 20
postfix:82	false; errors mode only: the same message is labelled true in normal mode (line 68)
postfix:152	true; aggressive mode only (the same line is labelled false at 147): an unsupported mechanism is no wrong password
postfix:158	true; aggressive mode only: a client whose reverse DNS does not resolve is common and no attack
'
# Abbreviations used above.
#   MULTI  multi-line: the client address is only on an earlier line of the session; mamori does not alert on a line that names no client
#   DDOS   fail2ban ddos mode only: a pre-authentication disconnect whose message fail2ban labels false elsewhere, counted by mamori towards SSH probing or brute force (building block) but not an alert alone
#   EXTRA  fail2ban extra/aggressive mode only

# The category groups, as in DESIGN.md.
CATS='category_infection category_backdoor category_dos category_scan
category_attack category_intrusion category_tampering category_leak
category_passive_attack category_piracy category_spam category_spoofing
category_defamation category_physical'

# --- Static check: one category per alerting rule. ---
# The rule files are written one element per line (see rules/README.md).
for f in "$R"/*_rules.xml; do
	awk -v file="$(basename "$f")" -v cats="$CATS" '
	BEGIN { n = split(cats, c, /[ \n]+/); for (i = 1; i <= n; i++) iscat[c[i]] = 1 }
	/<group name="/ { match($0, /name="[^"]*"/); gname = substr($0, RSTART + 6, RLENGTH - 7) }
	/<rule / {
		inrule = 1; nolog = 0; groups = gname
		match($0, /id="[0-9]+"/); id = substr($0, RSTART + 4, RLENGTH - 5)
		match($0, /level="[0-9]+"/); level = substr($0, RSTART + 7, RLENGTH - 8) + 0
	}
	inrule && /<options>no_log<\/options>/ { nolog = 1 }
	inrule && /<group>/ { g = $0; sub(/.*<group>/, "", g); sub(/<\/group>.*/, "", g); groups = groups g }
	/<\/rule>/ {
		inrule = 0
		k = split(groups, gs, ","); nc = 0
		for (i = 1; i <= k; i++) if (gs[i] in iscat) nc++
		if (level >= 1 && !nolog && nc != 1)
			printf "%s: rule %s (level %d) names %d categories\n", file, id, level, nc
		if (level == 0 && nc != 0)
			printf "%s: rule %s (level 0) names a category\n", file, id
		nrules++
	}
	END { printf "#rules %d\n", nrules }' "$f"
done > "$T/static.txt"
nrules=$(awk '/^#rules/ { n += $2 } END { print n + 0 }' "$T/static.txt")
grep -v '^#rules' "$T/static.txt" > "$T/static.bad"
if [ -s "$T/static.bad" ]; then
	fail "category groups: $(cat "$T/static.bad")"
else
	pass
fi
[ "$nrules" -gt 100 ] || fail "only $nrules rules found in $R"

# --- The labelled lines. ---
# key <TAB> the label it names (true|false)
printf '%s\n' "$EXCEPTIONS" | sed -n 's/^\([a-z0-9-]*:[0-9]*\)	\(true\|false\);.*/\1	\2/p' \
    > "$T/exc.txt"
printf '%s\n' "$OVERRIDES" | grep . > "$T/ovr.txt"

printf '%s\n' "$FILES" | while read -r name cat; do
	[ -n "$name" ] || continue
	f="$D/$name.log"
	if [ ! -f "$f" ]; then
		echo "FAIL: $f missing" >&2
		echo fail >> "$T/status"
		continue
	fi
	# lineno <TAB> true|false <TAB> line: the line after each failJSON.
	awk '
	want { printf "%d\t%s\t%s\n", NR, label, $0; want = 0; next }
	/^# failJSON:/ {
		if ($0 ~ /"match": *true/) label = "true"
		else if ($0 ~ /"match": *false/) label = "false"
		else next
		want = 1
	}' "$f" > "$T/$name.tsv"
	cut -f3- "$T/$name.tsv" > "$T/$name.in"
	"$MAMORI" logtest --json --rules "$R" < "$T/$name.in" > "$T/$name.out" \
	    2> "$T/$name.err" || echo "FAIL: $name: logtest exit $?" >&2
	jq -r '[(.alert | tostring), ((.rule.groups // []) | join(",")),
	    (.rule.id // "-")] | join("\t")' "$T/$name.out" > "$T/$name.res"
	if [ "$(wc -l < "$T/$name.res")" -ne "$(wc -l < "$T/$name.tsv")" ]; then
		echo "FAIL: $name: $(wc -l < "$T/$name.tsv") lines in," \
		    "$(wc -l < "$T/$name.res") results out" >&2
		echo fail >> "$T/status"
		continue
	fi
	paste "$T/$name.res" "$T/$name.tsv" | awk -F '\t' -v name="$name" \
	    -v cat="$cat" -v excf="$T/exc.txt" -v ovrf="$T/ovr.txt" '
	BEGIN {
		while ((getline l < excf) > 0) { split(l, e, "\t"); exc[e[1]] = e[2] }
		while ((getline l < ovrf) > 0) {
			split(l, o, "\t")
			if (o[1] == name) { no++; ore[no] = o[2]; ocat[no] = o[3] }
		}
	}
	{
		alert = $1; groups = "," $2 ","; rule = $3; line = $4
		label = $5; text = $6
		for (i = 7; i <= NF; i++) text = text "\t" $i
		want = cat
		for (i = 1; i <= no; i++) if (text ~ ore[i]) { want = ocat[i]; break }
		key = name ":" line
		if (key in exc) {
			listed++
			seen[key] = 1
			if (exc[key] != label)
				printf "FAIL: exception %s says %s, the file says %s\n", key, exc[key], label
			if (alert == "true")
				listed_alert++
			if (label == "true" && alert == "true" && index(groups, ",category_" want ",") == 0)
				printf "FAIL: %s:%d: listed line alerts with rule %s but groups %s lack category_%s\n", name, line, rule, $2, want
			next
		}
		if (label == "true") {
			nt++
			if (alert != "true")
				printf "FAIL: %s:%d: match:true line does not alert (rule %s): %s\n", name, line, rule, text
			else if (index(groups, ",category_" want ",") == 0)
				printf "FAIL: %s:%d: rule %s groups %s lack category_%s: %s\n", name, line, rule, $2, want, text
			else
				okt++
		} else {
			nf++
			if (alert == "true")
				printf "FAIL: %s:%d: match:false line alerts (rule %s): %s\n", name, line, rule, text
			else
				okf++
		}
	}
	END {
		for (k in exc) if (index(k, name ":") == 1 && !(k in seen))
			printf "FAIL: exception %s names no labelled line\n", k
		printf "%-18s match:true %3d/%-3d alert   match:false %3d/%-3d quiet   listed %d (%d alert)\n", name, okt, nt, okf, nf, listed, listed_alert
	}' > "$T/$name.report"
	grep -v '^FAIL' "$T/$name.report"
	if grep '^FAIL' "$T/$name.report" >&2; then
		echo fail >> "$T/status"
	fi
	cat "$T/$name.report" >> "$T/all.report"
done

if [ -f "$T/status" ]; then
	fail "fail2ban samples: $(grep -c '^FAIL' "$T/all.report" 2>/dev/null || echo some) mismatches"
else
	pass
fi
echo "rules checked: $nrules"
finish
