#!/bin/sh
# tests/fuzz/run.sh [SECONDS [TARGET...]] - build the libFuzzer targets
# with clang (ASan + UBSan) and run each for SECONDS (default 60).
#
# Every target is tests/fuzz/fuzz_NAME.c.  First it replays its
# regression inputs (tests/fuzz/regress/NAME/, each a crash found
# before), then fuzzes from the seeds in tests/fuzz/corpus/NAME/ with
# a working corpus under tests/fuzz/out/ (not kept in git).  A crash,
# leak, timeout or out-of-memory is copied into tests/fuzz/regress/NAME/
# so it becomes a regression input once the bug is fixed; the script
# then exits 1.  Environment: CC (default clang), FUZZ_JOBS (targets at
# once, default the number of CPUs), FUZZ_FLAGS (extra libFuzzer flags).
set -u
cd "$(dirname "$0")/../.." || exit 2
secs=${1:-60}
[ $# -gt 0 ] && shift
CC=${CC:-clang}
case $CC in
cc | gcc | */gcc) CC=clang ;;
esac
out=tests/fuzz/out
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
sanflags="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
cflags="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Icommon"
libs="-lcsv -lyajl -lnettle -ldeflate -lz -lopenblas -lre2 -lstdc++ -lm -lpthread"
CXX=${CXX:-clang++}
case $CXX in
c++ | g++ | */g++) CXX=clang++ ;;
esac

if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found; install clang (Debian: clang)" >&2
	exit 1
fi

if [ $# -gt 0 ]; then
	targets=$*
else
	targets=
	for f in tests/fuzz/fuzz_*.c; do
		n=${f#tests/fuzz/fuzz_}
		targets="$targets ${n%.c}"
	done
fi

# The library once, instrumented for coverage and the sanitizers; the
# archive lets each target pull in only what it uses.
mkdir -p "$out/obj" || exit 2
objs=
# phone.cc stays out: normalize.c's weak references let it (see phone.h).
for c in common/*.c common/rx.cc; do
	o=$out/obj/$(basename "${c%.c*}").o
	objs="$objs $o"
done
{
for c in common/*.c; do
	o=$out/obj/$(basename "${c%.c}").o
	echo "$CC $cflags $sanflags -fsanitize=fuzzer-no-link -c -o $o $c"
done
echo "$CXX -std=c++17 -Icommon $sanflags -fno-sanitize=function,vptr -fsanitize=fuzzer-no-link -c -o $out/obj/rx.o common/rx.cc"
} | xargs -P "$jobs" -I{} sh -c '{} || exit 255' || {
	echo "fuzz: building the library failed" >&2
	exit 1
}
rm -f "$out/libcdp-fuzz.a"
ar rcs "$out/libcdp-fuzz.a" $objs || exit 1
for t in $targets; do
	if ! $CC $cflags $sanflags -fsanitize=fuzzer -o "$out/fuzz_$t" \
	    "tests/fuzz/fuzz_$t.c" "$out/libcdp-fuzz.a" $libs; then
		echo "fuzz: building fuzz_$t failed" >&2
		exit 1
	fi
done

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# run_target NAME: replay, then fuzz; writes $out/NAME.status.
run_target() {
	t=$1
	bin=$out/fuzz_$t
	reg=tests/fuzz/regress/$t
	work=$out/corpus/$t
	log=$out/$t.log
	mkdir -p "$work" "$out/artifacts/$t"
	: >"$log"
	if [ -d "$reg" ] && [ -n "$(ls "$reg")" ]; then
		if ! "$bin" -runs=1 "$reg"/* >>"$log" 2>&1; then
			echo "fuzz: $t: a regression input fails again (see $log)" >&2
			echo 1 >"$out/$t.status"
			return
		fi
	fi
	seeds=tests/fuzz/corpus/$t
	[ -d "$seeds" ] || seeds=
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 ${FUZZ_FLAGS:-} \
	    -artifact_prefix="$out/artifacts/$t/" "$work" $seeds >>"$log" 2>&1
	rc=$?
	found=$(ls "$out/artifacts/$t" 2>/dev/null)
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		mkdir -p "$reg"
		for a in $found; do
			mv "$out/artifacts/$t/$a" "$reg/$a"
		done
		echo "fuzz: $t: FAILED (exit $rc); input(s) kept in $reg:" $found >&2
		grep -m 3 -E 'ERROR|runtime error|invariant broken' "$log" | sed "s/^/fuzz: $t: /" >&2
		echo 1 >"$out/$t.status"
		return
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	echo "fuzz: $t: ok, ${runs:-?} runs in ${secs} s, $cov"
	echo 0 >"$out/$t.status"
}

running=0
for t in $targets; do
	rm -f "$out/$t.status"
	run_target "$t" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

fail=0
for t in $targets; do
	if [ "$(cat "$out/$t.status" 2>/dev/null)" != 0 ]; then
		fail=1
	fi
done
exit $fail
