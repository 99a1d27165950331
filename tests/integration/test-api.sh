#!/bin/sh
# The console's JSON API (docs/api.md) against a real server: every route
# the document lists answers 401 without a login, 403 to a role below
# its own, 403 to a cookie session without the CSRF token, and the
# documented JSON to a valid call; the security headers on every
# response; the first start's admin password, printed once; logout;
# session expiry; the login rate limit per user and per address; API
# tokens; live updates (an alert and an incident on the event stream
# after logger sends attack lines); blocks (dry run), notification (a
# real webhook), exports; https; and, as root in a network namespace of
# its own, a real block made from the console by the one thread that
# keeps CAP_NET_ADMIN while the request threads hold no capability.
. "$(dirname "$0")/lib.sh"

for tool in curl jq logger openssl; do
	command -v $tool >/dev/null 2>&1 || {
		echo "FAIL: $tool missing (scripts/install-deps.sh --test)"
		exit 1
	}
done
DOC="$MAMORI_SRC/docs/api.md"
PY=/usr/bin/python3
HERE=$(dirname "$0")

tport=$(free_port tcp)
hport=$(free_port tcp)
while [ "$hport" = "$tport" ]; do hport=$(free_port tcp); done
B="http://127.0.0.1:$hport/api/v1"

# A webhook receiver on loopback, for POST /incidents/{id}/notify.
mkdir -p "$T/hook"
P_HOOK=$(free_port tcp)
$PY "$HERE/notify-httpd.py" --port "$P_HOOK" --dir "$T/hook" \
    --ready "$T/hook.ready" > "$T/hook.log" 2>&1 &
echo $! > "$T/hook.pid"
i=0
while [ ! -s "$T/hook.ready" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -s "$T/hook.ready" ] || { cat "$T/hook.log"; exit 1; }

cat > "$T/mamori.yaml" <<EOF
respond:
  dry_run: true
notify:
  from: "mamori <mamori@example.org>"
  contacts:
    - name: csirt
      role: csirt
      webhook: http://127.0.0.1:$P_HOOK/secret-path
  routes:
    - roles: [csirt]
      min_impact: infrastructure
EOF

start_server --config "$T/mamori.yaml" --listen "tcp://127.0.0.1:$tport" \
    --listen "http://127.0.0.1:$hport" || exit 1

# ---- helpers ----

# call METHOD PATH [BODY]: the request with $JAR (cookie file), $CSRF and
# $AUTH (a bearer token) when set; status in $code, body in $T/body,
# headers in $T/headers.
JAR= CSRF= AUTH= FROM=
call() {
	m=$1
	p=$2
	data=${3:-}
	set -- -s -o "$T/body" -D "$T/headers" -w '%{http_code}' -X "$m"
	[ -n "$JAR" ] && set -- "$@" -b "$JAR" -c "$JAR"
	[ -n "$CSRF" ] && set -- "$@" -H "X-CSRF-Token: $CSRF"
	[ -n "$AUTH" ] && set -- "$@" -H "Authorization: Bearer $AUTH"
	[ -n "$FROM" ] && set -- "$@" --interface "$FROM"
	[ -n "$data" ] && set -- "$@" -H 'Content-Type: application/json' \
	    --data-binary "$data"
	code=$(curl "$@" "$B$p")
}
body() { jq -r "$1" "$T/body"; }
header() {
	tr -d '\r' < "$T/headers" | grep -i "^$1:" | head -1 |
	    sed 's/^[^:]*: //'
}
# login USER PASSWORD JARFILE: a session in JARFILE; its CSRF token in
# $CSRF.
login() {
	JAR=$3 CSRF= AUTH=
	rm -f "$3"
	call POST /login "{\"user\":\"$1\",\"password\":\"$2\"}"
	CSRF=$(body .csrf)
	echo "$CSRF" > "$3.csrf"
}
as() {		# as JARFILE: switch to that session
	JAR=$1 AUTH=
	CSRF=$(cat "$1.csrf")
}

# ---- the first start ----

ADMINPW=$(sed -n "s/.*created user 'admin' with password \([^ ]*\) .*/\1/p" \
    "$SERVER_LOG")
check "first start: one admin password printed" \
    "$(grep -c "created user 'admin' with password" "$SERVER_LOG")" 1
