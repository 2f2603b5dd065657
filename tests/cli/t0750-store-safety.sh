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

check "a truncated segment of any table is damage (exit 4) for every program" \
	test_truncated_segments_are_damage

done_testing
