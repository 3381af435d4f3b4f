# Helpers for integration tests (sourced).  Conventions: exit 0 = pass,
# 77 = skip (print "SKIP: reason" first), anything else = fail.
# The runner sets VMON, ROOT, BUILD and GUEST.
set -u
: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${VMON:=$ROOT/build/vmon}"
: "${BUILD:=$ROOT/build}"
: "${GUEST:=$ROOT/build/guest}"
TMP=$(mktemp -d /tmp/vmon-it.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

need_kvm() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "needs /dev/kvm (not present or not accessible)"
}

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

# expect_out FILE REGEX [what]
expect_in() {
	grep -Eq -- "$2" "$1" || { echo "--- $1"; tail -n 40 "$1"; fail "expected /$2/ in $(basename "$1")${3:+ ($3)}"; }
}
