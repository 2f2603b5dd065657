#!/bin/sh
# cdp-import on files shaped like real exports: a Shopify customers
# export, a till file saved by German Excel, a CRM dump, messy booleans
# and country spellings; and --inspect, which shows what an import does.
. "$(dirname "$0")/lib.sh"

# Shopify's customers export: ids and phones behind Excel's apostrophe.
shopify_customers() {
	printf '%s\n' 'Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,Default Address Address1,Default Address Address2,Default Address City,Default Address Province Code,Default Address Country Code,Default Address Zip,Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,Tax Exempt,Tags'
	printf '%s\n' "'7125301234567,Anna,Schmidt,anna.schmidt@example.de,yes,,Hauptstr. 1,,Berlin,BE,DE,'10115,'+4917612345678,'+4917612345678,no,123.45,3,,no,\"vip, newsletter\""
	printf '%s\n' "'7125301234568,Lukas,Meier,lukas@example.ch,no,ACME AG,Bahnhofstr. 5,,Zürich,ZH,CH,8001,,'078 431 12 86,no,0.00,0,,no,"
	printf '%s\n' "'7125301234569,John,Doe,JOHN.DOE@example.com,yes,,1 Main St,Apt 2,Springfield,IL,US,'62701,,'(650) 253-0000,yes,\"1,234.50\",12,called twice,yes,wholesale"
}

# A till export as German Excel saves it: Windows-1252, semicolons,
# CRLF, euro amounts with a decimal comma, day-first dates, ja/nein, and
# a terminal id every customer of that till shares.
till() {
	printf 'Bonnummer;Datum;Kundenkarte;E-Mail;Telefon;Umsatz;Newsletter;Filiale;Ger\344te-ID\r\n'
	printf '4711-0001;31.12.2024;9900123;Anna@Example.de;0171 2345678;1.234,50 \200;ja;M\374nchen;T1\r\n'
	printf '4711-0002;05.03.2024;;;;5,50 \200;nein;K\366ln;T1\r\n'
	printf '4711-0003;01.02.2024;9900124;bob@example.de;;12,00 \200;Ja;M\374nchen;T1\r\n'
	printf '4711-0004;02.02.2024;9900125;carl@example.de;;-3,20 \200;NEIN;K\366ln;T1\r\n'
}

test_shopify_customers() {
	shopify_customers > customers_export.csv
	cdp-import -v customers_export.csv 2> err.txt
	grep -q 'customer_id <- Customer ID (name)' err.txt
	grep -q 'phone <- Phone (name)' err.txt
	grep -q 'email <- Email (name)' err.txt
	cdp-store dump --format jsonl > out.jsonl
	jq -e -s 'length == 3' out.jsonl
	jq -e -s '.[0]._customer_id == "7125301234567" and .[0]["Customer ID"] == 7125301234567' out.jsonl
	jq -e -s '.[0]._phone == "+4917612345678" and .[0].Phone == "+4917612345678"' out.jsonl
	# the row's own country (CH), not a default, reads the national number
	jq -e -s '.[1]._phone == "+41784311286"' out.jsonl
	jq -e -s '.[2]._phone == "+16502530000"' out.jsonl
	jq -e -s '[.[]["Accepts Email Marketing"]] == [true, false, true]' out.jsonl
	jq -e -s '[.[]["Tax Exempt"]] == [false, false, true]' out.jsonl
	jq -e -s '[.[]["Total Spent"]] == [123.45, 0.00, 1234.50]' out.jsonl
	jq -e -s '.[0]["Default Address Zip"] == 10115' out.jsonl
	cdp-store info > info.txt
	grep -Eq '^Accepts Email Marketing +boolean' info.txt
	grep -Eq '^Total Spent +decimal' info.txt
}

test_till_needs_encoding_hint() {
	till > till.csv
	expect_status 2 cdp-import --event purchase till.csv 2> err.txt
	grep -qx 'cdp-import: till.csv:1: not UTF-8 (byte 0xe4); try --encoding windows-1252' err.txt
	expect_status 2 cdp-import --inspect till.csv 2> err.txt
	grep -q 'not UTF-8 (byte 0xe4); try --encoding windows-1252' err.txt
}

