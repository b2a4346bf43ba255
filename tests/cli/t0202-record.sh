#!/bin/sh
# iommusim record: usage; events injected with BPF_PROG_TEST_RUN come out in the native file
# exactly (tests/data/record/inject.spec -> inject.expected); the recorder loads and attaches
# on this kernel, stops at the command's exit, at --duration and on SIGINT, and writes its
# provenance and drop count. Skipped (77) where it cannot run: not built, not root, no BTF,
# or bpf() refused.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
D="$ISM_SRCDIR/tests/data/record"

expect_exit 0 "$ISM_BIN" record --help
grep -q "usage: iommusim record" "$OUT" || fail "record --help has no usage line"
if grep -q "Not built" "$OUT"; then
	expect_exit 1 "$ISM_BIN" record -o "$T/x.ist"
	grep -q "not built: needs libbpf, clang and bpftool" "$ERR" || fail "no 'not built' reason"
	skip "iommusim record is not built here (no libbpf, clang or bpftool at build time)"
fi
expect_exit 2 "$ISM_BIN" record --duration nope
expect_exit 2 "$ISM_BIN" record --buffer 0
expect_exit 2 "$ISM_BIN" record --bogus

[ "$(id -u)" = 0 ] || skip "not root: the recorder needs CAP_BPF and CAP_PERFMON"
[ -r /sys/kernel/btf/vmlinux ] || skip "no /sys/kernel/btf/vmlinux: kernel without BTF"

# provenance value of KEY in the native file $1 (from `dump --header`)
prov() {
	"$ISM_BIN" dump --header "$1" | head -n 1 | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"
}

# 1. injected events round-trip exactly
"$ISM_BIN" record --inject "$D/inject.spec" -o "$T/inj.ist" >"$OUT" 2>"$ERR"
rc=$?
if [ $rc -ne 0 ] && grep -q "Operation not permitted" "$ERR"; then
	skip "bpf() not permitted here: $(head -n 1 "$ERR")"
fi
[ $rc -eq 0 ] || fail "record --inject: exit $rc"
expect_exit 0 "$ISM_BIN" dump "$T/inj.ist"
sed -e 's/"ts_ns":[0-9]*,"cpu":[0-9]*,//' "$OUT" >"$T/inj.out"
diff "$D/inject.expected" "$T/inj.out" >"$T/diff" || {
	head -20 "$T/diff" >&2
	fail "injected events differ from inject.expected"
}
# timestamps: CLOCK_MONOTONIC, non-decreasing, and recent
sed -n 's/^{"ts_ns":\([0-9]*\),.*/\1/p' "$OUT" | awk '
	NR > 1 && $1 < last { bad = 1 } { last = $1; n++ } $1 == 0 { bad = 1 }
	END { exit bad || n != 33 }' || fail "injected timestamps not increasing (or not 33 events)"
[ "$(prov "$T/inj.ist" clock)" = monotonic ] || fail "clock is not monotonic"
[ "$(prov "$T/inj.ist" events)" = 33 ] || fail "provenance events != 33"
[ "$(prov "$T/inj.ist" dropped)" = 0 ] || fail "provenance dropped != 0"
expect_exit 2 "$ISM_BIN" record --inject /nonexistent/spec -o "$T/x.ist"
printf 'frobnicate dev=x\n' >"$T/bad.spec"
expect_exit 2 "$ISM_BIN" record --inject "$T/bad.spec" -o "$T/x.ist"
grep -q "bad.spec:1: unknown event kind" "$ERR" || fail "bad spec line not reported"

# 2. live: attach to this kernel's tracepoints around a command
expect_exit 0 "$ISM_BIN" record -o "$T/live.ist" -- dd if=/dev/zero of="$T/f.bin" bs=1M count=8
grep -q "attached [0-9]* tracepoints" "$ERR" || fail "no 'attached' report"
grep -q "events, [0-9]* dropped" "$ERR" || fail "no drop report"
att=$(prov "$T/live.ist" attached)
case "$att" in
*dma_map_phys* | *dma_map_page*) ;;
*) fail "dma_map_phys/dma_map_page not attached: $att" ;;
esac
[ "$(prov "$T/live.ist" kernel)" = "$(uname -r)" ] || fail "kernel release not in provenance"
[ "$(prov "$T/live.ist" command)" = "dd if=/dev/zero of=$T/f.bin bs=1M count=8" ] ||
	fail "command not in provenance"
[ "$(prov "$T/live.ist" command_status)" = 0 ] || fail "command status not 0"
n=$(prov "$T/live.ist" events)
d=$(prov "$T/live.ist" dropped)
m=$(prov "$T/live.ist" missed)
[ -n "$n" ] && [ -n "$d" ] && [ -n "$m" ] || fail "events/dropped/missed missing from provenance"
expect_exit 0 "$ISM_BIN" stats "$T/live.ist"
expect_exit 0 "$ISM_BIN" lint "$T/live.ist"

# 3. --duration, then SIGINT
expect_exit 0 "$ISM_BIN" record -o "$T/dur.ist" --duration 0.5 --buffer 1
[ "$(prov "$T/dur.ist" buffer_mb)" = 1 ] || fail "buffer size not in provenance"
"$ISM_BIN" record -o "$T/int.ist" >"$OUT" 2>"$T/int.err" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q attached "$T/int.err" 2>/dev/null; do
	sleep 0.1
	i=$((i + 1))
done
stop_helper $pid "iommusim record" || { cat "$T/int.err" >&2; fail "record had to be killed"; }
[ "$STOP_RC" -eq 0 ] || { cat "$T/int.err" >&2; fail "record after SIGINT: exit $STOP_RC"; }
expect_exit 0 "$ISM_BIN" dump --header "$T/int.ist"
# a command that cannot start is reported, the recording is still written
expect_exit 0 "$ISM_BIN" record -o "$T/nocmd.ist" -- /nonexistent/command
grep -q "cannot run /nonexistent/command" "$ERR" || fail "exec failure not reported"
[ "$(prov "$T/nocmd.ist" command_status)" = 127 ] || fail "exec failure status not 127"
pass
