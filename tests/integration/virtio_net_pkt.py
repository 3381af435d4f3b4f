# SPDX-License-Identifier: MIT
"""The host side of the virtio-net tests, with AF_PACKET sockets on a TAP
device (run it in the TAP's network namespace).  Frames are ethertype
0x88b5 and carry what guest/programs/virtio_net.c builds and checks:
"VMON", a 32-bit big-endian sequence number, then bytes
(seq * 31 + offset) & 0xff.

  capture IFACE SRCMAC N SIZE SECONDS READYFILE
      receive frames from SRCMAC until N arrived (then one second more)
      or SECONDS passed; touches READYFILE once listening; prints
      "captured N frames, B bad, seqs S,S,..." (bad: not as built, or
      not SIZE bytes)
  send IFACE DSTMAC SIZES [COUNTED_MAX]
      send a frame per size (comma-separated), seq 0, 1, ...; prints
      "received N frames, B payload bytes, checksum 0x..." as the guest's
      test=rx does, over the frames of at most COUNTED_MAX bytes
  echo IFACE GUESTMAC N SECONDS
      send N frames to the guest one at a time, expect each back with
      the MACs swapped; prints "echoed K of N frames"
"""
import socket, struct, sys, time
ETH = 0x88b5
OUTGOING = 4

def frame(dst, src, size, seq):
    head = dst + src + struct.pack("!H", ETH) + b"VMON" + struct.pack("!I", seq)
    return head + bytes((seq * 31 + i) & 0xff for i in range(22, size))

def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))

def fnv(h, data):
    for b in data:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h

def sock(iface, proto):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(proto))
    s.bind((iface, proto))
    return s

def recv_ours(s, deadline):
    while time.time() < deadline:
        s.settimeout(max(0.01, deadline - time.time()))
        try:
            data, addr = s.recvfrom(70000)
        except socket.timeout:
            return None
        if addr[2] != OUTGOING and data[12:14] == struct.pack("!H", ETH):
            return data
    return None

def check(data, src, size=None):
    seq = struct.unpack("!I", data[18:22])[0]
    want = frame(data[0:6], src, len(data), seq)
    return data == want and (size is None or len(data) == size), seq

cmd, iface = sys.argv[1], sys.argv[2]
if cmd == "capture":          # capture IFACE SRCMAC N SIZE SECONDS READYFILE
    src, n, size, t = mac(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
    s = sock(iface, ETH)
    open(sys.argv[7], "w").close()
    got, bad, seqs = 0, 0, []
    deadline = time.time() + t
    while True:
        data = recv_ours(s, deadline)
        if data is None:
            break
        ok, seq = check(data, src, size)
        got += 1
        bad += not ok
        seqs.append(seq)
        if got == n:            # then a second for anything extra
            deadline = min(deadline, time.time() + 1)
    print("captured %d frames, %d bad, seqs %s" % (got, bad, ",".join(map(str, seqs[:8]))))
elif cmd == "send":           # send IFACE DSTMAC SIZES [COUNTED_MAX]
    dst, sizes = mac(sys.argv[3]), [int(x) for x in sys.argv[4].split(",")]
    counted = int(sys.argv[5]) if len(sys.argv) > 5 else 1 << 30
    src = mac(open("/sys/class/net/%s/address" % iface).read().strip())
    s = sock(iface, 0)
    h, n, nbytes = 2166136261, 0, 0
    for seq, size in enumerate(sizes):
        f = frame(dst, src, size, seq)
        s.send(f)
        if size <= counted:
            h, n, nbytes = fnv(h, f[14:]), n + 1, nbytes + size - 14
        time.sleep(0.002)
    print("received %d frames, %d payload bytes, checksum 0x%08x" % (n, nbytes, h))
elif cmd == "echo":           # echo IFACE GUESTMAC N SECONDS
    guest, n, t = mac(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    me = mac(open("/sys/class/net/%s/address" % iface).read().strip())
    s = sock(iface, ETH)
    good = 0
    for seq in range(n):
        f = frame(guest, me, 60 + (seq * 97) % 1455, seq)
        s.send(f)
        back = recv_ours(s, time.time() + t)
        if back is not None and back == frame(me, guest, len(f), seq):
            good += 1
    print("echoed %d of %d frames" % (good, n))
