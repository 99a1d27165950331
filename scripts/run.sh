#!/bin/sh
# Starts `mamori server` on its embedded defaults (used by `make run`),
# with --demo: the bundled sample scenario (etc/demo.log) is replayed into
# it at start, so there are incidents to look at straight away.
#
#   scripts/run.sh BINARY DATA_DIR [server options...]
#
# As root the server drops to the unprivileged user "mamori" after binding
# (install-deps.sh creates it).  That user must be able to reach the data
# directory; a checkout under a private home directory is not reachable,
# so then the data goes to /var/lib/mamori instead, and we say so.
set -eu
bin=$1
data=$2
shift 2

if [ "$(id -u)" = 0 ] && id mamori >/dev/null 2>&1; then
	mkdir -p "$data"
	chown mamori: "$data"
	if ! su -s /bin/sh mamori -c "test -w '$data' && test -x '$data'" \
	    2>/dev/null; then
		echo "run: user mamori cannot reach $data (a parent directory" \
		    "is private); using /var/lib/mamori instead"
		rmdir "$data" 2>/dev/null || true
		data=/var/lib/mamori
		mkdir -p "$data"
		chown mamori: "$data"
	fi
fi

cat <<MSG

  mamori server: data in $data
  listening on udp://127.0.0.1:5514, tcp://127.0.0.1:5514 and
  relp://127.0.0.1:2514 (TLS on 6514 once a certificate is configured)

  send it a first message from another terminal:
    logger -n 127.0.0.1 -P 5514 -T --rfc5424 'hello mamori'
  and find it again:
    $bin logs search --data $data hello
    $bin status --data $data

  A sample scenario (etc/demo.log: a scan, SSH password guessing that
  succeeds, SQL injection, a worm, a SYN flood) is replayed at start:
    $bin incident list --data $data
  or in the console, http://127.0.0.1:8080/ (the server prints the
  password of its first user, admin, once, below).

  Ctrl-C stops the server (it stores and syncs everything first).

MSG
exec "$bin" server --data "$data" --demo "$@"
