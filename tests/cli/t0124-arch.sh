#!/bin/sh
# machine.arch (iommusim-scenario(5)): compare without -S replays the strategies the
# architecture allows (the arches field of each strategy_ops entry), the recorded one always;
# an unknown architecture is an error. The x86 and arm64 scenarios load; sync_map=1 (VT-d
# caching mode) predicts the caching-mode trace's flushes at map exactly.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
S="$ISM_SRCDIR/scenarios"

rows() { awk '/^Summary/ { on = 1; getline; next } on && NF == 0 { exit } on { sub(/[*@]$/, "", $1); print $1 }' "$OUT"; }

expect_exit 0 "$ISM_BIN" compare -s "$S/qemu-x86-vtd.json" --format csv "$TRACES/x86/x86-strict.txt.xz"
cut -d, -f1 "$OUT" >"$T/x86"
for s in iommu-dma:strict iommu-dma:lazy iommu-dma:lazy-single swiotlb passthrough; do
	grep -qx "$s" "$T/x86" || fail "x86: no $s row"
done
for s in window32 ddw direct-tce indirect-tce svm pkvm:share-per-map; do
	grep -qx "$s" "$T/x86" && fail "x86: $s replayed"
done
expect_exit 0 "$ISM_BIN" compare -s "$S/qemu-arm64-smmuv3.json" --format csv "$TRACES/arm64/arm64-lazy.txt.xz"
cut -d, -f1 "$OUT" >"$T/arm64"
for s in iommu-dma:strict iommu-dma:lazy pkvm:share-per-map pkvm:use-dma swiotlb passthrough; do
	grep -qx "$s" "$T/arm64" || fail "arm64: no $s row"
done
grep -qx window32 "$T/arm64" && fail "arm64: window32 replayed"
# pseries (the default): the mission's list, and the recorded strategy added
expect_exit 0 "$ISM_BIN" compare --format csv "$TRACES/x86/x86-lazy.txt.xz"
cut -d, -f1 "$OUT" >"$T/ppc"
for s in window32 ddw svm swiotlb+window32 iommu-dma:lazy; do
	grep -qx "$s" "$T/ppc" || fail "pseries: no $s row"
done
grep -qx iommu-dma:strict "$T/ppc" && fail "pseries: iommu-dma:strict replayed"
# an unknown architecture: exit 2 naming the key
printf '{"schema_version": 1, "machine": {"arch": "sparc"}}\n' >"$T/bad.json"
expect_exit 2 "$ISM_BIN" compare -s "$T/bad.json" "$TRACES/x86/x86-lazy.txt.xz"
grep -q 'bad.json:1:.*machine.arch.*"sparc" is not an architecture' "$ERR" || fail "no position for machine.arch"
# VT-d caching mode: one flush per DMA-API map call
expect_exit 0 "$ISM_BIN" run --check-iommu -S iommu-dma:strict --set strategy.iommu-dma.sync_map=1 \
	"$TRACES/x86/x86-strict-cm.txt.xz"
tr '\n' ' ' <"$OUT" | tr -s ' ' | grep -q 'invalidations at map 8163 / 8163, 8163 (equal)' ||
	fail "sync_map=1 does not predict the caching-mode flushes"
pass
