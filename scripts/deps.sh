#!/usr/bin/env bash
# The Debian packages vmon builds, tests and benchmarks with: every one a
# build rule, test or benchmark runs, beyond what a minimal Debian 12
# (debootstrap --variant=minbase) has.  As root, installs the missing ones
# with apt-get (nothing is downloaded from anywhere else).  As any other
# user, names them and carries on: the build fails without the first
# group, tests skip by name without the rest (tests/lib.sh need_cmd).
#   scripts/deps.sh           install (root) or report
#   scripts/deps.sh --check   report only; exit 1 if anything is missing
set -eu
pkgs=(
	# the build
	make gcc                  # vmon, the test guest, bench's floor programs
	libc6-dev                 # libc.a for the static vmon; the -dev packages
	                          # below ship their .a too
	libjansson-dev            # the API's JSON bodies
	liburing-dev              # virtio-blk's io_uring backend
	zlib1g-dev liblzma-dev liblz4-dev libzstd-dev  # unpacking bzImage payloads on the host
	libcmocka-dev             # unit-test framework
	libseccomp-dev            # the threads' syscall filters (core/sandbox.c)
	# tests and benchmarks
	clang libclang-rt-14-dev  # fuzz targets: libFuzzer, sanitizer runtimes
	python3                   # test scripts (pty, struct, sockets), bench/
	clang-format-14           # make format-check (.clang-format is tuned on 14)
	curl                      # API tests (curl --unix-socket)
	acpica-tools              # iasl, acpiexec: check the ACPI tables we build
	dmidecode                 # checks the SMBIOS tables we build
	qemu-system-x86           # the peer: images must boot under it too; the
	                          # nested host (tests/nested)
	busybox-static cpio       # initramfs for the Linux boot test and the nested host
	iproute2                  # ip: network namespaces and TAP devices (virtio-net)
	procps                    # sysctl in those namespaces (bench's net row)
	strace                    # virtio_blk: a guest FLUSH is an fdatasync
	git                       # the commit in `vmon --version` and bench reports
	gnuplot-nox               # benchmark charts
)
check=0
[ "${1:-}" = --check ] && check=1

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$check" = 1 ] || [ "$(id -u)" -ne 0 ]; then
	# Never sudo on someone's behalf: say what is missing and go on.
	echo "deps: missing Debian packages: ${missing[*]}" >&2
	echo "deps: as root, scripts/deps.sh installs them; until then the build" \
		"stops without its own, and tests that need the others skip, by name" >&2
	[ "$check" = 0 ]
	exit
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || apt-get update
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
