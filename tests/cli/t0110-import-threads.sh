#!/bin/sh
# cdp-import --threads: parsing in pieces on several threads gives the
# store, the rejects and the line numbers that one thread gives, byte
# for byte.  The inputs are a few MB, so they are cut into several
# pieces (about 1 MiB each) and records straddle the cuts.
. "$(dirname "$0")/lib.sh"

# people.csv: a byte order mark, CRLF line ends, every other record a
# quoted note holding a line break (so most cuts fall near one), and
# every 997th line a record with a field too many, marked BADROW.
gen_csv() {
	awk 'BEGIN {
		printf "\357\273\277customer_id,email,name,note,amount,created_at\r\n"
		for (i = 1; i <= 40000; i++) {
			if (i % 997 == 0) {
				printf "BADROW%d,x%d@example.com,Bad,x,1.00,2024-01-01,extra\r\n", i, i
				continue
			}
			note = (i % 2) ? sprintf("\"first line %d\r\nsecond, \"\"quoted\"\" line\"", i) : "plain"
			printf "C%06d,p%d@example.com,Person %d,%s,%d.%02d,2024-%02d-%02d 10:%02d:00\r\n",
			    i, i, i, note, i % 500, i % 100, i % 12 + 1, i % 28 + 1, i % 60
		}
	}' > "$1"
}

# events.jsonl: blank lines, CRLF on some lines, and every 1013th line
# broken JSON marked BADROW.
gen_jsonl() {
	awk 'BEGIN {
		for (i = 1; i <= 30000; i++) {
			if (i % 1013 == 0) { printf "{\"BADROW\": %d,\n", i; continue }
			if (i % 500 == 0) { print ""; continue }
			printf "{\"messageId\":\"m%d\",\"type\":\"track\",\"event\":\"Product Viewed\",\"userId\":\"u%d\",\"timestamp\":\"2024-03-%02dT12:00:%02dZ\",\"properties\":{\"price\":%d.5,\"tags\":[\"a\",\"b\"],\"note\":\"line \\\"%d\\\" with \\u00e9\"}}%s\n",
			    i, i % 3000, i % 28 + 1, i % 60, i % 90, i, (i % 3 ? "" : "\r")
		}
	}' > "$1"
}

# import_with N FILE DIR [options]: import FILE into DIR/store with N
# threads; the status (0 or 1 with rejects) lands in DIR/status.
import_with() {
	n=$1 file=$2 dir=$3
	shift 3
	mkdir -p "$dir"
	set +e
	cdp-import -q --threads "$n" -s "$dir/store" --rejects "$dir/rejects.csv" "$@" "$file" \
	    2> "$dir/err"
	echo $? > "$dir/status"
	set -e
}

# same_store A B: the same records, segment files, manifest (but for
# the time of import and where the rejects went) and rejects.
same_store() {
	cmp "$1/status" "$2/status"
	for d in "$1" "$2"; do
		cdp-store -s "$d/store" dump --format jsonl > "$d/dump.jsonl"
		(cd "$d/store" && cksum seg-*.cdp) > "$d/seg.sum"
		sed -e 's/ time=[^ ]*//' -e 's/ rejects-file=[^ ]*//' -e '/^crc32 /d' \
		    "$d/store/MANIFEST" > "$d/manifest"
	done
	test -s "$1/dump.jsonl"
	diff "$1/dump.jsonl" "$2/dump.jsonl"
	diff "$1/seg.sum" "$2/seg.sum"
	diff "$1/manifest" "$2/manifest"
	if [ -e "$1/rejects.csv" ] || [ -e "$2/rejects.csv" ]; then
		cmp "$1/rejects.csv" "$2/rejects.csv"
	fi
}

# The lines of FILE holding BADROW, as the rejects file should name them.
bad_lines() {
	grep -n BADROW "$1" | cut -d: -f1
}

rejected_lines() {
	tail -n +2 "$1" | grep BADROW | cut -d, -f1
}

test_csv_same_on_1_and_4_threads() {
	gen_csv people.csv
	test "$(wc -c < people.csv)" -gt 3000000
	import_with 1 people.csv one
	import_with 4 people.csv four
	test "$(cat one/status)" -eq 1
	same_store one four
}

test_csv_bad_rows_keep_their_lines() {
	gen_csv people.csv
	import_with 4 people.csv four
	bad_lines people.csv > want
	rejected_lines four/rejects.csv > got
	test "$(wc -l < want)" -ge 40
	diff want got
	grep -q '^1496,"expected 6 fields, found 7","BADROW997,' four/rejects.csv
}

