#!/usr/bin/env bash
# `vmon jailer`, Firecracker's jailer command line: vmon runs in its own
# root (pivot_root in a private mount namespace) as an unprivileged uid
# with no capabilities, no inherited fds, no environment, its rlimits and
# cgroups; it serves the API from inside, and boots the test guest there
# when /dev/kvm is usable.  Then --new-pid-ns, --daemonize, running as a
# program named `jailer`, and every bad command line refused by name.
source "$(dirname "$0")/../lib.sh"
need_cmd curl curl
[ "$(id -u)" = 0 ] || skip "the jailer needs root (it creates namespaces and device nodes)"
unshare -m true 2>/dev/null || skip "this host refuses new mount namespaces"
# The jail holds the exec file alone; the jailer refuses a dynamic one.
if readelf -l "$VMON" 2>/dev/null | grep -q "program interpreter"; then
	"$VMON" jailer --id x --exec-file "$VMON" --uid 1 --gid 1 --chroot-base-dir "$TMP/j" >"$TMP/out" 2>"$TMP/err"
	RC=$?; expect_rc 2 "a dynamically linked exec file"
	grep -q "dynamically linked (it asks for /lib" "$TMP/err" || fail "dynamic exec file: $(cat "$TMP/err")"
	skip "this vmon is dynamically linked (a sanitizer build): the jail needs a static one"
