#!/usr/bin/env bash
# run-once: two stock-Linux boots' worth, not repeated under the sanitizers.
# Debian's stock kernel with its busybox shell, snapshotted and restored
# through Firecracker's API twice, each time in a fresh vmon, then
# migrated live to another: a command typed after each still runs, the disk keeps what the guest
# wrote before the snapshot and takes new writes after it, the entropy
# device still gives bytes, and the guest's poweroff ends the last vmon
# with status 0.  Needs hardware virtualization (the nested host): where
# KVM emulates guest kernel code (PVM) Linux does not reach user space.
source "$(dirname "$0")/../lib.sh"
need_kvm
need_cmd curl curl
need_cmd cpio cpio
need_cmd busybox busybox-static
if ! grep -qw -e vmx -e svm /proc/cpuinfo || [ -d /sys/module/kvm_pvm ]; then
	skip "Linux reaches user space only with hardware virtualization (this host's KVM is PVM or has none)"
fi
kernel=$("$ROOT/scripts/fetch-linux.sh" 2>"$TMP/fetch.err") || { cat "$TMP/fetch.err"; skip "cannot fetch Debian's kernel package with apt-get"; }
initrd="$ROOT/.cache/linux/initramfs.cpio.gz"
if [ ! -s "$initrd" ] || [ "$initrd" -ot "$ROOT/scripts/mkinitramfs.sh" ]; then
	"$ROOT/scripts/mkinitramfs.sh" "$ROOT/.cache/linux/x" "$initrd" || fail "cannot build the initramfs"
fi

wait_for() { # file regex seconds
	for _ in $(seq $((${3:-30} * 10))); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "--- $1"; tail -n 30 "$1"; echo "--- err"; tail -n 20 "$TMP"/err* 2>/dev/null
	fail "timed out waiting for /$2/ in $1"
}
pids=()
trap 'for p in "${pids[@]}"; do kill -9 $p 2>/dev/null; done; lib_cleanup' EXIT
start() { # N: a vmon with an API socket, console input from a fifo on fd 3+N
	local n=$1
	sock=$TMP/api$n.sock
	mkfifo "$TMP/in$n"
	eval "exec $((3 + n))<>\"$TMP/in$n\""
	"$VMON" --api-sock "$sock" <"$TMP/in$n" >"$TMP/out$n" 2>"$TMP/err$n" &
	pid=$!; pids+=($pid)
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
}
type_in() { printf '%s\n' "$2" >&$((3 + $1)); }
snapshot() { # N: pause, snapshot to s$N/m$N, stop the process
	api_ok 204 PATCH /vm '{"state":"Paused"}'
	api_ok 204 PUT /snapshot/create "{\"snapshot_type\":\"Full\",\"snapshot_path\":\"$TMP/s$1\",\"mem_file_path\":\"$TMP/m$1\"}"
	kill -9 $pid; wait $pid 2>/dev/null
}
restore() { # N FROM: a fresh vmon N runs snapshot FROM
	start "$1"
	api_ok 204 PUT /snapshot/load "{\"snapshot_path\":\"$TMP/s$2\",\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":\"$TMP/m$2\"},\"resume_vm\":true}"
}
# A command, then its answer: the shell has no echo (vmon.mode=e2e).
ask() { # N command answer-regex [seconds]
	type_in "$1" "$2"
	wait_for "$TMP/out$1" "$3" "${4:-60}"
}

truncate -s 16M "$TMP/disk.img"
start 0
api_ok 204 PUT /machine-config '{"vcpu_count":2,"mem_size_mib":256}'
api_ok 204 PUT /boot-source "{\"kernel_image_path\":\"$kernel\",\"initrd_path\":\"$initrd\",\"boot_args\":\"console=ttyS0 rdinit=/init panic=-1 vmon.mode=e2e\"}"
api_ok 204 PUT /drives/data "{\"drive_id\":\"data\",\"path_on_host\":\"$TMP/disk.img\",\"is_root_device\":false,\"is_read_only\":false}"
api_ok 204 PUT /entropy '{}'
api_ok 204 PUT /actions '{"action_type":"InstanceStart"}'
wait_for "$TMP/out0" "vmon-initramfs: e2e ready" 300
ask 0 'echo gen0 $((6 * 7))' "^gen0 42"
ask 0 'echo before-snapshot-0 | dd of=/dev/vda bs=512 conv=sync 2>/dev/null; sync; echo wrote0' "^wrote0"
snapshot 0

# Generation 1: the shell answers, the disk has the write from before.
restore 1 0
ask 1 'echo gen1 $((7 * 8))' "^gen1 56"
ask 1 'dd if=/dev/vda bs=512 count=1 2>/dev/null | head -n 1 | sed "s/^/read0 /"' "^read0 before-snapshot-0"
ask 1 'echo rng $(head -c 32 /dev/hwrng | od -An -tx1 | wc -w)' "^rng 32"
ask 1 'echo after-restore-1 | dd of=/dev/vda bs=512 seek=1 conv=sync 2>/dev/null; sync; echo wrote1' "^wrote1"
api_ok 200 GET /machine-config
grep -q '"vcpu_count":2' "$TMP/r" && grep -q '"mem_size_mib":256' "$TMP/r" ||
	fail "a restored VM's machine-config: $(cat "$TMP/r")"
snapshot 1

# Generation 2, from the restored one: both writes there.
restore 2 1
ask 2 'echo gen2 $(grep -c ^processor /proc/cpuinfo) cpus' "^gen2 2 cpus"
ask 2 'echo read01 $(dd if=/dev/vda bs=512 count=2 2>/dev/null | tr -d "\000")' "^read01 before-snapshot-0 after-restore-1"

# Then live, to a fresh vmon over a Unix socket, while the shell runs.
src=$pid srcsock=$sock
start 3
"$VMON" ctl "$sock" migrate-receive "unix:$TMP/mig.sock" >/dev/null || fail "migrate-receive"
"$VMON" ctl "$srcsock" migrate-send "unix:$TMP/mig.sock" >"$TMP/ctl" 2>&1 || { cat "$TMP/ctl"; fail "migrate-send of the Linux guest"; }
wait $src; RC=$?; expect_rc 0 "the source after the migration"
api_ok 200 GET /migration
echo "linux_snapshot: migrated: $(cat "$TMP/r")"
ask 3 'echo gen3 $((8 * 9))' "^gen3 72"
ask 3 'echo after-migration-3 | dd of=/dev/vda bs=512 seek=2 conv=sync 2>/dev/null; sync; echo wrote3' "^wrote3"
ask 3 'echo rng3 $(head -c 16 /dev/hwrng | od -An -tx1 | wc -w)' "^rng3 16"
type_in 3 'poweroff -f'
for _ in $(seq 300); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -0 $pid 2>/dev/null && fail "the migrated guest's poweroff did not end vmon"
wait $pid; RC=$?
expect_rc 0 "poweroff from the restored and migrated guest"
# The host sees what the guest wrote, before and after the restores.
[ "$(dd if="$TMP/disk.img" bs=512 count=1 2>/dev/null | head -n 1)" = before-snapshot-0 ] || fail "disk sector 0 on the host"
[ "$(dd if="$TMP/disk.img" bs=512 skip=1 count=1 2>/dev/null | head -n 1)" = after-restore-1 ] || fail "disk sector 1 on the host"
[ "$(dd if="$TMP/disk.img" bs=512 skip=2 count=1 2>/dev/null | head -n 1)" = after-migration-3 ] || fail "disk sector 2 on the host"
echo "linux_snapshot: Debian's kernel snapshotted and restored twice and migrated once; shell, disk and rng kept working; powered off with 0"
