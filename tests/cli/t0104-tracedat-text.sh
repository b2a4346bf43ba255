#!/bin/sh
# trace.dat and text of the same recording give the same stats: events by kind and by device,
# hypercall entries/exits/failures by opcode, markers and phases (timestamps differ only in
# precision: the text has microseconds).
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

"$ISM_BIN" list readers | grep -q '^  tracedat ' || skip "built without the trace.dat reader"
n=0
for dat in "$TRACES"/pseries-*.dat.xz; do
	txt=${dat%.dat.xz}.txt.xz
	[ -e "$txt" ] || continue
	n=$((n + 1))
	expect_exit 0 "$ISM_BIN" stats "$dat"
	mv "$OUT" "$T/dat"
	expect_exit 0 "$ISM_BIN" stats "$txt"
	mv "$OUT" "$T/txt"
	for sec in "events by kind" "devices" "hypercalls" "phases" "events by CPU"; do
		for f in dat txt; do
			# counts only: the hypercall timing columns and phase times differ in precision
			awk -v s="$sec:" 'index($0, s) == 1 {on=1; next} on && /^$/ {on=0} on {print}' \
				"$T/$f" | awk '{ if ($2 ~ /^[0-9]+$/ && NF >= 6) print $1, $2, $3, $4, $5; else if (NF > 6) print $1, $4, $5, $6, $7, $8; else print }' > "$T/$f.sec"
		done
		[ -s "$T/dat.sec" ] || fail "$dat: no '$sec' section"
		cmp -s "$T/dat.sec" "$T/txt.sec" || { diff "$T/dat.sec" "$T/txt.sec" >&2; fail "$dat: '$sec' differs from the text"; }
	done
	# and event for event, apart from timestamp precision and what the text does not carry
	# as numbers: dma_alloc's gfp flags (printed as names) and its hashed virt_addr (%p)
	norm='s/"ts_ns":[0-9]*/"ts_ns":T/; /"kind":"alloc"/s/"arg":[0-9]*/"arg":G/; /"kind":"alloc"/s/"paddr":"[^"]*"/"paddr":V/'
	"$ISM_BIN" dump "$dat" | sed "$norm" > "$T/dat.d"
	"$ISM_BIN" dump "$txt" | sed "$norm" > "$T/txt.d"
	cmp -s "$T/dat.d" "$T/txt.d" || { diff "$T/dat.d" "$T/txt.d" | head >&2; fail "$dat: events differ from the text"; }
done
[ "$n" -ge 3 ] || fail "expected trace.dat and text of at least 3 recordings, found $n"
pass
