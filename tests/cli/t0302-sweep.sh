#!/bin/sh
# sweep: ranges and lists, points in parallel with deterministic output, a provenance manifest
# per point, crossovers that agree with the points around them, the swiotlb sizing advice,
# the figure, and bad sweeps rejected before anything runs. Expectations come from the sweep's
# own CSV (properties), never from typed-in numbers.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
TR="$TRACES/pseries-noddw.txt.xz"
A=direct-tce
B=indirect-tce:share-per-call
have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1

# the H_PUT_TCE latency above which share-per-call indirect beats direct TCE
expect_exit 0 "$ISM_BIN" sweep -s "$SC" -S "$A,$B" -p cost.h_put_tce.fixed_ns=100:100000:log:6 \
	-m run_ns -j 2 -O "$T/s" "$TR"
for f in sweep.txt sweep.csv sweep.json sweep-plot.csv render.sh plots/sweep.gp; do
	[ -s "$T/s/$f" ] || fail "sweep -O: no $f"
done
# long form: a row per point, strategy and metric; the version in a column
head -1 "$T/s/sweep.csv" | grep -q '^point,cost.h_put_tce.fixed_ns,strategy,metric,value,schema_version$' ||
	fail "sweep.csv: unexpected header $(head -1 "$T/s/sweep.csv")"
grep -q '^#' "$T/s/sweep.csv" && fail "sweep.csv has comment lines"
[ "$(awk -F, 'NR > 1 && $4 == "run_ns"' "$T/s/sweep.csv" | wc -l)" -eq 12 ] ||
	fail "sweep.csv: not 6 points x 2 strategies"
awk -F, 'NR > 1 && $6 != 2 { exit 1 }' "$T/s/sweep.csv" || fail "sweep.csv: schema_version not 2"
# nanoseconds are integers, never in scientific notation
awk -F, 'NR > 1 && $4 ~ /_ns$/ && $5 !~ /^-?[0-9]+$/ { print; exit 1 }' "$T/s/sweep.csv" ||
	fail "sweep.csv: a _ns value is not an integer"
# the range: 6 values from 100 to 100000, each 10^0.6 times the previous
awk -F, 'NR > 1 && $3 == "direct-tce" && $4 == "run_ns" { v[n++] = $2 } END {
	if (n != 6 || v[0] != 100 || v[5] != 100000) exit 1
	for (i = 1; i < n; i++) { r = v[i] / v[i - 1]; if (r < 3.97 || r > 4.0) exit 1 } }' \
	"$T/s/sweep.csv" || fail "the log range is not 100..100000 in 6 geometric steps"

# every point has its result and manifest: same trace hash, its own scenario hash
n=$(ls "$T/s/points" | grep -c '^[0-9][0-9][0-9][0-9]\.json$')
[ "$n" -eq 6 ] || fail "$n point files, not 6"
if command -v sha256sum >/dev/null 2>&1; then
	h=$(sha256sum "$TR" | awk '{print $1}')
	[ "$(grep -l "\"$h\"" "$T/s/points/"*.json | wc -l)" -eq 6 ] ||
		fail "a point's manifest lacks the trace hash"
fi
[ "$(grep -h '"effective_sha256"' "$T/s/points/"*.json | sort -u | wc -l)" -eq 6 ] ||
	fail "points do not have distinct scenario hashes"
grep -q '"cost.h_put_tce.fixed_ns=100"' "$T/s/points/0000.json" ||
	fail "point 0's manifest does not list its parameter value"

# the crossover lies between two adjacent points where the order of run_ns flips, and the
# strategy said to be better below is better at the point below
line=$(grep '^  run_ns: cost.h_put_tce.fixed_ns = ' "$T/s/sweep.txt") ||
	fail "no run_ns crossover found: $(tail -5 "$T/s/sweep.txt")"
x=$(grep -o '"x": [0-9.e+]*' "$T/s/sweep.json" | head -1 | awk '{print $2}')
lo=$(grep -o '"x_low": [0-9.e+]*' "$T/s/sweep.json" | head -1 | awk '{print $2}')
hi=$(grep -o '"x_high": [0-9.e+]*' "$T/s/sweep.json" | head -1 | awk '{print $2}')
below=$(grep -o '"better_below": "[^"]*"' "$T/s/sweep.json" | head -1 | cut -d'"' -f4)
above=$(grep -o '"better_above": "[^"]*"' "$T/s/sweep.json" | head -1 | cut -d'"' -f4)
awk -v x="$x" -v l="$lo" -v h="$hi" 'BEGIN { exit !(l < x && x < h) }' ||
	fail "crossover $x not between $lo and $hi"
runat() {
	awk -F, -v x="$1" -v s="$2" 'NR > 1 && $2 == x && $3 == s && $4 == "run_ns" { print $5 }' \
		"$T/s/sweep.csv"
}
awk -v a="$(runat "$lo" "$below")" -v b="$(runat "$lo" "$above")" 'BEGIN { exit !(a < b) }' ||
	fail "$below is not better than $above at $lo"
awk -v a="$(runat "$hi" "$below")" -v b="$(runat "$hi" "$above")" 'BEGIN { exit !(a > b) }' ||
	fail "$above is not better than $below at $hi"
[ "$below" = "$A" ] && [ "$above" = "$B" ] ||
	fail "expected $A better below the crossover and $B above (got $below / $above)"

# deterministic: one worker gives the same CSV and crossovers as two
expect_exit 0 "$ISM_BIN" sweep -s "$SC" -S "$A,$B" -p cost.h_put_tce.fixed_ns=100:100000:log:6 \
	-m run_ns -j 1 --format csv "$TR"
