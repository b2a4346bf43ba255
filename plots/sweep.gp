# sweep.gp: a parameter sweep, one panel per metric, one curve per series (a strategy, and the
# values of the other swept parameters); dashed vertical lines mark crossovers.
# Usage: gnuplot -c sweep.gp sweep-plot.csv OUT.png|OUT.svg TITLE PANELS SERIES AXIS XLABEL
#        "METRIC..." ["PANEL:X:LABEL..."]
# AXIS: lin, log, or bytes (log scale with binary-prefix ticks).
# Input: sweep-plot.csv from `iommusim sweep -o DIR` ("# iommusim-plot v1 sweep"): column 1 is
# the swept value, then SERIES columns for each of the PANELS metrics.
if (ARGC < 8) {
	print "usage: gnuplot -c sweep.gp sweep-plot.csv OUT.png|OUT.svg TITLE PANELS SERIES"
	print "       lin|log|bytes XLABEL \"METRIC...\" [\"PANEL:X:LABEL...\"]"
	exit status 2
}
data = ARG1
out = ARG2
np = int(ARG4)
ns = int(ARG5)
marks = ARGC >= 9 ? ARG9 : ""
h = 150 + 320 * np
if (strlen(out) > 4 && out[strlen(out)-2:] eq "svg") {
	set terminal svg size 960,h dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 960,h enhanced font "sans,10" background "white"
}
set output out
set datafile separator ","
set key autotitle columnhead
set datafile missing ""

set key outside right top vertical noenhanced
set grid
set xlabel ARG7 noenhanced
set lmargin at screen 0.1
set rmargin at screen 0.72
if (ARG6 eq "log") {
	set logscale x
}
if (ARG6 eq "bytes") {
	set logscale x 2
	set format x "%.0b%BB"
}
set multiplot layout np,1 title ARG3 noenhanced
do for [p=1:np] {
	unset arrow
	unset label
	do for [k=1:words(marks)] {
		w = word(marks, k)
		c1 = strstrt(w, ":")
		rest = w[c1+1:strlen(w)]
		c2 = strstrt(rest, ":")
		if (int(w[1:c1-1]) == p) {
			xv = (c2 > 0 ? rest[1:c2-1] : rest) + 0
			lbl = c2 > 0 ? rest[c2+1:strlen(rest)] : sprintf("%.4g", xv)
			set arrow from xv, graph 0 to xv, graph 1 nohead dt 2 lw 1.5 lc rgb "gray30"
			set label lbl at xv, graph 0.96 left offset char 0.5, 0 font ",9" \
				tc rgb "gray20" noenhanced
		}
	}
	set ylabel word(ARG8, p) noenhanced
	plot for [s=1:ns] data using 1:(column(1 + (p - 1) * ns + s)) with linespoints lw 2 pt 7 \
		ps 0.6 title columnhead(1 + (p - 1) * ns + s)
}
unset multiplot
