#!/bin/sh
# record-overhead.sh BUILDDIR: cost per event of the two capture paths (`make bench`; not a
# test: prints figures only). Needs root; parts that cannot run here say why and are skipped.
#
# 1. iommusim record: events injected with BPF_PROG_TEST_RUN through the recorder's BPF
#    programs (iommusim record --inject --repeat): the handler's cost in the kernel (the run
#    time minus that of an empty program) and the user-space cost of taking the record from
#    the ring buffer into the spool file.
# 2. bpftrace scripts: DMA events cannot be fired on demand, so dma.bt's map and map_sg probe
#    bodies are attached to a tracepoint a program can fire cheaply (syscalls:sys_enter_getppid),
#    with the tracepoint's fields replaced by values of the same types and the device name read
#    from kernel memory (the name of the root directory's dentry) with str() as
#    str(args->device) does. The cost per event is
#    the getppid() time with the probe minus without; bpftrace's own CPU time (formatting the
#    lines) is reported per event as well.
# ISM_BENCH_EVENTS sets the number of events per measurement (default 200000; bpftrace: rounds
# of at most 50000).
set -u
b=${1:?usage: record-overhead.sh BUILDDIR}
n=${ISM_BENCH_EVENTS:-200000}
src=$(cd "$(dirname "$0")/.." && pwd)
d=${ISM_BENCH_DIR:-$b/bench-data}
mkdir -p "$d"
echo "== capture overhead (ns per event; $n events per figure)"
if [ "$(id -u)" != 0 ]; then
	echo "skipped: needs root (BPF)"
	exit 0
fi

# ---- 1. the recorder
if "$b/src/iommusim" record --help | grep -q "Not built"; then
	echo "iommusim record: not built here"
else
	cat >"$d/overhead.spec" <<'EOF'
map dev=0000:00:04.0 phys=0x1234000 dma=0xfff000 size=4096 dir=1 attrs=0
unmap dev=0000:00:04.0 dma=0xfff000 size=4096 dir=1 attrs=0
map_sg dev=nvme0 dir=2 attrs=0 in=0x100+0:4096,0x101+0:4096,0x102+0:4096,0x103+0:4096,0x104+0:4096,0x105+0:4096,0x106+0:4096,0x107+0:4096,0x108+0:4096,0x109+0:4096,0x10a+0:4096,0x10b+0:4096,0x10c+0:4096,0x10d+0:4096,0x10e+0:4096,0x10f+0:4096 out=0xf0000000:65536
EOF
	i=0
	while read -r kind rest; do
		i=$((i + 1))
		echo "$kind $rest" >"$d/overhead-$i.spec"
		printf 'iommusim record, %-7s ' "$kind:"
		"$b/src/iommusim" record --inject "$d/overhead-$i.spec" --repeat "$n" \
			-o "$d/overhead.ist" 2>&1 >/dev/null | sed -n 's/^iommusim: record: injected [0-9]* events: //p'
	done <"$d/overhead.spec"
	rm -f "$d/overhead.ist" "$d"/overhead-*.spec
	echo "  (command: iommusim record --inject SPEC --repeat $n -o FILE; SPEC = one line of"
	echo "   $d/overhead.spec)"
fi

# ---- 2. bpftrace
if ! command -v bpftrace >/dev/null 2>&1; then
	echo "bpftrace: not installed"
	exit 0
fi
TR=/sys/kernel/tracing
mounted=
if [ ! -d "$TR/events" ]; then
	mount -t tracefs nodev "$TR" 2>/dev/null || { echo "bpftrace: no tracefs"; exit 0; }
	mounted=1
