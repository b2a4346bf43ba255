# sweep.gp: a parameter sweep. For each metric, a panel of its values (a curve per strategy, and
# per value of the other swept parameters) and under it a panel of each curve's difference from
# the first strategy's, in percent, where curves that lie on each other come apart and a
# crossover is where a curve crosses 0. The scenario's own value of the parameter is a solid
# line, crossovers dashed lines with their labels at staggered heights.
# Usage: gnuplot -c sweep.gp sweep-plot.csv OUT.png|OUT.svg TITLE "PANELS|SERIES|LINES|AXIS"
#        XLABEL "LABEL|..." ["PANEL:X:MARK..."] ["X|LABEL"] [BASELINE]
# AXIS: lin, log, or bytes (log scale with binary-prefix ticks). LINES: series per strategy.
# Input: sweep-plot.csv of `iommusim sweep -O DIR`: column 1 is the swept value, then SERIES
# columns (METRIC:SERIES) for each of the PANELS metrics.
if (ARGC < 6) {
	print "usage: gnuplot -c sweep.gp sweep-plot.csv OUT.png|OUT.svg TITLE \"PANELS|SERIES|LINES|AXIS\""
	print "       XLABEL \"LABEL|...\" [\"PANEL:X:MARK...\"] [\"X|LABEL\"] [BASELINE]"
	exit status 2
}
load 'style.gp'
data = ARG1
out = ARG2
np = int(field(ARG4, 1))
ns = int(field(ARG4, 2))
lines = int(field(ARG4, 3))
axis = field(ARG4, 4)
marks = ARGC >= 7 ? ARG7 : ""
here = ARGC >= 8 ? ARG8 : ""
base = ARGC >= 9 ? ARG9 : "the first strategy"
h = 120 + 420 * np
if (is_svg(out)) {
	set terminal svg size 1000,h dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 1000,h enhanced font "sans,10" background "white"
}
set output out
set datafile separator ","
set datafile columnheaders
set datafile missing ""
sname(s) = (c = columnhead(1 + s), c[strstrt(c, ":") + 1:])
lwid(s) = 1.2 + 1.6 * (ns - s) / (ns > 1 ? ns - 1 : 1)
dtype(s) = (s - 1) % 5 + 1
# a tick step for about four ticks over a range of r: 1, 2 or 5 times a power of ten
nicestep(r) = (e = 10 ** floor(log10(r > 0 ? r / 4 : 1)), r / 4 / e > 5 ? 10 * e : \
	r / 4 / e > 2 ? 5 * e : r / 4 / e > 1 ? 2 * e : e)
if (axis eq "log") {
	set logscale x
}
if (axis eq "bytes") {
	set logscale x 2
	set format x "%.0b%BB"
}
set grid
top = 1 - 60.0 / h
set multiplot title ARG3 noenhanced
pw = (top - 40.0 / h) / np
do for [p = 1:np] {
	y1 = top - (p - 1) * pw
	unset arrow
	unset label
	unset object
	# the scenario's value and the crossovers of this panel, labels staggered
	if (strlen(here) > 0) {
		hx = real(field(here, 1))
		set arrow 100 from hx, graph 0 to hx, graph 1 nohead lw 2 lc rgb "#444444" front
		set label 100 field(here, 2) at hx, graph 0.03 left rotate by 90 offset char -0.4, 0 \
			font ",9" tc rgb "#222222" noenhanced front
	}
	m = 0
	do for [k = 1:words(marks)] {
		w = word(marks, k)
		c1 = strstrt(w, ":")
		rest = w[c1 + 1:]
		c2 = strstrt(rest, ":")
		if (int(w[1:c1 - 1]) == p) {
			m = m + 1
			xv = (c2 > 0 ? rest[1:c2 - 1] : rest) + 0
			lbl = c2 > 0 ? rest[c2 + 1:] : sprintf("%.4g", xv)
			set arrow k from xv, graph 0 to xv, graph 1 nohead dt 2 lw 1.5 lc rgb "gray40"
			set label k lbl at xv, graph (0.95 - 0.09 * ((m - 1) % 4)) left \
				offset char 0.5, 0 font ",9" tc rgb "gray20" noenhanced front
		}
	}
	# the values
	set lmargin at screen 0.09
	set rmargin at screen 0.70
	set tmargin at screen y1
	set bmargin at screen y1 - pw * 0.55
	set format x ""
	unset xlabel
	set ylabel field(ARG6, p) noenhanced
	set ytics autofreq
	set format y "% h"
	set key at screen 0.72, screen y1 left top reverse Left noenhanced font ",9" samplen 4 \
		spacing 1.1
	plot for [s = 1:ns] data using 1:(column(1 + (p - 1) * ns + s)) with linespoints \
		lw lwid(s) dt dtype(s) pt mark(s) ps 0.9 lc rgb col(s) title sname((p - 1) * ns + s)
	# the difference from the first strategy (of the same values of the other parameters)
	bcol(s) = 1 + (p - 1) * ns + (s - 1) % lines + 1
	unset label
	unset key
	set tmargin at screen y1 - pw * 0.59
	set bmargin at screen y1 - pw * 0.92
	lo = 0
	hi = 0
	do for [s = 1:ns] {
		stats data using (column(bcol(s)) != 0 ? (column(1 + (p - 1) * ns + s) - \
			column(bcol(s))) / column(bcol(s)) * 100 : 0) nooutput
		lo = STATS_min < lo ? STATS_min : lo
		hi = STATS_max > hi ? STATS_max : hi
	}
	set ytics nicestep(hi - lo)
	set format y "%+g"
	if (axis eq "bytes") {
		set format x "%.0b%BB"
	} else {
		set format x "% h"
	}
	set xlabel (p == np ? ARG5 : "") noenhanced
	set ylabel sprintf("%% vs %s", base) noenhanced
	set arrow 200 from graph 0, first 0 to graph 1, first 0 nohead lc rgb "gray20"
	plot for [s = 1:ns] data using 1:(column(bcol(s)) != 0 ? \
		(column(1 + (p - 1) * ns + s) - column(bcol(s))) / column(bcol(s)) * 100 : 1/0) \
		with linespoints lw lwid(s) dt dtype(s) pt mark(s) ps 0.7 lc rgb col(s) notitle
}
unset multiplot