fi
base=$TMP/jail
cg=vmon-test-$$
uid=4321
pids=()
v1pids=$(awk '$3 == "cgroup" && $4 ~ /(^|,)pids(,|$)/ { print $2; exit }' /proc/mounts)
v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	sleep 0.2
	for d in "$v2/$cg"/* "$v2/$cg" "$v1pids/$cg"/* "$v1pids/$cg"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
wait_sock() { for _ in $(seq 100); do [ -S "$1" ] && return 0; sleep 0.05; done; fail "no API socket at $1"; }

# 1. A jailed API server, with an fd and an environment variable the
#    jailer must not hand on.
id=vm-1
root=$base/vmon/$id/root
exec 7>"$TMP/leak"
SECRET=1 "$VMON" jailer --id $id --exec-file "$VMON" --uid $uid --gid $uid \
	--chroot-base-dir "$base" --resource-limit no-file=512 --resource-limit fsize=1000000000 \
	${v2:+--cgroup-version 2 --parent-cgroup $cg} \
	-- --api-sock /api.sock >"$TMP/out" 2>"$TMP/err" &
pid=$!; pids+=($pid)
exec 7>&-
wait_sock "$root/api.sock"
st=/proc/$pid/status
grep -q "^Uid:[[:space:]]*$uid[[:space:]]*$uid[[:space:]]*$uid[[:space:]]*$uid$" $st || { cat $st; fail "uid"; }
grep -q "^Gid:[[:space:]]*$uid[[:space:]]*$uid" $st || fail "gid"
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
	grep -q "^$c:[[:space:]]*0000000000000000$" $st || { grep Cap $st; fail "$c is not empty"; }
done
grep -q "^NoNewPrivs:[[:space:]]*1" $st || fail "no_new_privs not set"
# Its root is the jail: what it sees at / is what the jailer put there.
[ "$(ls /proc/$pid/root | sort | tr '\n' ' ')" = "api.sock dev vmon " ] ||
	{ ls -la /proc/$pid/root; fail "the jailed root holds more than api.sock, dev and vmon"; }
[ "$(stat -c %i /proc/$pid/root/vmon)" = "$(stat -c %i "$root/vmon")" ] || fail "its root is not $root"
[ "$(stat -c '%t:%T %u' "$root/dev/kvm")" = "a:e8 $uid" ] || fail "/dev/kvm node: $(stat -c '%t:%T %u' "$root/dev/kvm")"
[ "$(stat -c '%t:%T %u' "$root/dev/net/tun")" = "a:c8 $uid" ] || fail "/dev/net/tun node"
for f in /proc/$pid/fd/*; do
	[ "$(readlink "$f")" = "$TMP/leak" ] && fail "fd $(basename "$f") inherited through the jailer"
done
[ ! -s /proc/$pid/environ ] || fail "environment not cleared: $(tr '\0' ' ' </proc/$pid/environ)"
grep -q "^Max open files *512 *512" /proc/$pid/limits || fail "no-file limit"
grep -q "^Max file size *1000000000 *1000000000" /proc/$pid/limits || fail "fsize limit"
if [ -n "$v2" ]; then
	grep -qx "0::/$cg/$id" /proc/$pid/cgroup || { cat /proc/$pid/cgroup; fail "not in cgroup $cg/$id"; }
fi
grep -q -- "--id=$id" /proc/$pid/cmdline || fail "the VMM did not get --id"
sock=$root/api.sock
api_ok 200 GET /
grep -q "\"id\":\"$id\"" "$TMP/r" || fail "GET / does not give the jail's id: $(cat "$TMP/r")"
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	# The test guest, booted through the API inside the jail (the kernel
	# given by its path in the jail, as with Firecracker's).
	cp "$GUEST/hello.elf" "$root/hello.elf"
	api_ok 204 PUT /machine-config '{"vcpu_count":1,"mem_size_mib":64}'
	api_ok 204 PUT /boot-source '{"kernel_image_path":"/hello.elf","boot_args":"console=ttyS0"}'
	api_ok 204 PUT /actions '{"action_type":"InstanceStart"}'
	for _ in $(seq 100); do grep -q "Hello from the vmon test guest" "$TMP/out" && break; sleep 0.1; done
	grep -q "Hello from the vmon test guest" "$TMP/out" || { cat "$TMP/out" "$TMP/err"; fail "the jailed guest did not boot"; }
	for t in /proc/$pid/task/*; do
		grep -q "^Seccomp:[[:space:]]*2" $t/status || fail "thread $(cat $t/comm) has no seccomp filter"
	done
	echo "booted the test guest in the jail"
else
	echo "no usable /dev/kvm here: the jailed boot is not tried"
fi
kill -TERM $pid; wait $pid; RC=$?; expect_rc 0 "SIGTERM to the jailed vmon"

# 2. v1 cgroups with a value; the default parent is the exec file's name.
if [ -n "$v1pids" ]; then
	id=vm-2
	"$VMON" jailer --id $id --exec-file "$VMON" --uid $uid --gid $uid --chroot-base-dir "$base" \
		--parent-cgroup $cg --cgroup pids.max=64 -- --api-sock /api.sock >"$TMP/out" 2>"$TMP/err" &
	pid=$!; pids+=($pid)
	wait_sock "$base/vmon/$id/root/api.sock"
	grep -q "pids:/$cg/$id$" /proc/$pid/cgroup || { cat /proc/$pid/cgroup; fail "not in the v1 pids cgroup"; }
	[ "$(cat "$v1pids/$cg/$id/pids.max")" = 64 ] || fail "pids.max not written"
	kill -TERM $pid; wait $pid
fi

# 3. --new-pid-ns: the VMM is pid 1 of its namespace, its host pid in
#    <root>/vmon.pid; --daemonize: standard fds on /dev/null.  And the
#    program named `jailer`.
ln -s "$VMON" "$TMP/jailer"
id=vm-3
"$TMP/jailer" --id $id --exec-file "$VMON" --uid $uid --gid $uid --chroot-base-dir "$base" \
	--new-pid-ns --daemonize -- --api-sock /api.sock >"$TMP/out" 2>"$TMP/err"
RC=$?; expect_rc 0 "the jailer's parent after --new-pid-ns"
wait_sock "$base/vmon/$id/root/api.sock"
vpid=$(cat "$base/vmon/$id/root/vmon.pid")
pids+=($vpid)
grep -q "^NSpid:[[:space:]]*$vpid[[:space:]]*1$" /proc/$vpid/status || { grep NSpid /proc/$vpid/status; fail "not pid 1 of a new PID namespace"; }
for fd in 0 1 2; do
	[ "$(readlink /proc/$vpid/fd/$fd)" = /dev/null ] || fail "--daemonize: fd $fd is $(readlink /proc/$vpid/fd/$fd)"
done
grep -q "^Uid:[[:space:]]*$uid" /proc/$vpid/status || fail "uid after --new-pid-ns"
kill -TERM $vpid
for _ in $(seq 50); do kill -0 $vpid 2>/dev/null || break; sleep 0.1; done

# 4. Bad command lines: status 2 and what is wrong, nothing run.
bad() { # message-regex args...
	local want=$1; shift
	"$VMON" jailer "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?; expect_rc 2 "vmon jailer $*"
	grep -Eq -- "$want" "$TMP/err" || { cat "$TMP/err"; fail "vmon jailer $*: no '$want'"; }
}
ok=(--exec-file "$VMON" --uid $uid --gid $uid --chroot-base-dir "$base")
bad "are required" --exec-file "$VMON" --uid 1 --gid 1
bad "are required" --id x --exec-file "$VMON" --gid 1
bad -- "--id a/b: expected 1 to 64" --id a/b "${ok[@]}"
bad -- "--id .*expected 1 to 64" --id "$(printf 'a%.0s' $(seq 65))" "${ok[@]}"
bad -- "--exec-file $TMP/none: No such file" --id x --exec-file "$TMP/none" --uid 1 --gid 1 --chroot-base-dir "$base"
bad -- "--uid -1: expected a number" --id x --exec-file "$VMON" --uid -1 --gid 1
bad -- "--cgroup-version 3: expected 1 or 2" --id x "${ok[@]}" --cgroup-version 3
bad -- "--cgroup pids: expected FILE=VALUE" --id x "${ok[@]}" --cgroup pids
bad -- "--cgroup ../x=1: expected FILE=VALUE" --id x "${ok[@]}" --cgroup ../x=1
bad -- "--parent-cgroup \.\./up: expected a relative path" --id x "${ok[@]}" --parent-cgroup ../up
bad -- "--parent-cgroup /abs: expected a relative path" --id x "${ok[@]}" --parent-cgroup /abs
bad -- "--resource-limit cpu=1: expected fsize=N or no-file=N" --id x "${ok[@]}" --resource-limit cpu=1
bad -- "--resource-limit no-file=lots: expected a number" --id x "${ok[@]}" --resource-limit no-file=lots
bad -- "--exec-file /bin/sh: dynamically linked" --id x --exec-file /bin/sh --uid 1 --gid 1 --chroot-base-dir "$base"
bad -- "--chroot-base-dir rel: expected an absolute path" --id x --exec-file "$VMON" --uid 1 --gid 1 --chroot-base-dir rel
bad -- "unknown or incomplete option '--frob'" --id x "${ok[@]}" --frob
bad -- "unexpected 'extra': the VMM's arguments go after --" --id x "${ok[@]}" extra
[ -e "$base/vmon/x" ] && fail "a refused command line made a jail"
# A step the host refuses names itself and its path.
"$VMON" jailer --id vm-4 "${ok[@]}" --netns "$TMP/no-such-netns" >"$TMP/out" 2>"$TMP/err"
RC=$?; expect_rc 2 "a missing --netns"
grep -q -- "--netns $TMP/no-such-netns: No such file" "$TMP/err" || { cat "$TMP/err"; fail "netns message"; }
true