[ ${#ADMINPW} -ge 16 ]
check "the password is long" "$?" 0
check_contains "the console's URL printed" "$(cat "$SERVER_LOG")" \
    "open the console: http://127.0.0.1:$hport/"

# ---- security headers, static files ----

CSP="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
check_headers() {	# check_headers WHAT API
	check "$1: CSP" "$(header Content-Security-Policy)" "$CSP"
	check "$1: nosniff" "$(header X-Content-Type-Options)" nosniff
	check "$1: referrer" "$(header Referrer-Policy)" no-referrer
	check "$1: frames" "$(header X-Frame-Options)" DENY
	[ "$2" = 1 ] && check "$1: no-store" "$(header Cache-Control)" no-store
}
code=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' \
    "http://127.0.0.1:$hport/")
check "GET / serves the console" "$code" 200
check_contains "GET / is index.html" "$(header Content-Type)" "text/html"
check_headers "GET /" 0
etag=$(header ETag)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" \
    "http://127.0.0.1:$hport/")
check "GET / with its ETag" "$code" 304
code=$(curl -s -o /dev/null -D "$T/headers" -w '%{http_code}' \
    "http://127.0.0.1:$hport/no-such-file.js")
check "unknown file" "$code" 404
check_headers "404" 0
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$hport/%2e%2e/etc/passwd")
check "no way out of the console" "$code" 404
call GET /session
check_headers "GET /session" 1

# ---- every documented route: 401 without a login ----

awk '/^### (GET|POST|DELETE) \// {
	m = $2; p = $3; getline; getline
	role = $2; sub(/\.$/, "", role)
	print m, p, role, ($0 ~ /CSRF\./) ? "csrf" : "-"
}' "$DOC" > "$T/routes"
check "docs/api.md lists the routes" "$(wc -l < "$T/routes" |
    tr -d ' ')" 31
fill() {	# a path with its parameters filled in
	echo "$1" | sed 's/{id}/1/; s/{n}/1/; s/{name}/nobody/; s/{addr}/192.0.2.1/'
}
n=0
while read -r m p role csrf; do
	[ "$role" = none ] && continue
	JAR= CSRF= AUTH=
	call "$m" "$(fill "$p")" '{}'
	check "$m $p without a login" "$code" 401
	check "$m $p without a login: error" "$(body .error |
	    grep -c 'not logged in')" 1
	n=$((n + 1))
done < "$T/routes"
check "routes checked without a login" "$n" 30

# ---- sessions for three roles ----

login admin "$ADMINPW" "$T/admin.jar"
check "admin logs in" "$code" 200
echo "$CSRF" > "$T/admin.jar.csrf"
check "login: user" "$(body .user)" admin
check "login: role" "$(body .role)" admin
check "login: csrf" "$(body '.csrf | length')" 43
check "login: auth" "$(body .auth)" session
[ "$(body .expires)" != null ]
check "login: expires" "$?" 0
cookie=$(header Set-Cookie)
check_contains "cookie HttpOnly" "$cookie" "HttpOnly"
check_contains "cookie SameSite=Strict" "$cookie" "SameSite=Strict"
check_contains "cookie Path" "$cookie" "Path=/"
case "$cookie" in *Secure*) fail "Secure cookie over http" ;; *) pass ;; esac

for u in viewer1:viewer resp1:responder admin2:admin; do
	as "$T/admin.jar"
	call POST /users "{\"name\":\"${u%%:*}\",\"role\":\"${u#*:}\",\"password\":\"${u%%:*}-password\"}"
	check "add ${u%%:*}" "$code" 201
	check "add ${u%%:*}: role" "$(body .role)" "${u#*:}"
	login "${u%%:*}" "${u%%:*}-password" "$T/${u%%:*}.jar"
	check "${u%%:*} logs in" "$code" 200
	echo "$CSRF" > "$T/${u%%:*}.jar.csrf"
done

# ---- 403 below a route's role, and without the CSRF token ----

rank() { case $1 in viewer) echo 1 ;; responder) echo 2 ;; admin) echo 3 ;;
    *) echo 0 ;; esac; }
nv=0
nr=0
nc=0
while read -r m p role csrf; do
	[ "$role" = none ] && continue
	if [ "$(rank "$role")" -gt 1 ]; then
		as "$T/viewer1.jar"
		call "$m" "$(fill "$p")" '{}'
		check "$m $p as viewer" "$code" 403
		check_contains "$m $p as viewer: says the role" \
		    "$(body .error)" "needs the $role role"
		nv=$((nv + 1))
	fi
	if [ "$(rank "$role")" -gt 2 ]; then
		as "$T/resp1.jar"
		call "$m" "$(fill "$p")" '{}'
		check "$m $p as responder" "$code" 403
		nr=$((nr + 1))
	fi
	if [ "$csrf" = csrf ]; then
		as "$T/admin2.jar"
		CSRF=
		call "$m" "$(fill "$p")" '{}'
		check "$m $p without CSRF" "$code" 403
		check_contains "$m $p without CSRF: says so" "$(body .error)" \
		    "X-CSRF-Token"
		CSRF=wrong-token-of-the-right-length-0123456789ab
		call "$m" "$(fill "$p")" '{}'
		check "$m $p with a wrong CSRF token" "$code" 403
		nc=$((nc + 1))
	fi
