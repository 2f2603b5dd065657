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
	rm -rf "$T/store" "$T/w"
	mkdir -p "$T/w"
	# Not inside "if" or "&&": there the shell ignores set -e, and a
	# test would pass whenever its last command did.
	(cd "$T/w" || exit 1; set -e; "$@") >"$T/log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $name"
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

done_testing() {
	echo "1..$n"
}
