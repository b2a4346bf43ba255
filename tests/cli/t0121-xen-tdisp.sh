#!/bin/sh
# The xen-pv-iommu and tdisp strategies on every shipped trace (one repeat of each family).
# xen-pv-iommu:batch: the iommu_op hypercalls, continuations and ops are computed here from the
# trace's DMA-API events, independently of the simulator: one op per 4 KiB frame of a map (of
# every segment of a list), ops in arrays of batch_ops per call, a continuation after every
# continuation_ops ops of a call, an unmap's ops those of its map (DOMAIN.md 5.2). A list the
# kernel merged gives its inputs' lengths only where they are equal and aligned; elsewhere the
# simulator infers them, and the ops counted here (one frame per input) are a lower bound.
# xen-swiotlb must bounce exactly as the swiotlb strategy does (it runs that code); identity
# makes no call and leaves the whole RAM reachable.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

# "map_calls unmap_calls continuations ops odd" for B ops per call, a continuation every C
xen_count() { # TRACE B C
	xz -dc "$1" | awk -v B="$2" -v C="$3" '
function hex(s,   n, i, c) {
	n = 0; s = tolower(s); sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)); n = n * 16 + c - 1 }
	return n
}
function ks(s) { s = tolower(s); sub(/^0x/, "", s); return s }
function field(k,   i) { for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) return substr($i, length(k) + 2); return "" }
# frames of [A, A + LEN) for a hex address A: its offset in its 4 KiB frame is its last 3 digits
# (awk numbers lose the low bits of a DDW address)
function frames(a, len,   o) { if (len == 0) len = 1; a = ks(a); o = hex(substr(a, length(a) > 3 ? length(a) - 2 : 1)); return int((o + len - 1) / 4096) + 1 }
function issue(n,   c, k) {
	k = 0
	while (n > 0) { c = n < B ? n : B; k++; if (C && c > C) cont += int((c - 1) / C); ops += c; n -= c }
	return k
}
function domap(key, f, b) { if (key in live) { live[key]++; return } live[key] = 1; fr[key] = f; mc += issue(f); nm++; nl++; by += b }
function dounmap(key) { if (!(key in live)) return; if (--live[key] > 0) return; delete live[key]; nl--; uc += issue(fr[key]) }
/^#/ { next }
{
	ev = ""
	for (i = 1; i < NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { ev = $(i + 1); dev = $(i + 2); break }
	if (ev == "tracing_mark_write:" && /phase=[^ ]/ && across == "") across = nl
	if (ev == "dma_map_page:") domap(dev " " ks(field("dma_addr")), frames(field("phys_addr"), field("size") + 0), field("size") + 0)
	else if (ev == "dma_unmap_page:") dounmap(dev " " ks(field("dma_addr")))
	else if (ev == "dma_alloc:") domap("c" dev " " ks(field("dma_addr")), frames(field("dma_addr"), field("size") + 0), 0)
	else if (ev == "dma_free:") dounmap("c" dev " " ks(field("dma_addr")))
	else if (ev == "dma_map_sg:" || ev == "dma_unmap_sg:") {
		ph = field("phys_addrs"); gsub(/[{}]/, "", ph); np = split(ph, P, ",")
		if (np == 0 || P[1] == "") next
		key = "s" dev " " ks(P[1])
		if (ev == "dma_unmap_sg:") { dounmap(key); next }
		sz = field("sizes"); gsub(/[{}]/, "", sz); ns = split(sz, S, ",")
		split(field("nents"), NE, "/"); split(field("ents"), EN, "/")
		f = 0
		if (NE[1] == EN[1] && ns == np) {
			for (k = 1; k <= np; k++) f += frames(P[k], hex(S[k]))
		} else {
			tot = 0; for (k = 1; k <= ns; k++) tot += hex(S[k])
			L = tot / np
			ok = L == int(L) && L % 4096 == 0
			for (k = 1; k <= np && ok; k++) if (hex(P[k]) % L) ok = 0
			if (ok) f = tot / 4096; else { odd++; for (k = 1; k <= np; k++) f += 1 }
		}
		tot = 0; for (k = 1; k <= ns; k++) tot += hex(S[k])
		domap(key, f, tot)
	}
}
END { printf "%d %d %d %d %d %d %d %d\n", mc, uc, cont, ops, odd, nm, across, by }
'
}

stat() { # NAME: the value of statistic NAME in $OUT
	awk -v k="\"$1\": {" 'index($0, k) { getline; gsub(/[^0-9.]/, ""); print; exit }' "$OUT"
}
key() { # NAME: the first "NAME": value in $OUT
	awk -v k="\"$1\":" 'index($0, k) { sub(/.*": */, ""); gsub(/[^0-9.]/, ""); print; exit }' "$OUT"
}

