#!/bin/bash
# x86-record-check.sh: check `iommusim record` against real DMA traffic, next to dma.bt.
#
# The development machine has no DMA-API traffic, so this boots Debian's x86_64 cloud kernel
# 6.12.95 (bookworm-backports; the dma_map_page names of 6.12-6.17, BTF, KALLSYMS_ALL) under
# qemu-system-x86_64 (TCG) with an initramfs holding the host's iommusim and bpftrace (and
# their libraries). x86-guest-init.sh records an O_DIRECT dd workload on a virtio-blk disk
# that uses the DMA API (iommu_platform=on) and an emulated NVMe disk with both at once; the two outputs should list
# the same DMA events.
#
# Usage: traces/capture/x86-record-check.sh BUILDDIR [iommu|swiotlb]
#   iommu    (default) q35 + intel-iommu, guest intel_iommu=on: IOMMU-translated maps,
#            merged sg lists, iommu:map/unmap
#   swiotlb  no IOMMU, guest swiotlb=force: every streaming map bounces
# Needs root, apt (qemu-system-x86, the kernel and busybox-static are fetched), and a
# BUILDDIR configured with `iommusim record`. Work files in $CAPTURE_WORK/x86 (default
# /work/capture-work/x86); results in $CAPTURE_WORK/x86/out-VARIANT.
set -euo pipefail
B=$(realpath "${1:?usage: x86-record-check.sh BUILDDIR [iommu|swiotlb]}")
VARIANT=${2:-iommu}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
W=${CAPTURE_WORK:-/work/capture-work}/x86
KREL=6.12.95+deb12-cloud-amd64
say() { echo "x86-record-check: $*" >&2; }
[ "$(id -u)" = 0 ] || { say "run as root"; exit 2; }
mkdir -p "$W"
command -v qemu-system-x86_64 > /dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends qemu-system-x86
cd "$W"
ls linux-image-"$KREL"-unsigned_*.deb > /dev/null 2>&1 || apt-get download "linux-image-$KREL-unsigned"
ls busybox-static_*_amd64.deb > /dev/null 2>&1 || apt-get download busybox-static
if [ ! -d root/boot ]; then
	mkdir -p root
	for d in linux-image-"$KREL"-unsigned_*.deb busybox-static_*_amd64.deb; do dpkg -x "$d" root; done
fi

# initramfs: busybox, virtio_blk, the host's binaries with their libraries
IR=$W/initramfs
rm -rf "$IR"
mkdir -p "$IR"/{bin,usr/bin,lib/modules,bt,out}
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
copy_bin "$B/src/iommusim" /usr/bin/iommusim
copy_bin "$(command -v bpftrace)" /usr/bin/bpftrace
copy_bin /usr/bin/dd
cp "$HERE/dma.bt" "$HERE/../../tests/data/record/inject.spec" "$IR/bt/"
cp "$HERE/x86-guest-init.sh" "$IR/init"
chmod 755 "$IR/init"
(cd "$IR" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$W/initramfs.cpio"
say "initramfs $(du -h "$W/initramfs.cpio" | cut -f1)"

rm -f vblk.raw nvme.raw carrier.raw
truncate -s 64M vblk.raw
truncate -s 64M nvme.raw
truncate -s 64M carrier.raw
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
OUT=$W/out-$VARIANT
rm -rf "$OUT"
mkdir -p "$OUT"
Q=(qemu-system-x86_64 "${machine[@]}" -cpu Nehalem -smp 2 -m 2G -nographic -no-reboot -nic none
	-kernel "root/boot/vmlinuz-$KREL" -initrd "$W/initramfs.cpio" -append "$cmdline"
	-drive "file=$W/vblk.raw,format=raw,if=none,id=d0,cache=unsafe"
	-device "virtio-blk-pci,drive=d0,serial=vblk,iommu_platform=on,disable-legacy=on"
	-drive "file=$W/nvme.raw,format=raw,if=none,id=d2,cache=unsafe"
	-device "nvme,drive=d2,serial=nvme0"
	-drive "file=$W/carrier.raw,format=raw,if=none,id=d1,cache=unsafe"
	-device "virtio-blk-pci,drive=d1,serial=carrier")
echo "${Q[*]}" > "$OUT/qemu-cmdline.txt"
say "running QEMU ($VARIANT); console in $OUT/console.log"
rc=0
timeout "${QEMU_TIMEOUT:-7200}" "${Q[@]}" < /dev/null > "$OUT/console.log" 2>&1 || rc=$?
say "QEMU exit $rc"
tar -xf carrier.raw -C "$OUT"
[ -f "$OUT/DONE" ] || { say "no results; see $OUT/console.log"; exit 1; }
"$B/src/iommusim" stats "$OUT/rec.ist" | head -20
"$B/src/iommusim" stats "$OUT/bt.txt" | head -20
