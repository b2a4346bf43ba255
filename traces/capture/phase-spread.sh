#!/bin/bash
# phase-spread.sh: run-to-run spread of phase durations over repeated pseries captures.
#
# Reads the "phase-duration NAME: SECONDS" and "phase-events NAME: ..." lines that
# pseries-capture.sh writes into each .meta (one per run; the duration runs from the
# "iommusim phase=NAME" marker to the "iommusim phase-end=NAME" marker).
#
# Usage
#   phase-spread.sh --meta META...    "spread NAME: ..." lines for one configuration (all the
#                                     metas are runs of it), as appended to each .meta
#   phase-spread.sh --table META...   a Markdown table, one row per configuration ("variant:"
#                                     line of each meta) and phase, phases in run order
#   phase-spread.sh --runs META...    a Markdown table, one row per run: its wall time, host
#                                     load average before and after, and each phase's duration,
#                                     followed by "/ N.NN" (the host CPUs that other processes
#                                     used during the phase) where the .meta has phase-host lines
# Columns of --table: runs, min, median, max duration (s), (max-min)/median, the min-max count of
# DMA map calls (dma_map_page + dma_map_sg) in the phase, and, where the .meta files have
# phase-host lines, the min-max of the host CPUs used by other processes during the phase and,
# where they have it, of the time QEMU's threads spent runnable but without a CPU (qemu-wait-
# seconds). Runs whose QEMU ran real-time ("qemu scheduling: SCHED_FIFO ...") are a configuration
# of their own, shown as "VARIANT (RT)".
set -euo pipefail

mode=${1:-}
case "$mode" in
--meta | --table | --runs) shift ;;
*)
	echo "usage: phase-spread.sh --meta|--table|--runs META..." >&2
	exit 2
	;;
esac
if [ $# -eq 0 ]; then
	echo "phase-spread.sh: no .meta files" >&2
	exit 2
fi
for m in "$@"; do
	[ -r "$m" ] || { echo "phase-spread.sh: cannot read $m" >&2; exit 2; }
done

awk -v mode="$mode" '
function median(a, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
FNR == 1 { run = FILENAME; rname = run; sub(/.*\//, "", rname); sub(/\.meta$/, "", rname); name[run] = rname
	cfg = "?"; rorder[++nr] = run }
/^wall seconds: / { wall[run] = $3 }
/^host loadavg before: / { lb[run] = $4 }
/^host loadavg after: / { la[run] = $4 }
/^variant: / { cfg = $2 }
/^qemu scheduling: SCHED_FIFO/ { cfg = cfg " (RT)" }
/^(variant|qemu scheduling): / { if (!(cfg in cseen)) { cseen[cfg] = 1; corder[++nc] = cfg } }
/^phase-duration / {
	p = $2; sub(/:$/, "", p)
	k = cfg SUBSEP p
	if (!(k in nrun)) { nph[cfg]++; porder[cfg, nph[cfg]] = p }
	d[k, ++nrun[k]] = $3 + 0
	rd[run, p] = $3 + 0
	if (!(p in allp)) { allp[p] = 1; aorder[++na] = p }
	runs[k] = runs[k] (runs[k] == "" ? "" : ",") rname
}
/^phase-host / {
	p = $2; sub(/:$/, "", p)
	k = cfg SUBSEP p
	for (i = 3; i <= NF; i++)
		if ($i ~ /^other-cpus=/) {
			v = $i; sub(/.*=/, "", v); v += 0; hosts = 1; ro[run, p] = v
			if (!(k in omin) || v < omin[k]) omin[k] = v
			if (!(k in omax) || v > omax[k]) omax[k] = v
		} else if ($i ~ /^qemu-wait-seconds=/) {
			v = $i; sub(/.*=/, "", v); v += 0; waits = 1
			if (!(k in wmin) || v < wmin[k]) wmin[k] = v
			if (!(k in wmax) || v > wmax[k]) wmax[k] = v
		}
}
/^phase-events / {
	p = $2; sub(/:$/, "", p)
	k = cfg SUBSEP p
	maps = 0
	for (i = 3; i <= NF; i++)
		if ($i ~ /^dma_map_(page|sg)=/) { v = $i; sub(/.*=/, "", v); maps += v }
	if (!(k in mmin) || maps < mmin[k]) mmin[k] = maps
	if (!(k in mmax) || maps > mmax[k]) mmax[k] = maps
}
END {
	if (mode == "--runs") {
		h = "| run | wall s | load before | load after |"; u = "|---|---:|---:|---:|"
		for (i = 1; i <= na; i++) { h = h " " aorder[i] " s |"; u = u "---:|" }
		print h; print u
		for (r = 1; r <= nr; r++) {
			run = rorder[r]
			line = sprintf("| %s | %s | %s | %s |", name[run], wall[run], lb[run], la[run])
			for (i = 1; i <= na; i++)
				line = line (((run, aorder[i]) in rd) ? sprintf(" %.3f%s |", rd[run, aorder[i]],
					((run, aorder[i]) in ro) ? sprintf(" / %.2f", ro[run, aorder[i]]) : "") : " |")
			print line
		}
		exit
	}
	if (mode == "--table") {
		print "| configuration | phase | runs | min s | median s | max s | (max-min)/median | DMA maps |" (hosts ? " other CPUs |" : "") \
			(waits ? " QEMU wait s |" : "")
		print "|---|---|---:|---:|---:|---:|---:|---:|" (hosts ? "---:|" : "") (waits ? "---:|" : "")
	}
	for (c = 1; c <= nc; c++) {
		cfg = corder[c]
		for (i = 1; i <= nph[cfg]; i++) {
			p = porder[cfg, i]; k = cfg SUBSEP p; n = nrun[k]
			lo = hi = d[k, 1]
			for (j = 1; j <= n; j++) { a[j] = d[k, j]; if (a[j] < lo) lo = a[j]; if (a[j] > hi) hi = a[j] }
			med = median(a, n)
			rel = med > 0 ? (hi - lo) / med * 100 : 0
			maps = (mmin[k] == mmax[k]) ? mmin[k] : mmin[k] "-" mmax[k]
			if (mode == "--meta")
				printf "spread %s: runs=%d min=%.6f median=%.6f max=%.6f range=%.1f%% dma-maps=%s (%s)\n",
					p, n, lo, med, hi, rel, maps, runs[k]
			else
				printf "| %s | %s | %d | %.3f | %.3f | %.3f | %.1f%% | %s |%s%s\n", cfg, p, n, lo, med, hi, rel, maps,
					!hosts ? "" : (k in omin) ? sprintf(" %.2f-%.2f |", omin[k], omax[k]) : " |",
					!waits ? "" : (k in wmin) ? sprintf(" %.3f-%.3f |", wmin[k], wmax[k]) : " |"
		}
	}
}' "$@"
