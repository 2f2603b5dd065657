#!/bin/sh
# cdp-export: formats read back by real parsers, spreadsheets, presets,
# consent, selections from stdin, records for access requests.
. "$(dirname "$0")/lib.sh"

# A small store: five people, one of them suppressed, consent mixed.
people() {
	cat > people.csv <<'EOF'
customer_id,email,phone,first_name,last_name,city,postal_code,country,email_opt_in,notes,updated_at
C1, Anna.Schmidt@Example.com ,030 1234568,Anna,Schmidt,Berlin,10437,DE,true,"Müller, Jürgen & ""Söhne""",2024-03-05T10:00:00Z
C2,J.O.Doe@Gmail.com,+1 415 555 0123,John,Doe,San Francisco,94103-1234,US,false,"=HYPERLINK(""http://x"")",2024-03-05T11:00:00Z
C3,zoe@example.org,,Zoë,Fischer,Halle (Saale),06108,DE,,+1+2,2024-03-05T12:00:00Z
C4,mark@example.net,,Mark,O'Neil,London,SW1A 1AA,GB,true,-2+3,2024-03-05T13:00:00Z
C5,gone@example.com,,Gone,Away,Köln,50667,DE,true,@SUM(A1),2024-03-05T14:00:00Z
EOF
	cdp-import -q --default-country DE people.csv
	printf 'customer_id,suppressed\nC5,true\n' > supp.csv
	cdp-import -q supp.csv
	cdp-merge -q
}

# id_of CUSTOMER_ID: the profile holding that customer id
id_of() {
	cdp-store dump --table idmap --format csv | awk -F, -v v="$1" '$2 == v { print $3 }'
}

# pick FILE CUSTOMER_ID: that profile's JSON line (jq -e judges only
# the last output, so tests look at one line at a time)
pick() {
	jq -c --arg c "$2" 'select(.customer_id == $c)' "$1"
}

sha() {
	printf '%s' "$1" | sha256sum | cut -d' ' -f1
}

test_jsonl_parses_with_jq_and_keeps_types() {
	people
	cdp-export --all --format jsonl > out.jsonl
	jq -e . out.jsonl > /dev/null
	test "$(jq -s length out.jsonl)" -eq 4
	pick out.jsonl C1 | jq -e '.profile_id | type == "number"'
	pick out.jsonl C1 | jq -e '.email_consent == true and .revenue == 0'
	pick out.jsonl C1 | jq -e '.notes == "Müller, Jürgen & \"Söhne\""'
	pick out.jsonl C2 | jq -e '.email_consent == false'
}

# Every kind of internal column a profile can have: _merges, _t: (time
# of each golden value), _r: (a source-priority rank) and _v: (votes of
# most-frequent).  None reaches an export, whatever the format.
test_internal_columns_never_exported() {
	people
	printf 'golden first_name = source-priority people, supp\ngolden city = most-frequent\n' \
	    >> "$CDP_STORE/merge.conf"
	cdp-merge -q --rebuild
	# The profiles have them: column names are plain bytes in a segment
	# file's footer (cdp-store(5)), whatever cdp-store info shows.
	for c in _merges _t:first_name _r:first_name _v:city; do
		grep -q -a -F "$c" "$CDP_STORE"/seg-*.cdp
	done
	cdp-export --all --format jsonl > out.jsonl
	cdp-export --all --format tsv > out.tsv
	cdp-export --all > out.csv
	refute_grep -E '"_(merges|[trv]:)' out.jsonl
	refute_grep -E '(^|[,\t])_(merges|[trv]:)' out.csv out.tsv
	test "$(jq -s length out.jsonl)" -eq 4
}

test_suppressed_person_is_never_exported() {
	people
	cdp-export --all --purpose none > all.csv
	grep -q mark@example.net all.csv
	refute_grep -qi gone@example.com all.csv
	echo "$(id_of C5)" | cdp-export --records > rec.csv 2> err.txt
	refute_grep -qi gone@example.com rec.csv
	grep -q '1 suppressed' err.txt
}

test_csv_round_trips_through_cdp_import() {
	people
	cdp-export --all --fields customer_id,email,first_name,city,notes > out.csv
	mkdir s2
	cdp-import -q -s s2 --source back out.csv
	cdp-store -s s2 dump --format jsonl > back.jsonl
	pick back.jsonl C1 | jq -e '.notes == "Müller, Jürgen & \"Söhne\""'
	pick back.jsonl C3 | jq -e '.city == "Halle (Saale)" and .first_name == "Zoë"'
	pick back.jsonl C2 | jq -e '.notes == "=HYPERLINK(\"http://x\")"' 
	test "$(jq -s length back.jsonl)" -eq 4
}

test_tsv_has_one_line_per_profile() {
	people
	cdp-export --all --format tsv --fields customer_id,email > out.tsv
	test "$(head -n 1 out.tsv)" = "$(printf 'customer_id\temail')"
	test "$(wc -l < out.tsv)" -eq 5
}

