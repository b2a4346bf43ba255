#!/bin/sh
# compare -O DIR: a report folder (report.md, a self-contained report.html, results, manifest,
# figures with their data and scripts). Expectations come from properties (the figures' data
# agree with results.csv, hashes with sha256sum), never from typed-in numbers. Every figure
# renders where gnuplot is installed; without gnuplot the data and scripts are still written.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
TR="$TRACES/pseries-noddw.txt.xz"
R="$T/report"
have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1

expect_exit 0 "$ISM_BIN" compare -s "$SC" -S passthrough,window32,ddw,svm -O "$R" "$TR"
for f in report.md report.html results.txt results.json results.csv manifest.json render.sh \
	delta.csv cost.csv hcalls.csv activity.csv tradeoff.csv figures.json plots/delta.gp; do
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
	grep -q "^| $s[*@]* |" "$R/report.md" || fail "report.md: no table row for $s"
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

# figure data: a header row (units in the names, schema_version last), no comment line, one
# row per strategy, consistent with results.csv
for k in delta cost hcalls activity tradeoff; do
	head -1 "$R/$k.csv" | grep -q ',schema_version$' || fail "$k.csv: no schema_version column"
	grep -q '^#' "$R/$k.csv" && fail "$k.csv has comment lines"
done
[ "$(tail -n +2 "$R/delta.csv" | wc -l)" -eq 4 ] || fail "delta.csv: not one row per strategy"
# column of $2 in the header of CSV $1 (header on line $3)
col() {
	awk -F, -v n="$2" -v l="$3" 'NR == l { for (i = 1; i <= NF; i++) if ($i == n) print i }' "$1"
}
# value of column $2 for strategy $3 in CSV $1 (header on line $4; the strategy in column $5)
val() {
	c=$(col "$1" "$2" "$4")
	[ -n "$c" ] || fail "$1: no column $2"
	awk -F, -v c="$c" -v s="$3" -v l="$4" -v k="${5:-1}" 'NR > l && ($k == s || $k == s "*") { print $c }' "$1"
}
for s in window32 ddw svm; do
	# boot_s is results.csv's boot_ns in seconds
	a=$(val "$R/delta.csv" boot_s "$s" 1 2)
	b=$(val "$R/results.csv" boot_ns "$s" 1)
	awk -v a="$a" -v b="$b" 'BEGIN { d = a - b / 1e9; exit !(d < 1e-6 && d > -1e-6) }' ||
		fail "delta.csv boot_s $a vs results.csv boot_ns $b ($s)"
	# hypercall counts agree with results.csv
	a=$(val "$R/hcalls.csv" H_STUFF_TCE "$s" 1 2)
	b=$(val "$R/results.csv" h_stuff_tce_calls "$s" 1)
	[ "$a" = "$b" ] || fail "hcalls.csv H_STUFF_TCE $a vs results.csv $b ($s)"
done
# against the baseline, the strategy detected as recorded (window32, as_recorded 1): each
# strategy's percentage is its boot time against the baseline's
[ "$(val "$R/results.csv" as_recorded window32 1)" = 1 ] || fail "results.csv: window32 not as recorded"
rb=$(val "$R/results.csv" boot_ns window32 1)
a=$(val "$R/delta.csv" boot_pct ddw 1 2)
b=$(val "$R/results.csv" boot_ns ddw 1)
awk -v a="$a" -v b="$b" -v r="$rb" 'BEGIN { d = a - (b - r) / r * 100; exit !(d < 1e-3 && d > -1e-3) }' ||
	fail "delta.csv boot_pct $a is not ddw against the baseline"
# the time series peak where results.csv says: bytes shared, slots and TCEs in use
peak() { # COLUMN
	c=$(col "$R/activity.csv" "$1" 1)
	[ -n "$c" ] || fail "activity.csv: no column $1"
	awk -F, -v c="$c" 'NR > 1 && $c > m { m = $c } END { print m + 0 }' "$R/activity.csv"
}
a=$(peak shared_MiB:svm)
b=$(val "$R/results.csv" shared_peak_bytes svm 1)
awk -v a="$a" -v b="$b" 'BEGIN { d = a - b / 1048576; exit !(d < 1e-3 && d > -1e-3) }' ||
	fail "activity.csv shared peak $a MiB vs shared_peak_bytes $b"
