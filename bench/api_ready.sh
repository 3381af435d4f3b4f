#!/usr/bin/env bash
# How fast vmon's Firecracker API is ready, and how fast a start reaches
# the guest:
#   - process start to the API socket accepting: wall (exec to a successful
#     connect) and CPU (vmon's own CLOCK_PROCESS_CPUTIME_ID when it listens,
#     exec and dynamic linking included; the log line at --level Info);
#   - PUT /actions InstanceStart to the hello guest's first serial byte.
# Usage: bench/api_ready.sh [RUNS] (default 20); needs build/vmon, the
# test guest (make all) and /dev/kvm.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${1:-20}
VMON=${VMON:-$ROOT/build/vmon}
KERNEL=${KERNEL:-$ROOT/build/guest/hello.elf}
[ -x "$VMON" ] && [ -f "$KERNEL" ] || { echo "build first: make all" >&2; exit 2; }
python3 - "$VMON" "$KERNEL" "$RUNS" <<'PY'
import json, os, re, select, socket, statistics, subprocess, sys, tempfile, time
vmon, kernel, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
tmp = tempfile.mkdtemp(prefix="vmon-bench.")

def call(sock, method, path, body):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    b = json.dumps(body).encode()
    s.sendall(b"%s %s HTTP/1.1\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
              % (method.encode(), path.encode(), len(b)) + b)
    r = b""
    while True:
        c = s.recv(4096)
        if not c:
            break
        r += c
    s.close()
    assert r.startswith(b"HTTP/1.1 204"), r

ready_wall, ready_cpu, first_byte = [], [], []
for i in range(runs):
    sock = os.path.join(tmp, "api%d.sock" % i)
    t0 = time.perf_counter()
    p = subprocess.Popen([vmon, "--api-sock", sock, "--level", "Info"],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    while True:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(sock)
            break
        except OSError:
            pass
        finally:
            s.close()
    ready_wall.append((time.perf_counter() - t0) * 1e3)
    call(sock, "PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": 128})
    call(sock, "PUT", "/boot-source", {"kernel_image_path": kernel})
    t1 = time.perf_counter()
    call(sock, "PUT", "/actions", {"action_type": "InstanceStart"})
    select.select([p.stdout], [], [], 10)
    os.read(p.stdout.fileno(), 1)
    first_byte.append((time.perf_counter() - t1) * 1e3)
    p.terminate()
    err = p.communicate(timeout=10)[1].decode()
    m = re.search(r"listening on .* after ([0-9.]+) ms of CPU", err)
    ready_cpu.append(float(m.group(1)))

def line(name, v):
    print("%-40s median %7.3f ms   min %7.3f   max %7.3f" %
          (name, statistics.median(v), min(v), max(v)))
print("vmon API readiness, %d runs" % runs)
line("start -> API socket accepting (wall)", ready_wall)
line("start -> API socket listening (CPU)", ready_cpu)
line("InstanceStart -> first serial byte", first_byte)
PY
