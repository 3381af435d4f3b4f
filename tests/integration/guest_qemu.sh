#!/usr/bin/env bash
# vmon-independent
# Boots the test guest under QEMU's microvm machine, independently of
# vmon: if these pass and the same image fails under vmon, the bug is in
# vmon.  Checks serial output lines exactly and the isa-debug-exit status
# ((code << 1) | 1).
#
# Env: GUEST (dir with the .elf images), ROOT (the runner sets them);
# QEMU (default qemu-system-x86_64).  Exit 0 pass, 77 skip, else fail.
set -u
source "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

QEMU=${QEMU:-qemu-system-x86_64}
TIMEOUT=60

need_cmd "$QEMU" qemu-system-x86
need_kvm
QEMU_CPU=$("$ROOT/scripts/qemu-cpu.sh" "$GUEST/hello.elf")
for p in hello exitcode memmap smp; do
	[ -f "$GUEST/$p.elf" ] || fail "$GUEST/$p.elf missing: run 'make guest' first"
done

tmp=$TMP
failures=0

# boot NAME SMP APPEND: serial output to $tmp/NAME.out, status in $status.
boot() {
	local name=$1 smp=$2 append=$3
	timeout -k 5 "$TIMEOUT" "$QEMU" -M microvm -enable-kvm -cpu "$QEMU_CPU" -m 256M \
		-smp "$smp" -nodefaults -no-user-config -nographic \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$GUEST/$name.elf" -append "$append" \
		</dev/null >"$tmp/$name.out" 2>"$tmp/$name.err"
	status=$?
}

# check NAME WANT_STATUS LINE...: every LINE must appear as a whole line.
check() {
	local name=$1 want=$2 ok=1 line
	shift 2
	if [[ $status != "$want" ]]; then
		echo "FAIL: $name: expected exit status $want, got $status"
		ok=0
	fi
	for line in "$@"; do
		if ! grep -qxF -- "$line" "$tmp/$name.out"; then
			echo "FAIL: $name: expected the line: $line"
			ok=0
		fi
	done
	if ((ok)); then
		echo "PASS: $name"
	else
		failures=$((failures + 1))
		echo "--- $name serial output:"
		cat "$tmp/$name.out"
		echo "--- $name stderr:"
		cat "$tmp/$name.err"
		echo "---"
	fi
}

boot hello 1 "hello from guest_qemu.sh"
check hello 1 "Hello from the vmon test guest" \
	"cmdline: hello from guest_qemu.sh"

boot exitcode 1 "exit=7"
check exitcode 15 "exiting with 7"

boot memmap 1 ""
check memmap 1 "memmap: OK" "ram total: 255 MiB"
if ! grep -qE '^rsdp: 0x[0-9a-f]+$' "$tmp/memmap.out" ||
   ! grep -q '^start_info: magic=0x336ec578 ' "$tmp/memmap.out"; then
	echo "FAIL: memmap: expected 'start_info: magic=0x336ec578 ...' and 'rsdp: 0x...' lines"
	failures=$((failures + 1))
fi

boot smp 2 ""
check smp 1 "cpu 0 online" "cpu 1 online" "smp: 2 of 2 cpus online"

if ((failures)); then
	echo "guest_qemu: $failures failed"
	exit 1
fi
echo "guest_qemu: all passed"
