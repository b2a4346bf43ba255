#!/bin/sh
# run.sh BUILDDIR: the reader benchmarks (`make bench`). Not a test: prints figures only.
# Generates large inputs in $ISM_BENCH_DIR (default BUILDDIR/bench-data), then for each reader
# reports events/s and peak RSS at two trace lengths (memory must not grow with length).
# ISM_BENCH_EVENTS sets the large size (default 20000000).
set -eu
b=${1:?usage: run.sh BUILDDIR}
d=${ISM_BENCH_DIR:-$b/bench-data}
n=${ISM_BENCH_EVENTS:-20000000}
q=$((n / 4))
mkdir -p "$d"
gen() { [ -s "$d/$2" ] || "$b/bench/gen-trace" "$1" "$d/$2" "$3"; }
gen native big.ist "$n"
gen native quarter.ist "$q"
gen ftrace big.txt "$q"
gen ftrace quarter.txt "$((q / 4))"
[ -s "$d/big.ist.zst" ] || zstd -q -3 -T0 "$d/big.ist" -o "$d/big.ist.zst"
echo "== reader speed (single thread, input in page cache; best of 3)"
best() { # the fastest of three runs
	cat "$1" >/dev/null
	for i in 1 2 3; do "$b/bench/readbench" "$1"; done |
		awk '{split($4, a, "="); if (a[2] + 0 > best) {best = a[2] + 0; line = $0}} END {print line}'
}
for f in quarter.ist big.ist big.ist.zst quarter.txt big.txt; do
	printf '%-14s ' "$f"
	best "$d/$f"
done
if [ -x "$b/bench/gen-tracedat" ]; then
	gen_dat() { [ -s "$d/$1" ] || "$b/bench/gen-tracedat" "$d/$1" "$2"; }
	gen_dat big.dat "$n"
	gen_dat quarter.dat "$q"
	for f in quarter.dat big.dat; do
		printf '%-14s ' "$f"
		best "$d/$f"
	done
	if command -v trace-cmd >/dev/null 2>&1; then
		echo "== trace-cmd report on quarter.dat (for the ratio)"
		s=$(date +%s.%N)
		trace-cmd report -N -i "$d/quarter.dat" >/dev/null 2>&1 || true
		e=$(date +%s.%N)
		awk -v n="$q" -v s="$s" -v e="$e" \
			'BEGIN {printf "trace-cmd report: %d events in %.2f s: %.3f M events/s\n", n, e - s, n / (e - s) / 1e6}'
	fi
fi
echo "== iommusim stats end to end"
for f in big.ist; do
	s=$(date +%s.%N)
	"$b/src/iommusim" stats "$d/$f" >/dev/null
	e=$(date +%s.%N)
	awk -v n="$n" -v s="$s" -v e="$e" -v f="$f" \
		'BEGIN {printf "stats %s: %d events in %.2f s: %.2f M events/s\n", f, n, e - s, n / (e - s) / 1e6}'
done

# Replay speed: one strategy at a time, then every strategy of `compare` in one pass, on the
# native format and on trace.dat; events/s and peak RSS (GNU time if present, else none).
echo "== replay speed (events/s, peak RSS)"
timed() { # LABEL EVENTS CMD...
	label=$1
	ev=$2
	shift 2
	s=$(date +%s.%N)
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f %M -o "$d/rss" "$@" >/dev/null
		rss="$(cat "$d/rss") KiB"
	else
		"$@" >/dev/null
		rss="-"
	fi
	e=$(date +%s.%N)
	awk -v l="$label" -v n="$ev" -v s="$s" -v e="$e" -v r="$rss" \
		'BEGIN {printf "%-44s %8.2f M events/s  %6.2f s  peak RSS %s\n", l, n / (e - s) / 1e6, e - s, r}'
}
for s in passthrough ddw window32 direct-tce indirect-tce:share-per-call swiotlb svm; do
	timed "run -S $s (quarter.ist)" "$q" "$b/src/iommusim" run -S "$s" "$d/quarter.ist"
done
timed "compare, 11 strategies in one pass (quarter.ist)" "$q" "$b/src/iommusim" compare "$d/quarter.ist"
timed "run -S window32 (big.ist, 4x longer)" "$n" "$b/src/iommusim" run -S window32 "$d/big.ist"
# gen-tracedat's lists are never unmapped, which fills a TCE window: only strategies without
# a dynamic window are timed on it (the reader's own speed is measured above)
if [ -s "$d/quarter.dat" ]; then
	timed "run -S ddw (quarter.dat)" "$q" "$b/src/iommusim" run -S ddw "$d/quarter.dat"
	timed "run -S passthrough,ddw,svm (quarter.dat)" "$q" "$b/src/iommusim" run \
		-S passthrough,ddw,svm "$d/quarter.dat"
fi

# The allocator models alone: CPU ns per map with 1e3 .. 1e6 mappings live (random unmaps and
# maps), and per failed map in a full window and in one whose free entries are all single holes.
echo "== allocators: cost per map as the window fills (window32: 4 GiB of 4K TCEs; swiotlb: 2 GiB)"
for k in tce swiotlb; do
	for l in 1000 10000 100000 1000000; do
		"$b/bench/allocbench" "$k" "$l" 1000000
	done
	"$b/bench/allocbench" "$k" full 20000
	"$b/bench/allocbench" "$k" holes 20000
done
# The speed table (every workload against md5sum/cat of the same file and trace-cmd report,
# trace.dat at two lengths, medians of paired runs)
sh "$(dirname "$0")/table.sh" "$b" "$d"
sh "$(dirname "$0")/record-overhead.sh" "$b"
