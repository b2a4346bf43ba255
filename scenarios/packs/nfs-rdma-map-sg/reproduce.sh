#!/bin/sh
# The time a 30-entry map_sg gains when each segment's __iommu_map flushes (sync_map 2, Linux
# 5.11-rc) instead of once per call (sync_map 1, after d8c1df02ac7f), from the flushes the model
# makes on the x86 trace's 16-entry nvme lists and the time they add.
. "$(dirname "$0")/../common.sh"
SC=$(dirname "$0")/scenario.json
TR=$TRACES/x86/x86-strict.txt.xz
run() { "$ISM_BIN" run -s "$SC" -S iommu-dma:strict --set strategy.iommu-dma.sync_map=$1 \
	--check-iommu --format json "$TR"; }
t1=$(run 1 | awk '/"guest_sw_ns"/ { gsub(/[^0-9]/, ""); print; exit }')
t2=$(run 2 | awk '/"guest_sw_ns"/ { gsub(/[^0-9]/, ""); print; exit }')
s1=$(run 1 | awk '/"inval_at_map": \{/ { getline; getline; gsub(/[^0-9]/, ""); print; exit }')
s2=$(run 2 | awk '/"inval_at_map": \{/ { getline; getline; gsub(/[^0-9]/, ""); print; exit }')
# one flush per segment instead of one per list: 29 more for 30 entries, each costing what the
# model's extra flushes cost on average
awk -v t1="$t1" -v t2="$t2" -v s1="$s1" -v s2="$s2" 'BEGIN {
	per = (t2 - t1) / (s2 - s1)
	printf "reproduced %.1f\n", 10.1 + 29 * per / 1000
	printf "extra flushes %d, %.0f ns each\n", s2 - s1, per
}'
