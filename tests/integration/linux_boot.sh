#!/usr/bin/env bash
# Boots Debian's stock cloud kernel (fetched with apt-get) with a busybox
# initramfs, 2 vCPUs and 256 MiB, and checks what the kernel understood of
# the platform vmon built.  On a host with hardware virtualization the
# kernel must reach user space and run a command; on a host whose KVM
# emulates guest kernel code (PVM), it stops on an emulation failure that
# vmon must report cleanly with exit status 4.
source "$(dirname "$0")/../lib.sh"
need_kvm
need_cmd cpio cpio
need_cmd busybox busybox-static
kernel=$("$ROOT/scripts/fetch-linux.sh" 2>"$TMP/fetch.err") || { cat "$TMP/fetch.err"; skip "cannot fetch Debian's kernel package with apt-get"; }
initrd="$ROOT/.cache/linux/initramfs.cpio.gz"
if [ ! -s "$initrd" ] || [ "$initrd" -ot "$ROOT/scripts/mkinitramfs.sh" ]; then
	"$ROOT/scripts/mkinitramfs.sh" "$ROOT/.cache/linux/x" "$initrd" || fail "cannot build the initramfs"
fi

marker="vmon-test-$$-$RANDOM"
cmdline="earlyprintk=ttyS0 console=ttyS0 rdinit=/init panic=-1 vmon.marker=$marker ${LINUX_EXTRA_CMDLINE:-}"
cmdline=${cmdline% }
run_vmon 600 run --kernel "$kernel" --initrd "$initrd" --cpus 2 --mem 256M \
	--cmdline "$cmdline" --log-level info ${LINUX_EXTRA_ARGS:-}
out=$TMP/out err=$TMP/err

version=$(basename "$kernel" | sed 's/^vmlinuz-//')
expect_in "$out" "Linux version ${version//./\\.} " "kernel version"
grep -Fq "Command line: $cmdline" "$out" || { tail -n 40 "$out"; fail "kernel did not echo the exact command line"; }
expect_in "$out" "Hypervisor detected: KVM" "KVM signature in CPUID"
for t in RSDP XSDT FACP APIC DSDT; do
	expect_in "$out" "ACPI: $t 0x" "ACPI table $t found"
done
expect_in "$out" "Allowing 2 CPUs" "MADT lists 2 CPUs"

# The kernel's e820 map must be exactly the one vmon logged.
grep -o 'e820: \[mem [^]]*\] [a-z]*' "$err" | sed 's/^e820: //' >"$TMP/vmon.e820"
grep -o 'BIOS-e820: \[mem [^]]*\] [a-z]*' "$out" | sed 's/^BIOS-e820: //' >"$TMP/linux.e820"
[ -s "$TMP/vmon.e820" ] || fail "vmon logged no e820 map"
diff -u "$TMP/vmon.e820" "$TMP/linux.e820" || fail "e820 maps differ"

if grep -q "vmon-initramfs: user space reached" "$out"; then
	expect_in "$out" "vmon-initramfs: uname $version" "uname in user space"
	expect_in "$out" "vmon-initramfs: cpus 2" "both CPUs online"
	expect_in "$out" "vmon-initramfs: marker .*vmon.marker=$marker" "command line in user space"
	expect_rc 0 "poweroff from user space"
	echo "user space reached; powered off cleanly"
	exit 0
fi

# No user space: acceptable only as a cleanly reported emulation failure
# on a host without hardware virtualization.
if grep -qw -e vmx -e svm /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ]; then
	expect_rc 0 "hardware virtualization host: the guest must reach user space"
fi
expect_rc 4 "emulation failure on this host"
expect_in "$err" "KVM_EXIT_INTERNAL_ERROR, suberror 1 \(emulation failure\) at RIP 0x[0-9a-f]+; instruction bytes: [0-9a-f]{2}" "clear report"
expect_in "$err" "hardware virtualization" "operator advice"
echo "early boot milestones passed; stopped at: $(grep -m1 'instruction bytes' "$err")"
grep -q "payload unpacked on the host" "$err" || fail "the bzImage payload should have been unpacked on the host"

# The classic path: the kernel's own decompressor runs in the guest (slow
# where guest kernel code is emulated, so not repeated under sanitizers).
if [[ "$VMON" != *build-san* && "$VMON" != *build-tsan* ]]; then
	run_vmon 600 run --kernel "$kernel" --initrd "$initrd" --cpus 2 --mem 256M \
		--guest-decompress --cmdline "$cmdline" --log-level info
	grep -q "payload unpacked on the host" "$TMP/err" && fail "--guest-decompress still unpacked on the host"
	[ "$RC" = 0 ] || [ "$RC" = 4 ] || fail "classic path ended with status $RC"
	grep -Fq "Command line: $cmdline" "$TMP/out" || fail "classic path: command line"
	expect_in "$TMP/out" "Allowing 2 CPUs" "classic path"
	echo "classic bzImage path (guest decompressor) reached the same milestones"
fi
