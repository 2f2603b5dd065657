#!/bin/sh
# cdp-store drop --batch N: undo an import; the next merge is what a
# store that never had the batch gives, and the batch's bytes are gone.
. "$(dirname "$0")/lib.sh"

batch_of() {
	cdp-store info | awk -v f="$1" '$NF == f { print $1 }'
}

make_inputs() {
	printf 'customer_id,email,phone,first_name\nC1,ann@example.com,+4930111111,Ann\nC2,bob@example.com,,Bob\n' > crm.csv
	# the accidental import: it merges Ann and Bob through a phone, and
	# brings a person found nowhere else
	printf 'email,phone,name\nbob@example.com,+4930111111,Bobby\nzed@secret.example,,Zed Secretman\nbroken,+49 not a phone,\n' > oops.csv
	printf 'email,amount,time\nann@example.com,10.00,2024-01-01T00:00:00Z\ncarl@example.com,20.00,2024-01-02T00:00:00Z\n' > orders.csv
}

test_drop_gives_what_a_store_without_the_batch_gives() {
	make_inputs
	cdp-import -q crm.csv
	cdp-merge -q
	cdp-import -q oops.csv
	cdp-import -q --event order orders.csv
	cdp-merge -q
	test "$(cdp-store dump --table profiles --format jsonl | jq -s 'map(select(.emails // "" | contains("zed"))) | length')" -eq 1
	b=$(batch_of oops.csv)
	test -n "$b"
	cdp-store drop --batch "$b" 2> err.txt
	grep -q "dropped batch $b: 3 rows, 1 segments; run cdp-merge" err.txt
	cdp-store info > info.txt
	refute_grep oops.csv info.txt
	cdp-merge -q
	cdp-store dump --table profiles --format jsonl > dropped.jsonl
	CDP_STORE=$T/w/clean sh -c 'cdp-import -q crm.csv && cdp-import -q --event order orders.csv &&
	    cdp-merge -q && cdp-store dump --table profiles --format jsonl' > clean.jsonl
	diff dropped.jsonl clean.jsonl
	test "$(wc -l < clean.jsonl)" -eq 3
	cdp-store verify -v
}

test_dropped_bytes_are_wiped() {
	make_inputs
	printf 'email,time\nzed@secret.example,yesterday-ish\nok@example.com,2024-01-01T00:00:00Z\n' > late.csv
	cdp-import -q crm.csv
	cdp-import -q oops.csv
	expect_status 1 cdp-import -q --event visit late.csv
	test -s late.csv.rejects.csv
	cdp-merge -q
	expect_status 1 cdp-store verify --absent 'Zed Secretman' --absent zed@secret.example
	cdp-store drop --batch "$(batch_of oops.csv)"
	cdp-store drop --batch "$(batch_of late.csv)" 2> err.txt
	grep -q 'rejects file wiped' err.txt
	test ! -e late.csv.rejects.csv
	# the merge tables held the values too: gone until the next merge
	cdp-store verify -v --absent 'Zed Secretman' --absent zed@secret.example
	cdp-merge -q
	cdp-store verify -v --absent 'Zed Secretman' --absent zed@secret.example
	# nothing of it in any file of the store
	refute_grep -r -a -e 'Zed Secretman' -e 'zed@secret' "$CDP_STORE"
	# the same file can be imported again without --force
	cdp-import -q oops.csv
}

test_drop_errors() {
	make_inputs
	cdp-import -q crm.csv
	expect_status 64 cdp-store drop
	expect_status 2 cdp-store drop --batch 999 2> err.txt
	grep -q 'no batch 999' err.txt
	# a records segment is no batch
	seg=$(sed -n 's/^segment \([0-9]*\) table=records.*/\1/p' "$CDP_STORE/MANIFEST")
	expect_status 2 cdp-store drop --batch "$seg"
	cdp-store verify -v
	refute_grep "^drop " "$CDP_STORE/MANIFEST"
	b=$(batch_of crm.csv)
	cdp-store drop --batch "$b"
	grep -q "^drop [0-9]* batch=$b rows=2 " "$CDP_STORE/MANIFEST"
}

check "drop: the next merge gives what a store without the batch gives" test_drop_gives_what_a_store_without_the_batch_gives
check "drop: the batch's records, rejects and derived tables are wiped" test_dropped_bytes_are_wiped
check "drop: an unknown batch fails, nothing changed" test_drop_errors
done_testing
