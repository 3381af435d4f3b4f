#!/usr/bin/env bash
# Runs the whole suite: unit tests (cmocka, TAP output), integration tests
# (tests/integration/*.sh), both again against the ASan+UBSan build, then
# the integration tests that boot guests once more on the nested host
# (tests/nested/: an emulated AMD CPU with SVM) where this machine's own
# KVM is not hardware virtualization, so both KVM backends are covered.
# Ends with "N passed, N failed, N skipped" and exits non-zero on failure.
#
#   tests/run.sh                 everything
#   tests/run.sh --no-san        skip the sanitizer pass
#   tests/run.sh --no-nested     skip the nested-host pass
#   tests/run.sh -k PATTERN      only tests whose name contains PATTERN
#   tests/run.sh --integration-only --only "a b"   just those integration tests
#   tests/run.sh --build build-tsan   only that build's unit and integration
#                                tests (no other pass), named "NAME [tsan]"
#                                (build-X gives [X]); make test-tsan
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"

# The integration tests that boot guests, run again on the nested host:
# boot, SMP, timers, shutdown, the console, each virtio device (and the
# entropy device's and a drive's rate limiters), the API, and stock Linux's boot.  Tests that time things or only exercise QEMU
# stay on this host, and so do virtio_blk (its busy-polling backends and
# strace take more than its 15 minutes under TCG), virtio_net (its
# receive half lost its frames there once under load, not yet
# understood) and serial_flood (a minute of nothing but UART exits is
# what the emulated SVM fails under: it froze the nested host once and
# failed a run once in three; docs/nested.md); linux_nested covers the
# first two with Linux's drivers there, and boots its own nested host.
NESTED_TESTS=${VMON_NESTED_TESTS:-"guest_vmon cli console_tty
	virtio_vsock virtio_rng virtio_rng_limit virtio_blk_limit virtio_balloon
	virtio_bad api_session api_config_file jailer snapshot"}
# Migration and the device tests through a snapshot round trip, in a boot
# of their own: a shorter boot is less often lost to the emulated host's
# freezes (docs/nested.md), and a lost one costs only its own tests.
NESTED_SNAPSHOT_TESTS=${VMON_NESTED_SNAPSHOT_TESTS:-"migration
	virtio_rng@restored virtio_bad@restored virtio_balloon@restored"}
# Stock Linux as the nested host's guest, in a boot of the nested host of
# its own: after a nested Linux guest the emulated host sometimes freezes
# (docs/nested.md), which must not take the other tests with it.
NESTED_LINUX_TESTS=${VMON_NESTED_LINUX_TESTS:-"linux_boot linux_snapshot"}
# Device tests run a second time as "NAME@restored": every guest they boot
# with `vmon run` goes through a snapshot round trip a few milliseconds
# into its run (tests/restored-vmon), with the same assertions.  Not under
# the sanitizers: the round trip is the point, not a second build.
RESTORED_TESTS=${VMON_RESTORED_TESTS:-"virtio_rng virtio_bad virtio_balloon
	virtio_blk virtio_net virtio_vsock"}

san=1 nested=1 unit=1
# Seconds one integration test may take before it is killed and failed.
test_timeout=${VMON_TEST_TIMEOUT:-900}
# Each nested pass (NESTED_TESTS, NESTED_SNAPSHOT_TESTS, then
# NESTED_LINUX_TESTS) takes 3 to 4 minutes there on 2 idle cores; a second boot of the nested host, for the tests
# the first did not report, only while this budget lasts.
nested_budget=${VMON_NESTED_BUDGET:-1350}	# per pass (three: about 70 min at the very worst)
nested_group=0
nested_test_timeout=${VMON_NESTED_TEST_TIMEOUT:-300}
pattern= only= build=
while [ $# -gt 0 ]; do
	case "$1" in
	--no-san) san=0 ;;
	--no-nested) nested=0 ;;
	--integration-only) unit=0 ;;
	--only) only=$2; shift ;;
	--build) build=${2%/}; shift ;;
	-k) pattern=$2; shift ;;
	*) echo "usage: tests/run.sh [--no-san] [--no-nested] [-k PATTERN] [--integration-only] [--only NAMES] [--build DIR]" >&2; exit 2 ;;
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
		local rc=$? n=0 nfail=0
		while IFS= read -r line; do
			case "$line" in
			*"# SKIP"*) record skip "$name$2: ${line##*SKIP }" "skipped by the test"; n=$((n + 1)) ;;
			"ok "*) record pass "$name$2: ${line#ok * - }"; n=$((n + 1)) ;;
			"not ok "*) record fail "$name$2: ${line#not ok * - }"; n=$((n + 1)); nfail=$((nfail + 1)) ;;
			esac
		done <"$out"
		if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
			record fail "$name$2 (exit $rc before any test)"
		elif [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
			# Every test passed, then the exit status changed: a
			# sanitizer report (a leak, a data race) or a crash.
			record fail "$name$2 (exit $rc after its tests passed)"
		fi
		if [ "$rc" -ne 0 ]; then sed 's/^/      /' "$out" | grep -v '^      ok ' | tail -n 30; fi
	done
}

