#!/usr/bin/env bash
# Firecracker's command line: the reference config file boots the test
# guest with --no-api and with the API; GET /vm/config gives back a config
# file that boots too; vmon installed as `firecracker` behaves the same;
# bad command lines and config files are refused with the reason.
source "$(dirname "$0")/../lib.sh"
ref=$ROOT/../shared/reference/firecracker-vm-config.json
[ -f "$ref" ] || ref=/work/shared/reference/firecracker-vm-config.json
[ -f "$ref" ] || skip "the reference firecracker-vm-config.json is not beside the repo"
need_kvm
need_cmd python3 python3
api() { python3 -c "
import sys; sys.path.insert(0, '$ROOT/tests/integration'); import apilib, json
s, b = apilib.request(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else None)
print(s); print(json.dumps(b))" "$@"; }
wait_for() { # file regex
	for _ in $(seq 100); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "--- $1"; cat "$1"; fail "timed out waiting for /$2/ in $1"
}
truncate -s 8M "$TMP/rootfs.ext4"
python3 - "$ref" "$GUEST/hello.elf" "$TMP/rootfs.ext4" >"$TMP/vm.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["boot-source"]["kernel_image_path"] = sys.argv[2]
c["drives"][0]["path_on_host"] = sys.argv[3]
print(json.dumps(c))
PY

# 1. --no-api --config-file: configured and started at once.  (Each run
# has its own output file: a new one is empty until vmon has started.)
"$VMON" --no-api --config-file "$TMP/vm.json" >"$TMP/out" 2>"$TMP/err" </dev/null &
pid=$!
wait_for "$TMP/out" "^Hello from the vmon test guest"
expect_in "$TMP/out" "^cmdline: console=ttyS0 reboot=k panic=1 root=/dev/vda rw" "Firecracker's root= for the root drive"
kill -TERM $pid; wait $pid; RC=$?; expect_rc 0 "SIGTERM"

# 2. Under the name firecracker, with the API too: the VM runs at once and
# the API serves it.
ln -s "$VMON" "$TMP/firecracker"
"$TMP/firecracker" --version >"$TMP/ver"; expect_in "$TMP/ver" "^Firecracker v1\."
sock=$TMP/fc.sock
"$TMP/firecracker" --api-sock "$sock" --id vm-42 --config-file "$TMP/vm.json" >"$TMP/out2" 2>"$TMP/err" </dev/null &
pid=$!
wait_for "$TMP/out2" "^Hello from the vmon test guest"
api "$sock" GET / >"$TMP/r"; expect_in "$TMP/r" '"state": "Running"'; expect_in "$TMP/r" '"id": "vm-42"'
api "$sock" GET /vm/config >"$TMP/r"
expect_in "$TMP/r" '"vcpu_count": 2, "mem_size_mib": 1024'
expect_in "$TMP/r" '"drive_id": "rootfs"'
sed -n 2p "$TMP/r" >"$TMP/vm2.json"
api "$sock" PUT /boot-source "{\"kernel_image_path\": \"$GUEST/hello.elf\"}" >"$TMP/r"
expect_in "$TMP/r" "^400"; expect_in "$TMP/r" "before the VM starts"
api "$sock" PUT /actions '{"action_type": "InstanceStart"}' >"$TMP/r"
expect_in "$TMP/r" "^400"; expect_in "$TMP/r" "already started"
kill -TERM $pid; wait $pid; RC=$?; expect_rc 0 "SIGTERM with the API"
[ -e "$sock" ] && fail "socket file left behind"

# 3. What GET /vm/config said is a config file that boots the same VM.
"$VMON" --no-api --config-file "$TMP/vm2.json" >"$TMP/out3" 2>"$TMP/err" </dev/null &
pid=$!
wait_for "$TMP/out3" "^cmdline: console=ttyS0 reboot=k panic=1 root=/dev/vda rw"
kill -TERM $pid; wait $pid; RC=$?; expect_rc 0

# 3b. A guest that powers off ends vmon, API and all, with status 0.
sed -e "s|$GUEST/hello.elf|$GUEST/shutdown.elf|" \
    -e 's|"boot_args": "console=ttyS0 reboot=k panic=1"|"boot_args": "how=acpi"|' "$TMP/vm.json" >"$TMP/off.json"
run_vmon 30 --api-sock "$TMP/off.sock" --config-file "$TMP/off.json"
expect_rc 0 "the guest powered off"
[ -e "$TMP/off.sock" ] && fail "socket file left behind after power-off"

# 4. Refused command lines and config files: exit 2 and the reason.
bad() { # regex args...
	local re=$1; shift
	run_vmon 20 "$@"; expect_rc 2 "$*"; expect_in "$TMP/err" "$re" "$*"
}
bad "--no-api needs --config-file" --no-api
bad "unknown option --frobnicate" --api-sock "$TMP/x.sock" --frobnicate
bad "--id a b: expected" --api-sock "$TMP/x.sock" --id "a b"
bad "--level Loud" --api-sock "$TMP/x.sock" --level Loud
bad "config file $TMP/nope.json: No such file" --no-api --config-file "$TMP/nope.json"
sed "s|$GUEST/hello.elf|$TMP/missing-kernel|" "$TMP/vm.json" >"$TMP/bad.json"
bad "kernel_image_path $TMP/missing-kernel: No such file" --no-api --config-file "$TMP/bad.json"
sed "s|$TMP/rootfs.ext4|$TMP/missing.img|" "$TMP/vm.json" >"$TMP/bad.json"
bad "drives\[0\]: path_on_host $TMP/missing.img: No such file" --no-api --config-file "$TMP/bad.json"
sed 's|"vcpu_count": 2|"vcpu_count": 0|' "$TMP/vm.json" >"$TMP/bad.json"
bad "vcpu_count' must be an integer from 1 to 32, not 0" --no-api --config-file "$TMP/bad.json"
printf '{"boot-source": ' >"$TMP/bad.json"
bad "malformed JSON" --no-api --config-file "$TMP/bad.json"
# A second vmon on a live socket is refused; a stale socket file is replaced.
"$VMON" --api-sock "$sock" >"$TMP/out1" 2>"$TMP/err1" </dev/null &
pid=$!
python3 -c "import sys; sys.path.insert(0, '$ROOT/tests/integration'); import apilib; apilib.wait_socket('$sock')"
bad "another process is serving it" --api-sock "$sock"
kill -9 $pid; wait $pid 2>/dev/null
[ -S "$sock" ] || fail "expected the killed vmon's stale socket"
"$VMON" --api-sock "$sock" >"$TMP/out1" 2>"$TMP/err1" </dev/null &
pid=$!
python3 -c "import sys; sys.path.insert(0, '$ROOT/tests/integration'); import apilib; apilib.wait_socket('$sock')"
kill -TERM $pid; wait $pid; RC=$?; expect_rc 0 "SIGTERM before the start"
echo "config files OK"
