# activity.gp: the simulated run over time, in the manner of iowatcher: a panel per series
# (DMA maps per second, hypercalls per second, swiotlb slots in use, TCEs in use, bytes shared
# with the hypervisor), a line per strategy (the baseline and those the verdict names), the
# trace's phases shaded and numbered (the key is under the figure).
# Usage: gnuplot -c activity.gp activity.csv OUT.png|OUT.svg TITLE "PANEL..." "STRATEGY..."
#        "SERIES..." "START:END:N..." "N=NAME..." PHASES_FROM
# Input: activity.csv of `iommusim compare -O DIR`: t_s, then for each PANEL a column per
# STRATEGY; SERIES are the strategies' colour numbers (style.gp).
if (ARGC < 9) {
	print "usage: gnuplot -c activity.gp activity.csv OUT.png|OUT.svg TITLE \"PANEL...\""
	print "       \"STRATEGY...\" \"SERIES...\" \"START:END:N...\" \"N=NAME...\" PHASES_FROM"
	exit status 2
}
load 'style.gp'
data = ARG1
out = ARG2
panels = ARG4
strats = ARG5
series = ARG6
phases = ARG7
np = words(panels)
ns = words(strats)
h = 140 + np * 210
if (is_svg(out)) {
	set terminal svg size 1000,h dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 1000,h enhanced font "sans,10" background "white"
}
set output out
set datafile separator ","
set datafile columnheaders
ylabel(p) = p eq "maps_per_s" ? "DMA maps/s" : p eq "hcalls_per_s" ? "hypercalls/s" : \
	p eq "pool_slots" ? "swiotlb slots in use" : p eq "window_entries" ? "TCEs in use" : \
	p eq "shared_MiB" ? "shared (MiB)" : p
is_rate(p) = p eq "maps_per_s" || p eq "hcalls_per_s"
dtype(s) = (s - 1) % 4 + 1
# earlier series wider: a series drawn over an identical one still shows as a line inside it
lwid(s) = 1.2 + 0.9 * (ns - s)
set xrange [0:*]
set autoscale xfixmax
set lmargin 12
set rmargin 3
set tmargin 0.5
set bmargin 0.5
set grid ytics
top = 1 - 95.0 / h
set multiplot layout np,1 title sprintf("%s: over the simulated run", ARG3) noenhanced \
	margins 0.09, 0.98, 90.0 / h, top spacing 0, 0.012
# phases: shaded bands, alternately darker, their numbers at the top
do for [k = 1:words(phases)] {
	w = word(phases, k)
	c1 = strstrt(w, ":")
	rest = w[c1 + 1:]
	c2 = strstrt(rest, ":")
	a = real(w[1:c1 - 1])
	e = real(rest[1:c2 - 1])
	shade = k % 2 ? "#e6e6e6" : "#f4f4f4"
	set object k rect from a, graph 0 to e, graph 1 behind fc rgb shade fs solid noborder
}
do for [p = 1:np] {
	c = word(panels, p)
	unset label
	if (p == 1) {
		do for [k = 1:words(phases)] {
			w = word(phases, k)
			c1 = strstrt(w, ":")
			rest = w[c1 + 1:]
			c2 = strstrt(rest, ":")
			set label k rest[c2 + 1:] at real(w[1:c1 - 1]), graph (k % 2 ? 0.93 : 0.83) \
				offset char 0.3, 0 font ",8" tc rgb "gray30" front
		}
		set key at screen 0.5, screen (top + 45.0 / h) center horizontal noenhanced font ",9" \
			samplen 3
	} else {
		set key off
	}
	if (p == np) {
		set format x "%g"
		set xlabel sprintf("simulated time (s); phases from %s: %s", ARG9, ARG8) noenhanced \
			font ",9"
	} else {
		set format x ""
		unset xlabel
	}
	set ylabel ylabel(c) noenhanced
	set yrange [0:*]
	set format y (is_rate(c) ? "%.0s%c" : "%g")
	if (is_rate(c)) {
		plot for [s = 1:ns] data using 1:(column(1 + (p - 1) * ns + s)) with lines lw lwid(s) \
			lc rgb col(word(series, s) + 0) dt dtype(s) title word(strats, s)
	} else {
		plot for [s = 1:ns] data using 1:(column(1 + (p - 1) * ns + s)) with steps lw lwid(s) \
			lc rgb col(word(series, s) + 0) dt dtype(s) title word(strats, s)
	}
}
unset multiplot
