#!/bin/sh
# run.sh - the cdp benchmark: sh tests/bench/run.sh [SCALE]  (make bench SCALE=N)
#
# Generates SCALE people of retail data with gen.c (seeded, so every run
# sees the same bytes), then times the whole pipeline on it: cat and
# wc -l over the inputs (the floor), cdp-import of each file, cdp-merge
# (with pairwise precision/recall against the generator's truth),
# three typical segments, cdp-export in each format and cdp-forget of
# 1,000 people.  Where DuckDB and sqlite3 are present (BENCH_PEERS=1
# installs them) the same imports and segment queries run on them too,
# and each cdp step is printed as a ratio to each peer's time on the same
# work, so the comparison holds on a noisy machine.  See README here.
#
# Environment: BENCH_PEERS=1 install missing peers (apt-get, npm);
# BENCH_SEED (default 42); BENCH_OUT (default tests/bench/out);
# BENCH_NOPEERS=1 skip the peers even where installed; BENCH_THREADS=N
# cdp-import --threads N (default: cdp-import's own, one per processor);
# BENCH_NIGHTLY=0, BENCH_REC=0 and BENCH_MATCH=0 leave out nightly.sh,
# rec.sh and match.sh, which run after it.
#
# A step whose program is not built yet is skipped, never fatal: the
# bench keeps working while programs are being written.

# shellcheck disable=SC2154  # rows_*, bytes_*, r, b are set through eval
# shellcheck disable=SC2086  # $DUCKRUN is a command and its arguments
set -u
LC_ALL=C
export LC_ALL

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
scale=${1:-10000}
seed=${BENCH_SEED:-42}
out=${BENCH_OUT:-$here/out}
data=$out/data-$scale-$seed
store=$out/store
work=$out/work
res=$work/results.tsv
NOW=2025-07-01T00:00:00Z		# gen.c's T_NOW
WEEK_AGO='2025-06-24 00:00:00'

case $scale in
''|*[!0-9]*) echo "usage: run.sh [SCALE]" >&2; exit 64 ;;
esac

mkdir -p "$out" "$work" || exit 2
: > "$res"
notes=$work/notes.txt
: > "$notes"
note() { echo "$*" >> "$notes"; }

CC=${CC:-cc}

# --- build -----------------------------------------------------------
if ! $CC -std=c11 -O2 -o "$out/gen" "$here/gen.c"; then
	echo "run.sh: cannot build gen.c" >&2
	exit 2
fi
PAIRS=
if [ -f "$top/common/libcdp.a" ] && $CC -std=c11 -D_GNU_SOURCE -O2 -I"$top/common" \
    -o "$out/pairs" "$here/pairs.c" "$top/common/libcdp.a" \
    -lcsv -lyajl -lnettle -ldeflate -lz -lopenblas -lm -lpthread 2> "$work/pairs.err"; then
	PAIRS=$out/pairs
else
	note "pairs.c did not build against common/libcdp.a: no precision/recall ($(head -c 200 "$work/pairs.err"))"
fi

# --- data --------------------------------------------------------------
# Reused while it is newer than gen.c (SCALE=1000000 is about 3 GB).
if [ -z "$(find "$data/.done" -newer "$here/gen.c" 2> /dev/null)" ]; then
	rm -rf "$data"
	t0=$(date +%s%N)
	"$out/gen" -n "$scale" -s "$seed" -o "$data" || exit 2
	t1=$(date +%s%N)
	touch "$data/.done"
	echo "generated $data in $(awk "BEGIN{printf \"%.2f\", ($t1-$t0)/1e9}") s"
fi
FILES="crm.csv newsletter.csv shop_orders.csv till_orders.csv web_events.jsonl"
total_bytes=0
total_rows=0
for f in $FILES; do
	b=$(wc -c < "$data/$f")
	l=$(wc -l < "$data/$f")
	case $f in *.csv) l=$((l - 1)) ;; esac
	eval "bytes_${f%%.*}=$b rows_${f%%.*}=$l"
	total_bytes=$((total_bytes + b))
	total_rows=$((total_rows + l))
done

# --- timing ------------------------------------------------------------
TIME=
if [ -x /usr/bin/time ]; then
	TIME=/usr/bin/time
