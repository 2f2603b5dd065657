#!/bin/sh
# cdp-recommend: training into the store, recommendations from ids on
# stdin, similar items, explanations, exclusions, diversity, formats,
# staleness after imports, the model leaving with cdp-forget, and a
# quality check against popularity on structured generated data.
. "$(dirname "$0")/lib.sh"

# ev USER EVENT SKU [DAY]: one Segment-style track event
ev() {
	printf '{"type":"track","event":"%s","messageId":"m%s","userId":"%s","timestamp":"2025-03-%02dT10:00:00Z","properties":{"sku":"%s","product_id":"%s","name":"%s","price":%s}}\n' \
	    "$2" "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" "$1" "${4:-10}" "$3" "${5:-$3}" \
	    "${6:-$3 item}" "${7:-19.90}"
}

# Two tastes: camping (tent, mat, bag) and cooking (stove, pot, mug).
shop() {
	{
		for u in C1 C2 C3 C9; do
			ev $u "Order Completed" TENT 1
			ev $u "Order Completed" MAT 2
		done
		ev C2 "Order Completed" BAG 3
		ev C3 "Order Completed" BAG 3
		ev C9 "Product Viewed" BAG 4
		for u in C4 C5 C8; do
			ev $u "Order Completed" STOVE 1
			ev $u "Product Added" POT 2
		done
		ev C5 "Order Completed" MUG 3
		ev C8 "Order Completed" MUG 3
		ev C6 "Order Completed" TENT 5
		ev C7 "Product Viewed" STOVE 5
	} > events.jsonl
	printf 'customer_id,email\nC1,c1@example.com\nC2,c2@example.com\nC6,c6@example.com\nC10,c10@example.com\n' > crm.csv
	cdp-import -q events.jsonl
	cdp-import -q crm.csv
	cdp-merge -q
}

# pid CUSTOMER_ID: that person's profile id
pid() {
	cdp-store dump --table idmap --format csv | awk -F, -v v="$1" '$2 == v { print $3 }'
}

t_train() {
	shop
	cdp-recommend --train 2> err
	grep -q 'model ease: 6 items' err
	grep -q '^recmodel .* version=1 model=ease' "$CDP_STORE/MANIFEST"
	grep -q 'table=recitems' "$CDP_STORE/MANIFEST"
	grep -q 'table=recneighbors' "$CDP_STORE/MANIFEST"
	for f in $(awk '/table=rec/ { for (i = 1; i <= NF; i++) if ($i ~ /^file=/) print substr($i, 6) }' "$CDP_STORE/MANIFEST"); do
		test "$(stat -c %a "$CDP_STORE/$f")" = 600
	done
	cdp-store verify
}
check "--train stores a versioned model in the store, files 0600, verify passes" t_train

t_stdin() {
	shop
	pid C6 | cdp-recommend -n 2 > out.csv
	head -n 1 out.csv | grep -qx 'profile_id,rank,item,score'
	test "$(wc -l < out.csv)" -eq 3
	# the person bought a tent: what tent buyers bought, never the tent again
	awk -F, 'NR == 2 { print $3 }' out.csv | grep -qx MAT
	refute_grep ',TENT,' out.csv
	awk -F, -v p="$(pid C6)" 'NR > 1 && $1 != p { exit 1 }' out.csv
	# asked for every item: still none of the ones bought
	pid C1 | cdp-recommend -n 6 > all.csv
	test "$(wc -l < all.csv)" -eq 5
	refute_grep -e ',TENT,' -e ',MAT,' all.csv
}
check "ids on stdin get the items bought with theirs, not what they bought" t_stdin

t_nohistory() {
	shop
	pid C10 | cdp-recommend -n 3 > out.csv
	test "$(wc -l < out.csv)" -eq 4
	# nothing in the history: the most popular items
	awk -F, 'NR == 2 { print $3 }' out.csv | grep -Eqx 'TENT|MAT'
}
check "a profile without history gets the popular items" t_nohistory

