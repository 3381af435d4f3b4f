#!/usr/bin/env python3
"""`make demo`'s Linux part where no terminal can reach the guest (the
nested host): boots Debian's kernel under vmon with the project's busybox
initramfs, types a few commands at its shell over the serial console and
shows what comes back, then powers it off.

  scripts/demo_linux.py VMON KERNEL INITRD
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "linux"))
from e2e import Console  # noqa: E402

COMMANDS = [
    "uname -sr",
    "grep -c ^processor /proc/cpuinfo",
    "cat /sys/class/dmi/id/sys_vendor /sys/class/dmi/id/product_name",
    "for d in /sys/bus/virtio/devices/*; do echo $(basename $d) $(basename $(readlink $d/driver)); done",
    "head -n 3 /proc/meminfo",
    "cat /sys/class/misc/hw_random/rng_current",
]


def main():
    vmon, kernel, initrd = sys.argv[1:4]
    t0 = time.time()
    p = subprocess.Popen([vmon, "run", "--kernel", kernel, "--initrd", initrd, "--cpus", "2",
                          "--mem", "256M", "--rng", "--balloon",
                          "--cmdline", "console=ttyS0 panic=-1 loglevel=3 vmon.mode=e2e"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    con = Console(p, os.devnull)
    if not con.wait_for(r"vmon-initramfs: e2e ready", 300):
        p.kill()
        print("demo: Linux did not reach user space")
        return 1
    print("demo: Linux reached user space %.1f s after vmon started (emulated host: "
          "real hardware is tens of times faster)" % (time.time() - t0))
    for c in COMMANDS:
        rc, out = con.sh(c)
        print("guest# %s\n%s" % (c, (out or "").rstrip()))
    con.send("poweroff -f\n")
    rc = p.wait(60)
    print("demo: guest powered off; vmon exit status %d" % rc)
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
