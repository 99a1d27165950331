#!/bin/sh
# `mamori fim init|check|update`: exit codes (AIDE's), the text report,
# --json lines, configuration errors with file and line, a baseline
# tampered with outside mamori, a missing or unwritable baseline, odd
# file names, and the bundled rules on real findings (logtest).
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
R="$T/root"
DB="$T/fim.db"
mkdir -p "$R/bin" "$R/etc"
echo 'root:x:0:0::/root:/bin/sh' > "$R/etc/passwd"
printf '#!/bin/sh\necho hi\n' > "$R/bin/tool"
chmod 755 "$R/bin/tool"

fim() { "$MAMORI" fim "$@"; }

# Usage and configuration errors.
fim > /dev/null 2>&1
check "no subcommand: usage" "$?" 15
fim frobnicate > /dev/null 2>&1
check "unknown subcommand" "$?" 15
fim check --bogus > /dev/null 2>&1
check "unknown option" "$?" 15
fim check --db "$DB" > /dev/null 2> "$T/err"
check "no paths" "$?" 15
cat > "$T/bad.yaml" <<EOF
fim:
  database: $DB
  paths:
    - path: $R
      attributes: [perms, sha265]
EOF
fim init --config "$T/bad.yaml" > /dev/null 2> "$T/err"
check "config error exit" "$?" 17
check_contains "config error names file:line" "$(cat "$T/err")" \
    "bad.yaml:5: setting 'fim.paths[0].attributes'"
check_contains "config error hint" "$(cat "$T/err")" "did you mean 'sha256'"
fim check --help | grep -q "14 cannot write the baseline"
check "--help gives the exit codes" "$?" 0

cat > "$T/agent.yaml" <<EOF
fim:
  database: $DB
  exclude: ["*.swp"]
  paths:
    - $R
EOF

# No baseline yet.
fim check --config "$T/agent.yaml" --json > "$T/out" 2> "$T/err"
check "check without baseline" "$?" 18
check_contains "baseline_missing finding" "$(cat "$T/out")" \
    '"event":"baseline_missing"'

fim init --config "$T/agent.yaml" > "$T/out" 2>&1
check "init" "$?" 0
check_contains "init text" "$(cat "$T/out")" "baseline of 5 entries written (sha256)"
fim init --config "$T/agent.yaml" --json > "$T/out"
check "init --json: one baseline finding" "$(grep -c '"event":"baseline"' "$T/out")" 1
DIGEST=$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).read())["fim"]["digest"])' "$T/out")
check "digest is hex SHA-256" "$(printf %s "$DIGEST" | wc -c)" 64
fim check --config "$T/agent.yaml" > "$T/out"
check "unchanged: exit 0" "$?" 0
check_contains "unchanged text" "$(cat "$T/out")" "no differences from the baseline (5 entries"
check_contains "check shows the digest" "$(cat "$T/out")" "$DIGEST"

# Each kind alone gives its bit; the sum for all.
echo x > "$R/etc/new"
fim check --config "$T/agent.yaml" --json > "$T/out"
check "added only: parent dir changes too" "$?" 5
rm "$R/etc/new"
fim update --config "$T/agent.yaml" > /dev/null
check "update after undo" "$?" 4
echo swap > "$R/etc/x.swp"	# excluded
fim check --config "$T/agent.yaml" > /dev/null
check "excluded file: only its directory" "$?" 4
fim update --config "$T/agent.yaml" > /dev/null
echo 'evil:x:0:0::/:/bin/sh' >> "$R/etc/passwd"
fim check --config "$T/agent.yaml" > "$T/out"
check "changed only" "$?" 4
check_contains "text: changed section" "$(cat "$T/out")" "Changed entries:"
check_contains "text: attribute old -> new" "$(cat "$T/out")" "size    : 26 -> 48"

fim update --config "$T/agent.yaml" > /dev/null
mv "$R/bin/tool" "$T/tool.saved"
fim check --config "$T/agent.yaml" --json > "$T/out"
check "removed + dir changed" "$?" 6
check "removed finding" "$(grep -c '"event":"removed"' "$T/out")" 1
mv "$T/tool.saved" "$R/bin/tool"
fim update --config "$T/agent.yaml" > /dev/null

# A set-user-ID bit and an odd name; every line is one JSON object.
chmod 4755 "$R/bin/tool"
touch "$R/bin/$(printf 'odd\377name')"
fim check --config "$T/agent.yaml" --json > "$T/out"
check "suid + new file" "$?" 5
check "every line is JSON with one key" "$($PY -c '
import json, sys
n = 0
for l in open(sys.argv[1], "rb"):
    d = json.loads(l)
    assert list(d) == ["fim"], d
    n += 1
print(n)' "$T/out")" "$(wc -l < "$T/out")"
check_contains "odd byte escaped" "$(cat "$T/out")" 'odd\\xffname'
check_contains "suid old -> new" "$(cat "$T/out")" '"old":{"perms":"0755"'