t_segment_popularity() {
	shop
	# overall, tents sell best; among these cooks, stoves do
	printf '%s\n' "$(pid C10)" "$(pid C4)" "$(pid C5)" > ids
	cdp-recommend -n 1 < ids | awk -F, -v p="$(pid C10)" '$1 == p { print $3 }' | grep -qx TENT
	cdp-recommend -n 1 --segment-popularity < ids |
	    awk -F, -v p="$(pid C10)" '$1 == p { print $3 }' | grep -qx STOVE
}
check "--segment-popularity fills from what the segment on stdin likes" t_segment_popularity

t_all_formats() {
	shop
	cdp-recommend --all -n 2 --format jsonl > out.jsonl
	test "$(wc -l < out.jsonl)" -eq $(( $(cdp-store dump --table profiles --format csv | tail -n +2 | wc -l) * 2 ))
	jq -s -e 'all(.[]; (.profile_id | type) == "number" and (.rank | type) == "number" and (.score | type) == "number" and (.item | type) == "string")' out.jsonl > /dev/null
	cdp-recommend --all -n 1 --format tsv --attributes > out.tsv
	head -n 1 out.tsv | grep -q "$(printf 'profile_id\trank\titem\tscore\tname\tprice')"
	test "$(grep -c "$(printf '\t[A-Z]* item\t19.90\t')" out.tsv)" -eq "$(($(wc -l < out.tsv) - 1))"
}
check "--all in jsonl and tsv, with attributes carried from the events" t_all_formats

t_similar() {
	shop
	cdp-recommend --similar TENT -n 2 > sim.csv
	head -n 1 sim.csv | grep -qx 'item,rank,similar,score'
	awk -F, 'NR > 1 { print $3 }' sim.csv | grep -qx MAT
	refute_grep -e STOVE -e POT sim.csv
	cdp-recommend --similar STOVE --model itemknn --similarity llr -n 3 > knn.csv
	awk -F, 'NR == 2 { print $3 }' knn.csv | grep -Eqx 'POT|MUG'
	expect_status 2 cdp-recommend --similar NOSUCH
}
check "--similar lists an item's neighbours (ease and itemknn)" t_similar

t_explain() {
	shop
	cdp-recommend --explain "$(pid C6)" -n 2 > why.txt
	grep -q '^profile .*: model ease, 1 items in its history' why.txt
	grep -q 'has TENT (bought)' why.txt
	grep -q '1\. MAT' why.txt
	grep -q 'because of TENT' why.txt
	cdp-recommend --explain "$(pid C10)" -n 1 > cold.txt
	grep -q 'popular' cold.txt
	expect_status 64 cdp-recommend --explain nobody
	expect_status 2 cdp-recommend --explain 999
}
check "--explain names the items a pick came from, and how strongly" t_explain

t_filters() {
	shop
	p=$(pid C6)
	echo MAT > stock.txt
	echo "$p" | cdp-recommend -n 3 --exclude stock.txt > ex.csv
	refute_grep ',MAT,' ex.csv
	printf 'profile_id,item\n%s,BAG\n' "$p" > deny.csv
	echo "$p" | cdp-recommend -n 3 --deny deny.csv > deny.out
	refute_grep ',BAG,' deny.out
	pid C1 | cdp-recommend -n 6 --deny deny.csv | grep -q ',BAG,'
	echo "$p" | cdp-recommend -n 7 --allow-repeat | grep -q ',TENT,'
}
check "--exclude, --deny and --allow-repeat shape the list" t_filters

t_diversity() {
	{
		for u in D1 D2 D3 D4; do
			ev $u "Order Completed" HAT 1
			for c in RED BLUE BLACK; do
				ev $u "Order Completed" "TEE-$c" 2 TEE "Trail Tee - $c"
			done
			ev $u "Order Completed" SOCKS 3
		done
		ev D5 "Order Completed" HAT 4
		ev D6 "Order Completed" LAMP 4
	} > tees.jsonl
	cdp-import -q tees.jsonl
	cdp-merge -q
	# socks first, then the tees: two of them, then something else
	pid D5 | cdp-recommend -n 4 > div.csv
	test "$(grep -c ',TEE-' div.csv)" -eq 2
	grep -q ',SOCKS,' div.csv
	test "$(wc -l < div.csv)" -eq 5
	pid D5 | cdp-recommend -n 4 --max-per-group 0 > nodiv.csv
	test "$(grep -c ',TEE-' nodiv.csv)" -eq 3
}
check "no three variants of one product in a list (diversity)" t_diversity

