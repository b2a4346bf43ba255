#!/bin/sh
# a trace from standard input or a pipe is read once: run and compare replay it in one pass
# (no detection pass, hypercall costs from the scenario, each said so) and give the same
# figures as the file read the same way; before, the detection pass ate the stream and the
# replay found "-: empty file" (bench/soak.sh pipes its traces in).
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

tr="$TRACES/pseries-noddw.txt.xz"
set_rw="--set sim.recorded_with=window32"
expect_exit 0 "$ISM_BIN" run -S window32,ddw $set_rw --set sim.hcall_costs=scenario --format csv "$tr"
cp "$OUT" "$T/file.csv"

# standard input, the recorded strategy named
xz -dc "$tr" | "$ISM_BIN" run -S window32,ddw $set_rw --format csv - >"$OUT" 2>"$ERR" ||
	fail "run from standard input failed: $(head -3 "$ERR")"
cmp -s "$T/file.csv" "$OUT" || { diff "$T/file.csv" "$OUT" | head >&2; fail "stdin replay differs from the file's"; }

# the text says where the hypercall costs came from
xz -dc "$tr" | "$ISM_BIN" compare $set_rw - >"$OUT" 2>"$ERR" || fail "compare from standard input failed"
tr '\n' ' ' <"$OUT" | grep -q "the trace is a stream, read once" || fail "compare -: no word on the hcall costs"

# not named: not detected, with a warning, and still replayed
xz -dc "$tr" | "$ISM_BIN" run -S window32 - >"$OUT" 2>"$ERR" || fail "run - without sim.recorded_with failed"
grep -q "a stream is read once" "$ERR" || fail "run -: no warning that the strategy is not detected"
grep -q "empty file" "$ERR" && fail "run -: the stream was eaten"

# a named pipe is a stream too
mkfifo "$T/fifo" || skip "mkfifo failed"
xz -dc "$tr" >"$T/fifo" &
"$ISM_BIN" run -S window32,ddw $set_rw --format csv "$T/fifo" >"$OUT" 2>"$ERR" || fail "run FIFO failed: $(head -3 "$ERR")"
wait
cmp -s "$T/file.csv" "$OUT" || fail "FIFO replay differs from the file's"
pass
