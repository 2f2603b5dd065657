#!/bin/sh
# cdp-forget: erasure by every kind of identifier, proof of absence,
# suppression of re-imports, the audit log, and kills at every step.
. "$(dirname "$0")/lib.sh"

# A small store: Anna Schmidt is in the CRM, the newsletter, the shop
# and on two web devices; one of her CRM rows is a reject.
build() {
	cat > crm.csv <<'CSV'
customer_id,first_name,last_name,email,phone,city,updated_at,loyalty_id
C1,Anna,Schmidtova, Anna.Schmidtova@Example.com ,030 5550101,Berlin,2024-01-02T10:00:00Z,L-7788
C2,Bert,Bauer,bert.bauer@example.com,030 5550202,Hamburg,2024-01-03T10:00:00Z,L-9900
C3,Anna,"Schmidtova, broken,Anna.Schmidtova@example.com,030 5550101,Berlin,2024-01-04T10:00:00Z,
C4,Carla,Conti,carla@example.com,030 5550303,Bremen,2024-01-05T10:00:00Z,
CSV
	cat > news.csv <<'CSV'
email,subscribed_at
ANNA.SCHMIDTOVA@EXAMPLE.COM,2024-02-01 08:00:00
carla@example.com,2024-02-02 08:00:00
CSV
	cat > shop.csv <<'CSV'
order_id,customer_id,email,order_date,amount
O-1,C1,anna.schmidtova@example.com,2024-03-01 12:00:00,129.00
O-2,C2,bert.bauer@example.com,2024-03-02 12:00:00,19.90
CSV
	cat > web.jsonl <<'JSON'
{"type":"track","event":"Product Viewed","anonymousId":"dev-anna-phone","timestamp":"2024-03-01T10:00:00Z","properties":{"sku":"TENT"}}
{"type":"identify","anonymousId":"dev-anna-phone","userId":"C1","timestamp":"2024-03-01T10:01:00Z","traits":{"email":"Anna.Schmidtova@example.com"}}
{"type":"track","event":"Product Viewed","anonymousId":"dev-anna-laptop","timestamp":"2024-03-05T10:00:00Z","properties":{"sku":"MAT"}}
{"type":"identify","anonymousId":"dev-anna-laptop","userId":"C1","timestamp":"2024-03-05T10:01:00Z"}
{"type":"track","event":"Product Viewed","anonymousId":"dev-bert","userId":"C2","timestamp":"2024-03-06T10:00:00Z","properties":{"sku":"MAT"}}
JSON
	expect_status 1 cdp-import -q --source crm --kind person --default-country DE crm.csv
	cdp-import -q --source news --kind person news.csv
	cdp-import -q --source shop --event order shop.csv
	cdp-import -q --source web web.jsonl
	cdp-merge -q
}

# Every value of Anna's that the inputs hold, as written there.
ANNA_VALUES="Schmidtova Anna.Schmidtova@Example.com ANNA.SCHMIDTOVA anna.schmidtova C1, L-7788 5550101 dev-anna-phone dev-anna-laptop O-1"

absent_all() {
	for v in $ANNA_VALUES; do
		v=${v%,}
		cdp-store verify --absent "$v" || { echo "still present: $v" >&2; return 1; }
	done
}

nprofiles() {
	cdp-store dump --table profiles --format jsonl | wc -l
}

test_email_erases_every_source_and_device() {
	build
	expect_status 1 cdp-store verify --absent Schmidtova 2>/dev/null
	before=$(nprofiles)
	cdp-forget --email anna.schmidtova@EXAMPLE.com --reference REQ-17 2> err.txt
	grep -q 'REQ-17: 1 profiles' err.txt
	test "$(nprofiles)" -eq $((before - 1))
	cdp-store verify
	absent_all
	# the others are untouched
	cdp-store dump --format csv | grep -q bert.bauer@example.com
	cdp-store dump --format csv | grep -q dev-bert
	cdp-store dump --format csv | grep -q carla@example.com
}