done < "$T/routes"
check "routes checked below their role (viewer)" "$nv" 13
check "routes checked below their role (responder)" "$nr" 4
check "routes checked without CSRF" "$nc" 15

# ---- live updates and an incident from attack lines ----

as "$T/viewer1.jar"
curl -sN -b "$T/viewer1.jar" "$B/events" > "$T/events" 2>&1 &
echo $! > "$T/events.pid"
i=0
while ! grep -q '^: mamori' "$T/events" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "the event stream opens" "$(head -1 "$T/events")" "retry: 5000"
for k in 1 2 3 4 5 6 7 8 9 10; do
	logger -n 127.0.0.1 -P "$tport" -T --rfc5424 -t sshd -p auth.notice \
	    "Failed password for root from 203.0.113.77 port $((40000 + k)) ssh2"
done
as "$T/resp1.jar"
i=0
while [ $i -lt 150 ]; do
	call GET "/incidents?q=203.0.113.77&status=open"
	[ "$(body '.incidents | length')" -ge 1 ] 2>/dev/null && break
	sleep 0.2
	i=$((i + 1))
done
check "GET /incidents: the attack's incident" "$code" 200
ID=$(body '.incidents[0].id')
check "incident summary: attacker" "$(body '.incidents[0].attackers[0].value')" \
    203.0.113.77
check "incident summary: no timeline" "$(body '.incidents[0].timeline | length')" 0
check "incident summary: steps" "$([ "$(body '.incidents[0].steps | length')" -gt 0 ] &&
    echo yes)" yes
i=0
while [ $i -lt 100 ] && ! { grep -q '^event: incident' "$T/events" &&
    grep -q '203.0.113.77' "$T/events"; }; do
	sleep 0.1
	i=$((i + 1))
done
grep -A1 '^event: alert' "$T/events" | grep '^data:' | sed 's/^data: //' \
    > "$T/events.alerts"
check_contains "stream: an alert" "$(cat "$T/events.alerts")" \
    '"srcip":"203.0.113.77"'
check "stream: alerts are JSON" "$(jq -r .rule_id "$T/events.alerts" |
    grep -vc '^[0-9][0-9]*$')" 0
check_contains "stream: the incident" "$(grep -A1 '^event: incident' \
    "$T/events")" "\"id\":$ID"

# ---- the documented JSON ----

call GET /session
check "GET /session" "$code" 200
check "GET /session: user" "$(body .user)" resp1
check "GET /session: csrf" "$(body .csrf)" "$CSRF"

call GET /overview
check "GET /overview" "$code" 200
check "overview: events per second, a minute each" \
    "$(body '.events_per_second | length')" 60
check "overview: alerts by level, an hour each" \
    "$(body '.alerts_by_level | length')" 24
check "overview: level bands" "$(body '.alerts_by_level[23] | keys | join(",")')" \
    "critical,high,low,medium,t"
check "overview: alerts counted" "$(body '[.alerts_by_level[] |
    .low, .medium, .high, .critical] | add > 0')" true
check "overview: open incidents" "$(body '.incidents_open.total >= 1')" true
check "overview: by category" "$(body '.incidents_open.by_category | length > 0')" true
check "overview: hosts" "$(body '.hosts | keys | join(",")')" \
    "clock_offset,silent"
check "overview: log listeners only" "$(body '[.listeners[].url] | join(",")')" \
    "tcp://127.0.0.1:$tport"
check "overview: listener counts" "$(body '.listeners[0] | has("received") and
    has("stored") and has("dropped") and has("lost") and has("active")')" true
check "overview: queues" "$(body '.queues[0] | has("name") and has("depth") and
    has("capacity")')" true
check "overview: events counted" "$(body '[.events_per_second[].n] | add > 0')" true

call GET "/alerts?srcip=203.0.113.77&limit=3"
check "GET /alerts" "$code" 200
check "alert fields" "$(body '.alerts[0] | keys | join(",")')" \
    "description,groups,host,id,level,log_seq,rule_id,srcip,time,user"
check "alert srcip" "$(body '.alerts[0].srcip')" 203.0.113.77
check "alert groups" "$(body '.alerts[0].groups | type')" array
check "alert log_seq" "$(body '.alerts[0].log_seq | type')" number
next=$(body .next)
first=$(body '.alerts[0].id')
call GET "/alerts?srcip=203.0.113.77&limit=3&before=$next"
check "alerts: next page" "$(body "[.alerts[].id] | all(. < $next)")" true
[ "$first" -gt "$next" ]
check "alerts: newest first" "$?" 0
call GET "/alerts?q=203.0.113.77&level=1"
check "alerts: text search" "$(body '[.alerts[].srcip] | unique | join(",")')" \
    203.0.113.77
