#!/bin/sh
# mamori promisc-probe (PromiScan), live in network namespaces.
#
# Topology: four namespaces, each with a macvlan (bridge mode) on one
# veth in the first ("hub"); the probe runs in the hub.  macvlan is used
# because, like a NIC, it filters group addresses: in normal mode only
# the groups the host joined pass, in promiscuous mode all do.  veth and
# bridges have no such filter, so there every Linux host answers the
# fake probes and looks promiscuous (docs/promiscan.md; the last case
# shows it), which is why the sniffer cases run on macvlan.
#
# Cases: one interface set promiscuous by hand (and then not); tcpdump
# (which sets promiscuous mode) in one namespace and `tcpdump -p` (which
# does not) in another; usage errors; no CAP_NET_RAW; and the veth case
# the documentation warns of.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces, raw sockets)"
	exit 0
fi
P=mamori-prm-$$
if ! ip netns add "$P-hub" 2>/dev/null; then
	echo "SKIP: no network namespace support here"
	exit 0
fi
ns_cleanup() {
	cleanup
	for n in hub a b c d e; do
		ip netns del "$P-$n" 2>/dev/null
	done
}
trap ns_cleanup EXIT
in_ns() { _ns=$1; shift; ip netns exec "$P-$_ns" "$@"; }
probe() { in_ns hub "$MAMORI" promisc-probe "$@"; }

in_ns hub ip link set lo up
in_ns hub ip link add low type veth peer name lowpeer
in_ns hub ip link set low up
in_ns hub ip link set lowpeer up
if ! in_ns hub ip link add mvh link low type macvlan mode bridge \
    2>/dev/null; then
	echo "SKIP: no macvlan support in this kernel"
	exit 0
fi
in_ns hub ip addr add 10.200.0.1/24 dev mvh
in_ns hub ip link set mvh up
i=2
for n in a b c; do
	ip netns add "$P-$n"
	in_ns $n ip link set lo up
	# Without IPv6 addresses the groups joined are the broadcast,
	# 224.0.0.1 and ff02::1 alone: fewer buckets of macvlan's hash
	# filter for a fake probe to share by chance (docs/promiscan.md).
	# Such a collision makes a host "unclear" (about 1.5% of runs per
	# host, by simulation of the kernel's hash); two collisions, needed
	# for "promiscuous", did not occur in 200000 simulated runs.
	for c in all default; do
		in_ns $n sh -c "echo 1 > /proc/sys/net/ipv6/conf/$c/disable_ipv6" \
		    2>/dev/null
	done
	in_ns hub ip link add mv$n link low type macvlan mode bridge
	in_ns hub ip link set mv$n netns "$P-$n"
	in_ns $n ip addr add 10.200.0.$i/24 dev mv$n
	in_ns $n ip link set mv$n up
	i=$((i + 1))
done

# verdict JSON ADDRESS
verdict() {
	printf '%s' "$1" | jq -r --arg a "$2" \
	    '.targets[] | select(.address == $a) | .verdict'
}
answered() {
	printf '%s' "$1" | jq -r --arg a "$2" \
	    '.targets[] | select(.address == $a) | .answered | join(" ")'
}
# not_reported JSON ADDRESS: answered the controls, not called a sniffer.
# (A host in normal mode may be "unclear" when a fake probe shares a
# bucket of its multicast hash filter with a group it joined.)
not_reported() {
	v=$(verdict "$1" "$2")
	case "$v" in
	normal|unclear) pass ;;
	*) fail "$2: verdict '$v', want normal" ;;
	esac
	check_contains "$2 answered the controls" "$(answered "$1" "$2")" \
	    "M1 BC"
}

# --- usage and errors -------------------------------------------------
out=$(probe 2>&1); rc=$?
check "no interface: status" "$rc" 2
check_contains "no interface: message" "$out" "which interface?"
out=$(probe nosuch0 2>&1); rc=$?
check "unknown interface: status" "$rc" 2
check_contains "unknown interface: message" "$out" \
    "nosuch0: no such interface"
out=$(probe mvh 10.200.0.300 2>&1); rc=$?
check "bad target: status" "$rc" 2
check_contains "bad target: message" "$out" \
    "'10.200.0.300' is not an IPv4 address"
out=$(probe mvh 10.0.0.0/8 2>&1); rc=$?
check "range too large: status" "$rc" 2
check_contains "range too large: message" "$out" "/8 is too large"
out=$(probe mvh --timeout 0 2>&1); rc=$?
check "bad timeout: status" "$rc" 2
check_contains "bad timeout: message" "$out" "--timeout '0'"
out=$(in_ns hub setpriv --bounding-set=-net_raw "$MAMORI" promisc-probe \
    mvh 10.200.0.2 2>&1); rc=$?
check "no CAP_NET_RAW: status" "$rc" 2
check_contains "no CAP_NET_RAW: message" "$out" "needs CAP_NET_RAW"

