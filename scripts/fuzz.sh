#!/bin/sh
# Runs every libFuzzer harness built in BUILD_DIR for SECONDS each, from
# its seed corpus (copied, so the repository's corpus stays small), and
# fails if any harness finds a crash, a leak or undefined behaviour.
#
#   scripts/fuzz.sh BUILD_DIR SECONDS      (used by `make fuzz`)
set -u
build=$1
secs=${2:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
status=0
for h in "$build"/tests/fuzz-*; do
	[ -x "$h" ] || continue
	name=$(basename "$h" | sed 's/^fuzz-//')
	work=$(mktemp -d)
	cp "$top/tests/fuzz/corpus/$name"/* "$work"/ 2>/dev/null
	echo "fuzz: $name for ${secs}s"
	if ! "$h" -max_total_time="$secs" -print_final_stats=1 \
	    -artifact_prefix="$top/tests/fuzz/$name-" "$work" \
	    >"$work.log" 2>&1; then
		echo "fuzz: $name FAILED; see $work.log and tests/fuzz/$name-*"
		tail -30 "$work.log"
		status=1
	else
		grep -E 'stat::number_of_executed_units|cov:' "$work.log" |
		    tail -2
	fi
	rm -rf "$work"
done
exit $status
