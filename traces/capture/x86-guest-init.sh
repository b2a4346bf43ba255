#!/bin/sh
# x86-guest-init.sh: /init of the initramfs x86-record-check.sh builds (x86_64 guest).
#
# Runs `iommusim record` and `bpftrace dma.bt` at the same time around an O_DIRECT dd
# workload on a virtio-blk disk that uses the DMA API (iommu_platform=on) and an emulated
# NVMe disk (dma_map_sg; an unbind/bind for its queue allocations), then writes
# their outputs as a raw tar onto the carrier disk (no iommu_platform: no DMA-API events).
# Busybox applets, plus the host's iommusim, bpftrace and dd with their libraries.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mkdir -p /proc /sys /dev /tmp /out
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tracefs nodev /sys/kernel/tracing
mount -t tmpfs tmpfs /tmp
say() { echo "init: $*" | tee -a /out/init.log > /dev/console; }
for f in $(find /lib/modules -name '*.ko'); do insmod "$f" 2>> /out/init.log; done
i=0
while [ $i -lt 100 ]; do
	VBLK= CARRIER=
	for d in /sys/block/vd*; do
		[ -e "$d/serial" ] || continue
		case "$(cat $d/serial)" in
		vblk) VBLK=/dev/${d##*/} ;;
		carrier) CARRIER=/dev/${d##*/} ;;
		esac
	done
	[ -n "$VBLK" ] && [ -n "$CARRIER" ] && break
	sleep 0.1
	i=$((i + 1))
done
say "kernel $(uname -r) vblk=$VBLK carrier=$CARRIER cmdline: $(cat /proc/cmdline)"
cat > /tmp/workload.sh <<EOF
/usr/bin/dd if=/dev/zero of=$VBLK bs=4k count=8 oflag=direct
/usr/bin/dd if=/dev/zero of=$VBLK bs=64k count=4 seek=16 oflag=direct
/usr/bin/dd if=/dev/zero of=$VBLK bs=1M count=2 seek=8 oflag=direct
/usr/bin/dd if=$VBLK of=/dev/null bs=64k count=4 skip=16 iflag=direct
/usr/bin/dd if=$VBLK of=/dev/null bs=1M count=2 skip=8 iflag=direct
/usr/bin/dd if=/dev/zero of=/dev/nvme0n1 bs=64k count=4 oflag=direct
/usr/bin/dd if=/dev/zero of=/dev/nvme0n1 bs=1M count=2 seek=4 oflag=direct
/usr/bin/dd if=/dev/nvme0n1 of=/dev/null bs=1M count=2 skip=4 iflag=direct
echo \$(basename \$(readlink /sys/class/nvme/nvme0/device)) > /tmp/nvme-pci
echo \$(cat /tmp/nvme-pci) > /sys/bus/pci/drivers/nvme/unbind
sleep 1
echo \$(cat /tmp/nvme-pci) > /sys/bus/pci/drivers/nvme/bind
sleep 2
EOF
bpftrace -q /bt/dma.bt > /out/bt.txt 2> /out/bt.err &
bt=$!
t=0
while [ $t -lt 3600 ] && kill -0 $bt 2>/dev/null && ! grep -q '^# iommusim-bt' /out/bt.txt; do
	sleep 1
	t=$((t + 1))
done
say "bpftrace attached after $t s"
iommusim record -o /out/rec.ist -- /bin/sh /tmp/workload.sh > /out/rec.log 2>&1
say "record exit $?: $(tail -n 1 /out/rec.log)"
sleep 1
kill -INT $bt
wait $bt
iommusim record --inject /bt/inject.spec -o /out/inject.ist > /out/inject.log 2>&1
say "inject exit $?"
dmesg > /out/dmesg.txt
echo done > /out/DONE
tar -cf $CARRIER -C /out .
sync
poweroff -f
