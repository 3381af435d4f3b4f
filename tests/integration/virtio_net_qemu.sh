#!/usr/bin/env bash
# vmon-independent
# The test guest's virtio-net driver (virtio_net.elf) against QEMU's
# virtio-net-pci (modern only, vhost off) on QEMU microvm's PCIe bus,
# with a TAP device in a private network namespace: transmit, receive
# with and without merged buffers, echo.  An independent device passing
# the same checks as virtio_net.sh means a failure there points at vmon.
# microvm has no MCFG and no firmware: the guest is told the ECAM base.
source "$(dirname "$0")/../lib.sh"
need_kvm
QEMU_CPU=$("$ROOT/scripts/qemu-cpu.sh" "$GUEST/hello.elf")
need_cmd qemu-system-x86_64 qemu-system-x86
[ -f "$GUEST/virtio_net.elf" ] || fail "missing $GUEST/virtio_net.elf (make guest)"
need_cmd python3 python3

TAP=vmqtap0
GMAC=06:00:ac:10:00:03
PKT=$ROOT/tests/integration/virtio_net_pkt.py
QPID= CPID=
cleanup() {
	[ -n "$QPID" ] && kill "$QPID" 2>/dev/null
	[ -n "$CPID" ] && kill "$CPID" 2>/dev/null
	lib_cleanup
}
trap cleanup EXIT
need_netns "vmon-qtest-$$" "$TAP"

qstart() { # guest cmdline
	nsx timeout -k 5 60 qemu-system-x86_64 -M microvm,pcie=on -enable-kvm \
		-cpu "$QEMU_CPU" -m 256M -nodefaults -no-user-config -nographic \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off" \
		-device "virtio-net-pci,netdev=n0,disable-legacy=on,mac=$GMAC" \
		-kernel "$GUEST/virtio_net.elf" -append "ecam=0xe0000000 $1" \
		>"$TMP/out" 2>"$TMP/err" </dev/null &
	QPID=$!
}
qwait() { wait "$QPID"; RC=$?; QPID=; }
wait_for() { # FILE REGEX SECONDS
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -Eq -- "$2" "$1" && return 0
		sleep 0.1
	done
	cat "$TMP/out" "$TMP/err"
	fail "timed out waiting for /$2/"
}

qstart "test=tx n=32 size=1514"
qwait
if grep -q "pcie' not found" "$TMP/err"; then
	cat "$TMP/err"
	skip "this QEMU's microvm has no PCIe (needs QEMU 5.2 or later)"
fi
expect_rc 1 "tx"
expect_in "$TMP/out" "mac $GMAC, link up" "QEMU's MAC read from the config space"
expect_in "$TMP/out" "^virtio-net: tx: sent 32 frames of 1514 bytes" "tx"

sizes=$(python3 -c 'print(",".join(str(60 + (i * 211) % 1455) for i in range(30)))')
for args in "n=30" "n=30 mrg=1 rxbuf=256" "n=30 evidx=1 qsize=16"; do
	qstart "test=rx timeout=30 $args"
	wait_for "$TMP/out" "^virtio-net: rx: ready" 30
	nsx python3 "$PKT" send "$TAP" "$GMAC" "$sizes" >"$TMP/sent"
	qwait
	expect_rc 1 "rx $args"
	expect_in "$TMP/out" "^virtio-net: rx: $(cat "$TMP/sent")" "rx $args"
done

qstart "test=echo n=8 timeout=30"
wait_for "$TMP/out" "^virtio-net: echo: ready" 30
nsx python3 "$PKT" echo "$TAP" "$GMAC" 8 5 >"$TMP/echo"
qwait
expect_rc 1 "echo"
expect_in "$TMP/echo" "^echoed 8 of 8 frames" "echo"
echo "the guest's virtio-net driver works against QEMU's device too"
