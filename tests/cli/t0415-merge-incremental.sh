#!/bin/sh
# cdp-merge after a small import touches only the profiles the new
# records name: the profiles table grows by superseding segments and
# tombstones, the idindex by runs.  Many small runs, interleaved with
# compactions, give what --rebuild gives; a kill -9 anywhere in a run
# or a compaction leaves a store that verifies and, after the run is
# done again, gives the same answers.
. "$(dirname "$0")/lib.sh"

NOW=2025-01-01T00:00:00Z

# base: 300 CRM customers (customer id, e-mail, phone), 40 newsletter
# sign-ups with only an e-mail, 40 SMS opt-ins with only a phone, and
# orders for every other customer.
base() {
	mkdir -p "$CDP_STORE"
	chmod 700 "$CDP_STORE"
	printf 'golden name = source-priority crm, b\ngolden city = most-frequent\n' > "$CDP_STORE/merge.conf"
	chmod 600 "$CDP_STORE/merge.conf"
	awk 'BEGIN { print "customer_id,email,phone,name,city,updated_at"
		for (i = 1; i <= 300; i++)
			printf "K%d,c%d@example.com,+49301%06d,N%d,C%d,2024-01-15T00:00:00Z\n", i, i, i, i, i % 7
	}' > crm.csv
	awk 'BEGIN { print "email,signup"
		for (i = 1; i <= 40; i++)
			printf "only%d@example.com,2024-01-0%dT00:00:00Z\n", i, i % 9 + 1
	}' > news.csv
	awk 'BEGIN { print "phone,keyword"
		for (i = 1; i <= 40; i++)
			printf "+49601%06d,JOIN\n", i
	}' > sms.csv
	awk 'BEGIN { print "email,amount,order_date"
		for (i = 1; i <= 300; i += 2)
			printf "c%d@example.com,%d.50,2024-02-%02dT10:00:00Z\n", i, i, i % 28 + 1
	}' > orders.csv
	cdp-import -q --source crm crm.csv
	cdp-import -q news.csv
	cdp-import -q sms.csv
	cdp-import -q --event order orders.csv
	cdp-merge -q --as-of $NOW
}

# batch B: a new person; a new e-mail for a customer; an e-mail-only and
# a phone-only profile joined (one absorbs the other); an e-mail for the
# profile the last batch absorbed, by its phone; two customers
# that would share a record, refused by the customer id limit; an order;
# from batch 9 on a golden attribute the table lacks, and in batch 10
# an event type it lacks (those runs are done whole, the next ones not).
batch() {
	awk -v b="$1" 'BEGIN { print "customer_id,email,phone,name,city,updated_at" (b >= 9 ? ",tier" : "")
		t = b >= 9 ? ",gold" : ""
		printf "NEW%d,fresh%d@example.com,+49401%06d,F%d,C1,2024-03-%02dT00:00:00Z%s\n", b, b, b, b, b, t
		printf "K%d,new%d@example.com,,M%d,Z,2024-03-%02dT00:00:00Z%s\n", b * 7, b, b, b, t
		printf ",only%d@example.com,+49601%06d,,C2,2024-03-%02dT00:00:00Z%s\n", b, b, b, t
		printf ",c%d@example.com,+49301%06d,,,2024-03-%02dT00:00:00Z%s\n", b * 13, b * 13 + 1, b, t
		printf "K%d,c%d@example.com,,,,2024-03-%02dT00:00:00Z%s\n", b * 5, b * 5 + 2, b, t
		printf ",late%d@example.com,+49601%06d,,,2024-03-%02dT00:00:00Z%s\n", b, b - 1, b, t
	}' > "b$1.csv"
	printf 'email,amount,order_date\nc%d@example.com,9.99,2024-03-%02dT12:00:00Z\nonly%d@example.com,5.00,2024-03-%02dT13:00:00Z\n' \
	    $(($1 * 3)) "$1" "$1" "$1" > "o$1.csv"
	cdp-import -q --source b "b$1.csv"
	cdp-import -q --event "$([ "$1" -eq 10 ] && echo refund || echo order)" "o$1.csv"
}

# answers STORE: what the store says, independent of its layout.
answers() {
	CDP_STORE=$1 cdp-store verify
	CDP_STORE=$1 cdp-export --all --format csv
	for w in c7@example.com only3@example.com +49601000005 K26 fresh2@example.com new4@example.com 65; do
		CDP_STORE=$1 cdp-merge --explain "$w" 2>&1 || echo "exit $?"
	done
	CDP_STORE=$1 cdp-store dump --table refusals --format csv
}

profile_segments() {
	grep -c 'table=profiles' "$CDP_STORE/MANIFEST"
}

