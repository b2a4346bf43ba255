#!/bin/sh
# The committed output of every capture script (tests/data/bt/NAME.txt: real runs, made as
# tests/data/bt/README.md says) is recognised and read by iommusim, and yields exactly the
# events of NAME.dump; an independent awk reading of the text agrees on every event's time,
# CPU and kind; converting to the native format loses nothing.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
D="$ISM_SRCDIR/tests/data/bt"
C="$ISM_SRCDIR/traces/capture"

# every script has a sample, made by that script
for s in "$C"/*.bt "$C"/old/*.bt; do
	[ -f "$s" ] || continue
	n=$(basename "$s" .bt)
	[ -f "$D/$n.txt" ] || fail "no sample tests/data/bt/$n.txt for ${s#"$C"/}"
	head -n 1 "$D/$n.txt" | grep -q "^# iommusim-bt v1 clock=boottime sg=4 script=$n.bt " ||
		fail "$n.txt was not made by $n.bt"
done

for f in "$D"/*.txt; do
	n=$(basename "$f" .txt)
	expect_exit 0 "$ISM_BIN" dump --header "$f"
	head -n 1 "$OUT" | grep -q '"source_format":"bpftrace"' || fail "$n.txt not read as bpftrace"
	head -n 1 "$OUT" | grep -q '"clock":"boottime"' || fail "$n.txt: clock not boottime"
	sed 1d "$OUT" >"$T/$n.dump"
	diff "$D/$n.dump" "$T/$n.dump" >"$T/diff" || {
		head -20 "$T/diff" >&2
		fail "$n.txt: events differ from $n.dump"
	}
	# time, CPU and kind of every event line, read by awk
	awk '
		BEGIN {
			split("map map map_resource map unmap unmap unmap_resource unmap " \
			      "map_sg map_sg unmap_sg unmap_sg map_sg_err map_sg_err alloc alloc " \
			      "alloc_pages alloc alloc_sgt alloc alloc_sgt_err alloc_err free free " \
			      "free_pages free free_sgt free sync_cpu sync_cpu sync_dev sync_dev " \
			      "sync_sg_cpu sync_sg_cpu sync_sg_dev sync_sg_dev bounce bounce " \
			      "hcall_entry hcall_entry hcall_exit hcall_exit", a, " ")
			for (i = 1; i in a; i += 2)
				kind[a[i]] = a[i + 1]
		}
		/^#/ || NF == 0 { next }
		{ print $1, $2, kind[$3] }' "$f" >"$T/awk"
	sed -e 's/^{"ts_ns":\([0-9]*\),"cpu":\([0-9]*\),"kind":"\([a-z_]*\)".*/\1 \2 \3/' \
		"$T/$n.dump" >"$T/ours"
	cmp -s "$T/awk" "$T/ours" || fail "$n.txt: events (time, cpu, kind) differ from the text"
	# lossless through the native format
	expect_exit 0 "$ISM_BIN" convert "$f" -o "$T/$n.ist"
	expect_exit 0 "$ISM_BIN" dump "$T/$n.ist"
	cmp -s "$OUT" "$T/$n.dump" || fail "$n: native copy differs"
	expect_exit 0 "$ISM_BIN" stats "$f"
done
# pseries.txt has the TCE hypercalls and merged sg lists (an IOMMU at work)
grep -q '"hcall":"H_PUT_TCE"' "$D/pseries.dump" || fail "pseries.dump has no H_PUT_TCE"
grep -q '"hcall":"H_STUFF_TCE"' "$D/pseries.dump" || fail "pseries.dump has no H_STUFF_TCE"
grep '"kind":"map_sg"' "$D/pseries.dump" | grep -vq '"nents":\([0-9]*\),"ents":\1,' ||
	fail "pseries.dump has no merged sg list"
grep -q '"kind":"bounce"' "$D/dma.dump" || fail "dma.dump has no swiotlb bounce"
pass
