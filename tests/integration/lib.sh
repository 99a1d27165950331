# lib.sh - shared by the integration tests: a scratch directory, free
# ports, starting and stopping the real server, and assertions.
#
# The environment comes from CTest: MAMORI (the binary), MAMORI_SRC (the
# repository), MAMORI_SHARED (../shared), MAMORI_TOOLS (build/tools).

set -u

: "${MAMORI:?MAMORI must name the mamori binary}"
T=$(mktemp -d /tmp/mamori-it.XXXXXX)
# The server drops root to user mamori, which must reach the data.
chmod 755 "$T"
DATA="$T/data"
export MAMORI_SEAL_KEY="$T/seal.key"
SERVER_PID=
SERVER_LOG="$T/server.log"
SERVER_STARTS=0
FAILS=0
PASSES=0

cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	for f in "$T"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	if [ "$FAILS" -gt 0 ] || [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T for inspection"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

pass() {
	PASSES=$((PASSES + 1))
}

# check DESCRIPTION GOT WANT
check() {
	if [ "$2" = "$3" ]; then
		pass
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# check_contains DESCRIPTION HAYSTACK NEEDLE
check_contains() {
	case "$2" in
	*"$3"*) pass ;;
	*) fail "$1: '$3' not in: $2" ;;
	esac
}

finish() {
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
	exit $?
}

# free_port tcp|udp: a port nobody listens on.
free_port() {
	proto=$1
	while :; do
		p=$(( (($$ * 7919 + $(date +%N | sed 's/^0*//;s/^$/0/')) % 20000) + 20000 ))
		if [ "$proto" = udp ]; then
			ss -Hlun "sport = :$p" | grep -q . || break
		else
			ss -Hltn "sport = :$p" | grep -q . || break
		fi
	done
	echo "$p"
}

# start_server ARGS...: starts mamori server on $DATA and waits until
# every listener is up.
start_server() {
	SERVER_STARTS=$((SERVER_STARTS + 1))
	SERVER_LOG="$T/server.$SERVER_STARTS.log"
	: > "$SERVER_LOG"
	"$MAMORI" server --data "$DATA" "$@" >>"$SERVER_LOG" 2>&1 &
	SERVER_PID=$!
	i=0
	while [ $i -lt 100 ]; do
		if grep -q "send a first message\|then: mamori" "$SERVER_LOG"; then
			return 0
		fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "server exited:" >&2
			cat "$SERVER_LOG" >&2
			SERVER_PID=
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "server did not start:" >&2
	cat "$SERVER_LOG" >&2
	return 1
}

# stop_server: SIGTERM and wait (the server flushes first).
stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID"
		wait "$SERVER_PID"
		rc=$?
		SERVER_PID=
		return $rc
	fi
}

# wait_stored N [TIMEOUT_S]: until the store holds at least N records.
wait_stored() {
	want=$1
	limit=${2:-30}
	i=0
	while [ $i -lt $((limit * 10)) ]; do
		n=$("$MAMORI" logs search --data "$DATA" --count 2>/dev/null)
		[ -n "$n" ] && [ "$n" -ge "$want" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "only ${n:-0} of $want records stored after ${limit}s" >&2
	return 1
}

search() {
	"$MAMORI" logs search --data "$DATA" "$@"
}

# bsd_to_5424 FILE: BSD syslog lines as written to disk ("Dec 10 06:55:46
# host prog[pid]: text") as RFC 5424 lines of 2025 with <38>, so that a
# server keeps each line's own time (year-less times in the future would
# be taken as the time received).
bsd_to_5424() {
	awk 'BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec",
	    m, " "); for (i = 1; i <= 12; i++) mon[m[i]] = i }
	{
		prog = $5; pid = "-"
		if (match(prog, /\[[0-9]+\]:$/)) {
			pid = substr(prog, RSTART + 1, RLENGTH - 3)
			prog = substr(prog, 1, RSTART - 1)
		} else
			sub(/:$/, "", prog)
		msg = $0
		for (i = 1; i <= 5; i++)
			sub(/^[^ ]+ +/, "", msg)
		printf "<38>1 2025-%02d-%02dT%sZ %s %s %s - - %s\n",
		    mon[$1], $2, $3, $4, prog, pid, msg
	}' "$1"
}
