#!/bin/sh
# run/compare: every default strategy reported, JSON/CSV versioned, bad strategies and bad
# scenarios rejected with a clear message (file:line:col for scenarios) and exit 2.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"

expect_exit 0 "$ISM_BIN" compare -s "$SC" "$TRACES/pseries-noddw.txt.xz"
for s in passthrough window32 direct-tce indirect-tce ddw swiotlb svm; do
	grep -q "^$s[*@]* " "$OUT" || fail "compare: no row for $s"
done
# output that is not a terminal: 80 columns (characters, not bytes), names never cut
LC_ALL=C.UTF-8 awk 'length > 80 { print; exit 1 }' "$OUT" >"$T/wide" ||
	fail "text report wider than 80 columns: $(cat "$T/wide")"
grep -q 'indirect-tce:share-per-call ' "$OUT" || fail "a strategy name is cut"
# the answer first: a verdict per objective before any table
awk '/^Verdict against/ { v = NR } /^strategy / && !s { s = NR } END { exit !(v && v < s) }' \
	"$OUT" || fail "no verdict before the first table"
for o in "boot time" "after boot" throughput exposure; do
	grep -q "^$o  *best " "$OUT" || fail "no verdict for $o"
done
# (window32, as recorded, charges the recorded hypercall times: it folds with no alias)
grep -q "^indirect-tce (+2) " "$OUT" || fail "identical strategies are not folded"
tr '\n' ' ' <"$OUT" | tr -s ' ' |
	grep -q 'indirect-tce = indirect-tce:shared-once = indirect-tce:bounce-page' ||
	fail "the folded strategies are not named"
# --width: the terminal width for mail or a wide terminal
expect_exit 0 "$ISM_BIN" compare -s "$SC" -w 132 "$TRACES/pseries-noddw.txt.xz"
LC_ALL=C.UTF-8 awk 'length > 132 { exit 1 }' "$OUT" || fail "wider than --width 132"
expect_exit 2 "$ISM_BIN" compare -w 10 "$TRACES/pseries-noddw.txt.xz"
# the baseline: --baseline, else the recorded strategy (its row marked and always there)
expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw --set sim.recorded_with=window32 \
	"$TRACES/pseries-noddw.txt.xz"
grep -q '^Verdict against window32 (as recorded' "$OUT" || fail "the recorded strategy is not the baseline"
grep -q '^window32\* ' "$OUT" || fail "no as-recorded row"
expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw,direct-tce --baseline direct-tce \
	"$TRACES/pseries-noddw.txt.xz"
grep -q '^Verdict against direct-tce (--baseline)' "$OUT" || fail "--baseline ignored"
# nothing protected: no exposure verdict nor column
grep -q '^exposure\|exposed' "$OUT" && fail "exposure shown though nothing is protected"
expect_exit 2 "$ISM_BIN" run -S ddw --baseline nosuch "$TRACES/pseries-noddw.txt.xz"
# repeats: the noise and the best in each; --model-error judged
expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw,window32 --model-error 0.2% \
	"$TRACES/pseries-noddw.txt.xz" "$TRACES/pseries-noddw.dat.xz"
tr '\n' ' ' <"$OUT" | tr -s ' ' | grep -q 'Model error: 0.2% (--model-error)' ||
	fail "--model-error not stated"
grep -q 'Beats the model.s error (0.2%)' "$OUT" || fail "no judgement against the model error"
tr '\n' ' ' <"$OUT" | tr -s ' ' | grep -q 'over 2 recordings); best in 2 of 2' ||
	fail "no noise from the repeat"

# the first screen (24 lines, text and HTML) names the pick per objective with its % against
# the recorded strategy and says whether it beats the model's error
expect_exit 0 "$ISM_BIN" compare -s "$SC" -S ddw,window32,svm --set sim.recorded_with=window32 \
	--model-error 0.5% -O "$T/rep" "$TRACES/pseries-noddw.txt.xz"
head -24 "$OUT" >"$T/screen"
grep -q '^Verdict against window32 (as recorded)' "$T/screen" ||
	fail "first screen: not against the recorded strategy: $(cat "$T/screen")"
for o in "boot time" "after boot" throughput; do
	awk -v o="$o" 'index($0, o) == 1 && / best  *[a-z].*[-+ ][0-9.]+%$/ { f = 1 }
		f && /^  *(Beats|Within) the model.s error \(0.5%\)/ { ok = 1; exit }
		END { exit !ok }' "$T/screen" ||
		fail "first screen: no pick, % and model-error judgement for $o: $(cat "$T/screen")"
