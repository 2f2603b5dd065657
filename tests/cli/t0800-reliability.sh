#!/bin/sh
# Reliability (issue 8): a store that runs unattended from cron must
# never lose data, never show a half-written state and never crash on
# bad input.  This file kills writers with SIGKILL at random times and
# at every write, runs overlapping writers and readers as real
# processes, damages every file of a store, feeds inputs past every
# limit, and fills a small real file system.
#
# The random kills use awk's generator with a printed seed; rerun a
# failure with CDP_SEED=N.  Under the sanitizer build (CDP_BIN ending
# in .build-san) the counts and sizes shrink, since every program runs
# several times slower there; the optimized run always kills >= 200.
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
. "$(dirname "$SELF")/lib.sh"

case $CDP_BIN in
*.build-san | *.build-san/) SAN=1 ;;
*) SAN= ;;
esac
SEED=${CDP_SEED:-$(date +%s)}
export CDP_SEED=$SEED

# A row count per generated input, so the sizes stay in one place.
if [ -n "$SAN" ]; then
	KILL_ROWS=2000 KILL_ROUNDS=13 WRITER_ROUNDS=3
else
	KILL_ROWS=12000 KILL_ROUNDS=55 WRITER_ROUNDS=10
fi

# people N PREFIX: a CRM-like CSV of N rows with distinct identifiers.
people() {
	awk -v n="$1" -v p="$2" 'BEGIN {
		print "customer_id,email,first_name,country,amount,created_at"
		for (i = 1; i <= n; i++)
			printf "%s%d,%s%d@example.com,N%d,DE,%d.%02d,2024-01-%02dT10:%02d:00Z\n",
			    p, i, p, i, i, i % 300, i % 100, 1 + i % 28, i % 60
	}'
}

# events N PREFIX: JSON Lines order events for N/4 known customers.
events() {
	awk -v n="$1" -v p="$2" 'BEGIN {
		for (i = 1; i <= n; i++)
			printf "{\"type\":\"track\",\"event\":\"Order Completed\",\"userId\":\"%s%d\",\"messageId\":\"%s-m%d\",\"timestamp\":\"2024-03-%02dT10:00:00Z\",\"properties\":{\"revenue\":%d.5,\"sku\":\"S%d\"}}\n",
			    p, i % (n / 4 + 1), p, i, 1 + i % 28, i % 90, i % 30
	}'
}

# state: one hash over every table a user can read; two stores show
# the same state exactly when their hashes are equal.
state() {
	for t in records profiles links idmap merges refusals; do
		echo "table $t"
		cdp-store dump --table "$t" --format jsonl || echo "dump of $t failed"
	done 2>&1 | md5sum | cut -c1-32
}

ms_now() {
	date +%s%N | cut -c1-13
}

# after_kill STORE BEFORE AFTER command...: what must hold after a
# writer was killed: verify passes, the store shows exactly the state
# before or the state after, and rerunning the command completes.
after_kill() {
	ak_store=$1 ak_before=$2 ak_after=$3
	shift 3
	if ! CDP_STORE=$ak_store cdp-store verify; then
		echo "verify failed after a kill of: $*"
		return 1
	fi
	ak_now=$(CDP_STORE=$ak_store state)
	if [ "$ak_now" = "$ak_before" ]; then
		ak_rc=0
		CDP_STORE=$ak_store "$@" >/dev/null 2>&1 || ak_rc=$?
		if [ "$ak_rc" -ne 0 ]; then
			echo "rerun after a kill failed with $ak_rc: $*"
			return 1
		fi
		ak_now=$(CDP_STORE=$ak_store state)
	fi
	if [ "$ak_now" != "$ak_after" ]; then
		echo "after a kill the store is neither before nor after: $*"
		CDP_STORE=$ak_store cdp-store info
		return 1
	fi
	return 0
}

# reference BASE STORE command...: run the command to completion on a
# copy of BASE; prints "milliseconds state-hash".
reference() {
	rf_base=$1 rf_store=$2
	shift 2
	rm -rf "$rf_store"
	cp -a "$rf_base" "$rf_store"
	rf_t0=$(ms_now)
	CDP_STORE=$rf_store "$@" >/dev/null 2>&1
	rf_t1=$(ms_now)
	echo "$((rf_t1 - rf_t0)) $(CDP_STORE=$rf_store state)"
}

