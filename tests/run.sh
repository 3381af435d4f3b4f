#!/usr/bin/env bash
# Runs the whole suite: unit tests (cmocka, TAP output), integration tests
# (tests/integration/*.sh), then both again against the ASan+UBSan build.
# Ends with "N passed, N failed, N skipped" and exits non-zero on failure.
#
#   tests/run.sh                 everything
#   tests/run.sh --no-san        skip the sanitizer pass
#   tests/run.sh -k PATTERN      only tests whose name contains PATTERN
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

san=1
pattern=
while [ $# -gt 0 ]; do
	case "$1" in
	--no-san) san=0 ;;
	-k) pattern=$2; shift ;;
	*) echo "usage: tests/run.sh [--no-san] [-k PATTERN]" >&2; exit 2 ;;
	esac
	shift
done

pass=0 fail=0 skip=0
failed=() skipped=()
logdir=$(mktemp -d /tmp/vmon-tests.XXXXXX)

record() { # status name [reason]
	case "$1" in
	pass) pass=$((pass + 1)); printf 'PASS  %s\n' "$2" ;;
	fail) fail=$((fail + 1)); failed+=("$2"); printf 'FAIL  %s\n' "$2" ;;
	skip) skip=$((skip + 1)); skipped+=("$2: $3"); printf 'SKIP  %s (%s)\n' "$2" "$3" ;;
	esac
}

run_unit() { # build-dir suffix
	local bin name out
	for bin in "$1"/tests/test_*; do
		[ -x "$bin" ] || continue
		name=$(basename "$bin")
		[ -z "$pattern" ] || [[ "$name" == *"$pattern"* ]] || continue
		out="$logdir/$name$2.log"
		CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$bin" >"$out" 2>&1
		local rc=$? n=0
		while IFS= read -r line; do
			case "$line" in
			*"# SKIP"*) record skip "$name$2: ${line##*SKIP }" "skipped by the test"; n=$((n + 1)) ;;
			"ok "*) record pass "$name$2: ${line#ok * - }"; n=$((n + 1)) ;;
			"not ok "*) record fail "$name$2: ${line#not ok * - }"; n=$((n + 1)) ;;
			esac
		done <"$out"
		if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
			record fail "$name$2 (exit $rc before any test)"
		fi
		if [ "$rc" -ne 0 ]; then sed 's/^/      /' "$out" | grep -v '^      ok ' | tail -n 30; fi
	done
}

run_integration() { # vmon-binary suffix
	local t name out rc reason
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		[ -z "$pattern" ] || [[ "$name" == *"$pattern"* ]] || continue
		# Tests that exercise no vmon binary run once, not per build.
		if [ -n "$2" ] && grep -q '^# vmon-independent' "$t"; then continue; fi
		out="$logdir/$name$2.log"
		VMON="$ROOT/$1" ROOT="$ROOT" BUILD="$ROOT/$(dirname "$1")" \
			GUEST="$ROOT/build/guest" timeout 900 bash "$t" >"$out" 2>&1
		rc=$?
		case $rc in
		0) record pass "$name$2" ;;
		77) reason=$(grep -m1 '^SKIP:' "$out" | sed 's/^SKIP: *//')
		    record skip "$name$2" "${reason:-no reason given}" ;;
		*) record fail "$name$2 (exit $rc)"; sed 's/^/      /' "$out" | tail -n 40 ;;
		esac
	done
}

echo "== unit tests"
run_unit build ""
echo "== integration tests"
run_integration build/vmon ""
if [ "$san" = 1 ]; then
	if [ -x build-san/vmon ]; then
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
		echo "== unit tests (ASan+UBSan)"
		run_unit build-san " [san]"
		echo "== integration tests (ASan+UBSan)"
		run_integration build-san/vmon " [san]"
	else
		record fail "sanitizer build missing (make SAN=1)"
	fi
fi

echo
if [ ${#skipped[@]} -gt 0 ]; then
	echo "Skipped:"
	printf '  %s\n' "${skipped[@]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failed[@]}"
	echo "Logs: $logdir"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