call GET "/alerts?group=srcip"
check "alerts grouped" "$(body '.groups[0] | keys | join(",")')" \
    "count,description,key,last,max_level"
check "alerts grouped by srcip" "$(body '[.groups[].key] | index("203.0.113.77") != null')" \
    true
call GET "/alerts?group=rule&limit=2"
check "alerts grouped by rule" "$(body '.groups | length')" 2
call GET "/alerts?level=x"
check "alerts: bad level" "$code" 400
check_contains "alerts: bad level names it" "$(body .error)" "'level'"
call GET "/alerts?since=yesterday-ish"
check "alerts: bad time" "$code" 400

call GET "/incidents/$ID"
check "GET /incidents/{id}" "$code" 200
check "incident fields" "$(body 'keys | join(",")')" \
    "alert_count,alerts,assignee,attackers,category,created,evidence,first_seen,id,impact,last_seen,merged_into,playbook,reporter,rsit,severity,source,status,steps,summary,timeline,title,updated,victims"
check "incident: alerts" "$(body '.alerts | length > 0')" true
call GET /incidents/999999
check "no such incident" "$code" 404
call GET /incidents/abc
check "not an incident id" "$code" 404
call GET "/incidents?status=open&limit=1"
check "incidents: open" "$(body '.incidents | length')" 1
call GET "/incidents?status=bogus"
check "incidents: bad status" "$code" 400
call GET "/incidents/$ID/logs"
check "GET /incidents/{id}/logs" "$code" 200
check_contains "incident logs are its lines" "$(body '.records[0].message')" \
    "Failed password for root from 203.0.113.77"
check "incident logs: fields" "$(body '.records[0] | has("seq") and
    has("received") and has("host") and has("app") and has("raw")')" true

call POST "/incidents/$ID/status" '{"status":"triage","note":"looking"}'
check "POST status" "$code" 200
check "status changed" "$(body .status)" triage
check "status on the timeline" "$(body '.timeline[-1] | .who + " " + .kind')" \
    "resp1 status"
call POST "/incidents/$ID/status" '{"status":"solved"}'
check "bad status" "$code" 400
check_contains "bad status names the field" "$(body .error)" "'status'"
call POST "/incidents/$ID/assign" '{"user":"resp1"}'
check "POST assign" "$(body .assignee)" resp1
call POST "/incidents/$ID/assign" '{"user":"nobody"}'
check "assign: no such user" "$code" 400
call POST "/incidents/$ID/assign" '{"user":null}'
check "assign: nobody" "$(body .assignee)" null
XSS='<script>alert(1)</script><img src=x onerror=alert(2)>'
call POST "/incidents/$ID/notes" "{\"text\":\"$XSS\"}"
check "POST notes" "$code" 200
check "a note is text, as sent" "$(body '.timeline[-1].text')" "$XSS"
check "notes: JSON" "$(header Content-Type)" "application/json; charset=utf-8"
call POST "/incidents/$ID/steps/1" '{"done":true,"note":"done it"}'
check "POST steps/1 done" "$(body '.steps[0].state + " " + .steps[0].who')" \
    "done resp1"
call POST "/incidents/$ID/steps/1" '{"done":false}'
check "POST steps/1 undone" "$(body '.steps[0].state')" open
call POST "/incidents/$ID/steps/999" '{"done":true}'
check "no such step" "$code" 404
call POST "/incidents/$ID/steps/1" '{}'
check "step: done is required" "$code" 400
hooks=$(ls "$T/hook" | grep -c '\.json$')
call POST "/incidents/$ID/notify" '{}'
check "POST notify" "$code" 200
check "notify on the timeline" "$(body '.timeline[-1].text')" \
    "notification requested (the contacts of the routes)"
call POST "/incidents/$ID/notify" '{"contact":"csirt"}'
check "POST notify a contact" "$code" 200
call POST "/incidents/$ID/notify" '{"contact":"nobody"}'
check "notify: no such contact" "$code" 400
i=0
while [ "$(ls "$T/hook" | grep -c '\.json$')" -lt $((hooks + 1)) ] &&
    [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
check_contains "the webhook heard of it" "$(cat "$T/hook"/*.json)" \
    "\"id\":$ID"

call POST "/incidents/$ID/block" '{"address":"203.0.113.77","duration":"1h","reason":"brute force"}'
check "POST block (dry run)" "$code" 200
check_contains "block on the timeline" "$(body '[.timeline[] |
    select(.kind == "block") | .text] | join(" ")')" "203.0.113.77"
call GET /blocks
check "GET /blocks" "$code" 200
check "blocks: the block" "$(body '.blocks[] | select(.addr == "203.0.113.77") |
    [.dry_run, .timeout_s, .who, .reason, .incident] | map(tostring) | join(" ")')" \
    "true 3600 resp1 brute force $ID"
