# tests/cli/lib.sh - sourced by every CLI test file.
#
# Each test is a shell function run in a subshell with "set -e"; the
# file registers them with check "what the user relies on" function.
# A test reads like a user session: cdp-* commands on files in $T.
set -u
: "${CDP_BIN:?set CDP_BIN to the directory holding the built programs}"
PATH="$CDP_BIN:$PATH"
SAMPLES=$(cd "$(dirname "$0")/../../data-samples" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/cdp-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
export CDP_STORE="$T/store"
n=0

check() {
	name=$1
	shift
	n=$((n + 1))
	rm -rf "$T/store" "$T/w" "$T/skip"
	mkdir -p "$T/w"
	# Not inside "if" or "&&": there the shell ignores set -e, and a
	# test would pass whenever its last command did.  Standard input is
	# /dev/null, so programs that read ids from a pipe (cdp-segment,
	# cdp-export) see only what a test pipes in.
	(cd "$T/w" || exit 1; set -e; "$@") </dev/null >"$T/log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $name"
	elif [ "$rc" -eq 77 ] && [ -s "$T/skip" ]; then
		echo "ok $n - $name # SKIP $(cat "$T/skip")"
	else
		echo "not ok $n - $name"
		sed 's/^/#   /' "$T/log" | tail -n 25
	fi
}

# expect_status N command...: run command, fail unless it exits N.
expect_status() {
	want=$1
	shift
	set +e
	"$@"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "expected exit status $want, got $got: $*" >&2
		return 1
	fi
}

# refute_grep GREP-ARGS...: fail when grep finds what must not be there
# (or cannot read its input).  A plain "! grep" asserts nothing under
# "set -e" unless it is a function's last command; this always can.
refute_grep() {
	set +e
	grep -q "$@"
	got=$?
	set -e
	case $got in
	1) return 0 ;;
	0) echo "refute_grep: found what must not be there: grep $*" >&2 ;;
	*) echo "refute_grep: grep failed with status $got: grep $*" >&2 ;;
	esac
	return 1
}

# skip [--required] REASON: stop this test and count it as skipped, not
# passed.  A required check (one CI must run) fails instead under CI=true.
skip() {
	if [ "$1" = --required ]; then
		shift
		if [ "${CI:-}" = true ]; then
			echo "required check could not run under CI: $*" >&2
			exit 1
		fi
	fi
	echo "$*" > "$T/skip"
	exit 77
}

# row HEADER NAME=VALUE...: a CSV row with HEADER's columns, each empty
# unless named (no commas in the values).
row() {
	echo "$1" | awk -F, -v pairs="$(shift; printf '%s\n' "$@")" '{
		n = split(pairs, kv, "\n")
		for (i = 1; i <= n; i++) {
			eq = index(kv[i], "=")
			if (eq) want[substr(kv[i], 1, eq - 1)] = substr(kv[i], eq + 1)
		}
		for (i = 1; i <= NF; i++)
			printf "%s%s", (i > 1 ? "," : ""), ($i in want ? want[$i] : "")
		print ""
	}'
}

done_testing() {
	echo "1..$n"
}
