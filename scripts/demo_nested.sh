#!/usr/bin/env bash
# The part of `make demo` that runs on the nested host (scripts/demo.sh
# starts it there): the test guest when GUEST_TOO is 1, then Debian's
# kernel to a shell under vmon, driven by scripts/demo_linux.py.
#   scripts/demo_nested.sh GUEST_TOO KERNEL INITRD
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
guest_too=$1 kernel=$2 initrd=$3
VMON=$ROOT/build/vmon
if [ "$guest_too" = 1 ]; then
	while read -r prog args; do
		echo
		echo "\$ vmon run --kernel build/guest/$prog --debug-exit $args"
		rc=0
		# shellcheck disable=SC2086  # args are words on purpose
		"$VMON" run --kernel "$ROOT/build/guest/$prog" --debug-exit $args || rc=$?
		echo "(vmon exit status $rc)"
	done <<'PROGS'
hello.elf --cmdline demo=1
smp.elf --cpus 2
memmap.elf --mem 512M
timer.elf
PROGS
	echo
fi
exec python3 "$ROOT/scripts/demo_linux.py" "$VMON" "$kernel" "$initrd"