test_till_german_excel() {
	till > till.csv
	cdp-import -q --encoding windows-1252 --event purchase --default-country DE till.csv
	cdp-store dump --format jsonl > out.jsonl
	jq -e -s 'length == 4' out.jsonl
	jq -e -s '[.[].Umsatz] == [1234.50, 5.50, 12.00, -3.20]' out.jsonl
	jq -e -s '[.[].Newsletter] == [true, false, true, false]' out.jsonl
	jq -e -s '.[0].Datum == "2024-12-31" and .[0]._time == "2024-12-31T00:00:00Z"' out.jsonl
	jq -e -s '.[1]._time == "2024-03-05T00:00:00Z"' out.jsonl
	jq -e -s '.[0].Filiale == "München" and .[1].Filiale == "Köln"' out.jsonl
	jq -e -s '.[0]._phone == "+491712345678" and .[0]._email == "anna@example.de"' out.jsonl
	# a till's terminal id is shared by everyone served there
	jq -e -s 'all(.[]; ._anonymous_id == null) and .[0]["Geräte-ID"] == "T1"' out.jsonl
	cdp-store info > info.txt
	grep -Eq '^Datum +timestamp' info.txt
	grep -Eq '^Umsatz +decimal' info.txt
}

test_inspect_till() {
	till > till.csv
	cdp-import --inspect --encoding windows-1252 --event purchase till.csv > out.txt
	test ! -e "$CDP_STORE"
	grep -q "delimiter ';', encoding windows-1252, 4 rows, 9 columns, kind event" out.txt
	grep -Eq '^Datum +time \(name\) +timestamp +4 +100%' out.txt
	grep -Eq '^Umsatz +- +decimal +4 +100% +1\.234,50 €' out.txt
	grep -Eq '^Newsletter +- +boolean' out.txt
	grep -Eq '^Kundenkarte +loyalty_id \(name\) +integer +3' out.txt
	# national phone without a country: counted and explained
	grep -q "^warning: Telefon: 1 of 1 values are not a usable phone (e.g. '0171 2345678'); national numbers need --default-country" out.txt
	grep -q '^warning: Geräte-ID: 1 value is shared by 3 or more different e-mail addresses' out.txt
	grep -q "^note: Geräte-ID: no role: a device or terminal id" out.txt
}

test_inspect_shopify() {
	shopify_customers > customers_export.csv
	cdp-import --inspect customers_export.csv > out.txt
	test ! -e "$CDP_STORE"
	grep -Eq '^Customer ID +customer_id \(name\) +integer +3 +100% +7125301234567 \| 7125301234568' out.txt
	grep -Eq '^Phone +phone \(name\) +string +3 +100%' out.txt
	grep -Eq '^Accepts Email Marketing +- +boolean' out.txt
	grep -q "^warning: Customer ID: 3 values start with ' (a spreadsheet's text mark); removed on import" out.txt
	grep -q "^warning: Phone: 3 values start with '" out.txt
}

test_crm_time_candidates() {
	printf 'crm_id,email,order_ts,changed_at,total\n' > orders.csv
	printf 'c1,a@example.com,2024-05-01T10:00:00+02:00,2024-06-01T00:00:00Z,10\n' >> orders.csv
	printf 'c2,b@example.com,2024-05-02T11:30:00+02:00,2024-06-02T00:00:00Z,20\n' >> orders.csv
	cdp-import --inspect --event order orders.csv > out.txt
	grep -Eq '^order_ts +time \(name like a time\) +timestamp' out.txt
	grep -Eq '^changed_at +time \(name like a time\) +timestamp' out.txt
	cdp-import -v --event order orders.csv 2> err.txt
	grep -q 'time <- order_ts (name like a time)' err.txt
	cdp-store dump --format jsonl > out.jsonl
	jq -e -s 'length == 2 and .[0]._time == "2024-05-01T08:00:00Z"' out.jsonl
	# RFC 3339 with an offset is a timestamp whatever the column's name
	jq -e -s '.[1].order_ts == "2024-05-02T09:30:00Z"' out.jsonl
}

