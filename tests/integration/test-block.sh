#!/bin/sh
# Containment for real: two network namespaces joined by a veth pair,
# ICMP echo and TCP between them, and `mamori block` / `unblock` /
# `blocks` run inside one of them (its own nftables), so the host's
# firewall is never touched.
#
#   ns A (the log server): 198.51.100.1/24, 2001:db8:100::1/64;
#                          192.0.2.1/24 towards C, forwarding
#   ns B (the attacker):   198.51.100.2, .3; 2001:db8:100::2, ::3
#   ns C (behind A):       192.0.2.2
#
# Checked: traffic flows; a block drops it both ways (only for the
# address blocked), in and out of A (UDP one way, so that a drop on
# either side is seen by itself) and through A (forwarded to C); blocks lists it with its expiry; unblock restores
# it; a timed block ends by itself; IPv6, prefixes and IPv4-mapped IPv6;
# the allowlist and the machine's own addresses are refused and change
# nothing; --dry-run changes nothing in nftables but is recorded; blocks
# land on the incident's timeline; without CAP_NET_ADMIN the message
# says so.  Skipped (exit 0) only without root or network namespaces.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces, nftables)"
	exit 0
fi
if ! ip netns add "mamori-probe-$$" 2>/dev/null; then
	echo "SKIP: no network namespace support here"
	exit 0
fi
ip netns del "mamori-probe-$$"
for tool in nft nc setpriv sqlite3 jq; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool is not installed (scripts/install-deps.sh --test)"
		exit 0
	fi
done

NSA=mamori-a-$$
NSB=mamori-b-$$
NSC=mamori-c-$$
VA=mva$$
VB=mvb$$
VAC=mvac$$
VC=mvc$$
C4=192.0.2.2
A4=198.51.100.1
B4=198.51.100.2
B4b=198.51.100.3
A6=2001:db8:100::1
B6=2001:db8:100::2
B6b=2001:db8:100::3
PORT=7070

netns_cleanup() {
	cleanup
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
	ip netns del "$NSC" 2>/dev/null
}
trap netns_cleanup EXIT

ip netns add "$NSA" && ip netns add "$NSB" &&
ip link add "$VA" netns "$NSA" type veth peer name "$VB" netns "$NSB" &&
ip -n "$NSA" link set lo up && ip -n "$NSB" link set lo up &&
ip -n "$NSA" addr add $A4/24 dev "$VA" &&
ip -n "$NSB" addr add $B4/24 dev "$VB" &&
ip -n "$NSB" addr add $B4b/24 dev "$VB" &&
ip -n "$NSA" addr add $A6/64 dev "$VA" nodad &&
ip -n "$NSB" addr add $B6/64 dev "$VB" nodad &&
ip -n "$NSB" addr add $B6b/64 dev "$VB" nodad &&
ip -n "$NSA" link set "$VA" up && ip -n "$NSB" link set "$VB" up &&
ip netns add "$NSC" &&
ip link add "$VAC" netns "$NSA" type veth peer name "$VC" netns "$NSC" &&
ip -n "$NSC" link set lo up &&
ip -n "$NSA" addr add 192.0.2.1/24 dev "$VAC" &&
ip -n "$NSC" addr add $C4/24 dev "$VC" &&
ip -n "$NSA" link set "$VAC" up && ip -n "$NSC" link set "$VC" up &&
ip -n "$NSB" route add 192.0.2.0/24 via $A4 &&
ip -n "$NSC" route add 198.51.100.0/24 via 192.0.2.1 &&
ip netns exec "$NSA" sysctl -qw net.ipv4.ip_forward=1 || {
	echo "cannot set up the namespaces" >&2
	exit 1
}

# ICMP echo with a raw socket (no ping binary needed): exit 0 on a reply
# within a second.
cat > "$T/echo.py" <<'EOF'
import os, select, socket, struct, sys, time
dst = sys.argv[1]
src = sys.argv[2] if len(sys.argv) > 2 else None
v6 = ":" in dst
if v6:
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    req, rep = 128, 129
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    req, rep = 8, 0
if src:
    s.bind((src, 0))
ident = os.getpid() & 0xffff
def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    t += t >> 16
    return ~t & 0xffff
body = b"mamori-test"
pkt = struct.pack("!BBHHH", req, 0, 0, ident, 1) + body
if not v6:
    pkt = struct.pack("!BBHHH", req, 0, csum(pkt), ident, 1) + body
try:
    s.sendto(pkt, (dst, 0))
