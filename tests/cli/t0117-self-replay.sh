#!/bin/sh
# Self-replay: every shipped trace replayed as the strategy detected as recorded (no
# sim.recorded_with) lands within 1% of the recording after boot (the whole run without a boot
# marker) and in every phase (iommusim(1), RE-TIMING and HYPERCALL COSTS).
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
n=0
for tr in "$TRACES"/*.xz "$TRACES"/x86/*.xz "$TRACES"/arm64/*.xz "$TRACES"/repeats/*.xz; do
	expect_exit 0 "$ISM_BIN" compare -s "$SC" -S passthrough --format json "$tr"
	awk -v tr="${tr#"$TRACES"/}" '
		/"self_replay": \{/ { in_sr = 1 }
		in_sr && /"strategy":/ { st = $2 }
		in_sr && /"run_error_pct":/ { r = $2 + 0; have = 1 }
		in_sr && /"worst_phase":/ { ph = $2 }
		in_sr && /"worst_phase_error_pct":/ { p = $2 + 0; in_sr = 0 }
		END {
			if (!have) { print tr ": no self-replay"; exit 1 }
			if (r < -1 || r > 1 || p < -1 || p > 1) {
				printf "%s: %s off the recording by %.3f%% (worst phase %s %.3f%%)\n",
				       tr, st, r, ph, p
				exit 1
			}
		}' "$OUT" >"$T/bad" || fail "$(cat "$T/bad")"
	n=$((n + 1))
done
[ "$n" -ge 50 ] || fail "only $n traces replayed"
pass
