#!/bin/sh
# Unknown names on the command line (a table, a batch, a segment, a
# report, a command) are usage errors that suggest the closest name,
# never an empty answer.
. "$(dirname "$0")/lib.sh"

small_store() {
	printf 'email,amount,order_date\na@example.com,1.00,2024-01-01T00:00:00Z\n' > o.csv
	cdp-import -q --event order o.csv
	cdp-merge -q
}

test_store_dump_unknown_table_and_batch() {
	small_store
	expect_status 64 cdp-store dump --table nosuch > out 2> err
	test ! -s out
	grep -q "unknown table 'nosuch'" err
	expect_status 64 cdp-store dump --table profile 2> err
	grep -q "did you mean 'profiles'" err
	expect_status 64 cdp-store dump --batch 999 > out 2> err
	test ! -s out
	grep -q 'no batch 999' err
	expect_status 64 cdp-store dump --batch 1x
	expect_status 64 cdp-store dumb 2> err
	grep -q "did you mean 'dump'" err
	# known names still work, an empty known table too
	cdp-store dump --batch 1 | grep -q a@example.com
	cdp-store dump --table segmembers > out
	cdp-store dump --table profiles | grep -q a@example.com
}

test_segment_and_report_unknown_names() {
	small_store
	cdp-segment --save buyers 'orders >= 1'
	expect_status 64 cdp-segment --run buyrs 2> err < /dev/null
	grep -q "did you mean 'buyers'" err
	expect_status 64 cdp-segment --delete buyer 2> err
	grep -q "did you mean 'buyers'" err
	expect_status 64 cdp-report overview --segment buyrs 2> err
	grep -q "did you mean 'buyers'" err
	expect_status 64 cdp-report overviw 2> err
	grep -q "did you mean 'overview'" err
	expect_status 64 cdp-report overview --segment zzzzzzzz 2> err
	grep -q "no saved segment 'zzzzzzzz'" err
}

check "store: dump of an unknown table or batch exits 64 with a suggestion" test_store_dump_unknown_table_and_batch
check "segment, report: an unknown segment or report exits 64 with a suggestion" test_segment_and_report_unknown_names
done_testing
