"""Row 3: the cost of one VM exit to user space, port I/O and MMIO."""

import statistics

from benchlib import parse
from benchlib.row import Row
from benchlib.runner import BenchError
from benchlib.stats import per_exit

ID = "exits"
TITLE = "Exit cost (ioloop)"
METHOD = """The ioloop guest does N writes that each exit to the VMM: `out` to port
0x80 (vmon's POST port counts them; QEMU microvm has nothing there and
ignores them) or 32-bit stores to 0xd0000000 (no device: vmon and QEMU
drop them), at CPL3 (the guest's hot paths) and at CPL0.  floor-ioloop
runs the same four-instruction loop in a VM it sets up itself and answers
each exit by counting it.  Per exit = (wall of a run with n=N - median
wall of runs with n=0) / N, so process start and VM set-up cancel out.
JSON-only: the same measured inside the loop (guest TSC for vmon and
QEMU, the floor's own clock around its KVM_RUN loop)."""

VARIANTS = (("pio", 3), ("mmio", 3), ("pio", 0), ("mmio", 0))


def run(ctx):
    r = ctx.runner
    tsc_ghz = ctx.tsc_hz() / 1e9
    row = Row(ID, TITLE, METHOD)
    for mode, cpl in VARIANTS:
        n = ctx.settings["exits_n_cpl3" if cpl else "exits_n_cpl0"]
        args = lambda k: [f"n={k}", f"cpl={cpl}"] + (["mmio=1"] if mode == "mmio" else [])
        jobs = {}
        for k in (n, 0):
            line = " ".join(args(k))
            jobs[("vmon", k)] = lambda line=line: r.stat(r.vmon("ioloop", 128, line), 1)
            jobs[("qemu", k)] = lambda line=line: r.stat(r.qemu("ioloop", 128, line), 1)
            jobs[("floor", k)] = lambda k=k: r.stat(r.floor("ioloop", *args(k)), 0)
        runs = ctx.alternate(jobs)

        wall, inside = {}, {}
        for s in ("vmon", "qemu", "floor"):
            base = statistics.median(x["wall_ns"] for x in runs[(s, 0)])
            wall[s] = [per_exit(x["wall_ns"], base, n) / 1e3 for x in runs[(s, n)]]
            inside[s] = []
            for x in runs[(s, n)]:
                f = parse.guest_lines(x["out"], "ioloop")
                if f.get("n") != n:
                    raise BenchError(f"{s} ioloop {' '.join(args(n))}: no 'ioloop: n={n}' "
                                     f"line in:\n{x['out'][-1000:]}")
                inside[s].append(f["ns"] / n / 1e3 if s == "floor"
                                 else f["cycles"] / tsc_ghz / n / 1e3)
        name = f"{mode.upper()} CPL{cpl}"
        key = f"{mode}{cpl}"
        row.metric(key, f"per exit, {name} (N={n})", "µs", wall)
        row.metric(key + "_inside", f"per exit timed inside the loop, {name}", "µs",
                   inside, table=False)
        row.ratio(f"vmon/floor {key}", f"vmon / floor, {name}", ("vmon", key), ("floor", key))
        row.ratio(f"qemu/floor {key}", f"QEMU / floor, {name}", ("qemu", key), ("floor", key))
        row.goal(f"vmon/floor {key}", "<=", 1.2, f"vmon within 1.2 times the bare loop ({name})")
    return row
