#!/bin/sh
# The DMA path's time strict over lazy on the x86 trace, invalidations trapping (10.1 us).
. "$(dirname "$0")/../common.sh"
SC=$(dirname "$0")/scenario.json
TR=$TRACES/x86/x86-strict.txt.xz
a=$(guest_sw "$SC" "$TR" iommu-dma:strict)
b=$(guest_sw "$SC" "$TR" iommu-dma:lazy)
echo "reproduced $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
