#!/bin/sh
# cdp-segment: the history of a saved segment's runs, the order of
# --changes, and the times --as-of accepts.
. "$(dirname "$0")/lib.sh"

# seg ARGS...: cdp-segment with no stdin, so candidates never leak in
seg() {
	cdp-segment "$@" </dev/null
}

# id_of VALUE: the profile id whose identifiers include VALUE
id_of() {
	cdp-store dump --table idmap --format csv | awk -F, -v v="$1" '$2 == v { print $3 }'
}

people() {
	printf 'customer_id,country,updated_at\n' > p.csv
	for i in $(seq 1 9); do
		printf 'C%d,DE,2024-01-01T00:00:00Z\n' "$i" >> p.csv
	done
	cdp-import -q p.csv
	cdp-merge -q
}

# move TO IDS...: these customers now live in country TO (a later
# update each time, so the latest country wins)
month=1
move() {
	to=$1
	shift
	month=$((month + 1))
	printf 'customer_id,country,updated_at\n' > m.csv
	for c in "$@"; do
		printf '%s,%s,2024-%02d-01T00:00:00Z\n' "$c" "$to" "$month" >> m.csv
	done
	cdp-import -q m.csv
	cdp-merge -q
}

test_every_run_is_kept() {
	people
	seg --save de 'country = "DE"'
	seg --run de --changes > /dev/null
	move AT C2 C5
	seg --run de --changes > /dev/null
	move AT C7
	seg --run de --changes > /dev/null
	cdp-report segments --format csv > s.csv
	awk -F, '$1 == "de" { print $4 "," $5 "," $6 }' s.csv > got
	printf '9,9,0\n7,0,2\n6,0,1\n' > want
	cmp got want
	# the sizes, not the members: one member list, the last run's
	test "$(cdp-store dump --table segmembers --format csv | wc -l)" -eq 7
	seg --list | grep -q '^de	6	'
	cdp-store verify
	# the latest run is still what --changes compares with
	move DE C2
	seg --run de --changes > got
	printf '+%s\n' "$(id_of C2)" > want
	cmp got want
	seg --delete de
	cdp-report segments --format csv > s.csv
	refute_grep '^de,' s.csv
	cdp-store verify
}

test_changes_print_entered_then_left() {
	people
	seg --save de 'country = "DE"'
	seg --run de --changes > /dev/null
	move AT C1 C4 C8
	move DE C1 C4
	move AT C9
	printf 'customer_id,country\nC10,DE\nC11,DE\n' > n.csv
	cdp-import -q n.csv
	cdp-merge -q
	seg --run de --changes > got
	{
		printf '+%s\n' "$(id_of C10)" "$(id_of C11)" | sort -t+ -k2n
		printf -- '-%s\n' "$(id_of C8)" "$(id_of C9)" | sort -t- -k2n
	} > want
	cmp got want
	test "$(head -n 1 got | cut -c1)" = +
}

# orders: one order of 10.00 on 2024-06-01 at 15:00, one three days ago
orders() {
	three=$(date -u -d '3 days ago' +%Y-%m-%dT%H:%M:%SZ)
	printf 'customer_id,amount,order_date\nC1,10.00,2024-06-01T15:00:00Z\nC2,20.00,%s\n' "$three" > o.csv
	cdp-import -q --event order o.csv
	cdp-merge -q
}

test_as_of_takes_what_the_language_takes() {
	orders
	test "$(seg --count --as-of yesterday 'count(order within 1d) >= 0')" -eq 2
	test "$(seg --count --as-of now 'count(order within 7d) >= 1')" -eq 1
	test "$(seg --count --as-of -7d 'count(order within 7d) >= 1')" -eq 0
	test "$(seg --count --as-of -2d 'count(order within 7d) >= 1')" -eq 1
	test "$(seg --count --as-of today 'count(order within 7d) >= 1')" -eq 1
	test "$(seg --count --as-of 2024-06-01T12:00:00Z 'count(order) >= 1')" -eq 0
	expect_status 64 seg --as-of 'next tuesday' 'count(order) >= 1'
	expect_status 64 seg --as-of -7 'count(order) >= 1'
}

test_a_date_means_the_end_of_that_day_everywhere() {
	orders
	# the order at 15:00 on 2024-06-01 counts as of 2024-06-01
	test "$(seg --count --as-of 2024-06-01 'count(order within 1d) >= 1')" -eq 1
	test "$(seg --count --as-of 2024-05-31 'count(order) >= 1')" -eq 0
	cdp-report overview --as-of 2024-06-01 > r.csv
	grep -q '^revenue,10.00$' r.csv
	cdp-report overview --as-of 2024-05-31 > r.csv
	grep -q '^revenue,0.00$' r.csv
}

check "segment: every run of a saved segment keeps its size and time" test_every_run_is_kept
check "segment: --changes prints who entered, then who left, each in id order" test_changes_print_entered_then_left
check "segment: --as-of takes yesterday, today, now, -7d and timestamps" test_as_of_takes_what_the_language_takes
check "segment, report: --as-of DATE means the end of that day in both" test_a_date_means_the_end_of_that_day_everywhere
done_testing
