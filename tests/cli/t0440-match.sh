#!/bin/sh
# cdp-merge: probabilistic matching.  Duplicates that share no
# identifier are linked by match weight; twins are not; a person's
# review decisions hold through incremental runs and --rebuild; an
# incremental run gives the profiles a rebuild gives; match = exact is
# deterministic linking as before.
. "$(dirname "$0")/lib.sh"

HDR=first_name,last_name,birth_date,postal_code,street,city,email

# Probabilistic matching is off by default (match = exact): every check
# here turns it on, first line of merge.conf, then its own settings.
prob() {
	grep -qs '^match' "$CDP_STORE/merge.conf" || echo 'match = probabilistic' >> "$CDP_STORE/merge.conf"
}
conf() {
	{ echo 'match = probabilistic'; cat; } > "$CDP_STORE/merge.conf"
}

# A CRM and a newsletter: Jürgen twice (transliterated, new e-mail), the
# twins Peter and Paul at one address, Anna with a typo.
people() {
	{
		echo "$HDR"
		echo 'Jürgen,Müller,1970-03-12,10115,Hauptstr. 12,Berlin,jm@example.org'
		echo 'Peter,Zybkowski,1990-01-02,20095,Mönckebergstr. 5,Hamburg,pz@example.org'
		echo 'Paul,Zybkowski,1990-01-02,20095,Mönckebergstr. 5,Hamburg,paulz@example.org'
		echo 'Anna,Schmidt,1985-07-01,80331,Marienplatz 1,München,anna@example.org'
	} > crm.csv
	{
		echo "$HDR"
		echo 'Juergen,Mueller,1970-03-12,10115,Hauptstrasse 12,Berlin,juergen.m@other.org'
		echo 'Ana,Schmitt,1985-07-01,80331,Marienplatz 1,Muenchen,'
	} > newsletter.csv
}

profiles() {
	cdp-export -q --all --format jsonl --fields profile_id,first_name,last_name,records,emails | sort
}

# profile_of EMAIL: the profile id holding that e-mail address.
profile_of() {
	cdp-export -q --all --format jsonl --fields profile_id,emails |
	    jq -r --arg e "$1" 'select(.emails | tostring | contains($e)) | .profile_id'
}

test_duplicates_link_twins_do_not() {
	people
	cdp-import -q crm.csv newsletter.csv
	prob
	cdp-merge -v 2> err.txt
	grep -q 'probabilistic: .* candidate pairs (postal_code + last_name:1: [0-9]' err.txt
	test "$(profiles | wc -l)" -eq 4
	test "$(profile_of jm@example.org)" = "$(profile_of juergen.m@other.org)"
	test "$(profile_of anna@example.org)" -gt 0
	# the twins share everything but the first name: two people
	test "$(profile_of pz@example.org)" != "$(profile_of paulz@example.org)"
	cdp-store dump --table merges --format csv | grep -q ',probabilistic$'
	# they are left for a person to decide
	cdp-merge --review r.csv
	test "$(stat -c %a r.csv)" = 600
	head -1 r.csv | grep -q '^pair,decision,weight,probability,left,right,first_name_left,first_name_right,first_name_level,first_name_bits,'
	grep -q ',,[0-9.]*,0\.[0-9]*,1:[0-9]*,1:[0-9]*,Paul,Peter,else,-' r.csv ||
	    grep -q ',,[0-9.]*,0\.[0-9]*,1:[0-9]*,1:[0-9]*,Peter,Paul,else,-' r.csv
	refute_grep -e Jürgen -e Juergen r.csv
}

test_explain_shows_weights() {
	people
	cdp-import -q crm.csv newsletter.csv
	prob
	cdp-merge -q
	cdp-merge --explain juergen.m@other.org > ex.txt
	grep -q '^probabilistic links' ex.txt
	grep -q 'probabilistic: profile [0-9]* joined profile [0-9]*: .* weight [0-9.]* bits (probability [01]\.[0-9]*) >= match-threshold 13.00' ex.txt
	grep -q '^ *birth_date exact  *+[0-9.]*  *= ' ex.txt
	grep -q '^ *prior  *-[0-9.]*' ex.txt
	grep -q '^ *email else  *-[0-9.]*' ex.txt
}