except PermissionError:
    sys.exit(1)         # dropped on the way out by our own firewall
end = time.monotonic() + 1.0
while True:
    left = end - time.monotonic()
    if left <= 0 or not select.select([s], [], [], left)[0]:
        sys.exit(1)
    data, peer = s.recvfrom(4096)
    if not v6:
        data = data[(data[0] & 15) * 4:]
    if len(data) >= 8 and data[0] == rep and \
            struct.unpack("!H", data[4:6])[0] == ident:
        sys.exit(0)
EOF

# UDP one way: "udp.py listen ADDR PORT FILE" appends each datagram to
# FILE; "udp.py send SRC DST PORT TEXT" sends one.
cat > "$T/udp.py" <<'EOF'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[2] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if sys.argv[1] == "listen":
    s.bind((sys.argv[2], int(sys.argv[3])))
    while True:
        data = s.recv(2048)
        with open(sys.argv[4], "ab") as f:
            f.write(data + b"\n")
else:
    s.bind((sys.argv[2], 0))
    try:
        s.sendto(sys.argv[5].encode(), (sys.argv[3], int(sys.argv[4])))
    except PermissionError:
        pass            # dropped on the way out by our own firewall
EOF
: > "$T/udp-a"
: > "$T/udp-b"
: > "$T/udp-c"
ip netns exec "$NSC" /usr/bin/python3 "$T/udp.py" listen $C4 $PORT \
    "$T/udp-c" &
echo $! > "$T/udp-c.pid"
ip netns exec "$NSA" /usr/bin/python3 "$T/udp.py" listen $A4 $PORT \
    "$T/udp-a" &
echo $! > "$T/udp-a.pid"
ip netns exec "$NSB" /usr/bin/python3 "$T/udp.py" listen $B4 $PORT \
    "$T/udp-b" &
echo $! > "$T/udp-b.pid"

# Listeners in every namespace, for TCP both ways and through A.
for spec in "$NSA $A4" "$NSA $A6" "$NSB $B4" "$NSB $B4b" "$NSB $B6" \
    "$NSC $C4"; do
	set -- $spec
	ip netns exec "$1" nc -dlk "$2" $PORT >/dev/null 2>&1 &
	echo $! > "$T/nc.$(echo "$2" | tr ':.' '__').pid"
done

