"""Row 5: how many VMs per second the machine starts and finishes."""

from benchlib.row import Row

ID = "rate"
TITLE = "Creation rate (hello, 128 MiB)"
METHOD = """runstat -n COUNT -j PAR launches COUNT hello VMs (`--serial none`), PAR at
a time, and reports the wall time until the last has exited; a run that
does not exit with the expected status fails the row.  Back to back is
PAR=1; concurrent is PAR=4 x the number of CPUs (VMs spend most of their
short life waiting in the kernel, so more than one per CPU keeps the CPUs
busy).  The floor column is floor-start."""


def run(ctx):
    r = ctx.runner
    count = ctx.settings["rate_count"]
    conc = ctx.settings["rate_concurrency"]
    jobs = {}
    for par in (1, conc):
        jobs[("vmon", par)] = lambda p=par: r.rate(r.vmon("hello", 128, serial="none"), count, p, 1)
        jobs[("qemu", par)] = lambda p=par: r.rate(r.qemu("hello", 128, serial="none"), count, p, 1)
        jobs[("floor", par)] = lambda p=par: r.rate(r.floor("start", "mem=128"), count, p, 0)
    runs = ctx.alternate(jobs)
    row = Row(ID, TITLE, METHOD)
    for par, key, label in ((1, "seq", "back to back"), (conc, "conc", f"{conc} at a time")):
        row.metric(key, f"VMs per second, {label} ({count} VMs)", "VMs/s",
                   {s: runs[(s, par)] for s in ("vmon", "qemu", "floor")})
        row.ratio(f"vmon/qemu {key}", f"vmon / QEMU, {label}", ("vmon", key), ("qemu", key))
        row.goal(f"vmon/qemu {key}", ">", 1.0, f"vmon above QEMU ({label})")
    row.goal("vmon:conc", ">=", 50, f"at least 50 VMs per second ({conc} at a time on "
             f"{ctx.machine['nproc']} CPUs)")
    return row
