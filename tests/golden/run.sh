#!/bin/sh
# Golden tests: committed traces and scenarios -> committed reports (tests/golden/*.out).
# The reports are produced by iommusim and reviewed, never typed in: `make update-golden`
# (ISM_UPDATE_GOLDEN=1) rewrites them; review the diff before committing.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
G="$ISM_SRCDIR/tests/golden"
cd "$ISM_SRCDIR" || fail "cannot cd to $ISM_SRCDIR"

golden() { # NAME ARGS...: run iommusim ARGS and compare with $G/NAME.out
	name=$1
	shift
	"$ISM_BIN" "$@" > "$T/$name.out" 2>"$ERR" || fail "$name: iommusim $* failed"
	compare_golden "$name"
}

# A sweep's scenario hashes change with every parameter added to the table: not compared.
unhash() {
	sed -E 's/("(effective|scenario|file)_sha256": )"[0-9a-f]{64}"/\1"(hash)"/' "$1" >"$1.u" &&
		mv "$1.u" "$1"
}

golden_sweep() { # NAME ARGS...: golden, the scenario hashes left out
	name=$1
	shift
	"$ISM_BIN" "$@" > "$T/$name.out" 2>"$ERR" || fail "$name: iommusim $* failed"
	unhash "$T/$name.out"
	compare_golden "$name"
}

compare_golden() {
	if [ -n "${ISM_UPDATE_GOLDEN:-}" ]; then
		cp "$T/$name.out" "$G/$name.out"
		echo "updated $G/$name.out"
	elif ! cmp -s "$T/$name.out" "$G/$name.out"; then
		diff -u "$G/$name.out" "$T/$name.out" | head -40 >&2
		fail "$name differs from its golden file (make update-golden, then review)"
	fi
}

golden stats-ddw-text stats traces/pseries-ddw.txt.xz
golden stats-swiotlb-json stats --format json traces/pseries-swiotlb.txt.xz
golden compare-noddw-text compare -s scenarios/qemu-pseries.json --set sim.recorded_with=window32 \
	--check-hcalls traces/pseries-noddw.txt.xz
golden compare-ddw-csv compare -s scenarios/qemu-pseries.json --set sim.recorded_with=ddw \
	--format csv traces/pseries-ddw.txt.xz
golden run-swiotlb-json run -s scenarios/qemu-pseries.json --set sim.recorded_with=swiotlb+ddw \
	-S swiotlb+ddw,svm,indirect-tce:share-per-call --check-hcalls --format json \
	traces/pseries-swiotlb.txt.xz

# sweeps: the points of a pass share one decode of the trace; every result, crossover, sizing
# line and figure column must be what one process per point gave (these files were first
# written by the fork-per-point runner)
SC=scenarios/qemu-pseries.json
golden_sweep sweep-cost-csv sweep -s $SC -S direct-tce,indirect-tce:share-per-call \
	-p cost.h_put_tce.fixed_ns=100:100000:log:6 -m run_ns --format csv traces/pseries-noddw.txt.xz
golden_sweep sweep-cost16-json sweep -s $SC -S passthrough,direct-tce,indirect-tce,window32,ddw,svm \
	-p cost.h_put_tce.fixed_ns=100:100000:log:16 -j 2 --format json traces/pseries-noddw.txt.xz
golden_sweep sweep-sizing-json sweep -s $SC -S swiotlb,swiotlb+ddw \
	-p machine.swiotlb_bytes=1MiB,2MiB,4MiB,8MiB -m map_failures,run_ns --format json \
	traces/pseries-swiotlb.txt.xz
golden_sweep sweep-two-json sweep -s $SC -S ddw,window32 --set machine.max_ram_bytes=0 \
	--set machine.ddw_page_mask=0x1000 -p machine.ram_bytes=2GiB,32GiB \
	-p cost.h_put_tce_indirect.per_entry_ns=77,154 -m end_ns -l ddw:setup_share=0.001 -j 1 \
	--format json traces/pseries-ddw.txt.xz
# the figure's data and a point's file (with its manifest) from a sweep folder
"$ISM_BIN" sweep -s $SC -S direct-tce,indirect-tce:share-per-call \
	-p cost.h_put_tce.fixed_ns=100:100000:log:6 -m run_ns,boot_ns -O "$T/sw" \
	traces/pseries-noddw.txt.xz >/dev/null 2>"$ERR" || fail "sweep -O failed"
name=sweep-plot-csv
cat "$T/sw/sweep-plot.csv" "$T/sw/points/0003.json" >"$T/$name.out"
unhash "$T/$name.out"
compare_golden "$name"

pass
