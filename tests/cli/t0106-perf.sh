#!/bin/sh
# perf: real `perf script` text and `perf data convert --to-json` JSON of DMA tracepoints
# (tests/data/perf, recorded in a QEMU x86_64 guest) read by their own readers, gzip input
# transparently; text and JSON of one recording give the same events; a file of event lines of
# which none is modelled, or a JSON without tracepoint fields, is an error that names them.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
P="$ISM_SRCDIR/tests/data/perf"

# the readers detect their formats; every sample is read (counts from the capture's .meta)
for v in iommu swiotlb; do
	txt=$(ls "$P"/x86-$v.perf-script.txt.*)
	js=$(ls "$P"/x86-$v.perf.json.*)
	expect_exit 0 "$ISM_BIN" stats --json "$txt"
	grep -q '"format": "perf"' "$OUT" || fail "$txt: not read as perf script"
	cp "$OUT" "$T/$v-txt.json"
	expect_exit 0 "$ISM_BIN" stats --json "$js"
	grep -q '"format": "perfjson"' "$OUT" || fail "$js: not read as perf JSON"
	cp "$OUT" "$T/$v-js.json"
	for e in dma_map_page:map dma_unmap_page:unmap dma_map_sg:map_sg dma_unmap_sg:unmap_sg \
		iommu:map:iommu_map iommu:unmap:iommu_unmap swiotlb_bounced:bounce dma_alloc:alloc; do
		name=${e%:*} kind=${e##*:}
		want=$(sed -n 's/^samples by event: //p' "$P/x86-$v.meta" | tr ';' '\n' |
			awk -v n="$name:" 'index($0, ":" n) || index($0, " " n) { print $1 }')
		want=${want:-0}
		for f in txt js; do
			got=$(grep -o "\"$kind\": [0-9]*" "$T/$v-$f.json" | head -1 | awk '{print $2}')
			[ "$got" = "$want" ] || fail "$v $f: $got $kind events, perf recorded $want $name"
		done
	done
	grep -q '"skipped_events": {}' "$T/$v-txt.json" || fail "$v: perf script lines skipped"
	# one recording, two forms, the same events (the text has microseconds)
	"$ISM_BIN" dump "$txt" | sed 's/"ts_ns":[0-9]*//' >"$T/a" || fail "dump $txt"
	"$ISM_BIN" dump "$js" | sed 's/"ts_ns":[0-9]*//' >"$T/b" || fail "dump $js"
	cmp -s "$T/a" "$T/b" || fail "$v: perf script and perf JSON differ: $(diff "$T/a" "$T/b" | head -4)"
	expect_exit 0 "$ISM_BIN" compare -S window32,ddw,swiotlb "$txt"
done
# the sg lists that perf's libtraceevent could not format are read from their raw fields
expect_exit 0 "$ISM_BIN" dump "$P/x86-iommu.perf-script.txt.gz"
grep -m1 '"kind":"map_sg"' "$OUT" | grep -q '"nents":16,"ents":1' ||
	fail "map_sg raw fields not read: $(grep -m1 map_sg "$OUT" | cut -c1-200)"
grep -q '"source_compression": "gzip"' "$T/iommu-txt.json" || fail "gzip not named"

# gzip: a cut stream is an error, two members read as one
gzip -dc "$P/x86-iommu.perf-script.txt.gz" | head -c 60000 | gzip -c >"$T/cut.gz"
head -c 3000 "$T/cut.gz" >"$T/cut2.gz"
expect_exit 2 "$ISM_BIN" stats "$T/cut2.gz"
grep -q 'gzip stream is truncated' "$ERR" || fail "no word about the cut gzip stream"
gzip -dc "$P/x86-iommu.perf-script.txt.gz" >"$T/all.txt"
head -600 "$T/all.txt" | gzip -c >"$T/two.gz"
tail -n +601 "$T/all.txt" | gzip -c >>"$T/two.gz"
expect_exit 0 "$ISM_BIN" stats "$T/two.gz"
grep -q '1260 events' "$OUT" || fail "two gzip members are not read as one"

# nothing modelled: an error naming the most common unknown event, never "clean"
expect_exit 2 "$ISM_BIN" lint "$P/host-sched.perf-script.txt.gz"
grep -q 'no event iommusim models in 60 event lines.*"sched_switch" (60)' "$ERR" ||
	fail "the unknown events are not named: $(cat "$ERR")"
grep -q clean "$OUT" && fail "lint says clean"
expect_exit 2 "$ISM_BIN" compare -S ddw "$P/host-sched.perf-script.txt.gz"
expect_exit 2 "$ISM_BIN" stats "$P/x86-iommu.perf61.json.xz"
grep -q 'without tracepoint fields' "$ERR" || fail "perf 6.1's JSON without fields not named"
pass
