#!/bin/sh
# Installs what mamori needs to build, run and test on Debian 12, and
# nothing that is already there.  Run as root (or with sudo available).
#
#   scripts/install-deps.sh          build and run dependencies
#   scripts/install-deps.sh --test   also the real peers the tests start
#   scripts/install-deps.sh --bench  also the tools bench/ compares with
#
# syslog-ng's loggen is wanted for load tests, but syslog-ng-core conflicts
# with rsyslog as a package, so loggen is unpacked from its .deb into
# build/tools/ instead of being installed.
set -eu

want_test=0
want_bench=0
[ "${1:-}" = "--test" ] && want_test=1
[ "${1:-}" = "--bench" ] && want_test=1 && want_bench=1

build_pkgs="build-essential cmake pkg-config clang libclang-rt-14-dev \
  libssl-dev libyaml-dev libsqlite3-dev libzstd-dev libpcre2-dev \
  libjansson-dev librelp-dev zlib1g-dev libvectorscan-dev \
  libxml2-dev libcurl4-openssl-dev libnftables-dev libpcap-dev \
  libacl1-dev libcap-dev libmagic-dev libmicrohttpd-dev libsodium-dev"
run_pkgs="openssl"
test_pkgs="bsdutils util-linux rsyslog rsyslog-relp rsyslog-gnutls \
  procps iproute2 psmisc time xxd gzip libglib2.0-0 \
  openssl jq netcat-openbsd bc sqlite3 nftables libxml2-utils \
  python3 python3-aiosmtpd cmark-gfm nmap hping3 tcpdump aide chromium \
  acl libcap2-bin fonts-ipafont-gothic"

bench_pkgs="fail2ban wireshark-common"

pkgs="$build_pkgs $run_pkgs"
[ $want_test = 1 ] && pkgs="$pkgs $test_pkgs"
[ $want_bench = 1 ] && pkgs="$pkgs $bench_pkgs"

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

SUDO=""
[ "$(id -u)" != 0 ] && SUDO="sudo"

if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# policy-rc.d keeps the packages' own daemons (rsyslog) from being
	# started by the install; the tests start their own instances.
	made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		$SUDO sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d'
		made_policy=1
	fi
	$SUDO apt-get install -y -qq --no-install-recommends $missing
	if [ $made_policy = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
fi

# The server drops root privileges to this user after binding its ports.
if [ "$(id -u)" = 0 ] && ! id mamori >/dev/null 2>&1; then
	echo "install-deps: creating system user mamori"
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin mamori
fi

if [ $want_test = 1 ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	tools="$top/build/tools/syslog-ng"
	if [ ! -x "$tools/usr/bin/loggen" ]; then
		echo "install-deps: unpacking loggen from syslog-ng-core"
		tmp=$(mktemp -d)
		(cd "$tmp" && apt-get download -qq syslog-ng-core) ||
		    { $SUDO apt-get update -qq &&
		      (cd "$tmp" && apt-get download -qq syslog-ng-core); }
		mkdir -p "$tools"
		dpkg -x "$tmp"/syslog-ng-core_*.deb "$tools"
		rm -rf "$tmp"
	fi
	# playwright-core (npm) for the browser tests, into build/tools.
	sh "$top/scripts/install-browser.sh"
fi
exit 0
