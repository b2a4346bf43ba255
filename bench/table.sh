#!/bin/sh
# table.sh BUILDDIR DATADIR: the speed table of `make bench` (not a test: prints figures only).
#
# Every row is timed with GNU time: CPU seconds (user + sys; the machine may be shared, so CPU
# time, not wall time, is compared), peak RSS. Each figure is the median of ISM_BENCH_RUNS runs
# (default 3), taken in rounds that interleave the command with the yardsticks of the same
# input (md5sum and cat of the native file), so that a load change hits both. Ratios:
#   x md5sum / x cat   the command's CPU time per event over md5sum's / cat's of the native
#                      trace (same events, same run): below 1 is faster than hashing the file
#   x trace-cmd        events/s over those of `trace-cmd report` on a trace.dat of the same kind
# Lengths: the native trace of ISM_BENCH_EVENTS events (run.sh), and trace.dat files of
# ISM_BENCH_DAT_EVENTS (default 1e7) and 4 times that, to show that memory stays flat.
set -eu
b=${1:?usage: table.sh BUILDDIR DATADIR}
d=${2:?usage: table.sh BUILDDIR DATADIR}
runs=${ISM_BENCH_RUNS:-3}
n=${ISM_BENCH_EVENTS:-20000000}
q=$((n / 4))
dn=${ISM_BENCH_DAT_EVENTS:-10000000}
dn4=$((dn * 4))
ism=$b/src/iommusim
[ -x /usr/bin/time ] || { echo "table.sh: GNU time (/usr/bin/time) is needed for CPU time and peak RSS; skipped"; exit 0; }

# ---- inputs -------------------------------------------------------------------------------
[ -s "$d/big.ist" ] || "$b/bench/gen-trace" native "$d/big.ist" "$n"
[ -s "$d/quarter.ist" ] || "$b/bench/gen-trace" native "$d/quarter.ist" "$q"
[ -s "$d/big.txt" ] || "$b/bench/gen-trace" ftrace "$d/big.txt" "$q"
[ -s "$d/t1.dat" ] || "$b/bench/gen-tracedat" "$d/t1.dat" "$dn" >/dev/null
[ -s "$d/t4.dat" ] || "$b/bench/gen-tracedat" "$d/t4.dat" "$dn4" >/dev/null
[ -s "$d/tcr.dat" ] || "$b/bench/gen-tracedat" "$d/tcr.dat" 1000000 >/dev/null
have_tc=0
command -v trace-cmd >/dev/null 2>&1 && have_tc=1
if [ $have_tc = 1 ] && [ ! -s "$d/t1z.dat" ]; then
	trace-cmd convert -i "$d/t1.dat" -o "$d/t1z.dat" --compression zstd >/dev/null 2>&1 ||
		rm -f "$d/t1z.dat"
fi

# ---- measuring ------------------------------------------------------------------------------
# one run: prints "CPU_SECONDS PEAK_RSS_KIB"
once() {
	/usr/bin/time -f '%U %S %M' -o "$d/time.out" "$@" >/dev/null 2>"$d/cmd.err" ||
		{ echo "table.sh: failed: $*" >&2; cat "$d/cmd.err" >&2; return 1; }
	awk '{printf "%.3f %d\n", $1 + $2, $3}' "$d/time.out"
}
# median of a file of "CPU RSS" lines (by CPU)
median() {
	sort -n "$1" | awk '{c[NR] = $1; r[NR] = $2} END {m = int((NR + 1) / 2); print c[m], r[m]}'
}
# measure NAME CMD...: $runs runs, each round also timing md5sum and cat of big.ist
: >"$d/md5.runs"
: >"$d/cat.runs"
measure() {
	name=$1
	shift
	: >"$d/$name.runs"
	i=0
	while [ $i -lt "$runs" ]; do
		once "$@" >>"$d/$name.runs"
		once md5sum "$d/big.ist" >>"$d/md5.runs"
		once cat "$d/big.ist" >>"$d/cat.runs"
		i=$((i + 1))
	done
	median "$d/$name.runs" >"$d/$name.med"
}
cat "$d/big.ist" "$d/t1.dat" >/dev/null   # into the page cache

