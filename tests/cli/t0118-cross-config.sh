#!/bin/sh
# Cross-configuration prediction on held-out repeats (iommusim(1), CALIBRATE): the shipped
# scenarios/qemu-pseries-calibrated.json was made by `iommusim calibrate` from the real-time
# repeats q1-q3 of DDW on and off (traces/repeats/README.md); here each HELD-OUT repeat (q4-q6)
# of one configuration is replayed as the other, and the predicted duration of the phase
# blk-read-4k-direct (start to end marker) must land in the other configuration's recorded
# range over its held-out repeats, +-10% (fold A). Misses as measured when the scenario was calibrated
# (2 of 6: noddw-q4 and noddw-q5, the two slowest DDW-off runs, predicted as DDW on 1.9% and
# 10.5% above the DDW-on range's +10%; README.md, Timing, says why the run-to-run noise of these
# repeats puts noddw-q5 out of reach of any model fitted on q1-q3) are allowed, no more. Fold B
# swaps the sets: calibrate fits on q4-q6 here and q1-q3 are predicted. Folds C and D predict
# q7-q12, the second real-time set (captured a day later on another host, after every fit
# above; traces/repeats/README.md): C with the shipped scenario, D with the same rules fitted
# here on q1-q6.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries-calibrated.json"
R="$TRACES/repeats"
PH=blk-read-4k-direct
ALLOWED_MISSES=2

# duration_ns of phase $PH: recorded (first "phases" array) or of the one strategy
dur() { # JSON-FILE recorded|strategy
	awk -v want="$2" -v ph="$PH" '
		/"recorded": \{/ { sec = "recorded" }
		/"strategies": \[/ { sec = "strategy" }
		sec == want && $0 ~ "\"name\": \"" ph "\"" { hit = 1 }
		hit && /"duration_ns":/ { gsub(/[^0-9]/, "", $2); print $2; exit }' "$1"
}
grep -q '"calibration"' "$SC" || fail "$SC carries no calibration record"

# fold SCENARIO "Q..." ALLOWED: the repeats Q of each configuration replayed as the other,
# against the other's recorded range over the same repeats, +-10%; at most ALLOWED misses
fold() {
	fsc=$1 qs=$2 allowed=$3
	for cfg in ddw noddw; do
		lo=; hi=
		for q in $qs; do
			expect_exit 0 "$ISM_BIN" run -s "$fsc" -S passthrough --format json \
				"$R/pseries-$cfg-q$q.txt.xz"
			d=$(dur "$OUT" recorded)
			[ -n "$d" ] || fail "pseries-$cfg-q$q: no recorded $PH duration"
			[ -z "$lo" ] || [ "$d" -lt "$lo" ] && lo=$d
			[ -z "$hi" ] || [ "$d" -gt "$hi" ] && hi=$d
		done
		eval "lo_$cfg=$lo hi_$cfg=$hi"
	done
	misses=0
	for cfg in ddw noddw; do
		if [ $cfg = ddw ]; then as=window32 other=noddw; else as=ddw other=ddw; fi
		eval "lo=\$lo_$other hi=\$hi_$other"
		for q in $qs; do
			expect_exit 0 "$ISM_BIN" run -s "$fsc" -S $as --format json \
				"$R/pseries-$cfg-q$q.txt.xz"
			p=$(dur "$OUT" strategy)
			[ -n "$p" ] || fail "pseries-$cfg-q$q as $as: no predicted $PH duration"
			if awk -v p="$p" -v lo="$lo" -v hi="$hi" \
				'BEGIN { exit !(p >= lo * 0.9 && p <= hi * 1.1) }'
			then r=in; else r=MISS; misses=$((misses + 1)); fi
			echo "pseries-$cfg-q$q as $as: predicted $p ns, $other recorded $lo..$hi ns: $r"
		done
	done
	n=$(echo "$qs" | wc -w)
	[ "$misses" -le "$allowed" ] ||
		fail "$fsc: $misses of $((2 * n)) held-out predictions outside the recorded range +-10% (allowed: $allowed)"
}

# fold A: the shipped scenario, fitted on q1-q3, predicts q4-q6
fold "$SC" "4 5 6" $ALLOWED_MISSES

# fold B: the same rules fitted here on q4-q6 (calibrate from the default scenario) predict
# q1-q3. Measured: 1 miss, pseries-ddw-q3 (the slowest DDW-on run, 2.74 s against 2.02-2.14 s
# for q1-q2) as window32, 5.9% above the DDW-off range's +10%.
H=
for cfg in ddw noddw; do for q in 1 2 3; do H="$H -H $R/pseries-$cfg-q$q.txt.xz"; done; done
# shellcheck disable=SC2086
expect_exit 0 "$ISM_BIN" calibrate -s "$ISM_SRCDIR/scenarios/qemu-pseries.json" -o "$T/fold-b.json" \
	$H "$R/pseries-ddw-q4.txt.xz" "$R/pseries-ddw-q5.txt.xz" "$R/pseries-ddw-q6.txt.xz" \
	"$R/pseries-noddw-q4.txt.xz" "$R/pseries-noddw-q5.txt.xz" "$R/pseries-noddw-q6.txt.xz"
fold "$T/fold-b.json" "1 2 3" 1

# fold C: the shipped scenario (fitted on q1-q3) predicts q7-q12, against the ranges over
# q7-q12. Measured: 0 misses of 12. The band is wide: in q7-q12 DDW on (1.60-2.76 s) and off
# (2.00-3.50 s) overlap, so this fold tells less than its count says (keeping each trace's own
# recorded duration as the prediction would land 9 of 12 in the band: README.md, Timing).
fold "$SC" "7 8 9 10 11 12" 0

# fold D: the same rules fitted here on q1-q6 predict q7-q12. Measured: 1 miss,
# pseries-noddw-q9 as ddw, 1.369 s, 4.9% below the DDW-on range's -10% (1.441 s): the FASTEST
# DDW-off run (1.996 s, faster than 4 of the 6 DDW-on runs), so its replay without the TCE
# costs comes out faster than any DDW-on run.
H=
for cfg in ddw noddw; do for q in 7 8 9 10 11 12; do H="$H -H $R/pseries-$cfg-q$q.txt.xz"; done; done
F=
for cfg in ddw noddw; do for q in 1 2 3 4 5 6; do F="$F $R/pseries-$cfg-q$q.txt.xz"; done; done
# shellcheck disable=SC2086
expect_exit 0 "$ISM_BIN" calibrate -s "$ISM_SRCDIR/scenarios/qemu-pseries.json" -o "$T/fold-d.json" $H $F
fold "$T/fold-d.json" "7 8 9 10 11 12" 1
pass
