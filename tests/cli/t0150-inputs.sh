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

test_cr_only_line_ends() {
	printf 'id,email,notes\r1,ann@example.com,"two\rlines"\r2,bob@example.com,plain\r' > mac.csv
	cdp-import -q mac.csv
	cdp-store dump --format jsonl > out.jsonl
	jq -e -s 'length == 2' out.jsonl
	jq -e -s '.[0]._line == 2 and .[1]._line == 4' out.jsonl
	jq -e -s '.[0].notes == "two\nlines" and .[1].notes == "plain"' out.jsonl
	jq -e -s '.[1].email == "bob@example.com"' out.jsonl
	# The first line end arriving alone in a read of its own.
	{ printf 'id,email\r'; sleep 1; printf '3,cy@example.com\r'; } | cdp-import -q --source pipe -
	test "$(cdp-store dump --format jsonl | jq -s 'map(select(._source == "pipe")) | .[0].email')" = '"cy@example.com"'
}

test_lf_crlf_and_cr_cr_lf() {
	printf 'id,email,name\n1,a@example.com,Ann\n' > lf.csv
	printf 'id,email,name\r\n1,b@example.com,Bob\r\n' > crlf.csv
	printf 'id,email,name\r\r\n1,c@example.com,Cy\r\r\n2,d@example.com,Di\r\r\n' > crcrlf.csv
	# A lone CR inside a line of a LF file stays data.
	printf 'id,email,name\n1,e@example.com,"E\rve"\n' > lfcr.csv
	for f in lf crlf crcrlf lfcr; do
		cdp-import -q "$f.csv"
	done
	cdp-store dump --format jsonl > out.jsonl
	jq -e -s 'length == 5' out.jsonl
	jq -e -s '[.[].name] == ["Ann", "Bob", "Cy", "Di", "E\rve"]' out.jsonl
	jq -e -s '[.[]._line] == [2, 2, 2, 3, 2]' out.jsonl
}

# Two good rows and one reject (an unterminated quote).
with_reject() {
	printf 'id,email,name\n1,a@example.com,Ann\n2,b@example.com,Bob\n3,"c@example.com,Cy\n' > r.csv
}

test_rejects_symlink_refused() {
	with_reject
	printf 'precious\n' > target.conf
	ln -s target.conf r.csv.rejects.csv
	expect_status 2 cdp-import r.csv 2> err
	grep -q 'r.csv.rejects.csv: is a symbolic link' err
	test "$(cat target.conf)" = precious
	test -L r.csv.rejects.csv
	test "$(rows)" -eq 0
}

test_rejects_fifo_or_device_refused() {
	with_reject
	mkfifo fifo
	# A writer would block on a fifo nobody reads: it must not even wait.
	expect_status 2 timeout 10 cdp-import --rejects fifo r.csv 2> err
	grep -q 'fifo: not a regular file' err
	expect_status 2 cdp-import --rejects /dev/null r.csv 2> err
	grep -q '/dev/null: not a regular file' err
	test "$(rows)" -eq 0
}

test_rejects_file_forced_private() {
	with_reject
	umask 000
	: > r.csv.rejects.csv
	chmod 666 r.csv.rejects.csv
	expect_status 1 cdp-import -q r.csv
	test "$(stat -c %a r.csv.rejects.csv)" = 600
	grep -q '^4,' r.csv.rejects.csv
	with_reject
	cdp-import -q --force --rejects new.csv r.csv || test $? -eq 1
	test "$(stat -c %a new.csv)" = 600
}

test_outputs_private_and_never_through_symlinks() {
	with_reject
	cdp-import -q r.csv || test $? -eq 1
	cdp-merge -q
	printf 'precious\n' > target
	ln -s target link
	umask 000
	cdp-forget -q --email b@example.com --destination-deletes google-ads --destination-file rm.csv
	test "$(stat -c %a rm.csv)" = 600
	expect_status 2 cdp-forget -q --email a@example.com --destination-deletes google-ads \
	    --destination-file link 2> err
	grep -q 'link: is a symbolic link' err
	cdp-export --preset meta --all --removals gone.csv > /dev/null 2>&1
	test "$(stat -c %a gone.csv)" = 600
	expect_status 2 cdp-export --preset meta --all --removals link > /dev/null 2> err
	grep -q 'link: is a symbolic link' err
	cdp-report overview --html page.html > /dev/null
	test "$(stat -c %a page.html)" = 600
	expect_status 2 cdp-report overview --html link > out 2> err
	grep -q 'link: is a symbolic link' err
	test ! -s out
	test "$(cat target)" = precious
	test -L link
}

test_forget_never_rewrites_through_symlinked_rejects() {
	with_reject
	cdp-import -q r.csv || test $? -eq 1
	mv r.csv.rejects.csv elsewhere.csv
	ln -s elsewhere.csv r.csv.rejects.csv
	cp elsewhere.csv before.csv
	expect_status 2 cdp-forget -q --email c@example.com 2> err
	grep -q 'r.csv.rejects.csv: is a symbolic link' err
	cmp elsewhere.csv before.csv
}

