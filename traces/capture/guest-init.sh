#!/bin/sh
# guest-init.sh: /init of the ppc64le capture initramfs built by pseries-capture.sh.
#
# Runs inside an unmodified Debian ppc64le 6.12 kernel under qemu-system-ppc64 -M pseries.
# Tracing (dma:*, swiotlb:*, powerpc:hcall_entry/hcall_exit) is already on from the kernel
# command line (trace_event=..., trace_buf_size=4M). This script grows the ring buffer, loads
# the device modules, runs a small DMA workload on a virtio-blk disk, an emulated NVMe disk and
# a pair of virtio-net NICs, writes phase markers ("iommusim phase=NAME") to trace_marker,
# stops tracing, saves `cat trace`, the ring-buffer stats, swiotlb counters and a trace.dat
# (trace-cmd extract), and writes everything as a raw tar to the carrier disk (virtio-blk
# without iommu_platform, serial "carrier": it does not use the DMA API, so it does not show
# up in the trace). Then it powers off.
#
# Two workloads (iommusim.workload=NAME on the kernel command line):
#   classic (default) the mixed workload of the single-run traces: markers "iommusim phase=NAME"
#                     at the start of each group of dd runs (disk-write, disk-read, nvme, net, end)
#   phases            for repeated runs: one dd (or the ping burst) per phase, with a start marker
#                     "iommusim phase=NAME" written right before it and an end marker
#                     "iommusim phase-end=NAME" right after it exits (see run_phases below).
#                     "phase=boot-done" and "phase=end" stay point markers, as in classic.
#
# Disks are found by virtio serial (vblk = test disk, carrier = result disk); NICs by MAC
# (52:54:00:12:00:01 sends, 52:54:00:12:00:02 receives). Sizes can be tuned with
# iommusim.* options on the kernel command line (see "parameters" below).
#
# Busybox applets only (plus ppc64el trace-cmd under /usr/bin).

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export LD_LIBRARY_PATH=/lib/powerpc64le-linux-gnu:/usr/lib/powerpc64le-linux-gnu

/bin/busybox mkdir -p /proc /sys /dev /tmp /results /sbin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
mount -t debugfs nodev /sys/kernel/debug 2>/dev/null

T=/sys/kernel/tracing
R=/results
LOG=$R/init.log
: > $LOG

log() {
	echo "init: $*" | tee -a $LOG > /dev/console
}

mark() {
	echo "iommusim phase=$1" > $T/trace_marker
	log "phase=$1"
}

# run CMD... : run a workload command, log it and its exit status
run() {
	echo "+ $*" >> $LOG
	"$@" >> $LOG 2>&1
	rc=$?
	echo "  rc=$rc" >> $LOG
	return 0
}

