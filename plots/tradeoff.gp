# tradeoff.gp: performance against exposure, a point per strategy (strategies with the same
# figures share a point). Exposure: bytes shared with the hypervisor at peak for a protected VM,
# all guest RAM for an unprotected one.
# Usage: gnuplot -c tradeoff.gp tradeoff.csv OUT.png|OUT.svg [TITLE]
# Input: tradeoff.csv from `iommusim compare -o DIR` ("# iommusim-plot v1 tradeoff").
if (ARGC < 2) {
	print "usage: gnuplot -c tradeoff.gp tradeoff.csv OUT.png|OUT.svg [TITLE]"
	exit status 2
}
data = ARG1
out = ARG2
title = ARGC >= 3 ? ARG3 : "performance against exposure"
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
	set terminal svg size 960,540 dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 960,540 enhanced font "sans,10" background "white"
}
set output out
set datafile separator ","
set key autotitle columnhead

set title title noenhanced
set key outside right top vertical
set logscale x 2
set format x "%.0b%BB"
set xlabel "exposed to the hypervisor (log scale; unprotected VM: all guest RAM)"
set ylabel "simulated time to the last event (s)"
set grid
set offsets graph 0.05, graph 0.45, graph 0.1, graph 0.1
plot data using 2:($4 == 1 ? $3 : 1/0) with points pt 7 ps 1.6 lc rgb "#228833" \
	title "protected VM", \
	'' using 2:($4 == 0 ? $3 : 1/0) with points pt 5 ps 1.4 lc rgb "#cc3311" \
	title "unprotected", \
	'' using 2:3:1 with labels left offset char 1.2,0 font ",8" noenhanced notitle
