#!/bin/sh
# run --check-iommu on every shipped x86 and arm64 trace: iommu-dma's iommu_map / iommu_unmap
# calls and IOTLB invalidations against the trace's iommu:map / iommu:unmap events and flushes,
# the recorded figures counted here independently with awk. What must hold (iommusim(1),
# --check-iommu):
#  - unmaps: count and bytes equal;
#  - maps: predicted = recorded - (maps no DMA-API call makes: the x86 floppy identity map of
#    16 MiB at IOVA 0, the arm64 GICv3 ITS doorbell page per device) + (for each coherent
#    allocation below 2 MiB of a PCI device: its pages - the iommu:map events it made; the model
#    maps the order-0 pages of iommu_dma_alloc_remap() one by one, the kernel merges the ones
#    the page allocator happened to hand out ascending and contiguous, which the trace's DMA
#    events do not show);
#  - strict: one range invalidation per unmap, predicted and recorded, no whole-domain flush
#    but the one an arm64 domain setup makes;
#  - lazy: no range invalidation; full-queue flushes (a flush right after an unmap, same task
#    and context) and timer flushes (the rest, in softirq) as awk counts them; the model's
#    timer runs on time (HZ 250, 12-16 ms after arming) where TCG's ticks come late, so its
#    timer flush count is an upper bound, within 40% on these traces, and its full-queue
#    flushes differ from the recorded ones by at most 4 (which unmap fills a ring depends on
#    when the timer freed it);
#  - caching mode (x86-strict-cm): one flush at map per DMA-API map call, recorded; not modelled.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

# "R O A UNMAPS UNMAP_BYTES RANGE FULL TIMER ATMAP MAPCALLS" from the trace
count() {
	xz -dc "$1" | awk '
function hex(s,   n, i, c) {
	n = 0; s = tolower(s); sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); n = n * 16 + c - 1 }
	return n
}
function field(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
function ctx(f,   c) { c = substr(f, 3, 1); return c == "h" || c == "H" || c == "z" || c == "Z" ? "h" : c == "s" ? "s" : "." }
/^#/ { next }
{
	cpu = ""; ev = ""; pid = ""; fl = ""
	for (i = 1; i < NF; i++) {
		if (cpu == "" && $i ~ /^\[[0-9]+\]$/) { cpu = $i; pid = $(i - 1); sub(/.*-/, "", pid); fl = $(i + 1) }
		if ($i ~ /^[0-9]+\.[0-9]+:$/) { ev = $(i + 1); break }
	}
	if (ev == "map:") {
		R++
		if (field("paddr") == "0x0000000008090000" || (hex(field("iova")) == 0 && field("size") + 0 == 16777216)) { O++; next }
		pv[cpu, ++np[cpu]] = hex(field("iova")); last[cpu] = ""; next
	}
	if (ev == "unmap:") { U++; UB += field("size"); last[cpu] = pid " " ctx(fl); next }
	if (ev == "cache_tag_flush_range:" || ev == "iotlb_sync:") { RANGE++; last[cpu] = ""; next }
	if (ev == "cache_tag_flush_range_np:") { ATMAP++; next }
	if (ev == "cache_tag_flush_all:" || ev == "flush_iotlb_all:") {
		if (last[cpu] != "" && last[cpu] == pid " " ctx(fl)) FULL++
		else if (ctx(fl) == "s") TIMER++
		last[cpu] = ""; next
	}
	if (ev == "dma_alloc:" && $(i + 2) ~ /^[0-9a-f]+:[0-9a-f]+:[0-9a-f]+\.[0-7]$/) {
		a = hex(field("dma_addr")); sz = field("size") + 0; pages = int((sz + 4095) / 4096)
		if (sz < 2097152) {
			runs = 0
			for (j = 1; j <= np[cpu]; j++) if (pv[cpu, j] >= a && pv[cpu, j] < a + pages * 4096) runs++
			A += pages - runs
		}
	}
	if (ev == "dma_map_page:" || ev == "dma_map_sg:" || ev == "dma_alloc:") MAPCALLS++
	if (ev ~ /^dma_/) { np[cpu] = 0; last[cpu] = "" }
}
END { printf "%d %d %d %d %d %d %d %d %d %d\n", R, O, A, U, UB, RANGE, FULL, TIMER, ATMAP, MAPCALLS }'
}

# get SLOT KEY: iommu_check.SLOT.KEY of the run in $OUT
get() {
	awk -v s="\"$1\": {" -v k="\"$2\":" '
		/"iommu_check": \{/ { in_c = 1 }
		in_c && index($0, s) { in_s = 1; next }
		in_s && index($0, k) { v = $0; sub(/.*: /, "", v); gsub(/[^0-9]/, "", v); print v; exit }
		in_s && /}/ { in_s = 0 }' "$OUT"
}