# parameters (kernel command line: iommusim.NAME=VALUE)
BUF_KB=200000
SMALL_MB=4      # O_DIRECT 4 KiB-block transfer size per disk
LARGE_MB=4      # O_DIRECT 64 KiB and 1 MiB transfer size per disk
BUFFERED_MB=4   # buffered write+sync, then read after drop_caches
PINGS=300
PING_SIZE=1000
EXTRACT=1
LATE_EVENTS=
WORKLOAD=classic
# phases workload sizes (MiB per phase; 0 skips the phase)
BLK_READ_4K_MB=16
BLK_WRITE_4K_MB=4
BLK_READ_64K_MB=16
NVME_READ_4K_MB=4
NVME_READ_64K_MB=4
PHASE_GAP=0.2   # seconds of idle time after each end marker
DD=auto         # dd of the phases: busybox, coreutils (/usr/bin/coreutils-dd) or auto
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	iommusim.buf_kb=*) BUF_KB=${arg#*=} ;;
	iommusim.small_mb=*) SMALL_MB=${arg#*=} ;;
	iommusim.large_mb=*) LARGE_MB=${arg#*=} ;;
	iommusim.buffered_mb=*) BUFFERED_MB=${arg#*=} ;;
	iommusim.pings=*) PINGS=${arg#*=} ;;
	iommusim.ping_size=*) PING_SIZE=${arg#*=} ;;
	iommusim.extract=*) EXTRACT=${arg#*=} ;;
	iommusim.late_events=*) LATE_EVENTS=${arg#*=} ;;
	iommusim.workload=*) WORKLOAD=${arg#*=} ;;
	iommusim.blk_read_4k_mb=*) BLK_READ_4K_MB=${arg#*=} ;;
	iommusim.blk_write_4k_mb=*) BLK_WRITE_4K_MB=${arg#*=} ;;
	iommusim.blk_read_64k_mb=*) BLK_READ_64K_MB=${arg#*=} ;;
	iommusim.nvme_read_4k_mb=*) NVME_READ_4K_MB=${arg#*=} ;;
	iommusim.nvme_read_64k_mb=*) NVME_READ_64K_MB=${arg#*=} ;;
	iommusim.phase_gap=*) PHASE_GAP=${arg#*=} ;;
	iommusim.dd=*) DD=${arg#*=} ;;
	esac
done
log "params workload=$WORKLOAD late_events=$LATE_EVENTS buf_kb=$BUF_KB small_mb=$SMALL_MB large_mb=$LARGE_MB buffered_mb=$BUFFERED_MB pings=$PINGS ping_size=$PING_SIZE extract=$EXTRACT"
[ "$WORKLOAD" = phases ] && log "params phases blk_read_4k_mb=$BLK_READ_4K_MB blk_write_4k_mb=$BLK_WRITE_4K_MB blk_read_64k_mb=$BLK_READ_64K_MB nvme_read_4k_mb=$NVME_READ_4K_MB nvme_read_64k_mb=$NVME_READ_64K_MB pings=$PINGS ping_size=$PING_SIZE phase_gap=$PHASE_GAP"

# 1. grow the ring buffer (keeps what boot already recorded)
kb=$BUF_KB
while [ "$kb" -ge 4096 ]; do
	if echo $kb > $T/buffer_size_kb 2>/dev/null; then
		break
	fi
	kb=$((kb / 2))
done
log "buffer_size_kb=$(cat $T/buffer_size_kb) (asked $BUF_KB, set $kb)"
# events enabled only now (multitce-off: the boot-time H_PUT_TCE table clear would overflow
# the 4 MiB boot buffer); marked with "iommusim note=late-events-on"
if [ -n "$LATE_EVENTS" ]; then
	for e in $(echo "$LATE_EVENTS" | tr ',' ' '); do
		echo "$e" >> $T/set_event || log "cannot enable $e"
	done
	echo "iommusim note=late-events-on $LATE_EVENTS" > $T/trace_marker
	log "late events on: $LATE_EVENTS"
fi
grep -q . $T/tracing_on && log "tracing_on=$(cat $T/tracing_on) trace_clock=$(cat $T/trace_clock)"

# 2. modules (decompressed copies, dependency order)
M=/lib/modules/$(uname -r)
for m in failover net_failover virtio_net virtio_blk nvme-auth nvme-keyring nvme-core nvme; do
	f=$(find $M -name "$m.ko" | head -n 1)
	if [ -n "$f" ]; then
		insmod "$f" >> $LOG 2>&1 || log "insmod $m failed"
	else
		log "module $m not found"
	fi
done

# 3. wait for devices
disk_by_serial() {
	for d in /sys/block/vd*; do
		[ -e "$d/serial" ] || continue
		if [ "$(cat $d/serial)" = "$1" ]; then
			echo /dev/${d##*/}
			return
		fi
	done
}
nic_by_mac() {
	for n in /sys/class/net/*; do
		if [ "$(cat $n/address)" = "$1" ]; then
			echo ${n##*/}
			return
		fi
	done
}
i=0
while [ $i -lt 100 ]; do
	VBLK=$(disk_by_serial vblk)
	CARRIER=$(disk_by_serial carrier)
	TX=$(nic_by_mac 52:54:00:12:00:01)
	RX=$(nic_by_mac 52:54:00:12:00:02)
	NVME=
	[ -b /dev/nvme0n1 ] && NVME=/dev/nvme0n1
	if [ -n "$VBLK" ] && [ -n "$CARRIER" ] && [ -n "$TX" ] && [ -n "$RX" ] && [ -n "$NVME" ]; then
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
log "devices vblk=$VBLK nvme=$NVME carrier=$CARRIER tx=$TX rx=$RX"

# network: TX sends to 10.0.0.2, which is nobody's address; a static ARP entry points it at
# RX's MAC, so the frames cross the QEMU hub into RX (promiscuous, no address), whose stack
# drops them after the DMA. No IPv6 chatter.
for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > $f; done 2>/dev/null
if [ -n "$TX" ] && [ -n "$RX" ]; then
	ip link set lo up
	ip link set $RX promisc on
	ip link set $RX up
	ip addr add 10.0.0.1/24 dev $TX
	ip link set $TX up
	arp -i $TX -s 10.0.0.2 52:54:00:12:00:02 >> $LOG 2>&1
fi
sleep 1
mark boot-done

# 4. workload
# dd_block DEV: O_DIRECT writes then reads with 4 KiB, 64 KiB and 1 MiB blocks, then
# buffered write + sync and a buffered read after dropping the page cache.
dd_write() {
	dev=$1
	run dd if=/dev/zero of=$dev bs=4k count=$((SMALL_MB * 256)) oflag=direct
	run dd if=/dev/zero of=$dev bs=64k count=$((LARGE_MB * 16)) seek=$((16 * 16)) oflag=direct
	run dd if=/dev/zero of=$dev bs=1M count=$LARGE_MB seek=32 oflag=direct
	run dd if=/dev/zero of=$dev bs=64k count=$((BUFFERED_MB * 16)) seek=$((48 * 16))
	run sync
}
dd_read() {
	dev=$1
	run dd if=$dev of=/dev/null bs=4k count=$((SMALL_MB * 256)) iflag=direct
	run dd if=$dev of=/dev/null bs=64k count=$((LARGE_MB * 16)) skip=$((16 * 16)) iflag=direct
	run dd if=$dev of=/dev/null bs=1M count=$LARGE_MB skip=32 iflag=direct
	echo 3 > /proc/sys/vm/drop_caches
	run dd if=$dev of=/dev/null bs=64k count=$((BUFFERED_MB * 16)) skip=$((48 * 16))
}

classic_workload() {
	if [ -n "$VBLK" ]; then
		mark disk-write
		dd_write $VBLK
		mark disk-read
		dd_read $VBLK
	fi
	if [ -n "$NVME" ]; then
		mark nvme
		dd_write $NVME
		dd_read $NVME
	fi
	if [ -n "$TX" ]; then
		mark net
		run ping -q -c $PINGS -i 0.01 -s $PING_SIZE -W 1 10.0.0.2
	fi
}

# phase NAME CMD...: one command between a start and an end marker. Nothing else runs between
# the two marker writes, and nothing goes to the console (hvc0 output is hypercalls): the
# command's output and the log lines go to the log file only, and the console line comes after
# the end marker. The shell's echo is a builtin,
# so each marker is one write(2) by /init, with no fork.
phase() {
	name=$1
	shift
	echo "init: phase $name: $*" >> $LOG
	echo "iommusim phase=$name" > $T/trace_marker
	"$@" >> $LOG 2>&1
	rc=$?
	echo "iommusim phase-end=$name" > $T/trace_marker
	echo "init: phase-end $name rc=$rc" >> $LOG
	# after the end marker, outside the phase: a console line that the host stamps with its
	# own time, to line up its CPU samples with the guest's clock
	echo "init: phase-end=$name" > /dev/console
	sleep $PHASE_GAP
}

# phases: small, separate phases, each one dd run (or the ping burst). Offsets keep the regions
# apart (the disks are 128 MiB; the host fills them with data before the run).
#
# Which dd: busybox dd page-aligns its buffer only when the block is at least a page
# (mmap); a smaller block gets a malloc'ed buffer, O_DIRECT then fails with EINVAL, and
# busybox silently clears O_DIRECT and goes on buffered. With 64 KiB pages that turns every
# "bs=4k iflag=direct" into page-cache reads with readahead. coreutils dd always page-aligns
# its buffers, so "auto" takes it when the page is larger than 4 KiB.
pick_dd() {
	page_kb=$(grep -m 1 '^KernelPageSize:' /proc/self/smaps | tr -s ' ' | cut -d' ' -f2)
	case "$DD" in
	coreutils) DDCMD=/usr/bin/coreutils-dd ;;
	busybox) DDCMD="dd" ;;
	*)
		DDCMD="dd"
		[ "${page_kb:-4}" -gt 4 ] && [ -x /usr/bin/coreutils-dd ] && DDCMD=/usr/bin/coreutils-dd
		;;
	esac
	if [ "$DDCMD" = dd ]; then
		echo "busybox dd (page ${page_kb} kB)" > $R/dd-used
	else
		echo "coreutils dd (page ${page_kb} kB)" > $R/dd-used
	fi
	log "phases use $(cat $R/dd-used)"
}

