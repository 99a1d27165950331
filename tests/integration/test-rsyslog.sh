#!/bin/sh
# A real rsyslogd forwards to mamori with omfwd over TCP (LF framing with
# RSYSLOG_ForwardFormat's high-precision timestamps; octet-counted RFC
# 5424) and with omrelp.  What logger handed rsyslog must come out of
# `mamori logs search` field by field.
. "$(dirname "$0")/lib.sh"

command -v rsyslogd >/dev/null || { fail "rsyslogd not installed"; finish; }

tport=$(free_port tcp)
rport=$(free_port tcp)
start_server --listen "tcp://127.0.0.1:$tport" \
    --listen "relp://127.0.0.1:$rport" || exit 1

# Three ports for rsyslog's inputs, each found free and none of them the
# server's; a port taken between the check and rsyslog's bind (another
# test starting meanwhile) makes rsyslog say "Address already in use",
# and it is started again on three others.
other_port() {	# a free TCP port not among "$@"
	while :; do
		q=$(free_port tcp)
		case " $* " in *" $q "*) continue ;; esac
		echo "$q"
		return
	done
}
mkdir -p "$T/rsyslog"
start_rsyslog() {
	in1=$(other_port "$tport" "$rport")
	in2=$(other_port "$tport" "$rport" "$in1")
	in3=$(other_port "$tport" "$rport" "$in1" "$in2")
	cat > "$T/rsyslog.conf" <<CONF
	global(workDirectory="$T/rsyslog")
	module(load="imtcp")
	module(load="omrelp")
	input(type="imtcp" port="$in1" ruleset="fwd3164")
	input(type="imtcp" port="$in2" ruleset="fwd5424")
	input(type="imtcp" port="$in3" ruleset="fwdrelp")
	ruleset(name="fwd3164") {
	  action(type="omfwd" target="127.0.0.1" port="$tport" protocol="tcp"
	         template="RSYSLOG_ForwardFormat")
	}
	ruleset(name="fwd5424") {
	  action(type="omfwd" target="127.0.0.1" port="$tport" protocol="tcp"
	         TCP_Framing="octet-counted"
	         template="RSYSLOG_SyslogProtocol23Format")
	}
	ruleset(name="fwdrelp") {
	  action(type="omrelp" target="127.0.0.1" port="$rport"
	         template="RSYSLOG_SyslogProtocol23Format")
	}
CONF
	rsyslogd -n -f "$T/rsyslog.conf" -i "$T/rsyslogd.pid" \
	    >"$T/rsyslogd.out" 2>&1 &
	echo $! > "$T/rsyslogd-main.pid"
	i=0
	while [ $i -lt 100 ]; do
		up=0
		for q in "$in1" "$in2" "$in3"; do
			ss -Hltn "sport = :$q" | grep -q . && up=$((up + 1))
		done
		[ $up -eq 3 ] && return 0
		grep -q "Address already in use" "$T/rsyslogd.out" && break
		sleep 0.1; i=$((i + 1))
	done
	kill "$(cat "$T/rsyslogd-main.pid")" 2>/dev/null
	wait "$(cat "$T/rsyslogd-main.pid")" 2>/dev/null
	rm -f "$T/rsyslogd.pid"
	return 1
}
tries=0
until start_rsyslog; do
	tries=$((tries + 1))
	if [ $tries -ge 3 ]; then
		cat "$T/rsyslogd.out"
		fail "rsyslogd did not listen on its three ports"
		finish
	fi
done

send() {	# port tag message
	logger -n 127.0.0.1 -P "$1" -T --rfc5424 -t "$2" -p user.warning \
	    --id=999 --msgid MID "$3"
}
for n in 1 2 3 4 5; do
	send "$in1" fwd3164 "via omfwd LF message $n"
	send "$in2" fwd5424 "via omfwd octet-counted message $n"
	send "$in3" fwdrelp "via omrelp message $n"
done
wait_stored 15 || { cat "$SERVER_LOG" "$T/rsyslogd.out"; exit 1; }

host=$(hostname)
for tag in fwd3164 fwd5424 fwdrelp; do
	check "$tag count" "$(search --count --app $tag)" 5
	j=$(search --json --app $tag | head -1)
	check "$tag host" "$(printf '%s\n' "$j" | jq -r .host)" "$host"
	check "$tag procid" "$(printf '%s\n' "$j" | jq -r .procid)" "999"
	check "$tag facility" "$(printf '%s\n' "$j" | jq -r .facility)" "user"
	check "$tag severity" "$(printf '%s\n' "$j" | jq -r .severity)" "warning"
	check "$tag timestamp" \
	    "$(printf '%s\n' "$j" | jq -r '.timestamp | test("T[0-9:]+\\.[0-9]+")')" \
	    true
done
check "fwd3164 format" "$(search --json --app fwd3164 | head -1 |
    jq -r .format)" rfc3164
check "fwd5424 format" "$(search --json --app fwd5424 | head -1 |
    jq -r .format)" rfc5424
check "fwd5424 msgid" "$(search --json --app fwd5424 | head -1 |
    jq -r .msgid)" MID
check "relp msgid" "$(search --json --app fwdrelp | head -1 |
    jq -r .msgid)" MID
check "messages" "$(search --json --app fwdrelp | jq -r .message |
    sort | tr '\n' '|')" "via omrelp message 1|via omrelp message 2|via omrelp message 3|via omrelp message 4|via omrelp message 5|"
check "lf messages" "$(search --json --app fwd3164 | jq -r .message |
    sort | tr '\n' '|')" "via omfwd LF message 1|via omfwd LF message 2|via omfwd LF message 3|via omfwd LF message 4|via omfwd LF message 5|"

kill "$(cat "$T/rsyslogd-main.pid")"
stop_server || fail "server exit status"
check "verify" "$("$MAMORI" logs verify --data "$DATA" >/dev/null; echo $?)" 0
finish
