#!/usr/bin/env bash
# A whole session over the API socket with curl, as an orchestrator would
# drive it: logger and metrics, machine, boot source, a drive, start; the
# echo guest answers on its serial console; pause (input waits), resume
# (it is answered), the configuration read back, Ctrl+Alt+Del, a metrics
# flush, the log; then `vmon ctl` and `vmon ps` on the same VM.
source "$(dirname "$0")/../lib.sh"
need_cmd curl curl
need_kvm
need_cmd python3 python3
sock=$TMP/api.sock
wait_for() { # file regex
	for _ in $(seq 100); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "--- $1"; cat "$1"; fail "timed out waiting for /$2/ in $1"
}
mkfifo "$TMP/in"
exec 3<>"$TMP/in"
"$VMON" --api-sock "$sock" <"$TMP/in" >"$TMP/out" 2>"$TMP/err" &
pid=$!
trap 'kill -9 $pid 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done

api_ok 200 GET /
grep -q '"state":"Not started"' "$TMP/r" || fail "state before start"
api_ok 204 PUT /logger "{\"log_path\":\"$TMP/log\",\"level\":\"Info\",\"show_level\":true,\"show_log_origin\":true}"
api_ok 204 PUT /metrics "{\"metrics_path\":\"$TMP/metrics\"}"
api_ok 204 PUT /machine-config '{"vcpu_count":2,"mem_size_mib":128}'
api_ok 204 PUT /boot-source "{\"kernel_image_path\":\"$GUEST/echo.elf\",\"boot_args\":\"console=ttyS0\"}"
truncate -s 1M "$TMP/disk.img"
api_ok 204 PUT /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$TMP/disk.img\",\"is_root_device\":true,\"is_read_only\":false}"
api_ok 204 PUT /actions '{"action_type":"InstanceStart"}'
wait_for "$TMP/out" "^echo: ready"
printf 'one\n' >&3
wait_for "$TMP/out" "^echo: one"
api_ok 200 GET /
grep -q '"state":"Running"' "$TMP/r" || fail "state Running"

# Paused: input waits in the UART; resumed: the guest answers it.
api_ok 204 PATCH /vm '{"state":"Paused"}'
api_ok 200 GET /; grep -q '"state":"Paused"' "$TMP/r" || fail "state Paused"
printf 'two\n' >&3
sleep 1
grep -q "^echo: two" "$TMP/out" && fail "a paused guest answered"
api_ok 200 GET /machine-config	# the API serves while paused
api_ok 204 PATCH /vm '{"state":"Resumed"}'
wait_for "$TMP/out" "^echo: two"

api_ok 200 GET /vm/config
for want in '"kernel_image_path":"'"$GUEST/echo.elf"'"' '"vcpu_count":2' \
	'"drive_id":"rootfs"' '"is_root_device":true' "\"metrics_path\":\"$TMP/metrics\""; do
	grep -qF "$want" "$TMP/r" || { cat "$TMP/r"; fail "vm/config lacks $want"; }
done
api_ok 204 PUT /actions '{"action_type":"SendCtrlAltDel"}'
api_ok 400 PUT /actions '{"action_type":"InstanceStart"}'
api_ok 400 PUT /machine-config '{"vcpu_count":1,"mem_size_mib":128}'
api_ok 204 PUT /actions '{"action_type":"FlushMetrics"}'
wait_for "$TMP/metrics" '"api_requests":\{'
python3 - "$TMP/metrics" <<'PY' || fail "metrics"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
m = lines[-1]
assert m["api_requests"]["actions"] >= 3, m["api_requests"]
assert m["api_errors"]["actions"] >= 1, m["api_errors"]
assert m["uart"]["tx_bytes"] > 0, m["uart"]
assert "unhandled_accesses" in m["pio_bus"], m
assert m["api_server"]["connections"] >= 10, m["api_server"]
PY
wait_for "$TMP/log" ":INFO:[a-z/_]+\.c:[0-9]+\] "
expect_in "$TMP/log" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+ \[anonymous-instance:" "Firecracker's log line format"

# The same VM through vmon ctl and vmon ps.
"$VMON" ctl "$sock" status >"$TMP/ctl" || fail "ctl status"
expect_in "$TMP/ctl" "^state +Running"
"$VMON" ctl "$sock" pause >"$TMP/ctl" && expect_in "$TMP/ctl" "^paused"
"$VMON" ctl "$sock" status >"$TMP/ctl"; expect_in "$TMP/ctl" "^state +Paused"
"$VMON" ctl "$sock" resume >/dev/null || fail "ctl resume"
"$VMON" ctl "$sock" ctrl-alt-del >"$TMP/ctl" || fail "ctl ctrl-alt-del"
"$VMON" ctl "$sock" metrics-flush >/dev/null || fail "ctl metrics-flush"
"$VMON" ctl "$sock" config >"$TMP/ctl" || fail "ctl config"
python3 -c "import json,sys; json.load(open(sys.argv[1]))['boot-source']" "$TMP/ctl" || fail "ctl config is JSON"
"$VMON" ctl "$sock" balloon 64 2>"$TMP/ctl"; RC=$?
expect_rc 1 "balloon without a balloon device"; expect_in "$TMP/ctl" "no balloon device is configured \(HTTP 400\)"
"$VMON" ctl "$sock" start 2>"$TMP/ctl"; RC=$?; expect_rc 1; expect_in "$TMP/ctl" "already started"
"$VMON" ctl "$sock" frobnicate 2>/dev/null; RC=$?; expect_rc 2
"$VMON" ctl "$TMP/nothing.sock" status 2>"$TMP/ctl"; RC=$?; expect_rc 2
expect_in "$TMP/ctl" "cannot connect to $TMP/nothing.sock"
"$VMON" ps >"$TMP/ps" || fail "vmon ps"
grep -Eq "^$pid +anonymous-instance +Running +$sock\$" "$TMP/ps" || { cat "$TMP/ps"; fail "vmon ps lists $pid"; }

printf 'quit\n' >&3
wait_for "$TMP/out" "^echo: bye"
kill -TERM $pid; wait $pid; RC=$?
expect_rc 0 "SIGTERM"
[ -e "$sock" ] && fail "socket file left behind"
echo "session OK"