traces=$(ls "$TRACES"/*.txt.xz "$TRACES"/x86/*.txt.xz "$TRACES"/arm64/*.txt.xz \
	"$TRACES"/repeats/*-r1.txt.xz)
ram=3221225472 # machine.ram_bytes=3GiB below
n=0
for tr in $traces; do
	name=${tr##*/}
	# default batch (256): one call per map; batch 4 with a continuation every 3 ops
	for bc in "256 0" "4 3"; do
		set -- $bc
		b=$1 c=$2
		set -- $(xen_count "$tr" "$b" "$c")
		mc=$1 uc=$2 cont=$3 ops=$4 odd=$5 maps=$6 across=$7 bytes=$8
		[ "$mc" -gt 100 ] && [ "$uc" -gt 100 ] || fail "$name: counting failed ($mc $uc)"
		expect_exit 0 "$ISM_BIN" run -S xen-pv-iommu --format json \
			--set strategy.xen-pv-iommu.batch_ops="$b" \
			--set strategy.xen-pv-iommu.continuation_ops="$c" "$tr"
		# inferred list lengths (odd > 0) change the calls of small batches: bounds only then;
		# with 256 ops a call, every list of the shipped traces is one call whatever they are
		eq="="
		[ "$odd" = 0 ] || [ "$b" = 256 ] || eq="-ge"
		[ "$(stat map_hypercalls)" "$eq" "$mc" ] ||
			fail "$name batch $b: $(stat map_hypercalls) map hypercalls, the trace gives $mc"
		[ "$(stat unmap_hypercalls)" "$eq" "$uc" ] ||
			fail "$name batch $b: $(stat unmap_hypercalls) unmap hypercalls, the trace gives $uc"
		[ "$(stat continuations)" "$eq" "$cont" ] ||
			fail "$name batch $b/$c: $(stat continuations) continuations, the trace gives $cont"
		[ "$odd" = 0 ] || eq="-ge"
		[ "$(stat iommu_ops)" "$eq" "$ops" ] || fail "$name: $(stat iommu_ops) ops, the trace gives $ops"
		mc=$(stat map_hypercalls) uc=$(stat unmap_hypercalls) cont=$(stat continuations)
		[ "$(stat iotlb_flushes)" = $((mc + uc + cont)) ] ||
			fail "$name: $(stat iotlb_flushes) flushes for $mc + $uc calls and $cont continuations"
		n=$((n + 1))
	done
	grep -q '"name": "xen iommu_op"' "$OUT" || fail "$name: no xen iommu_op in the calls"

	# xen-swiotlb: swiotlb's bounces and copies, no hypercall
	expect_exit 0 "$ISM_BIN" run -S swiotlb --format json --set machine.ram_bytes=3GiB "$tr"
	sb=$(key bounces) sc=$(key copied_bytes)
	expect_exit 0 "$ISM_BIN" run -S xen-pv-iommu:xen-swiotlb --format json \
		--set machine.ram_bytes=3GiB "$tr"
	[ "$(key bounces)" = "$sb" ] && [ "$(key copied_bytes)" = "$sc" ] ||
		fail "$name: xen-swiotlb bounced $(key bounces) / copied $(key copied_bytes), swiotlb $sb / $sc"
	[ "$sb" -gt 0 ] || fail "$name: nothing bounced"
	[ "$(stat reachable_bytes_peak)" = "$ram" ] || fail "$name: xen-swiotlb reaches $(stat reachable_bytes_peak)"
	! grep -q '"name": "xen iommu_op"' "$OUT" || fail "$name: xen-swiotlb made iommu_op calls"

	# identity: no call, all of RAM reachable
	expect_exit 0 "$ISM_BIN" run -S xen-pv-iommu:identity --format json \
		--set machine.ram_bytes=3GiB "$tr"
	[ "$(stat map_hypercalls)" = 0 ] && [ "$(stat iotlb_flushes)" = 0 ] || fail "$name: identity calls"
	[ "$(stat reachable_bytes_peak)" = "$ram" ] || fail "$name: identity reaches $(stat reachable_bytes_peak)"
	n=$((n + 2))

	# tdisp: t1 maps everything through the IOMMU and exposes nothing; t0 bounces every map
	# (its bytes exposed); switch at the first phase marker: the mappings live there (counted
	# here: made and not yet unmapped before the first "phase=" marker) are live across it
	expect_exit 0 "$ISM_BIN" run -S tdisp:t1 --format json "$tr"
	[ "$(stat t1_maps)" = "$maps" ] || fail "$name: t1 made $(stat t1_maps) maps, the trace has $maps"
	[ "$(stat exposed_bytes)" = 0 ] && [ "$(key shared_peak_bytes)" = 0 ] && [ "$(key bounces)" = 0 ] ||
		fail "$name: t1 exposes $(stat exposed_bytes) bytes, shares $(key shared_peak_bytes)"
	expect_exit 0 "$ISM_BIN" run -S tdisp:t0 --format json "$tr"
	[ "$(stat t0_maps)" = "$maps" ] || fail "$name: t0 made $(stat t0_maps) maps, the trace has $maps"
	[ "$(stat exposed_bytes)" = "$bytes" ] ||
		fail "$name: t0 exposed $(stat exposed_bytes) bytes, the trace maps $bytes"
	[ "$(key map_failures)" = 0 ] || fail "$name: t0 failed maps"
	[ "$(key shared_peak_bytes)" -gt 0 ] || fail "$name: t0 shares nothing"
	[ -n "$across" ] && [ "$across" -gt 0 ] || fail "$name: no mapping live at the first marker"
	for how in redo broken; do
		expect_exit 0 "$ISM_BIN" run -S tdisp:switch --format json \
			--set strategy.tdisp.on_switch=$how "$tr"
		[ "$(stat switched)" = 1 ] || fail "$name: no switch"
		[ "$(stat live_across_switch)" = "$across" ] ||
			fail "$name $how: $(stat live_across_switch) live across the switch, the trace has $across"
		[ $(($(stat t0_maps) + $(stat t1_maps))) = "$maps" ] || fail "$name: maps lost in the switch"
		if [ $how = redo ]; then
			[ "$(stat redone_at_switch)" = "$across" ] && [ "$(stat broken_unmaps)" = 0 ] ||
				fail "$name: $(stat redone_at_switch) redone, $(stat broken_unmaps) broken unmaps"
		else
			[ "$(stat broken_mappings)" = "$across" ] && [ "$(stat broken_unmaps)" -gt 0 ] ||
				fail "$name: $(stat broken_mappings) broken, $(stat broken_unmaps) broken unmaps"
		fi
	done
	n=$((n + 4))
done
[ "$n" -ge 160 ] || fail "only $n runs"
pass
