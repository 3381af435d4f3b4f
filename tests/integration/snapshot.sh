#!/usr/bin/env bash
# Snapshot and restore through Firecracker's API: the echo guest (2 vCPUs,
# interrupt-driven serial input through the IOAPIC) with a drive and
# virtio-rng, paused and written down; the first vmon killed; a fresh vmon
# loads it and the guest goes on answering where it was, two generations
# deep.  Then what a snapshot must refuse: a running VM, Diff, a loaded
# vmon, a damaged, truncated or foreign file, the wrong memory file; each a
# 400 naming the problem, the process still serving.  `vmon ctl` last.
source "$(dirname "$0")/../lib.sh"
need_cmd curl curl
need_kvm
wait_for() { # file regex
	for _ in $(seq 150); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "--- $1"; cat "$1"; echo "--- err"; cat "$TMP/err"* 2>/dev/null | tail -20; fail "timed out waiting for /$2/ in $1"
}
pids=()
trap 'for p in "${pids[@]}"; do kill -9 $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
# start N: a vmon with an API socket, console input from a fifo on fd 3+N
start() {
	local n=$1
	sock=$TMP/api$n.sock
	mkfifo "$TMP/in$n"
	eval "exec $((3 + n))<>\"$TMP/in$n\""
	"$VMON" --api-sock "$sock" <"$TMP/in$n" >"$TMP/out$n" 2>"$TMP/err$n" &
	pid=$!; pids+=($pid)
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
}
type_in() { printf '%s\n' "$2" >&$((3 + $1)); }

# Generation 0: boot, answer, pause, snapshot.
start 0
truncate -s 1M "$TMP/disk.img"
api_ok 204 PUT /machine-config '{"vcpu_count":2,"mem_size_mib":64}'
api_ok 204 PUT /boot-source "{\"kernel_image_path\":\"$GUEST/echo.elf\",\"boot_args\":\"console=ttyS0\"}"
api_ok 204 PUT /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$TMP/disk.img\",\"is_root_device\":true,\"is_read_only\":false}"
api_ok 204 PUT /entropy '{}'
api_ok 204 PUT /actions '{"action_type":"InstanceStart"}'
wait_for "$TMP/out0" "^echo: ready"
type_in 0 one
wait_for "$TMP/out0" "^echo: one"
api_ok 400 PUT /snapshot/create "{\"snapshot_path\":\"$TMP/s0\",\"mem_file_path\":\"$TMP/m0\"}"
grep -q "must be paused" "$TMP/r" || fail "a running VM snapshotted: $(cat "$TMP/r")"
api_ok 204 PATCH /vm '{"state":"Paused"}'
api_ok 400 PUT /snapshot/create "{\"snapshot_type\":\"Diff\",\"snapshot_path\":\"$TMP/s0\",\"mem_file_path\":\"$TMP/m0\"}"
grep -q "Diff snapshots are not supported" "$TMP/r" || fail "Diff: $(cat "$TMP/r")"
api_ok 204 PUT /snapshot/create "{\"snapshot_type\":\"Full\",\"snapshot_path\":\"$TMP/s0\",\"mem_file_path\":\"$TMP/m0\"}"
[ "$(stat -c %s "$TMP/m0")" = $((64 << 20)) ] || fail "memory file is not the RAM size"
[ "$(stat -c %b "$TMP/m0")" -lt $((16 << 11)) ] || fail "memory file is not sparse: $(stat -c %b "$TMP/m0") blocks"
[ "$(stat -c %a "$TMP/s0")" = 600 ] || fail "state file mode $(stat -c %a "$TMP/s0")"
# The source can still resume after a snapshot, then it is killed.
api_ok 204 PATCH /vm '{"state":"Resumed"}'
type_in 0 two
wait_for "$TMP/out0" "^echo: two"
kill -9 $pid; wait $pid 2>/dev/null

# Generation 1: a fresh vmon goes on from "one" (the input "two" went to
# the old process after the snapshot, so it is not in this guest).
start 1
api_ok 204 PUT /snapshot/load "{\"snapshot_path\":\"$TMP/s0\",\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":\"$TMP/m0\"},\"resume_vm\":true}"
api_ok 200 GET /
grep -q '"state":"Running"' "$TMP/r" || fail "restored VM is not running: $(cat "$TMP/r")"
type_in 1 three
wait_for "$TMP/out1" "^echo: three"
api_ok 400 PUT /snapshot/load "{\"snapshot_path\":\"$TMP/s0\",\"mem_file_path\":\"$TMP/m0\"}"
grep -q "has not started" "$TMP/r" || fail "a second load: $(cat "$TMP/r")"
api_ok 204 PATCH /vm '{"state":"Paused"}'
api_ok 204 PUT /snapshot/create "{\"snapshot_path\":\"$TMP/s1\",\"mem_file_path\":\"$TMP/m1\"}"
kill -9 $pid; wait $pid 2>/dev/null

