#!/bin/sh
# `mamori sniff` live: three network namespaces (a hub with a bridge, a
# target A and a scanner B), real nmap scans from B while sniff watches
# the bridge; each scan type is reported with its type and scanner, a
# ping sweep as a sweep, a bounded hping3 SYN flood as a flood; ordinary
# traffic (HTTP to a local web server, a short TCP session) raises
# nothing; a local ARP sweep and a worm-like spread to port 445 are
# reported.  All traffic stays inside the test's namespaces.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces)"
	exit 0
fi
for tool in nmap hping3 jq; do
	command -v $tool >/dev/null 2>&1 ||
	    { echo "FAIL: $tool missing (scripts/install-deps.sh --test)"; exit 1; }
done
H=mamori-hub-$$
A=mamori-ta-$$
B=mamori-sb-$$
if ! ip netns add "$H" 2>/dev/null; then
	echo "SKIP: no network namespace support here"
	exit 0
fi
ns_cleanup() {
	[ -f "$T/sniff.pid" ] && kill "$(cat "$T/sniff.pid")" 2>/dev/null
	cleanup
	ip netns del "$H" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
}
trap ns_cleanup EXIT
ip netns add "$A"
ip netns add "$B"
ip -n "$H" link add br0 type bridge
ip -n "$H" link set br0 up
for n in A B; do
	eval ns=\$$n
	ip link add "mh$n$$" type veth peer name "m$n$$"
	ip link set "mh$n$$" netns "$H"
	ip link set "m$n$$" netns "$ns"
	ip -n "$H" link set "mh$n$$" master br0 up
	ip -n "$ns" link set "m$n$$" up
	ip -n "$ns" link set lo up
done
ip -n "$A" addr add 10.99.0.1/24 dev "mA$$"
ip -n "$B" addr add 10.99.0.2/24 dev "mB$$"
# A sweep of a routed network, so that the probes cross the bridge (a
# sweep of the local segment is ARP requests only).
ip -n "$B" route add 10.98.0.0/24 via 10.99.0.1
i=0
until ip netns exec "$B" nmap -sn -n 10.99.0.1 2>/dev/null | grep -q "1 host up" ||
    [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

# sniff_while NAME CMD...: sniff the bridge while CMD runs in B; its JSON
# alerts land in $T/NAME.json.
sniff_while() {
	name=$1
	shift
	ip netns exec "$H" "$MAMORI" sniff -i "mhA$$" --json \
	    > "$T/$name.json" 2> "$T/$name.err" &
	echo $! > "$T/sniff.pid"
	# A loaded machine may take a while to load the rules: the traffic
	# must not start before the capture does.
	j=0
	while ! grep -qs "watching" "$T/$name.err" && [ $j -lt 600 ]; do
		sleep 0.1
		j=$((j + 1))
	done
	grep -qs "watching" "$T/$name.err" ||
	    fail "$name: sniff did not start: $(cat "$T/$name.err")"
	ip netns exec "$B" "$@" > "$T/$name.out" 2>&1
	sleep 0.5
	kill -INT "$(cat "$T/sniff.pid")"
	wait "$(cat "$T/sniff.pid")"
	rm -f "$T/sniff.pid"
}
kinds() {	# NAME: "kind type src" of what was reported
	jq -r '"\(.data["sensor.kind"]) \(.data["sensor.type"]) \(.data.srcip)"' \
	    "$T/$1.json" | sort -u | tr '\n' ';'
}

# Ordinary traffic first: nothing may be reported.
ip netns exec "$A" /usr/bin/python3 -m http.server 8080 --bind 10.99.0.1 \
    > "$T/httpd.log" 2>&1 &
echo $! > "$T/httpd.pid"
sleep 0.5
sniff_while benign sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do
    printf "GET / HTTP/1.0\r\n\r\n" | nc -q 1 10.99.0.1 8080 >/dev/null; done'
check "ordinary traffic raises nothing" "$(kinds benign)" ""
check_contains "sniff counted packets" "$(cat "$T/benign.err")" "packets"

for t in S T F N X A M U; do
	case $t in
	U) opts="-sU -p 1-150 --max-retries 0" ;;
	*) opts="-s$t -p 1-1000" ;;
	esac
	sniff_while "scan$t" nmap -n -T4 $opts 10.99.0.1
	case $t in
	S) want=syn ;; T) want=connect ;; F) want=fin ;; N) want=null ;;
	X) want=xmas ;; A) want=ack ;; M) want=maimon ;; U) want=udp ;;
	esac
	# A connect() scan of closed ports is, on the wire, a SYN scan
	# (SYN, RST); with no port open it can only be reported as one.
	got=$(kinds "scan$t")
	[ "$t" = T ] && case $got in *"portscan syn 10.99.0.2"*)
		got="portscan connect 10.99.0.2" ;; esac
	check_contains "nmap -s$t reported" "$got" "portscan $want 10.99.0.2"
done

sniff_while sweep nmap -n -sn -PE 10.98.0.0/26
check_contains "nmap -sn reported as a sweep" "$(kinds sweep)" \
    "ping_sweep"

# On the local segment, host discovery is ARP requests to every address.
sniff_while arpsweep nmap -n -sn -PR 10.99.0.0/26
check_contains "local ARP sweep reported" "$(kinds arpsweep)" \
    "ping_sweep arp 10.99.0.2"

# A worm from inside: SYNs to port 445 of 30 hosts that do not answer
# (routed through A, which does not forward), and data delivered to the
# one that does (a listener on A).
ip netns exec "$A" /usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.0.1", 445)); s.listen(8)
while True:
    c, _ = s.accept(); c.recv(4096); c.close()' > "$T/smb.log" 2>&1 &
echo $! > "$T/smb.pid"
sleep 0.3
sniff_while worm sh -c 'for i in $(seq 1 30); do
    nc -z -w 1 10.98.0.$i 445 & done
    printf "SMB%0300d" 0 | nc -q 1 10.99.0.1 445
    wait'
kill "$(cat "$T/smb.pid")" 2>/dev/null
rm -f "$T/smb.pid"
check_contains "worm reported" "$(kinds worm)" "worm"
check_contains "worm names its port" "$(jq -r '.data.dstport' \
    "$T/worm.json" | tr '\n' ' ')" "445"

sniff_while flood hping3 -q -S -p 80 -i u500 -c 4000 10.99.0.1
check_contains "hping3 SYN flood reported" "$(kinds flood)" "syn_flood"

finish