# kill_random ID KILLS BASE command...: start the command on a fresh
# copy of BASE, kill -9 it after a random part of its running time, and
# check what must hold; until KILLS runs were really killed (exit status
# 137; a run may end before its kill).  Appends a line per kill to
# $T/kills.
kill_random() {
	kr_id=$1 kr_want=$2 kr_base=$3
	shift 3
	kr_store=$T/kill-$kr_id
	set -- $(reference "$kr_base" "$kr_store" "$@") "$@"
	kr_ms=$1 kr_after=$2
	shift 2
	kr_before=$(CDP_STORE=$kr_base state)
	test "$kr_before" != "$kr_after"
	# Each delay is a random part of the running time.  A run that ends
	# before its kill shows runs are faster than the reference was (on
	# a busy machine it can be far slower): later delays are then taken
	# as parts of that run's delay, which it finished within.
	awk -v s="$SEED$kr_id" -v n=$((kr_want * 3)) 'BEGIN {
		srand(s)
		for (i = 0; i < n; i++)
			printf "%.6f\n", rand()
	}' >"$T/delays-$kr_id"
	kr_kills=0
	while [ "$kr_kills" -lt "$kr_want" ] && read -r kr_part; do
		kr_delay=$(awk -v p="$kr_part" -v ms="$kr_ms" 'BEGIN { printf "%.4f", p * ms / 1000 }')
		rm -rf "$kr_store"
		cp -a "$kr_base" "$kr_store"
		CDP_STORE=$kr_store "$@" >/dev/null 2>&1 &
		kr_pid=$!
		sleep "$kr_delay"
		kill -9 "$kr_pid" 2>/dev/null || :
		kr_rc=0
		wait "$kr_pid" 2>/dev/null || kr_rc=$?
		if [ "$kr_rc" -eq 137 ]; then
			echo "$kr_id $kr_delay" >>"$T/kills"
			kr_kills=$((kr_kills + 1))
		elif [ "$kr_rc" -ne 0 ]; then
			echo "unkilled run exited $kr_rc: $*"
			return 1
		else
			kr_ms=$(awk -v d="$kr_delay" 'BEGIN { printf "%d", d * 1000 + 1 }')
		fi
		after_kill "$kr_store" "$kr_before" "$kr_after" "$@" || return 1
	done <"$T/delays-$kr_id"
	if [ "$kr_kills" -lt "$kr_want" ]; then
		echo "only $kr_kills of $kr_want runs were killed: $*"
		return 1
	fi
}

# kill_every ID BASE command...: CDP_KILL_AT=1, 2, ... until the
# command runs to its end; the same checks after each kill.
kill_every() {
	ke_id=$1 ke_base=$2
	shift 2
	ke_store=$T/kill-$ke_id
	set -- $(reference "$ke_base" "$ke_store" "$@") "$@"
	ke_after=$2
	shift 2
	ke_before=$(CDP_STORE=$ke_base state)
	ke_n=1
	while :; do
		rm -rf "$ke_store"
		cp -a "$ke_base" "$ke_store"
		ke_rc=0
		CDP_STORE=$ke_store CDP_KILL_AT=$ke_n "$@" >/dev/null 2>&1 || ke_rc=$?
		[ "$ke_rc" -eq 137 ] || break
		echo "$ke_id at-$ke_n" >>"$T/kills"
		after_kill "$ke_store" "$ke_before" "$ke_after" "$@" || return 1
		ke_n=$((ke_n + 1))
	done
	test "$ke_rc" -eq 0
	test "$(CDP_STORE=$ke_store state)" = "$ke_after"
	test "$ke_n" -gt 2
}

# Stores to start from: a merged store (for imports and forget), and
# the same with one more batch imported but not merged (for merge).
make_bases() {
	people 300 base- >base.csv
	people "$KILL_ROWS" p- >people.csv
	events "$KILL_ROWS" p- >events.jsonl
	people $((KILL_ROWS / 2)) q- >more.csv
	CDP_STORE=$T/base-import cdp-import -q base.csv
	CDP_STORE=$T/base-import cdp-merge -q
	cp -a "$T/base-import" "$T/base-merge"
	CDP_STORE=$T/base-merge cdp-import -q more.csv
	CDP_STORE=$T/base-merge cdp-import -q events.jsonl
}

