#!/usr/bin/env python3
"""Linux to /init, vmon beside QEMU, on a hardware-virtualization KVM.

On our machines that KVM is the nested host's (tests/nested/: QEMU's TCG
emulating an AMD CPU with SVM), so every figure is emulated, tens of
times slower than real hardware: only the ratios between the systems,
measured alternately in one run, mean something.  `make bench-nested`
runs this there and writes bench/results/nested-boot.{md,json}.

Each run boots the same Debian kernel and busybox initramfs with 2 vCPUs
and 512 MiB, console on the serial port, and is timed from spawn to the
initramfs's first line ("vmon-initramfs: user space reached"); the
initramfs then powers off.

  bench/nested_boot.py --vmon VMON --kernel K --initrd I [--runs N] [--out DIR]
"""
import argparse
import datetime
import json
import os
import select
import statistics
import subprocess
import time

MARK = b"vmon-initramfs: user space reached"
CMDLINE = "console=ttyS0 panic=-1 loglevel=4"


def systems(a):
    q = ["qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-smp", "2", "-m", "512",
         "-kernel", a.kernel, "-initrd", a.initrd, "-display", "none", "-serial", "stdio",
         "-no-reboot", "-nodefaults"]
    return {
        "vmon": [a.vmon, "run", "--kernel", a.kernel, "--initrd", a.initrd, "--cpus", "2",
                 "--mem", "512M", "--cmdline", CMDLINE],
        "qemu-q35": q[:1] + ["-M", "q35"] + q[1:] + ["-append", CMDLINE],
        "qemu-microvm": q[:1] + ["-M", "microvm"] + q[1:] +
                        ["-append", CMDLINE + " reboot=t"],
    }


def one(cmd, timeout):
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf, t = b"", None
    end = t0 + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            b = os.read(p.stdout.fileno(), 65536)
            if not b:
                break
            buf += b
            if MARK in buf:
                t = time.monotonic() - t0
                break
    try:
        p.wait(max(1, end - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vmon", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    sy = systems(a)
    samples = {k: [] for k in sy}
    failed = {k: 0 for k in sy}
    for i in range(a.runs + 1):          # the first round warms caches
        for k, cmd in sy.items():
            t = one(cmd, 300)
            if i == 0:
                continue
            if t is None:
                failed[k] += 1
            else:
                samples[k].append(t)
            print("%s run %d: %s" % (k, i, "%.2f s" % t if t else "no /init"), flush=True)
    med = {k: statistics.median(v) if v else None for k, v in samples.items()}
    lines = ["# Linux to /init on the nested host (emulated: compare ratios only)", "",
             "Measured %s UTC, %d runs each after one warm-up round, alternating; "
             "kernel %s." % (datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), a.runs,
                             os.path.basename(a.kernel)), "",
             "| system | median | min | max | failed runs | vs vmon |", "|---|---|---|---|---|---|"]
    for k, v in samples.items():
        if v:
            lines.append("| %s | %.2f s | %.2f s | %.2f s | %d | %.2fx |" % (
                k, med[k], min(v), max(v), failed[k], med[k] / med["vmon"] if med["vmon"] else 0))
        else:
            lines.append("| %s | - | - | - | %d | |" % (k, failed[k]))
    text = "\n".join(lines) + "\n"
    print(text)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "nested-boot.md"), "w") as f:
            f.write(text)
        with open(os.path.join(a.out, "nested-boot.json"), "w") as f:
            json.dump({"samples_s": samples, "failed": failed, "median_s": med}, f, indent=1)
    return 0 if all(samples.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
