#!/usr/bin/env bash
# `make bench-nested`: vmon beside QEMU booting Debian's kernel to /init on
# the nested host (bench/nested_boot.py says what is measured and why only
# its ratios mean something).  Writes bench/results/nested-boot.{md,json}.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
kernel=$(scripts/fetch-linux.sh)
initrd=.cache/linux/initramfs.cpio.gz
if [ ! -s "$initrd" ] || [ "$initrd" -ot scripts/mkinitramfs.sh ]; then
	scripts/mkinitramfs.sh .cache/linux/x "$initrd"
fi
keep=$(mktemp -d)
trap 'rm -rf "$keep"' EXIT
tests/nested/run.sh --timeout 3000 --keep "$keep" -- \
	sh -c 'python3 bench/nested_boot.py --vmon build/vmon --kernel "$1" --initrd "$2" \
		--runs "$3" --out "$NESTED_RUN/results"' sh "$kernel" "$initrd" "${RUNS:-5}"
cp "$keep"/results/nested-boot.* bench/results/
echo "bench: wrote bench/results/nested-boot.md"
