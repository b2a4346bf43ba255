# throughput.gp: simulated throughput by strategy, against the recorded throughput.
# Usage: gnuplot -c throughput.gp throughput.csv OUT.png|OUT.svg [TITLE]
# Input: throughput.csv from `iommusim compare -o DIR` ("# iommusim-plot v1 throughput").
if (ARGC < 2) {
	print "usage: gnuplot -c throughput.gp throughput.csv OUT.png|OUT.svg [TITLE]"
	exit status 2
}
data = ARG1
out = ARG2
title = ARGC >= 3 ? ARG3 : "throughput"
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
	set terminal svg size 960,540 dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 960,540 enhanced font "sans,10" background "white"
}
set output out
set datafile separator ","
set key autotitle columnhead

set title title noenhanced
set style fill solid 0.85 border -1
set boxwidth 0.7
set key outside right top vertical noenhanced
set ylabel "bytes mapped per simulated second (MB/s)"
set xtics rotate by 30 right noenhanced nomirror
set grid ytics
set yrange [0:*]
set offsets 0.5, 0.5, graph 0.1, 0
plot data using 0:2:xtic(1) with boxes lc rgb "#4477aa" title "simulated", \
	'' using 0:2:(sprintf("%.2f", $2)) with labels offset 0,0.7 font ",8" notitle, \
	'' using 0:3 with lines dt 2 lw 2 lc rgb "#cc3311" title "recorded"