# wanted NAME: is the test (or NAME@restored) selected by -k / --only?
wanted() {
	[ -z "$pattern" ] || [[ "$1" == *"$pattern"* ]] || return 1
	[ -z "$only" ] || [[ " $(echo $only) " == *" $1 "* ]] || return 1
}

run_integration() { # vmon-binary suffix
	local t name out rc reason v
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		for v in "" @restored; do
			if [ -n "$v" ]; then
				[ -z "$2" ] || continue
				[[ " $(echo $RESTORED_TESTS) " == *" $name "* ]] || continue
			fi
			wanted "$name$v" || continue
			run_one "$t" "$name$v" "$1" "$2"
		done
	done
}

run_one() { # script name vmon-binary suffix
	local t=$1 name=$2 out rc reason vmon="$ROOT/$3"
	# Tests that exercise no vmon binary, and long boots, run once,
	# not per build.
	if [ -n "$4" ] && grep -q -e '^# vmon-independent' -e '^# run-once' "$t"; then return; fi
	out="$logdir/$name$4.log"
	local trips="$logdir/$name$4.trips"
	: >"$trips"
	[[ "$name" != *@restored ]] || vmon="$ROOT/tests/restored-vmon"
	# Inside the nested host: which test a freeze interrupted.
	[ -z "${VMON_TEST_ANNOUNCE:-}" ] || echo "start $name$4"
	# timeout signals the test's whole process group (vmon included).
	VMON="$vmon" VMON_REAL="$ROOT/$3" VMON_RESTORED_LOG="$trips" ROOT="$ROOT" \
		BUILD="$ROOT/$(dirname "$3")" GUEST="$ROOT/build/guest" \
		timeout -k 10 "$test_timeout" bash "$t" >"$out" 2>&1
	rc=$?
	# A restored run that restored nothing proved nothing.
	if [[ "$name" == *@restored ]] && [ $rc = 0 ] &&
	   ! grep -q '^restored$' "$trips"; then
		record fail "$name$4 (no guest went through a snapshot round trip)"
		return
	fi
	if [[ "$name" == *@restored ]] && [ $rc = 0 ]; then
		echo "      $(grep -c '^restored$' "$trips") guests restored, $(grep -c '^ended first$' "$trips") ended before the snapshot"
	fi
	case $rc in
	0) record pass "$name$4" ;;
	124|137) record fail "$name$4 (no result within ${test_timeout}s)"
	    sed 's/^/      /' "$out" | tail -n 40 ;;
	77) reason=$(grep -m1 '^SKIP:' "$out" | sed 's/^SKIP: *//')
	    record skip "$name$4" "${reason:-no reason given}" ;;
	*) record fail "$name$4 (exit $rc)"; sed 's/^/      /' "$out" | tail -n 40 ;;
	esac
}

