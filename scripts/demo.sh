#!/usr/bin/env bash
# `make demo`: boot a guest under vmon and show it working.
#  - Where the host's KVM runs guest kernel code natively (Intel VT-x or
#    AMD-V), Debian's stock cloud kernel boots to a busybox shell prompt.
#  - Where it does not (a PVM host: guest kernel code is emulated), the
#    project's own test guest runs here, then Linux boots under vmon on the
#    nested host (tests/nested/: QEMU's TCG emulating AMD SVM), where a
#    script types commands at its shell and shows the answers.
#  - With no usable /dev/kvm at all, both run on the nested host.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VMON=$ROOT/build/vmon
G=$ROOT/build/guest

hw_virt() { grep -qw -e vmx -e svm /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ] && [ -w /dev/kvm ]; }

linux_initrd() { # builds the interactive demo's initramfs, prints its path
	local initrd=$ROOT/.cache/linux/shell.cpio.gz
	"$ROOT/scripts/mkinitramfs.sh" "$ROOT/.cache/linux/x" "$initrd" --shell
	echo "$initrd"
}

if hw_virt; then
	echo "demo: this host has hardware virtualization: booting Debian's stock kernel to a shell."
	kernel=$("$ROOT/scripts/fetch-linux.sh")
	initrd=$(linux_initrd)
	echo "demo: type commands at the prompt; 'poweroff -f' or Ctrl-A x quits."
	start=$SECONDS
	rc=0
	"$VMON" run --kernel "$kernel" --initrd "$initrd" --cpus 2 --mem 512M \
		--rng --cmdline "console=ttyS0 rdinit=/init panic=-1" || rc=$?
	echo "demo: vmon ran $((SECONDS - start)) s, exit status $rc"
	exit $rc
fi

show() {
	echo
	echo "\$ vmon $*" | sed "s|$ROOT/||g"
	local rc=0
	"$VMON" "$@" || rc=$?
	echo "(vmon exit status $rc)"
}
test_guest() {
	show run --kernel "$G/hello.elf" --debug-exit --cmdline "demo=1"
	show run --kernel "$G/smp.elf" --debug-exit --cpus 2
	show run --kernel "$G/memmap.elf" --debug-exit --mem 512M
	show run --kernel "$G/timer.elf" --debug-exit
}

if [ -w /dev/kvm ]; then
	echo "demo: this host's KVM emulates guest kernel code (PVM: no VT-x/AMD-V here), so a"
	echo "demo: stock Linux cannot get past early boot; running vmon's own test guest first."
	test_guest
else
	echo "demo: this machine has no usable /dev/kvm ($( [ -e /dev/kvm ] && echo 'not writable by this user' || echo 'absent: its KVM module did not bind' ))."
fi

# Elsewhere, the nested host: QEMU's software engine emulating an AMD CPU
# with SVM, whose /dev/kvm runs guest kernels (tests/nested/run.sh).
echo
echo "demo: booting Debian's stock kernel under vmon on the nested host (QEMU TCG"
echo "demo: emulating AMD SVM; see docs/nested.md). This takes about a minute."
kernel=$("$ROOT/scripts/fetch-linux.sh")
initrd=$ROOT/.cache/linux/e2e.cpio.gz
[ -s "$initrd" ] && [ "$initrd" -nt "$ROOT/scripts/mkinitramfs.sh" ] ||
	"$ROOT/scripts/mkinitramfs.sh" "$ROOT/.cache/linux/x" "$initrd"
guest_too=0
[ -w /dev/kvm ] || guest_too=1
rc=0
"$ROOT/tests/nested/run.sh" --timeout 900 -- \
	"$ROOT/scripts/demo_nested.sh" "$guest_too" "$kernel" "$initrd" || rc=$?
case $rc in
0) ;;
77) echo "demo: the nested host cannot run here (see the SKIP line above)." ;;
75) echo "demo: the emulated host itself failed; run 'make demo' again." ;;
*) echo "demo: failed with status $rc" ;;
esac
exit $rc
