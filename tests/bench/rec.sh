#!/bin/sh
# rec.sh - cdp-recommend's benchmark: sh tests/bench/rec.sh [SCALE]
# (run by run.sh after the main bench; BENCH_REC=0 leaves it out)
#
# Generates SCALE people of shop events with taste structure (recgen.c,
# seeded), imports and merges them into a store of their own, then
# measures:
#   quality  cdp-recommend --evaluate on a time split: train before
#            2025-06-01, test each person's new purchases in the 28 days
#            after; hit rate, recall and NDCG at 10 for popularity,
#            itemknn and ease (the same code the tests use)
#   speed    --train of each model (build time, peak RSS) on all the
#            events, and --all -n 10 (profiles/s, peak RSS)
# Environment: BENCH_SEED (default 42), BENCH_OUT (default tests/bench/out).
set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
scale=${1:-10000}
seed=${BENCH_SEED:-42}
out=${BENCH_OUT:-$here/out}
data=$out/rec-$scale-$seed.jsonl
store=$out/rec-store
work=$out/work
CUT=2025-06-01T00:00:00Z
CC=${CC:-cc}

case $scale in
''|*[!0-9]*) echo "usage: rec.sh [SCALE]" >&2; exit 64 ;;
esac
[ -x "$top/cdp-recommend" ] || { echo "rec.sh: cdp-recommend not built" >&2; exit 0; }
mkdir -p "$out" "$work" || exit 2
$CC -std=c11 -O2 -D_GNU_SOURCE -o "$out/recgen" "$here/recgen.c" -lm || exit 2
if [ -z "$(find "$data" -newer "$here/recgen.c" 2> /dev/null)" ]; then
	"$out/recgen" -n "$scale" -s "$seed" -o "$data" || exit 2
fi
events=$(wc -l < "$data")
orders=$(grep -c '"Order Completed"' "$data")

TIME=
[ -x /usr/bin/time ] && TIME="/usr/bin/time -f %e\t%M\t%U\t%S -o $work/rec.time"

# run LABEL cmd...: prints "LABEL wall-seconds cpu-seconds peak-RSS-MiB"
# (CPU time too: on a shared machine the wall clock says little)
run() {
	label=$1
	shift
	t0=$(date +%s%N)
	$TIME "$@" 2> "$work/rec.err" > "$work/rec.out"
	rc=$?
	t1=$(date +%s%N)
	rss=- cpu=-
	if [ -n "$TIME" ]; then
		rss=$(awk -F '\t' 'END { printf "%.0f", $2 / 1024 }' "$work/rec.time")
		cpu=$(awk -F '\t' 'END { printf "%.2f", $3 + $4 }' "$work/rec.time")
	fi
	awk -v l="$label" -v s="$(( (t1 - t0) / 1000000 ))" -v r="$rss" -v c="$cpu" -v rc="$rc" \
	    'BEGIN { printf "%-40s %8.2f s wall %8s s cpu %6s MiB%s\n", l, s / 1000, c, r, (rc > 1 ? "  FAILED" : "") }'
	[ "$rc" -gt 1 ] && sed 's/^/  /' "$work/rec.err"
	return 0
}

echo "recommend bench: SCALE=$scale seed=$seed, $events events ($orders orders), $(nproc) cores"
rm -rf "$store"
run "cdp-import ($events events)" "$top/cdp-import" -q -s "$store" "$data"
run "cdp-merge" "$top/cdp-merge" -q -s "$store"
for m in popularity itemknn ease; do
	run "cdp-recommend --train --model $m" "$top/cdp-recommend" -s "$store" --train --model $m
	sed 's/^/  /' "$work/rec.err"
done
run "cdp-recommend --all -n 10 (ease)" "$top/cdp-recommend" -s "$store" --all -n 10
profiles=$(($(wc -l < "$work/rec.out") / 10))
sed 's/^/  /' "$work/rec.err"
echo "  about $profiles profiles written"
echo
echo "quality: train before $CUT, test the new purchases of the 28 days after"
"$top/cdp-recommend" -s "$store" --evaluate --cut "$CUT" > "$work/rec.eval" 2> "$work/rec.err" ||
    sed 's/^/  /' "$work/rec.err"
column -t "$work/rec.eval" 2> /dev/null || cat "$work/rec.eval"
awk -F '\t' '$1 == "popularity" { p = $4 } $1 == "itemknn" { k = $4 } $1 == "ease" { e = $4 }
END { if (p > 0) printf "recall@10: itemknn %.2fx popularity, ease %.2fx popularity, %.2fx itemknn\n", k / p, e / p, (k > 0 ? e / k : 0) }' "$work/rec.eval"
exit 0
