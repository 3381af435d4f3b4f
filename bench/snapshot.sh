#!/usr/bin/env bash
# Snapshot, restore and migration figures for the echo guest (1 vCPU,
# 128 MiB, 16 MiB of it written):
#   - PUT /snapshot/create, Full and Diff: time, and the files' sizes
#     (apparent and allocated);
#   - restore in a fresh process: PUT /snapshot/load with resume_vm until
#     its 204, and until the guest answers a line typed after it; and
#     process start to the guest answering;
#   - live migration over a Unix socket to a fresh vmon: the send's
#     total time and the downtime the destination reports.
# Usage: bench/snapshot.sh [RUNS] (default 10); needs build/vmon, the test
# guest (make all) and /dev/kvm.  Prints medians (min-max) in ms and a JSON
# line with every sample.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-10}
VMON=${VMON:-$ROOT/build/vmon}
KERNEL=${KERNEL:-$ROOT/build/guest/echo.elf}
[ -x "$VMON" ] && [ -f "$KERNEL" ] || { echo "build first: make all" >&2; exit 2; }
python3 - "$VMON" "$KERNEL" "$RUNS" <<'PY'
import json, os, select, socket, statistics, subprocess, sys, tempfile, time
vmon, kernel, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
tmp = tempfile.mkdtemp(prefix="vmon-bench-snap.")

def call(sock, method, path, body=None, timeout=60):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock)
    b = json.dumps(body).encode() if body is not None else b""
    s.sendall(b"%s %s HTTP/1.1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
              % (method.encode(), path.encode(), len(b)) + b)
    r = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        r += c
    s.close()
    status = int(r.split(b" ", 2)[1])
    body = r.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in r else b""
    if status >= 300:
        raise RuntimeError(f"{method} {path}: {status} {body.decode(errors='replace')}")
    return json.loads(body) if body.strip() else None

class Vm:
    """A vmon with an API socket; the console through pipes."""
    n = 0
    def __init__(self):
        Vm.n += 1
        self.sock = os.path.join(tmp, f"api{Vm.n}.sock")
        self.t0 = time.monotonic()
        self.p = subprocess.Popen([vmon, "--api-sock", self.sock], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buf = b""
        while True:
            try:
                s = socket.socket(socket.AF_UNIX); s.connect(self.sock); s.close(); break
            except OSError:
                time.sleep(0.0005)
    def type(self, line):
        self.p.stdin.write(line.encode() + b"\n"); self.p.stdin.flush()
    def wait(self, text, timeout=30):
        end = time.monotonic() + timeout
        while text.encode() not in self.buf:
            r, _, _ = select.select([self.p.stdout], [], [], max(0, end - time.monotonic()))
            if not r:
                raise RuntimeError(f"no {text!r} from the guest")
            self.buf += os.read(self.p.stdout.fileno(), 65536)
        return time.monotonic()
    def kill(self):
        self.p.kill(); self.p.wait()

def ms(t):
    return t * 1000

def summary(xs):
    return f"{statistics.median(xs):9.2f} ({min(xs):.2f}-{max(xs):.2f})"

def size(path):
    st = os.stat(path)
    return st.st_size, st.st_blocks * 512

# The source: boot, 16 MiB written, a full snapshot, then 64 KiB and a diff.
src = Vm()
call(src.sock, "PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": 128,
                                          "track_dirty_pages": True})
call(src.sock, "PUT", "/boot-source", {"kernel_image_path": kernel})
call(src.sock, "PUT", "/actions", {"action_type": "InstanceStart"})
src.wait("echo: ready")
src.type("fill 1"); src.wait("fill 1 done")
call(src.sock, "PATCH", "/vm", {"state": "Paused"})
state, mem = os.path.join(tmp, "s"), os.path.join(tmp, "m")
t = time.monotonic()
call(src.sock, "PUT", "/snapshot/create", {"snapshot_type": "Full", "snapshot_path": state,
                                           "mem_file_path": mem})
full_ms = ms(time.monotonic() - t)
# Now: on tmpfs, restores that read holes through their mapping allocate
# them, so the file would look full by the end.
fs, fb = size(mem)
call(src.sock, "PATCH", "/vm", {"state": "Resumed"})
src.type("touch 2"); src.wait("touch 2 done")
call(src.sock, "PATCH", "/vm", {"state": "Paused"})
t = time.monotonic()
call(src.sock, "PUT", "/snapshot/create", {"snapshot_type": "Diff", "snapshot_path": state + ".d",
                                           "mem_file_path": mem + ".d"})
diff_ms = ms(time.monotonic() - t)
ds, db = size(mem + ".d")
src.kill()
# Restore the full one (the diff needs a rebase first: not timed here).
load, answer, start = [], [], []
for i in range(runs):
    v = Vm()
    t = time.monotonic()
    call(v.sock, "PUT", "/snapshot/load", {"snapshot_path": state, "mem_backend":
         {"backend_type": "File", "backend_path": mem}, "resume_vm": True})
    t1 = time.monotonic()
    v.type(f"r{i}")
    t2 = v.wait(f"echo: r{i}")
    load.append(ms(t1 - t)); answer.append(ms(t2 - t)); start.append(ms(t2 - v.t0))
    v.kill()
# Migration over a Unix socket, the guest freshly restored each time.
mig_total, mig_down = [], []
for i in range(runs):
    a = Vm()
    call(a.sock, "PUT", "/snapshot/load", {"snapshot_path": state, "mem_backend":
         {"backend_type": "File", "backend_path": mem}, "resume_vm": True})
    b = Vm()
    url = "unix:" + os.path.join(tmp, f"mig{i}.sock")
    call(b.sock, "PUT", "/migration/receive", {"receiver_url": url})
    t = time.monotonic()
    call(a.sock, "PUT", "/migration/send", {"destination_url": url})
    mig_total.append(ms(time.monotonic() - t))
    mig_down.append(call(b.sock, "GET", "/migration")["downtime_ms"])
    a.p.wait(); b.type(f"m{i}"); b.wait(f"echo: m{i}"); b.kill()
print(f"snapshot create, full (128 MiB, 16 MiB written)  {full_ms:9.2f} ms; "
      f"memory file {fs >> 20} MiB, {fb >> 20} MiB allocated")
print(f"snapshot create, diff (64 KiB written since)     {diff_ms:9.2f} ms; "
      f"diff file {ds >> 10} KiB, {db >> 10} KiB allocated")
print(f"restore: PUT /snapshot/load to its 204           {summary(load)} ms")
print(f"restore: load to the guest answering input      {summary(answer)} ms")
print(f"restore: process start to the guest answering   {summary(start)} ms")
print(f"migration (unix socket, idle guest): total      {summary(mig_total)} ms")
print(f"migration: downtime (the destination's figure)  {summary(mig_down)} ms")
print(json.dumps({"runs": runs, "full_ms": full_ms, "diff_ms": diff_ms,
                  "mem_file": [fs, fb], "diff_file": [ds, db], "load_ms": load,
                  "answer_ms": answer, "start_ms": start,
                  "migration_total_ms": mig_total, "migration_downtime_ms": mig_down}))
PY
