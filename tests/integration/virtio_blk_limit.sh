#!/usr/bin/env bash
# A drive's rate limiter (Firecracker's Drive.rate_limiter, issue 12 item
# 3): the test guest (virtio_blk test=rate) reads a few MiB one request at
# a time and times it with its own TSC; the rate it sees must be the
# configured one within 10 %, for a bandwidth bucket and for an ops
# bucket.  Requests past the budget wait in the ring for the device's
# timer: none fails (the guest checks every status), and the VMM thread
# does not spin meanwhile (its CPU time is checked).  A PATCH of the
# limiter on the running VM takes effect at once: a read that would take
# half a minute at the first rate ends in seconds once the bucket is
# turned off, and /vm/config shows each limiter.  Bodies the API cannot
# accept are refused with the field named.
source "$(dirname "$0")/../lib.sh"
need_cmd curl curl
need_cmd python3 python3
need_kvm
[ -f "$GUEST/virtio_blk.elf" ] || fail "missing $GUEST/virtio_blk.elf (make guest)"
sock=$TMP/api.sock
pid=
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; lib_cleanup' EXIT
truncate -s 64M "$TMP/disk.img"
# The VMM thread's CPU time in clock ticks (the main thread: the vCPU
# thread spins on purpose, the guest polls for its completions).
vmm_cpu() { awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat"; }

start() { # boot-args LIMITER-JSON: the VM's API, configured up to the drive
	rm -f "$sock"
	"$VMON" --api-sock "$sock" >"$TMP/out" 2>"$TMP/err" </dev/null &
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	api_ok 204 PUT /machine-config '{"vcpu_count":1,"mem_size_mib":64}'
	api_ok 204 PUT /boot-source "{\"kernel_image_path\":\"$GUEST/virtio_blk.elf\",\"boot_args\":\"test=rate $1\"}"
	api_ok 204 PUT /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$TMP/disk.img\",\"is_root_device\":false,\"rate_limiter\":$2}"
}

wait_done() { # seconds
	for _ in $(seq $(($1 * 10))); do grep -q '^virtio-blk: OK\|FAIL' "$TMP/out" && return 0; sleep 0.1; done
	return 1
}

guest_us() {
	grep -q '^virtio-blk: OK' "$TMP/out" || { cat "$TMP/out"; tail -5 "$TMP/err"; fail "$1: the guest did not finish its reads"; }
	us=$(sed -n 's/^virtio-blk: [0-9]* bytes in \([0-9]*\) us$/\1/p' "$TMP/out")
	[ -n "$us" ] || { cat "$TMP/out"; fail "$1: no timing from the guest"; }
}

# limited NAME BOOT-ARGS LIMITER-JSON N FREE PER-S UNIT: the guest's rate
# of UNIT (bytes or requests) past the FREE ones must be PER-S per second.
limited() {
	local name=$1 args=$2 limiter=$3 n=$4 free=$5 per_s=$6 unit=$7 cpu0 cpu1
	start "$args" "$limiter"
	api_ok 200 GET /vm/config
	grep -q '"rate_limiter":{"bandwidth":' "$TMP/r" || { cat "$TMP/r"; fail "$name: the limiter is not in /vm/config"; }
	api_ok 204 PUT /actions '{"action_type":"InstanceStart"}'
	cpu0=$(vmm_cpu)
	wait_done 60
	cpu1=$(vmm_cpu)
	kill $pid; wait $pid 2>/dev/null; pid=
	guest_us "$name"
	python3 - "$name" "$n" "$free" "$per_s" "$us" "$unit" <<'PY' || fail "$name: rate"
import sys
name, n, free, per_s, us, unit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
rate = (n - free) / (us / 1e6)
print("%s: %d %s in %.3f s, %.1f %s/s past the first %d (configured %d/s)"
      % (name, n, unit, us / 1e6, rate, unit, free, per_s))
sys.exit(0 if 0.9 * per_s <= rate <= 1.1 * per_s else 1)
PY
	echo "$name: the VMM thread used $((cpu1 - cpu0)) clock ticks over $((us / 10000)) ticks of waiting"
	[ $((cpu1 - cpu0)) -le $((us / 10000 / 4 + 20)) ] || fail "$name: the VMM thread spun while the requests waited"
}

# 1 MiB/s in a 256 KiB bucket: 4 MiB in 64 KiB reads, 3.75 MiB past the
# full bucket, 3.75 s.
limited bandwidth "mib=4 bs=64" '{"bandwidth":{"size":262144,"refill_time":250}}' \
	4194304 262144 1048576 bytes
# 100 requests/s in a bucket of 10: 256 reads of 4 KiB, 246 past it,
# 2.46 s.  (No bandwidth bucket: /vm/config shows it null.)
limited ops "mib=1 bs=4" '{"bandwidth":null,"ops":{"size":10,"refill_time":100}}' \
	256 10 100 requests

# PATCH on the running VM: 8 MiB at 256 KiB/s would take 32 s; turning
# the bandwidth bucket off (Firecracker: a bucket given with size 0)
# lets the rest go at once.  A PATCH naming only ops keeps bandwidth.
start "mib=8 bs=64" '{"bandwidth":{"size":65536,"refill_time":250}}'
api_ok 400 PATCH /drives/data '{"drive_id":"data","rate_limiter":{"bandwidth":{"size":1,"refill_time":1}}}'
grep -q "needs a started VM" "$TMP/r" || { cat "$TMP/r"; fail "PATCH before the start"; }
api_ok 204 PUT /actions '{"action_type":"InstanceStart"}'
for _ in $(seq 100); do grep -q '^virtio-blk: rate: started' "$TMP/out" && break; sleep 0.1; done
sleep 1
grep -q '^virtio-blk: OK' "$TMP/out" && fail "patch: the guest finished before the PATCH"
api_ok 204 PATCH /drives/data '{"drive_id":"data","rate_limiter":{"ops":{"size":1000,"refill_time":10}}}'
api_ok 200 GET /vm/config
grep -q '"rate_limiter":{"bandwidth":{"size":65536,"one_time_burst":0,"refill_time":250},"ops":{"size":1000,"one_time_burst":0,"refill_time":10}}' "$TMP/r" ||
	{ cat "$TMP/r"; fail "patch: /vm/config after naming only ops"; }
api_ok 204 PATCH /drives/data '{"drive_id":"data","rate_limiter":{"bandwidth":{"size":0,"refill_time":0},"ops":{"size":0,"refill_time":0}}}'
api_ok 200 GET /vm/config
grep -q '"rate_limiter":null' "$TMP/r" || { cat "$TMP/r"; fail "patch: /vm/config after turning both off"; }
wait_done 20 || { cat "$TMP/out"; fail "patch: the reads did not speed up"; }
kill $pid; wait $pid 2>/dev/null; pid=
guest_us patch
echo "patch: 8 MiB in $((us / 1000)) ms"
[ "$us" -lt 12000000 ] || fail "patch: $us us: the PATCH did not take effect"

# Refused with the field named; nothing is configured.
rm -f "$sock"
"$VMON" --api-sock "$sock" >"$TMP/out" 2>"$TMP/err" </dev/null &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
drive() { echo "{\"drive_id\":\"data\",\"path_on_host\":\"$TMP/disk.img\",\"is_root_device\":false,\"rate_limiter\":$1}"; }
api_ok 400 PUT /drives/data "$(drive '{"bandwidth":{"size":1}}')"
grep -q "refill_time" "$TMP/r" || { cat "$TMP/r"; fail "missing refill_time not named"; }
api_ok 400 PUT /drives/data "$(drive '{"ops":{"size":-1,"refill_time":1}}')"
grep -q "size" "$TMP/r" || { cat "$TMP/r"; fail "negative size not named"; }
api_ok 400 PUT /drives/data "$(drive '{"ops":{"size":1,"refill_time":3600001}}')"
api_ok 400 PUT /drives/data "$(drive '{"bytes":{"size":1,"refill_time":1}}')"
grep -q "unknown field 'bytes'" "$TMP/r" || { cat "$TMP/r"; fail "unknown field not named"; }
api_ok 400 PUT /network-interfaces/eth0 '{"iface_id":"eth0","host_dev_name":"tap0","tx_rate_limiter":{"ops":{"size":1125899906842625,"refill_time":1}}}'
api_ok 200 GET /vm/config
grep -q '"drives":\[\]' "$TMP/r" || { cat "$TMP/r"; fail "a refused PUT configured a drive"; }
kill $pid; wait $pid 2>/dev/null; pid=
echo "ok"
