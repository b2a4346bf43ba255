#!/bin/bash
# pseries-capture.sh: record real DMA-API and TCE-hypercall traces from an unmodified Debian
# ppc64le 6.12 kernel booted under qemu-system-ppc64 -M pseries (TCG) on an x86 Debian 12 host.
#
# Purpose
#   The guest runs the real pseries IOMMU code (arch/powerpc/platforms/pseries/iommu.c) against
#   QEMU's sPAPR TCE/DDW emulation, with dma:*, swiotlb:* and powerpc:hcall_entry/hcall_exit
#   enabled from the kernel command line. traces/capture/guest-init.sh (the guest's /init) runs a
#   small virtio-blk / NVMe / virtio-net workload with "iommusim phase=NAME" markers, then saves
#   `cat trace` (text), a trace.dat (ppc64el trace-cmd extract), ring-buffer stats and swiotlb
#   counters onto a carrier disk that does not use the DMA API. This script extracts them.
#
# Requirements
#   Debian 12 (bookworm) x86_64 host, root, Debian's mirror reachable through apt. The script
#   adds the ppc64el architecture and a bookworm-backports sources entry (same mirror as the
#   existing Debian entry) if missing, installs qemu-system-ppc, cpio, xz-utils and trace-cmd on
#   the host, and only downloads (never installs) the ppc64el guest packages:
#   linux-image-6.12.*+deb12-powerpc64le (bookworm-backports), busybox-static, trace-cmd,
#   libtraceevent1, libtracefs1, libzstd1, libc6, coreutils (for its dd). Runs one QEMU at a time; a run takes about
#   1-3 minutes on 2 host cores.
#
# Usage
#   traces/capture/pseries-capture.sh [--post] [--rt] [--repeat N] [VARIANT [DEST]]   (default VARIANT: ddw)
#     DEST          also copy pseries-VARIANT.{txt.xz,dat.xz,meta} there (e.g. traces)
#     --post        only redo the host-side part (checks, .meta, xz) on an existing output dir
#     --rt          same as QEMU_RT=1 (below): QEMU under real-time scheduling
#     --repeat N    N separate boots of VARIANT, named pseries-VARIANT-r1 ... -rN (-q1 ... -qN
#                   with --rt; REPEAT_TAG), each into its own output dir
#                   ($CAPTURE_WORK/out/VARIANT-rK); the workload defaults to
#                   "phases" (one dd per phase between phase=NAME and phase-end=NAME markers).
#                   After the runs, each .meta gets "spread PHASE:" lines (min, median, max of
#                   the phase's duration over all N runs), and the per-phase table is printed.
#                   With --post, redoes the host-side part of runs 1..N.
#     ddw           DDW on (maxmem set, so QEMU offers a 64-bit window); Linux maps all RAM once
#     noddw         -global spapr-pci-host-bridge.ddw=off + guest disable_ddw: 32-bit window,
#                   TCE hcalls on every map/unmap
#     swiotlb       DDW on + guest swiotlb=force: every streaming map bounces
#     multitce-off  DDW off + guest multitce=off (H_PUT_TCE only). The boot-time table clear
#                   alone is ~650k hcall events, more than the boot buffer holds, so this variant
#                   turns hcall_entry/exit on from /init (after the buffer has grown): its trace
#                   has dma:* from boot but hcalls only from "iommusim note=late-events-on"
#     ddw-nomaxmem  DDW on but no maxmem: QEMU 7.2 reports lrdr-capacity 0, the DDW request fails
#     VARIANT-64k   any of the above with the 64 KiB page kernel flavour
#                   (linux-image-6.12.*+deb12-powerpc64le-64k), e.g. noddw-64k
#   Environment:
#     CAPTURE_WORK   work dir for packages, initramfs, disk images (default /work/capture-work;
#                    keep it out of the repository)
#     CAPTURE_OUT    output dir (default $CAPTURE_WORK/out/VARIANT)
#     KERNEL_VERSION exact linux-image version to use (default 6.12.95+deb12, the kernel of
#                    every trace in traces/; if apt no longer has it, the newest
#                    6.12.*+deb12 of the flavour, with a warning)
#     GUEST_OPTS     extra guest kernel command-line words, e.g. "iommusim.pings=100
#                    iommusim.small_mb=2" (see guest-init.sh for the iommusim.* knobs)
#     QEMU_TIMEOUT   seconds before the QEMU run is stopped (SIGTERM, SIGKILL 10 s later;
#                    default 1200, 300 with QEMU_RT)
#     BOOT_BUF       trace_buf_size= for boot (default 4M; 32M fails to allocate and oopses)
#     WORKLOAD       guest workload: classic (default for single runs) or phases (default with
#                    --repeat); see guest-init.sh
#     QEMU_NICE      nice level of the QEMU process (default 5; not used with QEMU_RT)
#     QEMU_RT        1: run QEMU as SCHED_FIFO (chrt -f QEMU_RT_PRIO, default priority 10), it and
#                    every thread it starts, so that the host's other jobs (SCHED_OTHER) cannot
#                    take a CPU from it while it has work; they run when it idles. Default 0.
#                    Needs root and the kernel's RT limit (kernel.sched_rt_runtime_us below
#                    sched_rt_period_us, e.g. 950000 of 1000000: the rest stays for other tasks);
#                    refused if that limit is off (-1), so a runaway QEMU cannot take the whole
#                    machine. The host sampler and the console stamper run as SCHED_FIFO
#                    QEMU_RT_PRIO+10, so that they stay on time. QEMU gets -name
#                    pseries,debug-threads=on (thread names for the .meta); QUIET_WAIT defaults
#                    to 0 (the 2 s host measurement before the start is still made).
#     REPEAT_TAG     with --repeat: run names are pseries-VARIANT-TAG1 ... (default r; q with
#                    QEMU_RT, so a real-time set does not overwrite the other)
#     SHIP_DAT       1 (default for single runs) or 0 (default with --repeat): whether the
#                    trace.dat is compressed and copied to DEST along with the text (it is
#                    extracted and checked against the text either way)
#     QUIET_WAIT     seconds to wait at most, before each QEMU run, for a quiet host: 2 s in
#                    which other processes used less than QUIET_CPUS CPUs (default 0.5);
#                    default 0 for single runs, 120 with --repeat. The run starts anyway after
#                    that, and the .meta says how long it waited and how busy the host was.
#     REPEAT_START, REPEAT_STOP  with --repeat N: run only runs START..STOP of the N (default
#                    1..N), e.g. to interleave the runs of two variants or redo one run; the
#                    spread always covers every run 1..N that has a .meta (in the work folder,
#                    or else in DEST: so --repeat 12 with REPEAT_START=7 adds runs 7..12 to a
#                    set 1..6 shipped in DEST, and the spread covers all 12)
#
# Outputs (in CAPTURE_OUT)
#   trace.txt        `cat /sys/kernel/tracing/trace` after tracing_on=0 (whole recording)
#   trace.dat        trace-cmd extract of the same recording, made inside the guest
#   trace-v6.dat     `trace-cmd convert --file-version 6 --compression none` copy (host), if possible
#   ring-stats.txt   per_cpu/cpu*/stats (entries, overrun, dropped events, ...)
#   swiotlb/         /sys/kernel/debug/swiotlb/* counters at the end
#   cmdline, uname-r, dmesg.txt, init.log, extract.log, pci.txt, interrupts.txt, meminfo
#   qemu-cmdline.txt, qemu-version.txt, console.log (the guest's hvc0), variant
#   pseries-VARIANT.meta, pseries-VARIANT.txt.xz, pseries-VARIANT.dat.xz (what traces/ ships)
#   report.txt, events-text.txt, events-dat.txt (the host-side text vs trace.dat comparison)
set -euo pipefail