# decide FILE PAIR DECISION: a filled-in review file of one pair.
decide() {
	printf 'pair,decision,weight\n%s,%s,1.00\n' "$2" "$3" > "$1"
}

# The batch:line of the record carrying e-mail address $1.
ref_of() {
	cdp-store dump --table records --format jsonl |
	    jq -r --arg e "$1" 'select(._email == $e) | "\(._batch):\(._line)"'
}

test_decisions_round_trip() {
	people
	cdp-import -q crm.csv newsletter.csv
	prob
	cdp-merge -q
	cdp-merge -q --review r.csv
	# the twins are one person after all (say): match
	sed 's/^\([^,]*\),,/\1,match,/' r.csv > d.csv
	cdp-merge --decisions d.csv 2> err.txt
	grep -q '1 decisions kept' err.txt
	test "$(profile_of pz@example.org)" = "$(profile_of paulz@example.org)"
	test "$(stat -c %a "$CDP_STORE/match.decisions")" = 600
	refute_grep -e Peter -e Paul -e Zybkowski "$CDP_STORE/match.decisions"
	cdp-store dump --table merges --format csv | grep -q ',decision$'
	# nothing left to review
	cdp-merge -q --review r2.csv
	test "$(wc -l < r2.csv)" -eq 1
	# a no-match above the threshold keeps Jürgen's two records apart
	decide n.csv "$(ref_of jm@example.org)~$(ref_of juergen.m@other.org)" no-match
	cdp-merge -q --decisions n.csv
	cdp-merge -q --rebuild
	test "$(profile_of jm@example.org)" != "$(profile_of juergen.m@other.org)"
	test "$(profile_of pz@example.org)" = "$(profile_of paulz@example.org)"
	# and a third Jürgen, matching both, cannot join them through himself
	printf '%s\nJürgen,Müller,1970-03-12,10115,Hauptstr. 12,Berlin,\n' "$HDR" > late.csv
	cdp-import -q late.csv
	prob
	cdp-merge -q
	test "$(profile_of jm@example.org)" != "$(profile_of juergen.m@other.org)"
	cdp-merge -q --rebuild
	test "$(profile_of jm@example.org)" != "$(profile_of juergen.m@other.org)"
}

test_bad_decisions_are_refused() {
	people
	cdp-import -q crm.csv newsletter.csv
	prob
	cdp-merge -q
	printf 'pair,decision\n1:2~2:1,match\n1:3~2:2,maybe\n' > bad.csv
	expect_status 2 cdp-merge --decisions bad.csv 2> err.txt
	grep -q "^cdp-merge: bad.csv:3: decision is match, no-match or empty, not 'maybe'$" err.txt
	test ! -e "$CDP_STORE/match.decisions"
	printf 'pair,decision\n1:2-2:1,match\n' > bad.csv
	expect_status 2 cdp-merge --decisions bad.csv 2> err.txt
	grep -q "^cdp-merge: bad.csv:2: pair is BATCH:LINE~BATCH:LINE" err.txt
	printf 'weight\n1\n' > bad.csv
	expect_status 2 cdp-merge --decisions bad.csv 2> err.txt
	grep -q "^cdp-merge: bad.csv:1: the first line names no pair and decision columns" err.txt
}

test_incremental_equals_rebuild() {
	people
	{
		echo "$HDR"
		echo 'Jurgen,Muller,1970-12-03,10115,Hauptstr 12,Berlin,'
		echo 'Paula,Zybkowski,1990-01-02,20095,Mönckebergstr. 5,Hamburg,'
		echo 'Hans,Becker,1960-05-05,50667,Domplatz 3,Köln,hb@example.org'
	} > shop.csv
	{
		echo "$HDR"
		echo 'Hans,Bekker,1960-05-05,50667,Domplatz 3,Koeln,hans.b@example.net'
		echo 'Anna,Schmidt,1985-01-07,80331,Marienplatz 1,München,'
	} > late.csv
	for f in crm.csv newsletter.csv shop.csv late.csv; do
		cdp-import -q "$f"
		prob
		cdp-merge -q
	done
	profiles > inc.txt
	cdp-merge -q --rebuild
	profiles > reb.txt
	diff inc.txt reb.txt
	test "$(profile_of hb@example.org)" = "$(profile_of hans.b@example.net)"
	test "$(profile_of jm@example.org)" = "$(profile_of juergen.m@other.org)"
}

