#!/bin/sh
# Parity with Debian's AIDE: on one test tree with scripted changes
# (content, mode, owner, new file, removed file and directory, symlink
# retargeted, mtime-only touch, new hard link, file replaced by a
# directory, ACL, extended attribute, file capability), `aide --check`
# and `mamori fim check`, configured with the same attributes, report
# the same (path, attribute) pairs, and both equal the set this test
# writes down itself (so the test fails when both tools miss something).
#
# AIDE keeps times in whole seconds: the changes are made in a later
# second than the baselines.  ACL changes need setfacl (package acl),
# capabilities setcap (libcap2-bin): without them those steps are skipped
# and said so.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
AIDE=${AIDE:-/usr/bin/aide}
if [ ! -x "$AIDE" ]; then
	fail "aide is not installed ($AIDE): apt-get install aide"
	finish
fi
HAVE_ACL=0; command -v setfacl >/dev/null 2>&1 && HAVE_ACL=1
HAVE_CAP=0; command -v setcap >/dev/null 2>&1 && HAVE_CAP=1
[ $HAVE_ACL = 1 ] || echo "setfacl not installed (package acl): ACL step skipped"
[ $HAVE_CAP = 1 ] || echo "setcap not installed (libcap2-bin): capability step skipped"

R="$T/tree"
mkdir -p "$R/sub" "$R/gone"
for f in content mode owner removed touched hard replaced acl xattr caps; do
	echo "$f" > "$R/$f"
done
echo deep > "$R/sub/deep"
ln -s content "$R/link"
mkfifo "$R/fifo"

cat > "$T/aide.conf" <<EOF
database_in=file:$T/aide.db
database_out=file:$T/aide.db.new
report_format=json
report_url=stdout
G = ftype+p+u+g+s+m+c+i+n+l+sha256+acl+xattrs+caps
$R G
EOF
cat > "$T/agent.yaml" <<EOF
fim:
  database: $T/mamori.db
  hash: sha256
  paths:
    - path: $R
      attributes: [type, perms, uid, gid, size, mtime, ctime, inode, links,
                   target, sha256, acl, xattrs, caps]
EOF

"$AIDE" --init -c "$T/aide.conf" > "$T/aide.init" 2>&1
check "aide --init" "$?" 0
mv "$T/aide.db.new" "$T/aide.db"
"$MAMORI" fim init --config "$T/agent.yaml" > "$T/mamori.init" 2>&1
check "mamori fim init" "$?" 0

# Nothing changed yet: both say so.
"$AIDE" --check -c "$T/aide.conf" > /dev/null 2>&1
check "aide --check, unchanged" "$?" 0
"$MAMORI" fim check --config "$T/agent.yaml" > "$T/m0" 2>&1
check "mamori fim check, unchanged" "$?" 0

sleep 1.1	# AIDE's times have whole seconds

echo more >> "$R/content"
chmod 600 "$R/mode"
chown 1:1 "$R/owner"
echo new > "$R/sub/new"
rm "$R/removed"
rmdir "$R/gone"
# New inodes are made before the old ones are freed: a file system may
# give a freed inode number to the next file made (a flake: both tools
# then rightly saw no inode change, which the expected set has).
ln -s mode "$R/link.new" && mv -T "$R/link.new" "$R/link"
touch "$R/touched"
ln "$R/hard" "$R/hard2"
mkdir "$R/replaced.new" && rm "$R/replaced" && mv -T "$R/replaced.new" \
    "$R/replaced"
# Each of these needs support from the file system $T is on.
HAVE_XATTR=0
$PY -c "import os; os.setxattr('$R/xattr', 'user.mamori', b'v1')" \
    2>/dev/null && HAVE_XATTR=1
[ $HAVE_XATTR = 1 ] || echo "no user extended attributes on $T: step skipped"
if [ $HAVE_ACL = 1 ] && ! setfacl -m u:7:r "$R/acl" 2>/dev/null; then
	echo "no ACLs on $T: step skipped"
	HAVE_ACL=0
fi
if [ $HAVE_CAP = 1 ] && ! setcap cap_net_raw+ep "$R/caps" 2>/dev/null; then
	echo "no file capabilities on $T: step skipped"
	HAVE_CAP=0
fi

"$AIDE" --check -c "$T/aide.conf" > "$T/aide.json" 2> "$T/aide.err"
check "aide --check exit (added+removed+changed)" "$?" 7
"$MAMORI" fim check --config "$T/agent.yaml" --json > "$T/mamori.json" \
    2> "$T/mamori.err"