test_random_kills_leave_before_or_after() {
	make_bases
	: >"$T/kills"
	w=$PWD
	# Two workers at once: each has its own stores, and the machine
	# has two cores.
	(
		set -e
		kill_random csv "$KILL_ROUNDS" "$T/base-import" cdp-import -q "$w/people.csv"
		kill_random merge "$KILL_ROUNDS" "$T/base-merge" cdp-merge -q
		kill_every csv-at "$T/base-import" cdp-import -q "$w/people.csv"
		kill_every merge-at "$T/base-merge" cdp-merge -q
	) &
	p1=$!
	(
		set -e
		kill_random jsonl "$KILL_ROUNDS" "$T/base-import" cdp-import -q "$w/events.jsonl"
		kill_random merge2 "$KILL_ROUNDS" "$T/base-merge" cdp-merge -q
		kill_every jsonl-at "$T/base-import" cdp-import -q "$w/events.jsonl"
		kill_random forget "$KILL_ROUNDS" "$T/base-import" \
		    cdp-forget --email base-7@example.com --reference t0800
		kill_every forget-at "$T/base-import" \
		    cdp-forget --email base-8@example.com --reference t0800
	) &
	p2=$!
	r1=0 r2=0
	wait "$p1" || r1=$?
	wait "$p2" || r2=$?
	kills=$(grep -c '' "$T/kills")
	echo "# $kills kills survived"
	test "$r1" -eq 0
	test "$r2" -eq 0
	if [ -z "$SAN" ]; then
		test "$kills" -ge 200
	else
		test "$kills" -ge 50
	fi
}

# subset_sums N...: every sum of a subset of the numbers, one a line.
subset_sums() {
	echo "$@" | awk '{
		s[0] = 1
		for (i = 1; i <= NF; i++) {
			n = 0
			for (k in s)
				add[n++] = k + $i
			for (j = 0; j < n; j++)
				s[add[j]] = 1
		}
		for (k in s)
			print k
	}' | sort
}

# One round: N imports and a merge start at once on one store while
# readers count rows in a loop.
writers_round() {
	wr_n=$1
	wr_store=$T/conc
	rm -rf "$wr_store" "$T/conc-stop"
	people 50 base- >base.csv
	CDP_STORE=$wr_store cdp-import -q base.csv
	sizes=
	i=1
	while [ $i -le "$wr_n" ]; do
		sz=$((100 * i + i * i))
		people $sz "w$i-" >"w$i.csv"
		sizes="$sizes $sz"
		i=$((i + 1))
	done
	subset_sums $sizes | awk '{ print $1 + 50 }' | sort >valid
	# Readers: records counts and profile reads, until told to stop.
	(
		while [ ! -e "$T/conc-stop" ]; do
			rc=0
			CDP_STORE=$wr_store cdp-store dump --format jsonl >rd.out 2>rd.err || rc=$?
			echo "$rc $(grep -c '' rd.out)"
			rc=0
			CDP_STORE=$wr_store cdp-store dump --table profiles --format jsonl >/dev/null 2>>rd.err || rc=$?
			echo "$rc profiles"
		done
	) >reads &
	rp=$!
	pids=
	i=1
	while [ $i -le "$wr_n" ]; do
		CDP_STORE=$wr_store cdp-import -q --wait 30 "w$i.csv" &
		pids="$pids $!"
		if [ $i -eq 1 ]; then
			CDP_STORE=$wr_store cdp-merge -q --wait 30 &
			pids="$pids $!"
		fi
		i=$((i + 1))
	done
	bad=0
	for p in $pids; do
		wait "$p" || bad=$((bad + 1))
	done
	touch "$T/conc-stop"
	wait "$rp"
	test "$bad" -eq 0
	# Every read succeeded and saw a serial state: the base plus whole
	# batches.
	if grep -v '^0 ' reads; then
		cat rd.err
		return 1
	fi
	test "$(grep -c ' profiles$' reads)" -ge 1
	awk '$2 != "profiles" { print $2 }' reads | sort -u >seen
	if [ -n "$(comm -23 seen valid)" ]; then
		echo "readers saw counts that no serial order gives:"
		comm -23 seen valid
		return 1
	fi
	# The end state has every batch whole, each under its own batch id.
	CDP_STORE=$wr_store cdp-store verify
	test "$(grep -c '^batch ' "$wr_store/MANIFEST")" -eq $((wr_n + 1))
	CDP_STORE=$wr_store cdp-store dump --format jsonl |
	    jq -r '[._source, ._batch] | @tsv' | sort | uniq -c |
	    awk '{ print $2, $1 }' >per-source
	test "$(cut -d' ' -f1 per-source | sort -u | grep -c '')" -eq $((wr_n + 1))
	test "$(awk '{ print $1 }' per-source | sort | uniq -d | grep -c '')" -eq 0
	grep -qx 'base 50' per-source
	i=1
	while [ $i -le "$wr_n" ]; do
		grep -qx "w$i $((100 * i + i * i))" per-source
		i=$((i + 1))
	done
	# A final merge gives what merging the same batches serially gives:
	# every customer is distinct, so one profile per record.
	CDP_STORE=$wr_store cdp-merge -q
	total=$(CDP_STORE=$wr_store cdp-store dump --format jsonl | grep -c '')
	test "$(CDP_STORE=$wr_store cdp-store dump --table profiles --format jsonl | grep -c '')" -eq "$total"
}

