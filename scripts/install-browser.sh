#!/bin/sh
# Installs what the browser tests (tests/browser) need from npm:
# playwright-core at the version pinned in tests/browser/package-lock.json,
# into build/tools/browser/node_modules.  The browser itself is Debian's
# chromium (scripts/install-deps.sh --test installs it); playwright-core
# downloads no browser.
#
#   scripts/install-browser.sh [TOOLS_DIR]     (default build/tools)
#
# Does nothing, and needs no network, when the pinned version is already
# installed there; reinstalls when the lock file changed.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
src="$top/tests/browser"
dest="${1:-$top/build/tools}/browser"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1
then
	echo "install-browser: node and npm are needed (Node.js 20 or later)" >&2
	exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
	echo "install-browser: Node.js $(node --version) is too old;" \
	    "playwright-core needs 20 or later" >&2
	exit 1
fi

if [ -f "$dest/package-lock.json" ] &&
    cmp -s "$src/package-lock.json" "$dest/package-lock.json" &&
    [ -f "$dest/node_modules/playwright-core/package.json" ]; then
	exit 0
fi

echo "install-browser: installing playwright-core into $dest"
mkdir -p "$dest"
rm -rf "$dest/node_modules"
cp "$src/package.json" "$src/package-lock.json" "$dest/"
# --ignore-scripts: nothing runs at install time (playwright-core has no
# install script, and nothing here should download a browser).
(cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund \
    --loglevel=error) || {
	# Leave no half-installed tree that a later run would take as done.
	rm -f "$dest/package-lock.json"
	echo "install-browser: npm ci failed" >&2
	exit 1
}