test_excel_neutralizes_formulas_and_writes_dates() {
	people
	# C5's "@" is suppressed, so three more people who are exported:
	# notes beginning with "@", a tab and a carriage return.
	printf 'customer_id,email,notes,updated_at\nC6,at@example.com,@SUM(A1),2024-03-05T15:00:00Z\nC7,tab@example.com,"\ttabbed",2024-03-05T16:00:00Z\nC8,cr@example.com,"\rcr",2024-03-05T17:00:00Z\n' > more.csv
	cdp-import -q more.csv
	cdp-merge -q
	cdp-export --all --excel --fields customer_id,notes,first_seen > x.csv
	tab=$(printf '\t') cr=$(printf '\r')
	head -c 3 x.csv | od -An -tx1 | grep -q 'ef bb bf'
	# header + 7 people, each line ended by CRLF
	test "$(grep -c "$cr\$" x.csv)" -eq 8
	test "$(grep -c '' x.csv)" -eq 8
	grep -q "^C1,\"Müller, Jürgen & \"\"Söhne\"\"\",2024-03-05 10:00:00$cr\$" x.csv
	grep -q "^C2,\"'=HYPERLINK(\"\"http://x\"\")\",2024-03-05 11:00:00$cr\$" x.csv
	grep -q "^C3,\"'+1+2\",2024-03-05 12:00:00$cr\$" x.csv
	grep -q "^C4,\"'-2+3\",2024-03-05 13:00:00$cr\$" x.csv
	grep -q "^C6,\"'@SUM(A1)\",2024-03-05 15:00:00$cr\$" x.csv
	grep -q "^C7,\"'${tab}tabbed\",2024-03-05 16:00:00$cr\$" x.csv
	grep -q "^C8,\"'${cr}cr\",2024-03-05 17:00:00$cr\$" x.csv
	# no cell, quoted or not, starts with a formula character
	refute_grep -E "(^|,)\"?[=+@$tab$cr-]" x.csv
	refute_grep -q 'T1[0-9]:00:00Z' x.csv
}

test_ids_from_stdin_select_and_header_is_skipped() {
	people
	printf 'profile_id\n%s\n%s\n' "$(id_of C1)" "$(id_of C3)" | cdp-export --fields customer_id > out.csv
	test "$(cat out.csv | tr '\n' ' ')" = "customer_id C1 C3 "
	printf '' | cdp-export --fields customer_id > empty.csv
	test "$(cat empty.csv)" = customer_id
}

test_unknown_and_merged_ids_get_notes() {
	people
	# a new profile, then a record that shows it is C3 as well
	printf 'email,phone\nnew@example.com,+4915112345678\n' > a.csv
	cdp-import -q a.csv
	cdp-merge -q
	printf 'email,phone\nzoe@example.org,+4915112345678\n' > b.csv
	cdp-import -q b.csv
	cdp-merge -q
	before=$(cdp-store dump --table merges --format csv | tail -n +2 | head -n 1 | cut -d, -f1)
	after=$(cdp-store dump --table merges --format csv | tail -n +2 | head -n 1 | cut -d, -f2)
	test -n "$before"
	printf '%s\n999\n' "$before" | cdp-export --fields profile_id > out.csv 2> err.txt
	grep -q "profile $before was merged into $after" err.txt
	grep -q 'profile 999 does not exist' err.txt
	test "$(tail -n 1 out.csv)" = "$after"
}

test_bad_id_line_is_reported_with_status_1() {
	people
	printf '%s\nanna@example.com\n' "$(id_of C1)" > ids
	expect_status 1 cdp-export --fields customer_id < ids > out.csv 2> err.txt
	grep -q 'stdin:2: not a profile id' err.txt
	test "$(tail -n 1 out.csv)" = C1
}

test_google_ads_known_answer_hashes() {
	people
	cdp-export --all --preset google-ads --purpose none > g.csv
	test "$(head -n 1 g.csv)" = "Email,Phone,First Name,Last Name,Country,Zip"
	grep -q "^$(sha jodoe@gmail.com),$(sha +14155550123),$(sha john),$(sha doe),US,94103-1234\$" g.csv
	grep -q "^$(sha anna.schmidt@example.com),$(sha +49301234568),$(sha anna),$(sha schmidt),DE,10437\$" g.csv
	grep -q ",$(sha zoë),$(sha fischer),DE,06108\$" g.csv
}

test_meta_known_answer_hashes() {
	people
	cdp-export --all --preset meta --purpose none > m.csv
	test "$(head -n 1 m.csv)" = "EMAIL,PHONE,FN,LN,CT,ST,ZIP,COUNTRY"
	grep -q "^$(sha j.o.doe@gmail.com),$(sha 14155550123),$(sha john),$(sha doe),$(sha sanfrancisco),,$(sha 94103),$(sha us)\$" m.csv
	grep -q ",$(sha mark),$(sha oneil),$(sha london),,$(sha sw1a1aa),$(sha gb)\$" m.csv
}

