"""Running the systems under test: vmon, QEMU and the floor programs,
through runstat (wall, CPU, peak RSS measured outside the process)."""

import os
import re
import select
import subprocess
import time

from . import parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class BenchError(Exception):
    """A run that did not do what the benchmark needs (wrong exit status,
    missing output): the row fails, loudly."""


class Runner:
    def __init__(self, cfg, tmpdir):
        self.cfg = cfg
        self.tmp = tmpdir
        self.runstat_bin = os.path.join(cfg.bench_bin, "runstat")
        # "host", or what this host's KVM lets QEMU use (scripts/qemu-cpu.sh).
        self.qemu_cpu = subprocess.run(
            [os.path.join(ROOT, "scripts", "qemu-cpu.sh"), self.guest("hello")],
            env=dict(os.environ, QEMU=cfg.qemu), capture_output=True, text=True,
            check=False).stdout.strip() or "host"

    # --- commands -------------------------------------------------------
    def guest(self, name):
        return os.path.join(self.cfg.guest, name + ".elf")

    def vmon(self, prog, mem_mib, cmdline="", serial="stdio"):
        return [self.cfg.vmon, "run", "--kernel", self.guest(prog), "--debug-exit",
                "--mem", f"{mem_mib}M", "--serial", serial, "--cmdline", cmdline]

    def qemu(self, prog, mem_mib, cmdline="", serial="stdio"):
        return [self.cfg.qemu, "-M", "microvm", "-enable-kvm", "-cpu", self.qemu_cpu,
                "-m", f"{mem_mib}M", "-nodefaults", "-no-user-config", "-nographic",
                "-serial", serial, "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
                "-kernel", self.guest(prog), "-append", cmdline]

    def floor(self, prog, *args):
        return [os.path.join(self.cfg.bench_bin, "floor-" + prog), *args]

    # --- measurements ---------------------------------------------------
    def stat(self, cmd, expect, stdin=None, hwm=False):
        """One run: {'status', 'wall_ns', 'user_ns', 'sys_ns', 'cpu_ns',
        'maxrss_kib', 'out'}, with hwm also 'hwm_kib' (the command's own
        peak RSS; ru_maxrss includes runstat's).  Raises BenchError unless
        the exit status is `expect`."""
        out, err = os.path.join(self.tmp, "out"), os.path.join(self.tmp, "err")
        argv = [self.runstat_bin, "-o", out, "-e", err, "-t", str(self.cfg.timeout)]
        if hwm:
            argv.append("-m")
        if stdin:
            argv += ["-i", stdin]
        r = self._runstat(argv + ["--", *cmd])
        with open(out, errors="replace") as f:
            r["out"] = f.read()
        if r["status"] != expect:
            with open(err, errors="replace") as f:
                tail = f.read()[-2000:]
            raise BenchError(f"{' '.join(cmd)}: exit status {r['status']}, expected "
                             f"{expect}\n--- stdout\n{r['out'][-2000:]}\n--- stderr\n{tail}")
        r["cpu_ns"] = r["user_ns"] + r["sys_ns"]
        return r

    def rate(self, cmd, count, par, expect):
        """`count` runs of cmd, at most `par` at a time: VMs per second."""
        argv = [self.runstat_bin, "-n", str(count), "-j", str(par), "-s", str(expect),
                "-t", str(self.cfg.timeout), "--", *cmd]
        r = self._runstat(argv)
        if r["failed"]:
            raise BenchError(f"{' '.join(cmd)}: {r['failed']} of {count} runs did not "
                             f"exit with status {expect}")
        return count / (r["wall_ns"] / 1e9)

    def _runstat(self, argv):
        p = subprocess.run(argv, capture_output=True, text=True, start_new_session=True,
                           timeout=self.cfg.timeout + 30)
        if p.returncode != 0:
            raise BenchError(f"runstat failed ({p.returncode}): {' '.join(argv)}\n{p.stderr}")
        return parse.runstat(p.stdout)

    def live_memory(self, cmd, mem_mib, ready, feed, expect):
        """Starts cmd (a guest that waits for input), waits for the line
        matching `ready` on its stdout, then reads its /proc status and
        smaps: {'hwm_kib', 'rss_kib', 'anon_kib', 'file_kib', 'guest_kib',
        'overhead_kib'}.  Then writes `feed` to its stdin and expects exit
        status `expect`."""
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            self._wait_for_line(p, re.compile(ready))
            with open(f"/proc/{p.pid}/status") as f:
                st = parse.proc_status(f.read())
            with open(f"/proc/{p.pid}/smaps") as f:
                guest = parse.guest_ram_rss(parse.smaps(f.read()), mem_mib * 1024)
            p.stdin.write(feed.encode())
            p.stdin.close()
            status = p.wait(timeout=self.cfg.timeout)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        if status != expect:
            raise BenchError(f"{' '.join(cmd)}: exit status {status}, expected {expect}\n"
                             f"{p.stderr.read().decode(errors='replace')[-2000:]}")
        return {"hwm_kib": st["VmHWM"], "rss_kib": st["VmRSS"],
                "anon_kib": st.get("RssAnon", 0), "file_kib": st.get("RssFile", 0),
                "guest_kib": guest, "overhead_kib": st["VmHWM"] - guest}

    def _wait_for_line(self, p, regex):
        deadline = time.monotonic() + self.cfg.timeout
        buf = b""
        fd = p.stdout.fileno()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
            if regex.search(buf.decode(errors="replace")):
                return
        raise BenchError(f"{' '.join(p.args)}: no line /{regex.pattern}/ in its output:\n"
                         f"{buf.decode(errors='replace')[-2000:]}")