else
	note "no /usr/bin/time: peak RSS not measured (apt-get install time)"
fi

# measure GROUP STEP KIND ROWS BYTES OUTFILE cmd ...
# Appends one line to $res: group step kind seconds rows bytes rss_kb status.
# Wall time comes from the clock around the command (nanoseconds), peak
# RSS from /usr/bin/time.
measure() {
	m_group=$1 m_step=$2 m_kind=$3 m_rows=$4 m_bytes=$5 m_out=$6
	shift 6
	m_err="$work/err.$m_group.$m_kind"
	rm -f "$work/duck.time"
	m_t0=$(date +%s%N)
	if [ -n "$TIME" ]; then
		"$TIME" -f '%M' -o "$work/rss" "$@" > "$m_out" 2> "$m_err"
	else
		"$@" > "$m_out" 2> "$m_err"
	fi
	m_rc=$?
	m_t1=$(date +%s%N)
	m_rss=-
	[ -n "$TIME" ] && m_rss=$(tail -n 1 "$work/rss")
	m_st=ok
	[ "$m_rc" -ne 0 ] && m_st="exit $m_rc"
	m_sec=$(awk "BEGIN{printf \"%.4f\", ($m_t1-$m_t0)/1e9}")
	# The node driver times DuckDB's own work, without node's start-up.
	[ -s "$work/duck.time" ] && m_sec=$(cat "$work/duck.time")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m_group" "$m_step" "$m_kind" "$m_sec" \
	    "$m_rows" "$m_bytes" "$m_rss" "$m_st" >> "$res"
	if [ "$m_rc" -gt 1 ]; then
		note "$m_step: exit $m_rc: $(head -c 300 "$m_err" | tr '\n' ' ')"
	fi
	return "$m_rc"
}

skip() {
	printf '%s\t%s\t%s\t-\t-\t-\t-\tskipped (not built)\n' "$1" "$2" cdp >> "$res"
}

have() { [ -x "$top/$1" ]; }

echo "bench: SCALE=$scale seed=$seed, $total_rows input rows, $total_bytes bytes, $(nproc) cores"

# --- the floor: cat and wc -l over the same bytes ------------------------
# cat's output goes through a pipe: GNU cat straight to /dev/null may
# hand the copy to the kernel (copy_file_range), which then moves no bytes.
catpipe='cat "$@" | cat > /dev/null'
for f in $FILES; do
	n=${f%%.*}
	eval "r=\$rows_$n b=\$bytes_$n"
	measure "import:$n" "cat $f" floor "$r" "$b" /dev/null sh -c "$catpipe" sh "$data/$f"
	measure "import:$n" "wc -l $f" floor "$r" "$b" /dev/null wc -l "$data/$f"
done
set --
for f in $FILES; do set -- "$@" "$data/$f"; done
measure all "cat (all inputs)" floor "$total_rows" "$total_bytes" /dev/null sh -c "$catpipe" sh "$@"
measure all "wc -l (all inputs)" floor "$total_rows" "$total_bytes" /dev/null wc -l "$@"

# --- cdp ---------------------------------------------------------------
rm -rf "$store"
import_opts() {
	case $1 in
	crm.csv) echo "" ;;
	newsletter.csv) echo "--delimiter ;" ;;
	shop_orders.csv) echo "--event order --timezone Europe/Berlin" ;;
	till_orders.csv) echo "--delimiter ; --day-first --timezone Europe/Berlin --event order" ;;
	web_events.jsonl) echo "" ;;
	esac
}
THREADS_OPT=
[ -n "${BENCH_THREADS:-}" ] && THREADS_OPT="--threads $BENCH_THREADS"
echo "bench: cdp-import ${THREADS_OPT:-with its default threads (CDP_THREADS=${CDP_THREADS:-unset}, $(nproc) processors)}"
if have cdp-import; then
	for f in $FILES; do
		n=${f%%.*}
		eval "r=\$rows_$n b=\$bytes_$n"
		# shellcheck disable=SC2046
		measure "import:$n" "cdp-import $f" cdp "$r" "$b" /dev/null \
		    "$top/cdp-import" -q -s "$store" --default-country DE \
		    --rejects "$work/$n.rejects.csv" $THREADS_OPT $(import_opts "$f") "$data/$f"
	done
