# delta.gp: each strategy against the baseline, in percent: a panel per objective, a bar per
# strategy (strategies with the same figures share one), the value at the bar's end. Bars start
# at 0 (the baseline) on an axis at least +-1% wide, so that equal values look equal and noise
# does not look dramatic; the model's error (grey) and the run-to-run noise (hatched, filling
# the panel when it is wider than every difference) are shaded when known.
# Usage: gnuplot -c delta.gp delta.csv OUT.png|OUT.svg TITLE "PANEL..." BASELINE ERROR "NOISE..."
# Input: delta.csv of `iommusim compare -O DIR`; PANEL: boot_pct, after_pct, throughput_pct;
# ERROR and each NOISE in percent or nan.
if (ARGC < 7) {
	print "usage: gnuplot -c delta.gp delta.csv OUT.png|OUT.svg TITLE \"PANEL...\" BASELINE ERROR \"NOISE...\""
	exit status 2
}
load 'style.gp'
data = ARG1
out = ARG2
panels = ARG4
np = words(panels)
err = ARG6 eq "nan" ? -1 : real(ARG6)
set datafile separator ","
set datafile columnheaders
stats data using 1 nooutput
n = STATS_records
h = 90 + np * (n * 24 + 95)
if (is_svg(out)) {
	set terminal svg size 960,h dynamic enhanced font "sans,12" background "white"
} else {
	set terminal pngcairo size 960,h enhanced font "sans,10" background "white"
}
set output out
label(p) = p eq "boot_pct" ? "boot time" : p eq "after_pct" ? "time after boot" : "throughput"
valcol(p) = p eq "boot_pct" ? "boot_s" : p eq "after_pct" ? "after_s" : "throughput_MBps"
unit(p) = p eq "throughput_pct" ? " MB/s" : " s"
better(p) = p eq "throughput_pct" ? "more is better" : "less is better"
txt(p, v, x) = sprintf(p eq "throughput_pct" ? "%+.2f%% (%.2f%s)" : "%+.2f%% (%.3f%s)", \
	v, x, unit(p))
set multiplot layout np,1 title sprintf("%s\nagainst %s", ARG3, ARG5) noenhanced
set lmargin 32
set rmargin 6
array top[np]
do for [p = 1:np] {
	stats data using (abs(column(word(panels, p)))) nooutput
	top[p] = STATS_max
}
set yrange [n - 0.5:-0.5]
set ytics nomirror noenhanced font ",9"
set grid xtics
set key off
set style fill solid 0.85 border rgb "gray30"
do for [p = 1:np] {
	c = word(panels, p)
	noise = word(ARG7, p) eq "nan" ? -1 : real(word(ARG7, p))
	span = top[p] * 1.7
	span = span < 1 ? 1 : span
	span = err * 1.3 > span ? err * 1.3 : span
	# the noise can be far wider than every difference: its band then fills the panel
	nz = noise > span ? span : noise
	set xrange [-span:span]
	unset object
	unset arrow
	if (noise > 0) {
		set object 1 rect from -nz, graph 0 to nz, graph 1 behind \
			fc rgb "#bbbbbb" fs pattern 4 noborder
	}
	if (err > 0) {
		set object 2 rect from -err, graph 0 to err, graph 1 behind \
			fc rgb "#e4e4e4" fs solid noborder
	}
	set arrow 1 from 0, graph 0 to 0, graph 1 nohead lw 1.5 lc rgb "gray20"
	set xlabel sprintf("%s: %% against the baseline (%s)%s%s", label(c), better(c), \
		err > 0 ? sprintf("; grey: model error +-%.1f%%", err) : "", \
		noise > 0 ? sprintf("; hatched: noise +-%.1f%%%s", noise, \
		noise > span ? ", wider than the axis" : "") : "") noenhanced
	plot data using (0):0:(0):(column(c)):($0 - 0.35):($0 + 0.35):(col(column("series"))):ytic(2) \
		with boxxyerror lc rgb variable, \
	'' using (column(c) >= 0 ? column(c) : 1/0):0:(txt(c, column(c), column(valcol(c)))) \
		with labels left offset char 0.6, 0 font ",9" noenhanced, \
	'' using (column(c) < 0 ? column(c) : 1/0):0:(txt(c, column(c), column(valcol(c)))) \
		with labels right offset char -0.6, 0 font ",9" noenhanced
}
unset multiplot
