#!/bin/bash
# bt-samples.sh: run the bpftrace capture scripts (traces/capture/*.bt) inside a real kernel
# with real DMA traffic, to make the committed samples tests/data/bt/*.txt.
#
# The host this project is developed on has no DMA traffic (its virtio devices bypass the
# DMA API), so the samples come from the same unmodified Debian ppc64le 6.12 kernel that
# pseries-capture.sh uses, booted under qemu-system-ppc64 -M pseries (TCG), with Debian's
# ppc64el bpftrace 0.17 and its libraries in the initramfs. bt-guest-init.sh (the guest's
# /init) runs each script around a small virtio-blk / NVMe / virtio-net workload.
#
# Requirements: what pseries-capture.sh sets up (ppc64el architecture, bookworm-backports,
# qemu-system-ppc, cpio; run it once, or let this script download the same packages), root.
# Downloads (never installs) bpftrace:ppc64el and its library closure into
# $CAPTURE_WORK/debs-bt.
#
# Usage: traces/capture/bt-samples.sh [ddw|noddw|swiotlb] [SCRIPT.bt,...] [DEST]
#   ddw      (default) DDW on: direct maps, no TCE hypercalls after boot
#   noddw    32-bit window only: H_PUT_TCE / H_PUT_TCE_INDIRECT / H_STUFF_TCE on maps/unmaps
#   swiotlb  DDW on + swiotlb=force: every streaming map bounces
#   SCRIPT   paths relative to traces/capture (default: dma.bt,old/dma-6.12.bt,pseries.bt)
#   DEST     copy NAME.txt there as NAME-VARIANT.txt (e.g. tests/data/bt)
# Environment: CAPTURE_WORK (default /work/capture-work), QEMU_TIMEOUT (default 7200).
set -euo pipefail

VARIANT=${1:-ddw}
SCRIPTS=${2:-dma.bt,old/dma-6.12.bt,pseries.bt}
DEST=${3:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=${CAPTURE_WORK:-/work/capture-work}
OUT=$WORK/out-bt/$VARIANT
QEMU_TIMEOUT=${QEMU_TIMEOUT:-7200}
say() { echo "bt-samples: $*" >&2; }

case "$VARIANT" in
ddw | noddw | swiotlb) ;;
*) say "unknown variant '$VARIANT' (ddw, noddw, swiotlb)"; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { say "run as root"; exit 2; }

# 1. packages: the kernel and busybox as pseries-capture.sh unpacks them, plus bpftrace
KDEB=$(ls "$WORK"/debs/linux-image-6.12.*+deb12-powerpc64le_*_ppc64el.deb 2> /dev/null | sort -V | tail -n 1 || true)
if [ -z "$KDEB" ] || [ ! -d "$WORK/root/boot" ]; then
	say "no guest kernel in $WORK: run traces/capture/pseries-capture.sh once first"
	exit 1
fi
KREL=$(basename "$KDEB" | sed -e 's/^linux-image-//' -e 's/_.*//')
KERNEL=$WORK/root/boot/vmlinux-$KREL
BTPKGS="bpftrace gcc-12-base libbpf1 libbpfcc libbsd0 libbz2-1.0 libclang-cpp14 libclang1-14
libdw1 libedit2 libelf1 libffi8 libgcc-s1 libicu72 libllvm14 liblzma5 libmd0 libstdc++6
libtinfo6 libxml2 libz3-4 zlib1g libc6"
mkdir -p "$WORK/debs-bt"
for p in $BTPKGS; do
	ls "$WORK/debs-bt/${p}_"*_ppc64el.deb > /dev/null 2>&1 || (cd "$WORK/debs-bt" && apt-get download "$p:ppc64el")
