#!/bin/sh
# regress: per-metric verdicts on crafted pairs. A result with one metric made 10% worse
# fails, 2% worse passes (default threshold 5%), per-metric thresholds apply, the direction is
# known (throughput down is worse, time down is better), a missing strategy fails, bad input
# is exit 2. The pairs are made from a real result by scaling one value.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
TR="$TRACES/pseries-ddw.txt.xz"

expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw,svm --json "$TR"
cp "$OUT" "$T/base.json"

# scale KEY of strategy S by F in the baseline (the JSON has one key per line)
scale() {
	awk -v s="\"strategy\": \"$1\"," -v k="\"$2\":" -v f="$3" '
		index($0, s) { on = 1 }
		on && index($0, k) > 0 && index($0, k) == index($0, "\"") && !done {
			v = $2; sub(/,$/, "", v); comma = ($0 ~ /,$/) ? "," : ""
			sub(/".*/, "", $0); printf "%s%s %.0f%s\n", $0, k, v * f, comma
			done = 1; next }
		{ print }' "$T/base.json" > "$T/$4.json"
	cmp -s "$T/base.json" "$T/$4.json" && fail "scale $1 $2 $3: nothing changed"
	:
}
scale ddw boot_ns 1.10 boot10
scale ddw boot_ns 1.02 boot02
scale ddw boot_ns 0.90 bootm10
scale svm throughput_bytes_per_s 0.90 tput10
scale svm throughput_bytes_per_s 1.10 tputp10
scale svm shared_peak_bytes 1.10 expo10

expect_exit 0 "$ISM_BIN" regress --baseline "$T/base.json" "$T/base.json"
grep -q '^verdict: pass' "$OUT" || fail "identical results do not pass"

expect_exit 1 "$ISM_BIN" regress --baseline "$T/base.json" "$T/boot10.json"
grep -q '^ddw  *boot_ns .*+10.00%.*REGRESSED' "$OUT" || fail "no REGRESSED line for boot_ns"
grep -q '^verdict: FAIL: 1 regressed' "$OUT" || fail "verdict does not count one regression"
expect_exit 0 "$ISM_BIN" regress --baseline "$T/base.json" "$T/boot02.json"
grep -q '^verdict: pass' "$OUT" || fail "2% noise does not pass"
expect_exit 1 "$ISM_BIN" regress --baseline "$T/base.json" -t boot_ns=1% "$T/boot02.json"
expect_exit 0 "$ISM_BIN" regress --baseline "$T/base.json" -t 15 "$T/boot10.json"
expect_exit 1 "$ISM_BIN" regress --baseline "$T/base.json" -t 15 -t boot_ns=5% "$T/boot10.json"
expect_exit 0 "$ISM_BIN" regress --baseline "$T/base.json" -m run_ns,hcalls "$T/boot10.json"
expect_exit 0 "$ISM_BIN" regress --baseline "$T/base.json" "$T/bootm10.json"
grep -q '^ddw  *boot_ns .*improved' "$OUT" || fail "a 10% faster boot is not an improvement"
# direction: throughput down is worse, up is better
expect_exit 1 "$ISM_BIN" regress --baseline "$T/base.json" "$T/tput10.json"
grep -q '^svm  *throughput_bytes_per_s .*REGRESSED' "$OUT" || fail "lower throughput not flagged"
expect_exit 0 "$ISM_BIN" regress --baseline "$T/base.json" "$T/tputp10.json"
expect_exit 1 "$ISM_BIN" regress --baseline "$T/base.json" "$T/expo10.json"
grep -q '^svm  *shared_peak_bytes .*REGRESSED' "$OUT" || fail "more exposure not flagged"

# JSON verdict: fail, one row per comparison
expect_exit 1 "$ISM_BIN" regress --baseline "$T/base.json" --format json "$T/boot10.json"
grep -q '"verdict": "fail"' "$OUT" || fail "JSON verdict is not fail"
grep -q '"regressed": 1,' "$OUT" || fail "JSON does not count one regression"
compared=$(grep -o '"compared": [0-9]*' "$OUT" | awk '{print $2}')
rows=$(grep -c '"metric": "' "$OUT")
[ "$compared" -eq "$rows" ] || fail "$rows rows for $compared comparisons"
expect_exit 0 "$ISM_BIN" regress -b "$T/base.json" --json -o "$T/verdict.json" "$T/boot02.json"
grep -q '"verdict": "pass"' "$T/verdict.json" || fail "-o: no pass verdict in the file"

# a strategy of the baseline missing from the current result fails; a new one does not
expect_exit 0 "$ISM_BIN" run -s "$SC" -S ddw --json "$TR"
cp "$OUT" "$T/ddwonly.json"
expect_exit 1 "$ISM_BIN" regress --baseline "$T/base.json" "$T/ddwonly.json"
grep -q '^svm .*MISSING' "$OUT" || fail "missing strategy not reported"
expect_exit 0 "$ISM_BIN" regress --baseline "$T/ddwonly.json" "$T/base.json"
grep -q '^svm .*new' "$OUT" || fail "new strategy not reported"

# bad input
expect_exit 2 "$ISM_BIN" regress "$T/base.json"
expect_exit 2 "$ISM_BIN" regress --baseline "$T/base.json"
expect_exit 2 "$ISM_BIN" regress --baseline /nonexistent.json "$T/base.json"
echo '{ "schema_version": 1, "strategies": [' > "$T/trunc.json"
expect_exit 2 "$ISM_BIN" regress --baseline "$T/base.json" "$T/trunc.json"
sed 's/"schema_version": 1,/"schema_version": 2,/' "$T/base.json" > "$T/v2.json"
expect_exit 2 "$ISM_BIN" regress --baseline "$T/base.json" "$T/v2.json"
grep -q "schema_version 2" "$ERR" || fail "the unsupported version is not named"
expect_exit 0 "$ISM_BIN" stats --json "$TR"
cp "$OUT" "$T/stats.json"
expect_exit 2 "$ISM_BIN" regress --baseline "$T/base.json" "$T/stats.json"
expect_exit 2 "$ISM_BIN" regress --baseline "$T/base.json" -t boot_secs=2% "$T/base.json"
expect_exit 2 "$ISM_BIN" regress --baseline "$T/base.json" -t lots "$T/base.json"
expect_exit 0 "$ISM_BIN" regress --list-metrics
for m in $(awk 'NR > 1 {print $1}' "$OUT"); do
	grep -q "$m" "$ISM_SRCDIR/man/iommusim.1" || fail "iommusim.1 does not document metric $m"
done
pass
