#!/bin/sh
# mamori rootcheck: a fake root holding a known rootkit's files, a file
# in /dev, programs in /tmp and a kernel module hidden from
# /proc/modules (--root); a clean fake root; then the live checks in
# private mount namespaces, as intruders hide things: an empty directory
# bind-mounted over /proc/PID of a running process, and a doctored copy
# of /proc/net mounted so that a real listener started here is missing
# from it.  Each must be found, and must not be found without the trick.
# Last, the rules: each finding gives its rule and category.
. "$(dirname "$0")/lib.sh"

R="$T/root"
A="$T/rootcheck.json"
: > "$A"

# --- a fake root ----------------------------------------------------
mkdir -p "$R/usr/src/.puta" "$R/dev/shm" "$R/dev/pts" "$R/tmp/.x" \
    "$R/var/tmp" "$R/proc" "$R/sys/module/ext4" \
    "$R/sys/module/diamorphine" "$R/sys/module/kernel/parameters" \
    "$R/tmp/... "
echo 'hidden pids' > "$R/dev/.pizda"
echo 'boot id' > "$R/dev/.lxc-boot-id"
cp /bin/true "$R/tmp/.x/kdevtmpfsi"
printf '#!/bin/sh\n' > "$R/dev/shm/run.sh"
chmod 755 "$R/dev/shm/run.sh"
echo 'notes' > "$R/tmp/notes.txt"
printf 'ext4 1 2 - Live 0x0\n' > "$R/proc/modules"
echo live > "$R/sys/module/ext4/initstate"
echo live > "$R/sys/module/diamorphine/initstate"

out=$("$MAMORI" rootcheck --root "$R" --json 2>"$T/sum.txt")
check "fake root: exit status" $? 1
printf '%s\n' "$out" >> "$A"
has() {	# has CHECK KIND SUBJECT (jq 1.6's -e judges only the last input)
	printf '%s\n' "$out" | jq -c --arg c "$1" --arg k "$2" --arg s "$3" \
	    'select(.rootcheck.check == $c and .rootcheck.kind == $k and
	    .rootcheck.subject == $s)' | grep -q .
}
has rootkit_files dir /usr/src/.puta && pass || fail "t0rn directory"
has rootkit_files file /dev/.pizda && pass || fail "Knark file"
has dev file /dev/.pizda && pass || fail "file in /dev"
has tmp executable /tmp/.x/kdevtmpfsi && pass || fail "ELF in /tmp"
has tmp executable /dev/shm/run.sh && pass || fail "script in /dev/shm"
has tmp hidden_name "/tmp/... " && pass || fail "dots directory"
has modules hidden diamorphine && pass || fail "hidden module"
has modules known diamorphine && pass || fail "known module"
check "allowed /dev file" "$(printf '%s\n' "$out" | jq -r \
    'select(.rootcheck.subject == "/dev/.lxc-boot-id")')" ""
check "t0rn named" "$(printf '%s\n' "$out" | jq -r \
    'select(.rootcheck.subject == "/usr/src/.puta") | .rootcheck.rootkit')" t0rn
check "nothing else" "$(printf '%s\n' "$out" | wc -l)" 8
sum=$(cat "$T/sum.txt")
check_contains "processes need the running system" "$sum" \
    "processes        skipped: needs the running system"
check_contains "ports need the running system" "$sum" \
    "ports            skipped: needs the running system"

# A clean fake root: nothing, exit 0.
C="$T/clean"
mkdir -p "$C/tmp/.X11-unix" "$C/dev/shm" "$C/var/tmp"
echo text > "$C/tmp/notes"
txt=$("$MAMORI" rootcheck --root "$C")
check "clean root: exit status" $? 0
check_contains "clean root: summary" "$txt" "0 findings"
err=$("$MAMORI" rootcheck --only prcesses 2>&1)
check "unknown check: exit" $? 2
check_contains "unknown check: hint" "$err" "did you mean 'processes'?"
printf 'rootcheck:\n  rootkit_files: {list: %s/none.txt}\n' "$T" > "$T/bad.yaml"
err=$("$MAMORI" rootcheck --config "$T/bad.yaml" 2>&1)
check "bad list: exit" $? 2
check_contains "bad list: where" "$err" "$T/bad.yaml:2: setting 'rootcheck.rootkit_files.list': $T/none.txt"

# --- live: a process hidden by a mount over /proc/PID ------------------
if ! unshare -m true 2>/dev/null; then
	echo "no mount namespaces here: live checks skipped"
	finish
