#!/usr/bin/env bash
# Every thread of a running vmon is under its seccomp filter (Seccomp: 2 in
# /proc/PID/task/*/status), in `vmon run` and through the API; a denied
# system call on each thread kind is named and ends vmon with status 148;
# --no-seccomp leaves the threads unfiltered and says so.
source "$(dirname "$0")/../lib.sh"
need_kvm
need_cmd curl curl

# seccomp_modes PID: "name=mode" for each thread, sorted.  ThreadSanitizer
# runs a background thread of its own, started before main: not vmon's.
seccomp_modes() {
	local t
	for t in /proc/"$1"/task/*; do
		printf '%s=%s\n' "$(cat "$t/comm")" "$(awk '/^Seccomp:/ {print $2}' "$t/status")"
	done | sort | if [[ "$VMON" == *build-tsan* ]]; then sed '0,/^vmon=0$/{/^vmon=0$/d}'; else cat; fi
}
wait_for() { # file regex
	for _ in $(seq 100); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "--- $1"; cat "$1"; fail "timed out waiting for /$2/ in $1"
}

# vmon run: the main thread and both vCPUs.
mkfifo "$TMP/in"
exec 3<>"$TMP/in"
"$VMON" run --kernel "$GUEST/echo.elf" --cpus 2 --debug-exit <"$TMP/in" >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_for "$TMP/out" "^echo: ready"
seccomp_modes $pid >"$TMP/modes"
cat "$TMP/modes"
[ "$(grep -c . "$TMP/modes")" -ge 3 ] || fail "expected the main thread and 2 vCPU threads"
grep -q '^vmon_vcpu0=2$' "$TMP/modes" || fail "vCPU 0 not filtered"
grep -q '^vmon_vcpu1=2$' "$TMP/modes" || fail "vCPU 1 not filtered"
grep -v '=2$' "$TMP/modes" && fail "a thread of vmon run is not filtered"
printf 'still here\n' >&3
wait_for "$TMP/out" "^echo: still here"
printf 'quit\n' >&3
wait $pid
exec 3>&-
rm -f "$TMP/in"

# The API: its thread is filtered before the first request; after
# InstanceStart, every thread is.
sock=$TMP/api.sock
c() { curl -sS --unix-socket "$sock" -X "$1" -o /dev/null -w '%{http_code}' \
	${3:+-H 'Content-Type: application/json' -d "$3"} "http://localhost$2"; }
"$VMON" --api-sock "$sock" </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
trap 'kill -9 $pid 2>/dev/null; lib_cleanup' EXIT
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ "$(c GET /)" = 200 ] || fail "GET /"
seccomp_modes $pid | grep -q '^vmon_api=2$' || { seccomp_modes $pid; fail "API thread not filtered before InstanceStart"; }
[ "$(c PUT /boot-source "{\"kernel_image_path\":\"$GUEST/shutdown.elf\",\"boot_args\":\"how=hang\"}")" = 204 ] || fail "boot-source"
[ "$(c PUT /actions '{"action_type":"InstanceStart"}')" = 204 ] || { cat "$TMP/err"; fail "InstanceStart"; }
wait_for "$TMP/out" "how=hang"
seccomp_modes $pid >"$TMP/modes"
cat "$TMP/modes"
grep -q '^vmon_api=2$' "$TMP/modes" || fail "API thread"
grep -q '^vmon_vcpu0=2$' "$TMP/modes" || fail "vCPU thread"
grep -v '=2$' "$TMP/modes" && fail "a thread of the API's vmon is not filtered"
[ "$(c GET /machine-config)" = 200 ] || fail "the API serves under its filter"
kill -TERM $pid; wait $pid; RC=$?
expect_rc 0 "SIGTERM"

# A denied call on each thread kind: named, status 148.
VMON_DEBUG_SECCOMP_TRIP=vcpu run_vmon 30 run --kernel "$GUEST/hello.elf" --debug-exit
expect_rc 148 "vCPU thread's denied call"
expect_in "$TMP/err" "^vmon: seccomp: the vcpu thread made system call [0-9]+ \(acct\), which its filter denies" "vCPU report"
VMON_DEBUG_SECCOMP_TRIP=vmm run_vmon 30 run --kernel "$GUEST/shutdown.elf" --cmdline how=hang
expect_rc 148 "VMM thread's denied call"
expect_in "$TMP/err" "the vmm thread made system call [0-9]+ \(acct\)" "VMM report"
VMON_DEBUG_SECCOMP_TRIP=api "$VMON" --api-sock "$TMP/api2.sock" </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
wait $pid; RC=$?
expect_rc 148 "API thread's denied call"
expect_in "$TMP/err" "the api thread made system call [0-9]+ \(acct\)" "API report"

# --no-seccomp: unfiltered, with a warning.
"$VMON" run --kernel "$GUEST/shutdown.elf" --cmdline how=hang --no-seccomp </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
wait_for "$TMP/out" "how=hang"
seccomp_modes $pid | grep -q '=2$' && fail "--no-seccomp still filtered a thread"
kill -TERM $pid; wait $pid; RC=$?
expect_rc 0 "SIGTERM with --no-seccomp"
expect_in "$TMP/err" "--no-seccomp: the threads run without their syscall filters" "warning"
echo "every thread filtered; denied calls named on vcpu, vmm and api threads"