n=0
for tr in "$TRACES"/x86/x86-*.txt.xz "$TRACES"/arm64/arm64-*.txt.xz; do
	name=${tr##*/}
	name=${name%.txt.xz}
	set -- $(count "$tr")
	R=$1 O=$2 A=$3 U=$4 UB=$5 RANGE=$6 FULL=$7 TIMER=$8 ATMAP=$9
	shift 9
	MAPCALLS=$1
	case $name in
	*lazy*) v=lazy ;;
	*) v=strict ;;
	esac
	expect_exit 0 "$ISM_BIN" run --check-iommu -S "iommu-dma:$v" --format json "$tr"
	grep -q '"iommu_check"' "$OUT" || fail "$name: no iommu_check"
	if [ "$name" = x86-swiotlb ]; then
		# no IOMMU: nothing recorded to compare with
		[ "$R" = 0 ] && [ "$(get iommu_map recorded)" = 0 ] || fail "$name: iommu events"
		n=$((n + 1))
		continue
	fi
	[ "$R" -gt 1000 ] && [ "$U" -gt 1000 ] || fail "$name: counting failed"
	for k in recorded predicted matched; do
		[ "$(get iommu_unmap $k)" = "$U" ] || fail "$name: iommu_unmap $k $(get iommu_unmap $k), the trace has $U"
		[ "$(get iommu_unmap_bytes $k)" = "$UB" ] || fail "$name: unmapped bytes $k $(get iommu_unmap_bytes $k), the trace has $UB"
	done
	rec=$(get iommu_map recorded) pred=$(get iommu_map predicted)
	mat=$(get iommu_map matched) ext=$(get iommu_map recorded_outside_events)
	mis=$(get iommu_map predicted_not_recorded)
	[ "$rec" = "$R" ] || fail "$name: $rec iommu:map recorded, awk counts $R"
	[ "$pred" = $((R - O + A)) ] ||
		fail "$name: $pred maps predicted, the trace gives $R - $O outside DMA calls + $A alloc pages merged"
	[ $((mat + ext)) = "$rec" ] && [ $((mat + mis)) = "$pred" ] || fail "$name: map accounting"
	[ "$(get inval_full_queue recorded)" = "$FULL" ] || fail "$name: full-queue flushes $(get inval_full_queue recorded), awk $FULL"
	[ "$(get timer_flushes recorded)" = "$TIMER" ] || fail "$name: timer flushes $(get timer_flushes recorded), awk $TIMER"
	[ "$(get inval_at_map recorded)" = "$ATMAP" ] || fail "$name: flushes at map"
	if [ "$v" = strict ]; then
		[ "$RANGE" = "$U" ] || fail "$name: the trace has $RANGE range flushes for $U unmaps"
		[ "$(get inval_at_unmap recorded)" = "$U" ] && [ "$(get inval_at_unmap predicted)" = "$U" ] &&
			[ "$(get inval_at_unmap matched)" = "$U" ] || fail "$name: strict invalidations"
		[ "$FULL" = 0 ] && [ "$TIMER" = 0 ] && [ "$(get timer_flushes predicted)" = 0 ] ||
			fail "$name: whole-domain flushes in strict mode"
	else
		[ "$RANGE" = 0 ] && [ "$(get inval_at_unmap predicted)" = 0 ] || fail "$name: range flushes in lazy mode"
		pt=$(get timer_flushes predicted) pf=$(get inval_full_queue predicted)
		[ "$TIMER" -gt 100 ] && [ "$pt" -ge "$TIMER" ] && [ $((pt * 10)) -le $((TIMER * 14)) ] ||
			fail "$name: $pt timer flushes predicted, $TIMER recorded (bound: recorded .. +40%)"
		d=$((pf - FULL))
		[ "$d" -le 4 ] && [ "$d" -ge -4 ] || fail "$name: $pf full-queue flushes predicted, $FULL recorded"
	fi
	case $name in
	x86-strict-cm) [ "$ATMAP" = "$MAPCALLS" ] || fail "$name: $ATMAP flushes at map for $MAPCALLS map calls" ;;
	*) [ "$ATMAP" = 0 ] || fail "$name: flushes at map without caching mode" ;;
	esac
	n=$((n + 1))
done
[ "$n" -ge 14 ] || fail "only $n traces"

# the text report
expect_exit 0 "$ISM_BIN" run --check-iommu -S iommu-dma:strict,passthrough "$TRACES/x86/x86-strict.txt.xz"
grep -q '^IOMMU check against the recording' "$OUT" || fail "text: no IOMMU check"
tr '\n' ' ' <"$OUT" | tr -s ' ' | grep -q 'iommu:unmap 7056 / 7056, 7056 (equal)' || fail "text: unmaps"
pass
