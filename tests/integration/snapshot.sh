#!/usr/bin/env bash
# Snapshot and restore through Firecracker's API: the echo guest (2 vCPUs,
# interrupt-driven serial input through the IOAPIC) with a drive and
# virtio-rng, paused and written down; the first vmon killed; a fresh vmon
# loads it and the guest goes on answering where it was, two generations
# deep.  Diff snapshots: a full one, then diffs rebased onto it, three
# generations, the guest's checksum of 16 MiB of its RAM the judge.  Then
# what a snapshot must refuse: a running VM, Diff, a loaded
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
grep -q "Diff snapshot needs dirty page tracking" "$TMP/r" || fail "Diff without tracking: $(cat "$TMP/r")"
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
# Diff snapshots.  The guest fills 16 MiB, a full snapshot is taken, then
# each generation rewrites 64 KiB of it, and a diff carries only what
# changed; rebased onto the full memory file, the restored guest's
# checksum is the one it printed before the diff.
sum_of() { # n: the last "echo: sum" line of guest n
	grep "^echo: sum " "$TMP/out$1" | tail -n 1 | cut -d' ' -f3
}
ask_sum() { # n
	local before; before=$(grep -c "^echo: sum " "$TMP/out$1")
	type_in "$1" sum
	for _ in $(seq 150); do [ "$(grep -c "^echo: sum " "$TMP/out$1")" -gt "$before" ] && return 0; sleep 0.1; done
	fail "guest $1 printed no checksum"
}
start 6
api_ok 204 PUT /machine-config '{"vcpu_count":2,"mem_size_mib":64,"track_dirty_pages":true}'
api_ok 200 GET /machine-config
grep -q '"track_dirty_pages":true' "$TMP/r" || fail "track_dirty_pages not kept: $(cat "$TMP/r")"
api_ok 204 PUT /boot-source "{\"kernel_image_path\":\"$GUEST/echo.elf\"}"
api_ok 204 PUT /entropy '{}'
api_ok 204 PUT /actions '{"action_type":"InstanceStart"}'
wait_for "$TMP/out6" "^echo: ready"
type_in 6 "fill 1"
wait_for "$TMP/out6" "^echo: fill 1 done"
"$VMON" ctl "$sock" snapshot "$TMP/s6" "$TMP/m6" >"$TMP/ctl" || { cat "$TMP/ctl"; fail "ctl snapshot (full, tracking)"; }
grep -q "full snapshot written" "$TMP/ctl" || fail "ctl snapshot said: $(cat "$TMP/ctl")"
type_in 6 "touch 2"
wait_for "$TMP/out6" "^echo: touch 2 done"
ask_sum 6; sum2=$(sum_of 6)
api_ok 204 PATCH /vm '{"state":"Paused"}'
api_ok 204 PUT /snapshot/create "{\"snapshot_type\":\"Diff\",\"snapshot_path\":\"$TMP/s7\",\"mem_file_path\":\"$TMP/d7\"}"
kill -9 $pid; wait $pid 2>/dev/null
full_kib=$(( $(stat -c %b "$TMP/m6") / 2 )); diff_kib=$(( $(stat -c %b "$TMP/d7") / 2 ))
[ "$full_kib" -ge 16384 ] || fail "the full memory file holds $full_kib KiB, less than the 16 MiB filled"
# 64 KiB touched, plus what the guest's kernel and the devices wrote.
[ "$diff_kib" -ge 64 ] && [ "$diff_kib" -lt 4096 ] || fail "diff memory file holds $diff_kib KiB; want 64 KiB to 4 MiB"
# An unrebased diff is not a memory file: refused at load.
start 7
api_ok 400 PUT /snapshot/load "$(load "$TMP/s7" "$TMP/d7")"
grep -q "truncated, or not this snapshot's" "$TMP/r" || fail "load of a bare diff: $(cat "$TMP/r")"
cp --sparse=always "$TMP/m6" "$TMP/mb"
"$VMON" snapshot-editor edit-memory rebase --memory-path "$TMP/mb" --diff-path "$TMP/d7" >"$TMP/ed" || { cat "$TMP/ed"; fail "snapshot-editor rebase"; }
api_ok 204 PUT /snapshot/load "{\"snapshot_path\":\"$TMP/s7\",\"mem_file_path\":\"$TMP/mb\",\"enable_diff_snapshots\":true,\"resume_vm\":true}"
ask_sum 7
[ "$(sum_of 7)" = "$sum2" ] || fail "generation 2: checksum $(sum_of 7) after diff restore, $sum2 before"
# Generation 3, from the restored VM (tracking asked at load).
type_in 7 "touch 3"
wait_for "$TMP/out7" "^echo: touch 3 done"
ask_sum 7; sum3=$(sum_of 7)
[ "$sum3" != "$sum2" ] || fail "touch 3 changed nothing"
"$VMON" ctl "$sock" snapshot "$TMP/s8" "$TMP/d8" --diff >"$TMP/ctl" || { cat "$TMP/ctl"; fail "ctl snapshot --diff"; }
kill -9 $pid; wait $pid 2>/dev/null
"$VMON" snapshot-editor edit-memory rebase --memory-path "$TMP/mb" --diff-path "$TMP/d8" >"$TMP/ed" || { cat "$TMP/ed"; fail "second rebase"; }
start 8
api_ok 204 PUT /snapshot/load "{\"snapshot_path\":\"$TMP/s8\",\"mem_file_path\":\"$TMP/mb\",\"resume_vm\":true}"
ask_sum 8
[ "$(sum_of 8)" = "$sum3" ] || fail "generation 3: checksum $(sum_of 8) after diff restore, $sum3 before"
api_ok 400 PUT /snapshot/create "{\"snapshot_type\":\"Diff\",\"snapshot_path\":\"$TMP/s9\",\"mem_file_path\":\"$TMP/d9\"}"
api_ok 204 PATCH /vm '{"state":"Paused"}'
api_ok 400 PUT /snapshot/create "{\"snapshot_type\":\"Diff\",\"snapshot_path\":\"$TMP/s9\",\"mem_file_path\":\"$TMP/d9\"}"
grep -q "Diff snapshot needs dirty page tracking" "$TMP/r" || fail "Diff of a VM loaded without tracking: $(cat "$TMP/r")"
type_in 8 quit
kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null
"$VMON" snapshot-editor edit-memory rebase --memory-path "$TMP/d8" --diff-path "$TMP/mb" >"$TMP/ed" 2>&1; RC=$?
expect_rc 2 "rebase of a full file onto a diff"
grep -q "longer than the memory file" "$TMP/ed" || fail "rebase the wrong way: $(cat "$TMP/ed")"
echo "snapshot: full-snapshot and diff sizes: $full_kib KiB, $diff_kib KiB"
echo "snapshot: 3 generations through the API, diffs 3 generations deep, ctl snapshot/restore, run --restore, the refusals"
