#!/bin/sh
# cost.device_job_tce_ns (iommusim-scenario(5)): device time once per device job, not once per
# map. One virtio-blk-shaped request by hand (header, data, table, status mapped, then the four
# unmaps in the completion interrupt), recorded as ddw (a window mapped at boot: no job cost)
# and replayed as window32 (each map writes its TCEs): the phase grows by the job cost exactly
# once whatever the number of maps, and a replay as ddw does not move.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
mk() { # FILE NREQ
	{
		echo "# tracer: nop"
		echo "#"
		awk -v n="$2" 'BEGIN {
			t = 1.0
			printf "            init-1     [000] .....  %.6f: tracing_mark_write: iommusim phase=job\n", t
			for (r = 0; r < n; r++) {
				b = r * 65536
				split("16 4096 48 1", sz, " ")
				for (i = 1; i <= 4; i++) {
					t += 0.000010
					printf "              dd-2     [000] .....  %.6f: dma_map_page: 0000:00:00.0 dir=TO_DEVICE dma_addr=%x size=%d phys_addr=%x attrs=\n", t, 0x800000 + b + i * 4096, sz[i], 0x100000 + b + i * 4096
				}
				t += 0.000400
				for (i = 1; i <= 4; i++) {
					t += 0.000005
					printf "              dd-2     [000] d.h..  %.6f: dma_unmap_page: 0000:00:00.0 dir=TO_DEVICE dma_addr=%x size=%d attrs=\n", t, 0x800000 + b + i * 4096, sz[i]
				}
				t += 0.000300
			}
			t += 0.001
			printf "            init-1     [000] .....  %.6f: tracing_mark_write: iommusim phase-end=job\n", t
		}'
	} >"$1"
}
dur() { # JSON: the simulated duration of phase "job"
	awk '/"strategies": \[/ { s = 1 } s && /"name": "job"/ { h = 1 }
	     h && /"duration_ns":/ { gsub(/[^0-9.]/, "", $2); print $2; exit }' "$1"
}
S="--set sim.recorded_with=ddw --set sim.boot_end_marker= --set cost.guest_per_page_ns=0"
for n in 1 3; do
	mk "$T/req$n.txt" $n
	for j in 0 250000; do
		for as in window32 ddw; do
			# shellcheck disable=SC2086
			expect_exit 0 "$ISM_BIN" run -s "$ISM_SRCDIR/scenarios/qemu-pseries.json" $S \
				--set cost.device_job_tce_ns=$j -S $as --format json "$T/req$n.txt"
			d=$(dur "$OUT")
			[ -n "$d" ] || fail "no simulated duration of phase job ($n requests, $as)"
			eval "d_${as}_$j=$d"
		done
	done
	eval "w0=\$d_window32_0 w1=\$d_window32_250000 x0=\$d_ddw_0 x1=\$d_ddw_250000"
	# shellcheck disable=SC2154
	awk -v a="$w0" -v b="$w1" -v n="$n" 'BEGIN { d = b - a; exit !(d > n * 250000 - 2 && d < n * 250000 + 2) }' ||
		fail "$n request(s) of 4 maps as window32: job cost added $w0 -> $w1 ns, expected +$((n * 250000)) (once per job)"
	[ "$x0" = "$x1" ] || fail "as ddw (recorded strategy, no TCE written per map) the job cost moved the phase: $x0 -> $x1"
done
pass