# The integration tests of NESTED_TESTS in one boot of the nested host,
# each recorded as "NAME [nested]" and killed after $nested_test_timeout s.
# When the emulated host itself fails (its kernel crashed, it hung), the
# tests it did not report get another boot, up to three in all, while
# $nested_budget lasts, and are skipped by name otherwise (the emulated
# host could not run them: counted, never passes, never able to eat the
# CI budget).  A pass that ends any other way fails what it did not
# report.
run_nested() { # tests... (one boot of the nested host, and retries)
	local todo="" n try=0 rc out line left start=$SECONDS done_names why
	nested_group=$((nested_group + 1))
	for n in "$@"; do
		wanted "$n" || continue
		todo="$todo $n"
	done
	[ -n "$todo" ] || return 0
	while [ -n "$todo" ]; do
		try=$((try + 1))
		left=$((nested_budget - (SECONDS - start)))
		if [ $try -gt 3 ] || [ $left -lt $((2 * nested_test_timeout)) ]; then
			# Every boot so far ended with the emulated host's own
			# failure (status 75: frozen, or its kernel crashed)
			# before these reported: the environment could not run
			# them, which is a skip, named and counted with its
			# reason, never a pass.  A test that ran and failed, or
			# hung a live host, is failed above.
			why="the emulated host failed (froze or crashed) on each of $((try - 1)) boots before it reported, docs/nested.md"
			[ $try -gt 3 ] || why="$why; ${left}s of the pass's ${nested_budget}s left"
			for n in $todo; do
				record skip "$n [nested]" "$why"
			done
			return
		fi
		out="$logdir/nested$nested_group.$try.log"
		NESTED_ENV="${NESTED_ENV:-} VMON_TEST_TIMEOUT VMON_TEST_ANNOUNCE" \
			VMON_TEST_TIMEOUT=$nested_test_timeout VMON_TEST_ANNOUNCE=1 \
			timeout -k 10 $((left + 60)) tests/nested/run.sh --timeout "$left" -- \
			tests/run.sh --integration-only --no-san --no-nested --only "$todo" >"$out" 2>&1
		rc=$?
		[ $rc != 77 ] || {
			record skip "integration tests [nested]" "$(grep -m1 '^SKIP:' "$out" | sed 's/^SKIP: *//')"
			return
		}
		done_names=" "
		while IFS= read -r line; do
			case "$line" in
			"PASS  "*) n=${line#PASS  }; record pass "$n [nested]" ;;
			"FAIL  "*) n=${line#FAIL  }; record fail "$n [nested]"; n=${n%% (*} ;;
			"SKIP  "*) n=${line#SKIP  }
				   record skip "${n%% (*} [nested]" "$(echo "${n#* (}" | sed 's/)$//')"
				   n=${n%% (*} ;;
			"      "*) echo "$line"; continue ;;
			*) continue ;;
			esac
			done_names="$done_names$n "
		done <"$out"
		local rest=""
		for n in $todo; do
			[[ "$done_names" == *" $n "* ]] || rest="$rest $n"
		done
		todo=$rest
		[ -n "$todo" ] || return
		if [ $rc != 75 ]; then
			for n in $todo; do
				record fail "$n [nested] (no result: the pass ended with status $rc; log $out)"
			done
			return
		fi
		n=$(grep '^start ' "$out" | tail -n 1 | cut -d' ' -f2)
		[[ " $todo " == *" $n "* ]] || n="no test"
		echo "      the nested host failed (boot $try, running $n) before reporting:$todo; its console:"
		grep -A 60 '^nested: the nested host failed' "$out" | sed 's/^/      /'
	done
}

# For the sanitizer passes: a report fails the test, through an exit
# status of the sanitizer's own, never mistaken for the program's.  TSan
# reports every race and lock-order inversion and carries on.
sanitizer_env() {
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
	export TSAN_OPTIONS=exitcode=97:second_deadlock_stack=1
}

if [ -n "$build" ]; then
	# One given build only, e.g. build-tsan (make test-tsan).
	[ -x "$build/vmon" ] || { echo "tests/run.sh: $build/vmon missing (make BUILD=$build, or TSAN=1)" >&2; exit 2; }
	sanitizer_env
	suffix=
	[ "$build" = build ] || suffix=" [${build#build-}]"
	if [ "$unit" = 1 ]; then
		echo "== unit tests ($build)"
		run_unit "$build" "$suffix"
	fi
	echo "== integration tests ($build)"
	run_integration "$build/vmon" "$suffix"
	san=0 nested=0
else
	if [ "$unit" = 1 ]; then
		echo "== unit tests"
		run_unit build ""
	fi
	echo "== integration tests"
	run_integration build/vmon ""
fi
if [ "$san" = 1 ]; then
	if [ -x build-san/vmon ]; then
		sanitizer_env
		if [ "$unit" = 1 ]; then
			echo "== unit tests (ASan+UBSan)"
			run_unit build-san " [san]"
		fi
		echo "== integration tests (ASan+UBSan)"
		run_integration build-san/vmon " [san]"
	else
		record fail "sanitizer build missing (make SAN=1)"
	fi
fi

# Where this machine's KVM runs guest kernels natively (VT-x, AMD-V) the
# passes above covered it; elsewhere (no /dev/kvm, or PVM) the nested
# host brings a hardware-virtualization KVM.
hw_virt() { grep -qw -e vmx -e svm /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ] && [ -w /dev/kvm ]; }
if [ "$nested" = 1 ] && ! hw_virt; then
	echo "== integration tests on the nested host (emulated AMD SVM)"
	run_nested $NESTED_TESTS
	run_nested $NESTED_SNAPSHOT_TESTS
	run_nested $NESTED_LINUX_TESTS
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
