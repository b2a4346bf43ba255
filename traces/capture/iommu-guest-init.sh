#!/bin/sh
# iommu-guest-init.sh: /init of the initramfs that iommu-capture.sh builds, for an x86_64
# (q35 + intel-iommu) or arm64 (virt + SMMUv3) guest running Debian's 6.12 kernel under QEMU.
#
# Tracing is on from the kernel command line (trace_event=dma:*,swiotlb:*,iommu:*[,intel_iommu:*],
# trace_buf_size=4M). This script grows the ring buffer, adds the flush probes the kernel has no
# tracepoint for (arm64: kprobes on the SMMUv3 driver's iotlb_sync and flush_iotlb_all, placed by
# address), loads the device modules, runs one workload step per phase between the markers
# "iommusim phase=NAME" and "iommusim phase-end=NAME" (written to trace_marker right before and
# right after the step), stops tracing and writes `cat trace`, the ring-buffer stats, the IOMMU
# group types, swiotlb counters and dmesg as a raw tar onto the carrier disk (virtio-blk without
# iommu_platform, serial "carrier": it bypasses the DMA API and never shows up in the trace).
#
# Disks are found by virtio serial (vblk = test disk, carrier = result disk), the NVMe disk as
# /dev/nvme0n1, the NICs by MAC (52:54:00:12:00:01 sends, 52:54:00:12:00:02 receives).
# Knobs on the kernel command line (iommusim.NAME=VALUE, MiB per phase; 0 skips a phase):
#   blk_read_4k_mb=4 blk_write_4k_mb=1 blk_read_64k_mb=4 blk_read_buffered_mb=4
#   nvme_read_4k_mb=1 nvme_read_64k_mb=1 pings=100 ping_size=1000 phase_gap=0.2 buf_kb=100000
# Busybox applets only.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mkdir -p /proc /sys /dev /tmp /results /sbin /usr/sbin /usr/bin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2> /dev/null
mount -t tracefs nodev /sys/kernel/tracing 2> /dev/null
mount -t debugfs nodev /sys/kernel/debug 2> /dev/null

T=/sys/kernel/tracing
R=/results
LOG=$R/init.log
: > $LOG
log() { echo "init: $*" | tee -a $LOG > /dev/console; }
mark() {
	echo "iommusim phase=$1" > $T/trace_marker
	log "phase=$1"
}

