#!/bin/sh
# sweep --emit / --merge: a sweep written as tasks (each a plain iommusim command running a
# block of points into DIR/points), run here by plain sh and by GNU parallel, merged into the
# same CSV, JSON, crossovers, sizing and figures as the local sweep, byte for byte; missing
# and foreign points named, exit 2.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
TR="$TRACES/pseries-noddw.txt.xz"
# a cost axis (crossovers) and a pool size (sizing): 12 points
set -- -s "$SC" -S direct-tce,indirect-tce:share-per-call,swiotlb \
	-p cost.h_put_tce.fixed_ns=100:100000:log:4 -p machine.swiotlb_bytes=1MiB,4MiB,8MiB -m run_ns \
	"$TR"
mkdir "$T/local" "$T/job"
(cd "$T/local" && "$ISM_BIN" sweep -O out "$@" >stdout 2>stderr) || fail "local sweep failed"

# same_as_local: every file of the local sweep, identical in the merged folder (sweep.txt's
# line with the run's time and passes aside)
same_as_local() {
	(cd "$T/local/out" && find . -type f) | sort >"$T/files"
	[ "$(wc -l <"$T/files")" -ge 16 ] || fail "the local sweep wrote $(wc -l <"$T/files") files"
	while read -r f; do
		if [ "$f" = ./sweep.txt ]; then
			sed 4d "$T/local/out/$f" >"$T/a.txt"
			sed 4d "$T/job/out/$f" >"$T/b.txt"
			cmp -s "$T/a.txt" "$T/b.txt" || fail "$1: sweep.txt differs from the local one"
			sed -n 4p "$T/job/out/$f" | grep -q 'merged from out' ||
				fail "$1: sweep.txt does not say it was merged"
		else
			cmp -s "$T/local/out/$f" "$T/job/out/$f" ||
				fail "$1: $f differs from the local sweep's"
		fi
	done <"$T/files"
}

cd "$T/job" || fail "no $T/job"
expect_exit 0 "$ISM_BIN" sweep --emit parallel --block 5 -O out "$@"
grep -q '^sweep: 12 points in 3 tasks of 5 written to out$' "$OUT" || fail "emit: $(cat "$OUT")"
[ "$(wc -l <out/tasks.txt)" -eq 3 ] || fail "not 3 tasks"
grep -q ' --points 5-9 ' out/tasks.txt || fail "task 1 is not points 5-9"
[ -x out/parallel.sh ] && [ -x out/run-task.sh ] && [ -s out/sweep-job.json ] ||
	fail "emit: no parallel.sh, run-task.sh or sweep-job.json"
[ -z "$(ls out/points)" ] || fail "emit ran points"

# tasks 0 and 2 only: the merge names the missing points and the task to rerun
sh out/run-task.sh 0 2>"$ERR" || fail "task 0 failed"
sh out/run-task.sh 2 2>"$ERR" || fail "task 2 failed"
expect_exit 2 "$ISM_BIN" sweep --merge out
grep -q '5 of 12 points missing: 5-9 (task 1: rerun' "$ERR" || fail "missing points not named"
[ ! -e out/sweep.json ] || fail "a failed merge wrote sweep.json"
expect_exit 2 sh out/run-task.sh 3
sh out/run-task.sh 1 2>"$ERR" || fail "task 1 failed"

# a point made by another version, or of another scenario, is named
cp out/points/0007.json "$T/keep"
sed 's/"tool": "iommusim [^"]*"/"tool": "iommusim 0.0.1"/' "$T/keep" >out/points/0007.json
expect_exit 2 "$ISM_BIN" sweep --merge out
grep -q 'point 7 (.*0007.json): made by iommusim 0.0.1, not iommusim ' "$ERR" ||
	fail "a point of another version is not named"
sed 's/"effective_sha256": "[0-9a-f]*"/"effective_sha256": "0123"/' "$T/keep" >out/points/0007.json
expect_exit 2 "$ISM_BIN" sweep --merge out
grep -q 'point 7 .*scenario sha256 0123' "$ERR" || fail "a point of another scenario is not named"
cp "$T/keep" out/points/0007.json

expect_exit 0 "$ISM_BIN" sweep --merge out
same_as_local "sh"
cmp -s "$OUT" out/sweep.txt || fail "merge's standard output is not its sweep.txt"
expect_exit 0 "$ISM_BIN" sweep --merge out --format csv
cmp -s "$OUT" "$T/local/out/sweep.csv" || fail "merge --format csv differs from the local CSV"

# GNU parallel runs the same folder
if command -v parallel >/dev/null 2>&1; then
	rm -f out/points/*.json out/sweep.json
	expect_exit 0 sh out/parallel.sh -j 2
	expect_exit 0 "$ISM_BIN" sweep --merge out
	same_as_local "parallel"
else
	echo "GNU parallel not installed: its run not tested (scripts/setup.sh installs it)" >&2
fi

# usage errors
expect_exit 2 "$ISM_BIN" sweep --emit slurm "$@"
grep -q 'needs -O DIR' "$ERR" || fail "--emit without -O"
expect_exit 2 "$ISM_BIN" sweep --emit lsf -O x "$@"
expect_exit 2 "$ISM_BIN" sweep --merge out -j 2
expect_exit 2 "$ISM_BIN" sweep --merge "$T/nothing"
expect_exit 2 "$ISM_BIN" sweep --points 0-99 -O out "$@"
expect_exit 2 "$ISM_BIN" sweep --points 0-1 -O "$T/local" "$@"
pass