test_overlapping_writers_serialize() {
	r=1
	while [ $r -le "$WRITER_ROUNDS" ]; do
		writers_round $((2 + (r - 1) % 7))
		r=$((r + 1))
	done
	writers_round 8
}

# hold_lock: start a real writer that takes the lock and then blocks
# reading stdin from a fifo; sets holder and feeder pids.
hold_lock() {
	rm -f lockfifo
	mkfifo lockfifo
	sleep 20 >lockfifo &
	feeder=$!
	cdp-import -q --source held - <lockfifo &
	holder=$!
	i=0
	while flock -n "$CDP_STORE/LOCK" true; do
		i=$((i + 1))
		test $i -lt 200
		sleep 0.05
	done
}

release_lock() {
	kill -9 "$holder" 2>/dev/null || :
	wait "$holder" || :
	kill "$feeder" 2>/dev/null || :
	wait "$feeder" || :
}

test_lock_no_wait_wait_and_no_stale_lock() {
	people 20 a- >a.csv
	people 30 b- >b.csv
	cdp-import -q a.csv
	before=$(state)
	hold_lock
	expect_status 75 cdp-import -q --no-wait b.csv 2>err
	grep -q locked err
	grep -q 'cdp-import' err
	expect_status 75 cdp-merge -q --no-wait 2>err
	grep -q locked err
	# --wait bounds the wait.
	t0=$(ms_now)
	expect_status 75 cdp-import -q --wait 1 b.csv 2>err
	t1=$(ms_now)
	grep -q locked err
	test $((t1 - t0)) -ge 900
	test $((t1 - t0)) -lt 5000
	# A writer killed while holding the lock leaves no stale lock: the
	# next one proceeds at once, and the killed one changed nothing.
	release_lock
	test "$(state)" = "$before"
	cdp-import -q --no-wait b.csv
	cdp-store verify
	test "$(cdp-store dump --format jsonl | grep -c '')" -eq 50
	# A waiting writer gets the lock as soon as the holder is killed.
	people 10 c- >c.csv
	hold_lock
	cdp-import -q --wait 30 c.csv &
	waiter=$!
	sleep 0.3
	release_lock
	wait "$waiter"
	test "$(cdp-store dump --format jsonl | grep -c '')" -eq 60
}

# damage_checks FILE TABLE: with FILE damaged, verify and dump of TABLE
# both exit 4 (damage), naming the file and neither crashing.
damage_checks() {
	dc_what=$1 dc_file=$2 dc_table=$3
	dc_rc=0
	cdp-store verify 2>err || dc_rc=$?
	if [ "$dc_rc" -ne 4 ] || ! grep -q "$dc_file" err; then
		echo "$dc_what: verify exited $dc_rc:"
		cat err
		return 1
	fi
	dc_rc=0
	cdp-store dump --table "$dc_table" >/dev/null 2>err || dc_rc=$?
	if [ "$dc_rc" -ne 4 ] || ! grep -q "$dc_file" err; then
		echo "$dc_what: dump --table $dc_table exited $dc_rc:"
		cat err
		return 1
	fi
	return 0
}