fi
mkdir "$T/empty"
sleep 600 &
S=$!
echo "$S" > "$T/sleep.pid"
out=$(unshare -m sh -c "mount --make-rprivate / &&
    mount --bind '$T/empty' /proc/$S &&
    exec '$MAMORI' rootcheck --only processes --json" 2>"$T/err.txt")
check "hidden process: exit status" $? 1
out=$(printf '%s\n' "$out" | jq -c --arg s "pid $S" \
    'select(.rootcheck.subject == $s)')
printf '%s\n' "$out" >> "$A"
check "hidden process: kind" "$(printf '%s' "$out" | jq -r .rootcheck.kind)" mount
check "hidden process: mount point" \
    "$(printf '%s' "$out" | jq -r .rootcheck.mountpoint)" "/proc/$S"
check "hidden process: alive" "$(printf '%s' "$out" | jq -r .rootcheck.alive)" true
out=$("$MAMORI" rootcheck --only processes --json 2>/dev/null |
    jq -c --arg s "pid $S" 'select(.rootcheck.subject == $s)')
check "process not hidden: no finding" "$out" ""
kill "$S"
rm -f "$T/sleep.pid"

# --- live: a port hidden from /proc/net --------------------------------
P=$(free_port tcp)
/usr/bin/python3 - "$P" "$T/ready" <<'EOF' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(5)
open(sys.argv[2], "w").write("ready")
time.sleep(600)
EOF
echo $! > "$T/listener.pid"
i=0
while [ ! -s "$T/ready" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
PH=$(printf '%04X' "$P")
mkdir "$T/net"
# In the namespace: copy /proc/net's socket tables without our port's
# lines and mount the copy over this shell's /proc/PID/net, which
# /proc/net points to; exec keeps the PID, so mamori reads the copy.
out=$(unshare -m sh -c "mount --make-rprivate / &&
    for f in tcp tcp6 udp udp6; do
        awk -v p=':$PH\$' 'NR == 1 || \$2 !~ p' /proc/net/\$f > '$T/net/'\$f
    done &&
    mount --bind '$T/net' /proc/\$\$/net &&
    exec '$MAMORI' rootcheck --only ports --json" 2>"$T/err.txt")
check "hidden port: exit status" $? 1
out=$(printf '%s\n' "$out" | jq -c --arg s "tcp/$P" \
    'select(.rootcheck.subject == $s)')
printf '%s\n' "$out" >> "$A"
check "hidden port: kind" "$(printf '%s' "$out" | jq -r .rootcheck.kind)" hidden
check "hidden port: family" "$(printf '%s' "$out" | jq -r .rootcheck.family)" ipv4
out=$("$MAMORI" rootcheck --only ports --json 2>/dev/null |
    jq -c --arg s "tcp/$P" 'select(.rootcheck.subject == $s)')
check "port not hidden: no finding" "$out" ""
kill "$(cat "$T/listener.pid")"
rm -f "$T/listener.pid"

# --- the rules ---------------------------------------------------------
sed '/^$/d; s/^/Nov 28 10:00:00 host1 mamori-rootcheck: /' "$A" > "$T/rc.log"
"$MAMORI" analyze --json --no-summary "$T/rc.log" > "$T/alerts.json"
rule_of() {	# rule_of CHECK KIND SUBJECT: "RULE CATEGORY"
	jq -r --arg c "$1" --arg k "$2" --arg s "$3" 'select(
	    .data["rootcheck.check"] == $c and .data["rootcheck.kind"] == $k
	    and .data["rootcheck.subject"] == $s) | .rule.id + " " +
	    ([.rule.groups[] | select(startswith("category_"))] | join(","))' \
	    "$T/alerts.json" | head -1
}
check "rule: hidden process" "$(rule_of processes mount "pid $S")" \
    "122211 category_backdoor"
check "rule: hidden port" "$(rule_of ports hidden "tcp/$P")" \
    "122220 category_backdoor"
check "rule: hidden module" "$(rule_of modules hidden diamorphine)" \
    "122230 category_backdoor"
check "rule: known module" "$(rule_of modules known diamorphine)" \
    "122231 category_backdoor"
check "rule: rootkit file" "$(rule_of rootkit_files dir /usr/src/.puta)" \
    "122240 category_backdoor"
check "rule: file in /dev" "$(rule_of dev file /dev/.pizda)" \
    "122255 category_backdoor"
check "rule: ELF in /tmp" "$(rule_of tmp executable /tmp/.x/kdevtmpfsi)" \
    "122250 category_infection"
check "rule: script in /dev/shm" "$(rule_of tmp executable \
    /dev/shm/run.sh)" "122251 category_infection"
check "rule: dots" "$(rule_of tmp hidden_name "/tmp/... ")" \
    "122253 category_backdoor"
check "every finding alerts" "$(jq -r 'select(.alert != true) |
    .full_log' "$T/alerts.json")" ""
finish