POST_ONLY=0
REPEAT=0
while [ $# -gt 0 ]; do
	case "$1" in
	--post) POST_ONLY=1 ;;
	--rt) QEMU_RT=1 ;;
	--repeat) REPEAT=${2:-}; shift ;;
	--repeat=*) REPEAT=${1#*=} ;;
	--help | -h) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "pseries-capture: unknown option '$1'" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
if ! [[ $REPEAT =~ ^[0-9]+$ ]]; then
	echo "pseries-capture: --repeat wants a count, not '$REPEAT'" >&2
	exit 2
fi
VARIANT=${1:-ddw}
DEST=${2:-}
if [ -n "$DEST" ]; then
	DEST=$(realpath -m "$DEST")
fi
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${CAPTURE_WORK:-/work/capture-work}
QEMU_RT=${QEMU_RT:-0}
QEMU_RT_PRIO=${QEMU_RT_PRIO:-10}
case "$QEMU_RT" in
0 | 1) ;;
*) echo "pseries-capture: QEMU_RT wants 0 or 1, not '$QEMU_RT'" >&2; exit 2 ;;
esac
if ! [[ $QEMU_RT_PRIO =~ ^[0-9]+$ ]] || [ "$QEMU_RT_PRIO" -lt 1 ] || [ "$QEMU_RT_PRIO" -gt 89 ]; then
	echo "pseries-capture: QEMU_RT_PRIO wants 1..89, not '$QEMU_RT_PRIO'" >&2
	exit 2
fi
if [ "$QEMU_RT" = 1 ]; then
	QEMU_TIMEOUT=${QEMU_TIMEOUT:-300}
	REPEAT_TAG=${REPEAT_TAG:-q}
	SAMPLER_RT=$((QEMU_RT_PRIO + 10))
else
	QEMU_TIMEOUT=${QEMU_TIMEOUT:-1200}
	REPEAT_TAG=${REPEAT_TAG:-r}
	SAMPLER_RT=
fi
if ! [[ $REPEAT_TAG =~ ^[a-z]+$ ]]; then
	echo "pseries-capture: REPEAT_TAG wants lower-case letters, not '$REPEAT_TAG'" >&2
	exit 2
fi
if ! [[ $QEMU_TIMEOUT =~ ^[0-9]+$ ]] || [ "$QEMU_TIMEOUT" -lt 1 ]; then
	echo "pseries-capture: QEMU_TIMEOUT wants a number of seconds, not '$QEMU_TIMEOUT'" >&2
	exit 2
fi
GUEST_OPTS=${GUEST_OPTS:-}
BOOT_BUF=${BOOT_BUF:-4M}
QEMU_NICE=${QEMU_NICE:-5}
REPEAT_START=${REPEAT_START:-1}
QUIET_CPUS=${QUIET_CPUS:-0.5}
REPEAT_STOP=${REPEAT_STOP:-$REPEAT}
if [ "$REPEAT" -gt 0 ]; then
	WORKLOAD=${WORKLOAD:-phases}
	SHIP_DAT=${SHIP_DAT:-0}
	if [ "$QEMU_RT" = 1 ]; then QUIET_WAIT=${QUIET_WAIT:-0}; else QUIET_WAIT=${QUIET_WAIT:-120}; fi
else
	WORKLOAD=${WORKLOAD:-classic}
	SHIP_DAT=${SHIP_DAT:-1}
	QUIET_WAIT=${QUIET_WAIT:-0}
fi
case "$WORKLOAD" in
classic | phases) ;;
*) echo "pseries-capture: unknown WORKLOAD '$WORKLOAD' (classic, phases)" >&2; exit 2 ;;
esac

# VARIANT = BASE[-64k]: the -64k suffix picks the 64 KiB page kernel flavour
BASE=${VARIANT%-64k}
FLAVOUR=powerpc64le
[ "$BASE" != "$VARIANT" ] && FLAVOUR=powerpc64le-64k
case "$BASE" in
ddw | noddw | swiotlb | multitce-off | ddw-nomaxmem) ;;
*)
	echo "pseries-capture: unknown variant '$VARIANT' (ddw, noddw, swiotlb, multitce-off, ddw-nomaxmem, each optionally with -64k)" >&2
	exit 2
	;;
esac
NAME=pseries-$VARIANT
OUT=${CAPTURE_OUT:-$WORK/out/$VARIANT}

