#!/bin/sh
# stats on every shipped pseries trace: hypercall counts by opcode equal a plain
# `grep -c 'hcall_entry: opcode=N'` on its text, and events by kind equal the .meta counts.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

n=0
for t in "$TRACES"/pseries-*.txt.xz; do
	[ -e "$t" ] || continue
	n=$((n + 1))
	expect_exit 0 "$ISM_BIN" stats "$t"
	xz -dc "$t" > "$T/text"
	# the hypercalls table: NAME OPCODE ENTRIES ...
	awk '/^hypercalls:/{on=1; next} on && /^$/{on=0} on && $2 ~ /^[0-9]+$/ {print $2, $3}' \
		"$OUT" > "$T/ours"
	[ -s "$T/ours" ] || fail "$t: no hypercalls table"
	grep -o 'hcall_entry: opcode=[0-9]*' "$T/text" | sed 's/.*=//' | sort -n | uniq -c |
		awk '{print $2, $1}' > "$T/grep"
	sort -n "$T/ours" > "$T/ours.s"
	cmp -s "$T/ours.s" "$T/grep" || { diff "$T/ours.s" "$T/grep" >&2; fail "$t: hcall counts"; }
	# every opcode grep finds, one by one, as the issue states it
	while read -r op cnt; do
		g=$(grep -c "hcall_entry: opcode=$op\$" "$T/text")
		[ "$g" = "$cnt" ] || fail "$t: opcode $op: stats $cnt, grep $g"
	done < "$T/ours.s"
	# map events per the .meta of the same recording
	meta=${t%.txt.xz}.meta
	want=$(awk -F': ' '$1 == "events dma_map_page" {print $2}' "$meta")
	got=$(awk '/^events by kind:/{on=1; next} on && /^$/{on=0} on && $1 == "map" {print $2}' "$OUT")
	[ "$want" = "$got" ] || fail "$t: map events $got, .meta says $want"
done
[ "$n" -ge 3 ] || fail "expected at least 3 shipped pseries traces, found $n"

# stats --json has the schema version and the same hcall counts
expect_exit 0 "$ISM_BIN" stats --format json "$TRACES/pseries-noddw.txt.xz"
grep -q '"schema_version": 1' "$OUT" || fail "no schema_version in stats --format json"
pass