done
if [ ! -e "$WORK/root-bt/.unpacked" ]; then
	rm -rf "$WORK/root-bt"
	mkdir -p "$WORK/root-bt"
	for d in "$WORK"/debs-bt/*.deb; do dpkg -x "$d" "$WORK/root-bt"; done
	touch "$WORK/root-bt/.unpacked"
fi

# 2. initramfs: busybox, modules, bpftrace + libraries, the scripts, /init
IR=$WORK/initramfs-bt
rm -rf "$IR"
mkdir -p "$IR"/{bin,sbin,usr/bin,usr/sbin,lib64,proc,sys,dev,tmp,results,etc,bt}
cp "$WORK/root/bin/busybox" "$IR/bin/busybox"
ln -s busybox "$IR/bin/sh"
cp -a "$WORK/root-bt/usr" "$IR/"
rm -rf "$IR/usr/share/doc" "$IR/usr/share/man" "$IR/usr/share/locale"
mkdir -p "$IR/lib/powerpc64le-linux-gnu"
cp -a "$WORK/root-bt/lib/powerpc64le-linux-gnu/." "$IR/lib/powerpc64le-linux-gnu/"
cp -a "$WORK/root-bt/lib64/." "$IR/lib64/"
moddir=lib/modules/$KREL
for m in failover net_failover virtio_net virtio_blk nvme-auth nvme-keyring nvme-core nvme; do
	f=$(find "$WORK/root/$moddir/kernel" -name "$m.ko.xz" | head -n 1)
	[ -n "$f" ] || { say "module $m missing"; exit 1; }
	f=${f#"$WORK/root"/}
	mkdir -p "$IR/$(dirname "$f")"
	xz -dc "$WORK/root/$f" > "$IR/${f%.xz}"
done
(cd "$HERE" && find . -name '*.bt' | cpio -pdm --quiet "$IR/bt")
cp "$HERE/bt-guest-init.sh" "$IR/init"
chmod 755 "$IR/init"
(cd "$IR" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$WORK/initramfs-bt.cpio"
say "initramfs $(du -h "$WORK/initramfs-bt.cpio" | cut -f1)"

# 3. QEMU (devices as pseries-capture.sh)
IMG=$WORK/img-bt
mkdir -p "$IMG"
rm -f "$IMG"/{vblk,nvme,carrier}.raw
truncate -s 64M "$IMG/vblk.raw"
truncate -s 64M "$IMG/nvme.raw"
truncate -s 256M "$IMG/carrier.raw"
cmdline="console=hvc0 rdinit=/init panic=1 iommusim.bt=$SCRIPTS"
extra=()
case "$VARIANT" in
noddw) extra=(-global spapr-pci-host-bridge.ddw=off); cmdline+=" disable_ddw" ;;
swiotlb) cmdline+=" swiotlb=force" ;;
esac
# shellcheck disable=SC2054 # commas are QEMU option syntax
QEMU=(qemu-system-ppc64 -M pseries,usb=off -cpu POWER9 -smp 2 -m 2G,slots=4,maxmem=4G
	-nographic -vga none -no-reboot -nic none
	-kernel "$KERNEL" -initrd "$WORK/initramfs-bt.cpio" -append "$cmdline" "${extra[@]}"
	-drive "file=$IMG/vblk.raw,format=raw,if=none,id=d0,cache=unsafe"
	-device "virtio-blk-pci,drive=d0,serial=vblk,iommu_platform=on,disable-legacy=on,romfile="
	-drive "file=$IMG/nvme.raw,format=raw,if=none,id=d1,cache=unsafe"
	-device "nvme,drive=d1,serial=nvme0"
	-netdev hubport,id=n0,hubid=0 -netdev hubport,id=n1,hubid=0
	-device "virtio-net-pci,netdev=n0,mac=52:54:00:12:00:01,iommu_platform=on,disable-legacy=on,romfile="
	-device "virtio-net-pci,netdev=n1,mac=52:54:00:12:00:02,iommu_platform=on,disable-legacy=on,romfile="
	-drive "file=$IMG/carrier.raw,format=raw,if=none,id=d2,cache=unsafe"
	-device "virtio-blk-pci,drive=d2,serial=carrier")
rm -rf "$OUT"
mkdir -p "$OUT"
echo "${QEMU[*]}" > "$OUT/qemu-cmdline.txt"
say "running QEMU ($VARIANT: $SCRIPTS), console in $OUT/console.log"
t0=$SECONDS
rc=0
timeout "$QEMU_TIMEOUT" "${QEMU[@]}" < /dev/null > "$OUT/console.log" 2>&1 || rc=$?
say "QEMU exited rc=$rc after $((SECONDS - t0)) s"
tar -xf "$IMG/carrier.raw" -C "$OUT" || true
[ -f "$OUT/DONE" ] || { say "no results; see $OUT/console.log"; exit 1; }
cat "$OUT/runs.txt" >&2 || true
if [ -n "$DEST" ]; then
	mkdir -p "$DEST"
	for s in ${SCRIPTS//,/ }; do
		n=$(basename "$s" .bt)
		[ -s "$OUT/$n.txt" ] && cp "$OUT/$n.txt" "$DEST/$n-$VARIANT.txt"
	done
fi
