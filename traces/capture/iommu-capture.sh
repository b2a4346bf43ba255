#!/bin/bash
# iommu-capture.sh: record real DMA-API, IOMMU map/unmap and IOTLB-flush traces from Debian's
# 6.12 kernel on an emulated IOMMU: x86_64 under qemu-system-x86_64 -M q35 with intel-iommu, or
# arm64 under qemu-system-aarch64 -M virt,iommu=smmuv3, both TCG, on an x86_64 Debian 12 host.
#
# The guest runs the real dma-iommu code (drivers/iommu/dma-iommu.c: IOVA allocator, strict
# invalidation or the flush queue) and the real VT-d / SMMUv3 drivers against QEMU's IOMMU
# emulation. iommu-guest-init.sh (the guest's /init) runs a small virtio-blk / NVMe / virtio-net
# workload, one step per phase between "iommusim phase=NAME" and "iommusim phase-end=NAME"
# markers, then saves `cat trace` onto a carrier disk that does not use the DMA API. This script
# builds the initramfs, runs QEMU once (bounded), extracts the results, writes the .meta (counts)
# and the xz-compressed text. Timestamps give order and spacing only: TCG is not hardware.
#
# Usage
#   traces/capture/iommu-capture.sh [--post] VARIANT [DEST [NAME]]
#     DEST          also copy NAME.{txt.xz,meta} there (e.g. traces/x86); NAME defaults to VARIANT
#     --post        only redo the host-side part (.meta, xz) on an existing output dir
#   Variants (x86: -M q35 -device intel-iommu,intremap=on; guest intel_iommu=on):
#     x86-strict      caching-mode=off, guest iommu.strict=1: one IOTLB invalidation per unmap
#     x86-lazy        caching-mode=off, guest iommu.strict=0: freed IOVAs wait in the flush queue
#     x86-strict-cm   caching-mode=on (what a vIOMMU for VFIO needs), guest iommu.strict=0: Linux
#                     refuses the flush queue in caching mode (strict anyway) and flushes each map too
#     x86-swiotlb     no IOMMU (-M q35), guest swiotlb=force: every streaming map bounces
#     arm64-strict    -M virt,iommu=smmuv3, guest iommu.strict=1 (kprobes for the SMMU flushes)
#     arm64-lazy      the same with iommu.strict=0
#   Environment:
#     CAPTURE_WORK   work dir (default /work/capture-work; packages, initramfs, disks and output
#                    go to $CAPTURE_WORK/iommu; never inside the repository)
#     KERNEL_VERSION linux-image version (default 6.12.95+deb12, bookworm-backports)
#     GUEST_OPTS     extra guest command-line words (iommusim.* knobs, see iommu-guest-init.sh)
#     QEMU_TIMEOUT   seconds before QEMU is stopped (SIGTERM, SIGKILL 10 s later; default 600)
#     QEMU_NICE      nice level of QEMU (default 10)
# Needs root and apt: installs qemu-system-x86 / qemu-system-arm, cpio, xz-utils on the host, and
# only downloads (apt-get download, dpkg -x, never installs) the guest kernel and busybox-static
# (amd64 or arm64; arm64 needs `dpkg --add-architecture arm64` and bookworm-backports).
set -euo pipefail

POST_ONLY=0
while [ $# -gt 0 ]; do
	case "$1" in
	--post) POST_ONLY=1 ;;
	--help | -h) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "iommu-capture: unknown option '$1'" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