REPO=$(cd "$HERE/../.." && pwd)
case "$(realpath -m "$WORK")/" in
"$REPO"/*)
	echo "pseries-capture: CAPTURE_WORK ($WORK) must not be inside the repository" >&2
	exit 2
	;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "pseries-capture: run as root (apt-get, dpkg --add-architecture)" >&2
	exit 2
fi

# QEMU_RT safety: the kernel's RT limit must be on (a share of each period left to other tasks)
RT_LIMIT=
if [ "$QEMU_RT" = 1 ] && [ "$POST_ONLY" = 0 ]; then
	rt_run=$(cat /proc/sys/kernel/sched_rt_runtime_us 2> /dev/null || echo '?')
	rt_per=$(cat /proc/sys/kernel/sched_rt_period_us 2> /dev/null || echo '?')
	if ! [[ $rt_run =~ ^[0-9]+$ && $rt_per =~ ^[0-9]+$ ]] || [ "$rt_run" -ge "$rt_per" ]; then
		echo "pseries-capture: QEMU_RT=1 needs the kernel's RT limit (kernel.sched_rt_runtime_us" \
			"below sched_rt_period_us; here $rt_run of $rt_per): refusing to run QEMU real-time without it" >&2
		exit 2
	fi
	if ! command -v chrt > /dev/null || ! chrt -f "$QEMU_RT_PRIO" true; then
		echo "pseries-capture: QEMU_RT=1: chrt -f $QEMU_RT_PRIO does not work here" >&2
		exit 2
	fi
	RT_LIMIT="kernel.sched_rt_runtime_us=$rt_run of sched_rt_period_us=$rt_per"
fi

say() { echo "pseries-capture: $*" >&2; }

export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------- 1. apt setup
apt_setup() {
	local changed=0 mirror
	if ! dpkg --print-foreign-architectures | grep -qx ppc64el; then
		say "adding architecture ppc64el"
		dpkg --add-architecture ppc64el
		changed=1
	fi
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		# the mirror of the existing main Debian entry (not -security)
		mirror=$(grep -rhs -E '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list |
			grep -v -- '-security' | grep -oE '(https?|file)://[^ ]*/debian/?' | head -n 1 || true)
		mirror=${mirror%/}
		if [ -z "$mirror" ]; then
			say "cannot find the Debian mirror in /etc/apt/sources.list*"
			exit 1
		fi
		say "adding bookworm-backports from $mirror"
		cat > /etc/apt/sources.list.d/bookworm-backports.sources <<EOF
Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
		changed=1
	fi
	if [ $changed = 1 ] || ! apt-cache show busybox-static:ppc64el > /dev/null 2>&1; then
		# bookworm-security may have no ppc64el index on the mirror: apt then exits 100
		# although everything needed was fetched
		apt-get update || say "apt-get update reported errors (ignored; checked below)"
	fi
	local need=() p
	for p in qemu-system-ppc cpio xz-utils trace-cmd; do
		dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'install ok installed' || need+=("$p")
	done
	if [ ${#need[@]} -gt 0 ]; then
		say "installing host packages: ${need[*]}"
		apt-get install -y --no-install-recommends "${need[@]}"
	fi
}

# ---------------------------------------------------------------- 2. guest packages
guest_packages() {
	local kv
	kv=${KERNEL_VERSION:-6.12.95+deb12}
	if ! apt-cache show "linux-image-$kv-$FLAVOUR:ppc64el" > /dev/null 2>&1; then
		say "WARNING: linux-image-$kv-$FLAVOUR:ppc64el is not in apt; taking the newest 6.12 instead"
		kv=$(apt-cache pkgnames linux-image-6.12. | grep -E "^linux-image-6\\.12\\.[0-9]+\\+deb12-$FLAVOUR\$" |
			sed -e 's/^linux-image-//' -e "s/-$FLAVOUR\$//" | sort -V | tail -n 1 || true)
	fi
	if [ -z "$kv" ]; then
		say "no linux-image-6.12.*+deb12-$FLAVOUR:ppc64el in apt (bookworm-backports missing?)"
		exit 1
	fi
	KREL=$kv-$FLAVOUR
	say "guest kernel $KREL"
	mkdir -p "$WORK/debs"
	local pkgs=("linux-image-$KREL:ppc64el" busybox-static:ppc64el trace-cmd:ppc64el
		libtraceevent1:ppc64el libtracefs1:ppc64el libzstd1:ppc64el libc6:ppc64el coreutils:ppc64el) p name
	for p in "${pkgs[@]}"; do
		name=${p%:ppc64el}
		if ! ls "$WORK/debs/${name}_"*_ppc64el.deb > /dev/null 2>&1; then
			# into a scratch dir first, so that an interrupted download leaves no partial .deb
			rm -rf "$WORK/debs/partial"
			mkdir -p "$WORK/debs/partial"
			(cd "$WORK/debs/partial" && apt-get download "$p")
			mv "$WORK/debs/partial/"*.deb "$WORK/debs/"
			rmdir "$WORK/debs/partial"
		fi
	done
	# one root holds the user-space packages and every kernel flavour used (each kernel has its
	# own /boot/vmlinux-KREL and /lib/modules/KREL)
	local d
	mkdir -p "$WORK/root"
	for d in "$WORK"/debs/*.deb; do
		case "$d" in */linux-image-*) case "$d" in */linux-image-${KREL}_*) ;; *) continue ;; esac ;; esac
		if [ ! -e "$WORK/root/.unpacked-${d##*/}" ]; then
			dpkg -x "$d" "$WORK/root"
			touch "$WORK/root/.unpacked-${d##*/}"
		fi
	done
	KERNEL=$WORK/root/boot/vmlinux-$KREL
	[ -f "$KERNEL" ] || { say "missing $KERNEL"; exit 1; }
}

