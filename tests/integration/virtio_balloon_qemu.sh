#!/usr/bin/env bash
# vmon-independent
# The test guest's balloon driver (guest/programs/virtio_balloon.c)
# against QEMU's virtio-balloon-pci (modern only) on microvm's PCIe bus,
# the target set through QEMU's monitor: an independent device passing
# the same program checks the guest side, so a virtio_balloon.sh failure
# under vmon points at vmon.  QEMU discards inflated pages too, so they
# read back zero there as well.
source "$(dirname "$0")/../lib.sh"
need_kvm
QEMU_CPU=$("$ROOT/scripts/qemu-cpu.sh" "$GUEST/hello.elf")
need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd python3 python3
[ -f "$GUEST/virtio_balloon.elf" ] || fail "missing $GUEST/virtio_balloon.elf (make guest)"

mon=$TMP/mon
monitor() { # HMP command
	python3 - "$mon" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
for _ in range(100):
    try:
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.05)
s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(0.2)
s.close()
PY
}
wait_for() { # regex
	for _ in $(seq 400); do grep -Eq -- "$1" "$TMP/out" && return 0; sleep 0.05; done
	cat "$TMP/out" "$TMP/err"; fail "timed out waiting for /$1/"
}

timeout -k 5 60 qemu-system-x86_64 -M microvm,pcie=on,rtc=on -enable-kvm \
	-cpu "$QEMU_CPU" -m 256M -nodefaults -no-user-config -nographic \
	-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
	-device virtio-balloon-pci,disable-legacy=on,deflate-on-oom=on \
	-monitor "unix:$mon,server,nowait" \
	-kernel "$GUEST/virtio_balloon.elf" -append "ecam=0xe0000000 hold=200 wait=30" \
	>"$TMP/out" 2>"$TMP/err" </dev/null &
qemu=$!
trap 'kill -9 $qemu 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -S "$mon" ] && break; sleep 0.05; done
if grep -q "pcie' not found" "$TMP/err" 2>/dev/null; then
	skip "this QEMU's microvm has no PCIe (needs QEMU 5.2 or later)"
fi
wait_for "^virtio-balloon: device at"
monitor "balloon 224"		# 32 MiB into the balloon
wait_for "^virtio-balloon: inflated 8192 pages"
monitor "balloon 240"		# give 16 MiB back
wait_for "^virtio-balloon: OK"
wait $qemu; RC=$?
expect_rc 1 "balloon guest under QEMU"
expect_in "$TMP/out" "deflate-on-oom on" "DEFLATE_ON_OOM negotiated"
expect_in "$TMP/out" "^virtio-balloon: target now 4096 pages"
expect_in "$TMP/out" "^virtio-balloon: deflated 4096 pages, actual 4096; 4096 of them read back zero"
echo "the guest's balloon driver works against QEMU's device too"