test_exact_is_deterministic_linking() {
	people
	cdp-import -q crm.csv newsletter.csv
	prob
	echo 'match = exact' > "$CDP_STORE/merge.conf"
	cdp-merge -q
	test "$(profiles | wc -l)" -eq 6
	cdp-merge --print-config | grep -q '^match = exact$'
	test -z "$(cdp-store dump --table matches --format csv | sed 1d)"
	test -z "$(cdp-store dump --table review --format csv | sed 1d)"
	test -z "$(cdp-store dump --table merges --format csv | sed 1d)"
}

test_config_and_training() {
	people
	cdp-import -q crm.csv newsletter.csv
	prob
	conf <<-EOF
	match-threshold = 99.99%
	review-threshold = 0
	block-cap = 5
	compare = gender
	block-on = birth_date
	block-on = soundex(last_name) + gender
	EOF
	cdp-merge --print-config > conf.txt
	grep -q '^match-threshold = 13.29$' conf.txt
	grep -q '^review-threshold = 0.00$' conf.txt
	grep -q '^block-cap = 5$' conf.txt
	grep -q '^compare = gender$' conf.txt
	test "$(grep -c '^block-on' conf.txt)" -eq 2
	grep -q '^#   gender: exact m=' conf.txt
	grep -q '^#   lambda = ' conf.txt
	echo 'block-on = soundex(city)' >> "$CDP_STORE/merge.conf"
	expect_status 2 cdp-merge --print-config 2> err.txt
	grep -q "merge.conf:8: block-on: soundex() takes first_name or last_name, not 'city'" err.txt
	echo 'match-threshold = 1' | conf
	expect_status 2 cdp-merge --print-config 2> err.txt
	grep -q 'review-threshold 2.00 is above match-threshold 1.00' err.txt
	rm "$CDP_STORE/merge.conf"
	cdp-merge --train 2> err.txt
	grep -q 'trained on 6 person records' err.txt
	test "$(stat -c %a "$CDP_STORE/match.params")" = 600
	cdp-merge --print-config | grep -q "^# the model ($CDP_STORE/match.params"
	cdp-merge -q
}

test_common_block_value_is_capped() {
	{
		echo "$HDR"
		i=0
		while [ $i -lt 60 ]; do
			echo "Name$i,Meier,19$((i % 50 + 40))-01-01,10115,Weg $i,Berlin,m$i@example.org"
			i=$((i + 1))
		done
	} > many.csv
	cdp-import -q many.csv
	prob
	printf 'block-on = postal_code\nblock-cap = 100\n' | conf
	cdp-merge -v 2> err.txt
	grep -q 'postal_code: [0-9]*; 1 blocks capped at 100 pairs' err.txt
	n=$(sed -n 's/.*probabilistic: \([0-9]*\) candidate pairs.*/\1/p' err.txt)
	test "$n" -le 200
	test "$n" -gt 0
}

# A CRM holds one person twice under two customer ids; the twins'
# sparse record without a first name matches both but joins only one.
test_crm_duplicates_and_sparse_records() {
	{
		echo "customer_id,$HDR"
		echo 'C1,Margaret,Brown,1989-04-17,BS4 4BR,Albert Lane 25,Bristol,mb@example.org'
		echo 'C2,Maggie,Brown,1989-04-17,BS4 4BR,Albert Ln 25,Bristol,margaret.b@example.net'
		echo 'C3,Joseph,Brown,1989-04-17,BS4 4BR,Albert Lane 25,Bristol,jb@example.org'
		echo 'C4,,Brown,1989-04-17,BS4 4BR,Albert Lane 25,Bristol,'
	} > crm.csv
	cdp-import -q crm.csv
	prob
	cdp-merge -q
	test "$(profile_of mb@example.org)" = "$(profile_of margaret.b@example.net)"
	test "$(profile_of mb@example.org)" != "$(profile_of jb@example.org)"
	test "$(profiles | wc -l)" -eq 2
	cdp-merge --print-config | grep -q '^match-limit customer_id = 4$'
	echo 'match-limit customer_id = 1' | conf
	cdp-merge -q --rebuild
	test "$(profile_of mb@example.org)" != "$(profile_of margaret.b@example.net)"
	test "$(cdp-merge -v --rebuild 2>&1 | sed -n 's/.* \([0-9]*\) refused.*/\1/p')" -gt 0
}