# ---------------------------------------------------------------- 3. initramfs
build_initramfs() {
	local R=$WORK/root ir=$WORK/initramfs m f moddir
	rm -rf "$ir"
	mkdir -p "$ir"/{bin,sbin,usr/bin,usr/sbin,lib64,lib/powerpc64le-linux-gnu,usr/lib/powerpc64le-linux-gnu,proc,sys,dev,tmp,results,etc}
	cp "$R/bin/busybox" "$ir/bin/busybox"
	ln -s busybox "$ir/bin/sh"
	# trace-cmd and its shared libraries (loader /lib64/ld64.so.2)
	cp "$R/usr/bin/trace-cmd" "$ir/usr/bin/"
	# coreutils dd (needs libc only): its buffers are page-aligned for any block size (see
	# pick_dd in guest-init.sh)
	cp "$R/bin/dd" "$ir/usr/bin/coreutils-dd"
	cp -a "$R"/usr/lib/powerpc64le-linux-gnu/lib{traceevent,tracefs,zstd}.so* "$ir/usr/lib/powerpc64le-linux-gnu/"
	cp -a "$R"/lib/powerpc64le-linux-gnu/{ld64.so.2,libc.so.6,libm.so.6,libpthread.so.0,libdl.so.2,librt.so.1} \
		"$ir/lib/powerpc64le-linux-gnu/"
	cp -a "$R"/lib64/ld64.so.2 "$ir/lib64/"
	# modules, decompressed
	moddir=lib/modules/$KREL
	for m in failover net_failover virtio_net virtio_blk nvme-auth nvme-keyring nvme-core nvme; do
		f=$(find "$R/$moddir/kernel" -name "$m.ko.xz" | head -n 1)
		[ -n "$f" ] || { say "module $m not in the kernel package"; exit 1; }
		f=${f#"$R"/}
		mkdir -p "$ir/$(dirname "$f")"
		xz -dc "$R/$f" > "$ir/${f%.xz}"
	done
	cp "$HERE/guest-init.sh" "$ir/init"
	chmod 755 "$ir/init"
	(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$WORK/initramfs.cpio"
	say "initramfs $(du -h "$WORK/initramfs.cpio" | cut -f1)"
}

# ---------------------------------------------------------------- 4. QEMU run
# quote_words WORD...: one line, words quoted for a POSIX shell only where needed
quote_words() {
	local w out=
	for w in "$@"; do
		if [[ $w =~ ^[A-Za-z0-9_,.=:/+@%-]+$ ]]; then
			out+=" $w"
		else
			out+=" '${w//\'/\'\\\'\'}'"
		fi
	done
	echo "${out# }"
}

# Host load. The guest's clock under TCG is the host's, so the host's CPU use can be lined up
# with the guest's phases: a sampler writes "HOST_TIME BUSY_TICKS TOTAL_TICKS QEMU_TICKS" every
# 0.2 s (/proc/stat: all CPUs; /proc/PID/stat: QEMU's utime+stime), and the console lines
# "init: phase=NAME" that /init prints right after writing a marker are stamped with the host
# time when they arrive, which gives the offset between the two clocks.
CLK_TCK=$(getconf CLK_TCK)

# cpu_ticks: "BUSY TOTAL" ticks of all CPUs so far
cpu_ticks() {
	local u n s i w q sq st rest
	read -r _ u n s i w q sq st rest < /proc/stat
	echo "$((u + n + s + q + sq + st)) $((u + n + s + i + w + q + sq + st))"
}

# wait_quiet MAXSECONDS: wait until the host is quiet (QUIET_CPUS), at most MAXSECONDS;
# writes "WAITED_S BUSY_CPUS" to $OUT/quiet-wait
wait_quiet() {
	local max=$1 t0=$SECONDS a b busy
	while :; do
		a=$(cpu_ticks)
		sleep 2
		b=$(cpu_ticks)
		busy=$(awk -v a="$a" -v b="$b" -v hz="$CLK_TCK" 'BEGIN{split(a, x, " "); split(b, y, " ");
			printf "%.2f", (y[1] - x[1]) / hz / 2}')
		if awk -v b="$busy" -v q="$QUIET_CPUS" 'BEGIN{exit !(b < q)}' || [ $((SECONDS - t0)) -ge "$max" ]; then
			break
		fi
	done
	echo "$((SECONDS - t0)) $busy" > "$OUT/quiet-wait"
	say "host quiet wait: $((SECONDS - t0)) s, busy CPUs $busy"
}

# host_sampler PID FILE THREADS: sample until PID exits, every 0.2 s, without forking (a fork
# per sample would itself take CPU from QEMU). FILE: "HOST_TIME BUSY_TICKS TOTAL_TICKS QEMU_TICKS
# STEAL_TICKS" (/proc/stat, all CPUs; QEMU's utime+stime). THREADS: one line per QEMU thread and
# sample, "HOST_TIME TID POLICY RTPRIO RUN_NS WAIT_NS SLICES COMM" (/proc/PID/task/TID/stat and
# schedstat: CPU time, and time spent runnable on a run queue without a CPU; spaces in COMM
# become _). With QEMU_RT the sampler runs as SCHED_FIFO SAMPLER_RT (above QEMU).
host_sampler() {
	local pid=$1 st sched comm task t u n s i w q sq stl _rest
	if [ -n "$SAMPLER_RT" ]; then chrt -f -p "$SAMPLER_RT" "$BASHPID" > /dev/null || true; fi
	while [ -d "/proc/$pid" ]; do
		t=$EPOCHREALTIME
		read -r _ u n s i w q sq stl _rest < /proc/stat
		read -r st 2> /dev/null < "/proc/$pid/stat" || break
		st=${st##*) }
		# shellcheck disable=SC2086 # split the fields after "(comm) "
		set -- $st
		echo "$t $((u + n + s + q + sq + stl)) $((u + n + s + i + w + q + sq + stl)) $((${12} + ${13})) $stl" >&3
		for task in "/proc/$pid/task/"*; do
			read -r st 2> /dev/null < "$task/stat" || continue
			read -r sched 2> /dev/null < "$task/schedstat" || continue
			read -r comm 2> /dev/null < "$task/comm" || continue
			st=${st##*) }
			# shellcheck disable=SC2086
			set -- $st
			echo "$t ${task##*/} ${39} ${38} $sched ${comm// /_}" >&4
		done
		sleep 0.2
	done 3> "$2" 4> "$3"
}

# stamp_lines FILE: copy stdin to stdout; "init: phase=..." and "init: phase-end=..." lines
# also go to FILE, after the host time at which they arrived
stamp_lines() {
	local line
	if [ -n "$SAMPLER_RT" ]; then chrt -f -p "$SAMPLER_RT" "$BASHPID" > /dev/null || true; fi
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s\n' "$line"
		case "$line" in
		*"init: phase="* | *"init: phase-end="*) printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}" >> "$1" ;;
		esac
	done
}

run_qemu() {
	local img=$WORK/img cmdline maxmem=",slots=4,maxmem=4G"
	local -a qemu_extra=()
	mkdir -p "$img"
	rm -f "$img"/{vblk,nvme,carrier}.raw
	if [ "$WORKLOAD" = phases ]; then
		# the phases read what was never written in the guest: make the test disks real data
		# (allocated blocks), not holes
		dd if=/dev/zero of="$img/vblk.raw" bs=1M count=128 status=none
		dd if=/dev/zero of="$img/nvme.raw" bs=1M count=128 status=none
	else
		truncate -s 128M "$img/vblk.raw"
		truncate -s 128M "$img/nvme.raw"
	fi
	truncate -s 1G "$img/carrier.raw"

	cmdline="console=hvc0 rdinit=/init panic=1"
	if [ "$VARIANT" = multitce-off ]; then
		# with multitce=off the boot-time clear of the TCE tables is ~330k H_PUT_TCE (~650k
		# events): more than the 4 MiB boot buffer holds, and a bigger trace_buf_size fails to
		# allocate this early. So hcall events are switched on by /init, after the buffer grows.
		cmdline+=" trace_event=dma:*,swiotlb:* iommusim.late_events=powerpc:hcall_entry,powerpc:hcall_exit"
	else
		cmdline+=" trace_event=dma:*,swiotlb:*,powerpc:hcall_entry,powerpc:hcall_exit"
	fi
	cmdline+=" trace_clock=global trace_buf_size=$BOOT_BUF"
	case "$BASE" in
	ddw) ;;
	noddw)
		qemu_extra+=(-global spapr-pci-host-bridge.ddw=off)
		cmdline+=" disable_ddw"
		;;
	swiotlb) cmdline+=" swiotlb=force" ;;
	multitce-off)
		qemu_extra+=(-global spapr-pci-host-bridge.ddw=off)
		cmdline+=" disable_ddw multitce=off"
		;;
	ddw-nomaxmem) maxmem= ;;
	esac
	[ "$WORKLOAD" = phases ] && cmdline+=" iommusim.workload=phases"
	[ -n "$GUEST_OPTS" ] && cmdline+=" $GUEST_OPTS"
	# thread names ("CPU 0/TCG", ...) for the per-thread CPU use in the .meta
	# shellcheck disable=SC2054 # commas are QEMU option syntax
	[ "$QEMU_RT" = 1 ] && qemu_extra+=(-name pseries,debug-threads=on)

	# shellcheck disable=SC2054 # commas are QEMU option syntax
	QEMU=(qemu-system-ppc64 -M pseries,usb=off -cpu POWER9 -smp 2 -m "2G$maxmem"
		-nographic -vga none -no-reboot -nic none
		-kernel "$KERNEL" -initrd "$WORK/initramfs.cpio" -append "$cmdline"
		"${qemu_extra[@]}"
		-drive "file=$img/vblk.raw,format=raw,if=none,id=d0,cache=unsafe"
		-device "virtio-blk-pci,drive=d0,serial=vblk,iommu_platform=on,disable-legacy=on,romfile="
		-drive "file=$img/nvme.raw,format=raw,if=none,id=d1,cache=unsafe"
		-device "nvme,drive=d1,serial=nvme0"
		-netdev hubport,id=n0,hubid=0 -netdev hubport,id=n1,hubid=0
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:12:00:01,iommu_platform=on,disable-legacy=on,romfile="
		-device "virtio-net-pci,netdev=n1,mac=52:54:00:12:00:02,iommu_platform=on,disable-legacy=on,romfile="
		-drive "file=$img/carrier.raw,format=raw,if=none,id=d2,cache=unsafe"
		-device "virtio-blk-pci,drive=d2,serial=carrier")

	rm -rf "$OUT"
	mkdir -p "$OUT"
	echo "$VARIANT" > "$OUT/variant"
	qemu-system-ppc64 --version | head -n 1 > "$OUT/qemu-version.txt"
	quote_words "${QEMU[@]}" > "$OUT/qemu-cmdline.txt"
	local -a sched
	if [ "$QEMU_RT" = 1 ]; then
		sched=(chrt -f "$QEMU_RT_PRIO")
		echo "SCHED_FIFO priority $QEMU_RT_PRIO (chrt -f $QEMU_RT_PRIO), QEMU and every thread it starts;" \
			"host sampler and console stamper SCHED_FIFO $SAMPLER_RT; $RT_LIMIT; timeout $QEMU_TIMEOUT s" > "$OUT/qemu-sched"
	else
		sched=(nice -n "$QEMU_NICE")
		echo "$QEMU_NICE" > "$OUT/qemu-nice"
		echo "SCHED_OTHER nice $QEMU_NICE (nice -n $QEMU_NICE); timeout $QEMU_TIMEOUT s" > "$OUT/qemu-sched"
	fi
	echo "$WORKLOAD" > "$OUT/workload"
	if [ "$QUIET_WAIT" -gt 0 ] || [ "$QEMU_RT" = 1 ]; then wait_quiet "$QUIET_WAIT"; fi
	date -u +%Y-%m-%dT%H:%M:%SZ > "$OUT/recorded"
	cut -d' ' -f1-3 /proc/loadavg > "$OUT/loadavg-before"
	say "running QEMU ($NAME, ${sched[*]}), console in $OUT/console.log"
	local t0=$SECONDS rc=0 qpid tpid=
	: > "$OUT/console-times.txt"
	timeout -k 10 "$QEMU_TIMEOUT" "${sched[@]}" "${QEMU[@]}" < /dev/null 2>&1 |
		stamp_lines "$OUT/console-times.txt" > "$OUT/console.log" &
	qpid=$!
	# the sampler follows QEMU: the child of the pipeline's timeout, a child of this shell
	local qemu_pid="" _
	for _ in $(seq 50); do
		[ -n "$tpid" ] || tpid=$(pgrep -P "$$" -x timeout | head -n 1 || true)
		[ -n "$tpid" ] && qemu_pid=$(pgrep -P "$tpid" | head -n 1 || true)
		[ -n "$qemu_pid" ] && break
		sleep 0.1
	done
	QEMU_PID=$qemu_pid
	if [ -n "$qemu_pid" ]; then
		host_sampler "$qemu_pid" "$OUT/host-samples.txt" "$OUT/host-threads.txt" &
	else
		say "cannot find the QEMU process: no host samples"
	fi
	wait "$qpid" || rc=$?
	wait
	QEMU_PID=
	say "QEMU exited rc=$rc after $((SECONDS - t0)) s"
	echo "$((SECONDS - t0))" > "$OUT/wall-seconds"
	cut -d' ' -f1-3 /proc/loadavg > "$OUT/loadavg-after"

	tar -xf "$img/carrier.raw" -C "$OUT"
	if [ ! -f "$OUT/DONE" ]; then
		say "no results on the carrier disk; see $OUT/console.log"
		exit 1
	fi
	rm -f "$OUT/DONE"
}