else
	for f in $FILES; do skip "import:${f%%.*}" "cdp-import $f"; done
fi

if have cdp-merge; then
	rm -f "$work/pairs.out"
	if measure merge "cdp-merge" cdp "$total_rows" "$total_bytes" "$work/merge.out" \
	    "$top/cdp-merge" -s "$store" --as-of "$NOW" && [ -n "$PAIRS" ]; then
		"$PAIRS" "$store" "$data/truth.csv" > "$work/pairs.out" 2>&1 ||
		    note "pairs: $(cat "$work/pairs.out")"
	fi
else
	skip merge cdp-merge
fi

Q1='country = "DE"'
Q2='count(product_added within 7d) >= 1 and count(order_completed within 7d) = 0'
Q3="$Q1 and $Q2"
if have cdp-segment; then
	measure seg1 "cdp-segment attribute" cdp "$total_rows" "$total_bytes" "$work/seg1.ids" \
	    "$top/cdp-segment" -s "$store" --all --as-of "$NOW" "$Q1"
	measure seg2 "cdp-segment behaviour" cdp "$total_rows" "$total_bytes" "$work/seg2.ids" \
	    "$top/cdp-segment" -s "$store" --all --as-of "$NOW" "$Q2"
	measure seg3 "cdp-segment combined" cdp "$total_rows" "$total_bytes" "$work/seg3.ids" \
	    "$top/cdp-segment" -s "$store" --all --as-of "$NOW" "$Q3"
else
	skip seg1 "cdp-segment attribute"
	skip seg2 "cdp-segment behaviour"
	skip seg3 "cdp-segment combined"
fi

for fmt in csv tsv jsonl; do
	if have cdp-export; then
		measure "export:$fmt" "cdp-export --format $fmt" cdp "$total_rows" "$total_bytes" \
		    /dev/null "$top/cdp-export" -q -s "$store" --all --format "$fmt"
	else
		skip "export:$fmt" "cdp-export --format $fmt"
	fi
done

store_kb=$(du -sk "$store" 2> /dev/null | cut -f1)

# 1,000 people to forget: evenly spaced CRM rows, their e-mail as the
# generator wrote it (normalized here: trimmed, lower case), placeholders
# left out.
step=$((rows_crm / 1000))
[ "$step" -lt 1 ] && step=1
awk -F, -v step="$step" 'NR > 1 && (NR - 2) % step == 0 {
	e = tolower($4); gsub(/ /, "", e)
	if (e ~ /@/ && e != "test@test.com") print e
}' "$data/crm.csv" | head -n 1000 > "$work/forget.emails"
nforget=$(wc -l < "$work/forget.emails")
if have cdp-forget; then
	awk '{ print "--email"; print }' "$work/forget.emails" > "$work/forget.args"
	measure forget "cdp-forget ($nforget people)" cdp "$total_rows" "$total_bytes" \
	    "$work/forget.out" xargs -d '\n' -a "$work/forget.args" \
	    "$top/cdp-forget" -s "$store" --reference bench
else
	skip forget "cdp-forget ($nforget people)"
fi

