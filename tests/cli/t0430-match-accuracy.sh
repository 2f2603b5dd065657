#!/bin/sh
# Probabilistic matching finds the people deterministic rules miss
# (issue 17), without merging the ones it must not: 2,000 people of
# tests/bench/dupgen.c entered 1-4 times into a CRM and a shop export
# with typos, nicknames, umlauts spelled three ways, swapped names,
# transposed birth dates, new e-mail addresses and moves; twins and
# families as hard negatives.  Scored pair by pair against the truth
# with tests/bench/pairs.c; and the FEBRL and Splink file shapes load
# as they are.
. "$(dirname "$0")/lib.sh"

BENCH=$(cd "$(dirname "$0")/../bench" && pwd)
TOP=$(cd "$BENCH/../.." && pwd)
M=$T/match
LIBS="-lcsv -lyajl -lnettle -ldeflate -lz -lopenblas -lphonenumber -lre2 -lstdc++ -lm -lpthread"
mkdir -p "$M"

# The tools: none of them is a cdp program; without them nothing is scored.
tools=0
if command -v "${CC:-cc}" > /dev/null 2>&1 && [ -f "$TOP/common/libcdp.a" ] &&
    "${CC:-cc}" -std=c11 -O2 -D_GNU_SOURCE -o "$M/dupgen" "$BENCH/dupgen.c" 2> "$M/cc.err" &&
    # shellcheck disable=SC2086
    "${CC:-cc}" -std=c11 -O2 -D_GNU_SOURCE -I"$TOP/common" -o "$M/pairs" "$BENCH/pairs.c" \
        "$TOP/common/libcdp.a" $LIBS 2>> "$M/cc.err"; then
	tools=1
fi

# --print-config needs a store: one of a single person
prob=0
printf 'email\nann@example.org\n' > "$M/probe.csv"
cdp-import -q -s "$M/probe" "$M/probe.csv" > /dev/null 2>&1 &&
    cdp-merge -s "$M/probe" --print-config 2> /dev/null | grep -q '^match' && prob=1

need_tools() {
	[ "$tools" = 1 ] || skip --required "tests/bench/dupgen.c or pairs.c did not build: $(head -c 300 "$M/cc.err")"
}

need_prob() {
	need_tools
	[ "$prob" = 1 ] || skip --required "cdp-merge has no probabilistic matching (no match line in --print-config)"
}

setmode() {	# setmode STORE MODE
	printf 'match = %s\n' "$2" > "$1/merge.conf"
}

# The value of KEY= on the line of pairs -s output starting with LABEL.
value() {
	awk -v l="$2" -v k="$3" 'index($0, l " ") == 1 {
		for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2 && kv[1] == k) print kv[2]
	}' "$1"
}

# The data and both merges, once for every check that reads them.
if [ "$tools" = 1 ]; then
	"$M/dupgen" -n 2000 -s 17 -o "$M/crm" > "$M/gen.log" 2>&1
	cdp-import -q -s "$M/store" "$M/crm/crm.csv" "$M/crm/shop.csv" > "$M/import.log" 2>&1
	[ "$prob" = 1 ] && setmode "$M/store" exact
	cdp-merge -q -s "$M/store" > "$M/merge-exact.log" 2>&1
	"$M/pairs" -s -h "$M/crm/hard.csv" "$M/store" "$M/crm/truth.csv" > "$M/exact" 2>&1
	if [ "$prob" = 1 ]; then
		setmode "$M/store" probabilistic
		cdp-merge -q -s "$M/store" --rebuild > "$M/merge-prob.log" 2>&1
		"$M/pairs" -s -h "$M/crm/hard.csv" "$M/store" "$M/crm/truth.csv" > "$M/prob" 2>&1
	fi
fi

show() {
	for f in "$@"; do
		echo "== $f" >&2
		cat "$M/$f" >&2 2> /dev/null || true
	done
}

t_exact_baseline() {
	need_tools
	show exact merge-exact.log
	# deterministic rules are precise and find the links that share an id,
	# and none of the CRM's re-entries (each has a customer id of its own)
	awk -v p="$(value "$M/exact" all precision)" 'BEGIN { exit !(p >= 0.98) }'
	test "$(value "$M/exact" cross correct)" -gt 0
	test "$(value "$M/exact" "within crm" correct)" -eq 0
}