test_damage_to_any_file_is_detected() {
	people 200 a- >a.csv
	events 200 a- >e.jsonl
	cdp-import -q a.csv
	cdp-import -q e.jsonl
	cdp-merge -q
	cp -a "$CDP_STORE" "$T/pristine"
	files=$(cd "$T/pristine" && ls MANIFEST seg-*)
	bad=0
	test "$(echo "$files" | grep -c seg-)" -ge 5
	for f in $files; do
		table=$(sed -n "s/.* table=\([^ ]*\) .*file=$f.*/\1/p" "$T/pristine/MANIFEST")
		[ -n "$table" ] || table=records
		size=$(stat -c %s "$T/pristine/$f")
		offs=$(awk -v s="$SEED" -v n="$size" 'BEGIN {
			srand(s + n)
			print 0, 8, 12, int(n / 2), n - 1, int(rand() * n), int(rand() * n)
		}')
		for op in $offs trunc0 trunc1 trunchalf truncm1 delete; do
			rm -rf "$CDP_STORE"
			cp -a "$T/pristine" "$CDP_STORE"
			p=$CDP_STORE/$f
			case $op in
			trunc0) : >"$p" ;;
			trunc1) truncate -s 1 "$p" ;;
			trunchalf) truncate -s $((size / 2)) "$p" ;;
			truncm1) truncate -s $((size - 1)) "$p" ;;
			delete) rm "$p" ;;
			*)
				# Flip every bit of the byte at offset $op.
				b=$(od -An -tu1 -j "$op" -N1 "$p" | tr -d ' ')
				printf "\\$(printf %03o $((255 - b)))" |
				    dd of="$p" bs=1 seek="$op" conv=notrunc 2>/dev/null
				;;
			esac
			damage_checks "$f $op" "$f" "$table" || bad=$((bad + 1))
		done
	done
	test "$bad" -eq 0
}

test_writer_never_recreates_over_a_lost_manifest() {
	people 20 a- >a.csv
	people 20 b- >b.csv
	cdp-import -q a.csv
	ls "$CDP_STORE" | grep seg- >segs.before
	rm "$CDP_STORE/MANIFEST"
	# A store whose MANIFEST is gone must not be taken for a new one:
	# that would delete every segment as a leftover.
	rc=0
	cdp-import -q b.csv 2>err || rc=$?
	cat err
	if [ "$rc" -eq 0 ]; then
		echo "cdp-import made a new store over the old segments"
		return 1
	fi
	for s in $(cat segs.before); do
		test -f "$CDP_STORE/$s"
	done
}

# Run a command in bounded memory: ulimit -v does not suit ASan, whose
# shadow memory needs terabytes of address space.
bounded() {
	if [ -n "$SAN" ]; then
		"$@"
	else
		(ulimit -v 2097152 && "$@")
	fi
}

huge_field() {
	{
		printf 'a,b\n1,'
		head -c "$1" /dev/zero | tr '\0' x
		printf '\n2,ok\n'
	} | cdp-import --source big
}

