#!/usr/bin/env bash
# Debian's stock kernel under vmon on a hardware-virtualization KVM, every
# device judged by Linux's own drivers (tests/linux/e2e.py), and the
# kernel's log judged against QEMU's on the same host.  On our machines
# that host is the nested one of tests/nested/ (QEMU's TCG emulating an
# AMD CPU with SVM); a host with VT-x or AMD-V of its own runs it directly.
# A failure of the emulated host itself (its kernel crashed, it hung, its
# SVM triple-faulted the guest) is retried and named; it never counts as
# a pass.
# run-once: one long boot, not repeated under the sanitizers.
source "$(dirname "$0")/../lib.sh"
kernel=$("$ROOT/scripts/fetch-linux.sh" 2>"$TMP/fetch.err") || { cat "$TMP/fetch.err"; skip "cannot fetch Debian's kernel package with apt-get"; }
need_cmd python3 python3
initrd="$ROOT/.cache/linux/e2e.cpio.gz"
if [ ! -s "$initrd" ] || [ "$initrd" -ot "$ROOT/scripts/mkinitramfs.sh" ] ||
   [ "$initrd" -ot "$ROOT/tests/linux/vsock_tool.c" ]; then
	"$ROOT/scripts/mkinitramfs.sh" "$ROOT/.cache/linux/x" "$initrd" || fail "cannot build the initramfs"
fi
e2e=(python3 "$ROOT/tests/linux/e2e.py" --vmon "$VMON" --kernel "$kernel" --initrd "$initrd" --qemu-log)

hw_virt() { grep -qw -e vmx -e svm /proc/cpuinfo && [ ! -d /sys/module/kvm_pvm ] && [ -w /dev/kvm ]; }
if hw_virt; then
	"${e2e[@]}" --work "$TMP/e2e"
	exit $?
fi

# Three boots at most: the emulated host's own failures are named and
# retried; anything else is vmon's and fails at once.
for try in 1 2 3; do
	"$ROOT/tests/nested/run.sh" --timeout 600 --keep "$TMP/keep$try" -- \
		sh -c '"$@" --work "$NESTED_RUN/e2e"' sh "${e2e[@]}"
	rc=$?
	case $rc in
	0) [ $try = 1 ] || echo "linux_nested: passed on boot $try of the emulated host"
	   exit 0 ;;
	77) exit 77 ;;
	75) echo "linux_nested: try $try: the emulated host failed (not vmon); console above" ;;
	*) err="$TMP/keep$try/e2e/vmon.err"
	   # A guest that triple-faults while it runs, at no fixed point, is
	   # the emulated SVM's: QEMU's guests reset on the same host too
	   # (docs/nested.md, "What it proves").  Named, never a pass.
	   if grep -q 'the guest triple-faulted (KVM_EXIT_SHUTDOWN)' "$err" 2>/dev/null; then
		echo "linux_nested: try $try: the guest triple-faulted on the emulated host (an artefact of its SVM, seen under QEMU there too); booting again"
		tail -n 5 "$TMP/keep$try/e2e/console.log" 2>/dev/null
		continue
	   fi
	   for f in "$err" "$TMP/keep$try"/e2e/console.log; do
		[ -f "$f" ] && { echo "--- $(basename "$f") (last 60 lines)"; tail -n 60 "$f"; }
	   done
	   fail "Linux end to end: checks failed (status $rc)" ;;
	esac
done
fail "the emulated host failed three times; the Linux end-to-end checks did not all run"
