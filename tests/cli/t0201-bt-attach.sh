#!/bin/sh
# Every capture script in traces/capture compiles and attaches on this kernel, and prints the
# iommusim-bt version line first. A script whose tracepoints this kernel lacks (pseries.bt
# off powerpc, old/dma-6.12.bt on 6.18+) is reported and not counted; the whole test is
# skipped (77) without root, bpftrace or tracefs. tracefs is mounted for the test when it
# is not (and unmounted after). Also checks that pseries.bt carries dma.bt's probes verbatim.
# Every wait is bounded: attaching 120 s, stopping via stop_helper (SIGINT resent when lost).
# ISM_BPFTRACE names another bpftrace binary (or a wrapper, to test lost signals).
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
C="$ISM_SRCDIR/traces/capture"

# the shared block, identical in dma.bt and pseries.bt
sed -n '/^\/\* >>> dma/,/^\/\* <<< dma/p' "$C/dma.bt" >"$T/a"
sed -n '/^\/\* >>> dma/,/^\/\* <<< dma/p' "$C/pseries.bt" >"$T/b"
[ -s "$T/a" ] || fail "dma.bt has no '>>> dma' block"
cmp -s "$T/a" "$T/b" || fail "pseries.bt's dma block differs from dma.bt's"

BPFTRACE=${ISM_BPFTRACE:-bpftrace}
command -v "$BPFTRACE" >/dev/null 2>&1 || skip "bpftrace is not installed"
[ "$(id -u)" = 0 ] || skip "not root: bpftrace needs root to attach"
TR=/sys/kernel/tracing
mounted=
if [ ! -d "$TR/events" ]; then
	mount -t tracefs nodev "$TR" 2>/dev/null || skip "tracefs not mounted and cannot be mounted"
	mounted=1
	trap 'umount "$TR" 2>/dev/null; rm -rf "$T"' EXIT
fi
[ -d "$TR/events/dma" ] || skip "this kernel has no dma:* tracepoints (Linux 6.12 or later)"

# has_tps SCRIPT: every "tracepoint:SYS:NAME" probe (NAME may end in *) exists here
has_tps() {
	for tp in $(sed -n 's/^tracepoint:\([a-z_]*\):\([a-z_*]*\).*/\1\/\2/p' "$1"); do
		# shellcheck disable=SC2086 # the glob is the point
		set -- $TR/events/$tp
		[ -d "$1" ] || { echo "$tp"; return 1; }
	done
	return 0
}

ran=0
for s in "$C"/*.bt "$C"/old/*.bt; do
	[ -f "$s" ] || continue
	name=${s#"$C"/}
	missing=$(has_tps "$s") || {
		echo "note: $name not attached here: this kernel has no ${missing%% *}" >&2
		continue
	}
	out="$T/$(basename "$s" .bt).txt"
	# stdout, not -o: bpftrace 0.17 buffers -o output, the version line would come at exit
	"$BPFTRACE" -q "$s" >"$out" 2>"$T/bt.err" &
	pid=$!
	i=0
	while [ $i -lt 1200 ] && kill -0 $pid 2>/dev/null && ! grep -q '^# iommusim-bt' "$out" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	if ! kill -0 $pid 2>/dev/null; then
		wait $pid
		grep -v RLIMIT_MEMLOCK "$T/bt.err" | head -20 >&2
		fail "$name: bpftrace exited before attaching"
	fi
	stop_helper $pid "$name: bpftrace" || fail "$name: bpftrace had to be killed"
	[ "$STOP_RC" -eq 0 ] || fail "$name: bpftrace exit $STOP_RC after SIGINT"
	head -n 1 "$out" | grep -q "^# iommusim-bt v1 clock=boottime sg=4 script=$(basename "$s") fields: " ||
		fail "$name: bad version line: $(head -n 1 "$out")"
	expect_exit 0 "$ISM_BIN" stats -f bpftrace "$out"
	echo "ok: $name attached ($(($(grep -c '^tracepoint:' "$s"))) probe lines)" >&2
	ran=$((ran + 1))
done
[ $ran -gt 0 ] || skip "no capture script matches this kernel's tracepoints"
pass
