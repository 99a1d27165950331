#!/bin/sh
# `mamori notify` along a contact plan, against real servers on loopback:
# an SMTP server (aiosmtpd) plain, and with STARTTLS and AUTH; a webhook
# receiver that answers 500 twice before it takes a POST.  Checks what
# arrived (envelope, To, Subject, body, JSON, signature), that a title
# made by an attacker never adds a header, and that failures (server
# down, wrong password, untrusted certificate) are recorded as failed in
# the notifications table and on the incident's timeline.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
HERE=$(dirname "$0")
if ! $PY -c 'import aiosmtpd' 2>/dev/null; then
	echo "FAIL: python3-aiosmtpd is missing (scripts/install-deps.sh --test)"
	exit 1
fi

# start NAME SCRIPT ARGS...: runs a helper until it says it is ready.
start() {
	name=$1
	shift
	rm -f "$T/$name.ready"
	$PY "$@" --ready "$T/$name.ready" >"$T/$name.log" 2>&1 &
	echo $! > "$T/$name.pid"
	i=0
	while [ ! -s "$T/$name.ready" ]; do
		if ! kill -0 "$(cat "$T/$name.pid")" 2>/dev/null || \
		    [ $i -ge 300 ]; then
			echo "FAIL: $name did not start:" >&2
			cat "$T/$name.log" >&2
			exit 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
}

stop() {
	kill "$(cat "$T/$1.pid")" 2>/dev/null
	wait "$(cat "$T/$1.pid")" 2>/dev/null
	rm -f "$T/$1.pid"
}

# mailpart FILE WHAT: a decoded part of a stored mail, read by Python's
# own email package (RFC 2047 words and quoted-printable undone).
mailpart() {
	$PY - "$1" "$2" <<'EOF'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"),
                                   policy=email.policy.default)
w = sys.argv[2]
if w == "body":
    sys.stdout.write(m.get_content())
elif w == "headers":
    print("\n".join(sorted(set(k.lower() for k in m.keys()))))
elif w == "defects":
    print(len(m.defects) + sum(len(p.defects) for p in m.walk()))
else:
    v = m.get_all(w)
    print("\n".join(str(x) for x in v) if v else "")
EOF
}

sql() {
	sqlite3 "$DATA/mamori.db" "$1"
}

mkdir -p "$T/plain" "$T/tls" "$T/hook"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" \
    -out "$T/cert.pem" -days 2 -subj /CN=localhost \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null
printf 'correct horse\n' > "$T/smtp.pw"
printf 'wrong\n' > "$T/wrong.pw"

P_PLAIN=$(free_port tcp)
start plain "$HERE/notify-smtpd.py" --port "$P_PLAIN" --dir "$T/plain"
P_TLS=$(free_port tcp)
start tls "$HERE/notify-smtpd.py" --port "$P_TLS" --dir "$T/tls" \
    --cert "$T/cert.pem" --key "$T/key.pem" --require-tls \
    --user mamori --password "correct horse"
P_HOOK=$(free_port tcp)
start hook "$HERE/notify-httpd.py" --port "$P_HOOK" --dir "$T/hook" \
    --fail 2 --secret hook-secret

# Incidents, as people report them; one title is then rewritten the way
# an attacker's log line could make it (CR LF and a header of theirs).
"$MAMORI" incident report --data "$DATA" --from abuse@example.net \
    --text "SSH brute force from 203.0.113.9 against web1" \
    --category attack --attacker 203.0.113.9 --victim web1 >/dev/null
check "report 1" $? 0
"$MAMORI" incident report --data "$DATA" --from soc@example.org \
    --text "研究室サーバからの情報漏えいの疑い" --category leak \
    --victim lab-nas >/dev/null
check "report 2" $? 0
"$MAMORI" incident report --data "$DATA" --from x@example.net \
    --text "placeholder" --category attack >/dev/null
check "report 3" $? 0
sql "UPDATE incidents SET title = 'login failed for user root' || \
    char(13, 10) || 'Bcc: victim@evil.example' || char(13, 10, 13, 10) || \
    'fake body' WHERE id = 3"

