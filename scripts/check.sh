#!/bin/sh
# check.sh: the whole test suite, as CI runs it.
#  1. installs the Debian packages (scripts/setup.sh, idempotent);
#  2. builds with -Werror in build/ and runs `make check`;
#  3. builds with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/ and runs
#     `make check` again; then the same with clang in build-clang-asan/ (its UBSan checks
#     more) and, there, `make fuzz-check` (the libFuzzer harnesses replay their corpora and
#     tests/data/bad/, then fuzz ISM_FUZZ_SECONDS seconds each: 0 here unless set);
#     then the tests that run the replay on several threads, built with ThreadSanitizer in
#     build-tsan/ (a data race fails them);
#  4. writes the reports of the bundled traces to build/ci-report/ (scripts/ci-reports.sh):
#     a compare report folder, a sweep, regress verdicts and the trend figure trend.svg.
# The builds are out of tree. A source tree configured in place (`./configure` run at the
# top) cannot host them, so then they are made from a clean copy of the sources in
# build-src/ (your in-place build is left alone). Every test runs under a time limit
# (tests/bounded.sh). Exit status is non-zero if any step fails; skipped tests are listed
# with their reasons after each suite. Test logs: build*/tests/**/*.log.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

"$top/scripts/setup.sh"

# where the sources for the out-of-tree builds are
src=$top
if [ -f "$top/config.status" ]; then
	echo "== the source tree is configured in place (./configure was run in $top):"
	echo "   building from a clean copy in build-src/ (run 'make distclean' there to build in place)"
	command -v git >/dev/null 2>&1 && git -C "$top" rev-parse --git-dir >/dev/null 2>&1 || {
		echo "check: $top is configured in place and is not a git checkout: run 'make distclean' first" >&2
		exit 1
	}
	src=$top/build-src
	rm -rf "$src"
	mkdir -p "$src"
	# the tracked files and the new files git does not ignore, as they are in the work tree
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		tar -C "$top" --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$src"
fi
[ -x "$src/configure" ] || (cd "$src" && autoreconf -fi)

run_suite() {
	dir=$1
	shift
	t0=$(date +%s)
	echo "== $dir: configure $*"
	mkdir -p "$top/$dir"
	(cd "$top/$dir" && "$src/configure" --enable-werror "$@" >configure.log 2>&1) || {
		tail -40 "$top/$dir/configure.log"
		exit 1
	}
	tail -16 "$top/$dir/configure.log"
	echo "== $dir: make check"
	rc=0
	# shellcheck disable=SC2086
	make -C "$top/$dir" -j"$jobs" check ${suite_tests:+TESTS="$suite_tests"} || rc=$?
	# the skipped tests and why (lib.sh's skip writes a "SKIP: reason" line to the log)
	for trs in $(find "$top/$dir/tests" -name '*.trs' 2>/dev/null | sort); do
		if grep -q '^:test-result: SKIP' "$trs"; then
			why=$(grep -h '^SKIP: ' "${trs%.trs}.log" 2>/dev/null | tail -n 1)
			echo "== $dir: skipped ${trs#"$top/$dir/"}: ${why#SKIP: }"
		fi
	done
	if [ $rc -ne 0 ]; then
		for f in $(find "$top/$dir/tests" -name '*.log' 2>/dev/null); do
			if grep -q '^:test-result: \(FAIL\|ERROR\)' "${f%.log}.trs" 2>/dev/null; then
				echo "---- $f"
				tail -60 "$f"
			fi
		done
		exit 1
	fi
	echo "== $dir: passed in $(($(date +%s) - t0)) s"
}

run_suite build
run_suite build-asan --enable-sanitizers
run_suite build-clang-asan --enable-sanitizers CC=clang
t0=$(date +%s)
# the harnesses replay their committed corpora and tests/data/bad/ (deterministic); timed
# fuzzing finds new inputs at random, so it runs only when asked: ISM_FUZZ_SECONDS=30
echo "== build-clang-asan: make fuzz-check (ISM_FUZZ_SECONDS=${ISM_FUZZ_SECONDS:-0})"
ISM_FUZZ_SECONDS=${ISM_FUZZ_SECONDS:-0} make -C "$top/build-clang-asan" fuzz-check
echo "== build-clang-asan: fuzz-check passed in $(($(date +%s) - t0)) s"
# the threaded replays (--jobs, sweeps) under ThreadSanitizer: any report is a failure
export TSAN_OPTIONS="halt_on_error=1 exitcode=66"
suite_tests="tests/cli/t0126-jobs.sh tests/cli/t0302-sweep.sh" run_suite build-tsan --enable-tsan
echo "== all test suites passed"
# reports of the bundled traces, kept as artefacts in build/ci-report/ (not committed)
"$top/scripts/ci-reports.sh" "$top/build"
