#!/bin/sh
# cdp-forget rewrites only the segment files that hold the person's
# rows: every other file keeps its name and its bytes.  The erasure is
# still complete: rows not merged yet and rows of every table go too.
. "$(dirname "$0")/lib.sh"

# Three batches: Anna and Bert in the CRM, Carla and Dora in a second
# CRM file, Bert's web events; then a saved segment Anna is not in.
build() {
	cat > crm1.csv <<'CSV'
customer_id,first_name,last_name,email,city
C1,Anna,Schmidtova,anna.schmidtova@example.com,Berlin
C2,Bert,Bauer,bert.bauer@example.com,Hamburg
CSV
	cat > crm2.csv <<'CSV'
customer_id,first_name,last_name,email,city
C3,Carla,Conti,carla.conti@example.com,Bremen
C4,Dora,Dietz,dora.dietz@example.com,Hamburg
CSV
	cat > web.jsonl <<'JSON'
{"type":"track","event":"Product Viewed","anonymousId":"dev-bert","userId":"C2","timestamp":"2024-03-06T10:00:00Z"}
{"type":"track","event":"Product Viewed","anonymousId":"dev-bert","userId":"C2","timestamp":"2024-03-07T10:00:00Z"}
JSON
	cdp-import -q --source crm1 --kind person crm1.csv
	cdp-import -q --source crm2 --kind person crm2.csv
	cdp-import -q --source web web.jsonl
	cdp-merge -q
	cdp-segment --save hamburg 'city = "Hamburg"' > /dev/null
	cdp-segment --run hamburg --changes > /dev/null
}

# The segment entries of the manifest, "table batch file" one a line:
# batch is the import's number (1 = the first import), for links that
# of their records segment, "-" for tables of no batch.
segfiles() {
	awk '
	function val(k,   i) {
		for (i = 3; i <= NF; i++)
			if (index($i, k "=") == 1)
				return substr($i, length(k) + 2)
		return ""
	}
	NR == FNR {
		if ($1 == "batch") nb[$2] = ++n
		if ($1 == "segment" && val("table") == "records") rb[$2] = val("batch")
		next
	}
	$1 == "segment" {
		b = val("batch")
		if (val("table") == "links") b = rb[val("records")]
		print val("table"), (b in nb) ? nb[b] : "-", val("file")
	}' "$CDP_STORE/MANIFEST" "$CDP_STORE/MANIFEST"
}

# Pairs in the identifier index (rows= of its parts).
idindex_rows() {
	awk '$1 == "segment" && / table=idindex / {
		for (i = 3; i <= NF; i++) if ($i ~ /^rows=/) n += substr($i, 6)
	} END { print n + 0 }' "$CDP_STORE/MANIFEST"
}

# Copies of every segment file, to compare bytes after the forget.
keep_copies() {
	mkdir -p before
	segfiles > before/list
	while read -r _ _ f; do
		cp "$CDP_STORE/$f" "before/$f"
	done < before/list
}

# 0 when the file of table T, batch B is the very file it was before.
unchanged() {
	f=$(awk -v t="$1" -v b="$2" '$1 == t && $2 == b { print $3 }' before/list)
	test -n "$f"
	segfiles | grep -q "^$1 $2 $f\$"
	cmp "before/$f" "$CDP_STORE/$f"
}

# 0 when table T, batch B is now another file than before.
replaced() {
	f=$(awk -v t="$1" -v b="$2" '$1 == t && $2 == b { print $3 }' before/list)
	test -n "$f"
	refute_grep -q "^$1 $2 $f\$" now.list
	test ! -e "$CDP_STORE/$f"
}

test_only_segments_holding_the_person_are_rewritten() {
	build
	keep_copies
	idx_before=$(idindex_rows)
	cdp-forget --email anna.schmidtova@example.com 2> err.txt
	grep -q '1 profiles' err.txt
	segfiles > now.list
	# batches 2 (Carla, Dora) and 3 (Bert's events) hold nothing of
	# hers: their records and links files stay, byte for byte
	unchanged records 2
	unchanged links 2
	unchanged records 3
	unchanged links 3
	# the saved segment's members do not include her: untouched
	grep -q '^segmembers ' before/list
	unchanged segmembers -
	# her batch, the profiles and the identifier map are new files
	replaced records 1
	replaced links 1
	replaced profiles -
	replaced idmap -
	# the identifier index loses her keys: a new part, first and last
	# key in the manifest still those of the part (verify checks them)
	replaced idindex -
	test "$(idindex_rows)" -lt "$idx_before"
	cdp-store verify
	for v in Schmidtova anna.schmidtova C1; do
		cdp-store verify --absent "$v"
	done
	cdp-store dump --format csv | grep -q bert.bauer@example.com
}

test_rows_not_merged_yet_are_found_by_their_identifiers() {
	build
	# a batch after the merge: no links yet, so no profile names the
	# row; the identifier alone must find it
	cat > late.csv <<'CSV'
order_id,email,order_date,amount
O-9,anna.schmidtova@example.com,2024-04-01 10:00:00,49.00
O-10,carla.conti@example.com,2024-04-02 10:00:00,19.00
CSV
	cdp-import -q --source late --event order late.csv
	keep_copies
	cdp-forget -q --email anna.schmidtova@example.com
	segfiles > now.list
	replaced records 4
	unchanged records 2
	cdp-store verify --absent anna.schmidtova
	cdp-store verify --absent O-9
	cdp-store dump --format csv | grep -q O-10
}

test_a_dry_run_writes_nothing() {
	build
	keep_copies
	cdp-forget --dry-run --email anna.schmidtova@example.com > plan.txt
	grep -q 'segments to rewrite' plan.txt
	while read -r _ _ f; do
		cmp "before/$f" "$CDP_STORE/$f"
	done < before/list
	set -- "$CDP_STORE"/seg-*
	test "$#" -eq "$(wc -l < before/list)"
}

check "forget rewrites only the segment files that hold the person; the others keep name and bytes" \
    test_only_segments_holding_the_person_are_rewritten
check "forget finds rows not merged yet by their identifiers and erases them" \
    test_rows_not_merged_yet_are_found_by_their_identifiers
check "forget --dry-run leaves every segment file as it was" test_a_dry_run_writes_nothing
done_testing