# ---------------------------------------------------------------- 5. host-side checks, metadata
HCALL_NAMES='4 H_REMOVE
8 H_ENTER
24 H_READ
28 H_GET_TCE
32 H_PUT_TCE
60 H_LOGICAL_CI_LOAD
64 H_LOGICAL_CI_STORE
84 H_GET_TERM_CHAR
88 H_PUT_TERM_CHAR
100 H_EOI
104 H_CPPR
108 H_IPI
112 H_IPOLL
116 H_XIRR
220 H_REGISTER_VPA
224 H_CEDE
228 H_CONFER
232 H_PROD
292 H_BULK_REMOVE
312 H_STUFF_TCE
316 H_PUT_TCE_INDIRECT
456 H_GET_CPU_CHARACTERISTICS
764 H_XIRR_X
768 H_RANDOM
796 H_SET_MODE
892 H_REGISTER_PROC_TBL
936 H_INT_GET_SOURCE_INFO
940 H_INT_SET_SOURCE_CONFIG
944 H_INT_GET_SOURCE_CONFIG
948 H_INT_GET_QUEUE_INFO
952 H_INT_SET_QUEUE_CONFIG
956 H_INT_GET_QUEUE_CONFIG
960 H_INT_SET_OS_REPORTING_LINE
964 H_INT_GET_OS_REPORTING_LINE
968 H_INT_ESB
972 H_INT_SYNC
976 H_INT_RESET
61440 H_RTAS
61568 H_GET_PERF_COUNTER_INFO'

# events FILE: one line "CPU TIMESTAMP EVENT [opcode=N]" per event of a `cat trace` or
# `trace-cmd report` text (trace_marker writes are called "print" by trace-cmd report)
events() {
	awk '
	!/^#/ && match($0, /\[[0-9]+\] +([^ ]+ +)?[0-9]+\.[0-9]+: [a-z_0-9]+:/) {
		s = substr($0, RSTART, RLENGTH)
		n = split(s, f, / +/)
		cpu = f[1]; gsub(/[^0-9]/, "", cpu)
		ts = f[n - 1]; sub(/:$/, "", ts)
		ev = f[n]; sub(/:$/, "", ev)
		if (ev == "print") ev = "tracing_mark_write"
		extra = ""
		if (ev ~ /^hcall_/ && match($0, /opcode=[0-9]+/)) extra = " " substr($0, RSTART, RLENGTH)
		print cpu + 0, ts, ev extra
	}' "$1"
}

# phase_summary FILE: for each phase between "iommusim phase=NAME" and "iommusim phase-end=NAME"
# markers of a `cat trace` text: its end timestamp, duration, events by name, hcall_entry by opcode,
# the time spent between hcall_entry and hcall_exit (paired per CPU), and the CPUs of the markers
# and of the maps. Phases are reported in the order they started.
phase_summary() {
	awk '
	!/^#/ && match($0, /\[[0-9]+\] +([^ ]+ +)?[0-9]+\.[0-9]+: [a-z_0-9]+:/) {
		s = substr($0, RSTART, RLENGTH)
		n = split(s, f, / +/)
		cpu = f[1]; gsub(/[^0-9]/, "", cpu); cpu += 0
		ts = f[n - 1]; sub(/:$/, "", ts)
		ev = f[n]; sub(/:$/, "", ev)
		if (ev == "tracing_mark_write") {
			if (match($0, /iommusim phase=[^ ]+/)) {
				p = substr($0, RSTART + 15, RLENGTH - 15)
				if (!(p in start)) order[++np] = p
				start[p] = ts; scpu[p] = cpu; open[p] = 1
			} else if (match($0, /iommusim phase-end=[^ ]+/)) {
				p = substr($0, RSTART + 19, RLENGTH - 19)
				if (p in open) { end[p] = ts; ecpu[p] = cpu; delete open[p] }
			}
			next
		}
		if (ev == "hcall_entry") {
			op = "?"
			if (match($0, /opcode=[0-9]+/)) op = substr($0, RSTART + 7, RLENGTH - 7)
			hent[cpu] = ts
		}
		for (p in open) {
			cnt[p, ev]++
			if (!((p, ev) in seen)) { seen[p, ev] = 1; evs[p] = evs[p] " " ev }
			if (ev == "dma_map_page" || ev == "dma_map_sg") mapcpu[p, cpu]++
			if (ev == "hcall_entry") {
				if (op == 32 || op == 312 || op == 316) hop[p, op]++; else hop[p, "other"]++
			}
			if (ev == "hcall_exit" && (cpu in hent)) hsec[p] += ts - hent[cpu]
		}
	}
	END {
		for (i = 1; i <= np; i++) {
			p = order[i]
			if (!(p in end)) continue
			printf "phase-end %s: %s\n", p, end[p]
			printf "phase-duration %s: %.6f\n", p, end[p] - start[p]
			m = split(evs[p], e, " "); line = ""
			for (j = 1; j <= m; j++) line = line sprintf(" %s=%d", e[j], cnt[p, e[j]])
			printf "phase-events %s:%s\n", p, line == "" ? " none" : line
			printf "phase-hcalls %s: 32=%d 312=%d 316=%d other=%d entry-to-exit-seconds=%.6f\n", p,
				hop[p, 32], hop[p, 312], hop[p, 316], hop[p, "other"], hsec[p]
			printf "phase-cpus %s: start-marker=cpu%d end-marker=cpu%d maps cpu0=%d cpu1=%d\n", p,
				scpu[p], ecpu[p], mapcpu[p, 0], mapcpu[p, 1]
		}
	}' "$1"
}

