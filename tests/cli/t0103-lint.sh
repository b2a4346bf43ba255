#!/bin/sh
# lint: findings with counts and examples (exit 1), a clean trace (exit 0), unreadable (2).
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

expect_exit 1 "$ISM_BIN" lint "$TRACES/pseries-ddw.txt.xz"
grep -q "zero_timestamp" "$OUT" || fail "boot events before the clock started not reported"
grep -q "live_at_end" "$OUT" || fail "posted receive buffers live at the end not reported"
grep -q "line [0-9]* (" "$OUT" || fail "examples carry no line numbers"

cat > "$T/clean.txt" <<'TXT'
# tracer: nop
  dd-1 [000] d.... 1.000000: dma_map_page: 0000:00:01.0 dir=TO_DEVICE dma_addr=1000 size=4096 phys_addr=2000 attrs=
  dd-1 [000] d.... 1.000100: dma_unmap_page: 0000:00:01.0 dir=TO_DEVICE dma_addr=1000 size=4096 attrs=
TXT
expect_exit 0 "$ISM_BIN" lint "$T/clean.txt"
grep -q "clean" "$OUT" || fail "clean trace not called clean"

cat > "$T/bad.txt" <<'TXT'
  dd-1 [000] d.... 2.000000: dma_unmap_page: 0000:00:01.0 dir=TO_DEVICE dma_addr=1000 size=4096 attrs=
  dd-1 [000] d.... 1.000000: dma_map_page: 0000:00:01.0 dir=TO_DEVICE dma_addr=3000 size=4096 phys_addr=2000 attrs=
  dd-1 [000] d.... 3.000000: dma_map_page: 0000:00:01.0 dir=TO_DEVICE dma_addr=3000 size=4096 phys_addr=2000 attrs=
CPU:0 [LOST 5 EVENTS]
  dd-1 [000] d.... 4.000000: dma_unmap_page: 0000:00:01.0 dir=TO_DEVICE dma_addr=3000 size=8192 attrs=
TXT
expect_exit 1 "$ISM_BIN" lint --json "$T/bad.txt"
for k in unmatched_unmap ts_inversion double_map lost_events size_mismatch live_at_end; do
	awk -v k="\"$k\"" '$1 == k":" {getline; print}' "$OUT" | grep -q '"count": [1-9]' ||
		fail "lint --json: $k not counted"
done
expect_exit 2 "$ISM_BIN" lint /nonexistent
pass
