#!/bin/sh
# mamori agent over TLS (RFC 5425) and RELP over TLS, with client
# certificates, against the real server (verify_client: required):
#  - lines arrive over both; across a server outage over TLS every line
#    arrives exactly once (records stay queued until the server's orderly
#    close shows it read them);
#  - an agent whose certificate is from another CA is refused by the
#    server and keeps its lines queued; an agent that does not trust the
#    server's CA refuses the server.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
mk() {	# name subject issuer
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
mk agent1 agent-tls ca
mk agent2 agent-relptls ca
mk rogue agent-rogue rogueca
chmod 644 ./*.key

# librelp (1.11) does not free the GnuTLS credentials of a relp+tls
# listener; LeakSanitizer sees them at the server's exit, with frames it
# cannot name (librelp has no frame pointers).  Not mamori's memory.
if [ "${MAMORI_SANITIZED:-0}" = 1 ]; then
	{
		sed -n 's/^\(leak:.*\)/\1/p' "$MAMORI_SRC/tests/lsan.supp"
		printf 'leak:libgnutls.so\nleak:libtasn1.so\nleak:libgmp.so\n'
	} > "$T/lsan.supp"
	export LSAN_OPTIONS="suppressions=$T/lsan.supp"
fi

tport=$(free_port tcp)
rport=$(free_port tcp)
cat > server.yaml <<CONF
tls:
  cert: $T/server.crt
  key: $T/server.key
  ca: $T/ca.crt
  verify_client: required
CONF
start_tls_server() {
	start_server --config server.yaml --listen "tls://127.0.0.1:$tport" \
	    --listen "relp+tls://127.0.0.1:$rport"
}
start_tls_server || exit 1

mkdir -p logs
# agent NAME TRANSPORT PORT CERT CA
agent_conf() {
	: > "logs/$1.log"
	cat > "$1.yaml" <<CONF
agent:
  name: $1
  server: 127.0.0.1:$3
  transport: $2
  state_dir: $T/state-$1
  heartbeat: 1s
  confirm: 2s
  reconnect: { min: 100ms, max: 500ms }
  queue: { fsync: 100ms }
  tls: { ca: $T/$5, cert: $T/$4.crt, key: $T/$4.key }
logs:
  start: beginning
  poll: 200ms
  files:
    - path: $T/logs/$1.log
      tag: $1
# Log shipping only: no scheduled host checks (test-agent-checks.sh).
audit: { schedule: 0 }
rootcheck: { schedule: 0 }
CONF
}
run_agent() {	# NAME
	"$MAMORI" agent --config "$1.yaml" >> "agent-$1.log" 2>&1 &
	echo $! > "agent-$1.pid"
}
stop_agent() {	# NAME
	kill -TERM "$(cat "agent-$1.pid")"
	wait "$(cat "agent-$1.pid")"
	rc=$?
	rm -f "agent-$1.pid"
	return $rc
}
wait_match() {	# APP PATTERN N
	i=0
	while [ $i -lt 600 ]; do
		n=$(search --app "$1" --count "$2" 2>/dev/null)
		[ -n "$n" ] && [ "$n" -ge "$3" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "only ${n:-0} of $3 '$2' records from $1" >&2
	return 1
}
# wait_drained NAME LINES: a heartbeat from NAME says it read LINES lines
# and has nothing unconfirmed (stopping the server before that would make
# it send them again: at least once).
wait_drained() {
	i=0
	while [ $i -lt 300 ]; do
		search --app mamori-agent --host "$1" --json heartbeat \
		    2>/dev/null | jq -e --argjson n "$2" \
		    'select(.sd["mamori-agent@32473"] | (.queue == "0" and
		    (.lines | tonumber) >= $n))' >/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "$1: no heartbeat with $2 lines and an empty queue" >&2
	return 1
}
exactly_once() {	# APP PREFIX N
	search --app "$1" --json "$2 " | jq -r .message | sort > got
	seq 1 "$3" | sed "s/^/$2 /" | sort > want
	check "$1 $2: missing" "$(comm -13 got want | wc -l)" 0
	check "$1 $2: repeated" "$(uniq -d got | wc -l)" 0
}

agent_conf agent-tls tls "$tport" agent1 ca.crt
agent_conf agent-relptls relp+tls "$rport" agent2 ca.crt
agent_conf agent-rogue tls "$tport" rogue ca.crt
agent_conf agent-distrust tls "$tport" agent1 rogueca.crt
for a in agent-tls agent-relptls agent-rogue agent-distrust; do
	run_agent "$a"
done
seq 1 1000 | sed 's/^/tls /' >> logs/agent-tls.log
seq 1 1000 | sed 's/^/relp /' >> logs/agent-relptls.log
seq 1 10 | sed 's/^/rogue /' >> logs/agent-rogue.log
seq 1 10 | sed 's/^/distrust /' >> logs/agent-distrust.log
wait_match agent-tls "tls " 1000 || { cat agent-agent-tls.log; exit 1; }
wait_match agent-relptls "relp " 1000 || { cat agent-agent-relptls.log; exit 1; }
check_contains "server saw the agent's certificate" "$(cat "$SERVER_LOG")" \
    "certificate /CN=agent-tls"
wait_drained agent-tls 1000 || exit 1
wait_drained agent-relptls 1000 || exit 1

# An outage over TLS.
stop_server || fail "server exit status"
seq 1 3000 | sed 's/^/outage /' >> logs/agent-tls.log
seq 1 3000 | sed 's/^/outage /' >> logs/agent-relptls.log
sleep 0.5	# the agents read them (order, not a measurement)
start_tls_server || exit 1
wait_match agent-tls "outage " 3000 || { tail agent-agent-tls.log; exit 1; }
wait_match agent-relptls "outage " 3000 || exit 1
stop_agent agent-tls || fail "agent-tls exit status"
stop_agent agent-relptls || fail "agent-relptls exit status"
exactly_once agent-tls tls 1000
exactly_once agent-tls outage 3000
exactly_once agent-relptls relp 1000
exactly_once agent-relptls outage 3000

# The refused ones kept their lines.
check "rogue certificate: nothing stored" "$(search --count --app agent-rogue)" 0
check "distrusted server: nothing stored" \
    "$(search --count --app agent-distrust)" 0
check_contains "server refused the rogue certificate" \
    "$(cat server.*.log)" "client certificate rejected"
check_contains "agent refused the server" "$(cat agent-agent-distrust.log)" \
    "server certificate rejected"
stop_agent agent-rogue || fail "agent-rogue exit status"
stop_agent agent-distrust || fail "agent-distrust exit status"
check_contains "rogue agent kept its lines" "$(tail -1 agent-agent-rogue.log)" \
    "messages stay queued"
# A valid certificate of another agent: the server stores the lines (the
# CA vouches for the sender) but the registry reports the name claimed
# without proof.
agent_conf agent-liar tls "$tport" agent1 ca.crt
run_agent agent-liar
seq 1 5 | sed 's/^/liar /' >> logs/agent-liar.log
wait_match agent-liar "liar " 5 || exit 1
i=0
while [ $i -lt 100 ]; do
	n=$(sqlite3 "$DATA/mamori.db" "select count(*) from alerts
	    where rule_id = 122344" 2>/dev/null)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.1
	i=$((i + 1))
done
check "certificate of another agent: identity alert" \
    "$([ "${n:-0}" -ge 1 ] && echo yes)" yes
stop_agent agent-liar || fail "agent-liar exit status"
check "no sanitizer reports from the agent" \
    "$(cat agent-*.log | grep -c 'Sanitizer\|runtime error')" 0
stop_server || fail "server exit status"
check "registry records the certificate" "$(sqlite3 "$DATA/mamori.db" \
    "select cert_subject from agents where name = 'agent-tls'")" \
    "/CN=agent-tls"
finish
