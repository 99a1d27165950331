#!/bin/sh
# Automatic blocks requested by rules, live: the server runs as root in a
# network namespace of its own (its own nftables; the host's firewall is
# never touched), drops to its unprivileged user keeping CAP_NET_ADMIN
# alone, and blocks the address of every SSH brute-force alert
# (respond.auto_block) when the OpenSSH log of the shared data is sent to
# it.  The blocks are in nftables with their timeout, in the blocks
# table, and on the incidents' timelines; an allowlisted attacker is not
# blocked.
. "$(dirname "$0")/lib.sh"

LOG=${MAMORI_SHARED:-}/data/logs/loghub_OpenSSH_2k.log
if [ ! -f "$LOG" ]; then
	echo "SKIP: no shared data"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (network namespaces, nftables)"
	exit 0
fi
NS=mamori-srv-$$
if ! ip netns add "$NS" 2>/dev/null; then
	echo "SKIP: no network namespace support here"
	exit 0
fi
ns_cleanup() {
	cleanup
	ip netns del "$NS" 2>/dev/null
}
trap ns_cleanup EXIT
ip netns exec "$NS" ip link set lo up
in_ns() { ip netns exec "$NS" "$@"; }

# The server's user must reach the data directory.
chmod 755 "$T"
cat > "$T/mamori.yaml" <<EOF
respond:
  allowlist: [103.99.0.122]
  auto_block:
    - rules: [119001]
      for: 2h
EOF
port=$(free_port tcp)
SERVER_LOG="$T/server.log"
# Not through in_ns: a function run in the background is a subshell, and
# $! would name it rather than the server, which cleanup must stop.
ip netns exec "$NS" "$MAMORI" server --data "$DATA" \
    --config "$T/mamori.yaml" --listen "tcp://127.0.0.1:$port" \
    > "$SERVER_LOG" 2>&1 &
SERVER_PID=$!
i=0
while ! grep -q "send a first message\|then: mamori" "$SERVER_LOG" &&
    [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check_contains "server started" "$(cat "$SERVER_LOG")" "respond: 1 automatic"
if id mamori >/dev/null 2>&1; then
	check_contains "privileges dropped" "$(cat "$SERVER_LOG")" \
	    "running as user mamori"
fi

bsd_to_5424 "$LOG" > "$T/ssh.5424"
in_ns nc -q 1 127.0.0.1 "$port" < "$T/ssh.5424"

# Brute-forcing addresses, as the rules see them offline; all but the
# allowlisted one must end up blocked.
"$MAMORI" analyze --json --no-summary "$LOG" |
    jq -r 'select(.rule.id == "119001") | .data.srcip' | sort -u |
    grep -v '^103\.99\.0\.122$' > "$T/want"
i=0
while [ $i -lt 100 ]; do
	in_ns nft -j list set inet mamori block4 2>/dev/null |
	    jq -r '.nftables[] | select(.set) | .set.elem // [] | .[] |
	    (.elem.val // .)' | sort > "$T/got"
	cmp -s "$T/want" "$T/got" && break
	sleep 0.2
	i=$((i + 1))
done
check "blocked in nftables" "$(cat "$T/got" | tr '\n' ' ')" \
    "$(cat "$T/want" | tr '\n' ' ')"
t=$(in_ns nft -j list set inet mamori block4 | jq -r '[.nftables[] |
    select(.set) | .set.elem[] | .elem.timeout] | max')
check "with the configured timeout" "$t" 7200
check_contains "allowlisted attacker not blocked" "$(cat "$SERVER_LOG")" \
    "103.99.0.122"

# Recorded: the blocks table and the incident of each attacker.
check "blocks table" "$(sqlite3 "$DATA/mamori.db" "SELECT addr FROM blocks
    WHERE removed IS NULL ORDER BY addr" | sort | tr '\n' ' ')" \
    "$(cat "$T/want" | tr '\n' ' ')"
id=$("$MAMORI" incident list --status all --json --data "$DATA" |
    jq -r 'select(.attackers[0].value == "183.62.140.253" and
    (.title | startswith("SSH brute force"))) | .id')
check_contains "block on the incident's timeline" \
    "$("$MAMORI" incident show "$id" --json --data "$DATA" |
    jq -r '.timeline[] | select(.kind == "block") | .text')" \
    "183.62.140.253"
check "mamori blocks lists them" "$(in_ns "$MAMORI" blocks --data "$DATA" \
    --config "$T/mamori.yaml" --json | jq -r '.[].addr' | sort |
    tr '\n' ' ')" "$(cat "$T/want" | tr '\n' ' ')"

finish
