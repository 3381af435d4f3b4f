#!/usr/bin/env bash
# A media change through the API (Firecracker's PATCH /drives/{id}): the
# guest (virtio_blk test=media) reads sector 1 of the first image, the
# host switches the drive to a second, larger image while the VM runs,
# and the guest sees the configuration change, the new capacity and the
# new image's bytes.  A PATCH to a file that cannot be used is refused
# with a reason and leaves the drive as it was; the configuration read
# back names the new path.
source "$(dirname "$0")/../lib.sh"
need_cmd curl curl
need_kvm
[ -f "$GUEST/virtio_blk.elf" ] || fail "missing $GUEST/virtio_blk.elf (make guest)"
sock=$TMP/api.sock
wait_for() { # file regex
	for _ in $(seq 200); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "--- $1"; cat "$1"; echo "--- err"; tail -20 "$TMP/err"
	fail "timed out waiting for /$2/ in $1"
}
image() { # path MiB text-in-sector-1
	truncate -s "$2M" "$1"
	printf '%s' "$3" | dd of="$1" bs=512 seek=1 conv=notrunc status=none
}
image "$TMP/first.img" 4 "first media"
image "$TMP/second.img" 8 "second media"

"$VMON" --api-sock "$sock" >"$TMP/out" 2>"$TMP/err" </dev/null &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done

api_ok 204 PUT /machine-config '{"vcpu_count":1,"mem_size_mib":128}'
api_ok 204 PUT /boot-source "{\"kernel_image_path\":\"$GUEST/virtio_blk.elf\",\"boot_args\":\"test=media\"}"
api_ok 204 PUT /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$TMP/first.img\",\"is_root_device\":false,\"is_read_only\":false}"
# Before the start there is nothing to change.
api_ok 400 PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$TMP/second.img\"}"
grep -q "needs a started VM" "$TMP/r" || { cat "$TMP/r"; fail "PATCH before the start"; }
api_ok 204 PUT /actions '{"action_type":"InstanceStart"}'
wait_for "$TMP/out" "^virtio-blk: waiting for a media change"
expect_in "$TMP/out" "^virtio-blk: disk 0 at 00:0[0-9a-f].0, 8192 sectors" "first capacity"
expect_in "$TMP/out" "^virtio-blk: sector 1 'first media'" "first image"

# Refused: an empty file, a missing one.  The drive stays as it was.
: >"$TMP/empty.img"
api_ok 400 PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$TMP/empty.img\"}"
grep -q "at least one 512-byte sector" "$TMP/r" || { cat "$TMP/r"; fail "empty image reason"; }
api_ok 400 PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$TMP/nope.img\"}"
grep -q "No such file" "$TMP/r" || { cat "$TMP/r"; fail "missing image reason"; }
api_ok 400 PATCH /drives/other "{\"drive_id\":\"other\",\"path_on_host\":\"$TMP/second.img\"}"
grep -q "no drive 'other'" "$TMP/r" || { cat "$TMP/r"; fail "unknown drive"; }
grep -q "media changed" "$TMP/out" && fail "a refused PATCH changed the media"

api_ok 204 PATCH /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$TMP/second.img\"}"
wait_for "$TMP/out" "^virtio-blk: OK"
expect_in "$TMP/out" "^virtio-blk: media changed: 16384 sectors" "new capacity"
expect_in "$TMP/out" "^virtio-blk: sector 1 'second media'" "new image's bytes"
expect_in "$TMP/out" "^virtio-blk: media: read the new last sector: OK" "new last sector"
api_ok 200 GET /vm/config
grep -qF "\"path_on_host\":\"$TMP/second.img\"" "$TMP/r" || { cat "$TMP/r"; fail "vm/config path"; }
# The first image is free again: another process can lock it.
flock -n -x "$TMP/first.img" true || fail "the old image is still locked"
flock -n -x "$TMP/second.img" true && fail "the new image is not locked"
kill -TERM $pid
wait $pid
RC=$?
expect_rc 0 "SIGTERM"
echo "virtio-blk: media change through PATCH /drives"
