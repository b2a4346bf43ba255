#!/bin/sh
# check.sh: the whole test suite, as CI runs it.
#  1. installs the Debian packages (scripts/setup.sh, idempotent);
#  2. builds with -Werror in build/ and runs `make check`;
#  3. builds with AddressSanitizer + UndefinedBehaviorSanitizer in build-asan/ and runs
#     `make check` again;
#  4. writes the reports of the bundled traces to build/ci-report/ (scripts/ci-reports.sh):
#     a compare report folder, a sweep, regress verdicts and the trend figure trend.svg.
# Exit status is non-zero if any step fails. Test logs: build*/tests/**/*.log.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

"$top/scripts/setup.sh"
[ -x configure ] || autoreconf -fi

run_suite() {
	dir=$1
	shift
	echo "== $dir: configure $*"
	mkdir -p "$top/$dir"
	(cd "$top/$dir" && "$top/configure" --enable-werror "$@" >configure.log 2>&1) || {
		tail -40 "$top/$dir/configure.log"
		exit 1
	}
	tail -16 "$top/$dir/configure.log"
	echo "== $dir: make check"
	if ! make -C "$top/$dir" -j"$jobs" check; then
		for f in $(find "$top/$dir/tests" -name '*.log' 2>/dev/null); do
			if grep -q '^FAIL\|^ERROR' "${f%.log}.trs" 2>/dev/null; then
				echo "---- $f"
				tail -60 "$f"
			fi
		done
		exit 1
	fi
}

run_suite build
run_suite build-asan --enable-sanitizers
echo "== all test suites passed"
# reports of the bundled traces, kept as artefacts in build/ci-report/ (not committed)
"$top/scripts/ci-reports.sh" "$top/build"
