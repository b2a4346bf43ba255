#!/bin/sh
# The recorded strategy, detected from the trace (iommusim(1), RECORDED STRATEGY): stats names
# it with its evidence; run and compare replay it as recorded, mark its row in text, JSON and
# CSV; sim.recorded_with overrides it.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"

detected() { # TRACE SPEC
	expect_exit 0 "$ISM_BIN" stats "$TRACES/$1"
	grep -q "^recorded strategy: $2 (" "$OUT" || fail "$1: not detected as $2: $(grep '^recorded' "$OUT")"
}
detected pseries-noddw.txt.xz window32
detected pseries-ddw-nomaxmem.txt.xz window32
detected pseries-ddw.txt.xz ddw
detected pseries-multitce-off.txt.xz direct-tce
detected pseries-swiotlb.txt.xz swiotlb+ddw
detected x86/x86-strict.txt.xz iommu-dma:strict
detected x86/x86-lazy.txt.xz iommu-dma:lazy
detected x86/x86-swiotlb.txt.xz swiotlb
detected arm64/arm64-strict.txt.xz iommu-dma:strict
detected arm64/arm64-lazy.txt.xz iommu-dma:lazy
expect_exit 0 "$ISM_BIN" stats "$TRACES/pseries-noddw.txt.xz"
grep -q '^recorded strategy: window32 .*IOMMU page 4 KiB$' "$OUT" || fail "no IOMMU page size"
expect_exit 0 "$ISM_BIN" stats --json "$TRACES/pseries-ddw.txt.xz"
grep -q '"spec": "ddw"' "$OUT" || fail "stats --json: no recorded_strategy"

# compare: the detected strategy's row, marked, is the baseline; always there even with -S
expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw "$TRACES/pseries-noddw.txt.xz"
grep -q '^Verdict against window32 (as recorded' "$OUT" || fail "detected strategy not the baseline"
grep -q '^window32\* ' "$OUT" || fail "no as-recorded row"
tr '\n' ' ' <"$OUT" | tr -s ' ' | grep -q 'Recorded with window32 (detected: ' ||
	fail "the recording does not say how its strategy is known"
# with another baseline the recorded row is marked @
expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw --baseline ddw "$TRACES/pseries-noddw.txt.xz"
grep -q '^window32@ ' "$OUT" || fail "the as-recorded row is not marked when not the baseline"
expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw --format csv "$TRACES/pseries-noddw.txt.xz"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "as_recorded") c = i }
	 NR > 1 && $c == 1 { print $1 }' "$OUT" | grep -qx window32 || fail "csv: as_recorded"
expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw --format json "$TRACES/pseries-noddw.txt.xz"
grep -q '"recorded_with_source": "detected"' "$OUT" || fail "json: recorded_with_source"
# the override
expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw --set sim.recorded_with=direct-tce \
	"$TRACES/pseries-noddw.txt.xz"
grep -q "^Verdict against direct-tce (as recorded" "$OUT" && grep -q "Recorded with direct-tce (sim.recorded_with)" "$OUT" ||
	fail "sim.recorded_with does not override the detection"
pass
