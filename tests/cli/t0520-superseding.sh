#!/bin/sh
# Profiles as superseding segments (cdp-store(5)): a table of several
# segments, stale rows shadowed by newer ones and merged-away profiles
# tombstoned, answers exactly as the one compacted segment it stands for.
. "$(dirname "$0")/lib.sh"

# The test tool that rewrites a store's profiles table (tests/unit/test_profiles.c).
tool() {
	for p in "$CDP_BIN/tests/unit/test_profiles" "$CDP_BIN/test_profiles"; do
		if [ -x "$p" ]; then
			echo "$p"
			return
		fi
	done
}

samples_store() {
	for f in crm.csv newsletter.csv shop_orders.csv till_orders.csv web_events.jsonl; do
		cdp-import -q --mapping "$SAMPLES/${f%.*}.map" "$SAMPLES/$f" 2> /dev/null || test $? -eq 1
	done
	cdp-merge -q
}

# Every answer compared: segments (with rfm_* and a missing-in-some
# column among the fields), exports, reports.
answers() {
	cdp-segment -a 'orders >= 1' > "$1.seg1"
	cdp-segment -a -f rfm_score,rfm_recency,email,city 'rfm_monetary >= 3 or rfm_score = "111"' > "$1.seg2"
	cdp-segment -a -c 'email_consent' > "$1.seg3"
	cdp-export --all --format csv --purpose none > "$1.exp1" 2> /dev/null
	cdp-export --all --format jsonl --purpose email > "$1.exp2" 2> /dev/null
	cdp-export --all --preset meta > "$1.exp3" 2> /dev/null || true
	cdp-report overview --as-of 2025-01-01 > "$1.rep1"
	cdp-report rfm --as-of 2025-01-01 > "$1.rep2"
	cdp-report campaigns --as-of 2025-01-01 > "$1.rep3"
}

test_superseding_reads_as_compacted() {
	t=$(tool)
	if [ -z "$t" ]; then
		skip "tests/unit/test_profiles not built (make units)"
	fi
	samples_store
	answers before
	n1=$(grep -c ' table=profiles ' "$CDP_STORE/MANIFEST")
	"$t" --supersede "$CDP_STORE"
	test "$(grep -c ' table=profiles ' "$CDP_STORE/MANIFEST")" -eq 3
	test "$n1" -ne 3
	grep -q ' table=profiles ' "$CDP_STORE/MANIFEST"
	cdp-store verify
	answers after
	for f in seg1 seg2 seg3 exp1 exp2 exp3 rep1 rep2 rep3; do
		cmp "before.$f" "after.$f"
	done
	# not vacuous: the answers hold profiles, and the stale values exist
	test "$(wc -l < before.exp1)" -gt 5
	test "$(wc -l < before.seg2)" -gt 2
	# dump shows live rows only; the stale rows are still in the table
	refute_grep -q STALE before.exp1 after.exp1
	rows=$(grep ' table=profiles ' "$CDP_STORE/MANIFEST" | sed 's/.* rows=\([0-9]*\).*/\1/' |
	    awk '{ n += $1 } END { print n }')
	test "$rows" -gt "$(($(wc -l < after.exp1) - 1))"
}

check "superseding profiles segments answer as the compacted table" test_superseding_reads_as_compacted
done_testing
