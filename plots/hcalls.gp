# hcalls.gp: hypercalls, ultracalls and RTAS calls of each strategy (setup included), a panel
# per opcode on a linear axis from 0, so that differences in count show as differences in
# length; the count at each bar's end. Opcodes no strategy calls are left out.
# Usage: gnuplot -c hcalls.gp hcalls.csv OUT.png|OUT.svg TITLE NOPCODES "OPCODE..."
# Input: hcalls.csv of `iommusim compare -O DIR`: series, strategy, a column per opcode.
if (ARGC < 5) {
	print "usage: gnuplot -c hcalls.gp hcalls.csv OUT.png|OUT.svg TITLE NOPCODES \"OPCODE...\""
	exit status 2
}
load 'style.gp'
data = ARG1
out = ARG2
nk = int(ARG4)
ncol = nk < 2 ? 1 : 2
nrow = (nk + ncol - 1) / ncol
set datafile separator ","
set datafile columnheaders
stats data using 1 nooutput
n = STATS_records
h = 90 + nrow * (n * 22 + 80)
if (is_svg(out)) {
	set terminal svg size 1100,h dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 1100,h enhanced font "sans,10" background "white"
}
set output out
set multiplot layout nrow,ncol title sprintf("%s\ncalls by opcode (setup included)", ARG3) \
	noenhanced
set lmargin 30
set rmargin 8
array top[nk]
do for [k = 1:nk] {
	stats data using (column(2 + k)) nooutput
	top[k] = STATS_max
}
set yrange [n - 0.5:-0.5]
set ytics nomirror noenhanced font ",9"
set xtics font ",9"
set grid xtics
set key off
set style fill solid 0.85 border rgb "gray30"
do for [k = 1:nk] {
	c = 2 + k
	set xrange [0:(top[k] > 0 ? top[k] * 1.3 : 1)]
	if (top[k] < 10) {
		set xtics 1
		set format x "%g"
	} else {
		set xtics autofreq
		set format x (top[k] < 1000 ? "%g" : "%.0s%c")
	}
	set title word(ARG5, k) noenhanced
	plot data using (0):0:(0):(column(c)):($0 - 0.35):($0 + 0.35):(col(column("series"))):ytic(2) \
		with boxxyerror lc rgb variable, \
	'' using (column(c)):0:(sprintf("%d", column(c))) with labels left offset char 0.5, 0 \
		font ",9"
}
unset multiplot