cat > "$T/plan.yaml" <<EOF
notify:
  from: "mamori CSIRT <csirt@example.ac.jp>"
  smtp:
    url: smtp://127.0.0.1:$P_PLAIN
    starttls: never
  console_url: https://mamori.example.ac.jp/
  attempts: 4
  retry_delay: 10ms
  retry_max: 50ms
  timeout: 10s
  contacts:
    - name: csirt
      role: csirt
      email: [csirt@example.ac.jp, soc@example.ac.jp]
      webhook: http://127.0.0.1:$P_HOOK/hooks/T0KEN-SECRET
      webhook_secret: hook-secret
    - name: board
      role: management
      email: cio@example.ac.jp
      lang: ja
    - name: jpcert
      role: external-csirt
      email: info@jpcert.example
  routes:
    - roles: [csirt]
    - categories: [leak, intrusion]
      min_impact: external
      roles: [management]
    - min_impact: infrastructure
      contacts: [jpcert]
EOF

# Dry run: shows, sends and records nothing.
out=$("$MAMORI" notify 1 --config "$T/plan.yaml" --data "$DATA" --dry-run)
check "dry run exit" $? 0
check_contains "dry run mail" "$out" \
    "mail to csirt <csirt@example.ac.jp, soc@example.ac.jp>: would send"
check_contains "dry run subject" "$out" \
    "Subject: [mamori #1] medium external attack: SSH brute force"
check "dry run sent nothing" "$(ls "$T/plain" | wc -l)" 0
check "dry run recorded nothing" "$(sql 'SELECT count(*) FROM notifications')" 0

# Incident 1 (an external attack): the CSIRT, by mail and webhook; the
# webhook answers 500 twice, then takes it.
out=$("$MAMORI" notify 1 --config "$T/plan.yaml" --data "$DATA" \
    --why "first look")
check "notify 1 exit" $? 0
check_contains "mail sent" "$out" \
    "mail to csirt <csirt@example.ac.jp, soc@example.ac.jp>: sent"
check_contains "webhook retried" "$out" \
    "webhook to csirt http://127.0.0.1:$P_HOOK/...: sent after 3 attempts"
case "$out" in *T0KEN-SECRET*) fail "webhook secret printed" ;; *) pass ;; esac
check "one mail" "$(ls "$T/plain"/*.eml | wc -l)" 1
m="$T/plain/0001.eml"
check "envelope from" "$(sed -n 's/^from //p' "$T/plain/0001.env")" \
    "csirt@example.ac.jp"
check "envelope rcpt" "$(grep -c '^rcpt ' "$T/plain/0001.env")" 2
check "no tls asked" "$(sed -n 's/^tls //p' "$T/plain/0001.env")" no
check "To" "$(mailpart "$m" To)" "csirt@example.ac.jp, soc@example.ac.jp"
check "From" "$(mailpart "$m" From)" "mamori CSIRT <csirt@example.ac.jp>"
check "Subject" "$(mailpart "$m" Subject)" \
    "[mamori #1] medium external attack: SSH brute force from 203.0.113.9 against web1"
check "Content-Type" "$(mailpart "$m" Content-Type)" "text/plain; charset=\"UTF-8\""
check "Content-Transfer-Encoding" "$(mailpart "$m" Content-Transfer-Encoding)" \
    quoted-printable
check_contains "Message-ID" "$(mailpart "$m" Message-ID)" "@example.ac.jp>"
check_contains "Date" "$(mailpart "$m" Date)" "+0000"
check "no defects" "$(mailpart "$m" defects)" 0
body=$(mailpart "$m" body)
check_contains "body title" "$body" \
    "Incident #1: SSH brute force from 203.0.113.9 against web1"
check_contains "body why" "$body" "Why you receive this: by hand ("
check_contains "body why text" "$body" "): first look"
check_contains "body category" "$body" "Category: attack (RSIT intrusion-attempts / exploit)"
check_contains "body impact" "$body" "Impact: external (affects outsiders)"
check_contains "body attackers" "$body" "Attackers: ip 203.0.113.9"
check_contains "body victims" "$body" "Victims: host web1"
check_contains "body reporter" "$body" "Reported by: abuse@example.net"
check_contains "body steps" "$body" "  1. Thank the reporter"
check_contains "body link" "$body" \
    "Console: https://mamori.example.ac.jp/incidents/1"