t_beats_exact() {
	need_prob
	show exact prob merge-prob.log
	awk -v e="$(value "$M/exact" all f1)" -v p="$(value "$M/prob" all f1)" \
	    'BEGIN { exit !(p >= e + 0.2) }'
	awk -v e="$(value "$M/exact" cross recall)" -v p="$(value "$M/prob" cross recall)" \
	    'BEGIN { exit !(p >= e + 0.1) }'
}

t_reentries() {
	need_prob
	show prob merge-prob.log
	# each re-entry has a customer id of its own: only matching finds them
	awk -v r="$(value "$M/prob" "within crm" recall)" 'BEGIN { exit !(r >= 0.8) }'
}

t_precise() {
	need_prob
	show prob
	awk -v p="$(value "$M/prob" all precision)" 'BEGIN { exit !(p >= 0.98) }'
}

t_twins() {
	need_prob
	show prob
	test "$(value "$M/prob" "hard twin" pairs)" -gt 10
	test "$(value "$M/prob" "hard twin" merged)" -eq 0
}

t_family() {
	need_prob
	show exact prob
	# a family's landline links some deterministically; matching may add
	# a few (a parent and a child of one name), not more than 1% in all
	awk -v n="$(value "$M/prob" "hard family" pairs)" -v m="$(value "$M/prob" "hard family" merged)" \
	    'BEGIN { exit !(n > 100 && m <= n * 0.01) }'
}

# shape F COLUMNS...: dupgen -f F imports as it is and its columns land on
# the canonical attributes COLUMNS of the profiles
shape() {
	need_tools
	f=$1
	shift
	"$M/dupgen" -n 300 -s 5 -f "$f" -o "$T/w/$f"
	cdp-import -q -s st --source "$f" "$T/w/$f/$f.csv"
	cdp-merge -q -s st
	cdp-export -q -s st --all > profiles.csv
	head -1 profiles.csv | tr ',' '\n' > columns
	for c in "$@"; do
		grep -qx "$c" columns || { echo "no profile column $c:" >&2; cat columns >&2; return 1; }
	done
	for c in given_name surname date_of_birth dob suburb postcode address_1 street_number soc_sec_id; do
		refute_grep -qx "$c" columns
	done
}

t_febrl() {
	shape febrl first_name last_name birth_date street house_number city postal_code national_id
}

t_splink() {
	shape splink first_name last_name birth_date city email
}

# shape_prob F F1: dupgen -f F at 2,000 people, merged probabilistically
# as it is: pairwise precision 0.98 and F1 at least F1
shape_prob() {
	need_prob
	"$M/dupgen" -n 2000 -s 9 -f "$1" -o "$T/w/$1"
	cdp-import -q -s st --source "$1" "$T/w/$1/$1.csv"
	setmode st probabilistic
	cdp-merge -q -s st
	"$M/pairs" -s st "$T/w/$1/truth.csv" > scores
	cat scores >&2
	awk -v p="$(value scores all precision)" -v f="$(value scores all f1)" -v want="$2" \
	    'BEGIN { exit !(p >= 0.98 && f >= want) }'
}

t_febrl_prob() { shape_prob febrl 0.85; }
t_splink_prob() { shape_prob splink 0.8; }

check 'match = exact is precise and misses every CRM re-entry' t_exact_baseline
check 'probabilistic matching beats exact-only F1 by 0.2, cross-source recall by 0.1' t_beats_exact
check 'probabilistic links keep pairwise precision at 0.98 or more' t_precise
check 'twins (same surname, birth date and address) are never merged' t_twins
check 'family members sharing surname and address: at most 1% of pairs merged' t_family
check 'CRM re-entries under new customer ids are found: within-CRM recall 0.8' t_reentries
check 'a FEBRL-shaped file loads as it is, on the canonical attributes' t_febrl
check 'a Splink-shaped file loads as it is, on the canonical attributes' t_splink
check 'a FEBRL-shaped file with no identifier: precision 0.98, F1 0.85' t_febrl_prob
check 'a Splink-shaped file (e-mail the only identifier): precision 0.98, F1 0.8' t_splink_prob
done_testing