phases_workload() {
	pick_dd
	sleep $PHASE_GAP
	if [ -n "$VBLK" ]; then
		# the key phase: BLK_READ_4K_MB * 256 requests of 4 KiB, each 4 maps on virtio-blk
		# (16 B header, 4 KiB data, 48 B indirect table, 1 B status)
		[ "$BLK_READ_4K_MB" -gt 0 ] && phase blk-read-4k-direct \
			$DDCMD if=$VBLK of=/dev/null bs=4k count=$((BLK_READ_4K_MB * 256)) iflag=direct
		[ "$BLK_WRITE_4K_MB" -gt 0 ] && phase blk-write-4k-direct \
			$DDCMD if=/dev/zero of=$VBLK bs=4k count=$((BLK_WRITE_4K_MB * 256)) seek=$((32 * 256)) oflag=direct
		[ "$BLK_READ_64K_MB" -gt 0 ] && phase blk-read-64k-direct \
			$DDCMD if=$VBLK of=/dev/null bs=64k count=$((BLK_READ_64K_MB * 16)) skip=$((48 * 16)) iflag=direct
	fi
	if [ -n "$NVME" ]; then
		[ "$NVME_READ_4K_MB" -gt 0 ] && phase nvme-read-4k-direct \
			$DDCMD if=$NVME of=/dev/null bs=4k count=$((NVME_READ_4K_MB * 256)) iflag=direct
		[ "$NVME_READ_64K_MB" -gt 0 ] && phase nvme-read-64k-direct \
			$DDCMD if=$NVME of=/dev/null bs=64k count=$((NVME_READ_64K_MB * 16)) skip=$((16 * 16)) iflag=direct
	fi
	if [ -n "$TX" ] && [ "$PINGS" -gt 0 ]; then
		phase net-ping ping -q -c $PINGS -i 0.01 -s $PING_SIZE -W 1 10.0.0.2
	fi
}

