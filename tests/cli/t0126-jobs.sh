#!/bin/sh
# compare and run with several strategies spread over threads (--jobs N): the output is the
# same byte for byte for any N, on the shipped traces of every architecture, with the
# hypercall and IOMMU checks; --jobs takes 1..1024 only.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

same_for_jobs() { # NAME ARGS...: ARGS with --jobs 1, 2 and 3 give the same stdout
	name=$1
	shift
	expect_exit 0 "$ISM_BIN" "$@" --jobs 1
	cp "$OUT" "$T/j1"
	[ -s "$T/j1" ] || fail "$name: no output"
	for j in 2 3; do
		expect_exit 0 "$ISM_BIN" "$@" --jobs "$j"
		cmp -s "$T/j1" "$OUT" || { diff "$T/j1" "$OUT" | head -20 >&2; fail "$name: --jobs $j differs from --jobs 1"; }
	done
}

S="$ISM_SRCDIR/scenarios"
n=0
for pair in "pseries-noddw.txt.xz qemu-pseries.json" "pseries-swiotlb.txt.xz qemu-pseries.json" \
	    "pseries-ddw.txt.xz qemu-pseries.json" "x86/x86-lazy.txt.xz qemu-x86-vtd.json" \
	    "x86/x86-strict.txt.xz qemu-x86-vtd.json" "arm64/arm64-lazy.txt.xz qemu-arm64-smmuv3.json"; do
	set -- $pair
	[ -e "$TRACES/$1" ] || fail "$1: not shipped"
	n=$((n + 1))
	same_for_jobs "compare $1" compare -s "$S/$2" --check-hcalls --format text,json "$TRACES/$1"
	case $1 in
	x86/* | arm64/*)
		same_for_jobs "compare --check-iommu $1" compare -s "$S/$2" --check-iommu \
			--format json "$TRACES/$1" ;;
	esac
done
# run with several strategies, and a list shorter than the threads
same_for_jobs "run -S" run -S window32,swiotlb,ddw,svm --format csv "$TRACES/pseries-noddw.txt.xz"
same_for_jobs "run -S two" run -S window32,ddw "$TRACES/pseries-noddw.txt.xz"

# the default (one thread per CPU) gives the same as one thread
expect_exit 0 "$ISM_BIN" compare --jobs 1 "$TRACES/pseries-noddw.txt.xz"
cp "$OUT" "$T/j1"
expect_exit 0 "$ISM_BIN" compare "$TRACES/pseries-noddw.txt.xz"
cmp -s "$T/j1" "$OUT" || fail "compare without --jobs differs from --jobs 1"

for bad in 0 x 1025 -1; do
	expect_exit 2 "$ISM_BIN" compare --jobs "$bad" "$TRACES/pseries-noddw.txt.xz"
	grep -q -- "--jobs" "$ERR" || fail "--jobs $bad: no error naming --jobs"
done
pass