done
grep -q '^exposure  *best  *svm ' "$T/screen" || fail "first screen: no exposure pick"
# report.html: the verdict is its first table, a row per objective with the same judgement
awk '/<table/ { n++ } n == 1 { print } /<\/table>/ && n == 1 { exit }' "$T/rep/report.html" \
	>"$T/vt.html"
grep -q 'Verdict against window32 (as recorded)' "$T/rep/report.html" ||
	fail "report.html: no verdict against the recorded strategy"
for o in "boot time" "after boot" throughput exposure; do
	grep -q ">$o<" "$T/vt.html" || fail "report.html: the first table has no $o row"
done
[ "$(grep -c "the model&#39;s error (0.5%)\|the model's error (0.5%)" "$T/vt.html")" -ge 3 ] ||
	fail "report.html: the verdict does not judge against the model's error"

expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw,window32 --format json,csv "$TRACES/pseries-ddw.txt.xz"
grep -q '"schema_version": 1' "$OUT" || fail "no schema_version in JSON"
grep -q '^strategy,.*,schema_version$' "$OUT" || fail "no CSV schema_version column"
grep -q '^#' "$OUT" && fail "CSV with a comment line"
grep -q '^strategy,protected,boot_ns,' "$OUT" || fail "no CSV header"

expect_exit 2 "$ISM_BIN" run -S windw32 "$TRACES/pseries-ddw.txt.xz"
grep -q "did you mean 'window32'" "$ERR" || fail "no suggestion for a misspelt strategy"
expect_exit 2 "$ISM_BIN" run -S indirect-tce:sideways "$TRACES/pseries-ddw.txt.xz"
grep -q "share-per-call" "$ERR" || fail "variants not listed"
expect_exit 2 "$ISM_BIN" run -S ddw+swiotlb "$TRACES/pseries-ddw.txt.xz"
expect_exit 2 "$ISM_BIN" run "$TRACES/pseries-ddw.txt.xz"

printf '{\n  "schema_version": 1,\n  "machine": {\n    "cpu": 4\n  }\n}\n' > "$T/bad.json"
expect_exit 2 "$ISM_BIN" run -s "$T/bad.json" -S ddw "$TRACES/pseries-ddw.txt.xz"
grep -q "bad.json:4:5: machine.cpu: unknown key; did you mean 'cpus'?" "$ERR" ||
	fail "bad scenario message: $(cat "$ERR")"
printf '{ "schema_version": 1, "cost": { "h_put_tce": { "fixed_ns": -5 } } }\n' > "$T/neg.json"
expect_exit 2 "$ISM_BIN" run -s "$T/neg.json" -S ddw "$TRACES/pseries-ddw.txt.xz"
grep -q "cost.h_put_tce.fixed_ns" "$ERR" || fail "range error does not name the key"
expect_exit 2 "$ISM_BIN" run -S ddw --set machine.cpus=0 "$TRACES/pseries-ddw.txt.xz"
expect_exit 2 "$ISM_BIN" run -s /nonexistent.json -S ddw "$TRACES/pseries-ddw.txt.xz"

# timestamps out of order on a CPU and timestamps 0: replayed, warned about, counted
cat > "$T/inv.txt" <<'TXT'
  dd-1 [000] d.... 0.000000: dma_map_page: 0000:00:01.0 dir=TO_DEVICE dma_addr=1000 size=4096 phys_addr=2000 attrs=
  dd-1 [000] d.... 2.000000: dma_map_page: 0000:00:01.0 dir=TO_DEVICE dma_addr=3000 size=4096 phys_addr=4000 attrs=
  dd-1 [000] d.... 1.000000: dma_unmap_page: 0000:00:01.0 dir=TO_DEVICE dma_addr=1000 size=4096 attrs=
  dd-1 [001] d.... 1.500000: dma_unmap_page: 0000:00:01.0 dir=TO_DEVICE dma_addr=3000 size=4096 attrs=
TXT
expect_exit 0 "$ISM_BIN" run -S ddw --format json "$T/inv.txt"
grep -q '"ts_inversions": 1,' "$OUT" || fail "inversion not counted"
grep -q '"zero_timestamps": 1,' "$OUT" || fail "zero timestamp not counted"
grep -q 'warning: .*inv.txt: 1 timestamp inversion .*first at line 3' "$ERR" ||
	fail "no inversion warning: $(cat "$ERR")"
grep -q 'warning: .*inv.txt: 1 event at timestamp 0 .*first at line 1' "$ERR" ||
	fail "no zero-timestamp warning: $(cat "$ERR")"
expect_exit 0 "$ISM_BIN" run -S ddw "$TRACES/pseries-multitce-off.txt.xz"
grep -q 'inversion' "$ERR" && fail "inversions reported for a recorded trace: $(cat "$ERR")"
pass
