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
	if [ -n "${ISM_UPDATE_GOLDEN:-}" ]; then
		cp "$T/$name.out" "$G/$name.out"
		echo "updated $G/$name.out"
	elif ! cmp -s "$T/$name.out" "$G/$name.out"; then
		diff -u "$G/$name.out" "$T/$name.out" | head -40 >&2
		fail "$name differs from its golden file (make update-golden, then review)"
	fi
}

golden stats-ddw-text stats traces/pseries-ddw.txt.xz
golden stats-swiotlb-json stats --json traces/pseries-swiotlb.txt.xz
golden compare-noddw-text compare -s scenarios/qemu-pseries.json --set sim.recorded_with=window32 \
	--check-hcalls traces/pseries-noddw.txt.xz
golden compare-ddw-csv compare -s scenarios/qemu-pseries.json --set sim.recorded_with=ddw \
	--format csv traces/pseries-ddw.txt.xz
golden run-swiotlb-json run -s scenarios/qemu-pseries.json --set sim.recorded_with=swiotlb+ddw \
	-S swiotlb+ddw,svm,indirect-tce:share-per-call --check-hcalls --format json \
	traces/pseries-swiotlb.txt.xz

pass
