#!/bin/sh
# compare -o DIR: a report folder (report.md, a self-contained report.html, results, manifest,
# figures with their data and scripts). Expectations come from properties (the figures' data
# agree with results.csv, hashes with sha256sum), never from typed-in numbers. Every figure
# renders where gnuplot is installed; without gnuplot the data and scripts are still written.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
TR="$TRACES/pseries-noddw.txt.xz"
R="$T/report"
have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1

expect_exit 0 "$ISM_BIN" compare -s "$SC" -S passthrough,window32,ddw,svm -o "$R" "$TR"
for f in report.md report.html results.txt results.json results.csv manifest.json render.sh \
	boot.csv hcalls.csv throughput.csv exposure.csv tradeoff.csv plots/boot.gp; do
	[ -s "$R/$f" ] || fail "compare -o: no $f"
done

# the report states trace, scenario and version
version=$("$ISM_BIN" --version | awk '{print $2}')
for f in report.md report.html; do
	grep -q "pseries-noddw.txt.xz" "$R/$f" || fail "$f does not name the trace"
	grep -q "qemu-pseries" "$R/$f" || fail "$f does not name the scenario"
	grep -q "$version" "$R/$f" || fail "$f does not state the version"
done
for s in passthrough window32 ddw svm; do
	grep -q "^| $s |" "$R/report.md" || fail "report.md: no table row for $s"
done

# provenance: the trace and scenario hashes are those of the files
grep -q '"schema_version": 2' "$R/manifest.json" || fail "manifest without a version"
if command -v sha256sum >/dev/null 2>&1; then
	for f in "$TR" "$SC"; do
		h=$(sha256sum "$f" | awk '{print $1}')
		grep -q "\"$h\"" "$R/manifest.json" || fail "manifest lacks the sha256 of $f"
		grep -q "$h" "$R/report.md" || fail "report.md lacks the sha256 of $f"
	done
fi

# results.json is a result `regress` reads, identical to itself
expect_exit 0 "$ISM_BIN" regress --baseline "$R/results.json" "$R/results.json"
grep -q "verdict: pass" "$OUT" || fail "a result does not pass against itself"

# figure data: versioned, one row per strategy, consistent with results.csv
for k in boot hcalls throughput tradeoff exposure; do
	head -1 "$R/$k.csv" | grep -q "^# iommusim-plot v1 $k\$" || fail "$k.csv: no version line"
done
[ "$(tail -n +3 "$R/boot.csv" | wc -l)" -eq 4 ] || fail "boot.csv: not one row per strategy"
# column of $2 in the header of CSV $1 (header on line $3)
col() {
	awk -F, -v n="$2" -v l="$3" 'NR == l { for (i = 1; i <= NF; i++) if ($i == n) print i }' "$1"
}
# value of column $2 for strategy $3 in CSV $1 (header on line $4)
val() {
	c=$(col "$1" "$2" "$4")
	[ -n "$c" ] || fail "$1: no column $2"
	awk -F, -v c="$c" -v s="$3" -v l="$4" 'NR > l && $1 == s { print $c }' "$1"
}
for s in window32 ddw svm; do
	# boot_s is results.csv's boot_ns in seconds
	a=$(val "$R/boot.csv" boot_s "$s" 2)
	b=$(val "$R/results.csv" boot_ns "$s" 1)
	awk -v a="$a" -v b="$b" 'BEGIN { d = a - b / 1e9; exit !(d < 1e-6 && d > -1e-6) }' ||
		fail "boot.csv boot_s $a vs results.csv boot_ns $b ($s)"
	# dma_ms is the sum of setup and the categories
	awk -F, -v s="$s" 'NR > 2 && $1 == s { t = 0; for (i = 4; i <= 11; i++) t += $i;
		d = t - $12; exit !(d < 1e-3 && d > -1e-3) }' "$R/boot.csv" ||
		fail "boot.csv: dma_ms is not the sum of its parts ($s)"
	# hypercall counts agree with results.csv
	a=$(val "$R/hcalls.csv" H_STUFF_TCE "$s" 2)
	b=$(val "$R/results.csv" h_stuff_tce_calls "$s" 1)
	[ "$a" = "$b" ] || fail "hcalls.csv H_STUFF_TCE $a vs results.csv $b ($s)"
done
# the exposure timeline peaks where results.csv says
c=$(col "$R/exposure.csv" svm 2)
[ -n "$c" ] || fail "exposure.csv: no svm column"
peak=$(awk -F, -v c="$c" 'NR > 2 && $c > m { m = $c } END { print m + 0 }' "$R/exposure.csv")
want=$(val "$R/results.csv" shared_peak_bytes svm 1)
awk -v a="$peak" -v b="$want" 'BEGIN { d = a - b / 1048576; exit !(d < 1e-3 && d > -1e-3) }' ||
	fail "exposure.csv peak $peak MiB vs shared_peak_bytes $want"
grep -q "^passthrough," "$R/exposure.csv" && fail "exposure.csv: passthrough shares nothing"

# report.html is self-contained: no external resource, scripts or links
if grep -q '<script\|<link\|src="http\|href="http\|@import' "$R/report.html"; then
	fail "report.html refers to external resources"
fi

if [ $have_gnuplot = 1 ]; then
	for k in boot hcalls throughput exposure tradeoff; do
		[ -s "$R/$k.png" ] || fail "no $k.png"
		[ -s "$R/$k.svg" ] || fail "no $k.svg"
		od -An -c -N4 "$R/$k.png" | grep -q 'P   N   G' || fail "$k.png is not a PNG"
		grep -q '<svg' "$R/$k.svg" || fail "$k.svg is not SVG"
	done
	[ "$(grep -c '<svg' "$R/report.html")" -eq 5 ] || fail "report.html: not 5 inline SVGs"
	grep -q '!\[.*\](boot.png)' "$R/report.md" || fail "report.md does not show boot.png"
fi

# without gnuplot: exit 0, data and scripts written, the user told how to draw
R2="$T/nognuplot"
ISM_GNUPLOT=/nonexistent/gnuplot expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw,svm -o "$R2" "$TR"
grep -q "gnuplot not found" "$ERR" || fail "no word about the missing gnuplot"
grep -q "render.sh" "$ERR" || fail "the warning does not say how to render"
ls "$R2"/*.png >/dev/null 2>&1 && fail "figures drawn without gnuplot"
for k in boot hcalls throughput exposure tradeoff; do
	[ -s "$R2/$k.csv" ] && [ -s "$R2/plots/$k.gp" ] || fail "no data or script for $k"
done
grep -q 'render.sh' "$R2/report.md" || fail "report.md does not say how to render"
if [ $have_gnuplot = 1 ]; then
	sh "$R2/render.sh" >"$T/render.out" 2>&1 || fail "render.sh failed: $(cat "$T/render.out")"
	for k in boot hcalls throughput exposure tradeoff; do
		[ -s "$R2/$k.png" ] && [ -s "$R2/$k.svg" ] || fail "render.sh did not draw $k"
	done
fi

# -o with --format is a file, as for run
expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw -j -o "$T/one.json" "$TR"
[ -f "$T/one.json" ] || fail "compare -j -o FILE wrote no file"
grep -q '"schema_version": 1' "$T/one.json" || fail "compare -j -o FILE: not a result"
# an unwritable folder is a runtime failure
: > "$T/afile"
expect_exit 1 "$ISM_BIN" compare -S ddw -o "$T/afile/sub" "$TR"
pass
