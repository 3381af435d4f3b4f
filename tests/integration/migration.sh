#!/usr/bin/env bash
# Live migration between two hosts: two network namespaces joined by a
# veth pair, each with its own address and its own vmon.  The echo guest
# (2 vCPUs, 64 MiB) fills 16 MiB and keeps rewriting it while it moves;
# on arrival it checks every window of it against the seeds it kept (in
# its own memory, which moved too), answers input and powers off.  Then
# what must fail cleanly: nobody listening, the destination killed
# mid-stream, a destination that stalls, garbage and a cut stream sent to
# a receiver, a receive into a configured vmon; each source keeps its
# guest running, each receiver ends with status 2.
source "$(dirname "$0")/../lib.sh"
need_kvm
need_cmd curl curl
need_cmd ip iproute2
need_cmd python3 python3
A=vmon-mig-a-$$ B=vmon-mig-b-$$
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null
	lib_cleanup
}
trap cleanup EXIT
ip netns add "$A" 2>"$TMP/ns.err" || skip "cannot create a network namespace: $(cat "$TMP/ns.err")"
ip netns add "$B" || fail "second namespace"
ip netns exec "$A" true 2>"$TMP/ns.err" || skip "cannot run in a network namespace: $(cat "$TMP/ns.err")"
ip link add mig-a netns "$A" type veth peer name mig-b netns "$B" 2>"$TMP/ns.err" ||
	skip "cannot create a veth pair: $(cat "$TMP/ns.err")"
ip -n "$A" addr add 10.77.0.1/24 dev mig-a && ip -n "$A" link set mig-a up &&
	ip -n "$A" link set lo up || fail "host A's address"
ip -n "$B" addr add 10.77.0.2/24 dev mig-b && ip -n "$B" link set mig-b up &&
	ip -n "$B" link set lo up || fail "host B's address"

wait_for() { # file regex [seconds]
	for _ in $(seq $((${3:-15} * 10))); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	echo "--- $1"; tail -n 20 "$1"; echo "--- err"; tail -n 20 "$TMP"/err* 2>/dev/null
	fail "timed out waiting for /$2/ in $1"
}
# start NS N: a vmon with an API socket in namespace NS, console input
# from a fifo on fd 3+N.
start() {
	local ns=$1 n=$2
	sock=$TMP/api$n.sock
	mkfifo "$TMP/in$n"
	eval "exec $((3 + n))<>\"$TMP/in$n\""
	ip netns exec "$ns" "$VMON" --api-sock "$sock" --level Info <"$TMP/in$n" >"$TMP/out$n" 2>"$TMP/err$n" &
	pid=$!; pids+=($pid)
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
}
type_in() { printf '%s\n' "$2" >&$((3 + $1)); }
wait_for_file() { for _ in $(seq 300); do [ -e "$1" ] && return 0; sleep 0.1; done; fail "no $1"; }
boot_echo() { # N
	api_ok 204 PUT /machine-config '{"vcpu_count":2,"mem_size_mib":64}'
	api_ok 204 PUT /boot-source "{\"kernel_image_path\":\"$GUEST/echo.elf\"}"
	api_ok 204 PUT /entropy '{}'
	api_ok 204 PUT /actions '{"action_type":"InstanceStart"}'
	wait_for "$TMP/out$1" "^echo: ready"
}
alive() { # N word: the guest of vmon N still answers
	type_in "$1" "$2"
	wait_for "$TMP/out$1" "^echo: $2"
}

# ---- a guest that keeps writing, from A to B ----------------------------------
start "$B" 1; dst=$pid; dsock=$sock
start "$A" 0; src=$pid
boot_echo 0
type_in 0 "fill 7"
wait_for "$TMP/out0" "^echo: fill 7 done"
type_in 0 churn
wait_for "$TMP/out0" "^echo: churn started"
"$VMON" ctl "$dsock" migrate-receive tcp:10.77.0.2:7100 >"$TMP/ctl" || { cat "$TMP/ctl"; fail "migrate-receive"; }
sock=$dsock; api_ok 200 GET /migration
grep -q '"state":"Receiving"' "$TMP/r" || fail "receiver state: $(cat "$TMP/r")"
t0=$(date +%s%N)
"$VMON" ctl "$TMP/api0.sock" migrate-send tcp:10.77.0.2:7100 >"$TMP/ctl" 2>&1 || { cat "$TMP/ctl"; tail "$TMP/err0"; tail "$TMP/err1"; fail "migrate-send"; }
t1=$(date +%s%N)
grep -q "the guest runs there" "$TMP/ctl" || fail "migrate-send said: $(cat "$TMP/ctl")"
wait $src; RC=$?
expect_rc 0 "the source vmon after its guest left"
sock=$dsock; api_ok 200 GET /migration
grep -q '"state":"Done"' "$TMP/r" || fail "destination state: $(cat "$TMP/r")"
downtime=$(sed -n 's/.*"downtime_ms":\([0-9]*\).*/\1/p' "$TMP/r")
rounds=$(sed -n 's/.*"round":\([0-9]*\).*/\1/p' "$TMP/r")
api_ok 200 GET /; grep -q '"state":"Running"' "$TMP/r" || fail "not running at the destination: $(cat "$TMP/r")"
# Input after the move: it stops the churn, the guest checks its memory.
type_in 1 verify
wait_for "$TMP/out1" "^echo: verify (ok|BAD)"
grep -q "^echo: verify ok" "$TMP/out1" || fail "memory after migration: $(grep '^echo: verify' "$TMP/out1")"
passes=$(sed -n 's/^echo: verify ok //p' "$TMP/out1")
[ "$passes" -gt 0 ] || fail "the guest never churned"
alive 1 after-migration
type_in 1 quit
wait_for "$TMP/out1" "^echo: bye"
kill -TERM $dst; wait $dst; RC=$?; expect_rc 0 "SIGTERM to the destination"
grep -q "migrat" "$TMP/err0" || fail "the source logged nothing of the migration"
echo "migration: 64 MiB guest writing memory, A -> B over veth: $(( (t1 - t0) / 1000000 )) ms in all, downtime ${downtime} ms, ${rounds} rounds, $passes MiB rewritten by the guest"

