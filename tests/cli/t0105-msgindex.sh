#!/bin/sh
# cdp-import: duplicate message ids through the store's msgindex table.
. "$(dirname "$0")/lib.sh"

# events NAME FIRST LAST: a file of events with message ids mFIRST..mLAST
events() {
	{
		printf 'message_id,email,event,time\n'
		_k=$2
		while [ "$_k" -le "$3" ]; do
			printf 'm%d,p%d@example.com,click,2024-01-01T00:00:%02dZ\n' "$_k" "$_k" $((_k % 60))
			_k=$((_k + 1))
		done
	} > "$1"
}

# Rewrite MANIFEST without its msgindex entries, as a store written
# before the index (the checksum line recomputed: gzip's CRC-32 is the
# manifest's).
strip_msgindex() {
	m=$CDP_STORE/MANIFEST
	grep -v '^crc32 ' "$m" | grep -v ' table=msgindex ' > "$T/w/body"
	crc=$(gzip -c < "$T/w/body" | tail -c8 | od -An -tx4 -N4 | tr -d ' ')
	{ cat "$T/w/body"; printf 'crc32 %s\n' "$crc"; } > "$m.new"
	mv "$m.new" "$m"
	cdp-store verify
	refute_grep 'table=msgindex' "$m"
}

runs() {
	grep ' table=msgindex ' "$CDP_STORE/MANIFEST" | sed 's/.* run=\([0-9]*\) .*/\1/' | sort -u | wc -l
}

test_replays_skipped_across_imports() {
	events a.csv 1 20
	events b.csv 11 30
	cdp-import -q a.csv
	grep -q ' table=msgindex ' "$CDP_STORE/MANIFEST"
	cdp-import -q b.csv 2> err || true
	cdp-store info | grep -q '^[0-9]* *b *event.* 10 .* 10 '
	test "$(cdp-store dump --format jsonl | wc -l)" -eq 30
}

test_old_store_indexed_once() {
	events a.csv 1 20
	events b.csv 15 25
	events c.csv 5 8
	cdp-import -q a.csv
	strip_msgindex
	# the first import after: the index is built from the records
	cdp-import -q b.csv
	test "$(cdp-store dump --format jsonl | wc -l)" -eq 25
	grep -q ' table=msgindex ' "$CDP_STORE/MANIFEST"
	cdp-store verify
	# the next finds the old ids through the index alone
	cdp-import -q c.csv
	test "$(cdp-store dump --format jsonl | wc -l)" -eq 25
}

test_dropped_batch_ids_come_again() {
	events a.csv 1 5
	cdp-import -q a.csv
	cdp-store drop --batch 1 2> /dev/null
	cdp-import -q --force a.csv
	test "$(cdp-store dump --format jsonl | wc -l)" -eq 5
}

test_runs_compacted_and_verified() {
	i=1
	while [ "$i" -le 14 ]; do
		events e$i.csv $((i * 3)) $((i * 3 + 4))
		cdp-import -q e$i.csv
		i=$((i + 1))
	done
	# 14 imports, one run each: merged as they pile up
	test "$(runs)" -le 5
	cdp-store verify -v
	test "$(cdp-store dump --format jsonl | wc -l)" -eq 44
	events again.csv 1 50
	cdp-import -q again.csv
	test "$(cdp-store dump --format jsonl | wc -l)" -eq 50
}

check "replays: message ids already imported are skipped in later imports" test_replays_skipped_across_imports
check "old stores: the index is built once from the records, then used" test_old_store_indexed_once
check "drop: a dropped batch's message ids import again" test_dropped_batch_ids_come_again
check "compaction: many small imports leave few runs, all verified" test_runs_compacted_and_verified
done_testing
