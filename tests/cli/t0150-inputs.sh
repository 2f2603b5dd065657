#!/bin/sh
# cdp-import: inputs read whole or not at all (gzip), line endings, and
# the files an import writes beside its input.
. "$(dirname "$0")/lib.sh"

people() {
	printf 'id,email,name\n'
	i=1
	while [ "$i" -le "$1" ]; do
		printf '%d,user%d@example.com,Name %d\n' "$i" "$i" "$i"
		i=$((i + 1))
	done
}

rows() {
	cdp-store dump --format jsonl | wc -l | tr -d ' '
}

# A failed read imports nothing and records no hash: the full file
# imports afterwards without --force.
full_imports_after() {
	test "$(rows)" -eq 0
	cdp-import -q full.csv.gz
	test "$(rows)" -eq 3000
}

test_gzip_cut_at_line_boundary() {
	people 3000 | gzip > full.csv.gz
	# Without its 8-byte trailer the stream inflates to every line, so
	# the cut falls exactly at a line end; only the trailer is missing.
	sz=$(wc -c < full.csv.gz)
	head -c $((sz - 8)) full.csv.gz > cut.csv.gz
	expect_status 2 cdp-import cut.csv.gz 2> err
	grep -q 'cut.csv.gz: read error: compressed data truncated' err
	full_imports_after
}

test_gzip_cut_mid_line() {
	people 3000 | gzip > full.csv.gz
	sz=$(wc -c < full.csv.gz)
	head -c $((sz / 2)) full.csv.gz > cut.csv.gz
	expect_status 2 cdp-import cut.csv.gz 2> err
	grep -q 'cut.csv.gz: read error: compressed data truncated' err
	refute_grep 'expected 3 fields' err
	test ! -e cut.csv.gz.rejects.csv
	full_imports_after
}

test_gzip_corrupt() {
	people 3000 | gzip > full.csv.gz
	sz=$(wc -c < full.csv.gz)
	# Overwrite 16 bytes in the middle of the deflate stream.
	{ head -c $((sz / 2)) full.csv.gz; printf 'XXXXXXXXXXXXXXXX'; tail -c $((sz - sz / 2 - 16)) full.csv.gz; } > bad.csv.gz
	test "$(wc -c < bad.csv.gz)" -eq "$sz"
	expect_status 2 cdp-import bad.csv.gz 2> err
	grep -q 'bad.csv.gz: read error' err
	full_imports_after
}

test_gzip_trailing_garbage() {
	people 3000 | gzip > full.csv.gz
	{ cat full.csv.gz; printf 'garbage\n'; } > tail.csv.gz
	expect_status 2 cdp-import tail.csv.gz 2> err
	grep -q 'tail.csv.gz: read error: trailing garbage after compressed data' err
	full_imports_after
}

test_gzip_members_concatenated() {
	people 3000 > all.csv
	head -n 1001 all.csv | gzip > a.gz
	tail -n +1002 all.csv | gzip > b.gz
	cat a.gz b.gz > full.csv.gz
	cdp-import -q full.csv.gz
	test "$(rows)" -eq 3000
	# gzip reads them as one stream too.
	gzip -dc full.csv.gz | cmp - all.csv
}

check "import: a gzip file cut at a line boundary is a read error, nothing imported" test_gzip_cut_at_line_boundary
check "import: a gzip file cut mid-line is a read error, not a reject" test_gzip_cut_mid_line
check "import: corrupt gzip data is a read error, nothing imported" test_gzip_corrupt
check "import: bytes after the last gzip member are a read error" test_gzip_trailing_garbage
check "import: concatenated gzip members are one input" test_gzip_members_concatenated
done_testing
