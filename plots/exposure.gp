# exposure.gp: bytes shared with the hypervisor over simulated time, one line per strategy
# that shares memory (the peak within each time bucket).
# Usage: gnuplot -c exposure.gp exposure.csv OUT.png|OUT.svg [TITLE]
# Input: exposure.csv from `iommusim compare -o DIR` ("# iommusim-plot v1 exposure").
if (ARGC < 2) {
	print "usage: gnuplot -c exposure.gp exposure.csv OUT.png|OUT.svg [TITLE]"
	exit status 2
}
data = ARG1
out = ARG2
title = ARGC >= 3 ? ARG3 : "bytes shared with the hypervisor"
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
	set terminal svg size 960,540 dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 960,540 enhanced font "sans,10" background "white"
}
set output out
set datafile separator ","
set key autotitle columnhead

set title title noenhanced
set key outside right top vertical noenhanced
set xlabel "simulated time (s)"
set ylabel "shared with the hypervisor (MiB)"
set grid
set yrange [0:*]
set offsets 0, 0, graph 0.05, 0
# wide lines first, narrower on top: strategies that share alike stay visible
plot for [i=2:*] data using 1:i with steps lw (i <= 6 ? 7 - i : 1) title columnhead(i)
