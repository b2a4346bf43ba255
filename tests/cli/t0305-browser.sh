#!/bin/sh
# report.html in a real headless browser (Debian's chromium): it loads from a file with every
# network path off, and its screenshot is not blank. Skips (77) where chromium is absent.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
CHROMIUM=${ISM_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "no $CHROMIUM (apt-get install chromium)"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"

expect_exit 0 "$ISM_BIN" compare -s "$SC" -S window32,ddw,svm -O "$T/rep" \
	"$TRACES/pseries-ddw.txt.xz"
[ -s "$T/rep/report.html" ] || fail "no report.html"

# a private profile and home; nothing may reach the network
HOME="$T" timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	--disable-background-networking --disable-component-update --disable-sync \
	--disable-default-apps --disable-extensions --disable-dev-shm-usage --no-first-run \
	--no-default-browser-check --metrics-recording-only --hide-scrollbars \
	--user-data-dir="$T/profile" --window-size=1000,1400 \
	--screenshot="$T/shot.png" "file://$T/rep/report.html" >"$T/chromium.log" 2>&1
rc=$?
[ -s "$T/shot.png" ] || fail "chromium ($rc) wrote no screenshot: $(tail -5 "$T/chromium.log")"
od -An -c -N4 "$T/shot.png" | grep -q 'P   N   G' || fail "the screenshot is not a PNG"

# not blank: count pixels that differ from the top-left one (the page background)
if command -v gnuplot >/dev/null 2>&1; then
	gnuplot -e "set table '$T/px.txt'; \
		plot '$T/shot.png' binary filetype=png every 4:4 with rgbimage" \
		>/dev/null 2>&1 || fail "gnuplot cannot read the screenshot"
	set -- $(awk 'NF >= 6 && $1 ~ /^[0-9]/ { n++; k = $3 " " $4 " " $5;
		if (n == 1) bg = k; else if (k != bg) d++ } END { print n + 0, d + 0 }' "$T/px.txt")
	[ "$1" -gt 1000 ] || fail "the screenshot has $1 pixels"
	# text, tables and figures: well over 1% of the page is not background
	[ "$2" -gt $(($1 / 100)) ] || fail "the screenshot is blank ($2 of $1 pixels differ)"
	# and it is not one flat colour either
	ncol=$(awk 'NF >= 6 && $1 ~ /^[0-9]/ { k = $3 " " $4 " " $5; if (!(k in c)) { c[k]; n++ } }
		END { print n + 0 }' "$T/px.txt")
	[ "$ncol" -gt 8 ] || fail "the screenshot has $ncol colours"
else
	# without a PNG reader: a blank 1000x1400 page compresses to a few KiB
	[ "$(wc -c < "$T/shot.png")" -gt 40000 ] || fail "the screenshot looks blank"
fi
pass