test_rejects_file_is_scrubbed() {
	build
	grep -q Schmidtova crm.csv.rejects.csv
	cdp-forget -q --email anna.schmidtova@example.com
	refute_grep -qi schmidtova crm.csv.rejects.csv
	head -1 crm.csv.rejects.csv | grep -q '^line,reason,record'
}

test_erase_by_phone() {
	build
	cdp-forget -q --default-country DE --phone '+49 30 5550101'
	absent_all
}

test_erase_by_customer_id() {
	build
	cdp-forget -q --id C1
	absent_all
}

test_erase_by_profile_id() {
	build
	p=$(cdp-store dump --table idmap --format csv | awk -F, '$2 == "C1" { print $3 }')
	test -n "$p"
	cdp-forget -q --profile "$p"
	absent_all
}

test_stdin_mixes_kinds_and_reports_unknown() {
	build
	printf 'anna.schmidtova@example.com\nC2\nnobody@example.org\n' > req.txt
	expect_status 1 cdp-forget -q < req.txt 2> err.txt
	grep -q "nobody@example.org': not found" err.txt
	absent_all
	cdp-store verify --absent bert.bauer@example.com
	cdp-store dump --format csv | grep -q carla@example.com
}

test_empty_stdin_erases_nothing() {
	build
	cdp-store dump --table profiles --format csv --internal > before.csv
	cdp-segment 'email = "nobody@example.com"' | cdp-forget 2> err.txt
	grep -q 'standard input names nobody; nothing erased' err.txt
	cdp-store dump --table profiles --format csv --internal > after.csv
	cmp before.csv after.csv
}

test_segment_memberships_go() {
	build
	cdp-segment --save berliners 'city = "Berlin"'
	cdp-segment --run berliners --changes > before.txt
	test "$(grep -c '^+' before.txt)" -eq 1
	cdp-forget -q --id C1
	cdp-store verify
	p=$(cdp-segment --run berliners | wc -l)
	test "$p" -eq 0
}

test_dry_run_changes_nothing() {
	build
	cp ../store/MANIFEST m.before 2>/dev/null || cp "$CDP_STORE/MANIFEST" m.before
	cdp-forget -n --email anna.schmidtova@example.com > out.txt
	grep -q 'would erase 1 profiles' out.txt
	cmp m.before "$CDP_STORE/MANIFEST"
	expect_status 1 cdp-store verify --absent Schmidtova 2>/dev/null
	test ! -e "$CDP_STORE/audit.log"
}

test_audit_log_has_no_personal_data() {
	build
	cdp-forget -q --email anna.schmidtova@example.com --reference GDPR-2025-001
	cdp-forget --log > log.txt
	test "$(wc -l < log.txt)" -eq 1
	grep -q 'ref=GDPR-2025-001' log.txt
	grep -q 'profiles=1' log.txt
	grep -q 'sources=.*crm:1' log.txt
	refute_grep -qi -e schmidtova -e anna -e 5550101 -e L-7788 -e dev-anna -e C1, log.txt
	refute_grep -qi -e schmidtova -e anna -e 5550101 -e L-7788 -e dev-anna -e C1, "$CDP_STORE/audit.log"
	test "$(stat -c %a "$CDP_STORE/secret")" = 600
}

test_destination_deletes_hash_like_exports() {
	build
	cdp-forget -q --email anna.schmidtova@example.com --destination-deletes google-ads \
	    --destination-file rm.csv
	head -1 rm.csv | grep -q '^Email,Phone$'
	h=$(printf '%s' anna.schmidtova@example.com | sha256sum | cut -d' ' -f1)
	grep -q "^$h," rm.csv
	h=$(printf '%s' +49305550101 | sha256sum | cut -d' ' -f1)
	grep -q ",$h$" rm.csv
}

test_reimport_after_erasure_is_suppressed() {
	build
	cdp-forget -q --email anna.schmidtova@example.com
	cdp-import --source shop --event order --force shop.csv 2> err.txt
	grep -q '1 rows suppressed' err.txt
	absent_all
}

