#!/bin/sh
# A wrong setting stops the server before it binds anything, with an
# error naming the file, the line and the setting.
. "$(dirname "$0")/lib.sh"

port=$(free_port tcp)
cat > "$T/bad.yaml" <<CONF
server:
  stats_interval: 60s
storage:
  segment_size: huge
listeners:
  - url: tcp://127.0.0.1:$port
CONF
out=$("$MAMORI" server --config "$T/bad.yaml" --data "$DATA" 2>&1)
check "exit status" $? 1
check_contains "names file and line" "$out" "$T/bad.yaml:4:"
check_contains "names the setting" "$out" "storage.segment_size"
check "nothing listening" "$(ss -Hltn "sport = :$port" | wc -l)" 0

cat > "$T/typo.yaml" <<CONF
storage:
  retention: 90d
  segmnt_size: 1MiB
CONF
out=$("$MAMORI" server --config "$T/typo.yaml" --data "$DATA" 2>&1)
check "typo exit" $? 1
check_contains "typo named" "$out" "$T/typo.yaml:3:"
check_contains "typo suggestion" "$out" "segment_size"

printf 'server: [unclosed\n' > "$T/syntax.yaml"
out=$("$MAMORI" server --config "$T/syntax.yaml" --data "$DATA" 2>&1)
check "syntax exit" $? 1
check_contains "syntax names file" "$out" "$T/syntax.yaml:"

out=$("$MAMORI" server --data "$DATA" --listen "tcp://127.0.0.1:99999" 2>&1)
check "bad --listen exit" $? 2
check_contains "bad --listen" "$out" "99999"

out=$("$MAMORI" server --config "$T/missing.yaml" --data "$DATA" 2>&1)
check "missing file exit" $? 1
check_contains "missing file named" "$out" "$T/missing.yaml"
finish
