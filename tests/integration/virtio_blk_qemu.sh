#!/usr/bin/env bash
# vmon-independent
# The test guest's virtio-blk driver and tests against QEMU's
# virtio-blk-pci (modern only) on QEMU microvm's PCIe bus: patterns
# (checked byte for byte on the host), GET_ID (serial=), a read-only
# drive, requests past the end, discard and write zeroes.  An independent
# device passing the same program checks the guest side, so a
# virtio_blk.sh failure under vmon points at vmon.  microvm has no MCFG:
# the guest is told the ECAM base.  (test=bad is vmon's own: QEMU fails
# the device on some requests vmon answers with IOERR; both are allowed.)
source "$(dirname "$0")/../lib.sh"
need_kvm
QEMU_CPU=$("$ROOT/scripts/qemu-cpu.sh" "$GUEST/hello.elf")
need_cmd qemu-system-x86_64 qemu-system-x86
need_cmd python3 python3
[ -f "$GUEST/virtio_blk.elf" ] || fail "missing $GUEST/virtio_blk.elf (make guest)"

qemu() { # drive-options cmdline
	timeout -k 5 120 qemu-system-x86_64 -M microvm,pcie=on,rtc=on \
		-enable-kvm -cpu "$QEMU_CPU" -m 256M -nodefaults -no-user-config \
		-nographic -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-drive "if=none,id=d0,format=raw,$1" \
		-device virtio-blk-pci,drive=d0,disable-legacy=on,serial=qemu-serial-01 \
		-kernel "$GUEST/virtio_blk.elf" -append "ecam=0xe0000000 $2" \
		>"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?
}
passed() {
	expect_rc 1 "$1"
	expect_in "$TMP/out" "^virtio-blk: OK" "$1"
	! grep -q FAIL "$TMP/out" || { cat "$TMP/out"; fail "$1: a check failed"; }
}

head -c 16M /dev/urandom >"$TMP/a.img"
cp "$TMP/a.img" "$TMP/a.orig"
qemu "file=$TMP/a.img,cache=writeback,discard=unmap" "test=pattern seed=5"
if grep -q "pcie' not found" "$TMP/err"; then
	cat "$TMP/err"
	skip "this QEMU's microvm has no PCIe (needs QEMU 5.2 or later)"
fi
passed "pattern"
python3 "$ROOT/tests/integration/virtio_blk_verify.py" "$TMP/a.orig" \
	"$TMP/a.img" "$TMP/out" 5 || fail "pattern: the image differs"
qemu "file=$TMP/a.img" "test=getid shortid=any"
passed "getid"
expect_in "$TMP/out" "^virtio-blk: serial 'qemu-serial-01'" "QEMU's serial"
sum=$(sha256sum <"$TMP/a.img")
qemu "file=$TMP/a.img,readonly=on" "test=ro rodiscard_any=1"
passed "read-only"
[ "$(sha256sum <"$TMP/a.img")" = "$sum" ] || fail "the read-only image changed"
qemu "file=$TMP/a.img" "test=pastend"
passed "past the end"
qemu "file=$TMP/a.img,discard=unmap" "test=zeroes"
passed "zeroes"
echo "the guest's virtio-blk tests pass against QEMU's device too"
