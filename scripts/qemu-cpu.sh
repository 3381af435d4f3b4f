#!/usr/bin/env bash
# Prints the -cpu model QEMU should use with KVM on this host, for the
# tests and benchmarks that run QEMU beside vmon:
#
#   scripts/qemu-cpu.sh HELLO_ELF      (the test guest's hello.elf)
#
# "host", except where this host's KVM refuses the write of
# IA32_ARCH_CAPABILITIES (MSR 0x10a) that QEMU makes for -cpu host and
# QEMU aborts at start ("failed to set MSR 0x10a to 0x69", an assertion in
# kvm_buf_set_msrs; seen on PVM hosts with Linux 6.18): there
# "host,-arch-capabilities", which only hides that MSR, one no test guest
# reads.  Decided by a boot of hello.elf, not by guessing from the host.
set -u
hello=${1:?usage: scripts/qemu-cpu.sh HELLO_ELF}
qemu=${QEMU:-qemu-system-x86_64}
err=$(timeout -k 5 30 "$qemu" -M microvm -enable-kvm -cpu host -m 64M \
	-nodefaults -no-user-config -nographic -serial none \
	-device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$hello" \
	</dev/null 2>&1 >/dev/null)
if grep -q 'failed to set MSR 0x10a' <<<"$err"; then
	echo "host,-arch-capabilities"
else
	echo host
fi