check "blocks: dry run" "$(body .dry_run)" true
call POST /blocks '{"address":"2001:db8::/64","duration":600}'
check "POST /blocks" "$code" 200
check "POST /blocks: fields" "$(body '[.addr, .outcome, .duration_s] |
    map(tostring) | join(" ")')" "2001:db8::/64 blocked 600"
call POST /blocks '{"address":"127.0.0.1"}'
check "block the server itself: refused" "$code" 409
call POST /blocks '{"address":"192.0.2.7/24"}'
check "block with host bits: refused" "$code" 400
check_contains "says which prefix" "$(body .error)" "192.0.2.0/24"
call POST /blocks '{"address":"192.0.2.8","duration":"soon"}'
check "block: bad duration" "$code" 400
call POST /blocks '{"address":"192.0.2.8","incident":999999}'
check "block: no such incident" "$code" 404
call DELETE "/blocks/2001%3Adb8%3A%3A%2F64"
check "DELETE /blocks/{prefix}" "$code" 204
call DELETE /blocks/203.0.113.77
check "DELETE /blocks/{addr}" "$code" 204
call DELETE /blocks/203.0.113.77
check "DELETE a block not in force" "$code" 404
call GET /blocks
check "no blocks left" "$(body '.blocks | length')" 0

call GET "/incidents/$ID/export?format=iodef"
check "GET export iodef" "$code" 200
check "export: XML" "$(header Content-Type)" "application/xml; charset=utf-8"
check "export: attachment" "$(header Content-Disposition)" \
    "attachment; filename=\"incident-$ID.xml\""
check_contains "export: IODEF" "$(head -c 200 "$T/body")" "<IODEF-Document"
call GET "/incidents/$ID/export?format=md"
check "export md" "$(header Content-Type)" "text/markdown; charset=utf-8"
call GET "/incidents/$ID/export?format=json"
check "export json" "$(body .id)" "$ID"
call GET "/incidents/$ID/export?format=pdf"
check "export: unknown format" "$code" 400

call GET "/logs?limit=2"
check "GET /logs" "$code" 200
check "logs: a page" "$(body '.records | length')" 2
check "logs: newest first" "$(body '.records[0].seq > .records[1].seq')" true
cursor=$(body .next)
last=$(body '.records[1].seq')
check "logs: next is the cursor" "$cursor" "$last"
call GET "/logs?limit=2&cursor=$cursor"
check "logs: the page after" "$(body ".records[0].seq < $last")" true
call GET "/logs?q=203.0.113.77&limit=1000"
check "logs: search" "$(body '[.records[].message | contains("203.0.113.77")] |
    all')" true
check "logs: every match" "$(body '.records | length')" 10
host=$(body '.records[0].host')
call GET "/logs?q=port%204000%5B1-3%5D&regex=1"
check "logs: regex" "$(body '.records | length')" 3
call GET "/logs?q=%5B&regex=1"
check "logs: bad regex" "$code" 400
check_contains "logs: bad regex says where" "$(body .error)" "offset"
call GET "/logs?severity=notice&host=$host&app=sshd&since=-1h&limit=1000"
check "logs: filters" "$(body '[.records[] | select(.message |
    contains("203.0.113.77"))] | length')" 10
check "logs: filters hold" "$(body '[.records[] | select(.app != "sshd")] |
    length')" 0
call GET "/logs?limit=1001"
check "logs: limit at most 1000" "$code" 400

# The server saves what it knows of hosts every 5 seconds.
i=0
while [ $i -lt 100 ]; do
	call GET /hosts
	[ "$(body '.hosts | length')" -gt 0 ] && break
	sleep 0.2
	i=$((i + 1))
done
check "GET /hosts" "$code" 200
check "hosts: fields" "$(body '.hosts[0] | keys | join(",")')" \
    "address,clock_offset_s,first_seen,last_seen,messages,name"
check "hosts: agents and findings" "$(body '[.agents, .findings] | map(type) |
    join(",")')" "array,array"
call GET /rules
check "GET /rules" "$(body '.rules > 100 and .decoders > 100 and
    (.files | length) > 10')" true
call GET /contacts
check "GET /contacts" "$(body '.contacts[0] | .name + " " + .role')" "csirt csirt"
case "$(cat "$T/body")" in
*secret-path*) fail "contacts: the webhook's secret path shown" ;;
*) pass ;;
esac
check "contacts: routes" "$(body '.routes[0].roles[0]')" csirt

# ---- users and tokens ----

as "$T/admin.jar"
call GET /users
check "GET /users" "$(body '[.users[].name] | join(",")')" \
    "admin,admin2,resp1,viewer1"
check "users: fields" "$(body '.users[0] | keys | join(",")')" \
    "created,last_login,name,role"