test_limits_bounded_time_and_memory() {
	if [ -n "$SAN" ]; then big=50000000; else big=1000000000; fi
	t0=$(ms_now)
	expect_status 1 bounded huge_field $big 2>err
	t1=$(ms_now)
	cat err
	echo "# $big byte field: $((t1 - t0)) ms"
	[ -n "$SAN" ] || test $((t1 - t0)) -lt 20000
	grep -q 'longer than' "$CDP_STORE"/rejects-*.csv
	test "$(cdp-store dump --format jsonl | jq -r .b)" = ok
	test "$(stat -c %s "$CDP_STORE"/rejects-*.csv)" -lt 20000000
	cdp-store verify

	# A header with a million columns, short and long names.
	awk 'BEGIN { for (i = 1; i < 1000000; i++) printf "c%d,", i; print "c"; print "1" }' >wide.csv
	expect_status 2 bounded cdp-import -q wide.csv 2>err
	cat err
	grep -q 'wide.csv' err
	awk 'BEGIN { for (i = 1; i < 1000000; i++) printf "a,"; print "a"; print "1" }' >wide2.csv
	expect_status 2 bounded cdp-import -q wide2.csv 2>err
	grep -q 'columns' err

	# No newline anywhere.
	printf 'email,first_name\nnonl@example.com,Nora' >nonl.csv
	bounded cdp-import -q nonl.csv
	cdp-store dump --format jsonl | grep -q '"_email":"nonl@example.com"'
	printf '{"event":"x","messageId":"nonl","userId":"u9","timestamp":"2024-01-01T00:00:00Z"}' >nonl.jsonl
	bounded cdp-import -q nonl.jsonl
	cdp-store dump --format jsonl | grep -q '"_message_id":"nonl"'
	printf 'just-a-header' >h.csv
	bounded cdp-import -q h.csv
	cdp-store info | grep -q '^[0-9]* *h *person *csv *0 *0 '

	# An object nested ten thousand deep, then a good line.
	awk 'BEGIN {
		for (i = 0; i < 10000; i++) printf "{\"a\":"
		printf "1"
		for (i = 0; i < 10000; i++) printf "}"
		print ""
		print "{\"event\":\"x\",\"messageId\":\"deep\",\"userId\":\"u9\",\"timestamp\":\"2024-01-01T00:00:00Z\"}"
	}' >deep.jsonl
	t0=$(ms_now)
	expect_status 1 bounded cdp-import -q deep.jsonl
	t1=$(ms_now)
	test $((t1 - t0)) -lt 10000
	grep -q '^1,.*nested' deep.jsonl.rejects.csv
	cdp-store dump --format jsonl | grep -q '"_message_id":"deep"'
	# And an array nested as deep, and unclosed nesting.
	awk 'BEGIN { for (i = 0; i < 10000; i++) printf "["; print ""; print "{\"email\":\"x@example.com\",\"timestamp\":\"2024-01-01T00:00:00Z\"}" }' >deep2.jsonl
	rc=0
	bounded cdp-import -q deep2.jsonl || rc=$?
	# the unclosed line is rejected; the line after it still imports
	test "$rc" -eq 1
	grep -q '^1,"not a JSON object"' deep2.jsonl.rejects.csv
	cdp-store dump --format jsonl | grep -q '"_line":2,"_source":"deep2"'
	cdp-store verify
}

test_full_file_system_changes_nothing() {
	mkdir -p m
	if ! mount -t tmpfs -o size=2m tmpfs m 2>/dev/null; then
		# Not root: a user and mount namespace of its own lets this
		# test mount the tmpfs anyway (where the kernel allows them).
		if [ -z "${T0800_NS:-}" ] && unshare -rm true 2>/dev/null; then
			exec unshare -rm env T0800_NS=1 T0800_RUN=test_full_file_system_changes_nothing \
			    T0800_T="$T" sh "$SELF"
		fi
		skip --required "cannot mount a tmpfs (needs root or unshare -rm)"
	fi
	trap 'umount "$T/w/m" 2>/dev/null' EXIT
	people 100 a- >a.csv
	{
		echo customer_id,blob
		head -c 3000000 /dev/urandom | base64 -w 60 | awk '{ print NR "," $0 }'
	} >rnd.csv
	export CDP_STORE=$PWD/m/store
	cdp-import -q a.csv
	before=$(state)
	expect_status 2 cdp-import -q rnd.csv 2>err
	cat err
	grep -q 'No space left' err
	cdp-store verify
	test "$(state)" = "$before"
	test -z "$(ls m/store | grep -v -e '^LOCK$' -e '^MANIFEST$' -e '^seg-' -e '^reader-[0-9]*$')"
	# The space is given back: a small import still works.
	people 10 b- >b.csv
	cdp-import -q b.csv
	test "$(cdp-store dump --format jsonl | grep -c '')" -eq 110
	umount m
	trap - EXIT
}

