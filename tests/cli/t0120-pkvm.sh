#!/bin/sh
# The pkvm strategy on the real arm64 traces: one map_pages hypercall per iommu_map range and one
# unmap_pages hypercall per unmap range (DOMAIN.md 5.1), counted independently from the trace's
# iommu:map / iommu:unmap events here. The recorded iommu:map events a replay cannot see are the
# residual: the GICv3 ITS doorbell (IOMMU_MMIO, no DMA-API event, not tracked by pKVM) and the
# page-by-page maps of a coherent allocation, whose pages the trace does not give (the model
# maps each allocation as one range).
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

# "stream allocs unmaps" from the trace: the iommu:map events of a CPU since its previous DMA
# event whose IOVA lies in the IOVA range a following dma_map_page / dma_map_sg returned (a
# streaming map's ranges), dma_alloc events, iommu:unmap events
count() {
	xz -dc "$1" | awk '
function hex(s,   n, i, c) {
	n = 0; s = tolower(s); sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); n = n * 16 + c - 1 }
	return n
}
function field(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
function take(lo, hi,   j, c) { c = 0; for (j = 1; j <= np[cpu]; j++) if (pv[cpu, j] >= lo && pv[cpu, j] < hi) c++; return c }
/^#/ { next }
{
	cpu = ""; ev = ""
	for (i = 1; i < NF; i++) {
		if (cpu == "" && $i ~ /^\[[0-9]+\]$/) cpu = $i
		if ($i ~ /^[0-9]+\.[0-9]+:$/) { ev = $(i + 1); break }
	}
	if (ev == "map:") { pv[cpu, ++np[cpu]] = hex(field("iova")); next }
	if (ev == "unmap:") { unmaps++; next }
	if (ev == "dma_map_page:") {
		a = hex(field("dma_addr")); stream += take(a - a % 4096, a + field("size"))
	} else if (ev == "dma_map_sg:") {
		da = field("dma_addrs"); sz = field("sizes"); gsub(/[{}]/, "", da); gsub(/[{}]/, "", sz)
		na = split(da, A, ","); split(sz, S, ",")
		for (k = 1; k <= na; k++) { a = hex(A[k]); stream += take(a - a % 4096, a + hex(S[k])) }
	} else if (ev == "dma_alloc:")
		allocs++
	if (ev ~ /^dma_/) np[cpu] = 0
}
END { printf "%d %d %d\n", stream, allocs, unmaps }'
}

stat() { # NAME: the value of statistic NAME in $OUT
	awk -v k="\"$1\": {" 'index($0, k) { getline; gsub(/[^0-9.]/, ""); print; exit }' "$OUT"
}

n=0
for tr in "$TRACES"/arm64/arm64-*.txt.xz; do
	set -- $(count "$tr")
	stream=$1 allocs=$2 unmaps=$3
	[ "$stream" -gt 1000 ] && [ "$unmaps" -gt 1000 ] || fail "${tr##*/}: counting failed"
	for v in share-per-map use-dma; do
		expect_exit 0 "$ISM_BIN" run -S "pkvm:$v" --format json "$tr"
		m=$(stat map_hypercalls) u=$(stat unmap_hypercalls)
		[ "$m" = $((stream + allocs)) ] ||
			fail "${tr##*/} $v: $m map_pages hypercalls, the trace's ranges give $stream + $allocs"
		[ "$u" = "$unmaps" ] ||
			fail "${tr##*/} $v: $u unmap_pages hypercalls, the trace has $unmaps iommu:unmap"
		grep -q '"name": "pkvm map_pages"' "$OUT" || fail "no pkvm map_pages in calls"
		peak=$(awk '/"shared_peak_bytes"/ { gsub(/[^0-9]/, ""); print; exit }' "$OUT")
		pinned=$(stat pinned_pages_peak)
		inv=$(awk '/"invalidations"/ { gsub(/[^0-9]/, ""); print; exit }' "$OUT")
		if [ "$v" = share-per-map ]; then
			[ "$peak" = $((pinned * 4096)) ] && [ "$pinned" -gt 0 ] ||
				fail "${tr##*/}: shared peak $peak bytes, $pinned pages held"
		else
			[ "$peak" = 0 ] || fail "${tr##*/}: use-dma shares $peak bytes"
			[ "$(stat state_transitions)" = 0 ] || fail "use-dma changes page states"
		fi
		n=$((n + 1))
	done
done
[ "$n" -ge 12 ] || fail "only $n runs"
# identity-s2 (v3): no hypercall per map or unmap (no invalidation: the unit test); the boot maps all of the
# guest's RAM, read here from the recording's QEMU command line (-m), in 4 KiB leaves
for tr in "$TRACES"/arm64/arm64-strict.txt.xz "$TRACES"/arm64/arm64-lazy.txt.xz; do
	mem=$(awk '{ for (i = 1; i < NF; i++) if ($i == "-m") { print $(i + 1); exit } }' "${tr%.txt.xz}.meta")
	case $mem in
	*G) bytes=$((${mem%G} * 1073741824)) ;;
	*M) bytes=$((${mem%M} * 1048576)) ;;
	*) fail "${tr##*/}: no -m in the meta ($mem)" ;;
	esac
	expect_exit 0 "$ISM_BIN" run -S pkvm:identity-s2 --set "machine.ram_bytes=$bytes" \
		--set sim.boot_in_trace=yes --format json "$tr"
	[ "$(stat map_hypercalls)" = 0 ] && [ "$(stat unmap_hypercalls)" = 0 ] ||
		fail "${tr##*/} identity-s2: $(stat map_hypercalls) map, $(stat unmap_hypercalls) unmap hypercalls"
	! grep -q '"name": "pkvm \(un\)*map_pages"' "$OUT" || fail "${tr##*/}: identity-s2 calls map_pages"
	[ "$(stat boot_idmap_entries)" = $((bytes / 4096)) ] ||
		fail "${tr##*/}: $(stat boot_idmap_entries) boot entries for $mem of RAM"
	e=$(awk '/"setup_calls"/ { s = 1 } s && /"entries"/ { gsub(/[^0-9]/, ""); print; exit }' "$OUT")
	[ "$e" = $((bytes / 4096)) ] || fail "${tr##*/}: the boot operation has $e entries"
	sns=$(awk '/"setup_ns"/ { gsub(/[^0-9]/, ""); print; exit }' "$OUT")
	[ "$sns" -ge $((bytes / 4096 * 6)) ] || fail "${tr##*/}: boot cost $sns ns"
done
pass