call POST /users '{"name":"RESP1","role":"viewer","password":"0123456789"}'
check "a name taken in another case" "$code" 409
call POST /users '{"name":"bad name","role":"viewer","password":"0123456789"}'
check "a bad user name" "$code" 400
call POST /users '{"name":"dave","role":"viewer","password":"short"}'
check "a short password" "$code" 400
call POST /users/resp1/role '{"role":"viewer"}'
check "POST role" "$(body .role)" viewer
as "$T/resp1.jar"
call POST "/incidents/$ID/notes" '{"text":"still a responder?"}'
check "a role change applies at once" "$code" 403
as "$T/admin.jar"
call POST /users/resp1/role '{"role":"responder"}'
call DELETE /users/admin2
check "DELETE a user" "$code" 204
as "$T/admin2.jar"
call GET /session
check "a deleted user's session ends" "$code" 401
as "$T/admin.jar"
call POST /users/admin/role '{"role":"viewer"}'
check "the last admin stays one" "$code" 409
call DELETE /users/admin
check "the last admin is not deleted" "$code" 409
# Passwords: one's own needs the old one; every other session ends.
login viewer1 viewer1-password "$T/viewer1b.jar"
echo "$CSRF" > "$T/viewer1b.jar.csrf"
as "$T/viewer1.jar"
call POST /users/resp1/password '{"password":"0123456789"}'
check "another's password, not admin" "$code" 403
call POST /users/viewer1/password '{"password":"new-password-1"}'
check "own password without the old" "$code" 400
call POST /users/viewer1/password '{"password":"new-password-1","old":"wrong-one-1"}'
check "own password, wrong old" "$code" 403
call POST /users/viewer1/password '{"password":"new-password-1","old":"viewer1-password"}'
check "own password" "$code" 204
call GET /session
check "the session that changed it lives" "$code" 200
as "$T/viewer1b.jar"
call GET /session
check "the other session ended" "$code" 401
login viewer1 new-password-1 "$T/viewer1c.jar"
check "the new password works" "$code" 200

as "$T/resp1.jar"
call POST /tokens '{"name":"ci"}'
check "POST /tokens" "$code" 201
TOKEN=$(body .token)
TID=$(body .id)
check "token: shown once" "$(echo "$TOKEN" | cut -c1-4)" mmr_
call POST /tokens '{"name":"ci"}'
check "token name taken" "$code" 409
call GET /tokens
check "GET /tokens" "$(body '.tokens[0] | [.id, .name, .user] | map(tostring) |
    join(" ")')" "$TID ci resp1"
case "$(cat "$T/body")" in *"$TOKEN"*) fail "token listed again" ;; *) pass ;; esac
call GET "/tokens?user=admin"
check "another's tokens, not admin" "$code" 403
JAR= CSRF= AUTH=$TOKEN
call GET "/incidents/$ID"
check "a token reads" "$code" 200
call POST "/incidents/$ID/notes" '{"text":"from a script"}'
check "a token acts without CSRF" "$code" 200
check "a token acts as its user" "$(body '.timeline[-1].who')" resp1
call GET /users
check "a token has its user's role" "$code" 403
call GET /session
check "session of a token" "$(body '[.user, .auth, .csrf] | map(tostring) |
    join(" ")')" "resp1 token null"
AUTH=mmr_not-a-real-token
call GET /incidents
check "a wrong token" "$code" 401
as "$T/resp1.jar"
AUTH=mmr_not-a-real-token
call GET /incidents
check "a wrong token never falls back to the cookie" "$code" 401
as "$T/admin.jar"
call GET "/tokens?user=*"
check "an admin sees everyone's tokens" "$(body '[.tokens[].user] | join(",")')" resp1
as "$T/resp1.jar"
call DELETE "/tokens/$TID"
check "DELETE /tokens/{id}" "$code" 204
JAR= CSRF= AUTH=$TOKEN
call GET /incidents
check "a deleted token" "$code" 401

# ---- malformed requests ----

as "$T/resp1.jar"
call GET /nothing
check "no such route" "$code" 404
call DELETE /incidents
check "wrong method" "$code" 405
check "wrong method: Allow" "$(header Allow)" "GET, HEAD"
call POST "/incidents/$ID/notes" '{"text":'
check "malformed JSON" "$code" 400
call POST "/incidents/$ID/notes" '{"text":"a","text":"b"}'
check "duplicate keys" "$code" 400
call POST "/incidents/$ID/notes" '["text"]'
check "not an object" "$code" 400
code=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/resp1.jar" \
    -H "X-CSRF-Token: $CSRF" -H 'Content-Type: text/plain' \
    --data-binary '{"text":"x"}' "$B/incidents/$ID/notes")
check "not application/json" "$code" 415
head -c 70000 /dev/zero | tr '\0' 'a' > "$T/big"
code=$(curl -s -o "$T/body" -w '%{http_code}' -b "$T/resp1.jar" \
    -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
    --data-binary @"$T/big" "$B/incidents/$ID/notes")
