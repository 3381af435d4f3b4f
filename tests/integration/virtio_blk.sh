#!/usr/bin/env bash
# virtio-blk end to end with the test guest (guest/programs/virtio_blk.c):
# patterns written across a disk (first, middle, last sectors, a spread,
# 1 MiB) with many requests in flight, read back and compared in the
# guest, and the image compared byte for byte on the host against what
# the host expects (io_uring and the synchronous backend); two disks; a
# read-only disk refuses writes and its image is unchanged; requests past
# the end fail; GET_ID returns the configured id; discard and write
# zeroes; flush reaches the file while vmon still runs and is an
# fdatasync in writeback mode only; malformed requests reset only the
# device while vmon and the entropy device keep working; images that
# cannot be used are refused at start with a clear message.
source "$(dirname "$0")/../lib.sh"
need_kvm
need_cmd python3 python3
# FLUSH as fdatasync is checked under strace, which ptrace must allow.
need_cmd strace strace
strace -qq -e trace=none true 2>"$TMP/strace.err" ||
	skip "strace cannot trace here: $(head -n 1 "$TMP/strace.err")"
[ -f "$GUEST/virtio_blk.elf" ] || fail "missing $GUEST/virtio_blk.elf (make guest)"

blk() { # vmon run arguments after the kernel
	run_vmon 120 run --kernel "$GUEST/virtio_blk.elf" --debug-exit \
		--log-level info "$@"
}
passed() { # what
	expect_rc 1 "$1: the guest exits 0"
	expect_in "$TMP/out" "^virtio-blk: OK" "$1"
	! grep -q "FAIL" "$TMP/out" || { cat "$TMP/out"; fail "$1: a check failed"; }
}
mkimg() { # path MiB: random bytes
	head -c $(($2 << 20)) /dev/urandom >"$1"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# virtio_blk_verify.py recomputes the guest's pattern on the host.
verify() { python3 "$ROOT/tests/integration/virtio_blk_verify.py" "$@"; }

# ---- patterns: io_uring (polling), synchronous I/O, io_uring without polling
mkimg "$TMP/a.img" 16
for io in io_uring sync no-polling; do
	cp "$TMP/a.img" "$TMP/a.orig"
	if [ $io = sync ]; then export VMON_BLK_IO=sync; fi
	if [ $io = no-polling ]; then export VMON_BLK_POLL_US=0; fi
	blk --disk "$TMP/a.img,id=first" --cmdline "test=pattern seed=7"
	unset VMON_BLK_IO VMON_BLK_POLL_US
	passed "pattern ($io)"
	expect_in "$TMP/err" "disk $TMP/a.img: 32768 sectors, read-write, cache unsafe, ${io/no-polling/io_uring} I/O" "$io backend"
	verify "$TMP/a.orig" "$TMP/a.img" "$TMP/out" 7 ||
		fail "pattern ($io): the image is not what the guest wrote"
done

# ---- two disks: the second one is written, the first is not -------------------
mkimg "$TMP/b.img" 8
cp "$TMP/b.img" "$TMP/b.orig"
before=$(sha "$TMP/a.img")
blk --disk "$TMP/a.img" --disk "$TMP/b.img,cache=writeback" --cmdline "test=pattern disk=1 seed=3"
passed "second disk"
expect_in "$TMP/out" "^virtio-blk: disk 1 at 00:0[0-9a-f].0, 16384 sectors" "disk=1 is the 8 MiB one"
[ "$(sha "$TMP/a.img")" = "$before" ] || fail "the first disk changed"
verify "$TMP/b.orig" "$TMP/b.img" "$TMP/out" 3 || fail "second disk's bytes"

# ---- read-only: refused writes, the image unchanged ------------------------------
before=$(sha "$TMP/b.img")
blk --disk "$TMP/b.img,ro" --cmdline "test=ro"
passed "read-only"
expect_in "$TMP/out" "^virtio-blk: ro: write: IOERR" "write refused"
expect_in "$TMP/out" "^virtio-blk: ro: discard: IOERR" "discard refused"
expect_in "$TMP/err" "read-only, cache unsafe" "opened read-only"
[ "$(sha "$TMP/b.img")" = "$before" ] || fail "the read-only image changed"
# A read-only disk needs only read permission: a read-only file works.
chmod 0444 "$TMP/b.img"
if [ "$(id -u)" != 0 ]; then
	blk --disk "$TMP/b.img" --cmdline "test=ro"
	expect_rc 2 "a read-only file as a writable disk"
	expect_in "$TMP/err" "add ,ro for a read-only disk" "the hint"
fi
blk --disk "$TMP/b.img,ro" --cmdline "test=ro"
passed "read-only file"
chmod 0644 "$TMP/b.img"

# ---- past the end, overflowing --------------------------------------------
before=$(sha "$TMP/b.img")
blk --disk "$TMP/b.img" --cmdline "test=pastend"
passed "past the end"
[ "$(grep -c '^virtio-blk: pastend: .*: IOERR' "$TMP/out")" -ge 9 ] || fail "past-the-end statuses"
[ "$(sha "$TMP/b.img")" = "$before" ] || fail "a refused write reached the image"

# ---- GET_ID ---------------------------------------------------------------
blk --disk "$TMP/b.img,id=vol-0123" --cmdline "test=getid"
passed "get-id"
expect_in "$TMP/out" "^virtio-blk: serial 'vol-0123' \(used length 21\)" "the configured id"
expect_in "$TMP/out" "^virtio-blk: getid: 19-byte buffer: IOERR" "a short buffer"
blk --disk "$TMP/b.img,id=abcdefghijklmnopqrstuvwxyz" --cmdline "test=getid"
passed "get-id, long id"
expect_in "$TMP/out" "^virtio-blk: serial 'abcdefghijklmnopqrst'" "the first 20 bytes"
blk --disk "$TMP/b.img" --cmdline "test=getid"
passed "get-id, no id"
expect_in "$TMP/out" "^virtio-blk: serial ''" "no id: an empty serial"

# ---- discard and write zeroes (ext4 or the like, then tmpfs) ----------------
zeroes_ok() { # image
	python3 - "$1" <<'PY' || fail "write zeroes: the image does not hold zeroes"
import sys
f = open(sys.argv[1], "rb").read()
for s in (512, 1024):
    assert f[s * 512:(s + 16) * 512] == bytes(8192), "sectors %d-%d" % (s, s + 15)
PY
}
blk --disk "$TMP/b.img" --cmdline "test=zeroes"
passed "zeroes"
zeroes_ok "$TMP/b.img"
if [ -w /dev/shm ]; then
	shm=$(mktemp /dev/shm/vmon-blk.XXXXXX)
	head -c 4M /dev/urandom >"$shm"
	blk --disk "$shm" --cmdline "test=zeroes"
	cp "$shm" "$TMP/shm.img"
	rm -f "$shm"
	passed "zeroes on tmpfs (no FALLOC_FL_ZERO_RANGE)"
	zeroes_ok "$TMP/shm.img"
fi

# ---- flush --------------------------------------------------------------------
# While vmon runs, the written sectors must be in the file: the guest
# waits (wait=1) until the host has looked, then exits.  A reader on the
# host sees the page cache, so this checks that the write reached the
# file, not the disk; that FLUSH is an fdatasync is checked below with
# strace (synchronous backend: io_uring's fsync is not a system call) and
# in tests/unit/test_virtio_blk_dev.c.
check_flushed() {
	python3 - "$TMP/b.img" <<'PY' || fail "flush: the file lacks the write"
import sys
M32 = 0xffffffff
f = open(sys.argv[1], "rb")
f.seek(64 * 512)
got = f.read(4096)
want = bytearray()
for s in range(64, 72):
    a = (s * 0x9e3779b1) & M32
    for i in range(512):
        v = a ^ ((i + 1) * 0x85ebca6b & M32)
        v ^= v >> 15; v = v * 0x2c1b3c6d & M32; v ^= v >> 12
        want.append(v & 0xff)
assert got == bytes(want)
PY
}
dd if=/dev/zero of="$TMP/b.img" bs=512 seek=64 count=8 conv=notrunc status=none
mkfifo "$TMP/in"
exec 3<>"$TMP/in"
"$VMON" run --kernel "$GUEST/virtio_blk.elf" --debug-exit \
	--disk "$TMP/b.img,cache=writeback" --cmdline "test=flush wait=1" \
	<"$TMP/in" >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 300); do grep -q "waiting for the host" "$TMP/out" && break; sleep 0.1; done
