#!/bin/sh
# Syslog over TLS (RFC 5425) with a required client certificate: rsyslog
# (gtls driver) with a certificate from our CA gets through; openssl
# s_client without a certificate, or with one from another CA, does not.
# Both framings arrive over the same connection kind.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
mk() {	# name subject [issuer]
	openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -subj "/CN=$2" \
	    -out "$1.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" \
	    -CAcreateserial -days 2 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -subj "/CN=test CA" \
    -days 2 -out ca.crt 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout rogueca.key \
    -subj "/CN=rogue CA" -days 2 -out rogueca.crt 2>/dev/null
mk server localhost ca
mk client client.example ca
mk rogue rogue.example rogueca
chmod 644 ./*.key	# the server reads them before dropping root anyway

port=$(free_port tcp)
cat > mamori.yaml <<CONF
tls:
  cert: $T/server.crt
  key: $T/server.key
  ca: $T/ca.crt
  verify_client: required
CONF
start_server --config mamori.yaml --listen "tls://127.0.0.1:$port" || exit 1

s_client() {	# extra args...; message on stdin
	timeout 10 openssl s_client -connect "127.0.0.1:$port" -CAfile ca.crt \
	    -verify_return_error -quiet -no_ign_eof "$@" >/dev/null 2>&1
}
printf '<13>1 2026-11-28T10:00:00Z good.example s_client 1 - - with cert\n' |
    s_client -cert client.crt -key client.key
printf '<13>1 2026-11-28T10:00:00Z bad.example s_client 2 - - no cert\n' |
    s_client
printf '<13>1 2026-11-28T10:00:00Z bad.example s_client 3 - - rogue cert\n' |
    s_client -cert rogue.crt -key rogue.key
# Octet-counted over TLS as well.
m='<13>1 2026-11-28T10:00:01Z good.example s_client 4 - - counted'
printf '%d %s' "${#m}" "$m" | s_client -cert client.crt -key client.key

# A real syslog peer: rsyslog with its GnuTLS driver and our client cert.
if command -v rsyslogd >/dev/null; then
	in=$(free_port tcp)
	mkdir -p rsw
	cat > rsyslog.conf <<CONF
global(workDirectory="$T/rsw"
       DefaultNetstreamDriverCAFile="$T/ca.crt"
       DefaultNetstreamDriverCertFile="$T/client.crt"
       DefaultNetstreamDriverKeyFile="$T/client.key")
module(load="imtcp")
input(type="imtcp" port="$in" ruleset="fwd")
ruleset(name="fwd") {
  action(type="omfwd" target="127.0.0.1" port="$port" protocol="tcp"
         StreamDriver="gtls" StreamDriverMode="1"
         StreamDriverAuthMode="x509/name"
         StreamDriverPermittedPeers="localhost"
         template="RSYSLOG_SyslogProtocol23Format")
}
CONF
	rsyslogd -n -f rsyslog.conf -i rsyslogd.pid >rsyslogd.out 2>&1 &
	echo $! > rsyslogd-main.pid
	i=0
	while ! ss -Hltn "sport = :$in" | grep -q . && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	logger -n 127.0.0.1 -P "$in" -T --rfc5424 -t viatls "rsyslog over tls"
	wait_stored 3 || cat rsyslogd.out
	check "rsyslog over TLS" "$(search --app viatls --json |
	    jq -r .message)" "rsyslog over tls"
	kill "$(cat rsyslogd-main.pid)"
else
	fail "rsyslogd not installed"
fi

wait_stored 2
check "with client cert" "$(search --count --host good.example)" 2
check "octet counted over TLS" "$(search --json --host good.example counted |
    jq -r .message)" "counted"
check "no cert or rogue cert: nothing stored" \
    "$(search --count --host bad.example)" 0
check_contains "handshake failures logged" "$(cat "$SERVER_LOG")" \
    "TLS handshake with 127.0.0.1"
stop_server || fail "server exit status"
finish