echo "== speed table (load average before: $(cut -d' ' -f1-3 /proc/loadavg); $runs runs each, median CPU time)"
measure passthrough "$ism" run -S passthrough "$d/big.ist"
measure reader_native "$b/bench/readbench" "$d/big.ist"
measure compare "$ism" compare "$d/quarter.ist"
measure window32 "$ism" run -S window32 "$d/quarter.ist"
measure swiotlb "$ism" run -S swiotlb "$d/quarter.ist"
measure stats_dat1 "$ism" stats "$d/t1.dat"
measure reader_dat1 "$b/bench/readbench" "$d/t1.dat"
cat "$d/t4.dat" >/dev/null
measure stats_dat4 "$ism" stats "$d/t4.dat"
if [ -s "$d/t1z.dat" ]; then
	cat "$d/t1z.dat" >/dev/null
	measure stats_dat1z "$ism" stats "$d/t1z.dat"
fi
measure ftrace "$b/bench/readbench" "$d/big.txt"
if [ $have_tc = 1 ]; then
	: >"$d/tcr.runs"
	i=0
	while [ $i -lt "$runs" ]; do
		once sh -c 'trace-cmd report -N -i "$1" >/dev/null 2>&1 || true' sh "$d/tcr.dat" >>"$d/tcr.runs"
		i=$((i + 1))
	done
	median "$d/tcr.runs" >"$d/tcr.med"
fi
median "$d/md5.runs" >"$d/md5.med"
median "$d/cat.runs" >"$d/cat.med"

# ---- the table ------------------------------------------------------------------------------
md5=$(cut -d' ' -f1 "$d/md5.med")
cat_s=$(cut -d' ' -f1 "$d/cat.med")
tcr_rate=0
[ -s "$d/tcr.med" ] && tcr_rate=$(awk '{print ($1 > 0 ? 1000000 / $1 : 0)}' "$d/tcr.med")
row() { # LABEL NAME EVENTS [tc]: tc = a trace.dat row, compared with trace-cmd report
	[ -s "$d/$2.med" ] || { printf '%-46s (not measured)\n' "$1"; return 0; }
	t=0
	[ "${4:-}" = tc ] && t=$tcr_rate
	awk -v l="$1" -v n="$3" -v m="$md5" -v c="$cat_s" -v nb="$n_big" -v t="$t" '
	{
		rate = $1 > 0 ? n / $1 : 0
		# per-event CPU relative to md5sum / cat of the native file (nb events)
		xm = (m > 0) ? ($1 / n) / (m / nb) : 0
		xc = (c > 0) ? ($1 / n) / (c / nb) : 0
		xt = (t > 0) ? sprintf("%7.1fx", rate / t) : "      -"
		printf "%-46s %9d %7.2f %8.2f %9.1f %7.2fx %8.2fx %s\n", l, n, $1, rate / 1e6,
		       $2 / 1024, xm, xc, xt
	}' "$d/$2.med"
}
n_big=$n
printf '%-46s %9s %7s %8s %9s %8s %9s %8s\n' "workload" "events" "CPU s" "M ev/s" "RSS MiB" \
	"x md5sum" "x cat" "x tc-rep"
row "compare (11 strategies, one pass), native" compare "$q"
row "run -S passthrough, native" passthrough "$n"
row "  native reader alone (readbench)" reader_native "$n"
row "run -S window32, native" window32 "$q"
row "run -S swiotlb, native" swiotlb "$q"
row "stats, trace.dat $dn events" stats_dat1 "$dn" tc
row "stats, trace.dat $dn4 events (4x: RSS flat?)" stats_dat4 "$dn4" tc
row "  trace.dat reader alone (readbench), $dn" reader_dat1 "$dn" tc
row "stats, trace.dat $dn events, zstd" stats_dat1z "$dn" tc
row "ftrace text reader (readbench)" ftrace "$q"
row "md5sum of the native file (yardstick)" md5 "$n"
row "cat of the native file" cat "$n"
if [ -s "$d/tcr.med" ]; then
	awk '{printf "%-46s %9d %7.2f %8.3f %9.1f\n", "trace-cmd report -N, trace.dat", 1000000, $1, ($1 > 0 ? 1 / $1 : 0), $2 / 1024}' "$d/tcr.med"
else
	echo "trace-cmd report: trace-cmd not installed (no x tc-rep column)"
fi
if [ -s "$d/stats_dat1z.med" ]; then
	awk -v u="$(cut -d' ' -f1 "$d/stats_dat1.med")" '{printf "zstd trace.dat: %.2fx the CPU time of the uncompressed file\n", ($1 / (u > 0 ? u : 1))}' "$d/stats_dat1z.med"
fi
echo "allocators: CPU ns per map with LIVE mappings live (window32: 2^20 4 KiB TCEs; swiotlb: 2^20 2 KiB slots)"
for k in tce swiotlb; do
	for l in 1000 10000 100000 700000 1000000; do
		"$b/bench/allocbench" "$k" "$l" 200000
	done
	"$b/bench/allocbench" "$k" full 20000
done
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