# reach NS SRC DST: ICMP echo and a TCP connection from SRC to DST work.
reach() {
	ip netns exec "$1" /usr/bin/python3 "$T/echo.py" "$3" "$2" &&
	ip netns exec "$1" nc -z -w 2 -s "$2" "$3" $PORT 2>/dev/null
}
# cut NS SRC DST: neither ICMP nor TCP gets through.
cut() {
	if ip netns exec "$1" /usr/bin/python3 "$T/echo.py" "$3" "$2"; then
		return 1
	fi
	! ip netns exec "$1" nc -z -w 2 -s "$2" "$3" $PORT 2>/dev/null
}
# wait_reach NS SRC DST: poll until it flows (generous bound: the
# listeners start, neighbours resolve, a timed block expires).
wait_reach() {
	i=0
	while [ $i -lt 60 ]; do
		reach "$1" "$2" "$3" && return 0
		sleep 0.5
		i=$((i + 1))
	done
	return 1
}
flows4() { wait_reach "$NSB" $B4 $A4 && wait_reach "$NSA" $A4 $B4; }
flows6() { wait_reach "$NSB" $B6 $A6 && wait_reach "$NSA" $A6 $B6; }
# udp NS SRC DST TEXT: one datagram.
udp() {
	ip netns exec "$1" /usr/bin/python3 "$T/udp.py" send "$2" "$3" $PORT "$4"
}
# udp_got FILE TEXT: poll until TEXT has arrived (bounded).
udp_got() {
	i=0
	while [ $i -lt 100 ]; do
		grep -qx "$2" "$1" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

A() { ip netns exec "$NSA" "$MAMORI" "$@" --data "$DATA"; }
rows() { sqlite3 "$DATA/mamori.db" "$1"; }

# --- before anything: traffic flows, no table, nothing listed ---
flows4 || fail "IPv4 does not flow before any block"
flows6 || fail "IPv6 does not flow before any block"
wait_reach "$NSB" $B4 $C4 || fail "B does not reach C through A"
# The UDP listeners may still be starting: send until one arrives.
n=0
while [ $n -lt 30 ]; do
	udp "$NSB" $B4 $A4 "in-$n"
	udp "$NSA" $A4 $B4 "out-$n"
	udp "$NSB" $B4 $C4 "fwd-$n"
	grep -qx "in-$n" "$T/udp-a" 2>/dev/null &&
	    grep -qx "fwd-$n" "$T/udp-c" 2>/dev/null &&
	    udp_got "$T/udp-b" "out-$n" && break
	sleep 0.2
	n=$((n + 1))
done
udp_got "$T/udp-a" "in-$n" || fail "UDP from B does not reach A before any block"
udp_got "$T/udp-b" "out-$n" || fail "UDP from A does not reach B before any block"
udp_got "$T/udp-c" "fwd-$n" || fail "UDP from B does not reach C before any block"
udp "$NSC" $C4 $B4 "back-0"
udp_got "$T/udp-b" "back-0" || fail "UDP from C does not reach B before any block"
out=$(A blocks)
check "blocks: none at first" "$?" 0
check_contains "blocks: none at first" "$out" "no blocks in force"

# An incident to record blocks on.
out=$(A incident report --from "cert@example.org" --text "scan from B" \
    --attacker $B4 2>&1)
INC=$(printf '%s\n' "$out" | sed -n 's/^incident \([0-9]*\) recorded.*/\1/p')
[ -n "$INC" ] || { fail "cannot create an incident: $out"; INC=1; }

# --- block B's address: dropped both ways, only for that address ---
out=$(A block $B4 --for 1h --incident "$INC" --reason "port scan" 2>&1)
check "block exit" "$?" 0
check_contains "block says" "$out" "blocked $B4 for 1h, until "
cut "$NSB" $B4 $A4 || fail "B ($B4) still reaches A after the block"
cut "$NSA" $A4 $B4 || fail "A still reaches B ($B4) after the block"
reach "$NSB" $B4b $A4 || fail "B's other address $B4b was cut too"
flows6 || fail "IPv6 was cut by an IPv4 block"
# One way each, so a drop on either side counts on its own.
udp "$NSB" $B4 $A4 "in-blocked"
udp "$NSA" $A4 $B4 "out-blocked"
udp "$NSB" $B4 $C4 "fwd-blocked"
udp "$NSC" $C4 $B4 "back-blocked"
cut "$NSB" $B4 $C4 || fail "B ($B4) still reaches C through A after the block"
reach "$NSB" $B4b $C4 || fail "B's other address $B4b cannot reach C"
out=$(A blocks)
check_contains "blocks lists it" "$out" "$B4 "
check_contains "blocks shows the reason" "$out" "port scan"
exp=$(A blocks --json | jq -r ".[] | select(.addr == \"$B4\") | .expires_in_s")
if [ -z "$exp" ] || [ "$exp" = null ] || [ "$exp" -le 3500 ] ||
    [ "$exp" -gt 3600 ]; then
	fail "blocks --json: expires_in_s of $B4 is '$exp', want 3500..3600"
else
	pass
fi
check "blocks --json incident" "$(A blocks --json | jq -r \
    ".[] | select(.addr == \"$B4\") | .incident")" "$INC"
check "recorded" "$(rows "SELECT count(*) FROM blocks WHERE addr = '$B4' \
    AND removed IS NULL AND dry_run = 0 AND incident_id = $INC")" 1
check_contains "on the incident's timeline" "$(A incident show "$INC")" \
    "blocked $B4 for 1h: port scan"

# The same address again: a new expiry, still one block.
out=$(A block $B4 --for 2h 2>&1)
check "block again exit" "$?" 0
check_contains "block again says" "$out" "new expiry"
check "block again: one set element" "$(A blocks --json | jq \
    "[.[] | select(.addr == \"$B4\")] | length")" 1

# --- unblock: flows again ---
out=$(A unblock $B4 --incident "$INC" 2>&1)
check "unblock exit" "$?" 0
check_contains "unblock says" "$out" "unblocked $B4"
flows4 || fail "IPv4 does not flow again after unblock"
wait_reach "$NSB" $B4 $C4 || fail "B does not reach C again after unblock"
# Datagrams are delivered in order on a veth: once the one sent after
# the unblock has arrived, one sent during the block would have too.
udp "$NSB" $B4 $A4 "in-after"
udp "$NSA" $A4 $B4 "out-after"
udp_got "$T/udp-a" "in-after" || fail "UDP B->A does not flow after unblock"
udp_got "$T/udp-b" "out-after" || fail "UDP A->B does not flow after unblock"
udp "$NSB" $B4 $C4 "fwd-after"
udp "$NSC" $C4 $B4 "back-after"
udp_got "$T/udp-c" "fwd-after" || fail "UDP B->C does not flow after unblock"
udp_got "$T/udp-b" "back-after" || fail "UDP C->B does not flow after unblock"
for x in "udp-c fwd-blocked B->C (forward, from)" \
    "udp-b back-blocked C->B (forward, to)"; do
	set -- $x
	if grep -qx "$2" "$T/$1"; then
		fail "UDP $3 got through during the block"
	else
		pass
	fi
done
if grep -qx "in-blocked" "$T/udp-a"; then
	fail "UDP from B reached A during the block (input chain)"
else
	pass
fi
if grep -qx "out-blocked" "$T/udp-b"; then
	fail "UDP from A reached B during the block (output chain)"
else
	pass
fi
check "unblock recorded" "$(rows "SELECT count(*) FROM blocks WHERE \
    addr = '$B4' AND removed IS NULL")" 0
check_contains "unblock on the timeline" "$(A incident show "$INC")" \
    "unblocked $B4"
out=$(A unblock $B4 2>&1)
check "unblock again exit" "$?" 1
check_contains "unblock again says" "$out" "$B4 is not blocked"

# --- a timed block ends by itself ---
out=$(A block $B4 --for 2s --incident "$INC" 2>&1)
check "timed block exit" "$?" 0
check_contains "timed block says" "$out" "for 2s"
flows4 || fail "IPv4 does not flow again after the 2s block expired"
check "expired block no longer listed" "$(A blocks --json | jq \
    "[.[] | select(.addr == \"$B4\")] | length")" 0
check "expiry recorded" "$(rows "SELECT count(*) FROM blocks WHERE \
    addr = '$B4' AND removed IS NOT NULL AND removed = expires")" 1
check_contains "expiry on the timeline" "$(A incident show "$INC")" \
    "block of $B4 expired"

# --- IPv6 ---
out=$(A block $B6 2>&1)
check "IPv6 block exit" "$?" 0
cut "$NSB" $B6 $A6 || fail "B ($B6) still reaches A after the block"
cut "$NSA" $A6 $B6 || fail "A still reaches B ($B6) after the block"
reach "$NSB" $B4 $A4 || fail "IPv4 was cut by an IPv6 block"
out=$(A unblock $B6 2>&1)
check "IPv6 unblock exit" "$?" 0
flows6 || fail "IPv6 does not flow again after unblock"

# --- prefixes ---
out=$(A block 198.51.100.2/31 --for 1h 2>&1)
check "prefix block exit" "$?" 0
cut "$NSB" $B4 $A4 || fail "$B4 inside 198.51.100.2/31 still reaches A"
cut "$NSB" $B4b $A4 || fail "$B4b inside 198.51.100.2/31 still reaches A"
out=$(A block $B4 2>&1)
check "inside a prefix block exit" "$?" 1
check_contains "inside a prefix block says" "$out" \
    "$B4 is already blocked by 198.51.100.2/31"
out=$(A unblock $B4 2>&1)
check "unblock inside a prefix exit" "$?" 1
check_contains "unblock inside a prefix says" "$out" \
    "inside the block 198.51.100.2/31"
out=$(A unblock 198.51.100.2/31 2>&1)
check "prefix unblock exit" "$?" 0
flows4 || fail "IPv4 does not flow again after the prefix unblock"

out=$(A block 2001:db8:100::2/127 2>&1)
check "IPv6 prefix block exit" "$?" 0
cut "$NSB" $B6 $A6 || fail "$B6 inside ::2/127 still reaches A"
cut "$NSB" $B6b $A6 || fail "$B6b inside ::2/127 still reaches A"
out=$(A unblock 2001:db8:100::2/127 2>&1)
check "IPv6 prefix unblock exit" "$?" 0
flows6 || fail "IPv6 does not flow again after the prefix unblock"

out=$(A block 198.51.100.2/24 2>&1)
check "host bits exit" "$?" 1
check_contains "host bits says" "$out" "did you mean 198.51.100.0/24?"

# IPv4-mapped IPv6 is the IPv4 address.
out=$(A block ::ffff:$B4 2>&1)
check "mapped block exit" "$?" 0
check_contains "mapped block says" "$out" "blocked $B4 "
cut "$NSB" $B4 $A4 || fail "::ffff:$B4 did not block $B4"
A unblock ::ffff:$B4 >/dev/null 2>&1
check "mapped unblock exit" "$?" 0
flows4 || fail "IPv4 does not flow again after the mapped unblock"

# --- refused: allowlist, own addresses, loopback; nothing changes ---
cat > "$T/allow.yaml" <<EOF
respond:
  allowlist:
    - $B4b
EOF
before=$(ip netns exec "$NSA" nft list table inet mamori)
out=$(A block $B4b --config "$T/allow.yaml" 2>&1)
check "allowlisted exit" "$?" 1
check_contains "allowlisted says" "$out" \
    "$B4b is on the allowlist (respond.allowlist) and is never blocked"
out=$(A block 198.51.100.2/31 --config "$T/allow.yaml" 2>&1)
check "overlapping the allowlist exit" "$?" 1
check_contains "overlapping the allowlist says" "$out" \
    "198.51.100.2/31 overlaps the allowlist entry $B4b"
out=$(A block $A4 2>&1)
check "own address exit" "$?" 1
check_contains "own address says" "$out" \
    "this machine's own address on $VA"
out=$(A block 198.51.100.0/24 2>&1)
check "prefix with own address exit" "$?" 1
check_contains "prefix with own address says" "$out" \
    "overlaps the allowlist entry $A4 (this machine's own address"
out=$(A block 127.0.0.1 2>&1)
check "loopback exit" "$?" 1
check_contains "loopback says" "$out" "(loopback)"
after=$(ip netns exec "$NSA" nft list table inet mamori)
check "refusals left nftables alone" "$after" "$before"
reach "$NSB" $B4b $A4 || fail "allowlisted $B4b was cut"
check "refusals not recorded" "$(rows "SELECT count(*) FROM blocks WHERE \
    addr IN ('$B4b', '$A4', '127.0.0.1')")" 0

# --- dry run: recorded, nothing in nftables ---
out=$(A block $B4 --dry-run --incident "$INC" 2>&1)
check "dry run exit" "$?" 0
check_contains "dry run says" "$out" "dry run: would block $B4"
after=$(ip netns exec "$NSA" nft list table inet mamori)
check "dry run left nftables alone" "$after" "$before"
reach "$NSB" $B4 $A4 || fail "a dry run cut $B4"
check "dry run recorded" "$(rows "SELECT count(*) FROM blocks WHERE \
    addr = '$B4' AND dry_run = 1 AND removed IS NULL")" 1
check_contains "dry run listed" "$(A blocks)" "(dry run: not in the firewall)"
check_contains "dry run on the timeline" "$(A incident show "$INC")" \
    "dry run: would block $B4"
printf 'respond:\n  dry_run: true\n' > "$T/dry.yaml"
out=$(A block $B6 --config "$T/dry.yaml" 2>&1)
check "respond.dry_run exit" "$?" 0
check_contains "respond.dry_run says" "$out" "dry run: would block $B6"
after=$(ip netns exec "$NSA" nft list table inet mamori)
check "respond.dry_run left nftables alone" "$after" "$before"
out=$(A unblock $B4 2>&1)
check "dry-run unblock exit" "$?" 0
check_contains "dry-run unblock says" "$out" "dry-run block of $B4"

# --- usage and permission ---
A block >/dev/null 2>&1
check "no address: usage" "$?" 2
A block $B4 --for soon >/dev/null 2>&1
check "bad duration: usage" "$?" 2
printf 'respond:\n  allowlist:\n    - %s/24\n' $B4 > "$T/bad.yaml"
out=$(A block $B4 --config "$T/bad.yaml" 2>&1)
check "bad configuration exit" "$?" 1
check_contains "bad configuration says where" "$out" \
    "$T/bad.yaml:3: setting 'respond.allowlist[0]'"
out=$(A block $B4 --incident 99999 2>&1)
check "missing incident exit" "$?" 1
check_contains "missing incident says" "$out" "no incident 99999"
mkdir -p "$T/nobody" && chmod 777 "$T/nobody"
out=$(ip netns exec "$NSA" setpriv --reuid=65534 --regid=65534 \
    --clear-groups --inh-caps=-all "$MAMORI" block $B4 --data "$T/nobody" 2>&1)
check "without CAP_NET_ADMIN exit" "$?" 1
check_contains "without CAP_NET_ADMIN says" "$out" \
    "nftables: Operation not permitted: run as root or with CAP_NET_ADMIN"

# Nothing was left behind: only the dry-run IPv6 row is still in force.
check "no blocks left in nftables" "$(A blocks --json | jq \
    '[.[] | select(.dry_run == false)] | length')" 0
finish
