#!/usr/bin/env bash
# vmon against the Firecracker API contract (shared/reference/
# firecracker-api.yaml): every path and method routed, the rest 405,
# example bodies for the schemas vmon supports accepted, and the pinned
# "vmon does not support" answers.  See api_conformance.py.
source "$(dirname "$0")/../lib.sh"
yaml=$ROOT/../shared/reference/firecracker-api.yaml
[ -f "$yaml" ] || yaml=/work/shared/reference/firecracker-api.yaml
[ -f "$yaml" ] || skip "the contract firecracker-api.yaml is not beside the repo"
need_kvm
need_cmd python3 python3
sock=$TMP/api.sock
# The example network interface names a TAP, tap0: give vmon a private
# network namespace that has one, so nothing appears on the host's side.
need_netns "vmon-conf-$$" tap0
# Not nsx: $! must be vmon itself (ip netns exec execs it), not a subshell.
ip netns exec "$NETNS" "$VMON" --api-sock "$sock" >"$TMP/out" 2>"$TMP/err" </dev/null &
pid=$!
trap 'kill -9 $pid 2>/dev/null; lib_cleanup' EXIT
python3 -c "import sys; sys.path.insert(0, '$ROOT/tests/integration'); import apilib; apilib.wait_socket('$sock')"
python3 "$ROOT/tests/integration/api_conformance.py" "$yaml" "$sock" "$TMP" \
	"$GUEST/hello.elf" || { cat "$TMP/err"; fail "conformance"; }
for _ in $(seq 50); do grep -q "Hello from the vmon test guest" "$TMP/serial" 2>/dev/null && break; sleep 0.1; done
expect_in "$TMP/serial" "Hello from the vmon test guest" "the started guest, via PUT /serial"
kill -TERM $pid; wait $pid; RC=$?
expect_rc 0 "SIGTERM"
[ -e "$sock" ] && fail "the socket file is left behind"
echo "conformance OK"
