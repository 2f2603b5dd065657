#!/bin/sh
# match.sh - identity resolution, accuracy and speed: sh tests/bench/match.sh [SCALE]
# (run by run.sh after the main bench; BENCH_MATCH=0 leaves it out)
#
# Generates SCALE people entered 1-4 times each into a CRM and a shop
# export (dupgen.c, seeded: typos, nicknames, umlauts spelled three
# ways, swapped names, transposed birth dates, phones in two forms, new
# e-mail addresses, moves; twins and families as hard negatives), then:
#   1. imports crm.csv and shop.csv and merges with match = exact (the
#      deterministic rules alone); scores the links against the truth
#   2. merges again, --rebuild, with match = probabilistic; scores
#   3. imports batch.csv (1% of all entries, held back) and merges it
#      into the store (incremental); then --rebuild, to compare
#   4. the FEBRL- and Splink-shaped files (dupgen -f febrl / -f splink,
#      at most 20000 people), imported as they are, in both modes
# Scores are pairwise precision, recall and F1 (tests/bench/pairs.c -s)
# of the pairs within the CRM, across sources, and of all pairs, and the
# twin and family pairs merged; each step's wall and CPU seconds, peak
# RSS, and cdp-merge's own summary (candidate pairs per second when it
# reports them).  Until cdp-merge has probabilistic matching (no
# "match" line in --print-config) the probabilistic steps say skipped.
# Environment: BENCH_SEED (default 42), BENCH_OUT (default tests/bench/out).
set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
scale=${1:-10000}
seed=${BENCH_SEED:-42}
out=${BENCH_OUT:-$here/out}
data=$out/match-$scale-$seed
store=$out/match-store
work=$out/work
CC=${CC:-cc}
LIBS="-lcsv -lyajl -lnettle -ldeflate -lz -lopenblas -lphonenumber -lre2 -lstdc++ -lm -lpthread"

case $scale in
''|*[!0-9]*|0) echo "usage: match.sh [SCALE]" >&2; exit 64 ;;
esac
[ -x "$top/cdp-merge" ] || { echo "match.sh: cdp-merge not built" >&2; exit 0; }
mkdir -p "$out" "$work" || exit 2
$CC -std=c11 -O2 -D_GNU_SOURCE -o "$out/dupgen" "$here/dupgen.c" || exit 2
# shellcheck disable=SC2086
$CC -std=c11 -O2 -D_GNU_SOURCE -I"$top/common" -o "$out/pairs" "$here/pairs.c" \
    "$top/common/libcdp.a" $LIBS || exit 2

gen() {		# gen DIR ARGS...: dupgen into DIR unless DIR is newer than dupgen.c
	dir=$1
	shift
	if [ -z "$(find "$dir/.done" -newer "$here/dupgen.c" 2> /dev/null)" ]; then
		rm -rf "$dir"
		"$out/dupgen" -s "$seed" -o "$dir" "$@" || exit 2
		: > "$dir/.done"
	fi
}
gen "$data" -n "$scale" -b 1

TIME=
[ -x /usr/bin/time ] && TIME="/usr/bin/time -f %e\t%M\t%U\t%S -o $work/match.time"

# run LABEL cmd...: prints "LABEL wall cpu RSS" and keeps stderr in match.err
run() {
	label=$1
	shift
	t0=$(date +%s%N)
	$TIME "$@" 2> "$work/match.err" > "$work/match.out"
	rc=$?
	t1=$(date +%s%N)
	rss=- cpu=-
	if [ -n "$TIME" ]; then
		rss=$(awk -F '\t' 'END { printf "%.0f", $2 / 1024 }' "$work/match.time")
		cpu=$(awk -F '\t' 'END { printf "%.2f", $3 + $4 }' "$work/match.time")
	fi
	awk -v l="$label" -v s="$(( (t1 - t0) / 1000000 ))" -v r="$rss" -v c="$cpu" -v rc="$rc" \
	    'BEGIN { printf "%-44s %8.2f s wall %8s s cpu %6s MiB%s\n", l, s / 1000, c, r, (rc > 1 ? "  FAILED" : "") }'
	grep -v '^    ' "$work/match.err" | grep -i 'cdp-merge:' | sed 's/^/  /'
	# cdp-merge -v: "N candidate pairs (...)"; per second of the whole step
	awk -v s="$(( (t1 - t0) / 1000000 ))" 'match($0, /[0-9]+ candidate pairs/) {
		n = substr($0, RSTART, RLENGTH) + 0
		if (s > 0) printf "  %d candidate pairs, %.0f pairs/s over the whole step\n", n, n / (s / 1000)
	}' "$work/match.err"
	[ "$rc" -gt 1 ] && sed 's/^/  /' "$work/match.err"
	return 0
}