# host_summary: line up the host samples with the guest's phases (see host_sampler) and print,
# per phase, how many host CPUs QEMU and everything else used on average during it, and the CPU
# time QEMU used in it (ticks of CLK_TCK, interpolated between 0.2 s samples). Under TCG the
# guest's timebase runs on the host's clock, so the two differ by a constant offset. Each console
# line that /init prints after a marker (boot-done, every phase end, end) gives host time minus
# marker time = offset + the line's delay (which is >= 0: it is printed after the marker and
# can wait for a CPU on a busy host), so the offset is the smallest of them; the largest minus
# the smallest says how late the lines came.
# Where the sampler also read the steal ticks and QEMU's threads (host-threads.txt), it adds
# steal-cpus (time the host's own hypervisor ran something else: counted in other-cpus too),
# qemu-wait-seconds (summed over QEMU's threads: time runnable but waiting for a CPU), the
# scheduling policy of every thread seen, and per phase each thread's CPU and wait seconds
# (threads of the same name summed: "worker" is QEMU's thread pool).
host_summary() {
	[ -s "$OUT/host-samples.txt" ] || { echo "host samples: none"; return 0; }
	grep -h 'tracing_mark_write: iommusim phase' "$OUT/trace.txt" |
		awk -v hz="$CLK_TCK" -v samples="$OUT/host-samples.txt" -v sync="$OUT/console-times.txt" \
			-v threads="$OUT/host-threads.txt" '
		function at(t, col,   i, f) {    # cumulative counter col, interpolated at host time t
			if (t <= st[1]) return sv[1, col]
			for (i = 2; i <= ns; i++)
				if (st[i] >= t) {
					f = (t - st[i - 1]) / (st[i] - st[i - 1])
					return sv[i - 1, col] + f * (sv[i, col] - sv[i - 1, col])
				}
			return sv[ns, col]
		}
		# counter col (1 run ns, 2 wait ns) of thread k, interpolated at host time t; 0 before a
		# thread that appeared after the first sample was seen, its last value after it ended
		function tat(k, t, col,   i, f) {
			if (t <= tt[k, 1]) return tt[k, 1] > st[1] + 0.001 ? 0 : tv[k, 1, col]
			for (i = 2; i <= tn[k]; i++)
				if (tt[k, i] >= t) {
					f = (t - tt[k, i - 1]) / (tt[k, i] - tt[k, i - 1])
					return tv[k, i - 1, col] + f * (tv[k, i, col] - tv[k, i - 1, col])
				}
			return tv[k, tn[k], col]
		}
		function qwait(a, b,   k, w) {
			w = 0
			for (k = 1; k <= ntid; k++) w += tat(k, b, 2) - tat(k, a, 2)
			return w / 1e9
		}
		function use(a, b, what,   d, busy, q, r) {
			d = b - a
			if (d <= 0) return "n/a"
			busy = (at(b, 2) - at(a, 2)) / hz / d
			q = (at(b, 4) - at(a, 4)) / hz / d
			r = sprintf("qemu-cpus=%.2f other-cpus=%.2f qemu-cpu-seconds=%.3f", q, busy - q < 0 ? 0 : busy - q,
				(at(b, 4) - at(a, 4)) / hz)
			if (steal) r = r sprintf(" steal-cpus=%.2f", (at(b, 5) - at(a, 5)) / hz / d)
			if (ntid) r = r sprintf(" qemu-wait-seconds=%.3f", qwait(a, b))
			return r
		}
		# per thread name: CPU seconds and run-queue wait seconds between host times a and b
		function per_thread(a, b,   k, nm, i, line, nn, run, wt, cnt, names, r0, w0) {
			nn = 0
			for (k = 1; k <= ntid; k++) {
				nm = tname[k]
				if (!(nm in run)) { names[++nn] = nm; cnt[nm] = 0 }
				r0 = tat(k, b, 1) - tat(k, a, 1); w0 = tat(k, b, 2) - tat(k, a, 2)
				run[nm] += r0; wt[nm] += w0
				if (r0 > 0 || w0 > 0 || (tt[k, 1] <= b && tt[k, tn[k]] >= a)) cnt[nm]++
			}
			line = ""
			for (i = 1; i <= nn; i++) {
				nm = names[i]
				line = line sprintf(" %s%s:cpu=%.3f,wait=%.3f", nm, cnt[nm] > 1 ? "(" cnt[nm] ")" : "", run[nm] / 1e9, wt[nm] / 1e9)
			}
			return line
		}
		BEGIN {
			while ((getline l < samples) > 0) { n = split(l, x, " "); if (n < 4) continue
				ns++; st[ns] = x[1]; for (c = 2; c <= 4; c++) sv[ns, c] = x[c]
				if (n >= 5) { steal = 1; sv[ns, 5] = x[5] } }
			pol[0] = "OTHER"; pol[1] = "FIFO"; pol[2] = "RR"; pol[3] = "BATCH"; pol[5] = "IDLE"; pol[6] = "DEADLINE"
			while ((getline l < threads) > 0) { n = split(l, x, " "); if (n < 8) continue
				if (!(x[2] in tid)) { tid[x[2]] = ++ntid; tname[ntid] = x[8] }
				k = tid[x[2]]; i = ++tn[k]; tt[k, i] = x[1]; tv[k, i, 1] = x[5]; tv[k, i, 2] = x[6]
				ps = ((x[3] in pol) ? pol[x[3]] : "policy" x[3]) (x[3] == 1 || x[3] == 2 ? "/" x[4] : "")
				if (!((ps) in pseen)) { pseen[ps] = 1; porder[++npol] = ps }
				pcount[ps, x[2]] = 1; tpol[k] = ps
			}
			while ((getline l < sync) > 0) {
				split(l, x, " ")
				if (match(l, /init: phase=[^ ]+/)) { k = "s " substr(l, RSTART + 12, RLENGTH - 12) }
				else if (match(l, /init: phase-end=[^ ]+/)) { k = "e " substr(l, RSTART + 16, RLENGTH - 16) }
				else continue
				if (!(k in hsync)) hsync[k] = x[1]
			}
		}
		{
			for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = $i; sub(/:$/, "", ts) }
			if (match($0, /iommusim phase=[^ ]+/)) { p = substr($0, RSTART + 15, RLENGTH - 15)
				if (!(p in gs)) { gs[p] = ts; order[++np] = p; gm["s " p] = ts } }
			else if (match($0, /iommusim phase-end=[^ ]+/)) { p = substr($0, RSTART + 19, RLENGTH - 19); ge[p] = ts
				gm["e " p] = ts }
		}
		END {
			if (ns < 2) { print "host samples: too few"; exit }
			n = 0
			for (k in hsync) if (k in gm) {
				o = hsync[k] - gm[k]; n++
				if (n == 1 || o < omin) omin = o
				if (n == 1 || o > omax) omax = o
			}
			if (n == 0) { print "host clock sync: no console line of a marker: no per-phase host CPU use"; exit }
			printf "host clock sync: offset %.6f s (host minus guest, smallest of %d marker console lines; the latest came %.3f s later)\n",
				omin, n, omax - omin
			printf "host run: %s (%d samples, %.1f s)\n", use(st[1], st[ns]), ns, st[ns] - st[1]
			if (ntid) {
				line = ""
				for (i = 1; i <= npol; i++) {
					c = 0; for (t in tid) if ((porder[i], t) in pcount) c++
					line = line sprintf("%s %s (%d thread%s)", i > 1 ? "," : "", porder[i], c, c > 1 ? "s" : "")
				}
				printf "qemu threads: %d seen; scheduling policy/priority seen:%s\n", ntid, line
				printf "qemu thread time (whole run):%s\n", per_thread(st[1], st[ns])
			}
			if (("boot-done" in gs) && ("end" in gs))
				printf "host after boot: %s\n", use(gs["boot-done"] + omin, gs["end"] + omin)
			for (i = 1; i <= np; i++) {
				p = order[i]
				if (!(p in ge)) continue
				printf "phase-host %s: %s\n", p, use(gs[p] + omin, ge[p] + omin)
				if (ntid) printf "phase-threads %s:%s\n", p, per_thread(gs[p] + omin, ge[p] + omin)
			}
		}'
}

