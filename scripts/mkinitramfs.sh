#!/usr/bin/env bash
# Builds the busybox initramfs the stock-Linux tests and the demo boot:
# Debian's busybox-static, the kernel package's virtio and vsock modules,
# and tests/linux/vsock_tool (busybox has no AF_VSOCK), built static here.
#   scripts/mkinitramfs.sh KERNEL_DIR OUT.cpio.gz [--shell]
# /init loads the modules, prints what the tests look for, then acts on
# vmon.mode= from the kernel command line:
#   (none)  powers off                  (tests/integration/linux_boot.sh)
#   shell   an interactive shell on the console, as --shell makes default
#   e2e     a quiet shell on the console, driven by tests/linux/e2e.py
#   dmesg   prints the kernel log between markers, then powers off
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
kdir=$1 out=$2 mode=${3:-}
bb=/bin/busybox
[ -x "$bb" ] && "$bb" --list >/dev/null 2>&1 || { echo "mkinitramfs: needs busybox-static" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,sbin,proc,sys,dev,tmp,mnt,lib/modules}
cp "$bb" "$work/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s busybox "$work/bin/$a"; done
${CC:-gcc} -std=gnu17 -O2 -Wall -Wextra -Werror -static \
	-o "$work/bin/vsock_tool" "$ROOT/tests/linux/vsock_tool.c"

# Load order: each module after those it depends on (no modules.dep here).
modules="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	 virtio_blk failover net_failover virtio_net virtio-rng virtio_balloon
	 vsock vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport"
mods=$(ls -d "$kdir"/lib/modules/* 2>/dev/null | head -n 1)
if [ -n "$mods" ]; then
	for m in $modules; do
		f=$(find "$mods/kernel" -name "$m.ko" | head -n 1)
		[ -n "$f" ] || { echo "mkinitramfs: module $m missing" >&2; exit 1; }
		cp "$f" "$work/lib/modules/"
	done
fi
cat >"$work/init" <<INIT
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
for m in $(echo $modules); do
	[ -f /lib/modules/\$m.ko ] && insmod /lib/modules/\$m.ko
done
INIT
cat >>"$work/init" <<'INIT'
echo "vmon-initramfs: user space reached"
echo "vmon-initramfs: uname $(uname -r)"
echo "vmon-initramfs: cpus $(grep -c ^processor /proc/cpuinfo)"
echo "vmon-initramfs: marker $(cat /proc/cmdline)"
mode=
[ -e /shell ] && mode=shell
for w in $(cat /proc/cmdline); do
	case "$w" in vmon.mode=*) mode=${w#vmon.mode=} ;; esac
done
case "$mode" in
shell)
	echo "vmon-initramfs: a busybox shell; 'poweroff -f' (or Ctrl-A x) leaves"
	setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1' ;;
e2e)
	# One command per line, no echo, no prompt, no line editing: the
	# driver writes a line and reads its marker back.
	stty -F /dev/ttyS0 -echo 2>/dev/null
	echo "vmon-initramfs: e2e ready"
	while read -r line; do eval "$line"; done </dev/ttyS0 >/dev/ttyS0 2>&1 ;;
dmesg)
	echo "vmon-initramfs: dmesg begin"
	dmesg
	echo "vmon-initramfs: dmesg end" ;;
esac
poweroff -f
INIT
[ "$mode" = --shell ] && : >"$work/shell"
chmod +x "$work/init"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -9) >"$out"