check "mamori fim check exit (added+removed+changed)" "$?" 7

# (path attribute) pairs, relative to the tree.
$PY - "$T/aide.json" "$R" > "$T/aide.pairs" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); root = sys.argv[2]
names = {"file_type": "type", "perm": "perms", "uid": "uid", "gid": "gid",
         "size": "size", "modify_time": "mtime", "change_time": "ctime",
         "inode": "inode", "link_count": "links", "link_name": "target",
         "sha256": "sha256", "acl": "acl", "xattrs": "xattrs", "caps": "caps"}
def rel(p): return "." + p[len(root):]
out = set()
for p in d.get("added", {}): out.add((rel(p), "added"))
for p in d.get("removed", {}): out.add((rel(p), "removed"))
for p, attrs in d.get("details", {}).items():
    for a in attrs: out.add((rel(p), names.get(a, "?" + a)))
# Attributes present on one side only ("+caps": capabilities appeared
# on a file that had none; "-sha256": a file became a directory).
for p, s in d.get("different_attributes", {}).items():
    for tok in s.split():
        out.add((rel(p), names.get(tok[1:], "?" + tok[1:])))
for p, a in sorted(out): print(p, a)
EOF
$PY - "$T/mamori.json" "$R" > "$T/mamori.pairs" <<'EOF'
import json, sys
root = sys.argv[2]
def rel(p): return "." + p[len(root):]
out = set()
for line in open(sys.argv[1]):
    f = json.loads(line)["fim"]
    ev = f["event"]
    if ev in ("added", "removed"): out.add((rel(f["path"]), ev))
    elif ev == "modified":
        for a in f["changed"]: out.add((rel(f["path"]), a))
for p, a in sorted(out): print(p, a)
EOF

{
	for a in mtime ctime; do echo ". $a"; echo "./sub $a"; done
	for a in size mtime ctime sha256; do echo "./content $a"; done
	for a in perms ctime acl; do echo "./mode $a"; done
	for a in uid gid ctime; do echo "./owner $a"; done
	echo "./sub/new added"; echo "./removed removed"; echo "./gone removed"
	for a in target size mtime ctime inode; do echo "./link $a"; done
	for a in mtime ctime; do echo "./touched $a"; done
	for a in links ctime; do echo "./hard $a"; done
	echo "./hard2 added"
	for a in type perms size mtime ctime inode links sha256 acl; do
		echo "./replaced $a"
	done
	if [ $HAVE_XATTR = 1 ]; then
		for a in xattrs ctime; do echo "./xattr $a"; done
	fi
	if [ $HAVE_ACL = 1 ]; then for a in acl ctime; do echo "./acl $a"; done; fi
	if [ $HAVE_CAP = 1 ]; then
		for a in caps xattrs ctime; do echo "./caps $a"; done
	fi
} | sort > "$T/expected.pairs"
sort -o "$T/aide.pairs" "$T/aide.pairs"
sort -o "$T/mamori.pairs" "$T/mamori.pairs"

check "mamori equals aide" "$(diff "$T/aide.pairs" "$T/mamori.pairs" |
    grep '^[<>]' | tr '\n' ' ')" ""
check "aide equals the expected set" "$(diff "$T/expected.pairs" \
    "$T/aide.pairs" | grep '^[<>]' | tr '\n' ' ')" ""
check "mamori equals the expected set" "$(diff "$T/expected.pairs" \
    "$T/mamori.pairs" | grep '^[<>]' | tr '\n' ' ')" ""
check "pairs compared" "$(wc -l < "$T/expected.pairs")" \
    "$(wc -l < "$T/mamori.pairs")"
# The old and new values of one change, as mamori reports them.
check "mode old -> new" "$($PY -c '
import json, sys
for l in open(sys.argv[1]):
    f = json.loads(l)["fim"]
    if f["event"] == "modified" and f["path"].endswith("/mode"):
        print(f["old"]["perms"], f["new"]["perms"])' "$T/mamori.json")" \
    "0644 0600"
check "link target old -> new" "$($PY -c '
import json, sys
for l in open(sys.argv[1]):
    f = json.loads(l)["fim"]
    if f["event"] == "modified" and f["path"].endswith("/link"):
        print(f["old"]["target"], f["new"]["target"])' "$T/mamori.json")" \
    "content mode"
finish
