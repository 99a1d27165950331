#!/bin/sh
# The incident taxonomy (etc/taxonomy.json): the seed's fourteen kinds,
# each mapped to an RSIT class and type that exist in RSIT's
# machine-readable file; and every category_<id> group the bundled rules
# use names one of them.
. "$(dirname "$0")/lib.sh"

TAX="$MAMORI_SRC/etc/taxonomy.json"
RSIT=${MAMORI_SHARED:-}/data/taxonomy/rsit-machinev1.json
check "taxonomy is JSON" "$(jq -e . "$TAX" >/dev/null 2>&1; echo $?)" 0
check "fourteen categories" "$(jq '.categories | length' "$TAX")" 14
check "ids unique" "$(jq '[.categories[].id] | unique | length' "$TAX")" 14
for id in infection backdoor dos scan attack intrusion tampering leak \
    passive_attack piracy spam spoofing defamation physical; do
	check "category $id" "$(jq --arg i "$id" \
	    '[.categories[] | select(.id == $i)] | length' "$TAX")" 1
done
if [ -f "$RSIT" ]; then
	jq -r '.categories[] | "\(.id) \(.rsit.class) \(.rsit.type)"' "$TAX" |
	while read -r id class type; do
		n=$(jq --arg c "$class" --arg t "$type" \
		    '[.values[] | select(.predicate == $c) | .entry[] |
		    select(.value == $t)] | length' "$RSIT")
		[ "$n" = 1 ] && echo "ok $id" || echo "BAD $id $class/$type"
	done > "$T/rsit"
	check "RSIT classes and types exist" "$(grep -c '^BAD' "$T/rsit")" 0
	grep '^BAD' "$T/rsit" >&2
else
	echo "no RSIT file in the shared data: mapping not checked"
fi
# Every category the rules name is in the taxonomy.
grep -oh 'category_[a-z_]*' "$MAMORI_SRC"/rules/*.xml | sort -u |
    sed 's/^category_//' > "$T/used"
jq -r '.categories[].id' "$TAX" | sort > "$T/known"
check "rules name only known categories" \
    "$(comm -23 "$T/used" "$T/known" | tr '\n' ' ')" ""
finish
