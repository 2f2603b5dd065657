#!/bin/sh
# The store as a whole against damage, hostile manifests, concurrent
# readers and writers, and the places an erased value could hide.
. "$(dirname "$0")/lib.sh"

# Two people in the CRM, merged: one segment file per table.
small_store() {
	cat > crm.csv <<'CSV'
customer_id,first_name,email,phone
C1,Anna,anna@example.com,030 5550101
C2,Bert,bert@example.com,030 5550202
CSV
	cdp-import -q --source crm --kind person --default-country DE crm.csv
	cdp-merge -q
}

# seg_file TABLE: the file of the store's (first) segment of TABLE.
seg_file() {
	sed -n "s/^segment [0-9]* table=$1 .*file=\([^ ]*\).*/\1/p" "$CDP_STORE/MANIFEST" | head -n 1
}

# damaged TABLE COMMAND...: with TABLE's segment cut short, COMMAND
# reports damage (exit 4) and the manifest is unchanged.
damaged() {
	table=$1
	shift
	rm -rf "$CDP_STORE"
	cp -Rp "$T/w/pristine" "$CDP_STORE"
	f=$(seg_file "$table")
	test -n "$f"
	truncate -s 100 "$CDP_STORE/$f"
	cp "$CDP_STORE/MANIFEST" manifest.before
	set +e
	"$@" > out.txt 2> err.txt </dev/null
	rc=$?
	set -e
	if [ $rc -ne 4 ] || ! grep -q 'truncated or damaged segment' err.txt; then
		echo "$table damaged: $*: exit $rc" >&2
		cat err.txt >&2
		return 1
	fi
	cmp -s manifest.before "$CDP_STORE/MANIFEST"
}

test_truncated_segments_are_damage() {
	small_store
	cp -Rp "$CDP_STORE" pristine
	for t in records links profiles idmap; do
		damaged $t cdp-forget -n --email anna@example.com
		damaged $t cdp-forget --email anna@example.com
		damaged $t cdp-store verify
		damaged $t cdp-store dump --table $t
	done
	for t in records links profiles; do
		damaged $t cdp-store info
	done
	damaged records cdp-merge -q --rebuild
	damaged records cdp-segment -a 'email = "anna@example.com"'
	damaged profiles cdp-segment -a 'email = "anna@example.com"'
	damaged profiles cdp-export --all
	damaged records cdp-report overview
	damaged profiles cdp-report overview
}


# fix_crc: make MANIFEST's checksum line match its new content, as a
# careful attacker would (the CRC-32 is the one gzip keeps).
fix_crc() {
	head -n -1 "$CDP_STORE/MANIFEST" >m.body
	crc=$(gzip -c m.body | tail -c 8 | head -c 4 | od -An -tx4 | tr -d ' \n')
	{ cat m.body; echo "crc32 $crc"; } >"$CDP_STORE/MANIFEST"
}

test_manifest_names_outside_the_store_are_damage() {
	small_store
	f=$(seg_file records)
	cp "$CDP_STORE/$f" victim.cdp
	cp victim.cdp victim.before
	sed -i "s|file=$f|file=../w/victim.cdp|" "$CDP_STORE/MANIFEST"
	fix_crc
	grep -q 'file=../w/victim.cdp' "$CDP_STORE/MANIFEST"
	for cmd in "cdp-store verify" "cdp-store dump" "cdp-store info" \
	    "cdp-forget --email anna@example.com" "cdp-forget -n --email anna@example.com" \
	    "cdp-merge -q --rebuild" "cdp-export --all" "cdp-segment -a -c email_consent" \
	    "cdp-report overview" "cdp-import -q crm.csv"; do
		rc=0
		$cmd >out.txt 2>err.txt </dev/null || rc=$?
		if [ $rc -ne 4 ] || ! grep -q "not a segment file of the store" err.txt; then
			echo "$cmd: exit $rc" >&2
			cat err.txt >&2
			return 1
		fi
	done
	cmp victim.cdp victim.before
	# a name that only looks like one of ours is refused too
	sed -i "s|file=../w/victim.cdp|file=seg-1/../../w/victim.cdp|" "$CDP_STORE/MANIFEST"
	fix_crc
	expect_status 4 cdp-store verify
	expect_status 4 cdp-forget -q --email anna@example.com
	cmp victim.cdp victim.before
}