t_products_array() {
	# Segment's Order Completed: the line items in properties.products
	for u in 1 2 3; do
		printf '{"type":"track","event":"Order Completed","messageId":"o%s","userId":"P%s","timestamp":"2025-03-01T10:00:00Z","properties":{"order_id":"%s","products":[{"product_id":"507f","sku":"G-32","name":"Monopoly","price":19},{"sku":"G-33","name":"Uno","price":3.5,"url":"https://shop.example/uno"}]}}\n' $u $u $u
	done > orders.jsonl
	printf '{"type":"track","event":"Product Viewed","messageId":"v1","userId":"P4","timestamp":"2025-03-02T10:00:00Z","properties":{"sku":"G-32","name":"Monopoly","price":19}}\n' >> orders.jsonl
	printf '{"type":"track","event":"Order Completed","messageId":"bad","userId":"P5","timestamp":"2025-03-02T10:00:00Z","properties":{"products":"[{oops"}}\n' >> orders.jsonl
	cdp-import -q orders.jsonl
	cdp-merge -q
	cdp-recommend --similar G-32 --attributes > sim.csv
	grep -q '^G-32,1,G-33,.*,Uno,3.5,,https://shop.example/uno,' sim.csv
	pid P4 | cdp-recommend -n 1 | grep -q ',G-33,'
}
check "order line items in a products array count, one interaction each" t_products_array

t_stale() {
	shop
	cdp-recommend --train 2> /dev/null
	fp1=$(awk '/^recmodel/ { for (i = 1; i <= NF; i++) if ($i ~ /^fingerprint=/) print $i }' "$CDP_STORE/MANIFEST")
	ev C11 "Order Completed" LAMP 6 > more.jsonl
	cdp-import -q more.jsonl
	cdp-merge -q
	cdp-recommend --similar TENT > /dev/null
	fp2=$(awk '/^recmodel/ { for (i = 1; i <= NF; i++) if ($i ~ /^fingerprint=/) print $i }' "$CDP_STORE/MANIFEST")
	test -n "$fp1" && test -n "$fp2" && test "$fp1" != "$fp2"
	grep -q 'items=7 ' "$CDP_STORE/MANIFEST"
}
check "a new batch makes the model stale; the next run trains and stores a new one" t_stale

t_forget() {
	shop
	cdp-recommend --train 2> /dev/null
	old=$(awk '/table=rec/ { for (i = 1; i <= NF; i++) if ($i ~ /^file=/) print substr($i, 6) }' "$CDP_STORE/MANIFEST")
	test -n "$old"
	cdp-forget -q --email c2@example.com > /dev/null 2>&1 || cdp-forget --email c2@example.com > /dev/null
	refute_grep 'table=recitems' "$CDP_STORE/MANIFEST"
	refute_grep 'table=recneighbors' "$CDP_STORE/MANIFEST"
	for f in $old; do test ! -e "$CDP_STORE/$f"; done
	# the rebuilt model equals one trained without the person at all
	for i in TENT MAT BAG STOVE POT MUG; do cdp-recommend --similar $i -n 5; done > after.csv
	grep -v '"userId":"C2"' events.jsonl > without.jsonl
	CDP_STORE=$PWD/clean cdp-import -q without.jsonl
	CDP_STORE=$PWD/clean cdp-merge -q
	for i in TENT MAT BAG STOVE POT MUG; do CDP_STORE=$PWD/clean cdp-recommend --similar $i -n 5; done > clean.csv
	cmp after.csv clean.csv
}
check "cdp-forget drops the model; the rebuild equals a model that never saw them" t_forget

