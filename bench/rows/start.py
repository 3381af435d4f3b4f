"""Row 1: start to finish, process start to the hello guest's exit."""

from benchlib.row import Row

ID = "start"
TITLE = "Start to finish (hello, 128 MiB)"
METHOD = """Wall time from posix_spawn to wait4's return and the child's user+sys
CPU time (runstat), for `vmon run --serial none` and QEMU microvm with
`-serial none` booting hello.elf to its isa-debug-exit, and floor-start,
which creates a VM with 128 MiB and one vCPU and runs one real-mode
instruction.  floor-start irqchip=1 also creates the in-kernel irqchip and
PIT, as vmon and QEMU do: the kernel's price for them is mostly paid when
the VM is destroyed (SRCU grace periods)."""


def run(ctx):
    r = ctx.runner
    runs = ctx.alternate({
        "vmon": lambda: r.stat(r.vmon("hello", 128, serial="none"), 1),
        "qemu": lambda: r.stat(r.qemu("hello", 128, serial="none"), 1),
        "floor": lambda: r.stat(r.floor("start", "mem=128"), 0),
        "floor_irq": lambda: r.stat(r.floor("start", "mem=128", "irqchip=1"), 0),
    })
    ms = lambda key, field: [x[field] / 1e6 for x in runs[key]]
    row = Row(ID, TITLE, METHOD)
    row.metric("wall", "wall", "ms", {s: ms(s, "wall_ns") for s in ("vmon", "qemu", "floor")})
    row.metric("cpu", "CPU (user+sys)", "ms", {s: ms(s, "cpu_ns") for s in ("vmon", "qemu", "floor")})
    row.metric("wall_irq", "wall, floor with in-kernel irqchip + PIT", "ms",
               {"floor": ms("floor_irq", "wall_ns")})
    row.metric("cpu_irq", "CPU, floor with in-kernel irqchip + PIT", "ms",
               {"floor": ms("floor_irq", "cpu_ns")}, table=False)
    row.ratio("vmon/floor wall", "vmon / floor, wall", ("vmon", "wall"), ("floor", "wall"))
    row.ratio("vmon/floor cpu", "vmon / floor, CPU", ("vmon", "cpu"), ("floor", "cpu"))
    row.ratio("vmon/floor_irq wall", "vmon / floor with irqchip + PIT, wall",
              ("vmon", "wall"), ("floor", "wall_irq"))
    row.ratio("qemu/vmon wall", "QEMU / vmon, wall", ("qemu", "wall"), ("vmon", "wall"))
    row.ratio("qemu/vmon cpu", "QEMU / vmon, CPU", ("qemu", "cpu"), ("vmon", "cpu"))
    row.goal("vmon/floor wall", "<=", 1.5, "vmon at most 1.5 times the floor")
    row.goal("qemu/vmon wall", ">=", 10, "vmon at least 10 times faster than QEMU microvm")
    return row