test_csv_export_same_after_merge() {
	gen_csv people.csv
	import_with 1 people.csv one
	import_with 4 people.csv four
	for d in one four; do
		cdp-merge -s "$d/store" --as-of 2025-01-01T00:00:00Z > /dev/null
		cdp-export -q -s "$d/store" --all --format csv > "$d/export.csv"
	done
	test -s one/export.csv
	cmp one/export.csv four/export.csv
}

# A lone quote on line 4 runs the quote toggle wrong for the rest of the
# file, so the cuts after it fall inside records: those pieces are read
# again by one reader, and the result is still the same.
test_csv_stray_quote_same() {
	gen_csv people.csv
	awk 'NR == 4 { sub(/Person/, "Per\"son") } { print }' people.csv > stray.csv
	grep -q 'Per"son 2,' stray.csv
	import_with 1 stray.csv one
	import_with 4 stray.csv four
	same_store one four
	grep -q '^4,"malformed quoting"' four/rejects.csv
	bad_lines stray.csv > want
	rejected_lines four/rejects.csv > got
	diff want got
}

test_jsonl_same_on_1_and_4_threads() {
	gen_jsonl events.jsonl
	test "$(wc -c < events.jsonl)" -gt 3000000
	import_with 1 events.jsonl one
	import_with 4 events.jsonl four
	test "$(cat one/status)" -eq 1
	same_store one four
	bad_lines events.jsonl > want
	rejected_lines four/rejects.csv > got
	test "$(wc -l < want)" -ge 25
	diff want got
}

test_gzip_same_on_1_and_4_threads() {
	gen_csv people.csv
	gen_jsonl events.jsonl
	gzip -c people.csv > people.csv.gz
	gzip -c events.jsonl > events.jsonl.gz
	for f in people.csv.gz events.jsonl.gz; do
		import_with 1 "$f" "one-$f"
		import_with 4 "$f" "four-$f"
		same_store "one-$f" "four-$f"
	done
	bad_lines people.csv > want
	rejected_lines four-people.csv.gz/rejects.csv > got
	diff want got
}

test_threads_from_environment_same() {
	gen_jsonl events.jsonl
	import_with 1 events.jsonl one
	mkdir -p env
	set +e
	CDP_THREADS=3 cdp-import -q -s env/store --rejects env/rejects.csv events.jsonl 2> env/err
	echo $? > env/status
	set -e
	same_store one env
}

# Not UTF-8 deep in a file: fatal (another encoding) when no valid
# UTF-8 came before it, a rejected row when some did; both decided in
# input order across pieces, with the error naming the true line.
test_csv_not_utf8_same() {
	gen_csv people.csv
	awk 'NR == 30001 { sub(/Person/, "Pers\351n") } { print }' people.csv > latin.csv
	line=$(grep -a -n "$(printf 'Pers\351n')" latin.csv | cut -d: -f1)
	for n in 1 4; do
		expect_status 2 cdp-import -q --threads $n -s st$n latin.csv 2> err$n
	done
	cmp err1 err4
	grep -q "latin.csv:$line: not UTF-8 (byte 0xe9); try --encoding windows-1252" err4
	awk 'NR == 20001 { sub(/Person/, "Pers\303\251n") } { print }' latin.csv > mixed.csv
	import_with 1 mixed.csv one
	import_with 4 mixed.csv four
	same_store one four
	grep -q "^$line,\"invalid UTF-8\"" four/rejects.csv
}

test_threads_option_checked() {
	gen_jsonl events.jsonl
	expect_status 64 cdp-import --threads 0 events.jsonl
	expect_status 64 cdp-import --threads x events.jsonl
	test ! -e "$CDP_STORE"
}

check "csv with quoted line breaks, CRLF and a BOM: 4 threads store what 1 does" \
    test_csv_same_on_1_and_4_threads
check "csv: rows rejected near piece cuts name their true lines" test_csv_bad_rows_keep_their_lines
check "csv: the export after cdp-merge is the same for 1 and 4 threads" test_csv_export_same_after_merge
check "csv with a stray quote: 4 threads store and reject what 1 does" test_csv_stray_quote_same
check "jsonl with blank, CRLF and broken lines: 4 threads store what 1 does" \
    test_jsonl_same_on_1_and_4_threads
check "gzip input: 4 threads store what 1 does" test_gzip_same_on_1_and_4_threads
check "csv not UTF-8 past piece cuts: the same error, or the same reject" test_csv_not_utf8_same
check "CDP_THREADS chooses the threads; the store is the same" test_threads_from_environment_same
check "--threads wants a number from 1" test_threads_option_checked
done_testing