test_store_writable_by_others_is_refused() {
	small_store
	chmod 777 "$CDP_STORE"
	for cmd in "cdp-store verify" "cdp-store dump" "cdp-forget --email anna@example.com" \
	    "cdp-merge -q" "cdp-export --all" "cdp-segment -a -c email_consent" "cdp-report overview" \
	    "cdp-import -q crm.csv"; do
		rc=0
		$cmd >out.txt 2>err.txt </dev/null || rc=$?
		if [ $rc -ne 2 ] && [ $rc -ne 4 ] || ! grep -q "writable by others" err.txt; then
			echo "$cmd: exit $rc" >&2
			cat err.txt >&2
			return 1
		fi
	done
	chmod 700 "$CDP_STORE"
	cdp-store verify
	if [ "$(id -u)" -ne 0 ]; then
		echo "not root: the other-owner case cannot be set up" >&2
		return 0
	fi
	chown 65534 "$CDP_STORE"
	expect_status 2 cdp-store dump 2>err.txt
	grep -q "belongs to another user" err.txt
	expect_status 2 cdp-forget -q --email anna@example.com 2>err.txt
	grep -q "belongs to another user" err.txt
	chown 0 "$CDP_STORE"
	cdp-store verify
}

test_forget_phone_spares_numbers_that_only_end_alike() {
	cat > crm.csv <<'CSV'
customer_id,first_name,email,phone,city
C1,Anna,anna@example.com,030 5550101,Berlin
C2,Bert,bert@example.com,030 5550202,Hamburg
C5,Xaver,"x@example.com,040 5550101
CSV
	cat > more.csv <<'CSV'
customer_id,first_name,email,phone,city
C6,Yuri,,+1 212 555 0101,Rome,extra
C7,Anna,,0049 30 5550101,Berlin,extra
C8,Anna,,+49 (0)30 555-0101,Berlin,extra
C9,Zed,,tel. 555 0101,Bonn,extra
C10,Ola,,030 5550909,Kiel,extra
C11,Per,,040 5550909,Kiel,extra
C12,Ida,ida@example.com,030 5550404,Kiel
CSV
	expect_status 1 cdp-import -q --source crm --kind person --default-country DE crm.csv
	expect_status 1 cdp-import -q --source more --kind person --default-country DE more.csv
	cdp-merge -q
	cdp-forget -q --default-country DE --phone '+49 30 5550101'
	# Anna's rejected rows go, by their number in any written form ...
	refute_grep -e C7, -e C8, more.csv.rejects.csv
	# ... two other people whose numbers end in the same 7 digits stay,
	# and so does a line whose field is no number at all
	grep -q 'C5,Xaver' crm.csv.rejects.csv
	grep -q 'C6,Yuri' more.csv.rejects.csv
	grep -q 'C9,Zed' more.csv.rejects.csv
	# A number that does not normalize (no country given) matches
	# only where it is written exactly so.
	set +e
	cdp-forget -q --phone '030 5550909'
	set -e
	refute_grep C10, more.csv.rejects.csv
	grep -q 'C11,Per' more.csv.rejects.csv
	grep -q 'C6,Yuri' more.csv.rejects.csv
}

# people N: a CRM file of N people, person-1 ... person-N.
people() {
	echo customer_id,first_name,email,city
	i=1
	while [ $i -le "$1" ]; do
		echo "C$i,P$i,person-$i@example.com,Town$((i % 7))"
		i=$((i + 1))
	done
}

