# iommu-counts.awk: the .meta count lines of an ftrace text trace (`cat trace`) with dma:*,
# swiotlb:*, iommu:*, intel_iommu:* events and smmu kprobes, with "iommusim phase=NAME" /
# "iommusim phase-end=NAME" markers. Used by iommu-capture.sh; usable by hand:
#   xz -dc traces/x86/x86-strict.txt.xz | awk -f traces/capture/iommu-counts.awk
# Lines:
#   events total: N                  events NAME: N (by event, most frequent first)
#   iommu map bytes: N               iommu unmap bytes: N (size= of map, unmapped_size= of unmap)
#   iommu map sizes: SIZExCOUNT ...  (the 8 most frequent)
#   phase NAME: START END            phase-duration NAME: SECONDS
#   phase-events NAME: EVENT=N ...   (the events between phase=NAME and phase-end=NAME)
#   outside-phases events: EVENT=N ... (from the start of the trace to phase=boot-done, and after)
function field(s, key,   i, n, a) {
	n = split(s, a, /[ ,]+/)
	for (i = 1; i <= n; i++)
		if (index(a[i], key "=") == 1)
			return substr(a[i], length(key) + 2)
	return ""
}
/^#/ { next }
{
	ts = ""
	for (i = 1; i <= NF; i++)
		if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = substr($i, 1, length($i) - 1); ev = $(i + 1); break }
	if (ts == "") next
	sub(/:$/, "", ev)
	total++
	count[ev]++
	if (ev == "tracing_mark_write") {
		for (j = i + 2; j <= NF; j++) {
			if ($j ~ /^phase=/) {
				p = substr($j, 7)
				if (p != "boot-done" && p != "end") { cur = p; pstart[p] = ts; order[++np] = p }
				else { cur = ""; point[p] = ts }
			} else if ($j ~ /^phase-end=/) {
				p = substr($j, 11)
				pend[p] = ts
				cur = ""
			}
		}
		next
	}
	if (cur != "") { pe[cur, ev]++; pevs[cur] = 1 } else outside[ev]++
	if (ev == "map") {
		s = field($0, "size")
		mapbytes += s
		msize[s]++
	} else if (ev == "unmap") {
		unmapbytes += field($0, "unmapped_size")
	}
}
END {
	printf "events total: %d\n", total
	n = 0
	for (e in count) names[++n] = e
	# sort by count, descending, then name
	for (a = 1; a <= n; a++)
		for (b = a + 1; b <= n; b++)
			if (count[names[b]] > count[names[a]] || (count[names[b]] == count[names[a]] && names[b] < names[a])) {
				t = names[a]; names[a] = names[b]; names[b] = t
			}
	for (a = 1; a <= n; a++) printf "events %s: %d\n", names[a], count[names[a]]
	printf "iommu map bytes: %d\n", mapbytes
	printf "iommu unmap bytes: %d\n", unmapbytes
	m = 0
	for (s in msize) sz[++m] = s
	for (a = 1; a <= m; a++)
		for (b = a + 1; b <= m; b++)
			if (msize[sz[b]] > msize[sz[a]]) { t = sz[a]; sz[a] = sz[b]; sz[b] = t }
	line = ""
	for (a = 1; a <= m && a <= 8; a++) line = line " " sz[a] "x" msize[sz[a]]
	if (m) printf "iommu map sizes:%s\n", line
	for (p in point) printf "marker %s: %s\n", p, point[p]
	for (k = 1; k <= np; k++) {
		p = order[k]
		printf "phase %s: %s %s\n", p, pstart[p], pend[p]
		if (pend[p] != "") printf "phase-duration %s: %.6f\n", p, pend[p] - pstart[p]
		line = ""
		for (a = 1; a <= n; a++) if ((p, names[a]) in pe) line = line " " names[a] "=" pe[p, names[a]]
		printf "phase-events %s:%s\n", p, line
	}
	line = ""
	for (a = 1; a <= n; a++) if (names[a] in outside) line = line " " names[a] "=" outside[names[a]]
	printf "outside-phases events:%s\n", line
}