# Generation 2, loaded paused (the old mem_file_path form), then resumed.
start 2
api_ok 204 PUT /snapshot/load "{\"snapshot_path\":\"$TMP/s1\",\"mem_file_path\":\"$TMP/m1\"}"
api_ok 200 GET /; grep -q '"state":"Paused"' "$TMP/r" || fail "not paused after load"
type_in 2 four
sleep 0.5
grep -q "^echo: four" "$TMP/out2" && fail "a paused restored guest answered"
api_ok 204 PATCH /vm '{"state":"Resumed"}'
wait_for "$TMP/out2" "^echo: four"
type_in 2 quit
wait_for "$TMP/out2" "^echo: bye"
kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null

# The one-shot: `vmon run --restore STATE,MEM`, console on stdio.
truncate -s 32M "$TMP/m-short"
mkfifo "$TMP/inr"
exec 9<>"$TMP/inr"
"$VMON" run --restore "$TMP/s1,$TMP/m1" <"$TMP/inr" >"$TMP/outr" 2>"$TMP/errr" &
pid=$!; pids+=($pid)
printf 'seven\n' >&9
wait_for "$TMP/outr" "^echo: seven"
kill -TERM $pid; wait $pid; RC=$?; expect_rc 0 "SIGTERM to vmon run --restore"
"$VMON" run --restore "$TMP/s1,$TMP/m1" --disk "$TMP/disk.img" >"$TMP/out" 2>"$TMP/err"
RC=$?; expect_rc 2 "--restore with --disk"
grep -q -- "--disk cannot be given with --restore" "$TMP/err" || fail "run --restore --disk: $(cat "$TMP/err")"
"$VMON" run --restore "$TMP/s1,$TMP/m-short" >"$TMP/out" 2>"$TMP/err" </dev/null
RC=$?; expect_rc 2 "--restore with the wrong memory file"
grep -q "truncated, or not this snapshot's" "$TMP/err" || fail "run --restore short memory: $(cat "$TMP/err")"

# What a load must refuse, each with its reason, the vmon still serving.
start 3
refused() { # body regex
	api_ok 400 PUT /snapshot/load "$1"
	grep -Eq -- "$2" "$TMP/r" || fail "load $1: expected /$2/, got $(cat "$TMP/r")"
	api_ok 200 GET /
	grep -q '"state":"Not started"' "$TMP/r" || fail "state after a refused load"
}
load() { echo "{\"snapshot_path\":\"$1\",\"mem_file_path\":\"$2\"}"; }
head -c 100 "$TMP/s1" >"$TMP/short"
cp "$TMP/s1" "$TMP/flip"; printf '\x55' | dd of="$TMP/flip" bs=1 seek=200 conv=notrunc 2>/dev/null
printf 'not a snapshot at all, but long enough to have a header of 48 bytes' >"$TMP/junk"
refused "$(load "$TMP/none" "$TMP/m1")" "No such file"
refused "$(load "$TMP/short" "$TMP/m1")" "truncated"
refused "$(load "$TMP/flip" "$TMP/m1")" "checksum mismatch"
refused "$(load "$TMP/junk" "$TMP/m1")" "not a vmon snapshot"
refused "$(load "$TMP/s1" "$TMP/m-short")" "truncated, or not this snapshot's"
refused "$(load "$TMP/s1" "$TMP/none")" "none"
refused "{\"snapshot_path\":\"$TMP/s1\"}" "either mem_backend or the older mem_file_path"
refused "{\"snapshot_path\":\"$TMP/s1\",\"mem_backend\":{\"backend_type\":\"Uffd\",\"backend_path\":\"/x\"}}" "Uffd is not supported"
refused "{\"snapshot_path\":\"$TMP/s1\",\"mem_file_path\":\"$TMP/m1\",\"track_dirty_pages\":true}" "dirty page tracking"
api_ok 204 PUT /machine-config '{"vcpu_count":1,"mem_size_mib":64}'
refused "$(load "$TMP/s1" "$TMP/m1")" "nothing configured"
kill -TERM $pid; wait $pid 2>/dev/null

# vmon ctl: snapshot a running VM (paused for it, resumed after), restore.
start 4
api_ok 204 PUT /snapshot/load "$(load "$TMP/s1" "$TMP/m1")"
"$VMON" ctl "$sock" resume >/dev/null || fail "ctl resume"
type_in 4 five
wait_for "$TMP/out4" "^echo: five"
"$VMON" ctl "$sock" snapshot "$TMP/s4" "$TMP/m4" >"$TMP/ctl" || { cat "$TMP/ctl"; fail "ctl snapshot"; }
grep -q "snapshot written" "$TMP/ctl" || fail "ctl snapshot said: $(cat "$TMP/ctl")"
api_ok 200 GET /; grep -q '"state":"Running"' "$TMP/r" || fail "ctl snapshot did not resume"
kill -9 $pid; wait $pid 2>/dev/null
start 5
"$VMON" ctl "$sock" restore "$TMP/s4" "$TMP/m4" >"$TMP/ctl" || { cat "$TMP/ctl"; fail "ctl restore"; }
type_in 5 six
wait_for "$TMP/out5" "^echo: six"
kill -TERM $pid; wait $pid 2>/dev/null
echo "snapshot: 3 generations through the API, ctl snapshot/restore, run --restore, the refusals"