expect_in "$TMP/out" "^virtio-blk: flush: OK" "flush status"
kill -0 $pid 2>/dev/null || fail "vmon is gone before the host looked"
check_flushed
printf 'q' >&3
wait $pid
RC=$?
exec 3>&-
passed "flush, writeback"

for cache in writeback unsafe; do
	# LeakSanitizer cannot run under ptrace (the [san] pass).
	VMON_BLK_IO=sync ASAN_OPTIONS=detect_leaks=0 \
		timeout 120 strace -f -qq -e trace=fdatasync \
		-o "$TMP/strace" "$VMON" run --kernel "$GUEST/virtio_blk.elf" \
		--debug-exit --disk "$TMP/b.img,cache=$cache" \
		--cmdline "test=flush" >"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?
	passed "flush, $cache, under strace"
	n=$(grep -c "fdatasync(" "$TMP/strace")
	if [ $cache = writeback ]; then
		[ "$n" -ge 1 ] || fail "writeback: FLUSH made no fdatasync"
	else
		[ "$n" -eq 0 ] || fail "unsafe: FLUSH made $n fdatasync calls"
	fi
done

# ---- malformed requests --------------------------------------------------------
t0=$(date +%s)
blk --disk "$TMP/b.img" --rng --cmdline "test=bad rng=1"
passed "malformed requests"
expect_in "$TMP/out" "^virtio-blk: bad: no status descriptor: needs-reset, recovered" "no status"
expect_in "$TMP/out" "^virtio-blk: bad: device-readable status: needs-reset, recovered" "readable status"
expect_in "$TMP/out" "^virtio-blk: bad: unknown type 0x77: UNSUPP" "unknown type"
expect_in "$TMP/out" "^virtio-blk: the entropy device gave 64 bytes" "the other device still works"
expect_ratelimited "$TMP/err" "virtio-blk 00:0[0-9a-f].0: .*needs a reset" 3 "$t0"