t_usage() {
	shop
	expect_status 64 cdp-recommend --weight order
	expect_status 64 cdp-recommend --weight order=-1
	expect_status 64 cdp-recommend --cut 2025-01-01T00:00:00Z
	expect_status 64 cdp-recommend --evaluate
	expect_status 64 cdp-recommend --model magic
	expect_status 64 cdp-recommend --half-life soon
	expect_status 64 cdp-recommend --train --similar TENT
	expect_status 64 cdp-recommend -n 0
	printf 'x\n%s\n' "$(pid C1)" | expect_status 1 cdp-recommend -n 1 > out.csv 2> err
	grep -q 'not a profile id' err
	test "$(wc -l < out.csv)" -eq 2
	cdp-recommend --help | grep -q -- '--similar ITEM'
}
check "bad options are usage errors; bad id lines are reported, exit 1" t_usage

t_weights() {
	shop
	# purchases only: a viewed stove is no interaction of C7's
	cdp-recommend --explain "$(pid C7)" --weight order_completed=1 -n 1 > why.txt
	grep -q '0 items in its history' why.txt
	cdp-recommend --explain "$(pid C7)" --weight order_completed=5,product_viewed=1 -n 1 > why2.txt
	grep -q 'has STOVE,' why2.txt
}
check "--weight decides which events count" t_weights

t_export() {
	shop
	pid C6 | cdp-export -q --recommendations 2 > ex.csv
	head -n 1 ex.csv | grep -q ',cart_item,cart_name,cart_url,cart_price,cart_image_url,rec_1_item,rec_1_name,rec_1_url,rec_1_price,rec_1_image_url,rec_2_item,'
	grep -q ',,,,,,MAT,MAT item,,19.90,,' ex.csv
	# the pot C4 added but did not buy is its cart item, and not again a recommendation
	pid C4 | cdp-export -q --recommendations 3 --fields profile_id > cart.csv
	grep -q '^[0-9]*,POT,POT item,,19.90,,' cart.csv
	test "$(grep -o ',POT,' cart.csv | wc -l)" -eq 1
	pid C6 | cdp-export -q --recommendations 1 --format jsonl > ex.jsonl
	jq -e '.rec_1_item == "MAT" and .rec_1_name == "MAT item" and .rec_1_price == 19.90' ex.jsonl > /dev/null
	# Mailchimp: merge fields, only where e-mail consent is given
	printf 'customer_id,email_opt_in\nC6,true\n' > optin.csv
	cdp-import -q optin.csv
	cdp-merge -q
	pid C6 | cdp-export -q --preset mailchimp --recommendations 2 > mc.csv
	head -n 1 mc.csv | grep -q ',CARTSKU,CARTNAME,CARTURL,CARTPRICE,CARTIMAGE,REC1SKU,REC1NAME,REC1URL,REC1PRICE,REC1IMAGE,REC2SKU,'
	grep -q '^c6@example.com,.*,MAT,MAT item,,19.90,' mc.csv
	expect_status 64 cdp-export --all --recommendations 0
	expect_status 64 cdp-export --all --records --recommendations 1
}
check "cdp-export --recommendations adds cart_* and rec_N_* columns, Mailchimp merge fields" t_export

t_quality() {
	command -v cc > /dev/null 2>&1 || skip "no C compiler for tests/bench/recgen.c"
	cc -std=c11 -O2 -D_GNU_SOURCE -o recgen "$(dirname "$SAMPLES")/tests/bench/recgen.c" -lm
	./recgen -n 3000 -s 7 -o gen.jsonl
	cdp-import -q gen.jsonl
	cdp-merge -q
	cdp-recommend --evaluate --cut 2025-06-01T00:00:00Z > eval.tsv
	cat eval.tsv
	awk -F '\t' '
		$1 == "popularity" { pop = $4 }
		$1 == "itemknn" { knn = $4 }
		$1 == "ease" { ease = $4; users = $2 }
		END { exit !(users >= 200 && ease > 1.5 * pop && knn > 1.2 * pop) }' eval.tsv
}
check "on structured data EASE and itemknn beat popularity (recall@10)" t_quality

done_testing
