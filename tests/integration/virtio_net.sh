#!/usr/bin/env bash
# virtio-net end to end on a TAP device in a private network namespace
# (no traffic leaves it; IPv6 is off there so the kernel sends nothing of
# its own).  The test guest (virtio_net.elf) drives the device by polling;
# python3 with AF_PACKET sockets plays the host side:
#   tx    frames from the guest arrive on the TAP, intact and in order
#   rx    frames sent into the TAP reach the guest (its checksum matches),
#         also spread over small buffers with MRG_RXBUF, and frames too
#         large for the guest's buffers are dropped and counted
#   echo  ping-pong: the guest reflects frames, MACs swapped
#   bad   malformed transmit chains are dropped and counted, vmon keeps
#         running and a good frame after them still arrives
# Skips (77) where network namespaces or TAP devices cannot be created.
source "$(dirname "$0")/../lib.sh"
need_kvm
[ -f "$GUEST/virtio_net.elf" ] || fail "missing $GUEST/virtio_net.elf (make guest)"
need_cmd python3 python3

TAP=vmtap0
GMAC=06:00:ac:10:00:02
VPID= CPID=
cleanup() {
	[ -n "$VPID" ] && kill "$VPID" 2>/dev/null
	[ -n "$CPID" ] && kill "$CPID" 2>/dev/null
	lib_cleanup
}
trap cleanup EXIT
need_netns "vmon-test-$$" "$TAP"

PKT=$ROOT/tests/integration/virtio_net_pkt.py

# vmon in the namespace, in the background: vstart CMDLINE [EXTRA-ARGS...]
vstart() {
	local c=$1; shift
	nsx timeout -k 5 90 "$VMON" run --kernel "$GUEST/virtio_net.elf" --debug-exit \
		--log-level info --net "tap=$TAP,mac=$GMAC" "$@" --cmdline "$c" \
		>"$TMP/out" 2>"$TMP/err" </dev/null &
	VPID=$!
}
vwait() {
	wait "$VPID"
	RC=$?
	VPID=
}
wait_for() { # FILE REGEX SECONDS
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -Eq -- "$2" "$1" && return 0
		sleep 0.1
	done
	echo "--- $1"; tail -n 20 "$1"; echo "--- stderr"; tail -n 20 "$TMP/err"
	fail "timed out waiting for /$2/ in $(basename "$1")"
}
capture() { # N SIZE -> background capture into $TMP/cap
	rm -f "$TMP/ready"
	nsx python3 "$PKT" capture "$TAP" "$GMAC" "$1" "$2" 30 "$TMP/ready" \
		>"$TMP/cap" 2>&1 &
	CPID=$!
	for ((i = 0; i < 100; i++)); do
		[ -e "$TMP/ready" ] && return 0
		sleep 0.1
	done
	cat "$TMP/cap"
	fail "the capture did not start"
}
capture_wait() { wait "$CPID"; CPID=; }

# ---- tx: guest -> TAP ----------------------------------------------------------
# vmon may exit before its devices log their totals (it leaves the
# teardown to the kernel): counts come from the TAP and warning lines.
tap_rx() { nsx cat "/sys/class/net/$TAP/statistics/rx_packets"; }
for size in 60 1514; do
	before=$(tap_rx)
	capture 64 "$size"
	vstart "test=tx n=64 size=$size"
	vwait
	expect_rc 1 "tx size=$size"
	expect_in "$TMP/out" "mac $GMAC, link up" "the MAC from --net reached the config space"
	expect_in "$TMP/out" "^virtio-net: tx: sent 64 frames of $size bytes" "tx $size"
	capture_wait
	expect_in "$TMP/cap" "^captured 64 frames, 0 bad, seqs 0,1,2,3,4,5,6,7$" "64 frames of $size bytes on the TAP"
	[ $(($(tap_rx) - before)) = 64 ] || fail "the TAP counted $(($(tap_rx) - before)) frames, not 64"
done

# ---- rx: TAP -> guest --------------------------------------------------------------
rx() { # guest-args sizes [counted-max]
	vstart "test=rx timeout=30 $1"
	wait_for "$TMP/out" "^virtio-net: rx: ready" 30
	nsx python3 "$PKT" send "$TAP" "$GMAC" "$2" ${3:-} >"$TMP/sent" ||
		fail "sending into $TAP failed: $(cat "$TMP/sent")"
	vwait
	expect_rc 1 "rx $1"
	expect_in "$TMP/out" "^virtio-net: rx: $(cat "$TMP/sent")" "the guest got what was sent ($1)"
}
sizes=$(python3 -c 'print(",".join(str(60 + (i * 211) % 1455) for i in range(48)) + ",1514,60")')
rx "n=50" "$sizes"
rx "n=50 mrg=1 rxbuf=256" "$sizes"
expect_in "$TMP/err" "features 0x1[0-9a-f]*8020, " "MRG_RXBUF negotiated"
rx "n=50 mrg=1 evidx=1 qsize=16 rxbuf=2048" "$sizes"
# Without MRG_RXBUF, 256-byte buffers cannot take 1000-byte frames: those
# are dropped and counted, the small ones still arrive.
rx "n=4 rxbuf=256" "1000,100,1000,200,60,244" 244
expect_in "$TMP/err" "dropped a received frame of 1012 bytes" "oversized receive logged"
expect_in "$TMP/err" "dropped a received frame of 1012 bytes.*; 2 dropped so far" "and counted"

# ---- echo: ping-pong ------------------------------------------------------------------
vstart "test=echo n=16 timeout=30"
wait_for "$TMP/out" "^virtio-net: echo: ready" 30
nsx python3 "$PKT" echo "$TAP" "$GMAC" 16 5 >"$TMP/echo"
vwait
expect_rc 1 "echo"
expect_in "$TMP/echo" "^echoed 16 of 16 frames" "every frame came back"
expect_in "$TMP/out" "^virtio-net: echo: reflected 16 frames" "the guest reflected 16"

# ---- bad: guest-input rule 15 -----------------------------------------------------------
capture 1 100
vstart "test=bad"
vwait
capture_wait
expect_rc 1 "bad"
for what in short oversized gso csum good; do
	expect_in "$TMP/out" "^virtio-net: bad: $what[ :].*completed, len 0" "$what chain completed"
done
expect_in "$TMP/out" "still running" "device not failed"
expect_in "$TMP/err" "dropped a transmit frame of 8 bytes .* is shorter than" "short logged"
expect_in "$TMP/err" "dropped a transmit frame of 69632 bytes .* is longer than" "oversized logged"
expect_in "$TMP/err" "asks for a checksum offload .*; 4 malformed so far" "counted"
expect_in "$TMP/cap" "^captured 1 frames, 0 bad, seqs 1000$" "the good frame after them arrived, nothing else"

# ---- a TUN device is not a TAP: a clear error, no VM -----------------------------------
nsx ip tuntap add dev vmtun0 mode tun || fail "cannot create a TUN device"
nsx timeout 30 "$VMON" run --kernel "$GUEST/virtio_net.elf" --debug-exit \
	--net tap=vmtun0 >"$TMP/out" 2>"$TMP/err" </dev/null
RC=$?
expect_rc 2 "a TUN device is a bad argument"
expect_in "$TMP/err" "tap=vmtun0: cannot attach to TAP device vmtun0" "the error names the device"
echo "virtio-net: tx, rx (plain, merged, dropped), echo and malformed frames on a TAP"
