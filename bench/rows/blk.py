"""Row 7: virtio-blk IOPS and throughput on a RAM-backed image."""

import os
import re
import tempfile

from benchlib.row import Row
from benchlib.runner import BenchError

ID = "blk"
TITLE = "Block I/O (virtio_blk_bench, image in /dev/shm)"
METHOD = """virtio_blk_bench.elf drives the virtio-blk device at CPL3 by polling the
used ring (no interrupts; it notifies only when the device has not said
VIRTQ_USED_F_NO_NOTIFY, as Linux does) and times with the TSC: 1 MiB
sequential writes, then 1 MiB sequential reads, one in flight; then 4 KiB
reads at random 4 KiB-aligned offsets with 1 and with 32 in flight; each
job for `ms` milliseconds.  The image (256 MiB) is a file in /dev/shm,
written over by the first job, so every read finds data in the page
cache.  vmon: `--disk IMG` (io_uring; on tmpfs, reads and writes up to
64 KiB are copied inline on the VMM thread; the queue is polled after
activity for an adaptive window of up to 128 us, the default; cache
unsafe, though no flushes are sent); QEMU: microvm with PCIe,
`-drive cache=writeback,aio=io_uring`, `-device
virtio-blk-pci,disable-legacy=on`, its device on the main loop (no
iothread).  JSON only: the same QEMU with an iothread (`-object
iothread`, which busy-polls the queue for up to 32 us), and each
process's CPU time (user + sys, the polling vCPU included)."""

JOBS = (("seqwrite1m", 1, "mbps", "sequential write, 1 MiB, qd 1", "MB/s"),
        ("seqread1m", 1, "mbps", "sequential read, 1 MiB, qd 1", "MB/s"),
        ("randread4k", 1, "iops", "random read, 4 KiB, qd 1", "IOPS"),
        ("randread4k", 32, "iops", "random read, 4 KiB, qd 32", "IOPS"))
LINE = re.compile(r"^virtio-blk-bench: (\w+) qd=(\d+) ops=(\d+) us=(\d+) "
                  r"iops=(\d+) mbps=([\d.]+)", re.M)


def _parse(out, cmd):
    got = {}
    for name, qd, ops, us, iops, mbps in LINE.findall(out):
        got[(name, int(qd))] = {"iops": int(iops), "mbps": float(mbps),
                                "ops": int(ops), "us": int(us)}
    if "virtio-blk-bench: OK" not in out or len(got) != len(JOBS):
        raise BenchError(f"{' '.join(cmd)}: no complete virtio-blk-bench output:\n"
                         f"{out[-1500:]}")
    return got


def run(ctx):
    r = ctx.runner
    quick = ctx.settings["mode"] == "quick"
    line = f"ms={200 if quick else 1000}"
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    fd, img = tempfile.mkstemp(prefix="vmon-bench-blk.", suffix=".img", dir=shm)
    os.close(fd)
    os.truncate(img, (64 if quick else 256) << 20)

    def vmon():
        return r.vmon("virtio_blk_bench", 256, line) + ["--disk", img]

    def qemu(iothread=False):
        cmd = r.qemu("virtio_blk_bench", 256, "ecam=0xe0000000 " + line)
        cmd[cmd.index("microvm")] = "microvm,pcie=on"
        dev = "virtio-blk-pci,drive=d0,disable-legacy=on"
        extra = []
        if iothread:
            extra = ["-object", "iothread,id=io0"]
            dev += ",iothread=io0"
        return cmd + extra + [
            "-drive", f"file={img},if=none,id=d0,format=raw,cache=writeback,aio=io_uring",
            "-device", dev]

    def measure(cmd):
        x = r.stat(cmd, 1)
        x["jobs"] = _parse(x["out"], cmd)
        return x

    try:
        runs = ctx.alternate({
            "vmon": lambda: measure(vmon()),
            "qemu": lambda: measure(qemu()),
            "qemu_iothread": lambda: measure(qemu(iothread=True)),
        })
    finally:
        os.unlink(img)
    row = Row(ID, TITLE, METHOD)
    for name, qd, field, label, unit in JOBS:
        key = f"{name}_qd{qd}"
        row.metric(key, label, unit,
                   {s: [x["jobs"][(name, qd)][field] for x in runs[s]]
                    for s in ("vmon", "qemu")})
        row.metric(key + "_iothread", label + ", QEMU with an iothread", unit,
                   {"qemu": [x["jobs"][(name, qd)][field] for x in runs["qemu_iothread"]]},
                   table=False)
        row.ratio(f"vmon/qemu {key}", f"vmon / QEMU, {label}", ("vmon", key), ("qemu", key))
        row.goal(f"vmon/qemu {key}", ">=", 1.0, f"vmon ahead of QEMU, {label}")
    row.metric("cpu", "process CPU per run (user+sys)", "s",
               {s: [x["cpu_ns"] / 1e9 for x in runs[s]] for s in ("vmon", "qemu")},
               table=False)
    return row