post_process() {
	local name=$NAME meta dat_check="no trace.dat" f rtflag=
	[ "$QEMU_RT" = 1 ] && rtflag="--rt "
	events "$OUT/trace.txt" > "$OUT/events-text.txt"
	if [ -s "$OUT/trace.dat" ]; then
		if trace-cmd convert --file-version 6 --compression none -i "$OUT/trace.dat" \
			-o "$OUT/trace-v6.dat" > "$OUT/convert.log" 2>&1; then
			say "trace-v6.dat written"
		else
			say "trace-cmd convert failed (see convert.log)"
		fi
		trace-cmd report -i "$OUT/trace.dat" > "$OUT/report.txt" 2> "$OUT/report.err" || true
		events "$OUT/report.txt" > "$OUT/events-dat.txt"
		if cmp -s <(sort "$OUT/events-text.txt") <(sort "$OUT/events-dat.txt"); then
			dat_check="identical: same $(wc -l < "$OUT/events-text.txt") events (cpu, timestamp, name, hcall opcode) in trace.txt and trace-cmd report of trace.dat"
		else
			dat_check="DIFFERENT: trace.txt $(wc -l < "$OUT/events-text.txt") events, trace.dat $(wc -l < "$OUT/events-dat.txt") events"
		fi
		say "trace.dat vs trace.txt: $dat_check"
	fi

	meta=$OUT/$name.meta
	{
		echo "# $name: real trace from an unmodified Debian ppc64le kernel under qemu-system-ppc64 -M pseries (TCG)"
		if [ "$REPEAT" -gt 0 ]; then
			echo "# made by traces/capture/pseries-capture.sh ${rtflag}--repeat $REPEAT $VARIANT (run $RUN of $REPEAT)"
		else
			echo "# made by traces/capture/pseries-capture.sh ${rtflag}$VARIANT"
		fi
		echo "variant: $VARIANT"
		[ "$REPEAT" -gt 0 ] && echo "run: $RUN of $REPEAT"
		echo "workload: $(cat "$OUT/workload" 2> /dev/null || echo classic)"
		[ -f "$OUT/dd-used" ] && echo "guest dd: $(cat "$OUT/dd-used")"
		echo "recorded: $(cat "$OUT/recorded" 2> /dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "host: $(uname -sr) $(uname -m)"
		echo "kernel release: $(cat "$OUT/uname-r")"
		echo "kernel uname: $(cat "$OUT/uname-a")"
		echo "kernel package: linux-image-$KREL $(dpkg-deb -f "$WORK"/debs/linux-image-"${KREL}"_*_ppc64el.deb Version 2> /dev/null || echo '?')"
		echo "qemu version: $(cat "$OUT/qemu-version.txt")"
		echo "qemu command: $(cat "$OUT/qemu-cmdline.txt")"
		echo "kernel cmdline: $(cat "$OUT/cmdline")"
		echo "wall seconds: $(cat "$OUT/wall-seconds")"
		[ -f "$OUT/qemu-nice" ] && echo "qemu nice: $(cat "$OUT/qemu-nice")"
		[ -f "$OUT/qemu-sched" ] && echo "qemu scheduling: $(cat "$OUT/qemu-sched")"
		[ -f "$OUT/loadavg-before" ] && echo "host loadavg before: $(cat "$OUT/loadavg-before")"
		[ -f "$OUT/loadavg-after" ] && echo "host loadavg after: $(cat "$OUT/loadavg-after")"
		[ -f "$OUT/quiet-wait" ] && echo "host quiet wait: $(awk '{printf "%s s, busy CPUs %s in the 2 s before the start", $1, $2}' "$OUT/quiet-wait")"
		host_summary
		echo "buffer_size_kb: $(cat "$OUT/buffer_size_kb")"
		awk '/^== /{c=$2} /^(entries|overrun|commit overrun|dropped events|read events):/{
			k=$0; sub(/:.*/, "", k); v=$NF; printf "ring %s %s: %s\n", c, k, v}' "$OUT/ring-stats.txt"
		echo "ring overrun total: $(awk '/^overrun:/{s+=$2} END{print s+0}' "$OUT/ring-stats.txt")"
		echo "ring dropped total: $(awk '/^dropped events:/{s+=$3} END{print s+0}' "$OUT/ring-stats.txt")"
		if ls "$OUT"/swiotlb/* > /dev/null 2>&1; then
			for f in "$OUT"/swiotlb/*; do
				echo "swiotlb ${f##*/}: $(tr '\n' ' ' < "$f" | sed 's/ $//')"
			done
		else
			echo "swiotlb: no /sys/kernel/debug/swiotlb counters (no default pool allocated)"
		fi
		grep -hE 'ibm,(query|create|remove)-pe-dma-window|ddw|DDW' "$OUT/dmesg.txt" | sed 's/^/dmesg: /' || true
		echo "net tx_packets: $(cat "$OUT/net-tx-packets" 2> /dev/null || echo '?')"
		echo "net rx_packets: $(cat "$OUT/net-rx-packets" 2> /dev/null || echo '?')"
		sed 's/^/pci: /' "$OUT/pci.txt"
		echo "events total: $(wc -l < "$OUT/events-text.txt")"
		awk '{print $3}' "$OUT/events-text.txt" | sort | uniq -c | sort -rn | awk '{printf "events %s: %d\n", $2, $1}'
		awk '$3 == "hcall_entry" {sub(/opcode=/, "", $4); print $4}' "$OUT/events-text.txt" | sort -n | uniq -c |
			awk -v names="$HCALL_NAMES" 'BEGIN{n=split(names, l, "\n"); for(i=1;i<=n;i++){split(l[i], p, " "); nm[p[1]]=p[2]}}
			{printf "hcall_entry opcode %d (0x%x %s): %d\n", $2, $2, ($2 in nm) ? nm[$2] : "?", $1}'
		grep -vh '^#' "$OUT/trace.txt" | grep -oE '(dma_[a-z_]+|swiotlb_bounced): (dev_name: )?[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9]' |
			sed 's/dev_name: //' | sort | uniq -c | awk '{printf "events %s %s: %d\n", $2, $3, $1}' | sed 's/: \([0-9a-f]*:\)/ \1/' || true
		grep -h 'hcall_exit' "$OUT/trace.txt" | grep -v 'retval=0$' | grep -oE 'opcode=[0-9]+ retval=-?[0-9]+' | sort | uniq -c |
			awk '{printf "hcall_exit nonzero %s %s: %d\n", $2, $3, $1}' || true
		grep -h 'tracing_mark_write: iommusim phase=' "$OUT/trace.txt" |
			awk '{for(i=1;i<=NF;i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) ts=$i; sub(/:$/, "", ts); p=$NF; sub(/phase=/, "", p); printf "phase %s: %s\n", p, ts}' || true
		phase_summary "$OUT/trace.txt"
		if [ -s "$OUT/trace.dat" ]; then
			echo "trace.dat: $(trace-cmd dump --summary -i "$OUT/trace.dat" 2> /dev/null |
				awk '/\[Version\]/{v=$1} /\[Compression algorithm\]/{c=$1} END{printf "file version %s, compression %s", v, c}')"
			echo "trace.dat check: $dat_check"
			echo "trace.dat extract: $(tail -n 3 "$OUT/extract.log" 2> /dev/null | tr '\n' ' ')"
		fi
		if [ "$SHIP_DAT" = 1 ]; then
			echo "trace.dat shipped: yes ($name.dat.xz)"
		else
			echo "trace.dat shipped: no (SHIP_DAT=0: made and checked in the run, only the text is kept)"
		fi
	} > "$meta"

	xz -9 -T1 -c "$OUT/trace.txt" > "$OUT/$name.txt.xz"
	rm -f "$OUT/$name.dat.xz"
	if [ "$SHIP_DAT" = 1 ] && [ -s "$OUT/trace.dat" ]; then
		xz -9 -T1 -c "$OUT/trace.dat" > "$OUT/$name.dat.xz"
	fi
	for f in "$OUT/$name".*; do
		echo "file ${f##*/}: $(stat -c %s "$f") bytes" >&2
	done
	grep -E '^(ring overrun total|ring dropped total|events total|hcall_entry opcode (32|312|316) |phase-duration )' "$meta" >&2 || true
	if [ "$(awk -F': ' '/^ring (overrun|dropped) total:/{s+=$2} END{print s+0}' "$meta")" != 0 ]; then
		say "WARNING: $name lost events (ring overruns or dropped events; see $meta)"
	fi
	if [ -n "${DEST:-}" ]; then
		mkdir -p "$DEST"
		cp "$OUT/$name.txt.xz" "$meta" "$DEST/"
		[ -s "$OUT/$name.dat.xz" ] && cp "$OUT/$name.dat.xz" "$DEST/"
		say "copied $name.{txt.xz,meta$([ -s "$OUT/$name.dat.xz" ] && echo ,dat.xz)} to $DEST"
	fi
	say "results in $OUT"
}