# ---- images that cannot be used, at start ---------------------------------------
: >"$TMP/empty.img"
blk --disk "$TMP/empty.img"
expect_rc 2 "an empty image"
expect_in "$TMP/err" "disk $TMP/empty.img: 0 bytes; a raw image needs at least one 512-byte sector" "empty"
blk --disk "$TMP/missing.img"
expect_rc 2 "a missing image"
expect_in "$TMP/err" "disk $TMP/missing.img: No such file or directory" "missing"
blk --disk "$TMP,ro"
expect_rc 2 "a directory"
expect_in "$TMP/err" "not a regular file or a block device" "directory"
blk --disk /dev/null
expect_rc 2 "a character device"
expect_in "$TMP/err" "disk /dev/null: not a regular file or a block device" "/dev/null"
exec 4>>"$TMP/b.img"		# this shell holds the lock, as another VM would
flock -x 4
blk --disk "$TMP/b.img,ro"
expect_rc 2 "an image another process has locked"
expect_in "$TMP/err" "disk $TMP/b.img: in use by another process \(locked\)" "locked"
exec 4>&-
blk --disk "$TMP/b.img,cache=none"
expect_rc 2 "an unknown cache mode"
expect_in "$TMP/err" "'cache=none' is not ro, cache=unsafe, cache=writeback or id=ID" "option"
head -c $((1 << 20)) /dev/urandom >"$TMP/odd.img"
printf 'xyz' >>"$TMP/odd.img"
blk --disk "$TMP/odd.img" --cmdline "test=getid"
passed "an image of 1 MiB + 3 bytes"
expect_in "$TMP/out" "^virtio-blk: disk 0 at 00:0[0-9a-f].0, 2048 sectors" "capacity rounded down"
expect_in "$TMP/err" "the last 3 bytes are not part of the disk" "the warning"
echo "virtio-blk: patterns, read-only, past the end, get-id, zeroes, flush, bad requests, bad images"
