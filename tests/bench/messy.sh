#!/bin/sh
# messy.sh - zero-configuration accuracy on a messy CRM dump and order
# export (issue 15): sh tests/bench/messy.sh [-n PEOPLE] [-s SEED]
# [-l en|de] [-o DIR]
#
# Generates PEOPLE people with messygen.c (seeded: the same bytes every
# run), imports crm.csv with no option at all and orders.csv with only
# --event order, merges, and compares segment counts with the truth the
# generator wrote.  Prints one line per check:
#
#	NAME  TRUTH  CDP  DIFF%  ok|FAIL  EXPRESSION
#
# and writes the same, tab-separated, to DIR/results.tsv.  A count
# passes within 5% of the truth; "crm rows without a profile" must be 0.
# Exit 0 when every check passes, 1 when one fails, 2 when the checks
# could not run (no compiler, generator failed).
#
# Environment: CDP_BIN, the directory of the programs (default: the top
# of the tree); CC.  Default DIR: tests/bench/out/messy-PEOPLE-SEED-LOCALE.
# shellcheck disable=SC2016  # awk conditions in single quotes, for awk
set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${CDP_BIN:-$top}
people=20000
seed=42
locale=de
out=
NOW=2025-07-01T00:00:00Z	# messygen.c's T_NOW

while getopts n:s:l:o: opt; do
	case $opt in
	n) people=$OPTARG ;;
	s) seed=$OPTARG ;;
	l) locale=$OPTARG ;;
	o) out=$OPTARG ;;
	*) echo "usage: messy.sh [-n PEOPLE] [-s SEED] [-l en|de] [-o DIR]" >&2; exit 64 ;;
	esac
done
: "${out:=$here/out/messy-$people-$seed-$locale}"
data=$out/data
store=$out/store
res=$out/results.tsv
mkdir -p "$out" || exit 2

if ! ${CC:-cc} -std=c11 -O2 -o "$out/messygen" "$here/messygen.c" 2> "$out/cc.err"; then
	echo "messy.sh: cannot build messygen.c: $(head -c 300 "$out/cc.err")" >&2
	exit 2
fi
rm -rf "$data" "$store"
"$out/messygen" -n "$people" -s "$seed" -l "$locale" -o "$data" || exit 2

# The imports may fail or reject rows: that is what is measured, so
# their status is reported, not fatal.
"$bin/cdp-import" -s "$store" "$data/crm.csv" 2> "$out/import-crm.err"
echo "cdp-import crm.csv: exit $? $(tr '\n' ' ' < "$out/import-crm.err")"
"$bin/cdp-import" -s "$store" --event order "$data/orders.csv" 2> "$out/import-orders.err"
echo "cdp-import --event order orders.csv: exit $? $(tr '\n' ' ' < "$out/import-orders.err")"
"$bin/cdp-merge" -s "$store" --as-of "$NOW" 2> "$out/merge.err"
echo "cdp-merge: exit $? $(tr '\n' ' ' < "$out/merge.err")"

: > "$res"
# result NAME TRUTH CDP EXPR: one line of the table; CDP may be an error.
result() {
	awk -v name="$1" -v t="$2" -v c="$3" -v expr="$4" 'BEGIN {
		if (c !~ /^[0-9]+$/) {
			d = "-"; v = "FAIL"
		} else if (name == "crm_rows_without_profile") {
			d = "-"; v = (c == 0) ? "ok" : "FAIL"
		} else {
			d = (t > 0) ? 100 * (c - t) / t : (c == 0 ? 0 : 100)
			v = (d <= 5 && d >= -5) ? "ok" : "FAIL"
			d = sprintf("%+.1f", d)
		}
		printf "%s\t%s\t%s\t%s\t%s\t%s\n", name, t, c, d, v, expr
	}' >> "$res"
}

# truth AWK-CONDITION: how many people of truth.csv meet it.  Fields:
# 1 person 2 crm_id 3 country 4 opt_in 5 email 6 phone 7 orders
# 8 revenue 9 orders_90d.
truth() {
	awk -F, "NR > 1 && ($1) { n++ } END { print n + 0 }" "$data/truth.csv"
}

# segment NAME EXPR TRUTH-CONDITION
segment() {
	c=$("$bin/cdp-segment" -s "$store" -a --count --as-of "$NOW" "$2" 2>&1 | tr '\n' ' ')
	c=${c% }
	result "$1" "$(truth "$3")" "$c" "$2"
}

segment country_de 'country = "DE"' '$3 == "DE"'
segment country_ch 'country = "CH"' '$3 == "CH"'
segment country_us 'country = "US"' '$3 == "US"'
segment country_gb 'country = "GB"' '$3 == "GB"'
segment consent 'email_consent' '$4 == "1"'
segment opt_in_attribute 'email_opt_in = true' '$4 == "1"'
segment phone 'phone is not null' '$6 != ""'
segment phone_ch 'phone ~ "^[+]41"' '$6 ~ /^[+]41/'
segment phone_us 'phone ~ "^[+]1"' '$6 ~ /^[+]1/'
segment buyers 'count(order) >= 1' '$7 >= 1'
segment orders_3 'count(order) >= 3' '$7 >= 3'
segment spent_200 'sum(order.total) > 200' '$8 > 200'
segment revenue_200 'revenue > 200' '$8 > 200'
segment recent_buyers 'count(order within 90d) >= 1' '$9 >= 1'
segment de_consent_buyers 'country = "DE" and email_consent and orders >= 1' \
    '$3 == "DE" && $4 == "1" && $7 >= 1'
segment crm_profiles 'sources ~ "(^|, )crm(,|$)"' '1'

# Every CRM row belongs to a profile: the links table runs row for row
# with the records table, segment by segment in the same order.
"$bin/cdp-store" -s "$store" dump --format tsv > "$out/records.tsv" 2> /dev/null
"$bin/cdp-store" -s "$store" dump --table links --format tsv > "$out/links.tsv" 2> /dev/null
if [ "$(wc -l < "$out/records.tsv")" -eq "$(wc -l < "$out/links.tsv")" ]; then
	c=$(cut -f 3 "$out/records.tsv" | paste - "$out/links.tsv" |
	    awk -F '\t' 'NR > 1 && $1 == "crm" && $2 == "" { n++ } END { print n + 0 }')
else
	c="records and links differ in length"
fi
result crm_rows_without_profile 0 "$c" "links.profile_id of crm rows is null"
profiles=$(($("$bin/cdp-store" -s "$store" dump --table profiles --format tsv | wc -l) - 1))
[ "$profiles" -lt 0 ] && profiles=0
result profiles "$(truth 1)" "$profiles" "every profile (one person each)"

awk -F '\t' '{ printf "%-26s %8s %8s %7s  %-4s  %s\n", $1, $2, $3, $4, $5, $6 }
    $5 != "ok" { bad++ }
    END { exit bad > 0 }' "$res"