VARIANT=${1:?usage: iommu-capture.sh [--post] VARIANT [DEST [NAME]]}
DEST=${2:-}
NAME=${3:-$VARIANT}
[ -n "$DEST" ] && DEST=$(realpath -m "$DEST")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
W=${CAPTURE_WORK:-/work/capture-work}/iommu
case "$(realpath -m "$W")/" in
"$REPO"/*) echo "iommu-capture: CAPTURE_WORK must not be inside the repository" >&2; exit 2 ;;
esac
QEMU_TIMEOUT=${QEMU_TIMEOUT:-600}
QEMU_NICE=${QEMU_NICE:-10}
KV=${KERNEL_VERSION:-6.12.95+deb12}
GUEST_OPTS=${GUEST_OPTS:-}
say() { echo "iommu-capture: $*" >&2; }

case "$VARIANT" in
x86-*) ARCH=amd64 KREL=$KV-cloud-amd64 QBIN=qemu-system-x86_64 QPKG=qemu-system-x86 ;;
arm64-*) ARCH=arm64 KREL=$KV-arm64 QBIN=qemu-system-aarch64 QPKG=qemu-system-arm ;;
*) echo "iommu-capture: unknown variant '$VARIANT'" >&2; exit 2 ;;
esac
case "$VARIANT" in
x86-strict | x86-lazy | x86-strict-cm | x86-swiotlb | arm64-strict | arm64-lazy) ;;
*) echo "iommu-capture: unknown variant '$VARIANT'" >&2; exit 2 ;;
esac
OUT=$W/out/$NAME
ROOT=$W/root-$ARCH
[ "$(id -u)" = 0 ] || { say "run as root"; exit 2; }
export DEBIAN_FRONTEND=noninteractive

# ---------------------------------------------------------------- packages
packages() {
	local p need=()
	for p in "$QPKG" cpio xz-utils; do
		dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'install ok installed' || need+=("$p")
	done
	[ ${#need[@]} -eq 0 ] || apt-get install -y -o DPkg::Lock::Timeout=600 --no-install-recommends "${need[@]}"
	if [ "$ARCH" = arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
		apt-get update || say "apt-get update reported errors (ignored; checked below)"
	fi
	mkdir -p "$W/debs"
	for p in "linux-image-$KREL-unsigned" busybox-static; do
		ls "$W/debs/${p}_"*"_$ARCH.deb" > /dev/null 2>&1 && continue
		rm -rf "$W/debs/partial"
		mkdir -p "$W/debs/partial"
		(cd "$W/debs/partial" && apt-get download "$p:$ARCH")
		mv "$W/debs/partial/"*.deb "$W/debs/"
		rmdir "$W/debs/partial"
	done
	if [ ! -f "$ROOT/boot/vmlinuz-$KREL" ]; then
		mkdir -p "$ROOT"
		for p in "$W/debs/linux-image-$KREL-unsigned_"*"_$ARCH.deb" "$W/debs/busybox-static_"*"_$ARCH.deb"; do
			dpkg -x "$p" "$ROOT"
		done
	fi
}

# ---------------------------------------------------------------- initramfs
initramfs() {
	local ir=$W/initramfs-$ARCH m f
	rm -rf "$ir"
	mkdir -p "$ir"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,results}
	cp "$ROOT/bin/busybox" "$ir/bin/busybox"
	ln -s busybox "$ir/bin/sh"
	for m in failover net_failover virtio_net virtio_blk nvme-auth nvme-keyring nvme-core nvme; do
		f=$(find "$ROOT/lib/modules/$KREL/kernel" -name "$m.ko.xz" | head -n 1)
		[ -n "$f" ] || continue # built in
		f=${f#"$ROOT"/}
		mkdir -p "$ir/$(dirname "$f")"
		xz -dc "$ROOT/$f" > "$ir/${f%.xz}"
	done
	cp "$HERE/iommu-guest-init.sh" "$ir/init"
	chmod 755 "$ir/init"
	(cd "$ir" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) > "$W/initramfs-$ARCH.cpio"
}

# quote_words WORD...: one line, words quoted for a POSIX shell only where needed
quote_words() {
	local w out=
	for w in "$@"; do
		if [[ $w =~ ^[A-Za-z0-9_,.=:/+@%-]+$ ]]; then out+=" $w"; else out+=" '${w//\'/\'\\\'\'}'"; fi
	done
	echo "${out# }"
}

# ---------------------------------------------------------------- QEMU
run_qemu() {
	local img=$W/img-$NAME cmdline events="dma:*,swiotlb:*,iommu:*" rc=0 t0
	local -a machine
	rm -rf "$img" "$OUT"
	mkdir -p "$img" "$OUT"
	# test disks hold real (allocated) data: the phases read what the guest never wrote
	dd if=/dev/zero of="$img/vblk.raw" bs=1M count=64 status=none
	dd if=/dev/zero of="$img/nvme.raw" bs=1M count=64 status=none
	truncate -s 256M "$img/carrier.raw"
	case "$ARCH" in
	amd64)
		# no_timer_check: on a busy host, TCG can miss the IO-APIC timer check at boot ("timer
		# doesn't work through Interrupt-remapped IO-APIC", a panic with intremap=on)
		cmdline="console=ttyS0 no_timer_check"
		# -cpu max double-faults on cmpxchg16b at /init's first fork under QEMU 7.2 TCG
		machine=(-M q35 -cpu max,-cx16)
		case "$VARIANT" in
		x86-swiotlb) cmdline+=" swiotlb=force" ;;
		*)
			events+=",intel_iommu:*"
			local cm=off
			[ "$VARIANT" = x86-strict-cm ] && cm=on
			machine+=(-device "intel-iommu,intremap=on,caching-mode=$cm")
			cmdline+=" intel_iommu=on"
			case "$VARIANT" in x86-strict) cmdline+=" iommu.strict=1" ;; *) cmdline+=" iommu.strict=0" ;; esac
			;;
		esac
		;;
	arm64)
		cmdline="console=ttyAMA0"
		machine=(-M virt,iommu=smmuv3,gic-version=3 -cpu cortex-a57)
		case "$VARIANT" in arm64-strict) cmdline+=" iommu.strict=1" ;; *) cmdline+=" iommu.strict=0" ;; esac
		;;
	esac
	cmdline+=" rdinit=/init panic=1 trace_event=$events trace_clock=global trace_buf_size=4M"
	[ -n "$GUEST_OPTS" ] && cmdline+=" $GUEST_OPTS"
	# shellcheck disable=SC2054 # commas are QEMU option syntax
	local -a Q=("$QBIN" "${machine[@]}" -smp 2 -m 1G -nographic -no-reboot -nic none
		-kernel "$ROOT/boot/vmlinuz-$KREL" -initrd "$W/initramfs-$ARCH.cpio" -append "$cmdline"
		-drive "file=$img/vblk.raw,format=raw,if=none,id=d0,cache=unsafe"
		-device "virtio-blk-pci,drive=d0,serial=vblk,iommu_platform=on,disable-legacy=on"
		-drive "file=$img/nvme.raw,format=raw,if=none,id=d1,cache=unsafe"
		-device "nvme,drive=d1,serial=nvme0"
		-netdev hubport,id=n0,hubid=0 -netdev hubport,id=n1,hubid=0
		-device "virtio-net-pci,netdev=n0,mac=52:54:00:12:00:01,iommu_platform=on,disable-legacy=on,romfile="
		-device "virtio-net-pci,netdev=n1,mac=52:54:00:12:00:02,iommu_platform=on,disable-legacy=on,romfile="
		-drive "file=$img/carrier.raw,format=raw,if=none,id=d2,cache=unsafe"
		-device "virtio-blk-pci,drive=d2,serial=carrier")
	echo "$VARIANT" > "$OUT/variant"
	"$QBIN" --version | head -n 1 > "$OUT/qemu-version.txt"
	quote_words "${Q[@]}" | sed "s|$W/|\$W/|g" > "$OUT/qemu-cmdline.txt"
	echo "nice -n $QEMU_NICE, timeout $QEMU_TIMEOUT s" > "$OUT/qemu-sched"
	date -u +%Y-%m-%dT%H:%M:%SZ > "$OUT/recorded"
	cut -d' ' -f1-3 /proc/loadavg > "$OUT/loadavg-before"
	say "running $QBIN ($NAME), console in $OUT/console.log"
	t0=$SECONDS
	timeout -k 10 "$QEMU_TIMEOUT" nice -n "$QEMU_NICE" "${Q[@]}" < /dev/null > "$OUT/console.log" 2>&1 || rc=$?
	echo "$((SECONDS - t0))" > "$OUT/wall-seconds"
	cut -d' ' -f1-3 /proc/loadavg > "$OUT/loadavg-after"
	say "QEMU exit $rc after $((SECONDS - t0)) s"
	tar -xf "$img/carrier.raw" -C "$OUT" 2> /dev/null || true
	rm -rf "$img"
	[ -f "$OUT/DONE" ] || { say "no results; see $OUT/console.log"; exit 1; }
}

# ---------------------------------------------------------------- .meta
# counts from the text: events by name, iommu map/unmap bytes, flushes, per phase
post() {
	local meta=$OUT/$NAME.meta
	[ -f "$OUT/trace.txt" ] || { say "no $OUT/trace.txt"; exit 1; }
	{
		echo "name: $NAME"
		echo "variant: $(cat "$OUT/variant")"
		echo "recorded: $(cat "$OUT/recorded")"
		echo "kernel: $(cat "$OUT/uname-r") $(cat "$OUT/uname-m")"
		echo "qemu: $(cat "$OUT/qemu-version.txt")"
		echo "qemu command: $(cat "$OUT/qemu-cmdline.txt")"
		echo "qemu scheduling: $(cat "$OUT/qemu-sched")"
		echo "qemu wall seconds: $(cat "$OUT/wall-seconds")"
		echo "host loadavg before/after: $(cat "$OUT/loadavg-before") / $(cat "$OUT/loadavg-after")"
		echo "kernel cmdline: $(cat "$OUT/cmdline")"
		echo "buffer_size_kb: $(cat "$OUT/buffer_size_kb")"
		awk '/^== /{c=$2} /^(overrun|dropped events):/{printf "ring %s %s\n", c, $0}' "$OUT/ring-stats.txt"
		echo "ring overrun total: $(awk '/^overrun:/{s+=$2} END{print s+0}' "$OUT/ring-stats.txt")"
		echo "ring dropped total: $(awk '/^dropped events:/{s+=$3} END{print s+0}' "$OUT/ring-stats.txt")"
		sed 's/^/tracepoints /' "$OUT/tracepoints.txt"
		[ -s "$OUT/kprobe-events.txt" ] && sed 's/^/kprobe: /' "$OUT/kprobe-events.txt"
		[ -s "$OUT/kprobe-candidates.txt" ] && sed 's/^/kprobe candidate (kallsyms): /' "$OUT/kprobe-candidates.txt"
		grep -h -e '^init: kprobe' -e '^init: none of' -e '^init: no ' "$OUT/init.log" | sed 's/^init: /probe placed: /' || true
		sed 's/^/iommu group: /' "$OUT/iommu-groups.txt"
		sed 's/^/pci: /' "$OUT/pci.txt"
		for f in "$OUT"/swiotlb/*; do [ -f "$f" ] && echo "swiotlb ${f##*/}: $(cat "$f")"; done
		grep -iE 'DMAR|iommu|smmu|swiotlb|software IO TLB' "$OUT/dmesg.txt" | sed 's/^\[ *[0-9.]*\] //; s/^/dmesg: /' | head -n 40 || true
		[ -f "$OUT/net-tx-packets" ] && echo "net tx_packets $(cat "$OUT/net-tx-packets") rx_packets $(cat "$OUT/net-rx-packets")"
		grep -h 'rc=' "$OUT/init.log" | sed 's/^init: /step: /' || true
		awk -f "$HERE/iommu-counts.awk" "$OUT/trace.txt"
	} > "$meta"
	xz -9 -T1 -c "$OUT/trace.txt" > "$OUT/$NAME.txt.xz"
	say "$NAME.txt.xz $(stat -c %s "$OUT/$NAME.txt.xz") bytes"
	grep -E '^(ring (overrun|dropped) total|events total|events (map|unmap|dma_map_page|dma_unmap_page|dma_map_sg|dma_unmap_sg|cache_tag_flush_range|cache_tag_flush_range_np|cache_tag_flush_all|iotlb_sync|flush_iotlb_all|swiotlb_bounced)):' "$meta" >&2 || true
	if [ -n "$DEST" ]; then
		mkdir -p "$DEST"
		cp "$OUT/$NAME.txt.xz" "$meta" "$DEST/"
		say "copied $NAME.{txt.xz,meta} to $DEST"
	fi
}

packages
if [ "$POST_ONLY" = 0 ]; then
	initramfs
	run_qemu
fi
post
