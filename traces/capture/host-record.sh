#!/bin/bash
# host-record.sh: record a small real trace.dat on THIS machine's own (x86) kernel with the DMA
# event systems enabled, so that iommusim's reader sees a host-made file with that kernel's
# dma:*, swiotlb:* and iommu:* formats stored in it.
#
# Requirements: root, trace-cmd (Debian 12: 3.1.6), a kernel with tracefs. No DMA events are
#   expected on a VM whose virtio devices bypass the DMA API (see shared TRACES.md 0); the file
#   still carries the event formats, the sched_switch events and the tracing_mark_write markers.
# Usage: traces/capture/host-record.sh [OUTPUT.dat]     (default ./host.dat)
#   Environment: WORKLOAD_MB (default 8): MiB written and read back with O_DIRECT, 64 KiB blocks,
#   in a temporary file under $TMPDIR (default /var/tmp).
# Outputs: OUTPUT.dat (trace.dat file version 7, compression none), OUTPUT.meta (key: value).
# Side effects: mounts tracefs if needed and unmounts afterwards whatever this script (or
#   libtracefs, which mounts debugfs on its own) mounted; restores tracing_on and buffer_size_kb.
#
# Why the flags: on this VM function tracing is locked down (ftrace_enabled and set_ftrace_* are
# EPERM). `-d` keeps trace-cmd off the function tracer, `--no-filter` skips its pid filtering
# (whose set_ftrace_pid write otherwise kills the child). trace-cmd still exits 1 at the very end
# ("opening to .../set_ftrace_filter" while cleaning up); the data is complete by then, so rc=1
# is accepted when the file passes `trace-cmd dump --summary` and `trace-cmd report`.
set -euo pipefail

OUTFILE=${1:-host.dat}
META=${OUTFILE%.dat}.meta
WORKLOAD_MB=${WORKLOAD_MB:-8}
T=/sys/kernel/tracing
say() { echo "host-record: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
	say "run as root"
	exit 2
fi
command -v trace-cmd > /dev/null || { say "trace-cmd missing (apt-get install trace-cmd)"; exit 2; }

is_mnt() { awk -v m="$1" '$2 == m {f=1} END{exit !f}' /proc/mounts; }
had_tracefs=0
had_debugfs=0
is_mnt /sys/kernel/tracing && had_tracefs=1
is_mnt /sys/kernel/debug && had_debugfs=1
restore() {
	set +e
	if [ -n "${old_on:-}" ]; then
		echo "$old_on" > $T/tracing_on
		echo "$old_kb" > $T/buffer_size_kb
		echo > $T/set_event
		for e in $old_events; do echo "$e" >> $T/set_event; done
	fi
	[ -n "${tmpf:-}" ] && rm -f "$tmpf"
	if [ $had_debugfs = 0 ] && is_mnt /sys/kernel/debug; then umount /sys/kernel/debug; fi
	if [ $had_tracefs = 0 ] && is_mnt /sys/kernel/tracing; then umount /sys/kernel/tracing; fi
}
trap restore EXIT

[ $had_tracefs = 1 ] || mount -t tracefs nodev $T
old_on=$(cat $T/tracing_on)
old_kb=$(cat $T/buffer_size_kb)
old_events=$(cat $T/set_event)

tmpf=$(mktemp "${TMPDIR:-/var/tmp}/host-record.XXXXXX")
workload="dd if=/dev/zero of=$tmpf bs=64k count=$((WORKLOAD_MB * 16)) oflag=direct conv=fsync &&
	dd if=$tmpf of=/dev/null bs=64k iflag=direct &&
	echo 'iommusim phase=end' > $T/trace_marker"
rc=0
trace-cmd record -d --no-filter --compression none -b 4096 \
	-e dma -e swiotlb -e iommu -e sched:sched_switch \
	-o "$OUTFILE" -- sh -c "echo 'iommusim phase=boot-done' > $T/trace_marker; $workload" \
	> "${OUTFILE%.dat}.record.log" 2>&1 || rc=$?
say "trace-cmd record rc=$rc (1 is expected, see header)"
if [ $rc != 0 ] && [ $rc != 1 ]; then
	cat "${OUTFILE%.dat}.record.log" >&2
	exit 1
fi

# the file must be complete: readable header and events
trace-cmd dump --summary -i "$OUTFILE" > "${OUTFILE%.dat}.summary" 2>&1
report=$(mktemp)
trace-cmd report -i "$OUTFILE" > "$report" 2> /dev/null
total=$(grep -cE '^ *.+\[[0-9]+\] +[0-9]+\.[0-9]+: ' "$report" || true)
if [ "$total" -eq 0 ]; then
	say "no events in $OUTFILE"
	exit 1
fi
{
	echo "# ${OUTFILE##*/}: real trace-cmd recording on the host kernel (no DMA events fire here)"
	echo "# made by traces/capture/host-record.sh"
	echo "recorded: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "kernel release: $(uname -r)"
	echo "kernel uname: $(uname -a)"
	echo "machine: $(uname -m), $(nproc) CPUs"
	echo "trace-cmd: $(trace-cmd --version 2>&1 | grep -m1 -o 'version [^ ]*')"
	echo "record command: trace-cmd record -d --no-filter --compression none -b 4096 -e dma -e swiotlb -e iommu -e sched:sched_switch -o ${OUTFILE##*/} -- sh -c '<workload>'"
	echo "workload: dd if=/dev/zero of=TMPFILE bs=64k count=$((WORKLOAD_MB * 16)) oflag=direct conv=fsync; dd if=TMPFILE of=/dev/null bs=64k iflag=direct"
	echo "trace-cmd record rc: $rc"
	echo "file: $(awk '/\[Version\]/{v=$1} /\[Compression algorithm\]/{c=$1} END{printf "version %s, compression %s", v, c}' "${OUTFILE%.dat}.summary")"
	echo "events total: $total"
	awk 'match($0, /\[[0-9]+\] +[0-9]+\.[0-9]+: [a-z_0-9]+:/) {
		s = substr($0, RSTART, RLENGTH); n = split(s, f, / +/); ev = f[n]; sub(/:$/, "", ev)
		if (ev == "print") ev = "tracing_mark_write"; print ev }' "$report" |
		sort | uniq -c | sort -rn | awk '{printf "events %s: %d\n", $2, $1}'
	grep -h 'CPU.*overrun\|overrun:' "${OUTFILE%.dat}.record.log" | sed 's/^ */record log: /' || true
	echo "event formats in file: $(awk '/\[Events format/{print $3}' "${OUTFILE%.dat}.summary") systems"
	echo "event formats stored: $(trace-cmd dump --events -i "$OUTFILE" 2> /dev/null | awk '/^name:/{printf "%s%s", s, $2; s=" "}')"
	echo "trace clock: $(grep -o '"[a-z-]*" clock' "${OUTFILE%.dat}.summary" | tr -d '"' | cut -d' ' -f1)"
} > "$META"
rm -f "$report"
say "wrote $OUTFILE ($(stat -c %s "$OUTFILE") bytes, $total events) and $META"
