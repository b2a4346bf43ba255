#!/bin/sh
# The cc-shared strategy (a confidential guest under DMA_ATTR_CC_SHARED) on every shipped trace
# family: the pseries traces, the x86_64 and arm64 ones, one repeat. The per-mapping decision is
# checked against the trace's own events, counted here by awk: under bounce-all every streaming
# map (dma_map_page, dma_map_sg) is bounced; under pre-shared (default selection: tx) exactly
# the TO_DEVICE ones go direct, and with a device named only that device's; under convert none
# is bounced and nothing is copied; every variant converts each dma_alloc once. On x86-swiotlb,
# recorded with swiotlb=force, the bounces bounce-all makes equal the swiotlb_bounced events the
# kernel recorded.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

# "maps tx allocs bounced dev1maps dev1" of a trace: streaming maps, TO_DEVICE ones, coherent
# allocations, swiotlb_bounced events, and the maps of the first device that maps
count() {
	xz -dc "$1" | awk '
/^#/ { next }
{
	ev = ""; dev = ""
	for (i = 1; i < NF; i++)
		if ($i ~ /^[0-9]+\.[0-9]+:$/) { ev = $(i + 1); dev = $(i + 2); break }
	if (ev == "dma_map_page:" || ev == "dma_map_sg:") {
		maps++
		if ($0 ~ / dir=TO_DEVICE /) tx++
		if (first == "") first = dev
		if (dev == first) fmaps++
	} else if (ev == "dma_alloc:")
		allocs++
	else if (ev == "swiotlb_bounced:")
		bounced++
}
END { printf "%d %d %d %d %d %s\n", maps, tx, allocs, bounced, fmaps, first }'
}

stat() { # NAME: the value of statistic NAME in $OUT
	awk -v k="\"$1\": {" 'index($0, k) { getline; gsub(/[^0-9.]/, ""); print; exit }' "$OUT"
}

pool() { # NAME: the value of "NAME" in the pool object of $OUT
	awk -v k="\"$1\":" '/"pool": \{/ { p = 1 } p && index($0, k) { gsub(/[^0-9]/, ""); print; exit }' "$OUT"
}

n=0
for tr in "$TRACES"/*.txt.xz "$TRACES"/x86/*.txt.xz "$TRACES"/arm64/*.txt.xz \
	"$TRACES"/repeats/pseries-ddw-r1.txt.xz; do
	name=${tr##*/}
	set -- $(count "$tr")
	maps=$1 tx=$2 allocs=$3 bounced=$4 fmaps=$5 first=$6
	[ "$maps" -gt 1000 ] && [ "$tx" -gt 0 ] && [ "$allocs" -gt 0 ] ||
		fail "$name: counting failed ($maps maps, $tx tx, $allocs allocs)"

	expect_exit 0 "$ISM_BIN" run -S cc-shared --format json "$tr"
	[ "$(stat maps_bounced)" = "$maps" ] && [ "$(stat maps_direct)" = 0 ] ||
		fail "$name bounce-all: $(stat maps_bounced) bounced, $(stat maps_direct) direct; the trace has $maps maps"
	[ "$(stat map_failures)" = 0 ] || fail "$name: $(stat map_failures) map failures"
	[ "$(stat coherent_converted)" = "$allocs" ] ||
		fail "$name: $(stat coherent_converted) allocations converted, the trace has $allocs"
	grep -q '"name": "TDX MapGPA"' "$OUT" || fail "$name: no MapGPA in calls"
	if [ "$bounced" -gt 0 ]; then
		[ "$(pool bounces)" = "$bounced" ] ||
			fail "$name: $(pool bounces) bounces, the kernel recorded $bounced swiotlb_bounced"
	fi

	expect_exit 0 "$ISM_BIN" run -S cc-shared:pre-shared --format json "$tr"
	[ "$(stat maps_direct)" = "$tx" ] && [ "$(stat maps_bounced)" = $((maps - tx)) ] ||
		fail "$name pre-shared: $(stat maps_direct) direct, $(stat maps_bounced) bounced; the trace has $tx tx of $maps maps"

	expect_exit 0 "$ISM_BIN" run -S cc-shared:pre-shared --set "strategy.cc-shared.pre_shared=$first" \
		--set strategy.cc-shared.platform=snp --format json "$tr"
	[ "$(stat maps_direct)" = "$fmaps" ] ||
		fail "$name pre-shared $first: $(stat maps_direct) direct, the trace has $fmaps maps of $first"
	grep -q '"name": "SNP page-state change"' "$OUT" || fail "$name: no SNP page-state change"

	expect_exit 0 "$ISM_BIN" run -S cc-shared:convert --format json "$tr"
	[ "$(stat maps_direct)" = "$maps" ] && [ "$(stat maps_bounced)" = 0 ] &&
		[ "$(stat copied_bytes)" = 0 ] ||
		fail "$name convert: $(stat maps_direct) direct, $(stat maps_bounced) bounced, $(stat copied_bytes) bytes copied"
	[ "$(stat conversions)" -gt "$allocs" ] || fail "$name convert: $(stat conversions) conversions"
	n=$((n + 1))