fi
cc=${CC:-cc}
cat >"$d/getppid-loop.c" <<'EOF'
/* getppid-loop N: N getppid() system calls; prints ns per call. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}
EOF
$cc -O2 -o "$d/getppid-loop" "$d/getppid-loop.c" || { echo "bpftrace: no C compiler"; exit 0; }
# the probe bodies of dma.bt (map, map_sg), on sys_enter_getppid
dmabt="$src/traces/capture/dma.bt"
cat >"$d/bench-map.bt" <<'EOF'
BEGIN { printf("# iommusim-bt v1 clock=boottime sg=4 script=bench-map fields: x\n"); }
tracepoint:syscalls:sys_enter_getppid
{
	printf("%llu %u map %llx %llx %llu %d %lx %s\n", nsecs, cpu, (uint64)0x800000017027000,
	       (uint64)0x140dc578, (uint64)4096, 1, (uint64)0, str(curtask->fs->root.dentry->d_name.name));
}
EOF
cat >"$d/bench-map_sg.bt" <<'EOF'
BEGIN { printf("# iommusim-bt v1 clock=boottime sg=4 script=bench-map_sg fields: x\n"); }
tracepoint:syscalls:sys_enter_getppid
{
	$pa = (uint64)curtask;
	$da = $pa + 128;
	$la = $pa + 256;
	$nin = (uint64)16;
	$nout = (uint64)16;
	$tot = (uint64)0;
	$i = (uint64)0;
	while ($i < $nout && $i < 128) {
		$tot += *(uint32 *)($la + $i * 4);
		$i++;
	}
	printf("%llu %u map_sg %lld %lld %d %lx %llu %llx %llx %u %llx %llx %u %llx %llx %u %llx %llx %u %s\n",
	       nsecs, cpu, $nin, $nout, 1, (uint64)0, $tot,
	       $nin > 0 ? *(uint64 *)($pa) : 0, $nout > 0 ? *(uint64 *)($da) : 0,
	       $nout > 0 ? *(uint32 *)($la) : 0,
	       $nin > 1 ? *(uint64 *)($pa + 8) : 0, $nout > 1 ? *(uint64 *)($da + 8) : 0,
	       $nout > 1 ? *(uint32 *)($la + 4) : 0,
	       $nin > 2 ? *(uint64 *)($pa + 16) : 0, $nout > 2 ? *(uint64 *)($da + 16) : 0,
	       $nout > 2 ? *(uint32 *)($la + 8) : 0,
	       $nin > 3 ? *(uint64 *)($pa + 24) : 0, $nout > 3 ? *(uint64 *)($da + 24) : 0,
	       $nout > 3 ? *(uint32 *)($la + 12) : 0,
	       str(curtask->fs->root.dentry->d_name.name));
}
EOF
grep -q 'printf("%llu %u map %llx %llx %llu %d %lx %s\\n"' "$dmabt" ||
	echo "note: dma.bt's map printf changed; update bench/record-overhead.sh"
# bpftrace drains its perf buffers from user space, slower than the probes fill them: fire
# the events in rounds of at most 50000, with a pause to drain between rounds
m=$n
[ "$m" -le 50000 ] || m=50000
base() { "$d/getppid-loop" "$m"; }
best() { tr ' ' '\n' | grep . | sort -n | head -n 1; }
b0=$(echo "$(base) $(base) $(base) $(base) $(base)" | best)
for body in map map_sg; do
	BPFTRACE_PERF_RB_PAGES=4096 bpftrace -q "$d/bench-$body.bt" >"$d/bench-$body.txt" 2>/dev/null &
	pid=$!
	i=0
	while [ $i -lt 600 ] && ! grep -q '^# iommusim-bt' "$d/bench-$body.txt" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	ts=
	for r in 1 2 3 4 5; do
		ts="$ts $(base)"
		sleep 1
	done
	cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	kill -INT $pid
	wait $pid
	lines=$(grep -c " $body " "$d/bench-$body.txt")
	lost=$(awk '/^Lost/ {s += $2} END {print s + 0}' "$d/bench-$body.txt")
	tk=$(getconf CLK_TCK)
	t=$(echo "$ts" | best)
	printf 'bpftrace dma.bt %-7s %.0f ns/event in the kernel (getppid %.0f ns with the probe, %.0f ns without);' \
		"$body:" "$(awk -v a="$t" -v b="$b0" 'BEGIN { print a - b }')" "$t" "$b0"
	printf ' bpftrace itself %.0f ns/event of CPU; %s lines, %s lost\n' \
		"$(awk -v c="$((cpu1 - cpu0))" -v tk="$tk" -v n="$((5 * m))" \
			'BEGIN { print c * 1e9 / tk / n }')" "$lines" "$lost"
done
echo "  (command: bench/record-overhead.sh: 5 x getppid-loop $m, with and without bpftrace -q bench-BODY.bt; best)"
rm -f "$d"/bench-*.txt
[ -z "$mounted" ] || umount "$TR"
exit 0