test_presets_apply_their_consent_purpose() {
	people
	cdp-export --all --preset mailchimp --tag spring-sale > mc.csv 2> err.txt
	test "$(head -n 1 mc.csv)" = "Email Address,First Name,Last Name,Phone Number,Tags,Status"
	grep -q '^anna.schmidt@example.com,Anna,Schmidt,+49301234568,spring-sale,subscribed$' mc.csv
	grep -q '^mark@example.net,' mc.csv
	refute_grep -qi 'j.o.doe@gmail.com' mc.csv
	refute_grep -qi 'zoe@example.org' mc.csv
	test "$(wc -l < mc.csv)" -eq 3
	grep -q '2 without email consent' err.txt
	cdp-export --all --preset google-ads > g.csv
	test "$(wc -l < g.csv)" -eq 3
	cdp-export --all --preset mailchimp --purpose none > all.csv
	grep -q '^j.o.doe@gmail.com,John,Doe,+14155550123,unsubscribed$' all.csv
}

test_purpose_filters_plain_exports() {
	people
	cdp-export --all --purpose email --fields customer_id > e.csv
	test "$(tail -n +2 e.csv | sort | tr '\n' ' ')" = "C1 C4 "
	cdp-export --all --purpose analytics --fields customer_id > a.csv
	test "$(wc -l < a.csv)" -eq 5
}

test_changes_become_action_column_or_removals_file() {
	people
	printf '+%s\n-%s\n' "$(id_of C1)" "$(id_of C2)" > changes
	cdp-export --format jsonl --fields customer_id < changes > out.jsonl
	pick out.jsonl C1 | jq -e '.action == "add"'
	pick out.jsonl C2 | jq -e '.action == "remove"' 
	expect_status 64 cdp-export --preset meta < changes > /dev/null
	cdp-export --preset meta --removals gone.csv < changes > add.csv
	test "$(wc -l < add.csv)" -eq 2
	test "$(wc -l < gone.csv)" -eq 2
	grep -q "^$(sha j.o.doe@gmail.com)," gone.csv
	grep -q "^$(sha anna.schmidt@example.com)," add.csv
	test "$(stat -c %a gone.csv)" = 600
}

test_records_answer_an_access_request() {
	people
	id_of C1 | cdp-export --records --format jsonl > rec.jsonl
	jq -e . rec.jsonl > /dev/null
	test "$(jq -s length rec.jsonl)" -eq 1
	jq -e '.record_source == "people" and .record_key == "1:2" and .email == "Anna.Schmidt@Example.com"' rec.jsonl
	jq -e '.record_time == "2024-03-05T10:00:00Z" and (has("suppressed") | not)' rec.jsonl
	id_of C1 | cdp-export --records > rec.csv
	head -n 1 rec.csv | grep -q '^profile_id,record_source,record_key,record_time,customer_id,email'
}

test_segment_pipes_into_export() {
	people
	cdp-segment 'country = "DE"' | cdp-export --fields customer_id > out.csv
	test "$(tail -n +2 out.csv | sort | tr '\n' ' ')" = "C1 C3 "
}

test_usage_errors() {
	people
	expect_status 64 cdp-export --all --excel --format jsonl
	expect_status 64 cdp-export --all --preset tiktok
	expect_status 64 cdp-export --all --preset meta --fields email
	expect_status 64 cdp-export --all --tag x
	expect_status 64 cdp-export --all --purpose marketing
	expect_status 2 cdp-export --all --fields no_such_column
	cdp-export --help | grep -q 'usage: cdp-export'
}

check "jsonl: every line parses with jq, types kept" test_jsonl_parses_with_jq_and_keeps_types
check "every format: internal columns (_merges, _t:, _r:, _v:) hidden" test_internal_columns_never_exported
check "consent: a suppressed person is never exported, not even records" test_suppressed_person_is_never_exported
check "csv: an export imports back with every value intact" test_csv_round_trips_through_cdp_import
check "tsv: header and one line per profile" test_tsv_has_one_line_per_profile
check "excel: BOM, CRLF, spreadsheet dates, formula cells neutralized" test_excel_neutralizes_formulas_and_writes_dates
check "stdin: only the listed profiles, header skipped, empty list exports none" test_ids_from_stdin_select_and_header_is_skipped
check "stdin: merged-away id followed to survivor, unknown id noted" test_unknown_and_merged_ids_get_notes
check "stdin: a line that is not an id is named, exit status 1" test_bad_id_line_is_reported_with_status_1
check "google-ads: known-answer SHA-256 of normalized fields" test_google_ads_known_answer_hashes
check "meta: known-answer SHA-256 of normalized fields" test_meta_known_answer_hashes
check "presets: mailchimp and google-ads export only consenting people" test_presets_apply_their_consent_purpose
check "consent: --purpose filters plain exports" test_purpose_filters_plain_exports
check "changes: +/- become an action column, or a removals file for presets" test_changes_become_action_column_or_removals_file
check "records: a person's records as imported, for an access request" test_records_answer_an_access_request
check "pipe: cdp-segment's ids select the export" test_segment_pipes_into_export
check "usage: conflicting or unknown options exit 64" test_usage_errors
done_testing