# Readers in a loop until $T/stop exists; each failure is a line in
# $T/w/failures (with the message), each round a line in $T/w/rounds.
reader_loop() {
	while [ ! -e "$T/stop" ]; do
		for cmd in "cdp-store verify" "cdp-store dump --format jsonl" \
		    "cdp-store dump --table profiles" "cdp-export --all" "cdp-report overview" \
		    "cdp-segment -a -c email_consent"; do
			rc=0
			$cmd >/dev/null 2>rd.$1.err </dev/null || rc=$?
			if [ $rc -ne 0 ]; then
				echo "$cmd: exit $rc: $(cat rd.$1.err)" >>failures
			fi
		done
		echo round >>rounds
	done
}

# concurrent_readers N WRITER...: N times WRITER (with @I@ replaced by
# the round number) while readers loop; no reader may ever fail.
concurrent_readers() {
	nrounds=$1
	shift
	rm -f "$T/stop" failures rounds
	: >failures
	# two loops, so some reader is always between its manifest and its data
	reader_loop a &
	rp=$!
	sleep 0.1
	reader_loop b &
	rp="$rp $!"
	i=1
	while [ $i -le "$nrounds" ]; do
		cmd=$(echo "$*" | sed "s/@I@/$i/g")
		$cmd
		i=$((i + 1))
	done
	touch "$T/stop"
	for p in $rp; do
		wait "$p"
	done
	echo "$(grep -c '' rounds) reader rounds during $nrounds writers" >&2
	if [ -s failures ]; then
		head -n 20 failures >&2
		return 1
	fi
	test "$(grep -c '' rounds)" -ge 5
}

test_readers_never_fail_during_forget() {
	people 800 >crm.csv
	cdp-import -q --source crm --kind person crm.csv
	cdp-merge -q
	concurrent_readers 50 cdp-forget -q --wipe-wait 60 --email person-@I@@example.com
	cdp-store verify --absent person-7@example.com --absent person-50@example.com
	test "$(cdp-store dump --table profiles --format jsonl | grep -c '')" -eq 750
}

test_readers_never_fail_during_merge_rebuild() {
	people 800 >crm.csv
	cdp-import -q --source crm --kind person crm.csv
	cdp-merge -q
	concurrent_readers 50 cdp-merge -q --rebuild
	cdp-store verify
	test "$(cdp-store dump --table profiles --format jsonl | grep -c '')" -eq 800
}

# A reader that holds the store open: cdp-export reads its ids from
# standard input after opening the store.
test_forget_waits_for_readers_of_the_old_data() {
	people 5 >crm.csv
	cdp-import -q --source crm --kind person crm.csv
	cdp-merge -q
	mkfifo ids
	cdp-export --fields email <ids >export.out 2>export.err &
	ep=$!
	exec 3>ids
	sleep 0.3
	# the reader holds the old generation: forget commits, then waits
	# for it; with a short wait the old files stay, unnamed and whole
	expect_status 2 cdp-forget -q --wipe-wait 1 --email person-2@example.com 2>err.txt
	grep -q 'still open in programs' err.txt
	expect_status 1 cdp-store verify --absent person-2@example.com 2>absent.txt
	grep -q 'superseded file not wiped yet' absent.txt
	# the reader reads its whole generation, the erased person included
	echo 2 >&3
	exec 3>&-
	wait $ep
	grep -q person-2@example.com export.out
	# the next writer wipes what no reader needs any more
	cdp-merge -q
	cdp-store verify --absent person-2@example.com
	# by default forget waits until the old reader ends, then wipes
	cdp-export --fields email <ids >export2.out 2>export.err &
	ep=$!
	exec 3>ids
	sleep 0.3
	( sleep 1; echo 3 >&3; exec 3>&- ) &
	exec 3>&-
	cdp-forget -q --email person-3@example.com
	wait $ep
	grep -q person-3@example.com export2.out
	cdp-store verify --absent person-3@example.com
	ls "$CDP_STORE" >files
	test "$(grep -c '^seg-' files)" -eq "$(grep -c ' file=seg-' "$CDP_STORE/MANIFEST")"
}

