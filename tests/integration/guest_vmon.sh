#!/usr/bin/env bash
# Boots each test-guest program under vmon and checks what it reports on
# the serial port and vmon's exit status.
source "$(dirname "$0")/../lib.sh"
need_kvm
for p in hello exitcode memmap smp timer echo compute shutdown; do
	[ -f "$GUEST/$p.elf" ] || fail "missing $GUEST/$p.elf (make guest)"
done
g() { run_vmon 60 run --kernel "$GUEST/$1.elf" --debug-exit "${@:2}"; }

g hello --cmdline "greeting test-$$"
expect_rc 1 "hello exits 0 through debug-exit: (0 << 1) | 1"
expect_in "$TMP/out" "^Hello from the vmon test guest" "greeting"
expect_in "$TMP/out" "^cmdline: greeting test-$$" "command line"

g exitcode --cmdline exit=7; expect_rc 15 "(7 << 1) | 1"
g exitcode --cmdline exit=100; expect_rc 201
g exitcode; expect_rc 85 "default 42"

for mem in 16M 256M 3584M; do
	g memmap --mem $mem; expect_rc 1 "memmap with --mem $mem"
	expect_in "$TMP/out" "^memmap: OK" "RAM writable with --mem $mem"
done
expect_in "$TMP/out" "memmap: 0x100000000-0x120000000 type 1" "RAM above 4 GiB with 3.5 GiB"
expect_in "$TMP/out" "rsdp: 0xe0000"

for n in 1 2 4; do
	g smp --cpus $n; expect_rc 1 "smp --cpus $n"
	expect_in "$TMP/out" "smp: $n of $n cpus online" "$n CPUs check in"
done

# On the nested host TCG emulates the clocks under a loaded machine, and
# KVM's PIT loses ticks there: only their arrival is asserted.
if [ -n "${VMON_NESTED:-}" ]; then g timer --cmdline min_ticks=10; else g timer; fi
expect_rc 1 "timer ticks"
expect_in "$TMP/out" "^timer: [0-9]+ ticks in 2 s" "PIT ticks counted against the RTC"
expect_in "$TMP/out" "^rtc: $(date -u +%Y)-" "RTC shows the host's year"

# Interrupt-driven serial input: lines typed reach the guest and echo back.
printf 'hello over irq 4\nquit\n' | timeout 30 "$VMON" run --kernel "$GUEST/echo.elf" --debug-exit >"$TMP/out" 2>"$TMP/err"
RC=$?; expect_rc 1 "echo"
expect_in "$TMP/out" "^echo: hello over irq 4" "input delivered by interrupt"
expect_in "$TMP/out" "^echo: bye"

g compute --cmdline iters=1000000; expect_rc 1 "compute"
expect_in "$TMP/out" "^compute: iters=1000000 result=0x"

# Ways out: ACPI S5, ACPI reset register, i8042 reset -> 0; triple fault -> 4.
for how in acpi resetreg kbd; do
	g shutdown --cmdline how=$how; expect_rc 0 "shutdown how=$how"
done
g shutdown --cmdline how=triple; expect_rc 4 "triple fault"
expect_in "$TMP/err" "triple-faulted \(KVM_EXIT_SHUTDOWN\) at RIP 0x[0-9a-f]+" "clear report"

# Serial to a file and to nowhere; SIGTERM stops a hung guest with 0.
g hello --serial "file:$TMP/serial.txt"; expect_rc 1
expect_in "$TMP/serial.txt" "^Hello from the vmon test guest" "serial file"
[ -s "$TMP/out" ] && fail "stdout should be empty with --serial file"
g hello --serial none; expect_rc 1
[ -s "$TMP/out" ] && fail "stdout should be empty with --serial none"
"$VMON" run --kernel "$GUEST/shutdown.elf" --cmdline how=hang </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 50); do grep -q "how=hang" "$TMP/out" && break; sleep 0.1; done
kill -TERM $pid; wait $pid; RC=$?
expect_rc 0 "SIGTERM"
# Without --debug-exit, port 0xf4 is nothing: the guest halts, SIGINT ends it.
"$VMON" run --kernel "$GUEST/hello.elf" </dev/null >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 50); do grep -q "^cmdline" "$TMP/out" && break; sleep 0.1; done
kill -INT $pid; wait $pid; RC=$?
expect_rc 0 "SIGINT"
echo "all guest programs behaved"
