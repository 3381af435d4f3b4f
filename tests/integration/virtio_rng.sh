#!/usr/bin/env bash
# virtio-rng end to end: the test guest finds the device on PCI bus 0,
# negotiates VERSION_1, sets up queue 0 and fetches random bytes, polling
# the used ring, with MSI-X and with INTx; also with indirect
# descriptors, EVENT_IDX, a moved BAR and configuration mechanism #1.
# The bytes must arrive and not be constant; every queue notification
# must have gone through an ioeventfd (none trapped).
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -f "$GUEST/virtio_rng.elf" ] || fail "missing $GUEST/virtio_rng.elf (make guest)"

rng() { # expected-irq-mode cmdline...
	run_vmon 60 run --kernel "$GUEST/virtio_rng.elf" --debug-exit --rng \
		--log-level info --cmdline "$*"
	expect_rc 1 "virtio_rng $*"
	expect_in "$TMP/out" "^virtio-rng: got [0-9]+ bytes, [0-9]+ distinct values" "bytes arrived ($*)"
	expect_in "$TMP/out" "^virtio-rng: OK" "not constant ($*)"
	expect_in "$TMP/err" "virtio-rng 00:01\.0: 0 protocol violations, 0 notifications trapped" \
		"ioeventfd caught every notification ($*)"
}

for mode in poll msix intx; do
	rng irq=$mode bytes=65536
	expect_in "$TMP/out" "got 65536 bytes, 256 distinct values \(irq=$mode" "$mode"
done
rng irq=msix bytes=262144 indirect=1 evidx=1
rng irq=intx bytes=100000 evidx=1 qsize=256
rng irq=msix bar=0xd0000000 bytes=8192
expect_in "$TMP/out" "bar0 0xd0000000" "BAR0 moved by the guest"
rng irq=intx pcicfg=cf8 bytes=16 qsize=2
expect_in "$TMP/out" "cf8 config access" "configuration mechanism #1"

# Without --rng there is no device, and the guest says so.
run_vmon 60 run --kernel "$GUEST/virtio_rng.elf" --debug-exit
expect_rc 3 "no device: exit 1"
expect_in "$TMP/out" "no virtio entropy device" "absent device"
echo "virtio-rng: bytes arrive by polling, MSI-X and INTx"
