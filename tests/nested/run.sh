#!/usr/bin/env bash
# Runs one command on the nested host: Debian's kernel under QEMU's software
# engine (TCG) emulating an AMD CPU with SVM, so that /dev/kvm there is an
# ordinary hardware-virtualization KVM.  The nested host's user space is
# this machine's own root, shared read-only (writes land in a tmpfs), so the
# command sees the same files, paths and tools as here; it starts in the
# current directory with the variables named in NESTED_ENV, and with
# NESTED_RUN naming a directory it may write to that survives the run
# (copied to --keep DIR).
#
#   tests/nested/run.sh [--timeout S] [--mem MiB] [--cpus N] [--keep DIR] -- CMD [ARG...]
#
# Prints the command's output and exits with its status.  Exit status 75
# means the nested host itself failed (its kernel panicked, it hung, QEMU
# could not start it): the command's outcome is unknown.  77: the facility
# cannot run here (no QEMU, no kernel package, not root), "SKIP: why" on
# stdout.  The nested host's own console log is kept in the run directory
# and printed on a failure of the host.
set -u
here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
timeout=600 mem=4096 cpus=2 keep=
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--cpus) cpus=$2; shift 2 ;;
	--keep) keep=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "usage: tests/nested/run.sh [--timeout S] [--mem MiB] [--cpus N] [--keep DIR] -- CMD [ARG...]" >&2; exit 2; }

skip() { echo "SKIP: $*"; exit 77; }
qemu=$(command -v qemu-system-x86_64) || skip "nested host needs qemu-system-x86_64 (package qemu-system-x86)"
vfsd=/usr/lib/qemu/virtiofsd
[ -x "$vfsd" ] || skip "nested host needs $vfsd (package qemu-system-common)"
[ "$(id -u)" -eq 0 ] || skip "nested host needs root (virtiofsd shares this machine's root)"
[ -x /bin/busybox ] || skip "nested host needs busybox (package busybox-static)"
kernel=$("$ROOT/scripts/fetch-linux.sh" 2>/dev/null) || skip "nested host needs Debian's kernel package (scripts/fetch-linux.sh failed)"
initrd=$("$here/mkroot.sh" "$kernel") || skip "nested host: building its initramfs failed"

run=$(mktemp -d /tmp/vmon-nested.XXXXXX)
chmod 755 "$run"
cleanup() {
	[ -n "${qpid:-}" ] && kill "$qpid" 2>/dev/null
	[ -n "${vpid:-}" ] && kill "$vpid" 2>/dev/null
	wait 2>/dev/null
	if [ -n "$keep" ]; then mkdir -p "$keep" && cp -a "$run"/. "$keep"/; fi
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
	echo "# written by tests/nested/run.sh"
	for v in PATH HOME LANG TERM ${NESTED_ENV:-} VMON ROOT BUILD GUEST ASAN_OPTIONS UBSAN_OPTIONS; do
		[ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"
	done
	echo "export VMON_NESTED=1"
	printf 'export NESTED_RUN=%q\n' "$run"   # writable, kept by --keep
	printf 'cd %q || exit 1\n' "$PWD"
	printf 'exec'; printf ' %q' "$@"; echo
} >"$run/cmd.sh"

# virtiofsd serves this machine's root; the nested host mounts it under an
# overlay and writes only to $run through a bind mount.
"$vfsd" --socket-path="$run/vfs.sock" -o source=/ -o cache=always \
	-o sandbox=chroot -o log_level=err >"$run/virtiofsd.log" 2>&1 &
vpid=$!
for _ in $(seq 100); do [ -S "$run/vfs.sock" ] && break; sleep 0.05; done
[ -S "$run/vfs.sock" ] || { cat "$run/virtiofsd.log"; echo "nested: virtiofsd did not start" >&2; exit 75; }

# TCG with one host thread per vCPU; EPYC with SVM is what kvm-amd needs.
# The memory is a shared memfd because vhost-user-fs maps guest RAM.
"$qemu" -accel tcg,thread=multi -cpu EPYC,+svm -M q35,memory-backend=mem \
	-smp "$cpus" -m "$mem" \
	-object memory-backend-memfd,id=mem,size="${mem}M",share=on \
	-chardev socket,id=vfs,path="$run/vfs.sock" \
	-device vhost-user-fs-pci,chardev=vfs,tag=host \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=4 mitigations=off vmon_nested=$run" \
	-display none -monitor none -serial file:"$run/console" \
	-no-reboot -nodefaults >"$run/qemu.log" 2>&1 &
qpid=$!

# Stream the command's output while it runs; end at QEMU's exit or the
# timeout, whichever comes first.
# tail reads the file once more after QEMU has gone.
tail -n +1 -F --pid="$qpid" "$run/out" 2>/dev/null &
tpid=$!
# The host's init beats every 30 s once up (tests/nested/init.sh): a host
# silent for $stall s is frozen, and ended at once rather than at the
# timeout.
deadline=$((SECONDS + timeout)) stall=150 beats=0 last_beat=$SECONDS
frozen=0
while kill -0 "$qpid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
	sleep 0.5
	n=$(grep -c -e '^vmon-nested: ready' -e '^vmon-nested: alive' "$run/console" 2>/dev/null)
	if [ "${n:-0}" != "$beats" ]; then beats=$n last_beat=$SECONDS; fi
	if [ $((SECONDS - last_beat)) -gt $stall ]; then frozen=1; break; fi
done
hung=0
if kill -0 "$qpid" 2>/dev/null; then hung=1; kill "$qpid"; fi
wait "$qpid" 2>/dev/null
qpid=
wait "$tpid" 2>/dev/null

host_failure() {
	echo "nested: the nested host failed: $*" >&2
	echo "--- nested host console (last 40 lines)" >&2
	tail -n 40 "$run/console" >&2 2>/dev/null
	grep -v '^qemu-system-x86_64: warning: TCG doesn' "$run/qemu.log" >&2 2>/dev/null
	exit 75
}
[ $frozen = 0 ] || host_failure "no heartbeat for ${stall}s: frozen"
[ $hung = 0 ] || host_failure "no exit within ${timeout}s"
if grep -Eq 'Kernel panic|BUG: |Oops:|general protection fault' "$run/console" 2>/dev/null; then
	host_failure "its kernel crashed"
fi
[ -s "$run/rc" ] || host_failure "it stopped before the command finished"
exit "$(cat "$run/rc")"
