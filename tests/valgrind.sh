#!/bin/sh
# tests/valgrind.sh [TEST...] - run end-to-end CLI tests with every cdp
# program under valgrind memcheck (default: t0100-import and t0400-merge).
#
# A directory of wrapper scripts, one per built program, stands in for
# CDP_BIN, so the tests run unchanged.  Each program's report goes to
# its own log; any report at all (an invalid read or write, a use of
# an uninitialised value, a bad free) fails the run, and every report
# is printed.  Leaks are not checked: programs exit through die()
# without freeing, and the sanitizer build covers leaks in the library.
# A test script that exits non-zero, prints no TAP plan or fewer checks
# than it planned fails the run.  Ends with "N passed, N failed, N
# skipped" over the tests' own checks.
set -u
cd "$(dirname "$0")/.." || exit 2
top=$(pwd)
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind: not installed (Debian: valgrind)" >&2
	exit 1
fi
[ $# -gt 0 ] || set -- tests/cli/t0100-import.sh tests/cli/t0400-merge.sh

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cdp-valgrind.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/bin" "$tmp/logs"
for p in "$top"/cdp-*; do
	[ -x "$p" ] && [ -f "$p" ] || continue
	n=$(basename "$p")
	cat >"$tmp/bin/$n" <<EOF
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=no --track-origins=yes \\
    --log-file="$tmp/logs/$n.%p.log" "$p" "\$@"
EOF
	chmod +x "$tmp/bin/$n"
done

pass=0
fail=0
skipped=0
for t in "$@"; do
	CDP_BIN=$tmp/bin sh "$t" >"$tmp/out" 2>&1
	rc=$?
	s=$(grep -c '^ok .*# SKIP' "$tmp/out")
	p=$(($(grep -c '^ok ' "$tmp/out") - s))
	f=$(grep -c '^not ok ' "$tmp/out")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$tmp/out" | tail -n 1)
	grep -A 12 '^not ok ' "$tmp/out" | grep -v '^ok ' | sed "s|^|$t: |"
	grep '^ok .*# SKIP' "$tmp/out" | sed "s|^|$t: |"
	printf '# %-40s %4d passed, %d failed, %d skipped (under valgrind)\n' "$t" "$p" "$f" "$s"
	pass=$((pass + p))
	fail=$((fail + f))
	skipped=$((skipped + s))
	# A script that stops early loses its remaining checks: that is a
	# failure too, however many of its checks passed.
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t: exited with status $rc"
		tail -n 20 "$tmp/out" | sed 's/^/#   /'
		fail=$((fail + 1))
	elif [ -z "$plan" ]; then
		echo "not ok - $t: printed no plan (1..N): it stopped early"
		tail -n 20 "$tmp/out" | sed 's/^/#   /'
		fail=$((fail + 1))
	elif [ "$plan" -ne $((p + f + s)) ]; then
		echo "not ok - $t: planned $plan checks, ran $((p + f + s))"
		fail=$((fail + 1))
	fi
done

# A log holds something only when memcheck reported an error.
reports=0
for l in "$tmp"/logs/*.log; do
	[ -s "$l" ] || continue
	reports=$((reports + 1))
	echo "valgrind: report from $(basename "$l" .log):"
	sed 's/^/    /' "$l"
done
echo "# valgrind: $reports program runs with memcheck reports"
[ "$reports" -eq 0 ] || fail=$((fail + 1))
echo "$pass passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
