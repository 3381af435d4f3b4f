#!/usr/bin/env bash
# Builds the nested host's initramfs from Debian packages only: the kernel
# package scripts/fetch-linux.sh unpacks (its vmlinuz and the modules KVM,
# virtiofs and networking need) and busybox-static.  Prints the path of the
# cpio archive, cached in .cache/nested/ (ignored by git) until its inputs
# change.
#   tests/nested/mkroot.sh KERNEL
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
kernel=$1
kdir=$(dirname "$(dirname "$kernel")")
kver=$(basename "$kernel"); kver=${kver#vmlinuz-}
mods="$kdir/lib/modules/$kver/kernel"
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkroot: needs busybox-static" >&2; exit 1; }
[ -d "$mods" ] || { echo "mkroot: no modules at $mods" >&2; exit 1; }

cache="$ROOT/.cache/nested"
out="$cache/outer-$kver.cpio.gz"
mkdir -p "$cache"
if [ -f "$out" ] && [ "$out" -nt "$here/init.sh" ] && [ "$out" -nt "$here/mkroot.sh" ] &&
   [ "$out" -nt "$bb" ] && [ "$out" -nt "$kernel" ]; then
	echo "$out"; exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{bin,proc,sys,dev,lib/modules}
cp "$bb" "$work/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s busybox "$work/bin/$a"; done
for m in irqbypass kvm kvm-amd tun veth fuse virtio_ring virtio \
	 virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtiofs overlay \
	 bridge stp llc; do
	f=$(find "$mods" -name "$m.ko" | head -n 1)
	[ -n "$f" ] || { echo "mkroot: module $m missing from $mods" >&2; exit 1; }
	cp "$f" "$work/lib/modules/"
done
cp "$here/init.sh" "$work/init"
chmod +x "$work/init"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