check "a body over 64 KiB" "$code" 413

# ---- logout ----

as "$T/viewer1c.jar"
val=$(awk '$6 == "mamori_session" { print $7 }' "$T/viewer1c.jar")
call POST /logout
check "POST /logout" "$code" 204
check_contains "logout clears the cookie" "$(header Set-Cookie)" "Max-Age=0"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: mamori_session=$val" \
    "$B/session")
check "the ended session's cookie" "$code" 401

# ---- the login rate limit ----

JAR="$T/rl.jar" CSRF= AUTH=
FROM=127.0.0.2
for k in 1 2 3 4 5; do
	call POST /login '{"user":"resp1","password":"wrong-password"}'
	check "failed login $k" "$code" 401
	check "failed login $k: says" "$(body .error)" \
	    "wrong user name or password"
done
FROM=127.0.0.3
call POST /login '{"user":"resp1","password":"resp1-password"}'
check "a user's sixth try, from elsewhere" "$code" 429
ra=$(header Retry-After)
[ "$ra" -ge 1 ] && [ "$ra" -le 900 ]
check "Retry-After ($ra)" "$?" 0
"$MAMORI" user unlock resp1 --data "$DATA"
check "mamori user unlock" "$?" 0
call POST /login '{"user":"resp1","password":"resp1-password"}'
check "unlocked" "$code" 200
FROM=127.0.0.4
for k in 1 2 3 4 5; do
	call POST /login "{\"user\":\"guess$k\",\"password\":\"wrong-password\"}"
	check "unknown user $k" "$code" 401
done
call POST /login "{\"user\":\"admin\",\"password\":\"$ADMINPW\"}"
check "an address's sixth try" "$code" 429
FROM=127.0.0.1
call POST /login "{\"user\":\"admin\",\"password\":\"$ADMINPW\"}"
check "another address" "$code" 200
FROM=
check_contains "failed logins are logged" "$(cat "$SERVER_LOG")" \
    "failed login as 'guess1' from 127.0.0.4"

# ---- mamori user, beside the running server ----

U() { "$MAMORI" user "$@" --data "$DATA"; }
printf 'cli-password-1\n' > "$T/pw"
U add cliuser --role viewer --password-file "$T/pw" > "$T/out" 2>&1
check "user add" "$?" 0
check "user list --json" "$(U list --json | jq -r 'select(.name == "cliuser") |
    .role')" viewer
login cliuser cli-password-1 "$T/cli.jar"
check "a user added from the shell logs in" "$code" 200
printf 'cli-password-2\n' | U passwd cliuser > /dev/null 2>&1
check "user passwd (standard input)" "$?" 0
as "$T/cli.jar"
call GET /session
check "a new password ends the sessions" "$code" 401
login cliuser cli-password-2 "$T/cli.jar"
check "the new password" "$code" 200
U role cliuser responder
check "user role" "$?" 0
call GET /session
check "the role is the user's now" "$(body .role)" responder
tok=$(U token add cliuser script 2>/dev/null)
JAR= CSRF= AUTH=$tok
call GET /session
check "a token made in the shell" "$(body .user)" cliuser
U add cliuser --role viewer --password-file "$T/pw" > "$T/out" 2>&1
check "user add: taken" "$?" 1
check_contains "user add: says so" "$(cat "$T/out")" "exists"
U add "bad name" --role viewer --password-file "$T/pw" > "$T/out" 2>&1
check "user add: bad name is a usage error" "$?" 2
U add x1 --role root --password-file "$T/pw" > "$T/out" 2>&1
check "user add: unknown role" "$?" 2
printf 'short\n' > "$T/short"
U add x2 --role viewer --password-file "$T/short" > "$T/out" 2>&1
check "user add: short password" "$?" 1
U del cliuser > /dev/null
check "user del" "$?" 0
call GET /session
check "a deleted user's token" "$code" 401
U del admin > "$T/out" 2>&1
check "user del: the last admin" "$?" 1
check_contains "user del: says why" "$(cat "$T/out")" "last admin"

# ---- SIGTERM with a stream open ----

kill -0 "$(cat "$T/events.pid")" 2>/dev/null
check "the stream is still open" "$?" 0
stop_server
check "SIGTERM stops the server" "$?" 0
i=0
while kill -0 "$(cat "$T/events.pid")" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
kill -0 "$(cat "$T/events.pid")" 2>/dev/null
check "the stream ended with the server" "$?" 1
check_contains "stopped" "$(tail -1 "$SERVER_LOG")" "stopped"

# ---- session expiry, and no second admin password ----

cat >> "$T/mamori.yaml" <<EOF
web:
  session_ttl: 2s
