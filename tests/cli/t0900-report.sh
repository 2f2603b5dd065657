#!/bin/sh
# cdp-report: every figure checked against answers worked out by hand
# (small stores made here) or from data-samples/README; the HTML page
# checked in a real headless browser when Chromium is installed.
. "$(dirname "$0")/lib.sh"

# A small shop: U1..U5, two campaigns, five orders (see the comments).
small_store() {
	cat > ev.jsonl <<'EV'
{"type":"page","name":"Home","userId":"U1","messageId":"m1","timestamp":"2024-01-01T09:00:00Z","context":{"campaign":{"name":"alpha"}}}
{"type":"track","event":"Product Viewed","userId":"U1","messageId":"m2","timestamp":"2024-01-01T10:00:00Z"}
{"type":"track","event":"Product Added","userId":"U1","messageId":"m3","timestamp":"2024-01-01T10:05:00Z"}
{"type":"track","event":"Order Completed","userId":"U1","messageId":"m4","timestamp":"2024-01-03T10:00:00Z","properties":{"order_id":"A1","revenue":100}}
{"type":"track","event":"Checkout Started","userId":"U1","messageId":"m5","timestamp":"2024-01-09T10:00:00Z"}
{"type":"page","name":"Home","userId":"U1","messageId":"m6","timestamp":"2024-01-20T10:00:00Z","context":{"campaign":{"name":"beta"}}}
{"type":"track","event":"Order Completed","userId":"U1","messageId":"m7","timestamp":"2024-01-22T10:00:00Z","properties":{"order_id":"A2","revenue":50}}
{"type":"track","event":"Order Completed","userId":"U1","messageId":"m8","timestamp":"2024-03-05T10:00:00Z","properties":{"order_id":"A3","revenue":30}}
{"type":"page","name":"Home","userId":"U2","messageId":"m9","timestamp":"2024-01-02T09:00:00Z","context":{"campaign":{"name":"beta"}}}
{"type":"track","event":"Product Viewed","userId":"U2","messageId":"m10","timestamp":"2024-01-02T10:00:00Z"}
{"type":"track","event":"Product Added","userId":"U2","messageId":"m11","timestamp":"2024-01-02T10:01:00Z"}
{"type":"track","event":"Checkout Started","userId":"U2","messageId":"m12","timestamp":"2024-01-02T10:02:00Z"}
{"type":"track","event":"Order Completed","userId":"U2","messageId":"m13","timestamp":"2024-01-15T10:00:00Z","properties":{"order_id":"A4","revenue":70}}
{"type":"page","name":"Home","userId":"U3","messageId":"m14","timestamp":"2024-02-01T09:00:00Z","context":{"campaign":{"name":"alpha"}}}
{"type":"track","event":"Product Added","userId":"U3","messageId":"m15","timestamp":"2024-02-01T10:00:00Z"}
{"type":"track","event":"Order Completed","userId":"U4","messageId":"m16","timestamp":"2024-02-10T10:00:00Z","properties":{"order_id":"A5","revenue":20}}
{"type":"track","event":"Product Added","userId":"U5","messageId":"m17","timestamp":"2024-01-05T10:00:00Z"}
{"type":"track","event":"Product Viewed","userId":"U5","messageId":"m18","timestamp":"2024-01-06T10:00:00Z"}
EV
	cdp-import -q ev.jsonl
	cdp-merge -q
}

samples_store() {
	# Exit status 1: done, with the planted broken rows rejected.
	for f in crm.csv newsletter.csv shop_orders.csv till_orders.csv web_events.jsonl; do
		cdp-import -q --mapping "$SAMPLES/${f%.*}.map" "$SAMPLES/$f" 2> /dev/null || test $? -eq 1
	done
	cdp-merge -q
}

# value NAME: the value of metric NAME in overview.csv
value() {
	awk -F, -v m="$1" '$1 == m { print $2 }' overview.csv
}

# row KEY COLUMN FILE: the cell of COLUMN (1-based) in the row starting with KEY
row() {
	awk -F, -v k="$1" -v c="$2" '$1 == k { print $c }' "$3"
}

