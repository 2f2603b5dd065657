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
	expect_status 2 cdp-report overview --html link > /dev/null 2> err
	grep -q 'link: is a symbolic link' err
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
done_testing
