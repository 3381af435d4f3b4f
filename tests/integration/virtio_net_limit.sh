#!/usr/bin/env bash
# A network interface's rate limiters (Firecracker's tx_rate_limiter and
# rx_rate_limiter, issue 12 item 3), on a TAP in a private network
# namespace, the VM configured by a config file (--no-api):
#   tx  the test guest streams frames (virtio_net test=bench) and times
#       them with its TSC; the rate it sees must be the configured one
#       within 10 %, for a bandwidth and for an ops bucket, and the VMM
#       thread must not spin while frames wait in the ring
#   rx  frames sent into the TAP faster than the bucket allows all reach
#       the guest (none dropped: its checksum matches the sender's), no
#       sooner than the bucket lets them: they waited in the TAP's queue
# Skips (77) where network namespaces or TAP devices cannot be created.
source "$(dirname "$0")/../lib.sh"
need_kvm
need_cmd python3 python3
[ -f "$GUEST/virtio_net.elf" ] || fail "missing $GUEST/virtio_net.elf (make guest)"

TAP=vmtap0
GMAC=06:00:ac:10:00:02
pid=
cleanup() { [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; lib_cleanup; }
trap cleanup EXIT
need_netns "vmon-limit-$$" "$TAP"
PKT=$ROOT/tests/integration/virtio_net_pkt.py
vmm_cpu() { awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat"; }

vstart() { # boot-args rx-limiter tx-limiter (JSON or null)
	python3 - "$GUEST/virtio_net.elf" "$1" "$TAP" "$GMAC" "$2" "$3" >"$TMP/vm.json" <<'PY'
import json, sys
kernel, args, tap, mac, rx, tx = sys.argv[1:7]
print(json.dumps({
    "boot-source": {"kernel_image_path": kernel, "boot_args": args},
    "machine-config": {"vcpu_count": 1, "mem_size_mib": 64},
    "drives": [],
    "network-interfaces": [{"iface_id": "eth0", "host_dev_name": tap,
                            "guest_mac": mac,
                            "rx_rate_limiter": json.loads(rx),
                            "tx_rate_limiter": json.loads(tx)}]}))
PY
	nsx "$VMON" --no-api --config-file "$TMP/vm.json" >"$TMP/out" 2>"$TMP/err" </dev/null &
	pid=$!
}
vstop() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; }
wait_for() { # FILE REGEX SECONDS
	for ((i = 0; i < $3 * 10; i++)); do
		grep -Eq -- "$2" "$1" && return 0
		sleep 0.1
	done
	echo "--- $1"; tail -n 20 "$1"; echo "--- stderr"; tail -n 20 "$TMP/err"
	fail "timed out waiting for /$2/ in $(basename "$1")"
}

# tx NAME LIMITER MB FREE PER-S UNIT: past the FREE bytes or frames, the
# guest's rate must be PER-S per second.
tx() {
	local name=$1 limiter=$2 mb=$3 free=$4 per_s=$5 unit=$6 cpu0 cpu1
	vstart "test=bench size=1514 mb=$mb timeout=60" null "$limiter"
	sleep 0.2
	cpu0=$(vmm_cpu)
	wait_for "$TMP/out" "^virtio-net: bench: .* MB/s|FAIL" 90
	cpu1=$(vmm_cpu)
	vstop
	grep -q FAIL "$TMP/out" && { cat "$TMP/out"; fail "$name: the guest failed"; }
	python3 - "$name" "$TMP/out" "$free" "$per_s" "$unit" "$((cpu1 - cpu0))" <<'PY' || fail "$name: rate"
import re, sys
name, out, free, per_s, unit, cpu = sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
m = re.search(r"bench: (\d+) frames of \d+ bytes, (\d+) bytes in (\d+) cycles \((\d+) kHz\)", out)
frames, nbytes, cycles, khz = map(int, m.groups())
s = cycles / (khz * 1000.0)
n = nbytes if unit == "bytes" else frames
rate = (n - free) / s
print("%s: %d %s in %.3f s, %.1f %s/s past the first %d (configured %d/s)"
      % (name, n, unit, s, rate, unit, free, per_s))
print("%s: the VMM thread used %d clock ticks over %d of waiting" % (name, cpu, s * 100))
ok = 0.9 * per_s <= rate <= 1.1 * per_s
if cpu > s * 100 / 4 + 20:
    print("%s: the VMM thread spun while frames waited" % name)
    ok = False
sys.exit(0 if ok else 1)
PY
}

# 640 KiB/s in a 64 KiB bucket: 2 MiB of 1514-byte frames (1386 of them,
# 2098404 bytes), about 3.1 s.
tx tx-bandwidth '{"bandwidth":{"size":65536,"refill_time":100}}' 2 65536 655360 bytes
# 200 frames/s in a bucket of 20: 693 frames, about 3.4 s.
tx tx-ops '{"ops":{"size":20,"refill_time":100}}' 1 20 200 frames

# rx: 16 frames of 1000 bytes at 4 KiB/s (a 4096-byte bucket): the last
# one cannot arrive before about 2.9 s, and none may be lost.
vstart "test=rx n=16 timeout=60" '{"bandwidth":{"size":4096,"refill_time":1000}}' null
wait_for "$TMP/out" "^virtio-net: rx: ready" 30
t0=$(date +%s%N)
nsx python3 "$PKT" send "$TAP" "$GMAC" "$(python3 -c 'print(",".join(["1000"] * 16))')" >"$TMP/sent" ||
	fail "sending into $TAP failed: $(cat "$TMP/sent")"
wait_for "$TMP/out" "^virtio-net: rx: received|FAIL" 60
t1=$(date +%s%N)
vstop
expect_in "$TMP/out" "^virtio-net: rx: $(cat "$TMP/sent")" "every frame reached the guest"
ms=$(((t1 - t0) / 1000000))
echo "rx: 16 frames of 1000 bytes in $ms ms at 4096 bytes/s"
# The limiter counts Ethernet bytes: 16000 - 4096 past the bucket at
# 4096/s is 2.9 s (the sender's own 2 ms per frame is inside that).
[ "$ms" -ge 2500 ] || fail "rx: $ms ms: the receive limiter did not hold the frames back"
[ "$ms" -le 6000 ] || fail "rx: $ms ms: far slower than the limiter allows"
grep -q "dropped a received frame" "$TMP/err" && fail "rx: vmon dropped a frame"
echo "ok"
