"""Row 2: memory overhead, peak RSS minus the guest RAM the guest touched."""

from benchlib.row import Row

ID = "memory"
TITLE = "Memory overhead (peak RSS − guest RAM touched)"
METHOD = """The echo guest boots, sets up its serial interrupt, prints `echo: ready`
and halts waiting for input.  At that point the bench reads the VMM's
/proc/PID/status (VmHWM, the peak RSS so far) and /proc/PID/smaps: the
guest RAM touched is the resident size of the anonymous mapping(s) at
least as large as the guest RAM.  Overhead = VmHWM - that; then the bench
sends `quit`.  The floor column is floor-start's own peak RSS (VmHWM read
at its exit by `runstat -m`; ru_maxrss would include runstat's own RSS,
which Linux carries across exec) minus the one page its guest touched.
JSON-only extras: the peak RSS of a hello run (`runstat -m`), the guest
RAM touched, and RSS split into anonymous and file-backed (the binary and
its shared libraries) memory."""

SIZES = (128, 1024)


def run(ctx):
    r = ctx.runner
    jobs = {}
    for mem in SIZES:
        for system, cmd in (("vmon", r.vmon), ("qemu", r.qemu)):
            jobs[(system, mem)] = (lambda c=cmd, m=mem:
                                   r.live_memory(c("echo", m), m, r"echo: ready", "quit\n", 1))
            jobs[(system, mem, "hello")] = (lambda c=cmd, m=mem:
                                            r.stat(c("hello", m, serial="none"), 1, hwm=True))
        jobs[("floor", mem)] = lambda m=mem: r.stat(r.floor("start", f"mem={m}"), 0, hwm=True)
    runs = ctx.alternate(jobs)

    mib = lambda xs: [x / 1024 for x in xs]
    row = Row(ID, TITLE, METHOD)
    for mem in SIZES:
        size = f"{mem} MiB" if mem < 1024 else f"{mem // 1024} GiB"
        live = {s: runs[(s, mem)] for s in ("vmon", "qemu")}
        samples = {s: mib(x["overhead_kib"] for x in live[s]) for s in live}
        samples["floor"] = mib(x["hwm_kib"] - 4 for x in runs[("floor", mem)])
        row.metric(f"overhead_{mem}", f"overhead, {size} guest", "MiB", samples)
        row.metric(f"guest_{mem}", f"guest RAM touched, {size} guest", "MiB",
                   {s: mib(x["guest_kib"] for x in live[s]) for s in live}, table=False)
        row.metric(f"anon_{mem}", f"anonymous RSS incl. guest RAM, {size} guest", "MiB",
                   {s: mib(x["anon_kib"] for x in live[s]) for s in live}, table=False)
        row.metric(f"file_{mem}", f"file-backed RSS (binary, libraries), {size} guest", "MiB",
                   {s: mib(x["file_kib"] for x in live[s]) for s in live}, table=False)
        row.metric(f"hello_peak_{mem}", f"peak RSS of a hello run, {size} guest", "MiB",
                   {s: mib(x["hwm_kib"] for x in runs[(s, mem, "hello")])
                    for s in ("vmon", "qemu")}, table=False)
        row.ratio(f"qemu/vmon {mem}", f"QEMU / vmon, {size}", ("qemu", f"overhead_{mem}"),
                  ("vmon", f"overhead_{mem}"))
        row.goal(f"vmon:overhead_{mem}", "<=", 2.0, f"vmon overhead at most 2 MiB ({size} guest)")
    return row