# crowd N [FROM]: N people who share nothing but a city (person i: a
# first name of twelve, a made-up surname, a birth date, postcode and
# e-mail address of their own); crowd 1 17 is person 17 alone.
crowd() {
	awk -v n="$1" -v from="${2:-1}" 'BEGIN {
		split("Anna Ben Clara David Emma Felix Greta Hugo Ida Jonas Karla Lukas", fn, " ")
		for (i = from; i < from + n; i++)
			printf "%s,Ko%c%c%cski,19%02d-%02d-%02d,%05d,Weg %d,Berlin,p%d@example.org\n",
			    fn[i % 12 + 1], 97 + i % 26, 97 + int(i / 26) % 26, 97 + int(i / 676) % 26,
			    40 + i % 50, i % 12 + 1, i % 28 + 1, 10000 + i, i, i
	}'
}

# After a big store a small batch loads and rewrites only the profiles
# it can meet (by identifier or through a block), and links as --rebuild
# does: a typo duplicate of person 17 without an e-mail address joins by
# weight, person 5 by e-mail, a newcomer gets a profile.  Only their
# rows are written.
test_small_batch_is_incremental() {
	{ echo "$HDR"; crowd 400; } > big.csv
	cdp-import -q big.csv
	prob
	cdp-merge -q
	test "$(profiles | wc -l)" -eq 400
	{
		echo "$HDR"
		crowd 1 17 | sed 's/,Ko\([a-z]\)/,Ko\1\1/; s/,[^,]*$/,/'
		crowd 1 5 | sed 's/^[A-Za-z]*,[A-Za-z]*,[^,]*,[^,]*,[^,]*,/Zoe,Nowak,2001-02-03,99999,Ring 1,/'
		echo 'Xaver,Kaminski,1955-05-05,10023,Altmarkt 1,Berlin,xq@example.org'
	} > small.csv
	cdp-import -q small.csv
	prob
	before=$(grep -c 'table=profiles' "$CDP_STORE/MANIFEST")
	cdp-merge -q
	test "$(grep -c 'table=profiles' "$CDP_STORE/MANIFEST")" -gt "$before"
	rows=$(grep 'table=profiles' "$CDP_STORE/MANIFEST" | tail -n +"$((before + 1))" |
	    sed 's/.* rows=\([0-9]*\).*/\1/' | awk '{ n += $1 } END { print n }')
	# 17, 5 and the newcomer; not person 23, who shares a block with him
	test "$rows" -eq 3
	test "$(profiles | wc -l)" -eq 401
	p17=$(profile_of p17@example.org)
	test "$(profiles | jq -r --arg p "$p17" 'select(.profile_id == ($p | tonumber)) | .records')" -eq 2
	test "$(cdp-store dump --table merges --format csv | grep -c ',probabilistic$')" -eq 1
	profiles > inc.txt
	# the same weight: "Felix" and "Berlin" as common as among all profiles
	cdp-store dump --table matches --format csv | sort > minc.txt
	grep -q ',probabilistic,.*first_name exact (tf)' minc.txt
	cdp-merge -q --rebuild
	profiles > reb.txt
	diff inc.txt reb.txt
	cdp-store dump --table matches --format csv | sort | diff minc.txt -
}

check "match: duplicates without a shared identifier link, twins do not" test_duplicates_link_twins_do_not
check "match: --explain shows each link's weight and contributions" test_explain_shows_weights
check "match: review decisions are kept and respected, also by --rebuild" test_decisions_round_trip
check "match: a bad decisions file is refused with its line" test_bad_decisions_are_refused
check "match: incremental runs give the profiles of a rebuild" test_incremental_equals_rebuild
check "match: a small batch after a big store is incremental and equals --rebuild" test_small_batch_is_incremental
check "match: match = exact links by identifiers only" test_exact_is_deterministic_linking
check "match: merge.conf keys, --print-config and --train" test_config_and_training
check "match: a common block value is capped" test_common_block_value_is_capped
check "match: CRM duplicates join under match-limit, a sparse record joins one twin" test_crm_duplicates_and_sparse_records
done_testing
