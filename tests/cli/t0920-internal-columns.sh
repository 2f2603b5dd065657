#!/bin/sh
# cdp-store: the profiles' internal columns (_merges, _t:*, _r:*, _v:*)
# are cdp-merge's bookkeeping, shown only with --internal.
. "$(dirname "$0")/lib.sh"

store_with_rules() {
	printf 'email,name,city,updated_at\na@example.com,Ann,Bonn,2024-01-01T00:00:00Z\n' > crm.csv
	printf 'email,name,city,updated_at\na@example.com,Annie,Köln,2024-06-01T00:00:00Z\n' > nl.csv
	mkdir -p "$CDP_STORE"
	printf 'golden name = source-priority crm, nl\ngolden city = most-frequent\n' > "$CDP_STORE/merge.conf"
	cdp-import -q crm.csv nl.csv
	cdp-merge -q
}

test_dump_hides_internal_columns() {
	store_with_rules
	for f in csv jsonl; do
		cdp-store dump --table profiles --format $f > out
		grep -q 'Ann' out
		refute_grep -e '_merges' -e '_t:' -e '_r:' -e '_v:' out
	done
	cdp-store dump --table profiles --format csv | head -n 1 | tr , '\n' > cols
	refute_grep '^_' cols
	cdp-store dump --internal --table profiles --format csv | head -n 1 | tr , '\n' > cols
	grep -qx '_merges' cols
	grep -qx '_t:name' cols
	grep -qx '_r:name' cols
	grep -qx '_v:city' cols
	# records keep their normalized identifiers
	cdp-store dump --table records --format csv | head -n 1 | grep -q '_email'
}

test_info_hides_internal_columns() {
	store_with_rules
	cdp-store info > info
	sed -n '/^table profiles/,/^$/p' info > prof
	grep -q '^name ' prof
	refute_grep -e '^_merges' -e '^_t:' -e '^_r:' -e '^_v:' prof
	grep -q 'internal columns not shown' prof
	cdp-store info --internal | sed -n '/^table profiles/,/^$/p' > prof
	grep -q '^_merges ' prof
	grep -q '^_t:name ' prof
	# the demo shows what a user sees
	refute_grep '_t:' info
}

check "store: dump of profiles hides internal columns unless --internal" test_dump_hides_internal_columns
check "store: info of profiles hides internal columns unless --internal" test_info_hides_internal_columns
done_testing
