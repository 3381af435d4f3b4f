#!/usr/bin/env bash
# `make newcomer-test`: the README's first commands, exactly as written, on
# a fresh minimal Debian 12, as root, the way a newcomer meets the project.
#  - A debootstrap --variant=minbase root of bookworm, from this machine's
#    Debian mirror, made once and kept as a tarball in .cache/newcomer/;
#    every run unpacks it afresh.
#  - A clone of the project (its HEAD: commit first) in /root/vmon, and
#    ../shared beside it in /root/shared (tests read it).
#  - /proc, /sys and /dev of this machine, then each command of the
#    README's first sh block, run in /root/vmon through chroot.
# Prints each command's status and time, the suite's summary line and the
# total time; fails if any command does.  (Without /dev/kvm here, the
# demo and the suite's guests run on the nested host, tests/nested/.)
# Slow (a quarter of an hour, most of it `make test`), so not part of
# `make test`.
#   tests/newcomer/run.sh [--keep]    --keep: leave the root for a look
# Env: MIRROR (default: this machine's apt source for bookworm).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cache=$ROOT/.cache/newcomer
base=$cache/bookworm-minbase.tar.gz
root=$cache/root
keep=0
[ "${1:-}" = --keep ] && keep=1
[ "$(id -u)" -eq 0 ] || { echo "newcomer: needs root (debootstrap, chroot, mounts)" >&2; exit 1; }
mkdir -p "$cache"

# This machine's Debian mirror: the bookworm entry of its apt sources,
# deb822 (.sources) or one-line (.list) format.
mirror() {
	local u
	u=$(awk -v RS= '/(^|\n)Suites:([^\n]* )?bookworm( |\n|$)/ &&
		/(^|\n)Types:([^\n]* )?deb( |\n|$)/ {
		if (match($0, /(^|\n)URIs: *[^ \n]+/)) {
			s = substr($0, RSTART, RLENGTH); sub(/.*URIs: */, "", s); print s; exit
		} }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$u" ] || u=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n 's/\[[^]]*\]//; s/^deb[[:space:]]\+\([^[:space:]]\+\)[[:space:]]\+bookworm[[:space:]].*/\1/p' |
		head -n 1)
	echo "${u:-http://deb.debian.org/debian}"
}

# Nothing may be mounted under the root when it is removed: rm would
# reach this machine's /dev through a bind mount.
unmount_all() {
	local m
	for m in dev sys proc var/cache/apt/archives; do
		mountpoint -q "$root/$m" 2>/dev/null && umount -R "$root/$m"
	done
	if grep -q " $root/" /proc/mounts; then
		echo "newcomer: still mounted under $root:" >&2
		grep " $root/" /proc/mounts >&2
		return 1
	fi
}
cleanup() {
	unmount_all || return
	[ "$keep" = 1 ] || rm -rf --one-file-system "$root"
}

t0=$SECONDS
if [ ! -s "$base" ]; then
	if ! command -v debootstrap >/dev/null 2>&1; then
		echo "newcomer: installing debootstrap (apt-get)"
		apt-get install -y -qq debootstrap >/dev/null 2>&1 ||
			{ apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
	fi
	m=${MIRROR:-$(mirror)}
	echo "newcomer: debootstrap --variant=minbase bookworm from $m (once; cached)"
	tmp=$cache/bootstrap.tmp
	rm -rf --one-file-system "$tmp"
	debootstrap --variant=minbase bookworm "$tmp" "$m" >"$cache/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$cache/debootstrap.log"; echo "newcomer: debootstrap failed" >&2; exit 1; }
	tar -C "$tmp" -czf "$base.tmp" . && mv "$base.tmp" "$base"
	rm -rf --one-file-system "$tmp"
fi

unmount_all
rm -rf --one-file-system "$root"
mkdir -p "$root"
trap cleanup EXIT
tar -C "$root" -xzf "$base"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# The project as a newcomer's clone has it: the committed tree.  (This
# working tree can hold changes in progress, tracked or not, that do not
# build together.)
git clone -q --no-local "$ROOT" "$root/root/vmon"
mkdir -p "$root/root/shared"
[ -d "$ROOT/../shared" ] && cp -a "$ROOT/../shared/." "$root/root/shared/"

mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
# Downloaded packages are kept between runs (apt still fetches the lists
# and resolves everything as on a fresh machine).
mkdir -p "$cache/apt-archives/partial"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
chroot "$root" chown _apt:root /var/cache/apt/archives/partial

# The commands: the first ```sh block after "## Two commands".
mapfile -t cmds < <(awk '/^## Two commands/ { s = 1 }
	s && /^```sh/ { b = 1; next } b && /^```/ { exit } b && NF' "$ROOT/README.md")
[ ${#cmds[@]} -gt 0 ] || { echo "newcomer: no commands found in README.md" >&2; exit 1; }

log=$cache/log
: >"$log"
failed=0
for c in "${cmds[@]}"; do
	echo "newcomer: # $c"
	t=$SECONDS
	rc=0
	# A login shell's environment, nothing of this one's.
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		timeout 3600 bash -c "cd /root/vmon && $c" </dev/null >"$log.cmd" 2>&1 || rc=$?
	cat "$log.cmd" >>"$log"
	tail -n 12 "$log.cmd" | sed 's/^/    /'
	how=ok
	[ $rc -eq 0 ] || { how=FAILED; failed=1; }
	echo "newcomer: exit status $rc, $((SECONDS - t)) s: $how"
	[ $rc -eq 0 ] || break
done
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped' "$log" | tail -n 1 || true)
version=$(chroot "$root" /root/vmon/build/vmon --version 2>/dev/null || echo "no build/vmon")
echo
echo "newcomer: the summary: ${summary:-none}"
echo "newcomer: build/vmon --version: $version"
echo "newcomer: $((SECONDS - t0)) s in all; the whole log: $log"
[ "$keep" = 0 ] || echo "newcomer: the root is kept in $root (unmounted)"
[ "$failed" = 0 ]
