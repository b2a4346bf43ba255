#!/bin/sh
# bt-guest-init.sh: /init of the initramfs bt-samples.sh builds (ppc64le pseries guest).
#
# Runs each capture script named by iommusim.bt=A.bt,B.bt (paths under /bt) in turn, each with
# `bpftrace -q NAME.bt > /results/NAME.txt` (not -o FILE: bpftrace 0.17 holds -o output in a
# buffer, so the version line would not show when the probes are attached), around the same small DMA workload: O_DIRECT writes and
# reads on a virtio-blk disk and an emulated NVMe disk, an NVMe driver unbind/bind (queue
# frees and allocations), a few pings between two virtio-net NICs. Nothing is written to the
# console while a script runs (console output is an H_PUT_TERM_CHAR hypercall). The results
# go as a raw tar onto the carrier disk (virtio-blk without iommu_platform: no DMA-API events).
#
# Busybox applets, plus ppc64el bpftrace and its libraries under /usr.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export LD_LIBRARY_PATH=/lib/powerpc64le-linux-gnu:/usr/lib/powerpc64le-linux-gnu

/bin/busybox mkdir -p /proc /sys /dev /tmp /results /sbin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp

R=/results
LOG=$R/init.log
: > $LOG
log() { echo "init: $*" >> $LOG; }
say() { echo "init: $*" | tee -a $LOG > /dev/console; }
run() {
	echo "+ $*" >> $LOG
	"$@" >> $LOG 2>&1
	echo "  rc=$?" >> $LOG
}

SCRIPTS=
TIMEOUT=3600
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	iommusim.bt=*) SCRIPTS=$(echo "${arg#*=}" | tr ',' ' ') ;;
	iommusim.bt_timeout=*) TIMEOUT=${arg#*=} ;;
	esac
done
say "scripts: $SCRIPTS"

M=/lib/modules/$(uname -r)
for m in failover net_failover virtio_net virtio_blk nvme-auth nvme-keyring nvme-core nvme; do
	f=$(find $M -name "$m.ko" | head -n 1)
	[ -n "$f" ] && insmod "$f" >> $LOG 2>&1
done

disk_by_serial() {
	for d in /sys/block/vd*; do
		[ -e "$d/serial" ] && [ "$(cat $d/serial)" = "$1" ] && echo /dev/${d##*/}
	done
}
nic_by_mac() {
	for n in /sys/class/net/*; do
		[ "$(cat $n/address)" = "$1" ] && echo ${n##*/}
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
say "devices vblk=$VBLK nvme=$NVME carrier=$CARRIER tx=$TX rx=$RX"
for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > $f; done 2>/dev/null
if [ -n "$TX" ] && [ -n "$RX" ]; then
	ip link set lo up
	ip link set $RX promisc on
	ip link set $RX up
	ip addr add 10.0.0.1/24 dev $TX
	ip link set $TX up
	arp -i $TX -s 10.0.0.2 52:54:00:12:00:02 >> $LOG 2>&1
fi
NVME_PCI=$(basename "$(readlink /sys/block/nvme0n1/device/device 2>/dev/null)" 2>/dev/null)
[ -n "$NVME_PCI" ] || NVME_PCI=$(basename "$(readlink /sys/class/nvme/nvme0/device)")

workload() {
	run dd if=/dev/zero of=$VBLK bs=4k count=4 oflag=direct
	run dd if=/dev/zero of=$VBLK bs=64k count=2 seek=16 oflag=direct
	run dd if=$VBLK of=/dev/null bs=4k count=4 iflag=direct
	run dd if=/dev/zero of=$NVME bs=4k count=4 oflag=direct
	run dd if=/dev/zero of=$NVME bs=64k count=2 seek=16 oflag=direct
	run dd if=/dev/zero of=$NVME bs=1M count=1 seek=4 oflag=direct
	run dd if=$NVME of=/dev/null bs=64k count=2 skip=16 iflag=direct
	if [ -n "$NVME_PCI" ]; then
		echo "$NVME_PCI" > /sys/bus/pci/drivers/nvme/unbind
		sleep 1
		echo "$NVME_PCI" > /sys/bus/pci/drivers/nvme/bind
		j=0
		while [ ! -b /dev/nvme0n1 ] && [ $j -lt 100 ]; do sleep 0.1; j=$((j + 1)); done
	fi
	run ping -q -c 3 -i 0.1 -s 1000 -W 1 10.0.0.2
	sleep 1
}

uname -r > $R/uname-r
cat /proc/cmdline > $R/cmdline
bpftrace --version > $R/bpftrace-version 2>&1
for s in $SCRIPTS; do
	name=$(basename "$s" .bt)
	out=$R/$name.txt
	say "$s: starting bpftrace"
	start=$(cut -d' ' -f1 /proc/uptime)
	BPFTRACE_PERF_RB_PAGES=256 bpftrace -q "/bt/$s" > "$out" 2> "$R/$name.err" &
	pid=$!
	t=0
	while [ $t -lt "$TIMEOUT" ] && kill -0 $pid 2>/dev/null && ! grep -q '^# iommusim-bt' "$out" 2>/dev/null; do
		sleep 1
		t=$((t + 1))
	done
	attached=$(cut -d' ' -f1 /proc/uptime)
	if ! kill -0 $pid 2>/dev/null; then
		say "$s: bpftrace exited early: $(head -c 300 $R/$name.err)"
		continue
	fi
	sleep 2
	workload
	kill -INT $pid
	wait $pid
	echo "$s start=$start attached=$attached rc=$? lines=$(wc -l < $out)" >> $R/runs.txt
	say "$s: done, $(wc -l < $out) lines (attach took $t s)"
done
dmesg > $R/dmesg.txt
echo done > $R/DONE
if [ -n "$CARRIER" ]; then
	tar -cf $CARRIER -C $R .
	sync
fi
say "poweroff"
poweroff -f
