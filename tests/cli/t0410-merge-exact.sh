#!/bin/sh
# cdp-merge: incremental runs equal --rebuild to the byte; a run with
# nothing new changes nothing.
. "$(dirname "$0")/lib.sh"

NOW=2025-01-01T00:00:00Z

# orders BATCH: one order for each of 400 customers, amounts chosen to hit
# the cases where binary floating point rounds the wrong way: 562.30 / 4,
# 0.1 + 0.2, 10.005 three times, half cents.
orders() {
	awk -v b="$1" 'BEGIN {
		n = split("140.575 0.1 0.2 10.005 562.30 33.335 0.015 99.995 1.005 2.675 0.7 1000000.125", a, " ")
		print "email,amount,order_date,source_note"
		for (i = 1; i <= 400; i++)
			printf "c%d@example.com,%s,2024-0%d-%02dT10:00:00Z,b%d\n", i,
			    a[(i * 7 + b * 3) % n + 1], b, i % 28 + 1, b
	}' > "o$1.csv"
}

# people BATCH: CRM rows for a third of the customers, a customer id
# shared by c(i) and c(i+200) for every 4th i (so profiles merge), and
# changing cities
people() {
	awk -v b="$1" 'BEGIN {
		split("Berlin Bonn Köln Hamburg", city, " ")
		print "customer_id,email,name,city,updated_at"
		for (i = b % 3 + 1; i <= 400; i += 3)
			printf "%s,c%d@example.com,N%d-%d,%s,2024-0%d-15T00:00:00Z\n",
			    i % 4 ? "" : "K" i % 200, i, i, b, city[(i + b) % 4 + 1], b
	}' > "p$1.csv"
}

test_incremental_equals_rebuild_byte_for_byte() {
	mkdir -p "$CDP_STORE"
	printf 'golden name = source-priority p2, p4, p1\ngolden city = most-frequent\n' > "$CDP_STORE/merge.conf"
	for b in 1 2 3 4 5; do
		orders "$b"
		people "$b"
		cdp-import -q --event order "o$b.csv"
		cdp-import -q "p$b.csv"
		cdp-merge -q --as-of $NOW
	done
	test "$(cdp-store dump --table merges | wc -l)" -gt 40
	cdp-store dump --internal --table profiles --format csv > inc.csv
	cdp-merge -q --rebuild --as-of $NOW
	cdp-store dump --internal --table profiles --format csv > reb.csv
	test "$(wc -l < reb.csv)" -gt 300
	head -n 1 reb.csv | grep -q '_v:city'
	cmp inc.csv reb.csv
}

# The same data in small pieces, each merged on its own (touching a few
# profiles: superseding segments, tombstones, idindex runs), with
# compactions in between: cdp-export gives the bytes --rebuild gives.
test_small_batches_and_compactions_equal_rebuild() {
	mkdir -p "$CDP_STORE"
	printf 'golden name = source-priority p2, p4, p1\ngolden city = most-frequent\n' > "$CDP_STORE/merge.conf"
	for b in 1 2 3 4 5; do
		orders "$b"
		people "$b"
		cdp-import -q --event order "o$b.csv"
		cdp-merge -q --as-of $NOW
		head -n 1 "p$b.csv" > head.csv
		tail -n +2 "p$b.csv" | split -l 12 - "p$b."
		for f in "p$b".??; do
			cat head.csv "$f" > "$f.csv"
			cdp-import -q --source "p$b" "$f.csv"
			cdp-merge -q --as-of $NOW
		done
		# the pieces added segments rather than rewriting the table
		[ "$b" -ne 1 ] || test "$(grep -c 'table=profiles' "$CDP_STORE/MANIFEST")" -gt 5
		case $b in 2 | 4) cdp-merge -q --compact --as-of $NOW ;; esac
	done
	cdp-export --all --format csv > inc.csv
	cdp-merge -q --compact --as-of $NOW
	cdp-store dump --internal --table profiles --format csv > incdump.csv
	cdp-merge -q --rebuild --as-of $NOW
	cdp-export --all --format csv > reb.csv
	cdp-store dump --internal --table profiles --format csv > rebdump.csv
	test "$(wc -l < reb.csv)" -gt 300
	cmp inc.csv reb.csv
	cmp incdump.csv rebdump.csv
}

