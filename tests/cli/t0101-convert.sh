#!/bin/sh
# convert is lossless: dump of the input and of the native output are identical, for text and
# (when the trace.dat reader is built) trace.dat inputs; the native file is read back by magic.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

for t in "$TRACES/pseries-noddw.txt.xz" "$TRACES/pseries-swiotlb.txt.xz" \
	 "$TRACES/pseries-noddw.dat.xz"; do
	case $t in
	*.dat.xz)
		"$ISM_BIN" list readers | grep -q '^  tracedat ' || continue ;;
	esac
	expect_exit 0 "$ISM_BIN" convert "$t" -o "$T/x.ist"
	expect_exit 0 "$ISM_BIN" dump "$t"
	mv "$OUT" "$T/a"
	expect_exit 0 "$ISM_BIN" dump "$T/x.ist"
	cmp -s "$T/a" "$OUT" || fail "$t: dump differs after convert"
	[ "$(wc -l < "$T/a")" -gt 1000 ] || fail "$t: too few events dumped"
	# provenance survives
	expect_exit 0 "$ISM_BIN" dump --header "$T/x.ist"
	head -1 "$OUT" | grep -q '"orig_source_format"' || fail "no provenance in the native header"
done
# convert to stdout works and is readable from stdin
"$ISM_BIN" convert "$TRACES/pseries-ddw.txt.xz" -o - 2>"$ERR" | "$ISM_BIN" stats - >"$OUT" 2>>"$ERR" ||
	fail "convert | stats - failed"
grep -q "^trace: - (native" "$OUT" || fail "stats - did not read the native stream"
pass
