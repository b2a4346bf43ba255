# history.gp: a trend across runs or commits, one panel per metric, one line per strategy.
# Usage: gnuplot -c history.gp history.csv OUT.png|OUT.svg TITLE PANELS SERIES "METRIC..."
#        ["STRATEGY..."]
# Input: history.csv from `iommusim plot history`: column 1 is
# the run number, column 2 its label, then SERIES columns for each of the PANELS metrics
# (headed METRIC:STRATEGY; the legend shows the STRATEGY names given, else the headers).
if (ARGC < 6) {
	print "usage: gnuplot -c history.gp history.csv OUT.png|OUT.svg TITLE PANELS SERIES"
	print "       \"METRIC...\" [\"STRATEGY...\"]"
	exit status 2
}
load 'style.gp'
data = ARG1
out = ARG2
np = int(ARG4)
ns = int(ARG5)
names = ARGC >= 7 ? ARG7 : ""
h = 150 + 300 * np
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
set xtics rotate by 30 right noenhanced nomirror
set offsets 0.3, 0.3, 0, 0
set lmargin at screen 0.1
set rmargin at screen 0.72
set multiplot layout np,1 title ARG3 noenhanced
do for [p=1:np] {
	set ylabel word(ARG6, p) noenhanced
	if (words(names) == ns) {
		plot for [s=1:ns] data using 1:(column(2 + (p - 1) * ns + s)):xtic(2) \
			with linespoints lw 2 pt mark(s) ps 0.9 lc rgb col(s) title word(names, s)
	} else {
		plot for [s=1:ns] data using 1:(column(2 + (p - 1) * ns + s)):xtic(2) \
			with linespoints lw 2 pt mark(s) ps 0.9 lc rgb col(s) \
			title columnhead(2 + (p - 1) * ns + s)
	}
}
unset multiplot
