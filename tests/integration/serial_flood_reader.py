# SPDX-License-Identifier: MIT
"""The reader at the far end of vmon's serial output in serial_flood.sh:
deliberately slow, stopped and continued by the test (SIGSTOP, SIGCONT),
made fast by SIGUSR1.  It checks the serial_flood guest's lines as they
come and keeps its findings in a JSON file, rewritten twice a second and
once more at the end of the stream ("eof": true).

    serial_flood_reader.py FIFO STATS BYTES_PER_SECOND

BYTES_PER_SECOND 0: open the FIFO and never read (a reader stalled for
good)."""
import fcntl
import json
import os
import re
import signal
import sys
import time

F_SETPIPE_SZ = 1031
LINE = re.compile(rb"^F(\d{10}) [a-z]{51}$")

fifo, stats_path, rate = sys.argv[1], sys.argv[2], int(sys.argv[3])
fast = False


def go_fast(signum, frame):
    global fast
    fast = True


signal.signal(signal.SIGUSR1, go_fast)
fd = os.open(fifo, os.O_RDONLY)
try:
    # One page instead of 16: vmon's own buffer fills soon after.
    fcntl.fcntl(fd, F_SETPIPE_SZ, 4096)
except OSError:
    pass

st = {"bytes": 0, "flood_bytes": 0, "lines": 0, "intact": 0, "corrupt": 0,
      "out_of_order": 0, "first": None, "last": None, "banner": None,
      "done": None, "eof": False}


def save():
    tmp = stats_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f)
    os.replace(tmp, stats_path)


def line(l):
    st["lines"] += 1
    if l.startswith(b"serial-flood: "):
        st["banner" if st["banner"] is None else "done"] = l.decode()
        return
    st["flood_bytes"] += len(l) + 1
    m = LINE.match(l)
    if not m:
        st["corrupt"] += 1      # bytes were dropped inside it
        return
    n = int(m.group(1))
    if st["last"] is not None and n <= st["last"]:
        st["out_of_order"] += 1
    if st["first"] is None:
        st["first"] = n
    st["last"] = n
    st["intact"] += 1


save()
if rate == 0:
    while True:
        time.sleep(3600)
pending = b""
last_save = time.time()
chunk = max(1, rate // 20)
while True:
    data = os.read(fd, 1 << 16 if fast else chunk)
    if not data:
        break
    st["bytes"] += len(data)
    pending += data
    *full, pending = pending.split(b"\n")
    for l in full:
        line(l)
    if time.time() - last_save > 0.5:
        save()
        last_save = time.time()
    if not fast:
        time.sleep(0.05)
if pending:
    line(pending)
st["eof"] = True
save()
