#!/bin/sh
# cdp-merge: every person has a profile; a shared till does not chain
# strangers; revenue and consent columns in any case; one attribute name.
. "$(dirname "$0")/lib.sh"

nprofiles() {
	cdp-store dump --table profiles --format jsonl | wc -l
}

# A CRM row whose phone is in national form (no --default-country) and
# whose id column is not recognised has no identifier that links.
test_person_without_linkable_identifier_gets_a_profile() {
	printf 'crm_no,phone,first_name\n4711,030 1234567,Hedwig\n4712,,Ida\n' > crm.csv
	printf 'email,first_name\nann@example.com,Ann\n' > nl.csv
	cdp-import -q crm.csv nl.csv
	cdp-merge -q
	test "$(nprofiles)" -eq 3
	cdp-store dump --table profiles --format jsonl > p.jsonl
	jq -e -s 'map(select(.first_name == "Hedwig")) | length == 1' p.jsonl
	jq -e -s 'map(select(.first_name == "Ida" and .records == 1)) | length == 1' p.jsonl
	# every record of kind person is linked to a profile
	test "$(cdp-store dump --table links --format csv | grep -c '^$')" -eq 0
	# and an incremental run decides like a rebuild
	printf 'crm_no,phone,first_name\n4713,,Jo\n' > crm2.csv
	cdp-import -q crm2.csv
	cdp-merge -q
	cdp-store dump --table profiles --format jsonl | sort > inc.txt
	cdp-merge -q --rebuild
	cdp-store dump --table profiles --format jsonl | sort > reb.txt
	diff inc.txt reb.txt
	test "$(wc -l < reb.txt)" -eq 4
}

# Events without any identifier still belong to nobody.
test_anonymous_events_stay_unlinked() {
	printf 'event,time,page\nview,2024-01-01T00:00:00Z,/\n' > ev.csv
	cdp-import -q ev.csv
	cdp-merge -q
	test "$(nprofiles)" -eq 0
}

# Five strangers pay at one till; the POS export fills Device ID.
test_five_strangers_through_one_device_id_stay_apart() {
	{
		echo 'Email,Device ID,Total,Created at'
		for i in 1 2 3 4 5; do
			echo "buyer$i@example.com,POS-7,1$i.00,2024-03-0${i}T10:00:00Z"
		done
	} > till.csv
	# cdp-import takes no "Device ID" as an anonymous id by itself;
	# a user who maps it so is still protected by merge
	cdp-import -q --event order --map 'anonymous_id=Device ID' till.csv
	cdp-merge 2> err.txt
	test "$(nprofiles)" -eq 5
	grep -q '4 identifiers refused' err.txt
	cdp-store dump --table refusals --format csv > ref.csv
	grep -q 'anonymous_id is weak' ref.csv
	# revenue from "Total", counted per profile
	cdp-store dump --table profiles --format jsonl |
	    jq -e -s 'map(.revenue) | add == 65' > /dev/null
	# the rule can be switched off
	printf 'weak = none\n' > "$CDP_STORE/merge.conf"
	cdp-merge -q --rebuild
	test "$(nprofiles)" -eq 1
	cdp-merge --print-config | grep -q '^weak = none$'
}

# A visitor's device joins the e-mail she later signs up with.
test_device_still_joins_first_identified_person() {
	cat > web.jsonl <<'EV'
{"event":"page","anonymousId":"d1","timestamp":"2024-01-01T10:00:00Z"}
{"event":"signup","anonymousId":"d1","traits":{"email":"eve@example.com"},"timestamp":"2024-01-01T10:05:00Z"}
EV
	cdp-import -q web.jsonl
	cdp-merge -q
	test "$(nprofiles)" -eq 1
	cdp-merge --print-config | grep -q '^weak = anonymous_id$'
}

test_revenue_and_consent_columns_in_any_case() {
	printf 'Email,Accepts Email Marketing,Updated At\nk@example.com,yes,2024-01-01T00:00:00Z\nl@example.com,no,2024-01-01T00:00:00Z\n' > c.csv
	printf 'Email,TOTAL,Created at\nk@example.com,12.50,2024-02-01T00:00:00Z\n' > o.csv
	cdp-import -q c.csv
	cdp-import -q --event order o.csv
	cdp-merge -q
	cdp-store dump --table profiles --format jsonl > p.jsonl
	jq -e -s 'map(select(.email == "k@example.com"))[0] | .email_consent == true and .revenue == 12.50' p.jsonl
	jq -e -s 'map(select(.email == "l@example.com"))[0] | .email_consent == false' p.jsonl
}

test_source_names_land_on_one_attribute() {
	printf 'email,FNAME,LNAME,Zip,CC\na@example.com,Ann,Lee,10115,DE\n' > mc.csv
	printf 'email,First Name,Last Name,Default Address Country Code,Default Address Zip,Default Address City\nb@example.com,Bob,Ray,AT,1010,Wien\n' > shop.csv
	printf '{"type":"identify","userId":"U3","traits":{"firstName":"Cy","lastName":"Dee","email":"c@example.com"},"timestamp":"2024-01-01T00:00:00Z"}\n' > seg.jsonl
	cdp-import -q mc.csv shop.csv seg.jsonl
	cdp-merge -q
	cdp-store dump --table profiles --format jsonl > p.jsonl
	jq -e -s 'map(select(.email == "a@example.com"))[0] |
	    .first_name == "Ann" and .last_name == "Lee" and .postal_code == 10115 and .country == "DE"' p.jsonl
	jq -e -s 'map(select(.email == "b@example.com"))[0] |
	    .first_name == "Bob" and .country == "AT" and .city == "Wien" and .postal_code == 1010' p.jsonl
	jq -e -s 'map(select(.email == "c@example.com"))[0] | .first_name == "Cy" and .last_name == "Dee"' p.jsonl
	# no profile carries the source's own names any more
	refute_grep -e '"fname"' -e '"zip"' -e '"default_address' -e '"firstname"' p.jsonl
	test "$(cdp-segment 'country = "DE"' | wc -l)" -eq 1
}

check "merge: a person with no linkable identifier still gets a profile" test_person_without_linkable_identifier_gets_a_profile
check "merge: events without identifiers belong to no profile" test_anonymous_events_stay_unlinked
check "merge: five strangers through one device id stay five profiles" test_five_strangers_through_one_device_id_stay_apart
check "merge: a device still joins the person who signs up on it" test_device_still_joins_first_identified_person
check "merge: revenue and consent columns match in any case" test_revenue_and_consent_columns_in_any_case
check "merge: FNAME, firstName, Zip, CC land on one attribute" test_source_names_land_on_one_attribute
done_testing
