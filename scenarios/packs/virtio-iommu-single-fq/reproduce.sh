#!/bin/sh
# The stale window of a single flush queue (iommu-dma:lazy-single) on the arm64 NVMe trace,
# and the DMA path's time per-CPU queues / single queue with a flush as costly as a trap.
. "$(dirname "$0")/../common.sh"
SC=$(dirname "$0")/scenario.json
TR=$TRACES/arm64/arm64-lazy.txt.xz
w=$(stat "$SC" "$TR" iommu-dma:lazy-single stale_window_max_ns)
a=$(guest_sw "$SC" "$TR" iommu-dma:lazy)
b=$(guest_sw "$SC" "$TR" iommu-dma:lazy-single)
echo "reproduced $(awk -v w="$w" 'BEGIN { printf "%.3f", w / 1e9 }')"
echo "dma-path ratio per-CPU/single $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
