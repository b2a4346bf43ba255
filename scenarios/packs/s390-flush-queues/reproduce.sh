#!/bin/sh
# The DMA path's time with per-CPU flush queues over a single queue, flushes at 100 us.
. "$(dirname "$0")/../common.sh"
SC=$(dirname "$0")/scenario.json
TR=$TRACES/x86/x86-lazy.txt.xz
a=$(guest_sw "$SC" "$TR" iommu-dma:lazy)
b=$(guest_sw "$SC" "$TR" iommu-dma:lazy-single)
echo "reproduced $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
