# Helpers for integration tests (sourced).  Conventions: exit 0 = pass,
# 77 = skip (print "SKIP: reason" first), anything else = fail.
# The runner sets VMON, ROOT, BUILD and GUEST.
set -u
: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${VMON:=$ROOT/build/vmon}"
: "${BUILD:=$ROOT/build}"
: "${GUEST:=$ROOT/build/guest}"
TMP=$(mktemp -d /tmp/vmon-it.XXXXXX)
NETNS=
# What every test leaves behind; a test with its own EXIT trap calls it.
lib_cleanup() {
	[ -z "$NETNS" ] || ip netns del "$NETNS" 2>/dev/null
	rm -rf "$TMP"
}
trap lib_cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

# api_ok STATUS METHOD PATH [BODY]: one request to the API socket $sock
# (the test sets it); "BODY STATUS" lands in $TMP/r, and any other status
# fails the test.
api_ok() {
	local want=$1; shift
	curl -sS --unix-socket "$sock" -X "$1" -w ' %{http_code}\n' \
		${3:+-H 'Content-Type: application/json' -d "$3"} "http://localhost$2" >"$TMP/r"
	grep -q " $want\$" "$TMP/r" || { cat "$TMP/r"; fail "$* : expected $want"; }
}

# A test that cannot run for a reason outside the project skips, naming
# the reason, through one of these.
need_kvm() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "needs /dev/kvm (not present or not accessible)"
}

# need_cmd COMMAND PACKAGE: scripts/deps.sh installs PACKAGE as root; as
# another user it only names it, and the tests that need it skip.
need_cmd() {
	command -v "$1" >/dev/null 2>&1 ||
		skip "needs $1 (Debian package $2; scripts/deps.sh installs it as root)"
}

# need_netns NAME [TAP...]: a private network namespace NAME with TAP
# devices, up, and IPv6 off so the kernel sends nothing of its own;
# removed on exit (lib_cleanup).  Skips where they cannot be made: not
# root, no /dev/net/tun, a container or chroot without the rights.
# nsx CMD... runs a command in it (a function: in the background, $! is
# a subshell; write ip netns exec "$NETNS" CMD... to get CMD's pid).
need_netns() {
	local ns=$1 t
	shift
	need_cmd ip iproute2
	[ -c /dev/net/tun ] || skip "needs /dev/net/tun for TAP devices"
	ip netns add "$ns" 2>"$TMP/netns.err" ||
		skip "cannot create a network namespace: $(cat "$TMP/netns.err")"
	NETNS=$ns
	# ip netns exec also has to mount /sys in a new mount namespace.
	ip netns exec "$ns" true 2>"$TMP/netns.err" ||
		skip "cannot run commands in a network namespace (ip netns exec): $(cat "$TMP/netns.err")"
	ip netns exec "$ns" sh -c 'for c in all default; do
		f=/proc/sys/net/ipv6/conf/$c/disable_ipv6
		[ ! -e $f ] || echo 1 >$f || exit 1
	done' || fail "cannot turn IPv6 off in the namespace"
	for t; do
		ip -n "$ns" tuntap add dev "$t" mode tap 2>"$TMP/netns.err" ||
			skip "cannot create a TAP device: $(cat "$TMP/netns.err")"
		ip -n "$ns" link set "$t" up || fail "cannot bring $t up"
	done
}
nsx() { ip netns exec "$NETNS" "$@"; }

# run_vmon TIMEOUT ARGS...: runs vmon, stdout to $TMP/out, stderr to
# $TMP/err, exit status in $RC.  stdin is /dev/null unless redirected.
run_vmon() {
	local t=$1; shift
	timeout -k 5 "$t" "$VMON" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?
}

expect_rc() {
	[ "$RC" = "$1" ] || { echo "--- stdout"; tail -n 30 "$TMP/out"; echo "--- stderr"; tail -n 30 "$TMP/err"; fail "expected exit status $1, got $RC${2:+ ($2)}"; }
}

# expect_ratelimited FILE REGEX MIN START_S: lines matching REGEX in FILE
# number at least MIN and at most what vmon's log limiter lets through
# since START_S (date +%s at the run's start): a burst of 10 per 5 s
# window (src/lib/log.h), counted from the run's real length so a slow
# host (the nested one is emulated) does not fail a correct limiter.
expect_ratelimited() {
	local n now windows max
	n=$(grep -Ec -- "$2" "$1")
	now=$(date +%s)
	windows=$(( (now - $4) / 5 + 2 ))
	max=$(( windows * 10 ))
	[ "$n" -ge "$3" ] && [ "$n" -le "$max" ] ||
		{ cat "$1"; fail "$n log lines matching /$2/; want $3 to $max ($((now - $4)) s run)"; }
}

# expect_out FILE REGEX [what]
expect_in() {
	grep -Eq -- "$2" "$1" || { echo "--- $1"; tail -n 40 "$1"; fail "expected /$2/ in $(basename "$1")${3:+ ($3)}"; }
}