case "$WORKLOAD" in
phases) phases_workload ;;
*) classic_workload ;;
esac
if [ -n "$TX" ]; then
	cat /sys/class/net/$TX/statistics/tx_packets > $R/net-tx-packets
	cat /sys/class/net/$RX/statistics/rx_packets > $R/net-rx-packets
	log "net tx_packets=$(cat $R/net-tx-packets) rx_packets=$(cat $R/net-rx-packets)"
fi
mark end
echo 0 > $T/tracing_on

# 5. collect: stats first, then the text, then the consuming extract
for c in $T/per_cpu/cpu*; do
	echo "== ${c##*/}"
	cat $c/stats
done > $R/ring-stats.txt
mkdir -p $R/swiotlb
for f in /sys/kernel/debug/swiotlb/*; do
	[ -f "$f" ] && cat "$f" > $R/swiotlb/${f##*/} 2>/dev/null
done
cat /proc/cmdline > $R/cmdline
uname -r > $R/uname-r
uname -a > $R/uname-a
cat $T/buffer_size_kb > $R/buffer_size_kb
cat /proc/meminfo > $R/meminfo
lspci_like() {
	for d in /sys/bus/pci/devices/*; do
		echo "${d##*/} vendor=$(cat $d/vendor) device=$(cat $d/device) driver=$(basename $(readlink $d/driver) 2>/dev/null)"
	done
}
lspci_like > $R/pci.txt
cat /proc/interrupts > $R/interrupts.txt
log "ring stats: $(grep -h overrun $R/ring-stats.txt | tr '\n' ' ')"
log "cat trace"
cat $T/trace > $R/trace.txt
log "trace.txt lines=$(wc -l < $R/trace.txt)"
if [ "$EXTRACT" = 1 ] && [ -x /usr/bin/trace-cmd ]; then
	cd $R
	log "trace-cmd extract"
	start=$(cut -d' ' -f1 /proc/uptime)
	if /usr/bin/trace-cmd extract --compression none -o $R/trace.dat > $R/extract.log 2>&1; then
		echo "compression none" >> $R/extract.log
	else
		echo "retry without --compression" >> $R/extract.log
		/usr/bin/trace-cmd extract -o $R/trace.dat >> $R/extract.log 2>&1
	fi
	echo "rc=$?" >> $R/extract.log
	end=$(cut -d' ' -f1 /proc/uptime)
	echo "uptime start=$start end=$end" >> $R/extract.log
	log "extract done: $(tail -n 2 $R/extract.log | tr '\n' ' ')"
	cd /
fi
dmesg > $R/dmesg.txt
log "writing results to $CARRIER"
echo done > $R/DONE
if [ -n "$CARRIER" ]; then
	tar -cf $CARRIER -C $R .
	sync
fi
log "poweroff"
poweroff -f