done
[ "$n" -ge 20 ] || fail "only $n traces"
# pkvm-guest: one MEM_SHARE per 4 KiB granule; the 64 MiB pool at boot (16384), each dma_alloc
# at run time (its pages, counted by awk), every streaming map bounced; pooled shares only when
# its heap grows and never unshares
for tr in "$TRACES"/pseries-ddw.txt.xz "$TRACES"/x86/x86-strict.txt.xz \
	"$TRACES"/arm64/arm64-strict.txt.xz "$TRACES"/repeats/pseries-noddw-r1.txt.xz; do
	name=${tr##*/}
	set -- $(xz -dc "$tr" | awk '
{ for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { ev = $(i + 1); break } }
ev == "dma_map_page:" || ev == "dma_map_sg:" { maps++ }
ev == "dma_alloc:" { for (i = 1; i <= NF; i++) if ($i ~ /^size=/) { s = substr($i, 6); g += int((s + 4095) / 4096) } }
END { print maps, g }')
	maps=$1 granules=$2
	expect_exit 0 "$ISM_BIN" run -S pkvm-guest --set sim.boot_in_trace=yes --format json "$tr"
	[ "$(stat boot_share_hvcs)" = 16384 ] || fail "$name: $(stat boot_share_hvcs) boot MEM_SHARE"
	[ "$(stat run_share_hvcs)" = "$granules" ] ||
		fail "$name: $(stat run_share_hvcs) MEM_SHARE at run time, the allocations have $granules granules"
	[ "$(stat bounced_maps)" = "$maps" ] || fail "$name: $(stat bounced_maps) bounced of $maps maps"
	grep -q '"name": "MEM_SHARE"' "$OUT" || fail "$name: no MEM_SHARE in calls"
	pg=$(($(stat run_share_hvcs) + 16384))
	expect_exit 0 "$ISM_BIN" run -S pkvm-guest:pooled --format json "$tr"
	[ "$(stat boot_share_hvcs)" = 0 ] && [ "$(stat unshare_hvcs)" = 0 ] ||
		fail "$name pooled: $(stat boot_share_hvcs) boot, $(stat unshare_hvcs) unshare HVCs"
	r=$(stat run_share_hvcs) h=$(stat heap_used_bytes_peak)
	[ "$r" -gt 0 ] && [ "$r" -lt "$pg" ] && [ $((r * 4096)) -ge "${h%.*}" ] ||
		fail "$name pooled: $r MEM_SHARE for a heap peak of $h bytes (per-granule: $pg)"
	[ "$(stat bounced_maps)" = "$maps" ] || fail "$name pooled: $(stat bounced_maps) bounced"
done
# bad parameters: exit 2 with the parameter named
expect_exit 2 "$ISM_BIN" run -S cc-shared --set strategy.cc-shared.platform=sev "$TRACES/x86/x86-strict.txt.xz"
grep -q 'strategy.cc-shared.platform' "$ERR" || fail "no message naming the platform"
pass