test_small_runs_equal_rebuild() {
	base
	before=$(profile_segments)
	for b in 1 2 3 4 5 6 7 8 9 10 11 12; do
		batch "$b"
		cdp-merge -q --as-of $NOW
		case $b in 4 | 8) cdp-merge -q --compact --as-of $NOW ;; esac
		cdp-store verify
	done
	# the runs between compactions added segments instead of rewriting
	test "$(profile_segments)" -gt "$before"
	answers "$CDP_STORE" > inc.txt
	cdp-merge -q --compact --as-of $NOW
	cdp-store dump --internal --table profiles --format csv > inc.csv
	answers "$CDP_STORE" > inc2.txt
	cdp-merge -q --rebuild --as-of $NOW
	cdp-store dump --internal --table profiles --format csv > reb.csv
	answers "$CDP_STORE" > reb.txt
	test "$(cdp-store dump --table merges | wc -l)" -ge 12
	test "$(cdp-store dump --table refusals | wc -l)" -ge 12
	grep -q 'profile 1 joined\|joined profile' reb.txt
	cmp inc.csv reb.csv
	cmp inc.txt reb.txt
	cmp inc2.txt reb.txt
}

test_partial_runs_read_only_touched_profiles() {
	base
	test "$(profile_segments)" -eq 1
	batch 1
	cdp-merge -q --as-of $NOW
	# one segment of the touched profiles, one of tombstones: not 380 rows again
	test "$(profile_segments)" -eq 3
	rows=$(awk '/table=profiles/ { for (i = 1; i <= NF; i++) if ($i ~ /^rows=/) n += substr($i, 6) }
	    END { print n }' "$CDP_STORE/MANIFEST")
	test "$rows" -gt 381
	test "$rows" -lt $((380 + 15))
	grep 'table=profiles' "$CDP_STORE/MANIFEST" | grep -q ' rows=1 '
	# readers see the live profiles only: two created, one merged away
	test "$(cdp-export --all --format csv | wc -l)" -eq $((1 + 381))
	grep -q 'table=idindex' "$CDP_STORE/MANIFEST"
}

test_event_counts_zero_not_null() {
	printf 'email,amount,order_date\na@example.com,1.00,2024-01-01T00:00:00Z\nb@example.com,1.00,2024-01-01T00:00:00Z\n' > o1.csv
	printf 'email,amount,order_date\na@example.com,1.00,2024-01-02T00:00:00Z\n' > o2.csv
	printf 'email,amount,order_date\nc@example.com,1.00,2024-01-03T00:00:00Z\n' > o3.csv
	cdp-import -q --event order o1.csv
	cdp-merge -q --as-of $NOW
	cdp-import -q --event refund o2.csv
	cdp-merge -q --as-of $NOW
	cdp-import -q --event order o3.csv
	cdp-merge -q --as-of $NOW
	test "$(profile_segments)" -gt 1
	cdp-export --all --format jsonl > inc.jsonl
	jq -e 'select(.emails == "c@example.com") | .count_refund == 0' inc.jsonl
	cdp-merge -q --rebuild --as-of $NOW
	cdp-export --all --format jsonl > reb.jsonl
	cmp inc.jsonl reb.jsonl
}

# kill_each CMD...: for n = 1, 2, ...: a copy of pristine, the command
# killed at its n-th file operation, then verify, the run again, and the
# answers compared with those of the run never killed.
kill_each() {
	rm -rf ref
	cp -a pristine ref
	CDP_STORE=$PWD/ref "$@" -q --as-of $NOW
	CDP_STORE=$PWD/ref cdp-merge -q --compact --as-of $NOW
	answers "$PWD/ref" > ref.txt
	n=1
	while :; do
		rm -rf k
		cp -a pristine k
		set +e
		CDP_STORE=$PWD/k CDP_KILL_AT=$n "$@" -q --as-of $NOW 2>/dev/null
		st=$?
		set -e
		[ "$st" -eq 137 ] || break
		CDP_STORE=$PWD/k cdp-store verify || { echo "kill at $n: store damaged" >&2; return 1; }
		CDP_STORE=$PWD/k "$@" -q --as-of $NOW
		CDP_STORE=$PWD/k cdp-merge -q --compact --as-of $NOW
		answers "$PWD/k" > k.txt
		cmp ref.txt k.txt || { echo "kill at $n: other answers" >&2; return 1; }
		n=$((n + 1))
	done
	test "$st" -eq 0
	test "$n" -gt 3
}

test_kill_during_merge() {
	base
	for b in 1 2; do
		batch "$b"
		cdp-merge -q --as-of $NOW
	done
	batch 3
	cp -a "$CDP_STORE" pristine
	kill_each cdp-merge
}

test_kill_during_compaction() {
	base
	for b in 1 2 3; do
		batch "$b"
		cdp-merge -q --as-of $NOW
	done
	batch 4
	cp -a "$CDP_STORE" pristine
	kill_each cdp-merge --compact
}

check "merge: many small runs and compactions equal --rebuild (export, explain, refusals)" \
    test_small_runs_equal_rebuild
check "merge: a small run writes only the profiles it touched, and tombstones" \
    test_partial_runs_read_only_touched_profiles
check "merge: a small run counts 0, not null, for the table's other events" \
    test_event_counts_zero_not_null
check "merge: a kill -9 anywhere in a run leaves a store that verifies and answers alike" \
    test_kill_during_merge
check "merge: a kill -9 anywhere in a compaction leaves a store that verifies and answers alike" \
    test_kill_during_compaction
done_testing
