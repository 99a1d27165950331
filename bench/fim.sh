#!/bin/sh
# bench/fim.sh - `mamori fim init` and `check` against `aide --init` and
# `aide --check` on the same tree with the same attributes, in one run,
# with the CPU time and peak RSS of each (GNU time).
#
#   bench/fim.sh [DIR] [ROUNDS]        (defaults /usr and 1)
#
# Attributes on both sides: file type, permissions, uid, gid, size, mtime,
# ctime, inode, link count, symlink target, SHA-256, ACL, extended
# attributes, file capabilities (AIDE:
# ftype+p+u+g+s+m+c+i+n+l+sha256+acl+xattrs+caps).  Both use one hashing
# thread per CPU (AIDE's num_workers, mamori's default).  A first mamori
# init, not counted, warms the page cache so that both read from memory;
# then each round runs aide --init, mamori init, aide --check, mamori
# check, and mamori check --trust-metadata (not AIDE's way: reuses the
# baseline's digests of files whose size, mtime, ctime and inode are
# unchanged; shown apart).  Nothing changes between init and check: both
# hash every file again, as a check must.  The machine should be otherwise idle: compare
# the ratios of one run, and the CPU seconds, more than absolute times.
set -eu
DIR=${1:-/usr}
ROUNDS=${2:-1}
top=$(cd "$(dirname "$0")/.." && pwd)
MAMORI=${MAMORI:-$top/build/mamori}
AIDE=${AIDE:-/usr/bin/aide}
TIME=/usr/bin/time
[ -x "$MAMORI" ] || { echo "build mamori first (make)"; exit 1; }
[ -x "$AIDE" ] || { echo "install aide (apt-get install aide)"; exit 1; }
[ -x "$TIME" ] || { echo "install GNU time (apt-get install time)"; exit 1; }
T=$(mktemp -d /tmp/mamori-fimbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
cores=$(nproc)

cat > "$T/aide.conf" <<EOF
database_in=file:$T/aide.db
database_out=file:$T/aide.db.new
gzip_dbout=no
num_workers=$cores
report_url=file:$T/aide.report
G = ftype+p+u+g+s+m+c+i+n+l+sha256+acl+xattrs+caps
$DIR G
EOF
cat > "$T/agent.yaml" <<EOF
fim:
  database: $T/mamori.db
  hash: sha256
  paths:
    - path: $DIR
      attributes: [type, perms, uid, gid, size, mtime, ctime, inode, links,
                   target, sha256, acl, xattrs, caps]
EOF

# run NAME CMD...: prints "wall cpu rss_mb"; the exit status is kept in
# $T/NAME.rc (aide and mamori exit 1-7 when they find differences).
run() {
	name=$1
	shift
	set +e
	"$TIME" -f '%e %U %S %M' -o "$T/$name.time" "$@" \
	    > "$T/$name.out" 2> "$T/$name.err"
	echo $? > "$T/$name.rc"
	set -e
	# GNU time writes "Command exited with non-zero status N" first.
	tail -n 1 "$T/$name.time" |
	    awk '{ printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }'
}

entries=$(find "$DIR" -xdev | wc -l)
bytes=$(du -sxb "$DIR" | cut -f1)
echo "bench/fim.sh: $DIR ($entries entries, $((bytes / 1000000)) MB), $cores cores, $ROUNDS round(s)"
echo "mamori $("$MAMORI" --version 2>/dev/null | cut -d' ' -f2), $("$AIDE" --version 2>&1 | head -1)"
run warmup "$MAMORI" fim init --config "$T/agent.yaml" > /dev/null

r=1
while [ "$r" -le "$ROUNDS" ]; do
	set -- $(run aide_init "$AIDE" --init -c "$T/aide.conf")
	ai_w=$1 ai_c=$2 ai_m=$3
	mv "$T/aide.db.new" "$T/aide.db"
	set -- $(run mamori_init "$MAMORI" fim init --config "$T/agent.yaml")
	mi_w=$1 mi_c=$2 mi_m=$3
	set -- $(run aide_check "$AIDE" --check -c "$T/aide.conf")
	ac_w=$1 ac_c=$2 ac_m=$3
	set -- $(run mamori_check "$MAMORI" fim check --config "$T/agent.yaml")
	mc_w=$1 mc_c=$2 mc_m=$3
	set -- $(run mamori_trust "$MAMORI" fim check --trust-metadata \
	    --config "$T/agent.yaml")
	mt_w=$1 mt_c=$2 mt_m=$3
	echo "round $r:"
	printf '  init:  aide %6.2f s (cpu %6.2f s, %4d MB)  mamori %6.2f s (cpu %6.2f s, %4d MB)  %.2fx faster, %.2fx less cpu\n' \
	    "$ai_w" "$ai_c" "$ai_m" "$mi_w" "$mi_c" "$mi_m" \
	    "$(echo "$ai_w / $mi_w" | bc -l)" "$(echo "$ai_c / $mi_c" | bc -l)"
	printf '  check: aide %6.2f s (cpu %6.2f s, %4d MB)  mamori %6.2f s (cpu %6.2f s, %4d MB)  %.2fx faster, %.2fx less cpu\n' \
	    "$ac_w" "$ac_c" "$ac_m" "$mc_w" "$mc_c" "$mc_m" \
	    "$(echo "$ac_w / $mc_w" | bc -l)" "$(echo "$ac_c / $mc_c" | bc -l)"
	printf '  check --trust-metadata (no re-hash of files whose size, mtime, ctime, inode match): mamori %6.2f s (cpu %6.2f s, %4d MB)\n' \
	    "$mt_w" "$mt_c" "$mt_m"
	echo "  exit status of check: aide $(cat "$T/aide_check.rc"), mamori $(cat "$T/mamori_check.rc"), trusting $(cat "$T/mamori_trust.rc") (0: no differences)"
	r=$((r + 1))
done