AS_OF="--as-of 2024-03-31"

test_campaigns_last_touch_7d() {
	small_store
	cdp-report campaigns $AS_OF > c.csv
	head -n 1 c.csv | grep -qx 'campaign,profiles,conversions,conversion_rate,orders,revenue,revenue_per_profile'
	# alpha: U1 and U3 reached; U1's A1 two days after alpha converts.
	grep -qx 'alpha,2,1,0.5000,1,100.00,50.00' c.csv
	# beta: U1 (A2 two days later) converts; U2's A4 is 13 days late.
	grep -qx 'beta,2,1,0.5000,1,50.00,25.00' c.csv
}

test_campaigns_first_touch_and_window() {
	small_store
	cdp-report campaigns $AS_OF --first-touch > c7.csv
	# U1's first touch is alpha; A2 (21 days) is outside 7 days; U2's A4 too.
	grep -qx 'alpha,2,1,0.5000,1,100.00,50.00' c7.csv
	grep -qx 'beta,2,0,0.0000,0,0.00,0.00' c7.csv
	cdp-report campaigns $AS_OF --first-touch --window 30d > c30.csv
	grep -qx 'alpha,2,1,0.5000,2,150.00,75.00' c30.csv
	grep -qx 'beta,2,1,0.5000,1,70.00,35.00' c30.csv
	cdp-report campaigns $AS_OF --last-touch --window 30d > l30.csv
	# A2 goes to beta (latest touch); A3 is 45 days after it.
	grep -qx 'beta,2,2,1.0000,2,120.00,60.00' l30.csv
	grep -qx 'alpha,2,1,0.5000,1,100.00,50.00' l30.csv
}

test_funnel_in_order_within_window() {
	small_store
	steps="product_viewed product_added checkout_started order_completed"
	cdp-report funnel $steps $AS_OF > f.csv
	# U5 adds before viewing: only step 1.  U1's checkout is 8 days late.
	test "$(cut -d, -f3 f.csv | tr '\n' ' ')" = "profiles 3 2 1 0 "
	grep -qx '2,product_added,2,0.6667,0.6667,1,0.3333' f.csv
	cdp-report funnel $steps $AS_OF --window 10d | cut -d, -f3 | tr '\n' ' ' > f10
	test "$(cat f10)" = "profiles 3 2 2 0 "
	cdp-report funnel $steps $AS_OF --window 30d | cut -d, -f3 | tr '\n' ' ' > f30
	test "$(cat f30)" = "profiles 3 2 2 2 "
	# Event names may be written as the tracker sends them.
	cdp-report funnel "Product Viewed" "Product Added" $AS_OF | cut -d, -f3 | tr '\n' ' ' > fn
	test "$(cat fn)" = "profiles 3 2 "
}

test_cohorts_retention_by_first_order_month() {
	small_store
	cdp-report cohorts $AS_OF > co.csv
	# January: U1 (A1, A2, A3 in March) and U2; February: U4.
	grep -qx 'cohort,profiles,month_1,month_2' co.csv
	grep -qx '2024-01,2,0.0000,0.5000' co.csv
	# month 2 of the February cohort is after as-of: empty, not 0.
	grep -qx '2024-02,1,0.0000,' co.csv
}

test_overview_small_store() {
	small_store
	cdp-report overview $AS_OF > overview.csv
	test "$(value profiles)" = 5
	test "$(value orders)" = 5
	test "$(value revenue)" = 270.00
	test "$(value customers)" = 3
	# Last activity: U1 5 March; the others in January and February.
	test "$(value 'active 7d')" = 0
	test "$(value 'active 30d')" = 1
	test "$(value 'active 90d')" = 5
	cdp-report overview --as-of 2024-01-31 --since 2024-01-01 --until 2024-01-31 > overview.csv
	test "$(value orders)" = 3
	test "$(value revenue)" = 220.00
}