check "webhook requests" "$(wc -l < "$T/hook/requests.log")" 3
check "webhook statuses" "$(cut -d' ' -f1 "$T/hook/requests.log" | tr '\n' ' ')" \
    "500 500 200 "
check "webhook signed" "$(cut -d' ' -f3 "$T/hook/requests.log" | sort -u)" ok
check "webhook json type" "$(cut -d' ' -f4- "$T/hook/requests.log" | sort -u)" \
    "application/json; charset=utf-8"
j="$T/hook/0001.json"
check "webhook incident id" "$(jq -r .incident.id "$j")" 1
check "webhook category" "$(jq -r .incident.category "$j")" attack
check "webhook role" "$(jq -r .role "$j")" csirt
check_contains "webhook text" "$(jq -r .text "$j")" \
    "[mamori #1] medium external attack: SSH brute force"
check "recorded" "$(sql "SELECT group_concat(channel || ' ' || status || \
    ' ' || attempts, '; ') FROM notifications WHERE incident_id = 1")" \
    "mail sent 1; webhook sent 3"
check "no secret in the db" "$(sql "SELECT count(*) FROM notifications \
    WHERE target LIKE '%SECRET%'")" 0
check "timeline" "$(sql "SELECT group_concat(text, ' | ') FROM \
    incident_timeline WHERE incident_id = 1 AND kind = 'notify'")" \
    "mail to csirt <csirt@example.ac.jp, soc@example.ac.jp>: sent | webhook to csirt http://127.0.0.1:$P_HOOK/...: sent after 3 attempts"

