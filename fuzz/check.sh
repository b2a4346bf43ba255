#!/bin/sh
# check.sh SRCDIR BUILDDIR: `make fuzz-check`. Builds the harnesses (build.sh), replays each
# one's committed corpus (fuzz/corpus-NAME/) and, for the readers, every input of tests/data/bad/,
# then fuzzes each for ISM_FUZZ_SECONDS seconds (default 30; 0: replay only). New inputs go to
# BUILDDIR/fuzz/work-NAME/ (the committed corpus is never written), a crash's input to
# BUILDDIR/fuzz/crash/NAME-*, each harness's output to BUILDDIR/fuzz/NAME.log; nothing goes
# to /tmp (inputs are memory files). LeakSanitizer uses tests/lsan.supp. Exit 1 when any
# harness crashed, leaked, hung (ISM_FUZZ_TIMEOUT s per input, default 20) or ran out of memory.
set -eu
src=$(cd "${1:?usage: check.sh SRCDIR BUILDDIR}" && pwd)
b=$(cd "${2:?usage: check.sh SRCDIR BUILDDIR}" && pwd)
secs=${ISM_FUZZ_SECONDS:-30}
tmo=${ISM_FUZZ_TIMEOUT:-20}
case $secs$tmo in *[!0-9]*) echo "fuzz-check: ISM_FUZZ_SECONDS and ISM_FUZZ_TIMEOUT are seconds" >&2; exit 2 ;; esac
sh "$src/fuzz/build.sh" "$src" "$b"
export LSAN_OPTIONS="suppressions=$src/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:symbolize=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
mkdir -p "$b/fuzz/crash"
failed=
for h in $(cat "$b/fuzz/harnesses"); do
	fz=$b/fuzz/fuzz-$h
	log=$b/fuzz/$h.log
	corp=$src/fuzz/corpus-$h
	[ -d "$corp" ] || { echo "fuzz-check: no corpus $corp (fuzz/seeds.sh makes it)" >&2; exit 1; }
	opts="-timeout=$tmo -rss_limit_mb=2048 -artifact_prefix=$b/fuzz/crash/$h-"
	# the replay: every committed seed, and the bad inputs of the tests for the readers
	extra=
	case $h in scenario | param | regress) ;; *) extra=$src/tests/data/bad ;; esac
	t0=$(date +%s)
	# shellcheck disable=SC2086
	if ! nice "$fz" $opts -runs=0 "$corp" $extra >"$log" 2>&1; then
		echo "fuzz-check: $h: FAILED replaying the corpus (see $log):" >&2
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 >&2
		failed="$failed $h"
		continue
	fi
	n=$(ls "$corp" $extra | wc -l)
	if [ "$secs" -gt 0 ]; then
		mkdir -p "$b/fuzz/work-$h"
		# shellcheck disable=SC2086
		if ! nice "$fz" $opts -max_total_time="$secs" -print_final_stats=1 \
			"$b/fuzz/work-$h" "$corp" >>"$log" 2>&1; then
			echo "fuzz-check: $h: FAILED while fuzzing (see $log):" >&2
			grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 >&2
			failed="$failed $h"
			continue
		fi
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	echo "fuzz-check: $h: ok, $n inputs replayed${execs:+, $execs runs in ${secs} s}${cov:+, $cov} ($(($(date +%s) - t0)) s)"
done
if [ -n "$failed" ]; then
	echo "fuzz-check: FAILED:$failed; the inputs are in $b/fuzz/crash/" >&2
	exit 1
fi
echo "fuzz-check: all harnesses passed"