# --- peers ---------------------------------------------------------------
peers=${BENCH_PEERS:-0}
[ "${BENCH_NOPEERS:-0}" = 1 ] && peers=skip
apt_install() {
	[ "$(id -u)" = 0 ] || { note "not root: cannot apt-get install $*"; return 1; }
	[ -f "$work/.apt-updated" ] || { apt-get update -qq > /dev/null 2>&1; touch "$work/.apt-updated"; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" > "$work/apt.log" 2>&1
}

DUCK=
SQLITE=
if [ "$peers" != skip ]; then
	if command -v sqlite3 > /dev/null 2>&1; then
		SQLITE=sqlite3
	elif [ "$peers" = 1 ] && apt_install sqlite3; then
		SQLITE=sqlite3
	fi
	if command -v duckdb > /dev/null 2>&1; then
		DUCK=cli
	elif [ -d "$out/peers/node_modules/@duckdb/node-api" ] && command -v node > /dev/null 2>&1; then
		DUCK=node
	elif [ "$peers" = 1 ]; then
		if apt-cache policy duckdb 2> /dev/null | grep -q 'Candidate: [0-9]' &&
		    apt_install duckdb; then
			DUCK=cli
		else
			command -v npm > /dev/null 2>&1 || apt_install nodejs npm
			mkdir -p "$out/peers"
			if (cd "$out/peers" && npm install --no-audit --no-fund --silent \
			    @duckdb/node-api > "$work/npm.log" 2>&1); then
				DUCK=node
			else
				note "duckdb: neither the apt package nor npm @duckdb/node-api could be installed"
			fi
		fi
	fi
	[ -z "$SQLITE" ] && note "sqlite3: not installed (BENCH_PEERS=1 installs it)"
	[ -z "$DUCK" ] && note "duckdb: not installed (BENCH_PEERS=1 installs it)"
fi

# $DUCKRUN FILE SQL: the duckdb command, or the node driver duck.mjs.
duckdb_file=$work/peer.duckdb
DUCKRUN=
[ "$DUCK" = cli ] && DUCKRUN=duckdb
[ "$DUCK" = node ] && DUCKRUN="node $out/peers/duck.mjs"

D=$data
if [ -n "$DUCK" ]; then
	[ "$DUCK" = node ] && cp "$here/duck.mjs" "$out/peers/duck.mjs"
	rm -f "$duckdb_file" "$duckdb_file.wal"
	[ "$DUCK" = node ] && note "duckdb (node driver @duckdb/node-api): time is DuckDB's own (open, run, close), node's start-up left out; its RSS includes node (~50 MiB)"
	DUCK_TIME=$work/duck.time
	export DUCK_TIME
	for f in $FILES; do
		n=${f%%.*}
		eval "r=\$rows_$n b=\$bytes_$n"
		case $f in
		newsletter.csv) src="read_csv('$D/$f', delim=';')" ;;
		till_orders.csv) src="read_csv('$D/$f', delim=';', timestampformat='%d.%m.%Y %H:%M')" ;;
		*.csv) src="read_csv('$D/$f')" ;;
		*.jsonl) src="read_json('$D/$f', format='newline_delimited')" ;;
		esac
		measure "import:$n" "duckdb import $f" duckdb "$r" "$b" /dev/null \
		    $DUCKRUN "$duckdb_file" \
		    "CREATE TABLE $n AS SELECT * FROM $src"
	done
	W="\"timestamp\" >= TIMESTAMP '$WEEK_AGO' AND \"timestamp\" < TIMESTAMP '2025-07-01 00:00:00'"
	ID="coalesce(userId, user_id, anonymousId, anonymous_id)"
	DQ1="SELECT DISTINCT customer_id FROM crm WHERE country = 'DE' ORDER BY 1"
	DQ2="SELECT $ID AS id FROM web_events WHERE $W GROUP BY id HAVING count(*) FILTER (WHERE event = 'Product Added') >= 1 AND count(*) FILTER (WHERE event = 'Order Completed') = 0 ORDER BY 1"
	DQ3="SELECT $ID AS id FROM web_events WHERE $W GROUP BY id HAVING count(*) FILTER (WHERE event = 'Product Added') >= 1 AND count(*) FILTER (WHERE event = 'Order Completed') = 0 AND id IN (SELECT customer_id FROM crm WHERE country = 'DE') ORDER BY 1"
	i=1
	for q in "$DQ1" "$DQ2" "$DQ3"; do
		measure "seg$i" "duckdb segment $i" duckdb "$total_rows" "$total_bytes" /dev/null \
		    $DUCKRUN "$duckdb_file" \
		    "COPY ($q) TO '$work/duck_q$i.csv' (HEADER false)"
		i=$((i + 1))
	done
	duck_kb=$(($(wc -c < "$duckdb_file") / 1024))
fi

sqlite_file=$work/peer.sqlite
if [ -n "$SQLITE" ]; then
	rm -f "$sqlite_file"
	for f in $FILES; do
		n=${f%%.*}
		eval "r=\$rows_$n b=\$bytes_$n"
		case $f in
		newsletter.csv | till_orders.csv)
			cmds=".mode csv
.separator ;
.import $D/$f $n" ;;
		*.csv)
			cmds=".mode csv
.import $D/$f $n" ;;
		*.jsonl)
			# No JSON Lines reader: each line into one column, then the
			# fields the segments need pulled out next to the document.
			cmds="CREATE TABLE raw(j TEXT);