BUF_KB=100000
BLK_READ_4K_MB=4
BLK_WRITE_4K_MB=1
BLK_READ_64K_MB=4
BLK_READ_BUFFERED_MB=4
NVME_READ_4K_MB=1
NVME_READ_64K_MB=1
PINGS=100
PING_SIZE=1000
PHASE_GAP=0.2
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	iommusim.buf_kb=*) BUF_KB=${arg#*=} ;;
	iommusim.blk_read_4k_mb=*) BLK_READ_4K_MB=${arg#*=} ;;
	iommusim.blk_write_4k_mb=*) BLK_WRITE_4K_MB=${arg#*=} ;;
	iommusim.blk_read_64k_mb=*) BLK_READ_64K_MB=${arg#*=} ;;
	iommusim.blk_read_buffered_mb=*) BLK_READ_BUFFERED_MB=${arg#*=} ;;
	iommusim.nvme_read_4k_mb=*) NVME_READ_4K_MB=${arg#*=} ;;
	iommusim.nvme_read_64k_mb=*) NVME_READ_64K_MB=${arg#*=} ;;
	iommusim.pings=*) PINGS=${arg#*=} ;;
	iommusim.ping_size=*) PING_SIZE=${arg#*=} ;;
	iommusim.phase_gap=*) PHASE_GAP=${arg#*=} ;;
	esac
done
log "params blk_read_4k_mb=$BLK_READ_4K_MB blk_write_4k_mb=$BLK_WRITE_4K_MB blk_read_64k_mb=$BLK_READ_64K_MB blk_read_buffered_mb=$BLK_READ_BUFFERED_MB nvme_read_4k_mb=$NVME_READ_4K_MB nvme_read_64k_mb=$NVME_READ_64K_MB pings=$PINGS ping_size=$PING_SIZE phase_gap=$PHASE_GAP buf_kb=$BUF_KB"

# 1. grow the ring buffer (keeps what boot already recorded)
kb=$BUF_KB
while [ "$kb" -ge 4096 ]; do
	echo $kb > $T/buffer_size_kb 2> /dev/null && break
	kb=$((kb / 2))
done
log "buffer_size_kb=$(cat $T/buffer_size_kb) trace_clock=$(cat $T/trace_clock)"

# 2. arm64: the SMMUv3 driver has no tracepoint for its invalidations. kprobes on
# arm_smmu_iotlb_sync (the end of every unmap's gather: one range invalidation + CMD_SYNC in
# strict mode) and arm_smmu_flush_iotlb_all (the flush queue's domain-wide invalidation in lazy
# mode). The SMMUv2 driver (also built in) has functions of the same names, so each probe goes
# on the copy closest to a v3-only function (the first of SMMU_V3_ANCHORS that kallsyms has), by
# address.
SMMU_V3_ANCHORS="arm_smmu_tlb_inv_range_asid arm_smmu_cmdq_issue_cmdlist arm_smmu_atc_inv_domain arm_smmu_tlb_inv_range_domain"
kprobe_v3() {
	# kprobe_v3 EVENT SYMBOL [FETCHARGS]
	anchor=
	for aname in $SMMU_V3_ANCHORS; do
		anchor=$(grep -m 1 " $aname\$" $R/kallsyms-arm-smmu.txt | cut -d' ' -f1)
		[ -n "$anchor" ] && break
	done
	[ -n "$anchor" ] || { log "none of $SMMU_V3_ANCHORS in kallsyms"; return; }
	best=
	bestd=
	for a in $(grep " $2\$" $R/kallsyms-arm-smmu.txt | cut -d' ' -f1); do
		# distance in the low 32 bits (same kernel text region); shell arithmetic is 64-bit signed
		d=$(( (0x${anchor#????????} - 0x${a#????????}) ))
		[ $d -lt 0 ] && d=$((-d))
		if [ -z "$bestd" ] || [ $d -lt $bestd ]; then best=$a; bestd=$d; fi
	done
	[ -n "$best" ] || { log "no $2 in kallsyms"; return; }
	grep " $2\$" $R/kallsyms-arm-smmu.txt >> $R/kprobe-candidates.txt
	if echo "p:smmu/$1 0x$best $3" >> $T/kprobe_events 2>> $LOG; then
		echo 1 > $T/events/smmu/$1/enable
		log "kprobe smmu/$1 at 0x$best ($2, $bestd bytes from $aname)"
	else
		log "kprobe smmu/$1 at 0x$best refused: $(tail -n 2 $T/error_log 2> /dev/null | tr '\n' ' ')"
	fi
}
case "$(uname -m)" in
aarch64)
	grep -E ' (t|T) arm_smmu_' /proc/kallsyms > $R/kallsyms-arm-smmu.txt
	# arm_smmu_iotlb_sync(domain, gather): gather->start, end, pgsize (struct iommu_iotlb_gather).
	# A probe placed by address is not known to be a function entry, so $argN is refused there:
	# the second argument is read from its register (x1) at entry instead.
	kprobe_v3 iotlb_sync arm_smmu_iotlb_sync 'start=+0(%x1):x64 end=+8(%x1):x64 pgsize=+16(%x1):u64'
	kprobe_v3 flush_iotlb_all arm_smmu_flush_iotlb_all
	echo "iommusim note=late-events-on smmu:iotlb_sync,smmu:flush_iotlb_all" > $T/trace_marker
	;;
esac

# 3. modules (decompressed copies, dependency order; built-in ones are simply absent)
M=/lib/modules/$(uname -r)
for m in failover net_failover virtio_net virtio_blk nvme-auth nvme-keyring nvme-core nvme; do
	f=$(find $M -name "$m.ko" | head -n 1)
	[ -n "$f" ] && { insmod "$f" >> $LOG 2>&1 || log "insmod $m failed"; }
done

# 4. devices
disk_by_serial() {
	for d in /sys/block/vd*; do
		[ -e "$d/serial" ] || continue
		[ "$(cat $d/serial)" = "$1" ] && { echo /dev/${d##*/}; return; }
	done
}
nic_by_mac() {
	for n in /sys/class/net/*; do
		[ "$(cat $n/address)" = "$1" ] && { echo ${n##*/}; return; }
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
	[ -n "$VBLK" ] && [ -n "$CARRIER" ] && [ -n "$TX" ] && [ -n "$RX" ] && [ -n "$NVME" ] && break
	sleep 0.1
	i=$((i + 1))
done
log "devices vblk=$VBLK nvme=$NVME carrier=$CARRIER tx=$TX rx=$RX"
# TX sends to 10.0.0.2, nobody's address; a static ARP entry points it at RX's MAC, so the frames
# cross the QEMU hub into RX (promiscuous, no address), whose stack drops them after the DMA.
for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > $f; done 2> /dev/null
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

# 5. workload: one step per phase, nothing on the console inside a phase
phase() {
	name=$1
	shift
	echo "init: phase $name: $*" >> $LOG
	echo "iommusim phase=$name" > $T/trace_marker
	"$@" >> $LOG 2>&1
	rc=$?
	echo "iommusim phase-end=$name" > $T/trace_marker
	echo "init: phase-end $name rc=$rc" >> $LOG
	echo "init: phase-end=$name" > /dev/console
	sleep $PHASE_GAP
}
# busybox dd page-aligns (mmap) its buffer for blocks of at least a page, so bs=4k iflag=direct
# stays O_DIRECT with 4 KiB pages (both kernels here)
sleep $PHASE_GAP
if [ -n "$VBLK" ]; then
	[ "$BLK_READ_4K_MB" -gt 0 ] && phase blk-read-4k-direct \
		dd if=$VBLK of=/dev/null bs=4k count=$((BLK_READ_4K_MB * 256)) iflag=direct
	[ "$BLK_WRITE_4K_MB" -gt 0 ] && phase blk-write-4k-direct \
		dd if=/dev/zero of=$VBLK bs=4k count=$((BLK_WRITE_4K_MB * 256)) seek=$((16 * 256)) oflag=direct
	[ "$BLK_READ_64K_MB" -gt 0 ] && phase blk-read-64k-direct \
		dd if=$VBLK of=/dev/null bs=64k count=$((BLK_READ_64K_MB * 16)) skip=$((24 * 16)) iflag=direct
	if [ "$BLK_READ_BUFFERED_MB" -gt 0 ]; then
		sync
		echo 3 > /proc/sys/vm/drop_caches
		phase blk-read-buffered dd if=$VBLK of=/dev/null bs=64k count=$((BLK_READ_BUFFERED_MB * 16)) skip=$((40 * 16))
	fi
fi
if [ -n "$NVME" ]; then
	[ "$NVME_READ_4K_MB" -gt 0 ] && phase nvme-read-4k-direct \
		dd if=$NVME of=/dev/null bs=4k count=$((NVME_READ_4K_MB * 256)) iflag=direct
	[ "$NVME_READ_64K_MB" -gt 0 ] && phase nvme-read-64k-direct \
		dd if=$NVME of=/dev/null bs=64k count=$((NVME_READ_64K_MB * 16)) skip=$((16 * 16)) iflag=direct
fi
if [ -n "$TX" ] && [ "$PINGS" -gt 0 ]; then
	phase net-ping ping -q -c $PINGS -i 0.01 -s $PING_SIZE -W 1 10.0.0.2
	cat /sys/class/net/$TX/statistics/tx_packets > $R/net-tx-packets
	cat /sys/class/net/$RX/statistics/rx_packets > $R/net-rx-packets
fi
mark end
echo 0 > $T/tracing_on

# 6. collect: stats first, then the text
for c in $T/per_cpu/cpu*; do
	echo "== ${c##*/}"
	cat $c/stats
done > $R/ring-stats.txt
mkdir -p $R/swiotlb
for f in /sys/kernel/debug/swiotlb/*; do
	[ -f "$f" ] && cat "$f" > $R/swiotlb/${f##*/} 2> /dev/null
done
for g in /sys/kernel/iommu_groups/*; do
	[ -d "$g" ] || continue
	echo "${g##*/} $(cat $g/type 2> /dev/null) $(ls $g/devices | tr '\n' ' ')"
done > $R/iommu-groups.txt
for s in dma iommu intel_iommu swiotlb smmu; do
	[ -d $T/events/$s ] && echo "$s: $(ls $T/events/$s | grep -v -e '^enable$' -e '^filter$' | tr '\n' ' ')"
done > $R/tracepoints.txt
cat $T/kprobe_events > $R/kprobe-events.txt 2> /dev/null
for d in /sys/bus/pci/devices/*; do
	echo "${d##*/} vendor=$(cat $d/vendor) device=$(cat $d/device) driver=$(basename "$(readlink $d/driver)" 2> /dev/null)"
done > $R/pci.txt
cat /proc/cmdline > $R/cmdline
uname -r > $R/uname-r
uname -m > $R/uname-m
cat $T/buffer_size_kb > $R/buffer_size_kb
cat /proc/interrupts > $R/interrupts.txt
log "ring: $(grep -h -e overrun -e dropped $R/ring-stats.txt | tr '\n' ' ')"
cat $T/trace > $R/trace.txt
log "trace.txt lines=$(wc -l < $R/trace.txt)"
dmesg > $R/dmesg.txt
echo done > $R/DONE
if [ -n "$CARRIER" ]; then
	tar -cf $CARRIER -C $R .
	sync
fi
log "poweroff"
poweroff -f
