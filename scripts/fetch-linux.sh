#!/usr/bin/env bash
# Fetches Debian's cloud kernel package with apt-get into .cache/linux
# (ignored by git) and unpacks it.  Prints the bzImage's path.
#   scripts/fetch-linux.sh            the kernel linux-image-cloud-amd64 points to
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cache="$ROOT/.cache/linux"
mkdir -p "$cache"
cd "$cache"

find_kernel() { ls "$cache"/x/boot/vmlinuz-* 2>/dev/null | head -n 1; }

k=$(find_kernel)
if [ -n "$k" ]; then echo "$k"; exit 0; fi

[ "$(id -u)" -eq 0 ] || { echo "fetch-linux: needs root for apt-get" >&2; exit 1; }
if ! apt-cache show linux-image-cloud-amd64 >/dev/null 2>&1; then
	apt-get update -qq >/dev/null
fi
pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$pkg" ] || { echo "fetch-linux: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }
# apt's sandbox user cannot write here; download as root into the cache.
apt-get download -q "$pkg" >/dev/null 2>&1 || apt-get download "$pkg" >&2
deb=$(ls "$cache"/"$pkg"_*.deb | head -n 1)
rm -rf x && mkdir x
dpkg-deb -x "$deb" x
find_kernel
