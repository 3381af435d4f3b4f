# SPDX-License-Identifier: MIT
"""Every bad request of guest-input.md 22-25 gets its 4xx with a reason,
and the socket keeps serving: oversized and malformed HTTP, bad JSON,
out-of-range numbers, wrong lifecycle, missing files, many clients at
once, silent and slow clients.  Usage: api_bad_requests.py SOCK KERNEL"""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apilib  # noqa: E402

sock, kernel = sys.argv[1:3]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL:", what)


def alive():
    status, body = apilib.request(sock, "GET", "/")
    check(status == 200 and body["app_name"] == "vmon", "still serving")


def raw(data, timeout=5):
    """Send bytes on a fresh connection; the first response, or None."""
    c = apilib.Conn(sock, timeout)
    try:
        c.send(data)
        return c.read_response()
    finally:
        c.close()


def expect_raw(data, status, needle, what):
    r = raw(data)
    check(r is not None and r[0] == status and needle.encode() in r[2],
          "%s: want %d /%s/, got %s" % (what, status, needle, r))
    alive()


def expect(method, path, body, status, needle):
    st, resp = apilib.request(sock, method, path, body)
    msg = apilib.fault(resp)
    check(st == status and needle in msg, "%s %s %s: want %d /%s/, got %s %s"
          % (method, path, body, status, needle, st, msg))


# ---- 22: HTTP ----------------------------------------------------------
big = b"x" * 60000
expect_raw(b"PUT /vm HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(big) + big,
           413, "larger than the limit", "body over 50 KiB")
expect_raw(b"PUT /vm HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 400,
           "invalid Content-Length", "negative Content-Length")
expect_raw(b"PUT /vm HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n",
           413, "body", "Content-Length 2^64")
expect_raw(b"PATCH /vm HTTP/1.1\r\n\r\n", 400, "needs a JSON body",
           "missing Content-Length")
expect_raw(b"PUT /vm HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n0\r\n\r\n", 411, "Content-Length", "chunked")
expect_raw(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400,
           "malformed header", "header without a colon")
expect_raw(b"GET / HTTP/1.1\r\nX: a\r\n  folded\r\n\r\n", 400, "folded",
           "folded header")
expect_raw(b"GET / HTTP/1.1\nHost: x\n\n", 400, "CRLF", "bare LF")
expect_raw(b"GET / HTTP/3.0\r\n\r\n", 505, "HTTP/1.x", "HTTP/3")
expect_raw(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", 400,
           "request line", "TLS hello")
expect_raw(b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\n\r\n", 414, "1024",
           "long path")
expect_raw(b"GET / HTTP/1.1\r\n" + b"".join(b"X%d: y\r\n" % i
                                            for i in range(40)) + b"\r\n",
           431, "32 header", "too many headers")
expect_raw(b"GET / HTTP/1.1\r\nX: " + b"y" * 9000 + b"\r\n\r\n", 431, "8 KiB",
           "head over 8 KiB")
expect_raw(b"BREW /machine-config HTTP/1.1\r\n\r\n", 405, "takes GET",
           "unknown method")
expect_raw(b"DELETE /drives/rootfs HTTP/1.1\r\n\r\n", 405, "PUT, PATCH",
           "DELETE a drive")
expect_raw(b"GET /no/such/path HTTP/1.1\r\n\r\n", 404, "no such path",
           "unknown path")

# Pipelined requests and 100-continue on one connection.
c = apilib.Conn(sock)
c.send(b"GET /version HTTP/1.1\r\n\r\nGET /machine-config HTTP/1.1\r\n\r\n")
r1, r2 = c.read_response(), c.read_response()
check(r1[0] == 200 and b"firecracker_version" in r1[2] and r2[0] == 200 and
      b"vcpu_count" in r2[2], "pipelined requests")
c.send(b"PATCH /machine-config HTTP/1.1\r\nContent-Length: 16\r\n"
       b"Expect: 100-continue\r\n\r\n")
r = c.read_response()
check(r and r[0] == 100, "100 Continue before the body (%s)" % (r,))
c.send(b'{"vcpu_count":1}')
r = c.read_response()
check(r and r[0] == 204, "the body after 100 Continue (%s)" % (r,))
c.close()

# ---- 23: JSON ----------------------------------------------------------
M = "/machine-config"
expect("PUT", M, "{", 400, "malformed JSON")
expect("PUT", M, "[]", 400, "expected a JSON object")
expect("PUT", M, {"vcpu_count": 1}, 400, "missing field 'mem_size_mib'")
expect("PUT", M, {"vcpu_count": 1, "mem_size_mib": 128, "gpu": True}, 400,
       "unknown field 'gpu'")
expect("PUT", M, {"vcpu_count": "1", "mem_size_mib": 128}, 400,
       "'vcpu_count' must be an integer")
expect("PUT", M, {"vcpu_count": -1, "mem_size_mib": 128}, 400, "not -1")
expect("PUT", M, {"vcpu_count": 1, "mem_size_mib": 2 ** 64}, 400,
       "'mem_size_mib' must be an integer from 4 to 1048576")
expect("PUT", M, {"vcpu_count": 1, "mem_size_mib": 2 ** 44}, 400,
       "mem_size_mib")     # MiB << 20 overflows 64 bits
expect("PUT", M, {"vcpu_count": 1, "mem_size_mib": 0}, 400, "not 0")
expect("PUT", M, {"vcpu_count": 0, "mem_size_mib": 128}, 400,
       "'vcpu_count' must be an integer from 1 to 32, not 0")
expect("PUT", M, {"vcpu_count": 33, "mem_size_mib": 128}, 400, "not 33")
expect("PUT", "/boot-source", {"kernel_image_path": 7}, 400,
       "'kernel_image_path' must be a string")