# Incident 2 (an external leak, Japanese title): the CSIRT and the board,
# whose mail is in Japanese; the subject is RFC 2047-encoded.
out=$("$MAMORI" notify 2 --config "$T/plan.yaml" --data "$DATA")
check "notify 2 exit" $? 0
check_contains "board sent" "$out" "mail to board <cio@example.ac.jp>: sent"
check "three mails" "$(ls "$T/plain"/*.eml | wc -l)" 3
b=$(grep -l '^rcpt cio@example.ac.jp$' "$T/plain"/*.env | sed 's/env$/eml/')
check "board Subject" "$(mailpart "$b" Subject)" \
    "[mamori #2] medium external leak: 研究室サーバからの情報漏えいの疑い"
check_contains "raw subject encoded" "$(grep '^Subject:' "$b")" \
    "Subject: =?UTF-8?B?"
check_contains "board body in Japanese" "$(mailpart "$b" body)" \
    "影響範囲: external (組織外に影響 (不祥事))"
check "board no defects" "$(mailpart "$b" defects)" 0

# Incident 3: CR LF in the title never makes a header or a recipient.
out=$("$MAMORI" notify 3 --config "$T/plan.yaml" --data "$DATA" \
    --contact csirt)
check "notify 3 exit" $? 0
m=$(ls "$T/plain"/*.eml | tail -n 1)
check "injected Bcc" "$(mailpart "$m" Bcc)" ""
check "headers" "$(mailpart "$m" headers | tr '\n' ' ')" \
    "auto-submitted content-transfer-encoding content-type date from message-id mime-version subject to x-mamori-incident "
check "rcpts" "$(grep '^rcpt' "${m%.eml}.env" | tr '\n' ' ')" \
    "rcpt csirt@example.ac.jp rcpt soc@example.ac.jp "
check "subject one line" "$(mailpart "$m" Subject)" \
    "[mamori #3] medium external attack: login failed for user root Bcc: victim@evil.example fake body"
check "no defects 3" "$(mailpart "$m" defects)" 0

# STARTTLS and AUTH: the server wants both; mamori checks its
# certificate against the given CA.
cat > "$T/tls.yaml" <<EOF
notify:
  from: mamori@example.ac.jp
  smtp:
    url: smtp://127.0.0.1:$P_TLS
    username: mamori
    password_file: $T/smtp.pw
    ca: $T/cert.pem
  attempts: 2
  retry_delay: 10ms
  contacts:
    - name: admins
      role: administrators
      email: admins@example.ac.jp
  routes:
    - roles: [administrators]
EOF
out=$("$MAMORI" notify 1 --config "$T/tls.yaml" --data "$DATA")
check "tls exit" $? 0
check_contains "tls sent" "$out" "mail to admins <admins@example.ac.jp>: sent"
check "tls mail" "$(ls "$T/tls"/*.eml 2>/dev/null | wc -l)" 1
check "upgraded" "$(sed -n 's/^tls //p' "$T/tls/0001.env")" yes
check "authenticated" "$(sed -n 's/^auth //p' "$T/tls/0001.env")" mamori
check "tls To" "$(mailpart "$T/tls/0001.eml" To)" admins@example.ac.jp

# A wrong password: refused at once (no retry), recorded as failed.
sed "s|$T/smtp.pw|$T/wrong.pw|" "$T/tls.yaml" > "$T/wrongpw.yaml"
out=$("$MAMORI" notify 1 --config "$T/wrongpw.yaml" --data "$DATA")
check "wrong password exit" $? 1
check_contains "wrong password failed" "$out" \
    "mail to admins <admins@example.ac.jp>: failed after 1 attempt: smtp://127.0.0.1:$P_TLS: "
case "$out" in *"correct horse"*|*wrong*) fail "password printed" ;; *) pass ;; esac
check "still one tls mail" "$(ls "$T/tls"/*.eml | wc -l)" 1

# A certificate nobody vouches for (no ca:): not sent, and no password
# went out.
grep -v "ca: " "$T/tls.yaml" > "$T/noca.yaml"
out=$("$MAMORI" notify 1 --config "$T/noca.yaml" --data "$DATA")
check "untrusted exit" $? 1
check_contains "untrusted failed" "$out" \
    "mail to admins <admins@example.ac.jp>: failed after 1 attempt"
check "tls failures recorded" "$(sql "SELECT count(*) FROM notifications \
    WHERE contact = 'admins' AND status = 'failed' AND attempts = 1")" 2

# The mail server down: retried, then recorded as failed, with the
# reason, in the table and on the timeline.
stop plain
out=$("$MAMORI" notify 2 --config "$T/plan.yaml" --data "$DATA" \
    --contact board)
check "server down exit" $? 1
check_contains "server down failed" "$out" \
    "mail to board <cio@example.ac.jp>: failed after 4 attempts: smtp://127.0.0.1:$P_PLAIN: "
check "down recorded" "$(sql "SELECT status || ' ' || attempts FROM \
    notifications WHERE incident_id = 2 AND contact = 'board' ORDER BY id \
    DESC LIMIT 1")" "failed 4"
check_contains "down error kept" "$(sql "SELECT error FROM notifications \
    WHERE incident_id = 2 AND contact = 'board' ORDER BY id DESC LIMIT 1")" \
    "127.0.0.1"
check_contains "down on timeline" "$(sql "SELECT text FROM incident_timeline \
    WHERE incident_id = 2 AND kind = 'notify' ORDER BY id DESC LIMIT 1")" \
    "mail to board <cio@example.ac.jp>: failed after 4 attempts: "
check_contains "incident show lists it" \
    "$("$MAMORI" incident show 2 --data "$DATA")" "failed after 4 attempts"

# Wrong use.
out=$("$MAMORI" notify 99 --config "$T/plan.yaml" --data "$DATA" 2>&1)
check "no such incident exit" $? 2
check_contains "no such incident" "$out" "no incident #99"
out=$("$MAMORI" notify 1 --config "$T/plan.yaml" --data "$DATA" \
    --contact cisrt 2>&1)
check "no such contact exit" $? 2
check_contains "no such contact" "$out" "no contact 'cisrt' in the contact plan"
out=$("$MAMORI" notify 1 --data "$DATA" 2>&1)
check "no config exit" $? 2
check_contains "no config" "$out" "no contact plan: give --config FILE"
cat > "$T/bad.yaml" <<EOF
notify:
  contacts:
    - name: boss
      role: managment
      email: boss@example.ac.jp
EOF
out=$("$MAMORI" notify 1 --config "$T/bad.yaml" --data "$DATA" 2>&1)
check "bad plan exit" $? 2
check_contains "bad plan" "$out" \
    "$T/bad.yaml:4: setting 'notify.contacts[0].role': unknown role (did you mean 'management'?)"

stop tls
stop hook
finish