# The bundled rules on these findings.
sed 's/^/Nov 28 10:00:00 host mamori-fim: /' "$T/out" |
    "$MAMORI" logtest --json > "$T/alerts" 2> "$T/lterr"
check "logtest" "$?" 0
ids=$($PY -c '
import json, sys
print(" ".join(sorted({str(json.loads(l)["rule"]["id"]) for l in open(sys.argv[1]) if json.loads(l).get("alert")})))' "$T/alerts")
check_contains "SUID rule fires" "$ids" "122014"
check_contains "added rule fires" "$ids" "122020"

# Tampering with the baseline: rows edited to hide the change.
fim update --config "$T/agent.yaml" > /dev/null
echo 'backdoor' >> "$R/etc/passwd"
$PY - "$DB" "$R/etc/passwd" <<'EOF'
import hashlib, os, sqlite3, sys
db, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
st = os.lstat(path)
c = sqlite3.connect(db)
c.execute("UPDATE fim_entries SET size=?, hash=?, mtime=?, ctime=? WHERE path=?",
          (len(data), hashlib.sha256(data).digest(), st.st_mtime_ns,
           st.st_ctime_ns, path.encode()))
c.commit()
EOF
fim check --config "$T/agent.yaml" --json > "$T/out"
check "tampered baseline: exit 19" "$?" 19
check "no change seen in the edited row" "$(grep -c '"event":"modified"' "$T/out")" 0
check_contains "mismatch finding" "$(cat "$T/out")" '"event":"baseline_mismatch"'
fim check --config "$T/agent.yaml" > "$T/out"
check_contains "mismatch in text" "$(cat "$T/out")" "WARNING: the baseline's digest does not match"
fim check --config "$T/agent.yaml" --json | grep baseline_mismatch |
    sed 's/^/Nov 28 10:00:00 host mamori-fim: /' |
    "$MAMORI" logtest --json > "$T/alerts"
check_contains "tamper rule fires" "$(cat "$T/alerts")" '"id":"122004"'

# Not a baseline; cannot write one (the old one stays).
echo "not sqlite" > "$T/junk.db"
fim check --db "$T/junk.db" "$R" > /dev/null 2> "$T/err"
check "not a baseline: exit 19" "$?" 19
fim init --db "$T/nodir/sub/fim.db" "$R" > /dev/null 2> "$T/err"
check "cannot write: exit 14" "$?" 14
check_contains "says where" "$(cat "$T/err")" "$T/nodir/sub/fim.db"
cp "$DB" "$T/before.db"
fim update --db "$DB" --threads 1 "$R/etc" > /dev/null
check "update of a tampered baseline still says so" "$?" 19
check "baseline replaced" "$(cmp -s "$DB" "$T/before.db"; echo $?)" 1
fim check --db "$DB" "$R/etc" > /dev/null
check "check with the same PATH after update" "$?" 0
ls "$T" | grep -c 'fim.db.new-' > "$T/leftover"
check "no temporary files left" "$(cat "$T/leftover")" 0

# Other file systems: a mount point is recorded, not entered, unless
# cross_filesystems; a configured path on it is scanned.  In a private
# mount namespace, so the mount vanishes with the test.
if command -v unshare > /dev/null 2>&1 && unshare -m true 2>/dev/null; then
	mkdir -p "$T/x/mnt" "$T/x/d"
	echo a > "$T/x/d/f"
	cat > "$T/x.yaml" <<EOF
fim:
  database: $T/x.db
  paths: [$T/x]
EOF
	cat > "$T/x2.yaml" <<EOF
fim:
  database: $T/x2.db
  paths:
    - {path: $T/x, cross_filesystems: true}
EOF
	cat > "$T/x3.yaml" <<EOF
fim:
  database: $T/x3.db
  paths: [$T/x, $T/x/mnt/sub]
EOF
	unshare -m sh -c "mount -t tmpfs none '$T/x/mnt' &&
	    mkdir '$T/x/mnt/sub' && echo b > '$T/x/mnt/sub/g' &&
	    echo c > '$T/x/mnt/other' &&
	    '$MAMORI' fim init --json --config '$T/x.yaml' &&
	    '$MAMORI' fim init --json --config '$T/x2.yaml' &&
	    '$MAMORI' fim init --json --config '$T/x3.yaml'" > "$T/xout" 2>&1
	check "inits in a mount namespace" "$?" 0
	n() { $PY -c 'import json, sys
for l in open(sys.argv[1]):
    f = json.loads(l)["fim"]
    if f["event"] == "baseline" and f["database"] == sys.argv[2]:
        print(f["entries"])' "$T/xout" "$1"; }
	check "mount point recorded, not entered" "$(n "$T/x.db")" 4
	check "cross_filesystems: entered" "$(n "$T/x2.db")" 7
	check "configured path on the other file system" "$(n "$T/x3.db")" 6
else
	echo "unshare -m not available: file system crossing not tested"
fi
finish