.mode ascii
.separator \"\\037\" \"\\n\"
.import $D/$f raw
CREATE TABLE $n AS SELECT coalesce(j->>'\$.userId', j->>'\$.user_id', j->>'\$.anonymousId', j->>'\$.anonymous_id') AS id, j->>'\$.event' AS event, j->>'\$.timestamp' AS ts, j FROM raw;
DROP TABLE raw;" ;;
		esac
		printf '%s\n' "$cmds" > "$work/sqlite.cmd"
		measure "import:$n" "sqlite3 .import $f" sqlite3 "$r" "$b" /dev/null \
		    sqlite3 -bail -init "$work/sqlite.cmd" "$sqlite_file" .quit
	done
	W="ts >= '2025-06-24T00:00:00' AND ts < '2025-07-01'"
	SQ1="SELECT DISTINCT customer_id FROM crm WHERE country = 'DE' ORDER BY 1;"
	SQ2="SELECT id FROM web_events WHERE $W GROUP BY id HAVING sum(event = 'Product Added') >= 1 AND sum(event = 'Order Completed') = 0 ORDER BY 1;"
	SQ3="SELECT id FROM web_events WHERE $W AND id IN (SELECT customer_id FROM crm WHERE country = 'DE') GROUP BY id HAVING sum(event = 'Product Added') >= 1 AND sum(event = 'Order Completed') = 0 ORDER BY 1;"
	i=1
	for q in "$SQ1" "$SQ2" "$SQ3"; do
		measure "seg$i" "sqlite3 segment $i" sqlite3 "$total_rows" "$total_bytes" \
		    "$work/sqlite_q$i.txt" sqlite3 "$sqlite_file" "$q"
		i=$((i + 1))
	done
	sqlite_kb=$(($(wc -c < "$sqlite_file") / 1024))
fi

# --- the table -----------------------------------------------------------
echo
awk -F '\t' -v scale="$scale" \
    -v store_kb="${store_kb:-0}" -v duck_kb="${duck_kb:-0}" -v sqlite_kb="${sqlite_kb:-0}" \
    -v input_bytes="$total_bytes" -v pairs="$(cat "$work/pairs.out" 2> /dev/null)" \
    -v mergeout="$(tail -n 1 "$work/err.merge.cdp" 2> /dev/null)" '