cmp -s "$OUT" "$T/s/sweep.csv" || fail "-j 1 and -j 2 give different CSV"

# points that differ only in costs (or in anything else) share one decode of the trace: 16
# points are one pass over its events, 65 points two (64 a pass at most)
ev=$("$ISM_BIN" stats --json "$TR" | grep -o '"events": [0-9]*' | head -1 | awk '{print $2}')
expect_exit 0 "$ISM_BIN" sweep -s "$SC" -S "$A,$B" -p cost.h_put_tce.fixed_ns=100:100000:log:16 \
	-m run_ns -j 2 "$TR"
grep -q "^16 points x 2 strategies, 2 workers, 1 decode pass of $ev events, " "$OUT" ||
	fail "16 cost points are not one decode of the $ev events: $(sed -n 3p "$OUT")"
expect_exit 0 "$ISM_BIN" sweep -s "$SC" -S "$A" -p cost.h_put_tce.fixed_ns=100:100000:lin:65 \
	-m run_ns -j 2 "$TR"
grep -q "^65 points x 1 strategies, 2 workers, 2 decode passes of $((2 * ev)) events, " "$OUT" ||
	fail "65 points are not two decodes: $(sed -n 3p "$OUT")"

# the figure, and redrawing it from the folder
if [ $have_gnuplot = 1 ]; then
	[ -s "$T/s/sweep.png" ] && [ -s "$T/s/sweep.svg" ] || fail "no sweep figure"
	expect_exit 0 "$ISM_BIN" plot sweep "$T/s" -o "$T/again.svg"
	grep -q '<svg' "$T/again.svg" || fail "plot sweep drew nothing"
fi

# the swiotlb sizing advisor: the smallest pool with no failed map, failures just below it
TS="$TRACES/pseries-swiotlb.txt.xz"
expect_exit 0 "$ISM_BIN" sweep -s "$SC" -S swiotlb -p machine.swiotlb_bytes=1MiB,2MiB,4MiB,8MiB \
	-m map_failures --format json "$TS"
grep -q '"found": true' "$OUT" || fail "sizing: no pool without failures"
small=$(grep -o '"smallest_bytes": [0-9]*' "$OUT" | awk '{print $2}')
below=$(grep -o '"next_smaller_bytes": [0-9]*' "$OUT" | awk '{print $2}')
[ -n "$small" ] && [ -n "$below" ] || fail "sizing: no smallest size or no failing size below"
expect_exit 0 "$ISM_BIN" sweep -s "$SC" -S swiotlb -p machine.swiotlb_bytes=1MiB,2MiB,4MiB,8MiB \
	-m map_failures --format csv "$TS"
awk -F, -v s="$small" -v b="$below" 'NR > 1 && $4 == "map_failures" { n++
	if ($2 >= s && $5 != 0) bad = 1; if ($2 == b && $5 == 0) bad = 1 }
	END { exit bad || n != 4 }' "$OUT" ||
	fail "sizing advice disagrees with the points"
expect_exit 0 "$ISM_BIN" sweep -s "$SC" -S swiotlb -p machine.swiotlb_bytes=1MiB,2MiB,4MiB,8MiB \
	"$TS"
grep -q '^  swiotlb: smallest pool with no failed map .*margin' "$OUT" || fail "no sizing line"

# two parameters: the product, crossovers per value of the second; a level crossing
expect_exit 0 "$ISM_BIN" sweep -s "$SC" -S ddw,window32 --set machine.max_ram_bytes=0 \
	--set machine.ddw_page_mask=0x1000 -p machine.ram_bytes=2GiB,32GiB \
	-p cost.h_put_tce_indirect.per_entry_ns=77,154 -m end_ns -l ddw:setup_share=0.001 \
	--format csv "$TRACES/pseries-ddw.txt.xz"
[ "$(awk -F, 'NR > 1 && $5 == "end_ns"' "$OUT" | wc -l)" -eq 8 ] ||
	fail "2 x 2 points x 2 strategies: not 8 rows"

# bad sweeps: exit 2 before anything runs
expect_exit 2 "$ISM_BIN" sweep -S ddw -p cost.h_put_tc.fixed_ns=1,2 "$TR"
grep -q "did you mean cost.h_put_tce.fixed_ns" "$ERR" || fail "no suggestion for a misspelt path"
expect_exit 2 "$ISM_BIN" sweep -S ddw -p cost.h_put_tce.fixed_ns=1:2:cubic:4 "$TR"
expect_exit 2 "$ISM_BIN" sweep -S ddw -p cost.h_put_tce.fixed_ns=0:100:log:4 "$TR"
expect_exit 2 "$ISM_BIN" sweep -S ddw -p machine.swiotlb_bytes=1KiB,64MiB "$TR"
grep -q "machine.swiotlb_bytes" "$ERR" || fail "an out-of-range value is not named"
expect_exit 2 "$ISM_BIN" sweep -S ddw "$TR"
expect_exit 2 "$ISM_BIN" sweep -S ddw -p machine.cpus=1,2 /nonexistent.trace
expect_exit 2 "$ISM_BIN" sweep -S ddw -p machine.cpus=1,2 -x ddw,svm "$TR"
expect_exit 2 "$ISM_BIN" sweep -S ddw -p machine.cpus=1,2 -m boot_secs "$TR"
expect_exit 2 "$ISM_BIN" sweep -S ddw -p machine.cpus=1,2 -j 0 "$TR"
pass
