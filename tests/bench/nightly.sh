#!/bin/sh
# nightly.sh - the nightly scenario: sh tests/bench/nightly.sh [SCALE]
#
# A store of SCALE people (gen.c's history, imported and merged, two
# saved segments run once), then day 1's batch (gen -d 1: about 0.1%
# new rows: new people, orders and events of existing people) and the
# nightly run a cron job does on it: import each batch file, cdp-merge,
# each saved segment run with --changes and cdp-export of its changes,
# and cdp-forget of 100 people of the history.  Every step is timed
# (wall clock) with its peak RSS; the table puts the issue's targets
# beside the figures: the whole run at SCALE=1000000 under 5 s and
# 500 MiB, and its time flat (within 2x) from 100000 to 1000000.  It
# never fails on slowness: it reports.  run.sh runs it last
# (BENCH_NIGHTLY=0 leaves it out).
#
# The history store is built once per SCALE and seed and kept in
# $BENCH_OUT/nightly-base-SCALE-SEED while it is newer than gen.c and
# the programs; each run works on a copy.  Environment: BENCH_SEED
# (default 42), BENCH_OUT (default tests/bench/out).

set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
scale=${1:-10000}
seed=${BENCH_SEED:-42}
out=${BENCH_OUT:-$here/out}
data=$out/data-$scale-$seed
day=$out/day1-$scale-$seed
base=$out/nightly-base-$scale-$seed
store=$out/nightly-store
work=$out/nightly-work
res=$work/results.tsv
NOW=2025-07-01T00:00:00Z		# gen.c's T_NOW: the history ends here
NIGHT=2025-07-02T00:00:00Z		# the night after day 1
S1='country = "DE" and count(order within 365d) >= 3 and sum(order.amount within 365d) > 200 and email_consent'
S2='count(product_added within 7d) >= 1 and count(order_completed within 7d) = 0'

case $scale in
''|*[!0-9]*) echo "usage: nightly.sh [SCALE]" >&2; exit 64 ;;
esac
for p in cdp-import cdp-merge cdp-segment cdp-export cdp-forget; do
	if [ ! -x "$top/$p" ]; then
		echo "nightly: $p not built; skipped"
		exit 0
	fi
done
mkdir -p "$out" "$work" || exit 2
: > "$res"
CC=${CC:-cc}
"$CC" -std=c11 -O2 -o "$out/gen" "$here/gen.c" || { echo "nightly.sh: cannot build gen.c" >&2; exit 2; }

# --- data: the history (shared with run.sh) and day 1 -------------------
if [ -z "$(find "$data/.done" -newer "$here/gen.c" 2> /dev/null)" ]; then
	rm -rf "$data"
	"$out/gen" -n "$scale" -s "$seed" -o "$data" 2> /dev/null || exit 2
	touch "$data/.done"
fi
rm -rf "$day"
"$out/gen" -n "$scale" -s "$seed" -d 1 -o "$day" 2> /dev/null || exit 2
FILES="crm.csv newsletter.csv shop_orders.csv till_orders.csv web_events.jsonl"

import_opts() {
	case $1 in
	newsletter.csv) echo "--delimiter ;" ;;
	shop_orders.csv) echo "--event order --timezone Europe/Berlin" ;;
	till_orders.csv) echo "--delimiter ; --day-first --timezone Europe/Berlin --event order" ;;
	*) echo "" ;;
	esac
}

# import STORE DIR FILE: as run.sh imports it
import() {
	# shellcheck disable=SC2046
	"$top/cdp-import" -q -s "$1" --default-country DE --rejects "$work/${3%%.*}.rejects.csv" \
	    $(import_opts "$3") "$2/$3"
}

# --- the history store, kept between runs ---------------------------------
fresh=$(find "$base/.done" -newer "$here/gen.c" 2> /dev/null)
for p in cdp-import cdp-merge cdp-segment; do
	[ -n "$(find "$base/.done" -newer "$top/$p" 2> /dev/null)" ] || fresh=
done
if [ -z "$fresh" ]; then
	echo "nightly: building the history store of $scale people (not timed)"
	rm -rf "$base"
	for f in $FILES; do
		import "$base" "$data" "$f"
		[ $? -gt 1 ] && { echo "nightly: import of $f failed" >&2; exit 2; }
	done
	"$top/cdp-merge" -q -s "$base" --as-of "$NOW" || exit 2
	"$top/cdp-segment" -s "$base" --save loyal_de "$S1" > /dev/null || exit 2
	"$top/cdp-segment" -s "$base" --save cart_left "$S2" > /dev/null || exit 2
	for s in loyal_de cart_left; do
		"$top/cdp-segment" -s "$base" --run "$s" --changes --as-of "$NOW" > /dev/null || exit 2
	done
	touch "$base/.done"
fi
rm -rf "$store"
cp -a "$base" "$store" || exit 2

# 100 people of the history to forget: evenly spaced CRM rows, their
# e-mail as the generator wrote it (placeholders left out).
ncrm=$(($(wc -l < "$data/crm.csv") - 1))
step=$((ncrm / 100))
[ "$step" -lt 1 ] && step=1
awk -F, -v step="$step" 'NR > 1 && (NR - 2) % step == int(step / 2) {
	e = tolower($4); gsub(/ /, "", e)
	if (e ~ /@/ && e != "test@test.com") print "--email\n" e
}' "$data/crm.csv" | head -n 200 > "$work/forget.args"
nforget=$(($(wc -l < "$work/forget.args") / 2))

