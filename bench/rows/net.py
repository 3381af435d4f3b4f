"""Row 6: virtio-net transmit throughput, guest to a host TAP device."""

import os
import subprocess

from benchlib import parse
from benchlib.row import Row
from benchlib.runner import BenchError

ID = "net"
TITLE = "Network transmit (virtio_net bench, TAP)"
METHOD = """virtio_net.elf test=bench streams Ethernet frames (ethertype 0x88b5, to
the broadcast address) from one buffer through a 256-entry transmit queue,
polling at CPL3 with EVENT_IDX (notifications only when the device asks),
and times with the TSC from the first frame made available to the last
one used.  Throughput = bytes / that time.  The device writes each frame
to a TAP device in a private network namespace (created for the row, IPv6
off, nothing else there); the host's network stack takes them from the
TAP and drops them (no listener), and the row checks the TAP's receive
counter: every frame must have arrived.  No user-space reader competes
with the VMM for the CPUs.  vmon: `--net tap=T`; QEMU: microvm with
PCIe, `-netdev tap,vhost=off` (its device model in user space, like
vmon's) and `-device virtio-net-pci,disable-legacy=on`.  Frames of 1514
bytes (MTU-sized) and 65536 bytes (what a TSO sender hands over).  CPU
(JSON only): the process's user + sys time per GiB sent, the polling
vCPU included."""

SIZES = (1514, 65536)


def _sh(*cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(cmd)}: {p.stderr.strip()} (the network row "
                         f"needs root: network namespaces and TAP devices)")
    return p.stdout


class _Netns:
    """A namespace with one TAP device, up, removed on exit."""

    def __init__(self):
        self.ns, self.tap = f"vmon-bench-{os.getpid()}", "vmbtap0"

    def __enter__(self):
        _sh("ip", "netns", "add", self.ns)
        try:
            self.exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                      "net.ipv6.conf.default.disable_ipv6=1")
            self.exec("ip", "tuntap", "add", "dev", self.tap, "mode", "tap")
            self.exec("ip", "link", "set", self.tap, "up")
        except BenchError:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)

    def exec(self, *cmd):
        return _sh("ip", "netns", "exec", self.ns, *cmd)

    def wrap(self, cmd):
        return ["ip", "netns", "exec", self.ns, *cmd]

    def rx_packets(self):
        return int(self.exec("cat", f"/sys/class/net/{self.tap}/statistics/rx_packets"))


def run(ctx):
    r = ctx.runner
    quick = ctx.settings["mode"] == "quick"
    mib = {1514: 16 if quick else 512, 65536: 64 if quick else 4096}
    tsc_hz = ctx.tsc_hz()
    row = Row(ID, TITLE, METHOD)
    with _Netns() as ns:
        def vmon(line):
            return ns.wrap(r.vmon("virtio_net", 256, line) + ["--net", f"tap={ns.tap}"])

        def qemu(line):
            cmd = r.qemu("virtio_net", 256, "ecam=0xe0000000 " + line)
            cmd[cmd.index("microvm")] = "microvm,pcie=on"
            return ns.wrap(cmd + [
                "-netdev", f"tap,id=n0,ifname={ns.tap},script=no,downscript=no,vhost=off",
                "-device", "virtio-net-pci,netdev=n0,disable-legacy=on"])

        def measure(make, line):
            before = ns.rx_packets()
            x = r.stat(make(line), 1)
            f = parse.guest_lines(x["out"], "virtio-net")
            if "cycles" not in f or "frames" not in f:
                raise BenchError(f"no 'virtio-net: frames=...' line in:\n{x['out'][-1500:]}")
            arrived = ns.rx_packets() - before
            if arrived < f["frames"]:
                raise BenchError(f"{' '.join(make(line))}: {f['frames']} frames sent, "
                                 f"{arrived} arrived on the TAP")
            x["gbps"] = f["bytes"] * 8 / (f["cycles"] / tsc_hz) / 1e9
            x["cpu_per_gib"] = x["cpu_ns"] / 1e6 / (f["bytes"] / 2**30)
            return x

        for size in SIZES:
            line = f"test=bench size={size} mb={mib[size]}"
            runs = ctx.alternate({
                "vmon": lambda line=line: measure(vmon, line),
                "qemu": lambda line=line: measure(qemu, line),
            })
            key = f"tx{size}"
            row.metric(key, f"throughput, {size}-byte frames, {mib[size]} MiB", "Gbit/s",
                       {s: [x["gbps"] for x in xs] for s, xs in runs.items()})
            row.metric(key + "_cpu", f"process CPU (user+sys, polling vCPU included) per GiB, {size}-byte frames",
                       "ms", {s: [x["cpu_per_gib"] for x in xs] for s, xs in runs.items()},
                       table=False)
            row.ratio(f"vmon/qemu {key}", f"vmon / QEMU, {size}-byte frames",
                      ("vmon", key), ("qemu", key))
            row.goal(f"vmon/qemu {key}", ">=", 1.0,
                     f"vmon ahead of QEMU (vhost off), {size}-byte frames")
    return row
