#!/usr/bin/env bash
# Builds a busybox initramfs for the stock-Linux test into .cache/linux:
# Debian's busybox-static plus the kernel package's virtio modules.  Its
# /init prints what the test looks for, runs a command, and powers off.
#   scripts/mkinitramfs.sh KERNEL_DIR OUT.cpio.gz [--shell]
# With --shell, /init starts an interactive shell instead of powering off.
set -eu
kdir=$1 out=$2 mode=${3:-}
bb=/bin/busybox
[ -x "$bb" ] && "$bb" --list >/dev/null 2>&1 || { echo "mkinitramfs: needs busybox-static" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,sbin,proc,sys,dev,tmp,lib/modules}
cp "$bb" "$work/bin/busybox"
for a in sh mount echo cat uname insmod poweroff sleep ls grep setsid ps free df dmesg; do ln -s busybox "$work/bin/$a"; done

mods=$(ls -d "$kdir"/lib/modules/* 2>/dev/null | head -n 1)
if [ -n "$mods" ]; then
	# Load order matters: core, ring, transports, then devices.
	for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
		 virtio_blk failover net_failover virtio_net virtio-rng virtio_balloon; do
		f=$(find "$mods/kernel" -name "$m.ko" | head -n 1)
		[ -n "$f" ] && cp "$f" "$work/lib/modules/"
	done
fi
cat >"$work/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
	 virtio_blk failover net_failover virtio_net virtio-rng virtio_balloon; do
	[ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null
done
echo "vmon-initramfs: user space reached"
echo "vmon-initramfs: uname $(uname -r)"
echo "vmon-initramfs: cpus $(grep -c ^processor /proc/cpuinfo)"
echo "vmon-initramfs: marker $(cat /proc/cmdline)"
if [ -e /shell ]; then
	echo "vmon-initramfs: type 'poweroff -f' to leave"
	setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1'
fi
poweroff -f
INIT
[ "$mode" = --shell ] && : >"$work/shell"
chmod +x "$work/init"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -9) >"$out"
