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
expect_exit 1 "$ISM_BIN" lint --format json "$T/bad.txt"
for k in unmatched_unmap ts_inversion double_map lost_events size_mismatch live_at_end; do
	awk -v k="\"$k\"" '$1 == k":" {getline; print}' "$OUT" | grep -q '"count": [1-9]' ||
		fail "lint --format json: $k not counted"
done
# a free of another size than allocated; unmap_sg with fewer entries than mapped, and with
# another direction (the rules of kernel/dma/debug.c's check_unmap())
cat > "$T/mismatch.txt" <<'TXT'
  dd-1 [000] d.... 1.000000: dma_alloc: 0000:00:01.0 dir=BIDIRECTIONAL dma_addr=5000 size=8192 virt_addr=0000000069c63806 flags=GFP_KERNEL attrs=
  dd-1 [000] d.... 1.000100: dma_free: 0000:00:01.0 dir=BIDIRECTIONAL dma_addr=5000 size=4096 virt_addr=0000000069c63806 attrs=
  dd-1 [000] d.... 1.000200: dma_map_sg: 0000:00:01.0 dir=TO_DEVICE nents=3/3 ents=2/2 dma_addrs={0x10000,0x20000} sizes={0x2000,0x1000} phys_addrs={0x2cb9000,0x2cba000,0x2fc92000} attrs=
  dd-1 [000] d.... 1.000300: dma_unmap_sg: 0000:00:01.0 dir=TO_DEVICE phys_addrs={0x2cb9000,0x2cba000} attrs=
  dd-1 [000] d.... 1.000400: dma_map_sg: 0000:00:01.0 dir=TO_DEVICE nents=1/1 ents=1/1 dma_addrs={0x30000} sizes={0x1000} phys_addrs={0x3000000} attrs=
  dd-1 [000] d.... 1.000500: dma_unmap_sg: 0000:00:01.0 dir=FROM_DEVICE phys_addrs={0x3000000} attrs=
  dd-1 [000] d.... 1.000600: dma_map_sg: 0000:00:01.0 dir=TO_DEVICE nents=3/3 ents=2/2 dma_addrs={0x10000,0x20000} sizes={0x2000,0x1000} phys_addrs={0x2cb9000,0x2cba000,0x2fc92000} attrs=
  dd-1 [000] d.... 1.000700: dma_unmap_sg: 0000:00:01.0 dir=TO_DEVICE phys_addrs={0x2cb9000,0x2cba000,0x2fc92000} attrs=
TXT
expect_exit 1 "$ISM_BIN" lint "$T/mismatch.txt"
grep -Eq 'free_mismatch +1 ' "$OUT" || fail "free of another size: $(cat "$OUT")"
grep -q 'free 0000:00:01.0 0x5000 size 4096, allocated with size 8192 at line 1' "$OUT" ||
	fail "free_mismatch example"
grep -Eq 'unmap_sg_mismatch +2 ' "$OUT" || fail "unmap_sg mismatches: $(cat "$OUT")"
grep -q 'unmap_sg 0000:00:01.0 0x2cb9000 with 2 entries, mapped with 3 at line 3' "$OUT" ||
	fail "unmap_sg entry count example"
grep -q 'unmap_sg 0000:00:01.0 0x3000000 FROM_DEVICE, mapped TO_DEVICE at line 5' "$OUT" ||
	fail "unmap_sg direction example"
! grep -q 'size_mismatch' "$OUT" || fail "size_mismatch counted for sg lists or frees"

expect_exit 2 "$ISM_BIN" lint /nonexistent
pass
