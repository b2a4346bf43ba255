#!/bin/sh
# run/compare: every default strategy reported, JSON/CSV versioned, bad strategies and bad
# scenarios rejected with a clear message (file:line:col for scenarios) and exit 2.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"

expect_exit 0 "$ISM_BIN" compare -s "$SC" "$TRACES/pseries-noddw.txt.xz"
for s in passthrough window32 direct-tce indirect-tce ddw swiotlb svm; do
	grep -q "^$s " "$OUT" || fail "compare: no row for $s"
done
awk 'length > 100 {exit 1}' "$OUT" || fail "text report wider than 100 columns"

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
pass