test_no_suppress_lets_the_person_back() {
	build
	cdp-forget -q --no-suppress --email anna.schmidtova@example.com
	cdp-import -q --source shop --event order --force shop.csv
	cdp-store dump --format csv | grep -q anna.schmidtova@example.com
}

test_unsuppress_lifts() {
	build
	cdp-forget -q --email anna.schmidtova@example.com
	grep -q '^email ' "$CDP_STORE/suppress"
	n=$(grep -c '^email ' "$CDP_STORE/suppress")
	cdp-forget -q --unsuppress --email Anna.Schmidtova@example.com
	test "$(grep -c '^email ' "$CDP_STORE/suppress")" -eq $((n - 1))
	expect_status 1 cdp-forget -q --unsuppress --email anna.schmidtova@example.com 2>/dev/null
	test "$(cdp-forget --log | wc -l)" -eq 2
}

test_kill_at_every_step_then_rerun_finishes() {
	build
	cp -r "$CDP_STORE" pristine
	cp crm.csv.rejects.csv rejects.pristine
	n=1
	while :; do
		rm -rf "$CDP_STORE"
		cp -r pristine "$CDP_STORE"
		cp rejects.pristine crm.csv.rejects.csv
		set +e
		CDP_KILL_AT=$n cdp-forget -q --email anna.schmidtova@example.com 2>/dev/null
		st=$?
		set -e
		cdp-store verify || { echo "kill at $n: store damaged" >&2; return 1; }
		# The re-run finishes the erasure: exit 0 while Anna's records
		# are there, 1 (named nobody) once the killed run committed
		# (its superseded files may still wait to be wiped: the re-run
		# wipes them, and absent_all proves it).
		cdp-store dump --format csv > live.csv
		want=1
		grep -qi anna.schmidtova live.csv && want=0
		expect_status $want cdp-forget -q --email anna.schmidtova@example.com 2>/dev/null ||
		    { echo "kill at $n: re-run did not exit $want" >&2; return 1; }
		absent_all || { echo "kill at $n: not erased after re-run" >&2; return 1; }
		test "$(cdp-forget --log | grep -c ' forget ')" -eq 1 ||
		    { echo "kill at $n: audit log not one line" >&2; return 1; }
		grep -q '^email ' "$CDP_STORE/suppress" ||
		    { echo "kill at $n: suppression lost" >&2; return 1; }
		leftover=$(ls "$CDP_STORE" | grep -c '^tmp-' || true)
		test "$leftover" -eq 0 || { echo "kill at $n: temporary files left" >&2; return 1; }
		[ "$st" -eq 137 ] || break
		n=$((n + 1))
	done
	test "$n" -gt 20
}

check "forget by e-mail erases every source and device" test_email_erases_every_source_and_device
check "forget scrubs the rejects file the store keeps" test_rejects_file_is_scrubbed
check "forget by phone" test_erase_by_phone
check "forget by customer id" test_erase_by_customer_id
check "forget by profile id" test_erase_by_profile_id
check "stdin takes mixed identifiers; unknown ones exit 1" test_stdin_mixes_kinds_and_reports_unknown
check "an empty segment piped in erases nothing, exit 0" test_empty_stdin_erases_nothing
check "segment memberships of the forgotten go" test_segment_memberships_go
check "--dry-run changes nothing" test_dry_run_changes_nothing
check "audit log records the erasure without personal data" test_audit_log_has_no_personal_data
check "--destination-deletes hashes like the export preset" test_destination_deletes_hash_like_exports
check "re-import after erasure is suppressed" test_reimport_after_erasure_is_suppressed
check "--no-suppress lets the person come back" test_no_suppress_lets_the_person_back
check "--unsuppress lifts a suppression" test_unsuppress_lifts
check "a forget killed at any step is finished by a re-run" test_kill_at_every_step_then_rerun_finishes
done_testing