test_segment_from_stdin_restricts_every_report() {
	small_store
	# U1 and U2 are profiles 1 and 2 (first seen first).
	printf 'profile_id\n1\n2\n' | cdp-report overview $AS_OF --segment - > overview.csv
	test "$(value profiles)" = 2
	test "$(value orders)" = 4
	test "$(value revenue)" = 250.00
	printf '2\n' | cdp-report campaigns $AS_OF --segment - > c.csv
	grep -qx 'beta,1,0,0.0000,0,0.00,0.00' c.csv
	refute_grep -q alpha c.csv
}

test_overview_samples() {
	samples_store
	cdp-report overview --as-of 2025-06-30 > overview.csv
	# README: rows stored per source.
	test "$(value 'records crm')" = 44
	test "$(value 'records newsletter')" = 30
	test "$(value 'records shop')" = 80
	test "$(value 'records till')" = 40
	test "$(value 'records web')" = 215
	# 80 shop orders + 40 till receipts; the 23 web "Order Completed"
	# are the same shop orders and count once.
	test "$(value orders)" = 120
	want=$(awk -F, 'NR > 1 { s += $5 } END { printf "%.2f", s }' "$SAMPLES/shop_orders.csv")
	want=$(awk -F';' -v w="$want" 'NR > 1 { s += $4 } END { printf "%.2f", s + w }' "$SAMPLES/till_orders.csv")
	test "$(value revenue)" = "$want"
	test "$(value profiles)" = "$(cdp-store dump --table profiles --format jsonl | wc -l)"
}

test_campaigns_samples_black_friday() {
	samples_store
	cdp-report campaigns --as-of 2025-06-30 > c.csv
	# black_friday is only on shop orders (utm_campaign): each order is
	# its own touch and conversion.
	want=$(awk -F, '$8 == "black_friday" { n++; s += $5 } END { printf "%d,%.2f", n, s }' "$SAMPLES/shop_orders.csv")
	test "$(row black_friday 5 c.csv),$(row black_friday 6 c.csv)" = "$want"
}

test_rfm_groups_cover_every_buyer() {
	samples_store
	cdp-report rfm --as-of 2025-06-30 > cells.csv
	cdp-report rfm --groups --as-of 2025-06-30 > groups.csv
	buyers=$(cdp-store dump --table profiles --format jsonl | jq -s '[.[] | select(.orders > 0)] | length')
	test "$(awk -F, 'NR > 1 { s += $6 } END { print s }' cells.csv)" = "$buyers"
	test "$(awk -F, 'NR > 1 && $1 != "no orders" { s += $2 } END { print s }' groups.csv)" = "$buyers"
	# Every cell's group follows the documented map.
	awk -F, 'NR > 1 && $1 >= 4 && $2 >= 4 && $5 != "champions" { exit 1 }' cells.csv
	awk -F, 'NR > 1 && $1 == 1 && $2 == 1 && $5 != "lost" { exit 1 }' cells.csv
}

test_quality_samples() {
	samples_store
	cdp-report quality --as-of 2025-06-30 > q.csv
	# README: 3 broken CRM lines, 3 broken web lines, 6 web replays.
	test "$(row crm 8 q.csv)" = 3
	test "$(row web 8 q.csv)" = 3
	test "$(row web 9 q.csv)" = 6
	# 44 CRM rows: "none" is no e-mail, test@test.com is a placeholder.
	test "$(row crm 3 q.csv)" = 42
	# C10012 and C10020 were exported twice.
	test "$(row crm 11 q.csv)" = 2
	# The till has no e-mail; 4 receipts carry no card at all.
	test "$(row till 3 q.csv)" = 0
	test "$(row till 12 q.csv)" = 4
	test "$(row all 2 q.csv)" = 409
}

test_saved_segment_sizes_and_filter() {
	small_store
	cdp-segment --save buyers 'orders >= 1'
	cdp-segment -a --as-of 2024-03-31T00:00:00Z --run buyers --changes > /dev/null
	cdp-report segments > s.csv
	test "$(row buyers 4 s.csv)" = 3
	cdp-report overview $AS_OF --segment buyers > overview.csv
	test "$(value profiles)" = 3
	test "$(value revenue)" = 270.00
	expect_status 64 cdp-report overview --segment nosuch 2> err.txt
	grep -q "no saved segment 'nosuch'" err.txt
}

