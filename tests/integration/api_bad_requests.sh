#!/usr/bin/env bash
# guest-input.md 22-25 for the API socket: every bad request gets its 4xx
# with a reason and vmon keeps serving (api_bad_requests.py has the cases).
source "$(dirname "$0")/../lib.sh"
need_kvm
need_cmd python3 python3
sock=$TMP/api.sock
"$VMON" --api-sock "$sock" >"$TMP/out" 2>"$TMP/err" </dev/null &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$TMP"' EXIT
python3 -c "import sys; sys.path.insert(0, '$ROOT/tests/integration'); import apilib; apilib.wait_socket('$sock')"
python3 "$ROOT/tests/integration/api_bad_requests.py" "$sock" "$GUEST/hello.elf" || {
	tail -20 "$TMP/err"; fail "bad requests"; }
expect_in "$TMP/out" "Hello from the vmon test guest" "the guest ran meanwhile"
kill -TERM $pid; wait $pid; RC=$?
expect_rc 0 "SIGTERM"
echo "bad requests OK"
