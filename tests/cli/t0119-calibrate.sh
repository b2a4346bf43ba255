#!/bin/sh
# calibrate: fitted values with their sources, undetermined ones kept from the base and marked;
# the output loads as a scenario. Phase markers as patterns (sim.phase_marker,
# sim.phase_end_marker): --set works on them, bad patterns are rejected (exit 2).
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
R="$TRACES/repeats"

expect_exit 2 "$ISM_BIN" calibrate "$R/pseries-ddw-q1.txt.xz"
grep -q 'no -o' "$ERR" || fail "calibrate without -o: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" calibrate -o "$T/x.json"
# two configurations: the per-page software is fitted from each trace as the other
expect_exit 0 "$ISM_BIN" calibrate -s "$SC" --phase blk-read-4k-direct -o "$T/cal.json" \
	"$R/pseries-ddw-q1.txt.xz" "$R/pseries-noddw-q1.txt.xz"
grep -q 'cost.guest_per_page_ns = ' "$OUT" || fail "no per-page value said"
for k in '"calibration"' '"fitted"' '"undetermined_kept_from_base"' '"predictions"' \
	'"residual"' '"path": "cost.guest_per_page_ns"' '"path": "cost.h_put_tce.fixed_ns"' \
	'"path": "cost.device_xlate_per_page_ns"' '"path": "cost.device_job_tce_ns"' \
	'"recorded_with": "ddw"' \
	'"recorded_with": "window32"' '"single_call_median_ns"'; do
	grep -q "$k" "$T/cal.json" || fail "calibrate output lacks $k"
done
# one phase shape (4 pages in every device job): the job cost is not told from the per-page one
awk '/"undetermined_kept_from_base"/ { u = 1 } u && /"cost.device_job_tce_ns"/ { f = 1 }
	f && /not told apart/ { ok = 1 } END { exit !ok }' "$T/cal.json" ||
	fail "one phase shape: device_job_tce_ns not marked as not told apart"
# every phase (1, 4, 16-19 pages per job): both fitted, together
expect_exit 0 "$ISM_BIN" calibrate -s "$SC" -o "$T/all.json" \
	"$R/pseries-ddw-q1.txt.xz" "$R/pseries-noddw-q1.txt.xz"
grep -q 'cost.device_job_tce_ns = ' "$OUT" || fail "every phase: no job cost fitted: $(cat "$OUT")"
grep -q '"fitted_with"' "$T/all.json" || fail "every phase: the joint fit is not said"
# the held-out check: each held-out trace as the other configuration; its RMS error becomes the
# scenario's model error, which verdicts then state and judge against
expect_exit 0 "$ISM_BIN" calibrate -s "$SC" --phase blk-read-4k-direct -o "$T/ho.json" \
	"$R/pseries-ddw-q1.txt.xz" "$R/pseries-noddw-q1.txt.xz" \
	-H "$R/pseries-ddw-q2.txt.xz" -H "$R/pseries-noddw-q2.txt.xz"
grep -q 'held out: 2 traces, model error [0-9.]*%' "$OUT" || fail "no held-out error said: $(cat "$OUT")"
grep -q '"held_out"' "$T/ho.json" || fail "no held_out record"
me=$(awk -F': ' '/"model_error_pct"/ { gsub(/,/, "", $2); print $2; exit }' "$T/ho.json")
[ -n "$me" ] || fail "no sim.model_error_pct written"
# the RMS of the two held-out predictions' errors, recomputed from the record
awk -v me="$me" '/"held_out"/ { h = 1 } h && /"error_pct"/ { gsub(/,/, "", $2); s += $2 * $2; n++ }
	END { r = sqrt(s / n); exit !(n == 2 && (r - me) < 0.06 && (me - r) < 0.06) }' "$T/ho.json" ||
	fail "model error $me is not the RMS of the held-out errors"
expect_exit 0 "$ISM_BIN" run -s "$T/ho.json" -S ddw,window32 "$R/pseries-noddw-q2.txt.xz"
tr '\n' ' ' <"$OUT" | tr -s ' ' | grep -q "Model error: $me% (the scenario's held-out check" ||
	fail "the verdict does not state the scenario's model error $me%"
# --no-fit: only the check, the base's values kept
expect_exit 0 "$ISM_BIN" calibrate --no-fit -s "$SC" --phase blk-read-4k-direct -o "$T/nf.json" \
	"$R/pseries-ddw-q2.txt.xz" "$R/pseries-noddw-q2.txt.xz"
grep -q '"guest_per_page_ns"' "$T/nf.json" && fail "--no-fit fitted a value"
grep -q '"model_error_pct"' "$T/nf.json" || fail "--no-fit wrote no model error"
# a check needs two configurations
expect_exit 2 "$ISM_BIN" calibrate --no-fit -s "$SC" -o "$T/nf1.json" \
	"$R/pseries-ddw-q2.txt.xz" "$R/pseries-ddw-q3.txt.xz"
grep -q 'needs two or more' "$ERR" || fail "one configuration held out: $(cat "$ERR")"
[ -e "$T/nf1.json" ] && fail "a failed check left its output"
expect_exit 2 "$ISM_BIN" calibrate --no-fit -H "$R/pseries-ddw-q2.txt.xz" -o "$T/x.json" \
	"$R/pseries-ddw-q3.txt.xz"
# it is a scenario
expect_exit 0 "$ISM_BIN" run -s "$T/cal.json" -S ddw "$R/pseries-noddw-q2.txt.xz"
# one configuration: nothing outside the hypercalls can be fitted
expect_exit 0 "$ISM_BIN" calibrate -s "$SC" -o "$T/one.json" "$R/pseries-noddw-q1.txt.xz"
awk '/"undetermined_kept_from_base"/ { u = 1 } u && /"cost.guest_per_page_ns"/ { f = 1 }
	END { exit !f }' "$T/one.json" || fail "one configuration: guest_per_page_ns not undetermined"

# phases: start and end markers; durations in JSON; patterns settable
expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw --format json "$R/pseries-ddw-q1.txt.xz"
grep -q '"end_marker": true' "$OUT" || fail "phase end markers not recognised"
grep -q '"duration_ns"' "$OUT" || fail "no phase durations"
expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw --format json \
	--set 'sim.phase_marker=iommusim phase=(blk-[a-z0-9-]+)' "$R/pseries-ddw-q1.txt.xz"
grep -q '"name": "blk-read-4k-direct"' "$OUT" || fail "sim.phase_marker ignored"
grep -q '"name": "net-ping"' "$OUT" && fail "sim.phase_marker matched what it should not"
expect_exit 2 "$ISM_BIN" run -s "$SC" -S ddw --set 'sim.phase_marker=phase=(' \
	"$R/pseries-ddw-q1.txt.xz"
grep -q 'sim.phase_marker' "$ERR" || fail "bad pattern: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" run -s "$SC" -S ddw --set 'sim.phase_marker=phase=x' \
	"$R/pseries-ddw-q1.txt.xz"
grep -q 'no group' "$ERR" || fail "pattern without a group: $(cat "$ERR")"
pass
