#!/usr/bin/env bash
# vmon-independent
# The test guest's virtio driver against QEMU's virtio-rng-pci (modern
# only) on QEMU microvm's PCIe bus: polling, MSI-X and INTx.  An
# independent device implementation passing the same program checks the
# guest side, so a virtio_rng.sh failure under vmon points at vmon.
# microvm has no MCFG and no firmware to place BARs or fill the Interrupt
# Line: the guest is told the ECAM base and the GSI, and places BARs.
source "$(dirname "$0")/../lib.sh"
need_kvm
QEMU_CPU=$("$ROOT/scripts/qemu-cpu.sh" "$GUEST/hello.elf")
need_cmd qemu-system-x86_64 qemu-system-x86
[ -f "$GUEST/virtio_rng.elf" ] || fail "missing $GUEST/virtio_rng.elf (make guest)"

qemu() { # cmdline
	timeout -k 5 60 qemu-system-x86_64 -M microvm,pcie=on,rtc=on -enable-kvm \
		-cpu "$QEMU_CPU" -m 256M -nodefaults -no-user-config -nographic \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-device virtio-rng-pci,disable-legacy=on \
		-kernel "$GUEST/virtio_rng.elf" -append "ecam=0xe0000000 $*" \
		>"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?
}

qemu irq=poll bytes=65536
if grep -q "pcie' not found" "$TMP/err"; then
	cat "$TMP/err"
	skip "this QEMU's microvm has no PCIe (needs QEMU 5.2 or later)"
fi
expect_rc 1 "poll"
expect_in "$TMP/out" "^virtio-rng: OK" "poll"
qemu irq=msix bytes=65536 indirect=1 evidx=1
expect_rc 1 "msix"
expect_in "$TMP/out" "^virtio-rng: OK" "msix"
qemu irq=intx gsi=17 bytes=65536
expect_rc 1 "intx"
expect_in "$TMP/out" "^virtio-rng: OK" "intx"
echo "the guest's virtio driver works against QEMU's device too"
