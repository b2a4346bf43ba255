#!/bin/sh
# plot: the trend across results (history) renders (non-empty file, gnuplot exit 0) where
# gnuplot is installed, its data has a row per result and a column per metric and strategy;
# without gnuplot the data and script are written and the command to draw them printed; every
# template checks its arguments; bad input is exit 2.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
TR="$TRACES/pseries-ddw.txt.xz"
have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1

expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw,window32 --json "$TR"
cp "$OUT" "$T/r1.json"
expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw,window32 --set cost.h_put_tce.fixed_ns=7000 --json "$TR"
cp "$OUT" "$T/r2.json"
expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw,window32,svm --json "$TR"
cp "$OUT" "$T/r3.json"

expect_exit 0 "$ISM_BIN" plot history "$T/r1.json" "$T/r2.json" "$T/r3.json" \
	--metric boot_ns,run_ns,hcalls --label c1,c2,c3 -o "$T/trend.svg"
[ -s "$T/trend.csv" ] && [ -s "$T/trend.gp" ] || fail "no trend data or script"
head -1 "$T/trend.csv" |
	grep -q '^run,label,boot_ms:ddw,boot_ms:window32,boot_ms:svm,run_ms:ddw.*,schema_version$' ||
	fail "unexpected header: $(head -1 "$T/trend.csv")"
[ "$(tail -n +2 "$T/trend.csv" | wc -l)" -eq 3 ] || fail "not a row per result"
awk -F, 'NR == 2 && $2 == "c1" && $5 == "" { ok = 1 } END { exit !ok }' "$T/trend.csv" ||
	fail "labels or missing values wrong (svm is absent from the first result)"
# the window32 run time grows with the H_PUT_TCE cost: run 2 above run 1
awk -F, 'NR == 2 { a = $7 } NR == 3 { b = $7 } END { exit !(b > a) }' "$T/trend.csv" ||
	fail "the trend does not show the costlier H_PUT_TCE"
if [ $have_gnuplot = 1 ]; then
	grep -q '<svg' "$T/trend.svg" || fail "trend.svg is not SVG"
	expect_exit 0 "$ISM_BIN" plot history "$T/r1.json" "$T/r2.json" -o "$T/trend.png" -S ddw
	od -An -c -N4 "$T/trend.png" | grep -q 'P   N   G' || fail "trend.png is not a PNG"
	# a figure of a report folder, drawn again from its data
	expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw,svm -O "$T/rep" "$TR"
	for k in delta cost hcalls activity tradeoff; do
		expect_exit 0 "$ISM_BIN" plot "$k" "$T/rep" --title "again" -o "$T/$k-again.png"
		od -An -c -N4 "$T/$k-again.png" | grep -q 'P   N   G' || fail "plot $k drew no PNG"
		expect_exit 0 "$ISM_BIN" plot "$k" "$T/rep" -o "$T/$k-again.svg"
		grep -q '<svg' "$T/$k-again.svg" || fail "plot $k drew no SVG"
	done
	# every template refuses to run without its arguments (style.gp is not a template)
	for g in "$ISM_SRCDIR"/plots/*.gp; do
		[ "${g##*/}" = style.gp ] && continue
		gnuplot -c "$g" >/dev/null 2>&1 && fail "$g runs without arguments"
		gnuplot -c "$g" >"$T/gp.out" 2>&1
		grep -q usage "$T/gp.out" || fail "$g: no usage message"
	done
fi

# without gnuplot: exit 0, data and script written, the command printed
ISM_GNUPLOT=/nonexistent/gnuplot expect_exit 0 "$ISM_BIN" plot history "$T/r1.json" \
	"$T/r3.json" -o "$T/t2.svg"
grep -q "gnuplot not found" "$ERR" || fail "no word about the missing gnuplot"
[ -s "$T/t2.csv" ] && [ -s "$T/t2.gp" ] || fail "no data or script without gnuplot"
[ -f "$T/t2.svg" ] && fail "a figure without gnuplot"
if [ $have_gnuplot = 1 ]; then
	cmd=$(sed -n 's/.*draw with: //p' "$ERR")
	[ -n "$cmd" ] || fail "no command to draw with"
	(eval "$cmd") >/dev/null 2>&1 || fail "the printed command failed: $cmd"
	[ -s "$T/t2.svg" ] || fail "the printed command drew nothing"
fi

# bad input
expect_exit 2 "$ISM_BIN" plot
expect_exit 2 "$ISM_BIN" plot frobnicate x -o "$T/x.svg"
expect_exit 2 "$ISM_BIN" plot history "$T/r1.json"
expect_exit 2 "$ISM_BIN" plot history "$T/r1.json" -o "$T/x.pdf"
expect_exit 2 "$ISM_BIN" plot history -o "$T/x.svg"
expect_exit 2 "$ISM_BIN" plot history "$T/r1.json" --metric nope -o "$T/x.svg"
expect_exit 2 "$ISM_BIN" plot history "$T/r1.json" "$T/r2.json" --label a -o "$T/x.svg"
expect_exit 2 "$ISM_BIN" plot history /nonexistent.json -o "$T/x.svg"
expect_exit 2 "$ISM_BIN" plot history "$T/trend.csv" -o "$T/x.svg"
expect_exit 2 "$ISM_BIN" plot delta /nonexistent-dir -o "$T/x.svg"
expect_exit 2 "$ISM_BIN" plot sweep "$T" -o "$T/x.svg"
expect_exit 0 "$ISM_BIN" plot --help
for k in delta cost hcalls activity tradeoff sweep history; do
	grep -q "^  $k " "$OUT" || fail "plot --help does not list $k"
done
pass