function fmt(x) { return x == "" ? "-" : sprintf("%.2f", x) }
function ratio(a, b) { return (a == "" || b == "" || b <= 0) ? "-" : sprintf("%.2f", a / b) }
{
	n++
	grp[n] = $1; step[n] = $2; kind[n] = $3; sec[n] = $4; rows[n] = $5
	bytes[n] = $6; rss[n] = $7; st[n] = $8
	if ($4 == "-" || $8 != "ok" && $8 != "exit 1")
		next
	s = $4
	if ($3 == "cdp" && $1 ~ /^import:/) { cdpimp += s }
	if ($3 == "duckdb" && $1 ~ /^import:/) { duckimp += s }
	if ($3 == "sqlite3" && $1 ~ /^import:/) { sqliteimp += s }
	if ($3 == "floor" && $2 ~ /^cat /) { cat[$1] = s }
	if ($3 == "floor" && $2 ~ /^wc /) { wc[$1] = s }
	if ($3 == "duckdb") duck[$1] = s
	if ($3 == "sqlite3") sq[$1] = s
}
END {
	printf "%-34s %9s %11s %8s %8s %7s %7s %8s %8s  %s\n", "step", "seconds", "rows/s", "MB/s", "RSS MiB", "x cat", "x wc", "x duckdb", "x sqlite", "notes"
	for (i = 1; i <= n; i++) {
		g = grp[i]
		if (sec[i] == "-") {
			printf "%-34s %9s %11s %8s %8s %7s %7s %8s %8s  %s\n", step[i], "-", "-", "-", "-", "-", "-", "-", "-", st[i]
			continue
		}
		fc = (g in cat) ? cat[g] : cat["all"]
		fw = (g in wc) ? wc[g] : wc["all"]
		notes = (st[i] == "ok") ? "" : st[i] (st[i] == "exit 1" ? " (rows rejected)" : " FAILED")
		rd = ""; rs = ""
		if (kind[i] == "cdp") {
			rd = ratio(sec[i], duck[g]); rs = ratio(sec[i], sq[g])
			best = ""
			if (g in duck) best = duck[g]
			if ((g in sq) && (best == "" || sq[g] < best)) best = sq[g]
			if (best != "" && sec[i] > best)
				notes = notes sprintf(" MISS: %.2fx the fastest peer (target <= 1)", sec[i] / best)
			if (g ~ /^import:/ && (g in duck) && sec[i] > duck[g] / 2)
				notes = notes sprintf(" MISS: %.2fx DuckDB time (target <= 0.5)", sec[i] / duck[g])
			if (g == "merge" && rows[i] / sec[i] < 1e6)
				notes = notes sprintf(" MISS: %.2fM rec/s (target >= 1M, %.1fx short)", rows[i] / sec[i] / 1e6, 1e6 / (rows[i] / sec[i]))
			if (g ~ /^seg/ && sec[i] >= 1)
				notes = notes sprintf(" MISS: %.2f s (target < 1 s)", sec[i])
			if (rss[i] != "-" && rss[i] > 4 * 1024 * 1024)
				notes = notes sprintf(" MISS: RSS %.0f MiB (target < 4096)", rss[i] / 1024)
		}
		printf "%-34s %9.3f %11.0f %8.1f %8s %7s %7s %8s %8s  %s\n", step[i], sec[i],
		    rows[i] / (sec[i] > 0 ? sec[i] : 1e-9), bytes[i] / 1e6 / (sec[i] > 0 ? sec[i] : 1e-9),
		    rss[i] == "-" ? "-" : sprintf("%.0f", rss[i] / 1024),
		    kind[i] == "floor" ? "" : ratio(sec[i], fc), kind[i] == "floor" ? "" : ratio(sec[i], fw),
		    rd, rs, notes
	}
	printf "\n"
	if (cdpimp > 0) {
		printf "import, all files: cdp %.3f s (%.1f MB/s)", cdpimp, input_bytes / 1e6 / cdpimp
		if (duckimp > 0) printf ", duckdb %.3f s (%.1f MB/s; cdp %.2fx its time, target <= 0.5)", duckimp, input_bytes / 1e6 / duckimp, cdpimp / duckimp
		if (sqliteimp > 0) printf ", sqlite3 %.3f s (cdp %.2fx its time)", sqliteimp, cdpimp / sqliteimp
		printf ", cat %.3f s (cdp %.1fx)\n", cat["all"], cdpimp / cat["all"]
	}
	if (store_kb > 0) {
		printf "store: %.1f MiB for %.1f MiB of input (%.2f of input size)", store_kb / 1024, input_bytes / 1048576, store_kb * 1024 / input_bytes
		if (duck_kb > 0) printf "; duckdb file %.1f MiB (store %.2fx it%s)", duck_kb / 1024, store_kb / duck_kb, (store_kb > duck_kb ? ", MISS: target <= 1" : "")
		if (sqlite_kb > 0) printf "; sqlite file %.1f MiB", sqlite_kb / 1024
		printf " (store before forget)\n"
	}
	if (mergeout != "") printf "merge: %s\n", mergeout
	if (pairs != "") printf "merge links vs truth: %s\n", pairs
	if (scale != 1000000) printf "(targets are stated for SCALE=1000000 on 2 cores; this run is SCALE=%s)\n", scale
}' "$res"
if [ -s "$notes" ]; then
	echo
	sed 's/^/note: /' "$notes"
fi
# the nightly scenario: a day's batch on a store of SCALE people (nightly.sh)
if [ "${BENCH_NIGHTLY:-1}" = 1 ]; then
	echo
	BENCH_OUT=$out BENCH_SEED=$seed sh "$here/nightly.sh" "$scale"
fi
# cdp-recommend: its own data with taste structure (rec.sh, recgen.c)
if have cdp-recommend && [ "${BENCH_REC:-1}" = 1 ]; then
	echo
	sh "$here/rec.sh" "$scale"
fi
# identity resolution: duplicates with typos, exact and probabilistic (match.sh, dupgen.c)
if have cdp-merge && [ "${BENCH_MATCH:-1}" = 1 ]; then
	echo
	sh "$here/match.sh" "$scale"
fi
exit 0
