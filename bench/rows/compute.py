"""Row 4: guest compute at CPL3 against the same loop on the host."""

from benchlib import parse
from benchlib.row import Row
from benchlib.runner import BenchError

ID = "compute"
TITLE = "Guest compute (compute, CPL3)"
METHOD = """compute.elf runs guest/programs/compute_kernel.h's loop (xorshift64 with a
running sum) for `iters=N` at CPL3 and reports the TSC cycles it took;
floor-compute includes the same header and runs the same loop on the
host, timed the same way.  The results must be equal (else the row
fails).  Times are cycles / the TSC rate; the ratio host time / guest
time is the guest's speed as a fraction of native."""


def run(ctx):
    r = ctx.runner
    iters = ctx.settings["compute_iters"]
    arg = f"iters={iters}"
    runs = ctx.alternate({
        "vmon": lambda: r.stat(r.vmon("compute", 128, arg), 1),
        "qemu": lambda: r.stat(r.qemu("compute", 128, arg), 1),
        "floor": lambda: r.stat(r.floor("compute", arg), 0),
    })
    tsc_hz = ctx.tsc_hz()
    times, results = {}, set()
    for s, xs in runs.items():
        times[s] = []
        for x in xs:
            f = parse.guest_lines(x["out"], "compute")
            if f.get("iters") != iters or "cycles" not in f or "result" not in f:
                raise BenchError(f"{s}: no compute lines for iters={iters} in:\n{x['out'][-1000:]}")
            results.add(f["result"])
            times[s].append(f["cycles"] / tsc_hz * 1e3)
    if len(results) != 1:
        raise BenchError(f"the guest and the host computed different results: {sorted(results)}")
    row = Row(ID, TITLE, METHOD)
    row.metric("time", f"loop time, {iters:.0e} iterations".replace("e+0", "e"), "ms", times)
    row.ratio("host/vmon", "host / vmon guest (guest speed vs native)", ("floor", "time"),
              ("vmon", "time"))
    row.ratio("host/qemu", "host / QEMU guest", ("floor", "time"), ("qemu", "time"))
    row.goal("host/vmon", ">=", 0.99, "guest compute at least 0.99 of native")
    return row
