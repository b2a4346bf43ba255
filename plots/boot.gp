# boot.gp: boot time by strategy; each bar stacks the DMA-path cost spent during boot (setup,
# then each cost category), labelled with the simulated boot time.
# Usage: gnuplot -c boot.gp boot.csv OUT.png|OUT.svg [TITLE]
# Input: boot.csv from `iommusim compare -o DIR` ("# iommusim-plot v1 boot").
if (ARGC < 2) {
	print "usage: gnuplot -c boot.gp boot.csv OUT.png|OUT.svg [TITLE]"
	exit status 2
}
data = ARG1
out = ARG2
title = ARGC >= 3 ? ARG3 : "boot time by strategy"
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
	set terminal svg size 960,540 dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 960,540 enhanced font "sans,10" background "white"
}
set output out
set datafile separator ","
set key autotitle columnhead
set datafile missing ""

stats data using 3 nooutput
recorded = STATS_max
set title sprintf("%s\nrecorded boot %.3f s; bar labels: simulated boot time", title, \
	recorded) noenhanced
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.7
set key outside right top vertical noenhanced
set ylabel "DMA-path cost during boot (ms)"
set xtics rotate by 30 right noenhanced nomirror
set grid ytics
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
plot for [i=4:11] data using i:xtic(1) title columnhead(i), \
	'' using 0:12:(sprintf("%.3f s", $2)) with labels offset 0,0.8 font ",8" notitle