[ "$(peak pool_slots:svm)" = "$(val "$R/results.csv" pool_peak_slots svm 1)" ] ||
	fail "activity.csv pool peak vs pool_peak_slots"
[ "$(peak window_entries:window32)" = "$(val "$R/results.csv" window_peak_entries window32 1)" ] ||
	fail "activity.csv window peak vs window_peak_entries"
# passthrough is never the pick, so the figure leaves it out; it shares nothing anyway
head -1 "$R/activity.csv" | grep -q ':passthrough' && fail "activity.csv shows passthrough"
# figures.json gives every drawn figure's data and arguments
for k in delta cost hcalls activity tradeoff; do
	grep -q "\"$k\": {" "$R/figures.json" || fail "figures.json lacks $k"
done

# nothing protected: no exposure figure, no tradeoff, no exposure column
expect_exit 0 "$ISM_BIN" compare -s "$SC" -S window32,ddw -O "$T/unprot" "$TR"
grep -q 'shared_MiB' "$T/unprot/activity.csv" && fail "exposure drawn though nothing is protected"
grep -q 'tradeoff.png' "$T/unprot/report.md" && fail "a tradeoff figure though nothing is protected"
grep -q 'exposed' "$T/unprot/report.md" && fail "an exposure column though nothing is protected"
# the answer first: the verdict before the figures, provenance last
awk '/^## Verdict/ { v = NR } /^## Figures/ { f = NR } /^## Provenance/ { p = NR }
	END { exit !(v && f && p && v < f && f < p) }' "$R/report.md" ||
	fail "report.md: not verdict, figures, provenance in that order"
grep -q 'Report: .*report.html' "$OUT" || fail "compare -O does not say where the report is"

# report.html is self-contained: no external resource, scripts or links
if grep -q '<script\|<link\|src="http\|href="http\|@import' "$R/report.html"; then
	fail "report.html refers to external resources"
fi

if [ $have_gnuplot = 1 ]; then
	for k in delta cost hcalls activity tradeoff; do
		[ -s "$R/$k.png" ] || fail "no $k.png"
		[ -s "$R/$k.svg" ] || fail "no $k.svg"
		od -An -c -N4 "$R/$k.png" | grep -q 'P   N   G' || fail "$k.png is not a PNG"
		grep -q '<svg' "$R/$k.svg" || fail "$k.svg is not SVG"
	done
	[ "$(grep -c '<svg' "$R/report.html")" -eq 5 ] || fail "report.html: not 5 inline SVGs"
	grep -q '!\[.*\](delta.png)' "$R/report.md" || fail "report.md does not show delta.png"
fi

# without gnuplot: exit 0, data and scripts written, the user told how to draw
R2="$T/nognuplot"
ISM_GNUPLOT=/nonexistent/gnuplot expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw,svm -O "$R2" "$TR"
grep -q "gnuplot not found" "$ERR" || fail "no word about the missing gnuplot"
grep -q "render.sh" "$ERR" || fail "the warning does not say how to render"
ls "$R2"/*.png >/dev/null 2>&1 && fail "figures drawn without gnuplot"
for k in delta cost hcalls activity tradeoff; do
	[ -s "$R2/$k.csv" ] && [ -s "$R2/plots/$k.gp" ] || fail "no data or script for $k"
done
grep -q 'render.sh' "$R2/report.md" || fail "report.md does not say how to render"
if [ $have_gnuplot = 1 ]; then
	sh "$R2/render.sh" >"$T/render.out" 2>&1 || fail "render.sh failed: $(cat "$T/render.out")"
	for k in delta cost hcalls activity tradeoff; do
		[ -s "$R2/$k.png" ] && [ -s "$R2/$k.svg" ] || fail "render.sh did not draw $k"
	done
fi

# -o with --format is a file, as for run
expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw --json -o "$T/one.json" "$TR"
[ -f "$T/one.json" ] || fail "compare --json -o FILE wrote no file"
grep -q '"schema_version": 1' "$T/one.json" || fail "compare --json -o FILE: not a result"
# an unwritable folder is a runtime failure
: > "$T/afile"
expect_exit 1 "$ISM_BIN" compare -S ddw -O "$T/afile/sub" "$TR"
pass