# io_fault_every BASE OP command...: on a fresh copy of BASE each time,
# CDP_FAULT=OP:1, OP:2, ... until the command succeeds; each failure
# exits 2 and leaves the store as it was.  The one exception is the
# directory fsync after the new MANIFEST is renamed into place
# (store.h: store_commit returns -2): the new state is then already
# visible and cannot be taken back, so the command fails naming the
# directory and the store may show the state after.
io_fault_every() {
	fe_base=$1 fe_op=$2
	shift 2
	fe_before=$(CDP_STORE=$fe_base state)
	rm -rf "$CDP_STORE"
	cp -a "$fe_base" "$CDP_STORE"
	"$@" 2>/dev/null
	fe_after=$(state)
	fe_n=1
	while :; do
		rm -rf "$CDP_STORE"
		cp -a "$fe_base" "$CDP_STORE"
		fe_rc=0
		CDP_FAULT=$fe_op:$fe_n "$@" 2>err || fe_rc=$?
		[ "$fe_rc" -ne 0 ] || break
		if [ "$fe_rc" -ne 2 ]; then
			echo "CDP_FAULT=$fe_op:$fe_n: exit $fe_rc, not 2: $*"
			cat err
			return 1
		fi
		if ! cdp-store verify; then
			echo "CDP_FAULT=$fe_op:$fe_n: verify fails afterwards: $*"
			return 1
		fi
		fe_now=$(state)
		if [ "$fe_now" != "$fe_before" ] && ! { [ "$fe_now" = "$fe_after" ] &&
		    grep -q ": $CDP_STORE: fsync failed" err; }; then
			echo "CDP_FAULT=$fe_op:$fe_n changed the store: $*"
			cat err
			return 1
		fi
		fe_n=$((fe_n + 1))
		test $fe_n -lt 200
	done
	if [ "$fe_n" -le 1 ]; then
		echo "CDP_FAULT=$fe_op:1 did not fail: $*"
		return 1
	fi
	test "$(state)" = "$fe_after"
}

test_every_failed_write_or_fsync_changes_nothing() {
	people 300 a- >a.csv
	people 200 b- >b.csv
	events 200 b- >b.jsonl
	cdp-import -q a.csv
	cdp-merge -q
	cp -a "$CDP_STORE" "$T/base1"
	cdp-import -q b.csv
	cp -a "$CDP_STORE" "$T/base2"
	for op in write fsync rename; do
		io_fault_every "$T/base1" $op cdp-import -q b.csv
		io_fault_every "$T/base1" $op cdp-import -q b.jsonl
		io_fault_every "$T/base2" $op cdp-merge -q
	done
}

# Each test here runs in a fresh shell (this file again, with T0800_RUN
# naming the test), with set -e in force, in the directory and store
# check prepared: its traps (the tmpfs test's umount), exports and
# background jobs stay its own, and the tmpfs test can re-run itself in
# a mount namespace (unshare -rm) when it cannot mount as it is.
if [ -n "${T0800_RUN:-}" ]; then
	trap - EXIT INT TERM
	rm -rf "$T"
	T=$T0800_T
	export CDP_STORE="$T/store"
	cd "$T/w"
	set -e
	"$T0800_RUN"
	exit 0
fi

fresh() {
	T0800_RUN=$1 T0800_T=$T sh "$SELF"
}

# CDP_ONLY=test_name runs one test, for debugging.
run_check() {
	case ${CDP_ONLY:-$2} in
	"$2") check "$1" fresh "$2" ;;
	esac
}

echo "# t0800 seed $SEED (rerun with CDP_SEED=$SEED)"

run_check "reliability: SIGKILL at random times and at every write leaves the state before or after" test_random_kills_leave_before_or_after
run_check "reliability: overlapping writers serialize; readers see whole batches" test_overlapping_writers_serialize
run_check "reliability: --no-wait exits 75, --wait bounds the wait, no stale lock after kill -9" test_lock_no_wait_wait_and_no_stale_lock
run_check "reliability: a flipped byte, truncation or deletion of any store file is detected" test_damage_to_any_file_is_detected
run_check "reliability: a writer never takes a store with a lost MANIFEST for a new one" test_writer_never_recreates_over_a_lost_manifest
run_check "reliability: huge field, million columns, no newline, deep JSON in bounded time and memory" test_limits_bounded_time_and_memory
run_check "reliability: a full file system fails the import and changes nothing" test_full_file_system_changes_nothing
run_check "reliability: a failed write, fsync or rename anywhere changes nothing" test_every_failed_write_or_fsync_changes_nothing
done_testing
