#!/usr/bin/env bash
# Installs, with apt-get, the Debian packages vmon builds and tests with,
# when any is missing.  Nothing is downloaded from anywhere else.
set -eu
pkgs=(
	gcc make clang            # vmon, the test guest, fuzz targets
	libc6-dev                 # libc.a for the static vmon; the -dev packages
	                          # below ship their .a too
	libcmocka-dev             # unit-test framework
	libjansson-dev            # the API's JSON bodies
	liburing-dev              # virtio-blk's io_uring backend
	curl                      # API integration tests (curl --unix-socket)
	zlib1g-dev liblzma-dev liblz4-dev libzstd-dev  # unpacking bzImage payloads on the host
	libclang-rt-14-dev        # libFuzzer and sanitizer runtimes for clang
	acpica-tools              # iasl: checks the ACPI tables we build
	qemu-system-x86           # the peer: images must boot under it too
	busybox-static            # the Linux test's initramfs
	cpio                      # packs that initramfs
	python3                   # test scripts (pty, struct)
	iproute2                  # virtio-net tests: network namespaces, TAP devices
	gnuplot-nox               # benchmark charts
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || $SUDO apt-get update
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