test_money_is_exact() {
	printf 'email,amount,order_date\n' > o.csv
	d=1
	for a in 140.00 140.10 141.10 141.10; do
		printf 'm@example.com,%s,2024-01-0%dT00:00:00Z\n' "$a" $d >> o.csv
		d=$((d + 1))
	done
	printf 't@example.com,10.005,2024-01-01T00:00:00Z\n' >> o.csv
	printf 't@example.com,10.005,2024-01-02T00:00:00Z\n' >> o.csv
	printf 't@example.com,10.005,2024-01-03T00:00:00Z\n' >> o.csv
	printf 'p@example.com,0.1,2024-01-01T00:00:00Z\n' >> o.csv
	printf 'p@example.com,0.2,2024-01-02T00:00:00Z\n' >> o.csv
	cdp-import -q --event order o.csv
	cdp-merge -q --as-of $NOW
	cdp-store dump --table profiles --format jsonl > p.jsonl
	# 562.30 / 4 = 140.575 -> 140.58 (half away from zero; a double gives 140.57)
	jq -e -s 'map(select(.emails == "m@example.com"))[0] | .revenue == 562.30 and .avg_order_value == 140.58' p.jsonl
	# each amount in cents first: 10.005 -> 10.01
	jq -e -s 'map(select(.emails == "t@example.com"))[0] | .revenue == 30.03 and .avg_order_value == 10.01' p.jsonl
	jq -e -s 'map(select(.emails == "p@example.com"))[0] | .revenue == 0.30 and .avg_order_value == 0.15' p.jsonl
	# cdp-report rounds alike
	head -n 5 o.csv > m.csv
	CDP_STORE=$T/m cdp-import -q --event order m.csv
	CDP_STORE=$T/m cdp-merge -q --as-of $NOW
	CDP_STORE=$T/m cdp-report overview --as-of $NOW > r.csv
	grep -qx 'revenue,562.30' r.csv
	grep -qx 'average order value,140.58' r.csv
	cdp-report overview --as-of $NOW > r.csv
	grep -qx 'revenue,592.63' r.csv
}

test_merge_with_nothing_new_changes_nothing() {
	for b in 1 2; do
		orders "$b"
		cdp-import -q --event order "o$b.csv"
	done
	printf 'email,city\nc1@example.com,Berlin\n' > crm.csv
	cdp-import -q crm.csv
	cdp-merge -q --as-of $NOW
	cp "$CDP_STORE/MANIFEST" m1
	ls "$CDP_STORE" > f1
	cdp-merge --as-of 2025-06-01T00:00:00Z 2> err.txt
	cmp m1 "$CDP_STORE/MANIFEST"
	ls "$CDP_STORE" > f2
	cmp f1 f2
	grep -q 'nothing to merge' err.txt
}

test_sources_in_a_fixed_order() {
	printf 'email,city\nx@example.com,Berlin\n' > zeta.csv
	printf 'email,city\nx@example.com,Bonn\n' > alpha.csv
	printf 'email,city\ny@example.com,Köln\n' > mid.csv
	cdp-import -q zeta.csv
	cdp-merge -q --as-of $NOW
	cdp-import -q alpha.csv mid.csv
	cdp-merge -q --as-of $NOW
	cdp-store dump --table profiles --format jsonl > inc.jsonl
	jq -e -s 'map(select(.emails == "x@example.com"))[0] | .sources == "alpha, zeta"' inc.jsonl
	cdp-merge -q --rebuild --as-of $NOW
	cdp-store dump --table profiles --format jsonl > reb.jsonl
	cmp inc.jsonl reb.jsonl
}

check "merge: incremental runs equal --rebuild byte for byte (400 profiles, rounding cases)" test_incremental_equals_rebuild_byte_for_byte
check "merge: many small merges with compactions between equal --rebuild byte for byte" \
    test_small_batches_and_compactions_equal_rebuild
check "merge: money is summed in cents, averages rounded half away from zero" test_money_is_exact
check "merge: a merge with nothing new commits nothing" test_merge_with_nothing_new_changes_nothing
check "merge: sources are listed in name order, the same on every run" test_sources_in_a_fixed_order
done_testing