# --- one interface promiscuous by hand ----------------------------------
in_ns b ip link set mvb promisc on
j=$(probe mvh 10.200.0.2 10.200.0.3 10.200.0.4 10.200.0.9 --json); rc=$?
check "promiscuous b: status" "$rc" 1
check "promiscuous b: verdict" "$(verdict "$j" 10.200.0.3)" promiscuous
check "promiscuous b: all probes answered" "$(answered "$j" 10.200.0.3)" \
    "B47 B16 B8 G M0 M3 M1 BC"
not_reported "$j" 10.200.0.2
not_reported "$j" 10.200.0.4
check "absent host" "$(verdict "$j" 10.200.0.9)" "no answer"
check "one reported" "$(printf '%s' "$j" | jq '.summary.promiscuous')" 1
check "b's MAC" "$(printf '%s' "$j" | jq -r \
    '.targets[] | select(.address == "10.200.0.3") | .mac')" \
    "$(in_ns b cat /sys/class/net/mvb/address)"

# The default targets: the interface's subnet, in text.
out=$(probe mvh); rc=$?
check "default targets: status" "$rc" 1
check_contains "default targets: count" "$out" "probed 253 targets"
check "default targets: the one reported" "$(printf '%s\n' "$out" |
    awk '$3 == "promiscuous" { print $1 }')" 10.200.0.3
check_contains "default targets: summary" "$out" "1 promiscuous,"

# Back to normal: nobody is reported.
in_ns b ip link set mvb promisc off
j=$(probe mvh 10.200.0.2 10.200.0.3 10.200.0.4 --json); rc=$?
check "promiscuous off: status" "$rc" 0
check "promiscuous off: none" "$(printf '%s' "$j" |
    jq '.summary.promiscuous')" 0
not_reported "$j" 10.200.0.3

# --- a sniffer: tcpdump ---------------------------------------------------
if ! command -v tcpdump >/dev/null 2>&1; then
	fail "tcpdump is not installed (scripts/install-deps.sh installs it)"
	finish
fi
# start_tcpdump NS IFACE ARGS...: until it listens (it has set the mode).
start_tcpdump() {
	n=$1
	dev=$2
	shift 2
	# Not through in_ns: $! must be tcpdump itself, not a subshell.
	ip netns exec "$P-$n" tcpdump -n -i "$dev" "$@" -w /dev/null \
	    2>"$T/tcpdump-$n.err" &
	echo $! > "$T/tcpdump-$n.pid"
	i=0
	while ! grep -q "listening on" "$T/tcpdump-$n.err" && [ $i -lt 100 ]
	do
		sleep 0.1
		i=$((i + 1))
	done
	check_contains "tcpdump in $n started" "$(cat "$T/tcpdump-$n.err")" \
	    "listening on"
}
start_tcpdump a mva
start_tcpdump c mvc -p
j=$(probe mvh 10.200.0.2 10.200.0.3 10.200.0.4 --json); rc=$?
check "tcpdump: status" "$rc" 1
check "tcpdump: sniffer reported" "$(verdict "$j" 10.200.0.2)" promiscuous
not_reported "$j" 10.200.0.3
not_reported "$j" 10.200.0.4	# tcpdump -p: not promiscuous
check "tcpdump: one reported" "$(printf '%s' "$j" |
    jq '.summary.promiscuous')" 1
for n in a c; do
	kill "$(cat "$T/tcpdump-$n.pid")" 2>/dev/null
	wait "$(cat "$T/tcpdump-$n.pid")" 2>/dev/null
	rm -f "$T/tcpdump-$n.pid"
done

# The sniffer gone, so is the report.
j=$(probe mvh 10.200.0.2 --json); rc=$?
check "tcpdump stopped: status" "$rc" 0
not_reported "$j" 10.200.0.2

# --- what docs/promiscan.md says of veth --------------------------------
# Two hosts in normal mode behind veths on a bridge: veth filters
# nothing, so both answer every fake probe and look promiscuous, and the
# command says why.
in_ns hub ip link add br0 type bridge
in_ns hub ip addr add 10.201.0.1/24 dev br0
in_ns hub ip link set br0 up
i=2
for n in d e; do
	ip netns add "$P-$n"
	in_ns hub ip link add ve$n type veth peer name vp$n
	in_ns hub ip link set vp$n master br0 up
	in_ns hub ip link set ve$n netns "$P-$n"
	in_ns $n ip addr add 10.201.0.$i/24 dev ve$n
	in_ns $n ip link set ve$n up
	i=$((i + 1))
done
probe br0 10.201.0.2 10.201.0.3 > "$T/veth.out" 2> "$T/veth.err"; rc=$?
check "veth: status" "$rc" 1
check_contains "veth: both look promiscuous" "$(cat "$T/veth.out")" \
    "2 promiscuous, 0 unclear, 0 normal"
check_contains "veth: the note" "$(cat "$T/veth.err")" \
    "every host that answered looks promiscuous"

finish
