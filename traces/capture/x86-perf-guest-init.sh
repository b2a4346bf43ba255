#!/bin/sh
# x86-perf-guest-init.sh: /init of the initramfs x86-perf-capture.sh builds (x86_64 guest).
#
# `perf record -a` of the dma, swiotlb and iommu tracepoints around O_DIRECT dd on a virtio-blk
# disk that uses the DMA API (iommu_platform=on) and on an emulated NVMe disk, then
# `perf script`; writes perf.data, the text and the logs as a raw tar onto the carrier disk.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mkdir -p /proc /sys /dev /tmp /out
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
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
uname -r > /out/uname.txt
say "kernel $(uname -r) vblk=$VBLK carrier=$CARRIER cmdline: $(cat /proc/cmdline)"
cat > /tmp/workload.sh <<EOW
/usr/bin/dd if=/dev/zero of=$VBLK bs=4k count=16 oflag=direct
/usr/bin/dd if=/dev/zero of=$VBLK bs=64k count=4 seek=16 oflag=direct
/usr/bin/dd if=$VBLK of=/dev/null bs=4k count=16 iflag=direct
/usr/bin/dd if=$VBLK of=/dev/null bs=64k count=4 skip=16 iflag=direct
/usr/bin/dd if=/dev/zero of=/dev/nvme0n1 bs=64k count=4 oflag=direct
/usr/bin/dd if=/dev/nvme0n1 of=/dev/null bs=64k count=4 iflag=direct
/usr/bin/dd if=/dev/nvme0n1 of=/dev/null bs=4k count=16 iflag=direct
EOW
cmd="perf record -a -e dma:* -e swiotlb:* -e iommu:* -o /out/perf.data -- /bin/sh /tmp/workload.sh"
echo "$cmd" > /out/perf-cmd.txt
$cmd > /out/perf-record.log 2>&1
say "perf record exit $?: $(tail -n 1 /out/perf-record.log)"
perf script -i /out/perf.data > /out/perf-script.txt 2> /out/perf-script.err
say "perf script exit $?: $(wc -l < /out/perf-script.txt) lines"
dmesg > /out/dmesg.txt
echo done > /out/DONE
tar -cf $CARRIER -C /out .
sync
poweroff -f
