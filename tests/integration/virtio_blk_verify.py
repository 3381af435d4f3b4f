# SPDX-License-Identifier: MIT
"""Checks a virtio_blk test=pattern run (guest/programs/virtio_blk.c)
on the host: the guest's pattern and checksum recomputed here, what the
guest read before writing must be what the image held, and afterwards the
image must be the original with exactly the listed regions replaced.
Usage: virtio_blk_verify.py ORIGINAL IMAGE GUEST-OUTPUT SEED"""
import re, sys
orig, img, out, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
M32, M64 = 0xffffffff, 0xffffffffffffffff

def pat(sector, seed):
    a = ((sector & M32) * 0x9e3779b1 & M32) ^ ((sector >> 32) & M32)
    res = bytearray(512)
    for i in range(512):
        v = a ^ ((i + seed) * 0x85ebca6b & M32)
        v ^= v >> 15
        v = v * 0x2c1b3c6d & M32
        v ^= v >> 12
        res[i] = v & 0xff
    return bytes(res)

def fnv(h, data):
    for b in data:
        h = (h ^ b) * 0x100000001b3 & M64
    return h

o = open(orig, "rb").read()
f = open(img, "rb").read()
text = open(out).read()
assert len(f) == len(o), "the image changed size: %d -> %d" % (len(o), len(f))
for s, c, h in re.findall(r"^virtio-blk: before (\d+) (\d+) fnv=0x([0-9a-f]+)$", text, re.M):
    s, c = int(s), int(c)
    assert fnv(0xcbf29ce484222325, o[s * 512:(s + c) * 512]) == int(h, 16), \
        "the guest read sectors %d+%d wrong" % (s, c)
want = bytearray(o)
h = 0xcbf29ce484222325
regions = [(int(s), int(c)) for s, c in re.findall(r"^virtio-blk: region (\d+) (\d+)$", text, re.M)]
assert len(regions) >= 10, "only %d regions" % len(regions)
for s, c in regions:
    data = b"".join(pat(s + k, seed) for k in range(c))
    want[s * 512:(s + c) * 512] = data
    h = fnv(h, data)
m = re.search(r"^virtio-blk: pattern: (\d+) regions, (\d+) bytes, fnv 0x([0-9a-f]+)", text, re.M)
assert m and int(m.group(3), 16) == h, "the guest's checksum differs from the host's"
if bytes(want) != f:
    bad = next(i for i in range(len(f)) if want[i] != f[i])
    sys.exit("image differs from the expected bytes at offset %d (sector %d)" % (bad, bad // 512))
print("verified %d regions, %d bytes, the rest of the image untouched" % (len(regions), int(m.group(2))))
