#!/bin/bash
# x86-perf-capture.sh: a real `perf script` (and `perf data convert --to-json`) recording of
# DMA-API, swiotlb and IOMMU tracepoints, for iommusim's perf readers.
#
# The development machine has no DMA-API traffic of its own, so this boots Debian's x86_64
# cloud kernel 6.12.95 (bookworm-backports) under qemu-system-x86_64 (TCG) with an initramfs
# holding busybox, dd and the host's perf (with its libraries). x86-perf-guest-init.sh runs
# `perf record -a -e 'dma:*' -e 'swiotlb:*' -e 'iommu:*'` around O_DIRECT dd on a virtio-blk
# disk that uses the DMA API (iommu_platform=on) and an emulated NVMe disk, then `perf script`
# in the guest, and writes perf.data and the text onto a carrier disk (no iommu_platform: no
# DMA-API events of its own). On the host, `perf data convert --to-json` makes the JSON form:
# with $PERF_JSON (default: perf) — perf before 6.3 writes no tracepoint field into the JSON, so
# for a useful one point it at a newer perf, e.g. bookworm-backports' linux-perf unpacked with
# `apt-get download linux-perf/bookworm-backports && dpkg -x linux-perf_*.deb DIR`.
#
# Usage: traces/capture/x86-perf-capture.sh OUTDIR [iommu|swiotlb]
#   iommu    (default) q35 + intel-iommu, guest intel_iommu=on iommu.strict=1
#   swiotlb  no IOMMU, guest swiotlb=force: every streaming map bounces (swiotlb_bounced)
# Needs root and apt (qemu-system-x86, the kernel and busybox-static are fetched). Work files in
# $CAPTURE_WORK/x86-perf (default /work/capture-work/x86-perf).
set -euo pipefail
OUTDIR=$(realpath -m "${1:?usage: x86-perf-capture.sh OUTDIR [iommu|swiotlb]}")
VARIANT=${2:-iommu}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
W=${CAPTURE_WORK:-/work/capture-work}/x86-perf
KREL=6.12.95+deb12-cloud-amd64
say() { echo "x86-perf-capture: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "run as root"; exit 2; }
command -v perf >/dev/null || { say "perf is not installed (apt-get install linux-perf)"; exit 2; }
mkdir -p "$W" "$OUTDIR"
command -v qemu-system-x86_64 > /dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86
cd "$W"
ls linux-image-"$KREL"-unsigned_*.deb > /dev/null 2>&1 || apt-get download "linux-image-$KREL-unsigned"
ls busybox-static_*_amd64.deb > /dev/null 2>&1 || apt-get download busybox-static
if [ ! -d root/boot ]; then
	mkdir -p root
	for d in linux-image-"$KREL"-unsigned_*.deb busybox-static_*_amd64.deb; do dpkg -x "$d" root; done
fi

IR=$W/initramfs
rm -rf "$IR"
mkdir -p "$IR"/{bin,usr/bin,lib/modules,out}
cp root/bin/busybox "$IR/bin/"
ln -s busybox "$IR/bin/sh"
xz -dc "$(find root/lib/modules/$KREL -name virtio_blk.ko.xz)" > "$IR/lib/modules/virtio_blk.ko"
# copy_bin SRC [DST]: a program and the shared libraries it needs
copy_bin() {
	local f=$1 dst=${2:-$1} l
	mkdir -p "$IR$(dirname "$dst")"
	cp -L "$f" "$IR$dst"
	for l in $(ldd "$f" | grep -o '/[^ ]*'); do
		[ -e "$IR$l" ] && continue
		mkdir -p "$IR$(dirname "$l")"
		cp -L "$l" "$IR$l"
	done
}
copy_bin "$(command -v perf)" /usr/bin/perf
copy_bin /usr/bin/dd
cp "$HERE/x86-perf-guest-init.sh" "$IR/init"
chmod 755 "$IR/init"
(cd "$IR" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$W/initramfs.cpio"
say "initramfs $(du -h "$W/initramfs.cpio" | cut -f1)"

rm -f vblk.raw nvme.raw carrier.raw
truncate -s 64M vblk.raw nvme.raw carrier.raw
# slub_debug: QEMU 7.2 TCG double-faults in the SLUB fast path of this kernel (cmpxchg16b)
cmdline="console=ttyS0 rdinit=/init panic=1 slub_debug=F"
machine=(-M pc)
case "$VARIANT" in
iommu)
	machine=(-M q35 -device intel-iommu)
	cmdline+=" intel_iommu=on iommu.strict=1"
	;;
swiotlb) cmdline+=" swiotlb=force" ;;
*) say "unknown variant $VARIANT"; exit 2 ;;
esac
Q=(qemu-system-x86_64 "${machine[@]}" -cpu Nehalem -smp 2 -m 1G -nographic -no-reboot -nic none
	-kernel "root/boot/vmlinuz-$KREL" -initrd "$W/initramfs.cpio" -append "$cmdline"
	-drive "file=$W/vblk.raw,format=raw,if=none,id=d0,cache=unsafe"
	-device "virtio-blk-pci,drive=d0,serial=vblk,iommu_platform=on,disable-legacy=on"
	-drive "file=$W/nvme.raw,format=raw,if=none,id=d2,cache=unsafe"
	-device "nvme,drive=d2,serial=nvme0"
	-drive "file=$W/carrier.raw,format=raw,if=none,id=d1,cache=unsafe"
	-device "virtio-blk-pci,drive=d1,serial=carrier")
R=$W/out-$VARIANT
rm -rf "$R"
mkdir -p "$R"
echo "${Q[*]}" > "$R/qemu-cmdline.txt"
say "running QEMU ($VARIANT); console in $R/console.log"
rc=0
timeout "${QEMU_TIMEOUT:-3600}" "${Q[@]}" < /dev/null > "$R/console.log" 2>&1 || rc=$?
say "QEMU exit $rc"
tar -xf carrier.raw -C "$R"
[ -f "$R/DONE" ] || { say "no results; see $R/console.log"; exit 1; }
# the JSON form, made on the host from the guest's perf.data (which carries the formats)
"${PERF_JSON:-perf}" data convert --force --to-json "$R/perf.json" -i "$R/perf.data" \
	2> "$R/convert.log" ||
	say "perf data convert failed: $(cat "$R/convert.log")"
for f in perf-script.txt perf.json; do
	[ -f "$R/$f" ] && cp "$R/$f" "$OUTDIR/x86-$VARIANT-$f"
done
{
	echo "kernel: $(cat "$R/uname.txt")"
	echo "perf: $(perf version)"
	echo "qemu: $(qemu-system-x86_64 --version | head -1)"
	echo "qemu command line: $(cat "$R/qemu-cmdline.txt")"
	echo "guest command: $(cat "$R/perf-cmd.txt")"
	echo "perf record: $(tail -n 3 "$R/perf-record.log" | tr '\n' ' ')"
	echo "samples by event: $(grep -o ' [a-z_]*:[a-z_]*:' "$R/perf-script.txt" | sort | uniq -c | tr '\n' ';')"
} > "$OUTDIR/x86-$VARIANT-perf.meta"
say "wrote $OUTDIR/x86-$VARIANT-perf-script.txt, x86-$VARIANT-perf.json, x86-$VARIANT-perf.meta"
