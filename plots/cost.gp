# cost.gp: the DMA-path cost of each strategy by category, stacked: a panel for the boot (setup
# counted once, as setup) and one for the time after it. Categories no strategy spends time in
# are left out (the report says which). Colours are the categories', not the strategies'.
# Usage: gnuplot -c cost.gp cost.csv OUT.png|OUT.svg TITLE NCAT "CATEGORY..." boot|noboot
# Input: cost.csv of `iommusim compare -O DIR`: series, strategy, NCAT boot_*_ms columns, then
# NCAT after_*_ms columns.
if (ARGC < 6) {
	print "usage: gnuplot -c cost.gp cost.csv OUT.png|OUT.svg TITLE NCAT \"CATEGORY...\" boot|noboot"
	exit status 2
}
load 'style.gp'
data = ARG1
out = ARG2
nc = int(ARG4)
cats = ARG5
np = ARG6 eq "boot" ? 2 : 1
set datafile separator ","
set datafile columnheaders
stats data using 1 nooutput
n = STATS_records
h = 110 + np * (n * 24 + 90)
if (is_svg(out)) {
	set terminal svg size 960,h dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 960,h enhanced font "sans,10" background "white"
}
set output out
set multiplot layout np,1 title sprintf("%s: DMA-path cost by category", ARG3) noenhanced
set lmargin 32
set rmargin 14
set ytics nomirror noenhanced font ",9"
set grid xtics
set style fill solid 0.9 border rgb "gray30"
array top[2]
do for [p = 1:np] {
	off = 2 + (p - 1) * nc
	stats data using (sum [j = 1:nc] column(off + j)) nooutput
	top[p] = STATS_max
}
set yrange [n - 0.5:-0.5]
do for [p = 1:np] {
	off = 2 + (p - 1) * nc
	set xrange [0:(top[p] > 0 ? top[p] * 1.25 : 1)]
	set xlabel (np == 2 ? (p == 1 ? "during boot (ms)" : "after boot (ms)") : \
		"the whole trace (ms; no boot marker)")
	if (p == 1) {
		set key outside top center horizontal noenhanced font ",9" samplen 2 maxrows 2
	} else {
		set key off
	}
	plot for [i = 1:nc] data \
		using (sum [j = 1:i - 1] column(off + j)):0:(sum [j = 1:i - 1] column(off + j)): \
		(sum [j = 1:i] column(off + j)):($0 - 0.35):($0 + 0.35):ytic(2) \
		with boxxyerror lc rgb catcol(i) title catlabel(word(cats, i)), \
	'' using (sum [j = 1:nc] column(off + j)):0: \
		(sprintf("%.1f ms", sum [j = 1:nc] column(off + j))) \
		with labels left offset char 0.6, 0 font ",9" notitle
}
unset multiplot
