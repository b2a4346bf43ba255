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
best() {
	cat "$1" >/dev/null
	for i in 1 2 3; do "$b/bench/readbench" "$1"; done |
		sort -t= -k5 -n | awk '{print}' | sort -t' ' -k4 | tail -n 1
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
		echo "trace-cmd report: $q events in $(echo "$e - $s" | bc) s"
	fi
fi
echo "== iommusim stats end to end"
for f in big.ist; do
	s=$(date +%s.%N)
	"$b/src/iommusim" stats "$d/$f" >/dev/null
	e=$(date +%s.%N)
	echo "stats $f: $n events in $(echo "$e - $s" | bc) s"
done
