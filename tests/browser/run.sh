#!/bin/sh
# run.sh - runs browser tests (tests/browser/test-*.js) against a built
# mamori.  CTest runs each one as browser/<name> (tests/CMakeLists.txt);
# by hand:
#
#   MAMORI=build/mamori tests/browser/run.sh                 all of them
#   MAMORI=build/mamori tests/browser/run.sh test-flow.js    one
#
# Needs Node.js 20+, Debian's chromium (scripts/install-deps.sh --test)
# and playwright-core (scripts/install-browser.sh, into build/tools).
# Screenshots go to $MAMORI_TEST_OUTPUT/screenshots (CTest: the build
# directory's test-output/screenshots).  KEEP=1 keeps scratch directories.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${MAMORI:?MAMORI must name the mamori binary}"
export MAMORI
export MAMORI_SRC="${MAMORI_SRC:-$top}"
export MAMORI_TOOLS="${MAMORI_TOOLS:-$top/build/tools}"
export MAMORI_TEST_OUTPUT="${MAMORI_TEST_OUTPUT:-$(dirname "$MAMORI")/test-output}"

if ! command -v node >/dev/null 2>&1; then
	echo "FAIL: node is needed for the browser tests" >&2
	exit 1
fi

if [ $# -eq 0 ]; then
	set -- "$here"/test-*.js
fi
rc=0
for t in "$@"; do
	case "$t" in
	*/*) ;;
	*) t="$here/$t" ;;
	esac
	echo "== $(basename "$t" .js)"
	node "$t" || rc=1
done
exit $rc
