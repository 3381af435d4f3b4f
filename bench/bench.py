#!/usr/bin/env python3
"""vmon's benchmark suite: vmon against QEMU microvm and against the
floor programs (what the kernel itself costs), one row per question.
Prints the table and MISSED lines, writes NAME.json, NAME.md and
NAME.png to the output directory.  Normally started by bench/run.sh
(`make bench`, `make bench QUICK=1`).

  bench.py [--quick] [--rows ID,ID] [--runs N] [--out DIR] [--name NAME]

Environment: VMON, QEMU, GUEST (directory of the .elf images), BENCH_BIN
(runstat and the floor programs)."""

import argparse
import datetime
import hashlib
import os
import shutil
import sys
import tempfile
import traceback
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from benchlib import machine, report  # noqa: E402
from benchlib.parse import guest_lines  # noqa: E402
from benchlib.runner import BenchError, Runner  # noqa: E402
import rows  # noqa: E402

ROOT = os.path.dirname(HERE)

# Full and quick settings.  Quick mode only checks that every row still
# works end to end; its figures mean little.
SETTINGS = {
    "full": {"runs": 10, "warmup": 1, "exits_n_cpl3": 20000, "exits_n_cpl0": 100000,
             "compute_iters": 500000000, "rate_count": 40},
    "quick": {"runs": 2, "warmup": 1, "exits_n_cpl3": 300, "exits_n_cpl0": 2000,
              "compute_iters": 10000000, "rate_count": 6},
}


@dataclass
class Config:
    vmon: str
    qemu: str
    guest: str
    bench_bin: str
    timeout: int = 300


class Context:
    """What a row gets: the runner, the settings, the machine, and
    alternate() to run its systems in turn."""

    def __init__(self, runner, settings, machine_desc, log):
        self.runner, self.settings, self.machine, self.log = runner, settings, machine_desc, log
        self._tsc_hz = None

    def alternate(self, jobs):
        """jobs: {key: fn() -> sample}.  Runs every job once per round, in
        the order given (A B C A B C ...): `warmup` rounds discarded, then
        `runs` counted rounds.  Returns {key: [sample per counted round]}."""
        out = {k: [] for k in jobs}
        total = self.settings["warmup"] + self.settings["runs"]
        for i in range(total):
            for k, fn in jobs.items():
                sample = fn()
                if i >= self.settings["warmup"]:
                    out[k].append(sample)
            self.log(".", end="")
        return out

    def tsc_hz(self):
        """The TSC rate, from floor-compute's cycles over its clock."""
        if self._tsc_hz is None:
            r = self.runner.stat(self.runner.floor("compute", "iters=100000000"), 0)
            f = guest_lines(r["out"], "compute")
            self._tsc_hz = f["cycles"] / f["ns"] * 1e9
        return self._tsc_hz


def snapshot(cfg, tmp, doc):
    """Copies the vmon binary and the guest images into tmp and points
    cfg there: a rebuild during the run (others' `make`) must not mix two
    versions in one set of figures.  Records the binary's SHA-256."""
    os.makedirs(os.path.join(tmp, "guest"))
    vmon = os.path.join(tmp, "vmon")
    shutil.copy2(cfg.vmon, vmon)
    for f in os.listdir(cfg.guest):
        if f.endswith(".elf"):
            shutil.copy2(os.path.join(cfg.guest, f), os.path.join(tmp, "guest", f))
    with open(vmon, "rb") as f:
        doc["commands"]["vmon_sha256"] = hashlib.sha256(f.read()).hexdigest()
    doc["machine"]["vmon"] = machine.version(vmon)
    cfg.vmon, cfg.guest = vmon, os.path.join(tmp, "guest")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="few runs, small N")
    ap.add_argument("--rows", help="comma-separated row ids: "
                    + ",".join(m.ID for m in rows.ALL))
    ap.add_argument("--runs", type=int, help="counted runs per system")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--name", help="file name stem (default latest, or quick)")
    args = ap.parse_args(argv)

    mode = "quick" if args.quick else "full"
    settings = dict(SETTINGS[mode], mode=mode)
    if args.runs:
        settings["runs"] = args.runs
    nproc = len(os.sched_getaffinity(0))
    settings["rate_concurrency"] = 4 * nproc
    cfg = Config(
        vmon=os.environ.get("VMON", os.path.join(ROOT, "build/vmon")),
        qemu=os.environ.get("QEMU", "qemu-system-x86_64"),
        guest=os.environ.get("GUEST", os.path.join(ROOT, "build/guest")),
        bench_bin=os.environ.get("BENCH_BIN", os.path.join(ROOT, "build/bench")),
    )
    wanted = args.rows.split(",") if args.rows else [m.ID for m in rows.ALL]
    unknown = set(wanted) - {m.ID for m in rows.ALL}
    if unknown:
        ap.error(f"unknown rows: {', '.join(sorted(unknown))}")
    name = args.name or ("quick" if args.quick else "latest")
    os.makedirs(args.out, exist_ok=True)

    def log(*a, **kw):
        print(*a, **kw, file=sys.stderr, flush=True)

    desc = machine.describe(ROOT, cfg.vmon, cfg.qemu)
    doc = {
        "schema": 1,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": desc,
        "settings": settings,
        "commands": {"vmon": cfg.vmon, "qemu": cfg.qemu, "guest": cfg.guest},
        "rows": [],
    }
    with tempfile.TemporaryDirectory(prefix="vmon-bench.") as tmp:
        snapshot(cfg, tmp, doc)
        ctx = Context(Runner(cfg, tmp), settings, desc, log)
        for mod in rows.ALL:
            if mod.ID not in wanted:
                continue
            log(f"== {mod.TITLE} ", end="")
            try:
                row = mod.run(ctx).result()
                log(" done")
            except BenchError as e:
                log(f"\nFAILED: {e}")
                row = {"id": mod.ID, "title": mod.TITLE, "error": str(e)}
            except Exception:  # a bug in the suite: report it, keep going
                err = traceback.format_exc()
                log("\n" + err)
                row = {"id": mod.ID, "title": mod.TITLE, "error": err.strip().splitlines()[-1]}
            row["number"] = rows.ALL.index(mod) + 1
            doc["rows"].append(row)
        doc["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
        doc["missed"] = report.missed(doc["rows"])

        stem = os.path.join(args.out, name)
        md = report.markdown(doc, name)
        report.write_json(stem + ".json", doc)
        report.write_atomic(stem + ".md", md)
        try:
            png = report.chart(stem + ".png", doc["rows"], tmp,
                               f"vmon benchmarks, {doc['date']}, {desc['commit']}, {desc['cpu']}, "
                               f"{desc['nproc']} CPUs, {desc['kvm_module']}")
        except RuntimeError as e:
            log(f"chart: {e}")
            png = False
    print(md)
    print(f"results: {stem}.json, {stem}.md" + (f", {stem}.png" if png else
                                                  " (no chart: gnuplot missing)"))
    return 1 if any(r.get("error") for r in doc["rows"]) else 0


if __name__ == "__main__":
    sys.exit(main())