# --- timing (as run.sh: clock around the process, RSS from time(1)) --------
TIME=
[ -x /usr/bin/time ] && TIME=/usr/bin/time
# measure STEP ROWS OUTFILE cmd ...: one line "step seconds rows rss_kb status"
measure() {
	m_step=$1 m_rows=$2 m_out=$3
	shift 3
	m_t0=$(date +%s%N)
	if [ -n "$TIME" ]; then
		"$TIME" -f '%M' -o "$work/rss" "$@" > "$m_out" 2> "$work/err"
	else
		"$@" > "$m_out" 2> "$work/err"
	fi
	m_rc=$?
	m_t1=$(date +%s%N)
	m_rss=-
	[ -n "$TIME" ] && m_rss=$(tail -n 1 "$work/rss")
	m_st=ok
	[ "$m_rc" -gt 1 ] && m_st="exit $m_rc: $(head -c 120 "$work/err" | tr '\n\t' '  ')"
	printf '%s\t%s\t%s\t%s\t%s\n' "$m_step" \
	    "$(awk "BEGIN{printf \"%.4f\", ($m_t1-$m_t0)/1e9}")" "$m_rows" "$m_rss" "$m_st" >> "$res"
}

# --- the night -------------------------------------------------------------
batch_rows=0
for f in $FILES; do
	r=$(wc -l < "$day/$f")
	case $f in *.csv) r=$((r - 1)) ;; esac
	batch_rows=$((batch_rows + r))
	# shellcheck disable=SC2046
	measure "cdp-import $f" "$r" /dev/null "$top/cdp-import" -q -s "$store" \
	    --default-country DE --rejects "$work/${f%%.*}.rejects.csv" $(import_opts "$f") "$day/$f"
done
measure "cdp-merge" "$batch_rows" /dev/null "$top/cdp-merge" -q -s "$store" --as-of "$NIGHT"
for s in loyal_de cart_left; do
	measure "cdp-segment --run $s --changes" - "$work/$s.changes" \
	    "$top/cdp-segment" -s "$store" --run "$s" --changes --as-of "$NIGHT"
	n=$(wc -l < "$work/$s.changes")
	measure "cdp-export ($n changes of $s)" "$n" "$work/$s.csv" \
	    "$top/cdp-export" -q -s "$store" < "$work/$s.changes"
done
measure "cdp-forget ($nforget people)" "$nforget" /dev/null \
    xargs -a "$work/forget.args" -d '\n' "$top/cdp-forget" -q -s "$store" --reference nightly

# --- the table -----------------------------------------------------------
hist_rows=0
for f in $FILES; do hist_rows=$((hist_rows + $(wc -l < "$data/$f"))); done
echo
echo "nightly: SCALE=$scale seed=$seed, history $hist_rows rows, day 1 batch $batch_rows rows, $(nproc) cores"
prev=
for other in 100000 1000000; do
	[ "$other" != "$scale" ] && [ -s "$out/nightly-total-$other-$seed" ] &&
	    prev="$other $(cat "$out/nightly-total-$other-$seed")"
done
awk -F '\t' -v scale="$scale" -v prev="$prev" -v totfile="$out/nightly-total-$scale-$seed" '
{
	n++; step[n] = $1; sec[n] = $2; rows[n] = $3; rss[n] = $4; st[n] = $5
	total += $2
	if ($4 != "-" && $4 > peak) peak = $4
}
END {
	printf "%-46s %9s %9s %8s  %s\n", "step", "seconds", "rows", "RSS MiB", "notes"
	for (i = 1; i <= n; i++)
		printf "%-46s %9.3f %9s %8s  %s\n", step[i], sec[i], rows[i],
		    rss[i] == "-" ? "-" : sprintf("%.0f", rss[i] / 1024), st[i] == "ok" ? "" : st[i]
	printf "%-46s %9.3f %9s %8s\n", "whole nightly run", total, "", peak ? sprintf("%.0f", peak / 1024) : "-"
	printf "\ntarget at SCALE=1000000: whole run < 5 s and < 500 MiB peak RSS"
	if (scale == 1000000) {
		printf " -> time %s, memory %s", total < 5 ? "ok" : sprintf("MISS (%.1fx)", total / 5),
		    peak / 1024 < 500 ? "ok" : sprintf("MISS (%.1fx)", peak / 1024 / 500)
	} else {
		printf " (this run is SCALE=%s)", scale
	}
	printf "\n"
	printf "%.4f %d\n", total, peak > totfile
	if (prev != "") {
		split(prev, p, " ")
		if (scale + 0 < p[1] + 0) { lo = total; hi = p[2] } else { lo = p[2]; hi = total }
		ratio = lo > 0 ? hi / lo : 0
		flat = (scale + p[1] == 1100000) ? (ratio > 2 ? " MISS" : " ok") : ""
		printf "time from SCALE=%s to SCALE=%s (target: within 2x from 100000 to 1000000): %.2f s, %.2f s, %.2fx%s\n", \
		    (scale + 0 < p[1] + 0) ? scale : p[1], (scale + 0 < p[1] + 0) ? p[1] : scale, lo, hi, ratio, flat
	}
}' "$res"
exit 0