expect("PUT", "/boot-source", {}, 400, "missing field 'kernel_image_path'")
expect("PUT", "/drives/d1", {"drive_id": "d2", "path_on_host": "/dev/null",
                             "is_root_device": False}, 400,
       "does not match the path's 'd1'")
expect("PUT", "/actions", {"action_type": "Reboot"}, 400,
       "unknown value 'Reboot'")
expect("PUT", "/vsock", {"guest_cid": -3, "uds_path": "/tmp/v"}, 400,
       "guest_cid")
expect("PATCH", "/balloon", {"amount_mib": 2 ** 32}, 400, "amount_mib")

# ---- 24: lifecycle and files -------------------------------------------
expect("PUT", "/boot-source", {"kernel_image_path": "/nonexistent/vmlinux"},
       400, "kernel_image_path /nonexistent/vmlinux: No such file")
expect("PUT", "/drives/root", {"drive_id": "root", "path_on_host":
                               "/nonexistent/root.img",
                               "is_root_device": True}, 400,
       "path_on_host /nonexistent/root.img: No such file")
expect("PUT", "/actions", {"action_type": "InstanceStart"}, 400,
       "no boot source")
root_img = sock + ".root.img"     # in the test's temporary directory
open(root_img, "wb").truncate(1 << 20)
expect("PUT", "/drives/root", {"drive_id": "root", "path_on_host": root_img,
                               "is_root_device": True}, 204, "")
expect("PUT", "/drives/root2", {"drive_id": "root2", "path_on_host":
                                "/dev/null", "is_root_device": True}, 400,
       "already the root device")
expect("PATCH", "/vm", {"state": "Paused"}, 400, "not started")
expect("PUT", M, {"vcpu_count": 1, "mem_size_mib": 64}, 204, "")
expect("PUT", "/boot-source", {"kernel_image_path": kernel}, 204, "")
expect("PUT", "/balloon", {"amount_mib": 65, "deflate_on_oom": False}, 400,
       "more than the VM's memory (64 MiB)")
expect("PUT", "/balloon", {"amount_mib": 16, "deflate_on_oom": False,
                           "stats_polling_interval_s": 1}, 204, "")
expect("PUT", "/actions", {"action_type": "InstanceStart"}, 204, "")
# The balloon takes run-time changes; statistics stay on once on.
expect("PATCH", "/balloon", {"amount_mib": 65}, 400, "more than the VM's")
expect("PATCH", "/balloon", {"amount_mib": 8}, 204, "")
expect("GET", "/balloon/statistics", None, 200, "")
expect("PATCH", "/balloon/statistics", {"stats_polling_interval_s": 0}, 400,
       "cannot be turned on or off")
expect("PATCH", "/drives/root", {"drive_id": "root",
                                 "path_on_host": "/dev/null"}, 400,
       "disk /dev/null: not a regular file or a block device")
expect("PATCH", "/drives/root", {"drive_id": "root",
                                 "path_on_host": root_img}, 204, "")
expect("PUT", "/balloon", {"amount_mib": 8, "deflate_on_oom": False}, 400,
       "before the VM starts")
expect("PUT", "/actions", {"action_type": "InstanceStart"}, 400,
       "already started")
expect("PUT", M, {"vcpu_count": 2, "mem_size_mib": 64}, 400,
       "before the VM starts")
expect("PUT", "/drives/d3", {"drive_id": "d3", "path_on_host": "/dev/null",
                             "is_root_device": False}, 400,
       "before the VM starts")
expect("PUT", "/boot-source", {"kernel_image_path": kernel}, 400,
       "before the VM starts")
expect("PATCH", "/drives/nope", {"drive_id": "nope"}, 400, "no drive 'nope'")

# ---- 25: many clients, silent and slow ones ----------------------------
silent = []
for _ in range(20):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    silent.append(s)
slow = socket.socket(socket.AF_UNIX)
slow.connect(sock)
slow.sendall(b"GET / HTTP/1.1\r\nHost: ")     # and nothing more
t0 = time.time()
alive()
check(time.time() - t0 < 1, "silent clients hold nobody up")

errors = []


def client(n):
    try:
        c = apilib.Conn(sock)
        for _ in range(n):
            st, body = c.request("GET", "/machine-config")
            if st != 200:
                errors.append(st)
        c.close()
    except OSError as e:
        errors.append(str(e))


threads = [threading.Thread(target=client, args=(25,)) for _ in range(40)]
t0 = time.time()
for t in threads:
    t.start()
for t in threads:
    t.join()
check(not errors, "40 concurrent clients x 25 requests: %s" % errors[:5])
print("1000 requests from 40 clients in %.2f s" % (time.time() - t0))

# Past 64 connections: the next ones are told 503 and closed.
extra = []
for _ in range(64 - len(silent)):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    extra.append(s)
time.sleep(0.2)
over = apilib.Conn(sock)
r = over.read_response()
check(r is not None and r[0] == 503, "connection 66 gets 503 (%s)" % (r,))
over.close()
for s in silent + extra:
    s.close()
time.sleep(0.2)
alive()

# The half-sent request times out with 408 and is closed.
slow.settimeout(10)
data = b""
t0 = time.time()
while True:
    chunk = slow.recv(4096)
    if not chunk:
        break
    data += chunk
check(data.startswith(b"HTTP/1.1 408") and 3 < time.time() - t0 < 8,
      "slow client: 408 after the request timeout (%r)" % data[:40])
slow.close()
alive()

if failures:
    print("%d failures" % len(failures))
    sys.exit(1)
print("bad requests OK")
