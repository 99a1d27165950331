#!/bin/sh
# The network sensor end to end: every capture of the shared data through
# `mamori analyze` (decoders, flows, detectors, signatures), its
# detections through the rules into alerts, and with --incidents into
# incidents of the right category.  The detectors' expectations are the
# golden table tests/net-golden.tsv (kind and source per capture); the
# signatures' are the README's rows for the payload captures; the benign
# captures raise nothing at all.
. "$(dirname "$0")/lib.sh"

P=${MAMORI_SHARED:-}/data/pcaps
GOLDEN="$MAMORI_SRC/tests/net-golden.tsv"
if [ ! -d "$P" ]; then
	echo "SKIP: no shared data"
	exit 0
fi

# Each capture's alerts: "kind src" of the sensor's detections (not the
# signatures), sorted and unique, against the golden rows.
grep -v '^#' "$GOLDEN" | cut -f1 | sort -u > "$T/captures"
check "golden covers the shared captures" "$(wc -l < "$T/captures")" \
    "$(ls "$P" | wc -l)"
while read -r cap; do
	"$MAMORI" analyze --json --no-summary "$P/$cap" > "$T/a.json" \
	    2> "$T/a.err"
	check "$cap: analyze exit" "$?" 0
	jq -r 'select(.data["sensor.kind"] != "signature") |
	    "\(.data["sensor.kind"]) \(.data.srcip)"' "$T/a.json" |
	    sort -u > "$T/got"
	awk -F'\t' -v c="$cap" '$1 == c && $2 != "-" { print $2, $5 }' \
	    "$GOLDEN" | sort -u > "$T/want"
	check "$cap: detections" "$(tr '\n' ';' < "$T/got")" \
	    "$(tr '\n' ';' < "$T/want")"
done < "$T/captures"

# The benign captures: no alert of any kind, signatures included.
for cap in zeek_wikipedia.pcap zeek_workshop_2011_browse.pcap \
    ppa_http_espn.pcapng; do
	check "$cap: nothing" "$("$MAMORI" analyze --json --no-summary \
	    "$P/$cap" | wc -l)" 0
done

# Signatures on the payload captures.
sig() {	# capture: the sids that fired
	"$MAMORI" analyze --json --no-summary "$P/$1" |
	    jq -r 'select(.data["sensor.kind"] == "signature") | .data.id' |
	    sort -u | tr '\n' ' '
}
check_contains "nmap NSE probes" "$(sig esnet_nmap_80_w_service_detection.pcap)" \
    "9000001"
check_contains "SQL injection" "$(sig ppa_http_dvwa_sqlinjection.pcapng)" \
    "9000101"
check_contains "path traversal" \
    "$(sig ppa_http_dvwa_directorytraversal.pcapng)" "9000110"

# Incidents of the right category, with scanner or victim.
inc() {	# capture: "category attacker victim-ip" per incident
	"$MAMORI" analyze --incidents --json "$P/$1" 2>/dev/null |
	    jq -r '[.category, (.attackers[0].value // "-"),
	    ([.victims[] | select(.kind == "ip") | .value][0] // "-")] |
	    join(" ")' | tr '\n' ';'
}
check_contains "SYN scan incident" "$(inc ppa_synscan.pcapng)" \
    "scan 172.16.0.8 64.13.134.52"
check_contains "UDP scan incident" "$(inc pcaphunt_ps-udp.pcap)" \
    "scan 10.0.0.135"
check_contains "SYN flood incident" \
    "$(inc stopddos_pkt.TCP.synflood.spoofed.pcap)" "dos - 10.10.10.10"
check_contains "amplification incident" \
    "$(inc stopddos_amp.UDP.snmp.src161.pcapng)" "dos"
check_contains "SSH brute force incident" \
    "$(inc traceshare_ssh_hydra-1_tasks.pcap)" "attack 240.0.1.2"
check_contains "SQL injection incident" \
    "$(inc ppa_http_dvwa_sqlinjection.pcapng)" "attack"

# A capture cut short: read up to the cut, said so, no crash.
head -c 100000 "$P/pcaphunt_ps-tcp_syn.pcap" > "$T/cut.pcap"
out=$("$MAMORI" analyze --no-summary "$T/cut.pcap" 2>&1)
check "cut capture exit" "$?" 1
check_contains "cut capture named" "$out" "cut.pcap"

finish
