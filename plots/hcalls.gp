# hcalls.gp: hypercalls, ultracalls and RTAS calls by opcode and strategy (log scale).
# Usage: gnuplot -c hcalls.gp hcalls.csv OUT.png|OUT.svg [TITLE]
# Input: hcalls.csv from `iommusim compare -o DIR` ("# iommusim-plot v1 hcalls").
if (ARGC < 2) {
	print "usage: gnuplot -c hcalls.gp hcalls.csv OUT.png|OUT.svg [TITLE]"
	exit status 2
}
data = ARG1
out = ARG2
title = ARGC >= 3 ? ARG3 : "calls by opcode"
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
	set terminal svg size 960,540 dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 960,540 enhanced font "sans,10" background "white"
}
set output out
set datafile separator ","
set key autotitle columnhead

set title title noenhanced
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top vertical noenhanced
set logscale y
set yrange [0.7:*]
set ylabel "calls (log scale; setup included)"
set xtics rotate by 30 right noenhanced nomirror
set grid ytics
plot for [i=2:*] data using (column(i) > 0 ? column(i) : 1/0):xtic(1) title columnhead(i)
