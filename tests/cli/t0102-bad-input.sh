#!/bin/sh
# Bad input on the command line: exit 2, one line naming the file (and the position where
# there is one), never a crash. Damaged copies of real traces, empty and random files.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

check() { # FILE: every reading command fails cleanly
	for cmd in stats lint dump; do
		expect_exit 2 "$ISM_BIN" $cmd "$1"
		[ "$(wc -l < "$ERR")" -eq 1 ] || fail "$cmd $1: error is not one line"
		grep -q "$1" "$ERR" || fail "$cmd $1: error does not name the file"
	done
	expect_exit 2 "$ISM_BIN" convert "$1" -o "$T/out.ist"
	[ ! -e "$T/out.ist" ] || fail "convert left a partial output for $1"
}

: > "$T/empty"
check "$T/empty"
grep -q "empty file" "$ERR" || fail "empty file not called empty"

head -c 100000 "$TRACES/pseries-ddw.txt.xz" > "$T/trunc.txt.xz"
check "$T/trunc.txt.xz"
grep -q "truncated" "$ERR" || fail "truncated xz not called truncated"

"$ISM_BIN" convert "$TRACES/pseries-ddw.txt.xz" -o "$T/good.ist" 2>"$ERR" || fail "convert"
size=$(wc -c < "$T/good.ist")
head -c $((size / 2 + 7)) "$T/good.ist" > "$T/trunc.ist"
check "$T/trunc.ist"
grep -q "record [0-9]*" "$ERR" || grep -q "truncated" "$ERR" || fail "no position for a truncated native file"

# a text trace with a damaged line names the line
xz -dc "$TRACES/pseries-ddw.txt.xz" | head -20000 > "$T/bad.txt"
sed -i '15000s/dma_addr=[0-9a-f]*/dma_addr=zz/' "$T/bad.txt"
grep -q 'dma_addr=zz' "$T/bad.txt" || skip "line 15000 has no dma_addr to damage"
check "$T/bad.txt"
grep -q "line 15000" "$ERR" || fail "the damaged line is not named"

# random bytes (deterministic: the xz data of a trace, shifted)
tail -c +1000 "$TRACES/pseries-noddw.dat.xz" | head -c 65536 > "$T/random"
check "$T/random"

# a native header of another version
printf 'ISMTRACE\011\000\000\000\004\003\002\001' > "$T/v9.ist"
head -c 200 /dev/zero >> "$T/v9.ist"
check "$T/v9.ist"
grep -q "version 9" "$ERR" || fail "unsupported version not named"
pass
