#!/bin/sh
# /init of the nested host: Debian's kernel under QEMU's software engine
# with an emulated AMD SVM, so /dev/kvm here is hardware-virtualization KVM.
# Its user space is the outer machine's own root, shared read-only through
# virtiofs under a tmpfs overlay, so every tool the suite uses is here as
# installed by scripts/deps.sh.  The run directory (vmon_nested=DIR on the
# command line) is the one writable window back to the outer machine: it
# holds cmd.sh, and receives the command's output and exit status.
PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
say() { echo "vmon-nested: $*" >/dev/console; }

run=
for w in $(cat /proc/cmdline); do
	case "$w" in vmon_nested=*) run=${w#vmon_nested=} ;; esac
done

# Order matters: each module after the ones it depends on.
for m in irqbypass kvm kvm-amd tun veth fuse virtio_ring virtio \
	 virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtiofs overlay \
	 llc stp bridge; do
	insmod /lib/modules/$m.ko || say "insmod $m failed"
done
[ -c /dev/kvm ] || say "no /dev/kvm (kvm-amd did not load)"

mkdir -p /hostfs /upper /newroot
if ! mount -t virtiofs host /hostfs; then
	say "cannot mount the shared root"; poweroff -f
fi
mount -t tmpfs -o size=75% tmpfs /upper
mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/hostfs,upperdir=/upper/u,workdir=/upper/w /newroot
r=/newroot
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs dev $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o ptmxmode=0666,newinstance devpts $r/dev/pts
ln -sf pts/ptmx $r/dev/ptmx 2>/dev/null
mount -t tmpfs tmpfs $r/dev/shm
# /tmp stays the overlay's (writes land in the tmpfs upper layer): the
# project may itself live under /tmp, as CI's fresh clones do.
mount -t tmpfs tmpfs $r/run
mkdir -p $r/run/netns
[ -d /sys/fs/cgroup ] && mount -t cgroup2 cgroup2 $r/sys/fs/cgroup 2>/dev/null
mkdir -p "$r$run"
mount --bind "/hostfs$run" "$r$run"
ip link set lo up 2>/dev/null
hostname nested

# A heartbeat on the console every 30 s: run.sh ends a host that stops
# beating (QEMU's emulated SVM has been seen to freeze the whole host
# under a nested Linux guest), and the lines tell a frozen host from a
# command that hangs (lines going on, naming what runs).
(
	while sleep 30; do
		m=$(sed -n 's/^MemAvailable: *\([0-9]*\) kB/\1/p' /proc/meminfo)
		# user processes only: kernel threads have an empty cmdline
		p=$(for d in /proc/[0-9]*; do [ -n "$(head -c 1 $d/cmdline)" ] && cat $d/comm; done 2>/dev/null |
			sort -u | tr '\n' ' ')
		say "alive $(cut -d' ' -f1 /proc/uptime)s, load $(cut -d' ' -f1-3 /proc/loadavg), $((m / 1024)) MiB free; running: $p"
	done
) &
say "ready: $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpus, kvm $( [ -c /dev/kvm ] && echo yes || echo no)"
chroot $r /bin/sh -c "cd / && exec /bin/bash '$run/cmd.sh' >'$run/out' 2>&1 </dev/null"
echo $? >"/hostfs$run/rc"
sync
say "done: status $(cat /hostfs$run/rc)"
poweroff -f