test_event_time_by_value() {
	printf 'who,when_it_happened,what\n' > ev.csv
	printf 'a@example.com,2024-05-01T10:00:00Z,x\n' >> ev.csv
	cdp-import -v --event visit ev.csv 2> err.txt
	grep -q 'time <- when_it_happened (values are times)' err.txt
	cdp-store dump --format jsonl | jq -e '._time == "2024-05-01T10:00:00Z"'
}

test_inspect_missing_time() {
	printf 'email,amount\na@example.com,5\n' > t.csv
	cdp-import --inspect --event order t.csv > out.txt
	grep -q '^warning: no time column: every row of an event import would be rejected' out.txt
}

test_messy_booleans() {
	printf 'email,email_opt_in,is_vip,quantity\n' > b.csv
	i=0
	for v in true:1:1 false:0:0 TRUE:1:2 FALSE:0:1 1:0:0 0:1:1 Yes:0:3 n:1:1; do
		i=$((i + 1))
		echo "u$i@example.com,${v%%:*},$(echo "$v" | cut -d: -f2),${v##*:}" >> b.csv
	done
	cdp-import -q b.csv
	cdp-store dump --format jsonl > out.jsonl
	jq -e -s '[.[].email_opt_in] == [true, false, true, false, true, false, true, false]' out.jsonl
	# 0 and 1 alone: a flag's name makes them booleans, else they stay numbers
	jq -e -s '[.[].is_vip] == [true, false, true, false, false, true, false, true]' out.jsonl
	jq -e -s '[.[].quantity] == [1, 0, 2, 1, 0, 1, 3, 1]' out.jsonl
}

test_country_spellings() {
	printf 'email,country,phone\n' > c.csv
	i=0
	for c in US USA us 'United States' UK GB Germany Deutschland Allemagne Niederlande DEU 'Atlantis'; do
		i=$((i + 1))
		echo "u$i@example.com,$c," >> c.csv
	done
	echo "ch@example.com,Schweiz,078 431 12 86" >> c.csv
	# a country outside normalize.c's table: libphonenumber reads it
	echo "li@example.com,Liechtenstein,235 12 34" >> c.csv
	cdp-import -q --default-country DE c.csv
	cdp-store dump --format jsonl > out.jsonl
	jq -e -s '[.[].country] == ["US","US","US","US","GB","GB","DE","DE","DE","NL","DE","Atlantis","CH","LI"]' out.jsonl
	jq -e -s '.[12]._phone == "+41784311286" and .[13]._phone == "+4232351234"' out.jsonl
	cdp-import --inspect c.csv > out.txt
	grep -q "^warning: country: 1 value is no country known (e.g. 'Atlantis'); kept as written" out.txt
}

test_amounts_ambiguous_and_decimal_comma() {
	printf 'id,amount\n1,"1,234"\n2,"2,500"\n' > a.csv
	cdp-import --inspect a.csv > out.txt
	grep -Eq '^amount +- +string' out.txt
	grep -q '^warning: amount: kept as text: undecided: amounts such as 1,234 may be 1234 or 1.234' out.txt
	cdp-import -q a.csv
	cdp-store dump --format jsonl | jq -e -s '.[0].amount == "1,234"'
	rm -rf "$CDP_STORE"
	cdp-import -q --decimal-comma a.csv
	cdp-store dump --format jsonl | jq -e -s '.[0].amount == 1.234 and .[1].amount == 2.500'
	# one value with a decimal comma settles the column
	printf 'id,amount\n1,"1,234"\n2,"2,50"\n3,7\n' > b.csv
	cdp-import -q b.csv
	cdp-store dump --format jsonl | jq -e -s '[.[2:][].amount] == [1.234, 2.50, 7]'
}

test_day_first_dates() {
	printf 'id,born,visit\n1,31/12/1980,03/04/2024\n2,05/03/1990,04/05/2024\n' > d.csv
	cdp-import --inspect d.csv > out.txt
	grep -Eq '^born +- +timestamp' out.txt
	grep -Eq '^visit +- +string' out.txt
	grep -q '^warning: visit: kept as text: undecided: dates such as 03/04/2024 may be day or month first' out.txt
	cdp-import -q d.csv
	cdp-store dump --format jsonl | jq -e -s '.[1].born == "1990-03-05" and .[0].visit == "03/04/2024"'
	rm -rf "$CDP_STORE"
	cdp-import -q --day-first d.csv
	cdp-store dump --format jsonl | jq -e -s '.[0].visit == "2024-04-03"'
	rm -rf "$CDP_STORE"
	cdp-import -q --month-first d.csv
	cdp-store dump --format jsonl | jq -e -s '.[0].visit == "2024-03-04"'
}