# score LABEL STORE TRUTH [HARD]: the pairs lines, indented and labelled
score() {
	"$out/pairs" -s ${4:+-h "$4"} "$2" "$3" > "$work/match.pairs" 2>&1 ||
	    { sed 's/^/  pairs: /' "$work/match.pairs"; return 0; }
	sed -n '2,$p' "$work/match.pairs" | awk -v l="$1" '{
		if ($1 == "hard") { printf "  %-13s %-14s %s %s\n", l, $2, $3, $4; next }
		k = $1 == "within" ? $1 " " $2 : $1
		for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) v[kv[1]] = kv[2]
		printf "  %-13s %-14s precision %s  recall %s  F1 %s  (%s of %s pairs found, %s predicted)\n",
		    l, k, v["precision"], v["recall"], v["f1"], v["correct"], v["true"], v["predicted"]
	}'
}

has_prob() {
	"$top/cdp-merge" -s "$1" --print-config 2> /dev/null | grep -q '^match'
}

setmode() {	# setmode STORE MODE: match = MODE in STORE/merge.conf (kept otherwise)
	conf=$1/merge.conf
	if [ -f "$conf" ]; then
		grep -v '^match[ =]' "$conf" > "$conf.new"
		mv "$conf.new" "$conf"
	fi
	printf 'match = %s\n' "$2" >> "$conf"
}

rows() { echo $(($(wc -l < "$1") - 1)); }

crm=$(rows "$data/crm.csv") shop=$(rows "$data/shop.csv") bat=$(rows "$data/batch.csv")
echo "match bench: SCALE=$scale people, seed $seed: $crm CRM entries, $shop shop entries," \
    "$bat held back as a batch; $(nproc) cores"
rm -rf "$store"
run "cdp-import crm.csv shop.csv ($((crm + shop)) rows)" \
    "$top/cdp-import" -q -s "$store" "$data/crm.csv" "$data/shop.csv"
prob=0 V=
has_prob "$store" && prob=1 V=-v
[ "$prob" = 1 ] && setmode "$store" exact
run "cdp-merge (match = exact)" "$top/cdp-merge" -s "$store"
score exact "$store" "$data/truth.csv" "$data/hard.csv"
if [ "$prob" = 1 ]; then
	setmode "$store" probabilistic
	run "cdp-merge --rebuild (match = probabilistic)" "$top/cdp-merge" $V -s "$store" --rebuild
	score probabilistic "$store" "$data/truth.csv" "$data/hard.csv"
else
	echo "probabilistic: skipped: cdp-merge has no probabilistic matching"
fi
mode=exact
[ "$prob" = 1 ] && mode=probabilistic
run "cdp-import batch.csv ($bat rows)" "$top/cdp-import" -q -s "$store" "$data/batch.csv"
run "cdp-merge, the batch only ($mode)" "$top/cdp-merge" $V -s "$store"
score "+batch" "$store" "$data/truth.csv" "$data/hard.csv"
run "cdp-merge --rebuild, all ($mode)" "$top/cdp-merge" $V -s "$store" --rebuild
score "rebuilt" "$store" "$data/truth.csv" "$data/hard.csv"

# The public benchmarks' shapes, loaded as they are.
small=$scale
[ "$small" -gt 20000 ] && small=20000
for shape in febrl splink; do
	dir=$out/match-$shape-$small-$seed
	gen "$dir" -n "$small" -f "$shape"
	echo
	echo "$shape-shaped file: $(rows "$dir/$shape.csv") rows of $small people"
	rm -rf "$store"
	run "cdp-import --source $shape $shape.csv" "$top/cdp-import" -q -s "$store" \
	    --source "$shape" "$dir/$shape.csv"
	[ "$prob" = 1 ] && setmode "$store" exact
	run "cdp-merge (match = exact)" "$top/cdp-merge" -s "$store"
	score exact "$store" "$dir/truth.csv" "$dir/hard.csv"
	if [ "$prob" = 1 ]; then
		setmode "$store" probabilistic
		run "cdp-merge --rebuild (match = probabilistic)" "$top/cdp-merge" $V -s "$store" --rebuild
		score probabilistic "$store" "$dir/truth.csv" "$dir/hard.csv"
	fi
done
rm -rf "$store"
exit 0