EOF
start_server --config "$T/mamori.yaml" --listen "tcp://127.0.0.1:$tport" \
    --listen "http://127.0.0.1:$hport" || exit 1
check "no password printed on the second start" \
    "$(grep -c "created user" "$SERVER_LOG")" 0
login viewer1 new-password-1 "$T/ttl.jar"
check "login (2 s session)" "$code" 200
call GET /session
check "a fresh session" "$code" 200
sleep 3
call GET /session
check "an expired session" "$code" 401
stop_server
check "stops cleanly (2)" "$?" 0

# ---- https ----

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
cat > "$T/tls.yaml" <<EOF
tls:
  cert: $T/cert.pem
  key: $T/key.pem
EOF
start_server --config "$T/tls.yaml" --listen "tcp://127.0.0.1:$tport" \
    --listen "https://127.0.0.1:$hport" || exit 1
B="https://127.0.0.1:$hport/api/v1"
code=$(curl -s -k -o "$T/body" -D "$T/headers" -w '%{http_code}' \
    -H 'Content-Type: application/json' \
    -d '{"user":"viewer1","password":"new-password-1"}' "$B/login")
check "https: login" "$code" 200
check_contains "https: Secure cookie" "$(header Set-Cookie)" "; Secure"
code=$(curl -s -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$hport/api/v1/session")
check "https: no plain http" "$code" 000
stop_server
check "stops cleanly (https)" "$?" 0

# ---- a real block, as root, from the one thread that may ----

if [ "$(id -u)" = 0 ] && command -v nft >/dev/null 2>&1 &&
    ip netns add "mamori-api-$$" 2>/dev/null; then
	NS=mamori-api-$$
	trap 'cleanup; ip netns del "$NS" 2>/dev/null' EXIT
	ip netns exec "$NS" ip link set lo up
	cat > "$T/real.yaml" <<EOF
respond:
  dry_run: false
EOF
	SERVER_LOG="$T/server.ns.log"
	ip netns exec "$NS" "$MAMORI" server --data "$DATA" \
	    --config "$T/real.yaml" --listen "tcp://127.0.0.1:$tport" \
	    --listen "http://127.0.0.1:$hport" > "$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	i=0
	while ! grep -q "open the console" "$SERVER_LOG" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	nsc() { ip netns exec "$NS" curl "$@"; }
	B="http://127.0.0.1:$hport/api/v1"
	nsc -s -c "$T/ns.jar" -o "$T/body" -H 'Content-Type: application/json' \
	    -d "{\"user\":\"admin\",\"password\":\"$ADMINPW\"}" "$B/login"
	CSRF=$(body .csrf)
	code=$(nsc -s -b "$T/ns.jar" -o "$T/body" -w '%{http_code}' \
	    -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
	    -d '{"address":"198.51.100.99","duration":"1h"}' "$B/blocks")
	check "a real block from the console" "$code" 200
	check "in nftables" "$(ip netns exec "$NS" nft -j list set inet mamori \
	    block4 | jq -r '[.nftables[] | select(.set) | .set.elem // [] |
	    .[] | (.elem.val // .)] | join(",")')" 198.51.100.99
	if id mamori >/dev/null 2>&1; then
		check_contains "privileges dropped" "$(cat "$SERVER_LOG")" \
		    "running as user mamori"
		# The request threads (libmicrohttpd's, named MHD-*) hold no
		# capability; exactly one thread holds CAP_NET_ADMIN (bit 12)
		# for the console, which is not one of them.
		held=0
		mhd=0
		for t in /proc/"$SERVER_PID"/task/*; do
			cap=$(awk '/^CapEff/ { print $2 }' "$t/status")
			case "$(cat "$t/comm")" in
			MHD*)
				mhd=$((mhd + 1))
				[ "$cap" = 0000000000000000 ] ||
				    fail "$(cat "$t/comm") holds $cap"
				;;
			*)
				[ "$cap" = 0000000000001000 ] &&
				    held=$((held + 1))
				;;
			esac
		done
		[ "$mhd" -gt 0 ]
		check "request threads found" "$?" 0
		check "one thread keeps CAP_NET_ADMIN" "$held" 1
	fi
	code=$(nsc -s -b "$T/ns.jar" -o "$T/body" -w '%{http_code}' -X DELETE \
	    -H "X-CSRF-Token: $CSRF" "$B/blocks/198.51.100.99")
	check "a real unblock" "$code" 204
	check "out of nftables" "$(ip netns exec "$NS" nft -j list set inet \
	    mamori block4 | jq -r '[.nftables[] | select(.set) |
	    .set.elem // [] | .[]] | length')" 0
	stop_server
	check "stops cleanly (namespace)" "$?" 0
	ip netns del "$NS"
else
	echo "note: not root or no network namespaces: the real block skipped"
fi

finish