# libtracefs (used by the host's trace-cmd report/convert/dump) mounts tracefs and debugfs on
# its own when they are not mounted: undo that at exit
is_mnt() { awk -v m="$1" '$2 == m {f=1} END{exit !f}' /proc/mounts; }
HAD_TRACEFS=0
HAD_DEBUGFS=0
is_mnt /sys/kernel/tracing && HAD_TRACEFS=1
is_mnt /sys/kernel/debug && HAD_DEBUGFS=1
restore_mounts() {
	if [ $HAD_DEBUGFS = 0 ] && is_mnt /sys/kernel/debug; then umount /sys/kernel/debug || true; fi
	if [ $HAD_TRACEFS = 0 ] && is_mnt /sys/kernel/tracing; then umount /sys/kernel/tracing || true; fi
}
# a QEMU still running when this script ends (error, signal) is stopped with it
QEMU_PID=
on_exit() {
	if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2> /dev/null; then
		say "stopping QEMU (pid $QEMU_PID)"
		kill "$QEMU_PID" 2> /dev/null || true
	fi
	restore_mounts
}
trap on_exit EXIT
trap 'exit 130' INT TERM HUP

# repeat_spread: append the per-phase spread over runs 1..REPEAT to each run's .meta (replacing
# earlier spread lines), copy the metas to DEST again, print the table. A run whose output dir
# is not in this work folder (made on another machine, or the work folder was made anew) is
# taken from DEST/pseries-VARIANT-TAGk.meta if that exists, and its spread lines rewritten there
# (e.g. --repeat 12 with REPEAT_START=7 extends a set q1-q6 that DEST already holds).
repeat_spread() {
	local k metas=() m
	for k in $(seq 1 "$REPEAT"); do
		m=${CAPTURE_OUT:-$WORK/out/$VARIANT}-$REPEAT_TAG$k/pseries-$VARIANT-$REPEAT_TAG$k.meta
		if [ ! -f "$m" ] && [ -n "${DEST:-}" ]; then
			m=$DEST/pseries-$VARIANT-$REPEAT_TAG$k.meta
		fi
		[ -f "$m" ] && metas+=("$m")
	done
	[ ${#metas[@]} -gt 0 ] || return 0
	local lines
	lines=$("$HERE/phase-spread.sh" --meta "${metas[@]}")
	for m in "${metas[@]}"; do
		grep -v '^spread ' "$m" > "$m.tmp"
		printf '%s\n' "$lines" >> "$m.tmp"
		mv "$m.tmp" "$m"
		if [ -n "${DEST:-}" ] && [ "$(dirname "$m")" != "$DEST" ]; then cp "$m" "$DEST/"; fi
	done
	"$HERE/phase-spread.sh" --table "${metas[@]}" >&2
}

apt_setup
guest_packages
if [ "$REPEAT" -gt 0 ]; then
	[ "$POST_ONLY" = 1 ] || build_initramfs
	for RUN in $(seq "$REPEAT_START" "$REPEAT_STOP"); do
		NAME=pseries-$VARIANT-$REPEAT_TAG$RUN
		OUT=${CAPTURE_OUT:-$WORK/out/$VARIANT}-$REPEAT_TAG$RUN
		[ "$POST_ONLY" = 1 ] || run_qemu
		post_process
	done
	repeat_spread
	exit 0
fi
if [ "$POST_ONLY" = 1 ]; then
	post_process
	exit 0
fi
build_initramfs
run_qemu
post_process
