#!/bin/bash
# request-split.sh: where the time of a one-request-at-a-time dd phase goes, per request.
#
# For a phase of a repeated pseries capture (between "iommusim phase=NAME" and "iommusim
# phase-end=NAME") in which one request is in flight at a time (dd iflag=direct or oflag=direct:
# the block layer maps a request's buffers, the device runs, the completion interrupt unmaps them,
# dd issues the next one), each request is a run of dma_map_page/dma_map_sg events followed by a
# run of dma_unmap_page/dma_unmap_sg events. The phase's time is split into:
#   lead        start marker to the first map (dd starting up)
#   submit      first map to last map of a request (guest block layer, virtio/nvme driver, DMA API,
#               and the TCE hypercalls of the maps)
#   device      last map to the first unmap (the device runs: QEMU's emulation, host I/O, the
#               interrupt reaching the guest)
#   complete    first to last unmap (the completion interrupt, TCE hypercalls of the unmaps)
#   next        last unmap to the next request's first map (dd woken, back to user space, next
#               read or write)
#   tail        the last unmap to the end marker (dd exiting)
# and the time between hcall_entry and hcall_exit (same CPU) of the TCE hypercalls (H_PUT_TCE,
# H_STUFF_TCE, H_PUT_TCE_INDIRECT) of the maps and of the unmaps. Times per request are means, in
# microseconds. "gaps>1ms" counts the "next" intervals longer than 1 ms. "idle at completion" counts
# the requests whose first unmap ran in an interrupt that found the guest CPU idle (task <idle>);
# in the others it came while the issuing task was still running (it had not gone to sleep yet),
# a shorter path: no idle exit, no wake-up. Per case, device and next are given as well. Event timestamps are
# taken when each DMA-API call returns, so a request's first map falls in "next" and its first
# unmap in "device"; a TCE hypercall is counted with the DMA-API call whose event follows it. The
# split is only meaningful for such one-at-a-time phases (not for net-ping).
#
# Usage
#   request-split.sh [-p PHASE] TRACE...   TRACE: a `cat trace` text (.txt or .txt.xz)
#                                          PHASE default blk-read-4k-direct
# Prints one Markdown table row per trace, after a header.
set -euo pipefail

phase=blk-read-4k-direct
if [ "${1:-}" = -p ]; then
	phase=${2:?request-split.sh: -p wants a phase name}
	shift 2
fi
if [ $# -eq 0 ]; then
	echo "usage: request-split.sh [-p PHASE] TRACE..." >&2
	exit 2
fi
for t in "$@"; do
	[ -r "$t" ] || { echo "request-split.sh: cannot read $t" >&2; exit 2; }
done

echo "| trace | phase s | requests | maps | lead s | submit us | device us | complete us | next us | tail s | TCE hcall us in submit | in complete | gaps>1ms | idle at completion | device / next us, idle | device / next us, not idle |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for t in "$@"; do
	name=${t##*/}
	name=${name%.xz}
	name=${name%.txt}
	case "$t" in
	*.xz) xz -dc "$t" ;;
	*) cat "$t" ;;
	esac | awk -v phase="$phase" -v name="$name" '
	!/^#/ && match($0, /\[[0-9]+\] +([^ ]+ +)?[0-9]+\.[0-9]+: [a-z_0-9]+:/) {
		s = substr($0, RSTART, RLENGTH)
		n = split(s, f, / +/)
		cpu = f[1]; gsub(/[^0-9]/, "", cpu); cpu += 0
		ts = f[n - 1]; sub(/:$/, "", ts); ts += 0
		ev = f[n]; sub(/:$/, "", ev)
		if (ev == "tracing_mark_write") {
			if ($NF == "phase=" phase) { on = 1; t0 = ts }
			else if (on && $NF == "phase-end=" phase) { on = 0; t1 = ts; done = 1 }
			next
		}
		if (!on) next
		if (ev == "hcall_entry") {
			op = ""; if (match($0, /opcode=[0-9]+/)) op = substr($0, RSTART + 7, RLENGTH - 7)
			hent[cpu] = ts; hop[cpu] = op
		} else if (ev == "hcall_exit") {
			if ((cpu in hent) && (hop[cpu] == 32 || hop[cpu] == 312 || hop[cpu] == 316)) pend += ts - hent[cpu]
			delete hent[cpu]
		} else if (ev == "dma_map_page" || ev == "dma_map_sg") {
			# a TCE hcall belongs to the DMA-API call whose event follows it (the event is
			# written when the call returns)
			maps++; hmap += pend; pend = 0
			if (state != "map") {
				if (state == "") lead = ts - t0
				else {
					comp += lu - fu; nxt += ts - lu; if (ts - lu > 0.001) gaps++
					cn[kind]++; cd[kind] += fu - lm0; cx[kind] += ts - lu
				}
				fm = ts; state = "map"; nreq++
			}
			lm = ts
		} else if (ev == "dma_unmap_page" || ev == "dma_unmap_sg") {
			if (state == "") next
			hun += pend; pend = 0
			if (state == "map") {
				sub_ += lm - fm; dev += ts - lm; fu = ts; lm0 = lm; state = "unmap"
				kind = ($1 ~ /^<idle>/) ? "idle" : "task"; if (kind == "idle") idle++
			}
			lu = ts
		}
	}
	END {
		if (!done || nreq == 0) { printf "| %s | no complete %s phase with DMA maps | | | | | | | | | | | | | | |\n", name, phase; exit }
		if (state == "unmap") comp += lu - fu
		else { lu = lm }
		printf "| %s | %.3f | %d | %d | %.3f | %.1f | %.1f | %.1f | %.1f | %.3f | %.1f | %.1f | %d | %d | %s | %s |\n", name, t1 - t0, nreq, maps,
			lead, sub_ / nreq * 1e6, dev / nreq * 1e6, comp / nreq * 1e6, (nreq > 1 ? nxt / (nreq - 1) * 1e6 : 0), t1 - lu,
			hmap / nreq * 1e6, hun / nreq * 1e6, gaps, idle,
			cn["idle"] ? sprintf("%.0f / %.0f", cd["idle"] / cn["idle"] * 1e6, cx["idle"] / cn["idle"] * 1e6) : "-",
			cn["task"] ? sprintf("%.0f / %.0f", cd["task"] / cn["task"] * 1e6, cx["task"] / cn["task"] * 1e6) : "-"
	}'
done
