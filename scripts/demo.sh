#!/usr/bin/env bash
# `make demo`: boot a guest under vmon and show it working.
#  - Where the host's KVM runs guest kernel code natively (Intel VT-x or
#    AMD-V), Debian's stock cloud kernel boots to a busybox shell prompt.
#  - Where it does not (a PVM host: guest kernel code is emulated, see
#    docs), the project's own test guest runs instead: greeting, SMP, timer,
#    memory map. The stock kernel's early boot is shown too, up to where the
#    host's KVM stops it, when DEMO_LINUX=1.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VMON=$ROOT/build/vmon
G=$ROOT/build/guest

hw_virt() { grep -qw -e vmx -e svm /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ]; }

if [ ! -w /dev/kvm ]; then
	echo "demo: /dev/kvm is missing or not writable by this user; vmon needs KVM." >&2
	exit 1
fi

if hw_virt; then
	echo "demo: this host has hardware virtualization: booting Debian's stock kernel to a shell."
	kernel=$("$ROOT/scripts/fetch-linux.sh")
	initrd=$ROOT/.cache/linux/shell.cpio.gz
	"$ROOT/scripts/mkinitramfs.sh" "$ROOT/.cache/linux/x" "$initrd" --shell
	echo "demo: type commands at the prompt; Ctrl-A x quits."
	exec "$VMON" run --kernel "$kernel" --initrd "$initrd" --cpus 2 --mem 512M \
		--cmdline "console=ttyS0 rdinit=/init panic=-1"
fi

echo "demo: this host's KVM emulates guest kernel code (no VT-x/AMD-V here), so a stock"
echo "demo: Linux cannot get past early boot; running vmon's own test guest instead."
show() {
	echo
	echo "\$ vmon $*" | sed "s|$ROOT/||g"
	local rc=0
	"$VMON" "$@" || rc=$?
	echo "(vmon exit status $rc)"
}
show run --kernel "$G/hello.elf" --debug-exit --cmdline "demo=1"
show run --kernel "$G/smp.elf" --debug-exit --cpus 2
show run --kernel "$G/memmap.elf" --debug-exit --mem 512M
show run --kernel "$G/timer.elf" --debug-exit
if [ "${DEMO_LINUX:-0}" = 1 ]; then
	kernel=$("$ROOT/scripts/fetch-linux.sh")
	echo "demo: stock Linux early boot (stops on this host with a clear report):"
	"$VMON" run --kernel "$kernel" --cpus 2 --mem 256M \
		--cmdline "earlyprintk=ttyS0 console=ttyS0" || true
fi