test_forget_scrubs_the_manifest() {
	printf 'customer_id,first_name,email,phone\nC1,Anna,anna.schmidt@example.com,030 5550101\nC2,Bert,bert@example.com,030 5550202\nC3,"Anna,x\n' \
	    >anna.schmidt@example.com.csv
	expect_status 1 cdp-import -q --source crm --kind person --default-country DE anna.schmidt@example.com.csv
	cdp-merge -q
	cdp-segment --save annas 'email = "anna.schmidt@example.com"'
	cdp-segment --save annaphone 'phone = "+49 30 5550101"'
	cdp-segment --save berts 'email = "bert@example.com"'
	cdp-segment --run annas --changes >/dev/null
	m=$CDP_STORE/MANIFEST
	# before: the manifest holds her address (file name, expression)
	# and her number with a space, which the manifest stores as %20
	expect_status 1 cdp-store verify --absent anna.schmidt@example.com 2>before.txt
	grep -q 'MANIFEST: batch 1: input holds the value' before.txt
	grep -q 'MANIFEST: segdef .*: expr holds the value' before.txt
	expect_status 1 cdp-store verify --absent '+49 30 5550101' 2>before.txt
	grep -q 'MANIFEST: segdef' before.txt
	cdp-forget -q --email Anna.Schmidt@example.com --phone '+49 30 5550101' \
	    --reference 'ticket for anna.schmidt@example.com' 2>err.txt
	grep -q 'redacted=1' err.txt
	cdp-store verify --absent anna.schmidt@example.com --absent '+49 30 5550101' \
	    --absent '+49305550101'
	grep -q '^segdef [0-9]* name=annas .*redacted=1' "$m"
	grep -q '^segdef [0-9]* name=annaphone .*redacted=1' "$m"
	# other people's definitions are untouched
	grep 'name=berts' "$m" | grep -q 'bert@example.com'
	refute_grep 'name=berts.*redacted' "$m"
	# the rejects file got a scrubbed name, and the store still knows it
	test -f _erased_.csv.rejects.csv
	grep -q 'rejects-file=[^ ]*/_erased_.csv.rejects.csv' "$m"
	refute_grep -i anna.schmidt "$CDP_STORE/audit.log"
	# a redacted segment still runs (it selects nobody now)
	test -z "$(cdp-segment --run annas)"
	cdp-segment --run berts | grep -q .
	cdp-store verify
}

test_scrub_leaves_times_and_hashes_alone() {
	printf 'customer_id,email\n2026,a@example.com\n11,b@example.com\n' >c.csv
	cdp-import -q --kind person c.csv
	cdp-merge -q
	cdp-segment --save big 'email = "b@example.com"'
	cdp-forget -q --id 2026 --reference req-2026
	# a customer id that looks like a year is not scrubbed out of times
	grep -q ' time=2026-' "$CDP_STORE/MANIFEST"
	grep -q ' saved=2026-' "$CDP_STORE/MANIFEST"
	grep -q '^2026-.* ref=req-_erased_ ' "$CDP_STORE/audit.log"
	cdp-store verify
	cdp-segment --run big | grep -q .
}

check "a truncated segment of any table is damage (exit 4) for every program" \
	test_truncated_segments_are_damage

check "a manifest naming a file outside the store is damage; nothing outside is touched" \
	test_manifest_names_outside_the_store_are_damage
check "a store directory others can write to (or another user owns) is refused" \
	test_store_writable_by_others_is_refused
check "forget by phone removes reject lines by number, not by its last digits" \
	test_forget_phone_spares_numbers_that_only_end_alike
check "readers (verify, dump, export, report, segment) never fail during 50 forgets" \
	test_readers_never_fail_during_forget
check "readers never fail during 50 merge --rebuild runs" \
	test_readers_never_fail_during_merge_rebuild
check "forget wipes old data once the readers that started before it end" \
	test_forget_waits_for_readers_of_the_old_data
check "forget scrubs file names, segment expressions and the audit log; verify --absent searches the manifest" \
	test_forget_scrubs_the_manifest
check "scrubbing leaves times, hashes and names the programs made alone" \
	test_scrub_leaves_times_and_hashes_alone

done_testing
