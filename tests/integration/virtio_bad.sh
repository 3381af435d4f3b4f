#!/usr/bin/env bash
# A guest driver that breaks the virtio rules (guest/programs/virtio_bad.c):
# each bad case must leave the entropy device in DEVICE_NEEDS_RESET (or
# be ignored, where the spec says so), the device must work again after a
# reset, vmon must keep running and exit normally, and its complaints
# must be rate-limited log lines.
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -f "$GUEST/virtio_bad.elf" ] || fail "missing $GUEST/virtio_bad.elf (make guest)"

# All cases in one VM.
t0=$(date +%s)
run_vmon 120 run --kernel "$GUEST/virtio_bad.elf" --debug-exit --rng
expect_rc 1 "virtio_bad: all cases pass, the guest exits 0"
expect_in "$TMP/out" "^virtio-bad: ([0-9]+) of \1 cases passed" "every case"
grep -q FAIL "$TMP/out" && { cat "$TMP/out"; fail "a case failed"; }
cases=$(sed -n 's/^virtio-bad: \([a-z0-9_]*\): .*recovered.*/\1/p' "$TMP/out")
[ "$(echo "$cases" | wc -w)" -ge 30 ] || fail "expected at least 30 cases, got: $cases"
# Rate limit: at most a burst of 10 lines per 5 s from the device.
expect_ratelimited "$TMP/err" "virtio-rng 00:01.0: .*needs a reset" 1 "$t0"

# Each case alone, in its own VM: the first complaint names the problem.
check() { # case regex-in-stderr
	run_vmon 60 run --kernel "$GUEST/virtio_bad.elf" --debug-exit --rng --cmdline "case=$1"
	expect_rc 1 "case=$1"
	expect_in "$TMP/out" "^virtio-bad: $1: (needs-reset|ignored), recovered" "case=$1"
	if [ -n "$2" ]; then
		expect_in "$TMP/err" "$2" "case=$1 log line"
	elif grep -q "needs a reset" "$TMP/err"; then
		cat "$TMP/err"; fail "case=$1 should not have failed the device"
	fi
}
check head "avail ring entry 0 holds head 19, queue size 16"
check next "next 17 is beyond the queue"
check loop "more than 16 descriptors"
check avail_ahead "entries ahead"
check indirect_nofeat "VIRTIO_F_INDIRECT_DESC was not negotiated"
check indirect_len "indirect table of 24 bytes"
check indirect_nested "nested indirect"
check indirect_next "both INDIRECT and NEXT"
check zero_len "length 0"
check huge_len "longer than"
check outside_ram "not guest RAM"
check wrap "not guest RAM"
check dma_bar "buffer 0xc0000000\+64 is not guest RAM"
check readable "device-readable"
check write_then_read "device-readable after a device-writable"
check ring_outside "descriptor area at 0x40000000 is not guest RAM"
check ring_in_bar "descriptor area at 0xc0000000 is not guest RAM"
check ring_misaligned "misaligned"
check qsize_pow2 "size 12 is not a power of two"
check qsize_zero "size 0 is not a power of two"
check qsize_big "size 1024"
check queue_after_ok "queue_desc written after DRIVER_OK"
check status_clear "clears bits"
check features_late "outside feature negotiation"
check driver_ok_early "DRIVER_OK set without FEATURES_OK"
check notify_absent "notification for queue 5"
check no_version1 ""
check qsel_range ""
check odd_width ""
check cfg_window ""
echo "virtio-bad: every malformed request reset only the device; vmon kept running"