# ---- failures: the source keeps its guest ------------------------------------------
start "$A" 2; sock=$TMP/api2.sock
boot_echo 2
# 16 MiB to send: more than the sockets between them hold.
type_in 2 "fill 3"; wait_for "$TMP/out2" "^echo: fill 3 done"
send_fails() { # url regex
	"$VMON" ctl "$TMP/api2.sock" migrate-send "$1" >"$TMP/ctl" 2>&1 && fail "migrate-send $1 succeeded"
	grep -Eq -- "$2" "$TMP/ctl" || fail "migrate-send $1: expected /$2/, got $(cat "$TMP/ctl")"
	sock=$TMP/api2.sock; api_ok 200 GET /
	grep -q '"state":"Running"' "$TMP/r" || fail "source not running after a failed send: $(cat "$TMP/r")"
	alive 2 "still-here-$RANDOM"
}
send_fails tcp:10.77.0.2:7199 "cannot connect"
send_fails tcp:nowhere:1 "not an IPv4 address or a bracketed IPv6 one"
send_fails ftp:x "expected tcp:HOST:PORT or unix:PATH"
# A destination that accepts and then reads nothing: the stall is noticed.
ip netns exec "$B" python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 7101)); s.listen(1); open("'"$TMP/l7101"'", "w").close()
c, _ = s.accept(); time.sleep(60)' &
pids+=($!); wait_for_file "$TMP/l7101"
send_fails tcp:10.77.0.2:7101 "(took|sent) nothing for"
# A destination that dies in the middle of the stream (after 1 MiB).
ip netns exec "$B" python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 7102)); s.listen(1); open("'"$TMP/l7102"'", "w").close()
c, _ = s.accept()
n = 0
while n < (1 << 20):
    b = c.recv(65536)
    if not b: break
    n += len(b)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
c.close()' &
pids+=($!); wait_for_file "$TMP/l7102"
send_fails tcp:10.77.0.2:7102 "migration failed: .*(reset|closed|Broken pipe)"
type_in 2 quit; wait_for "$TMP/out2" "^echo: bye"
kill -TERM $pid

# ---- failures: the receiver ends cleanly -------------------------------------------
recv_fails() { # port regex python-client-code
	start "$B" "$4"
	"$VMON" ctl "$TMP/api$4.sock" migrate-receive "tcp:10.77.0.2:$1" >/dev/null || fail "receive on $1"
	ip netns exec "$B" python3 -c "
import socket, time
c = socket.create_connection(('10.77.0.2', $1))
$3
time.sleep(0.5)" || fail "the client for port $1"
	for _ in $(seq 150); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -0 $pid 2>/dev/null && fail "receiver on $1 still running"
	wait $pid; RC=$?; expect_rc 2 "receiver on $1"
	grep -Eq -- "$2" "$TMP/err$4" || fail "receiver on $1: expected /$2/ in its log: $(tail -3 "$TMP/err$4")"
}
recv_fails 7103 "not a vmon migration stream" 'c.sendall(b"GET / HTTP/1.0\r\n\r\n" + b"x" * 100)' 4
recv_fails 7104 "the peer closed the connection" 'c.sendall(b"VMONMIG1")' 5
# A receiver takes nothing into a vmon already configured.
start "$B" 6; sock=$TMP/api6.sock
api_ok 204 PUT /machine-config '{"vcpu_count":1,"mem_size_mib":64}'
api_ok 400 PUT /migration/receive '{"receiver_url":"tcp:10.77.0.2:7105"}'
grep -q "nothing configured" "$TMP/r" || fail "receive into a configured vmon: $(cat "$TMP/r")"
api_ok 400 PUT /migration/send '{"destination_url":"tcp:10.77.0.2:7105"}'
grep -q "no VM to migrate" "$TMP/r" || fail "send without a VM: $(cat "$TMP/r")"
echo "migration: every failure ended cleanly"
