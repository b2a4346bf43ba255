# tradeoff.gp: what each strategy exposes to the hypervisor against what it costs in time, a
# point per strategy (strategies with the same figures share one): x the bytes the hypervisor
# can read at peak (log scale; an unprotected VM: all guest RAM), y the time in percent against
# the baseline on an axis at least +-1% wide. Labels are placed apart so that none overprints.
# Usage: gnuplot -c tradeoff.gp tradeoff.csv OUT.png|OUT.svg TITLE SPAN BASELINE "WHAT" ERROR RAM
# Input: tradeoff.csv of `iommusim compare -O DIR`.
if (ARGC < 8) {
	print "usage: gnuplot -c tradeoff.gp tradeoff.csv OUT.png|OUT.svg TITLE SPAN BASELINE \"WHAT\" ERROR RAM"
	exit status 2
}
load 'style.gp'
data = ARG1
out = ARG2
span = real(ARG4)
err = ARG7 eq "nan" ? -1 : real(ARG7)
ram = real(ARG8)
if (is_svg(out)) {
	set terminal svg size 960,560 dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 960,560 enhanced font "sans,10" background "white"
}
set output out
set datafile separator ","
set datafile columnheaders
set title sprintf("%s\nexposure against time (%s), against %s", ARG3, ARG6, ARG5) noenhanced
set logscale x 2
set format x "%.0b%BB"
stats data using 3 nooutput
set xrange [STATS_min / 3:ram * 12]
set yrange [-span:span * 1.15]
set xlabel "bytes the hypervisor can read at peak (log scale)"
set ylabel sprintf("time %s, %% against the baseline", ARG6) noenhanced
set grid
set key off
set arrow 1 from graph 0, first 0 to graph 1, first 0 nohead lc rgb "gray40"
set arrow 2 from ram, graph 0 to ram, graph 1 nohead dt 2 lc rgb "gray50"
set label 1 "unprotected VM: all guest RAM" at ram, graph 0.04 right offset char -0.5, 0 \
	font ",9" tc rgb "gray30"
if (err > 0) {
	set object 1 rect from graph 0, first -err to graph 1, first err behind \
		fc rgb "#e4e4e4" fs solid noborder
	set label 2 sprintf("model error +-%.1f%%", err) at graph 0.01, first err \
		offset 0, char 0.6 font ",8" tc rgb "gray40"
}
# a leader from each point to its label, which sits a little to the right
plot data using 3:4:(column(3) * 0.3):(column(6) - column(4)) with vectors nohead \
		lc rgb "gray55", \
	'' using 3:4:(mark(column("series"))):(col(column("series"))) \
		with points ps 1.7 pt variable lc rgb variable, \
	'' using (column(3) * 1.3):6:2 with labels left offset char 0.4, 0 font ",9" noenhanced