test_json_lone_surrogate_escapes_rejected() {
	t='"timestamp":"2024-01-01T00:00:00Z"'
	{
		printf '{"type":"identify","userId":"u1",%s,"traits":{"n":"a\\ud800b"}}\n' "$t"
		printf '{"type":"identify","userId":"u2",%s,"traits":{"n":"\\udc00"}}\n' "$t"
		printf '{"type":"identify","userId":"u3",%s,"traits":{"n":"\\ud800\\u0041"}}\n' "$t"
		printf '{"type":"identify","userId":"u4",%s,"traits":{"\\udbff":"x"}}\n' "$t"
		# A pair is one character; an escaped backslash before u is text.
		printf '{"type":"identify","userId":"u5",%s,"traits":{"n":"\\ud83d\\ude00 \\\\ud800"}}\n' "$t"
		# Raw bytes: an encoded surrogate, an overlong '/'.
		printf '{"type":"identify","userId":"u6",%s,"traits":{"n":"raw \355\240\200"}}\n' "$t"
		printf '{"type":"identify","userId":"u7",%s,"traits":{"n":"raw \300\257"}}\n' "$t"
	} > s.jsonl
	expect_status 1 cdp-import -q s.jsonl
	test "$(grep -c 'invalid UTF-8' s.jsonl.rejects.csv)" -eq 6
	cdp-store dump --format jsonl > out.jsonl
	jq -e -s 'length == 1 and .[0]._customer_id == "u5"' out.jsonl
	jq -e -s '.[0]["traits.n"] == "\ud83d\ude00 \\ud800"' out.jsonl
}

test_header_only_file_imported_once() {
	printf 'id,email\n' > h.csv
	cdp-import -q h.csv
	expect_status 3 cdp-import -q h.csv 2> err
	grep -q 'already imported as batch' err
	cdp-import -q --force h.csv
}

test_all_rejected_is_an_error() {
	printf 'id,email\n1,"a@example.com\n' > bad.csv
	printf 'id,email\n' > h.csv
	cdp-import -q h.csv
	before=$(cat "$CDP_STORE/MANIFEST")
	expect_status 2 cdp-import bad.csv 2> err
	grep -q 'bad.csv: every row rejected (1, see .*bad.csv.rejects.csv); nothing imported' err
	grep -q '^2,' bad.csv.rejects.csv
	test "$(cat "$CDP_STORE/MANIFEST")" = "$before"
	# Fixed, it imports without --force.
	printf 'id,email\n1,a@example.com\n' > bad.csv
	cdp-import -q bad.csv
	test "$(rows)" -eq 1
}

test_failed_import_creates_no_store() {
	: > empty.csv
	expect_status 2 cdp-import empty.csv 2> err
	grep -q 'empty input' err
	test ! -e "$CDP_STORE"
	printf 'id,email\n1,"x\n' > bad.csv
	expect_status 2 cdp-import -q bad.csv
	test ! -e "$CDP_STORE"
	people 3 | gzip | head -c 40 > cut.csv.gz
	expect_status 2 cdp-import -q cut.csv.gz
	test ! -e "$CDP_STORE"
	# An existing empty directory stays, without a MANIFEST (its LOCK
	# stays too: a writer may be waiting on it).
	mkdir "$CDP_STORE"
	expect_status 2 cdp-import -q empty.csv
	test -d "$CDP_STORE"
	test ! -e "$CDP_STORE/MANIFEST"
}

# Exit 2 means nothing changed; a batch committed before the last
# directory fsync failed is reported as imported, with a warning.
test_exit_2_means_nothing_committed() {
	printf 'id,email\n' > h.csv
	cdp-import -q h.csv
	people 5 > p.csv
	warned=0
	n=1
	while [ "$n" -le 12 ]; do
		set +e
		CDP_FAULT=fsync:$n cdp-import -q p.csv 2> err
		rc=$?
		set -e
		case $rc in
		2)	test "$(rows)" -eq 0 ;;
		0)	test "$(rows)" -eq 5
			if grep -q 'imported as batch .*fsync failed.*may not survive a power cut' err; then
				warned=1
			fi
			break ;;
		*)	echo "fsync:$n: exit $rc" >&2; return 1 ;;
		esac
		n=$((n + 1))
	done
	test "$warned" -eq 1
	expect_status 3 cdp-import -q p.csv
}

check "import: a gzip file cut at a line boundary is a read error, nothing imported" test_gzip_cut_at_line_boundary
check "import: a gzip file cut mid-line is a read error, not a reject" test_gzip_cut_mid_line
check "import: corrupt gzip data is a read error, nothing imported" test_gzip_corrupt
check "import: bytes after the last gzip member are a read error" test_gzip_trailing_garbage
check "import: concatenated gzip members are one input" test_gzip_members_concatenated
check "import: CR-only line ends (old Mac Excel) read as lines" test_cr_only_line_ends
check "import: LF, CRLF and CR CR LF line ends leave no CR behind" test_lf_crlf_and_cr_cr_lf
check "import: a symlinked rejects file is refused, its target untouched" test_rejects_symlink_refused
check "import: a fifo or device as rejects file is refused at once" test_rejects_fifo_or_device_refused
check "import: a rejects file is made 0600, even one left 0666, under umask 000" test_rejects_file_forced_private
check "forget, export, report: output files 0600 under umask 000, never via symlinks" test_outputs_private_and_never_through_symlinks
check "forget: a symlinked rejects file is refused, not rewritten through" test_forget_never_rewrites_through_symlinked_rejects
check "import: JSON \\u escapes of lone surrogates rejected like invalid bytes" test_json_lone_surrogate_escapes_rejected
check "import: a header-only file counts as imported: again needs --force" test_header_only_file_imported_once
check "import: a file whose every row is rejected fails, exit 2, nothing recorded" test_all_rejected_is_an_error
check "import: an import that fails creates no store" test_failed_import_creates_no_store
check "import: exit 2 only when nothing was committed (final fsync warns instead)" test_exit_2_means_nothing_committed
done_testing