test_delimiter_sniffed() {
	printf 'email;name;amount\r\na@example.com;Ann;1,5\r\n' > s.csv
	cdp-import -q s.csv
	cdp-store dump --format jsonl | jq -e '.name == "Ann" and .amount == 1.5'
	rm -rf "$CDP_STORE"
	printf 'b@example.com;Bob;2\r\n' >> s.csv
	expect_status 1 cdp-import -q --delimiter comma s.csv
	grep -q 'expected 1 fields, found 2 (is the delimiter a semicolon? try --delimiter semicolon)' s.csv.rejects.csv
}

test_mailchimp_times() {
	printf '"Email Address","First Name",OPTIN_TIME,LAST_CHANGED\n' > m.csv
	printf 'a@example.com,Ann,"2024-01-05 10:11:12","2024-02-01 08:00:00"\n' >> m.csv
	cdp-import -v m.csv 2> err.txt
	grep -q 'time <- OPTIN_TIME (name like a time)' err.txt
	grep -q 'time <- LAST_CHANGED (name like a time)' err.txt
	test "$(grep -n 'time <-' err.txt | head -1 | grep -c OPTIN_TIME)" -eq 1
	cdp-store dump --format jsonl | jq -e '._time == "2024-01-05T10:11:12Z"'
}

test_pos_device_id() {
	printf 'Receipt,Time,Email,Device ID,Total\n' > pos.csv
	for i in 1 2 3 4 5; do
		echo "R$i,2024-05-0${i}T10:00:00Z,p$i@example.com,POS-7,1$i.00" >> pos.csv
	done
	cdp-import -q --event purchase pos.csv
	cdp-store dump --format jsonl > out.jsonl
	jq -e -s 'length == 5 and all(.[]; ._anonymous_id == null and .["Device ID"] == "POS-7")' out.jsonl
	cdp-import --inspect --event purchase pos.csv > out.txt
	grep -Eq '^Device ID +- +string' out.txt
	grep -q '^warning: Device ID: 1 value is shared by 3 or more different e-mail addresses (up to 5)' out.txt
	grep -q "^note: Device ID: no role: a device or terminal id, shared by many people" out.txt
	# the user can still say it names one person's device
	cdp-import --inspect --event purchase --map anonymous_id='Device ID' pos.csv > out2.txt
	grep -Eq '^Device ID +anonymous_id \(--map\)' out2.txt
	grep -q 'as an identifier it would join those people into one profile' out2.txt
}

check "import: a Shopify customers export: ids without the apostrophe, booleans, amounts, row country for phones" test_shopify_customers
check "import: a Windows-1252 file fails with a hint to --encoding" test_till_needs_encoding_hint
check "import: a German Excel till file: encoding, semicolons, euro amounts, day-first dates, ja/nein" test_till_german_excel
check "inspect: roles, types, shares, samples and warnings of a till file; no store" test_inspect_till
check "inspect: a Shopify export's roles and apostrophes" test_inspect_shopify
check "import: order_ts is the time of --event order, before changed_at" test_crm_time_candidates
check "import: an event file's time found by its ISO values" test_event_time_by_value
check "inspect: --event without a time column is flagged" test_inspect_missing_time
check "import: true/false/TRUE/1/0/Yes/n are one boolean column" test_messy_booleans
check "import: country names and codes become ISO alpha-2; the row's country reads its phone" test_country_spellings
check "import: 1,234 stays text unless the column or --decimal-comma decides" test_amounts_ambiguous_and_decimal_comma
check "import: day-first dates detected when the column decides, else kept as text" test_day_first_dates
check "import: the delimiter is sniffed, and a wrong one is named" test_delimiter_sniffed
check "import: Mailchimp's OPTIN_TIME before LAST_CHANGED as the time" test_mailchimp_times
check "import: a POS Device ID shared by five people is no anonymous id" test_pos_device_id
done_testing