test_formats_and_text_chart() {
	small_store
	cdp-report campaigns $AS_OF --format jsonl |
	    jq -s -e 'map(select(.campaign == "alpha")) | length == 1 and .[0].profiles == 2 and .[0].revenue == 100'
	cdp-report campaigns $AS_OF --format tsv | grep -q "$(printf 'alpha\t2\t1')"
	cdp-report funnel product_viewed product_added $AS_OF --chart > chart.txt
	grep -q '^product_viewed *|#* 3$' chart.txt
}

test_usage_errors() {
	expect_status 64 cdp-report
	expect_status 64 cdp-report nosuch
	expect_status 64 cdp-report funnel
	expect_status 64 cdp-report overview --window 7x
	expect_status 64 cdp-report overview --as-of "next tuesday"
	cdp-report --help | grep -q 'funnel STEP'
}

test_html_page_is_self_contained() {
	small_store
	cdp-report campaigns $AS_OF --html c.html > /dev/null
	cdp-report cohorts $AS_OF --html co.html > /dev/null
	printf '1\n2\n' | cdp-report overview $AS_OF --segment - --html o.html > /dev/null
	# No network: nothing is loaded from elsewhere.
	refute_grep -Eiq '(src|href|action|xlink:href) *=|@import|url *\(|<(script|link|iframe|object|embed|img)' \
	    c.html co.html o.html
	test "$(grep -o 'class="bar"' c.html | wc -l)" -eq 4
	grep -q '<title>alpha (reached): 2</title>' c.html
	# The overview of U1 and U2 charts their 13 events, not "No data".
	grep -q '<svg' o.html
	grep -q '<title>ev: 13</title>' o.html
	refute_grep -qi 'no data' o.html
}

test_html_renders_in_chromium() {
	small_store
	command -v chromium > /dev/null ||
	    skip --required "chromium is not installed (Debian: chromium)"
	cdp-report campaigns $AS_OF --html c.html > /dev/null
	cdp-report rfm $AS_OF --html r.html > /dev/null
	for f in c r; do
		timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		    --disable-background-networking --disable-component-update --disable-sync \
		    --user-data-dir="$T/w/profile" --dump-dom "file://$T/w/$f.html" > $f.dom 2> /dev/null
	done
	# The browser parsed the SVG: 2 campaigns x (reached, converted) bars, 25 RFM cells.
	test "$(grep -o '<rect class="bar"' c.dom | wc -l)" -eq 4
	grep -q '<title>alpha (reached): 2</title>' c.dom
	test "$(grep -o '<rect class="cell"' r.dom | wc -l)" -eq 25
}

check "campaigns: last touch credits the latest touch within 7 days" test_campaigns_last_touch_7d
check "campaigns: first touch and the window change the credit" test_campaigns_first_touch_and_window
check "funnel: steps count in order within the window" test_funnel_in_order_within_window
check "cohorts: retention by month of first order, future months empty" test_cohorts_retention_by_first_order_month
check "overview: orders, revenue, active profiles, period" test_overview_small_store
check "segment: ids on stdin restrict the report" test_segment_from_stdin_restricts_every_report
check "overview: samples records, orders counted once, revenue" test_overview_samples
check "campaigns: samples black_friday orders and revenue" test_campaigns_samples_black_friday
check "rfm: cells and groups cover every buyer" test_rfm_groups_cover_every_buyer
check "quality: samples rejects, replays, e-mails, duplicates" test_quality_samples
check "segments: saved segment size and --segment NAME" test_saved_segment_sizes_and_filter
check "formats: jsonl, tsv and the text chart" test_formats_and_text_chart
check "usage: bad command lines exit 64" test_usage_errors
check "html: one page, no network resources, bars in the svg" test_html_page_is_self_contained
check "html: chromium renders the chart" test_html_renders_in_chromium
done_testing
