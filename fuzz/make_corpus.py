#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of the fuzz targets: fuzz/corpus/<target>/.

Hand-made valid inputs, a few per target, in each target's own input
format (the comment at the top of fuzz/<target>.c): kernels that load,
HTTP requests as curl sends them, rings whose chains are well formed,
driver scripts that set a device up and use it.  The fuzzer starts from
them instead of from nothing, so its first seconds already reach the
code behind the framing.  Deterministic: running it again rewrites the
same bytes (fuzz/README.md; tests/integration/fuzz_short.sh reads them).

    fuzz/make_corpus.py            write fuzz/corpus/
    fuzz/make_corpus.py --check    exit 1 if fuzz/corpus/ is not what
                                   this script writes
"""
import gzip
import lzma
import os
import struct
import sys
import zlib

# -- shared: the split virtqueue (virtio 1.2, 2.7) ----------------------
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4


def desc(addr, length, flags=0, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


def avail(size, heads, flags=0, used_event=0):
    ring = list(heads) + [0] * (size - len(heads))
    return struct.pack("<HH%dHH" % size, flags, len(heads), *ring, used_event)


def table(size, descs):
    return b"".join(descs) + b"\0" * (16 * (size - len(descs)))


# A tiny guest: mov al, 42; out 0xf4, al (isa-debug-exit); hlt; jmp $.
# The same bytes run in 32-bit (PVH entry) and 64-bit mode.
GUEST_CODE = bytes([0xB0, 0x2A, 0xE6, 0xF4, 0xF4, 0xEB, 0xFE])

# -- fuzz_boot: two bytes (initrd x 128 KiB, cmdline x 300), then a kernel


def xen_note(entry, size=4):
    fmt = "<I" if size == 4 else "<Q"
    return struct.pack("<III", 4, size, 18) + b"Xen\0" + struct.pack(fmt, entry)


def pvh_elf(is64=True, note_in_section=False, paddr=0x100000):
    """An ELF with one PT_LOAD and XEN_ELFNOTE_PHYS32_ENTRY (18)."""
    ehsize, phentsize = (64, 56) if is64 else (52, 32)
    note = xen_note(paddr)
    phnum = 1 if note_in_section else 2
    code_off = 0x100
    note_off = code_off + 0x40
    shoff = note_off + len(note) + 4 if note_in_section else 0
    shoff = (shoff + 7) & ~7
    shnum = 2 if note_in_section else 0
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1, 0]) + b"\0" * 8
    if is64:
        eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, paddr, ehsize,
                                 shoff, 0, ehsize, phentsize, phnum, 64,
                                 shnum, 0)
        ph = struct.pack("<IIQQQQQQ", 1, 7, code_off, paddr, paddr,
                         len(GUEST_CODE), 0x1000, 0x10)
        if not note_in_section:
            ph += struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(note),
                              len(note), 4)
        sh = (b"\0" * 64 + struct.pack("<IIQQQQIIQQ", 0, 7, 2, 0, note_off,
                                       len(note), 0, 0, 4, 0)
              if note_in_section else b"")
    else:
        eh = ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, paddr, ehsize,
                                 shoff, 0, ehsize, phentsize, phnum, 40,
                                 shnum, 0)
        ph = struct.pack("<IIIIIIII", 1, code_off, paddr, paddr,
                         len(GUEST_CODE), 0x1000, 7, 0x10)
        if not note_in_section:
            ph += struct.pack("<IIIIIIII", 4, note_off, 0, 0, len(note),
                              len(note), 4, 4)
        sh = (b"\0" * 40 + struct.pack("<IIIIIIIIII", 0, 7, 2, 0, note_off,
                                       len(note), 0, 0, 4, 0)
              if note_in_section else b"")
    img = bytearray(eh + ph)
    img += b"\0" * (code_off - len(img)) + GUEST_CODE
    img += b"\0" * (note_off - len(img)) + note
    if sh:
        img += b"\0" * (shoff - len(img)) + sh
    return bytes(img)


def vmlinux(paddr=0x1000000):
    """What a bzImage's payload unpacks to: an ELF64 at 16 MiB whose
    e_entry is startup_64."""
    code_off = 0x80
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8
    eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, paddr, 64, 0, 0, 64,
                             56, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 7, code_off, 0xFFFFFFFF81000000, paddr,
                     len(GUEST_CODE), 0x2000, 0x200000)
    img = eh + ph
    return img + b"\0" * (code_off - len(img)) + GUEST_CODE


def bzimage(payload=b""):
    """Boot protocol 2.15, one setup sector, a 64-bit entry (startup_64 at
    +0x200 of the protected-mode part) and, if given, a payload."""
    setup = bytearray(1024)
    pm = bytearray(0x200) + GUEST_CODE
    payload_off = 0
    if payload:
        pm += b"\0" * (0x400 - len(pm))
        payload_off = len(pm)
        pm += payload
    hdr = {
        0x1F1: ("<B", 1),                 # setup_sects
        0x1FE: ("<H", 0xAA55),            # boot_flag
        0x200: ("<BB", 0xEB, 0x26C - 0x202),  # jump: the header's end
        0x202: ("<I", 0x53726448),        # "HdrS"
        0x206: ("<H", 0x020F),            # version 2.15
        0x210: ("<B", 0xFF),              # type_of_loader
        0x211: ("<B", 0x01),              # loadflags: LOADED_HIGH
        0x214: ("<I", 0x100000),          # code32_start
        0x22C: ("<I", 0x7FFFFFFF),        # initrd_addr_max
        0x230: ("<I", 0x200000),          # kernel_alignment
        0x234: ("<B", 1),                 # relocatable_kernel
        0x236: ("<H", 0x3),               # xloadflags: KERNEL_64, above 4G
        0x238: ("<I", 2047),              # cmdline_size
        0x248: ("<I", payload_off),       # payload_offset
        0x24C: ("<I", len(payload)),      # payload_length
        0x258: ("<Q", 0x1000000),         # pref_address
        0x260: ("<I", 0x200000),          # init_size
    }
    for off, (fmt, *vals) in hdr.items():
        struct.pack_into(fmt, setup, off, *vals)
    return bytes(setup + pm)


def boot_seeds():
    return {
        "pvh64": b"\0\0" + pvh_elf(),
        "pvh64-initrd-cmdline": b"\x01\x01" + pvh_elf(),
        "pvh32": b"\0\0" + pvh_elf(is64=False),
        "pvh64-note-in-section": b"\0\0" + pvh_elf(note_in_section=True),
        "bzimage-no-payload": b"\0\x01" + bzimage(),
        "bzimage-gzip": b"\x01\0" + bzimage(gzip.compress(vmlinux(), mtime=0)),
        # As Linux builds it: the unpacked size appended (gzip has it
        # already, as its trailer's ISIZE).
        "bzimage-xz": b"\0\0" + bzimage(lzma.compress(
            vmlinux(), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32) +
            struct.pack("<I", len(vmlinux()))),
    }


# -- fuzz_http: a byte (pieces of b + 1 bytes), then the client's stream


def req(method, path, body=None, extra=""):
    head = "%s %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/7.88.1\r\n" \
           "Accept: */*\r\n%s" % (method, path, extra)
    if body is None:
        return (head + "\r\n").encode()
    b = body.encode()
    return (head + "Content-Type: application/json\r\nContent-Length: %d\r\n"
            "\r\n" % len(b)).encode() + b


def http_seeds():
    boot = req("PUT", "/boot-source", '{"kernel_image_path": "/srv/vmlinux", '
               '"initrd_path": "/srv/initrd.img", "boot_args": "console=ttyS0 '
               'reboot=k panic=1"}')
    machine = req("PUT", "/machine-config", '{"vcpu_count": 2, '
                  '"mem_size_mib": 256, "smt": false, "track_dirty_pages": '
                  'false, "huge_pages": "None"}')
    drive = req("PUT", "/drives/rootfs", '{"drive_id": "rootfs", '
                '"path_on_host": "/srv/rootfs.ext4", "is_root_device": true, '
                '"is_read_only": false, "cache_type": "Writeback", '
                '"io_engine": "Sync", "partuuid": null}')
    net = req("PUT", "/network-interfaces/eth0", '{"iface_id": "eth0", '
              '"host_dev_name": "tap0", "guest_mac": "06:00:ac:10:00:02"}')
    rest = [
        req("PUT", "/vsock", '{"guest_cid": 3, "uds_path": "/tmp/v.sock"}'),
        req("PUT", "/entropy", "{}"),
        req("PUT", "/balloon", '{"amount_mib": 64, "deflate_on_oom": true, '
            '"stats_polling_interval_s": 1}'),
        req("PATCH", "/balloon", '{"amount_mib": 32}'),
        req("PATCH", "/balloon/statistics", '{"stats_polling_interval_s": 5}'),
        req("PUT", "/logger", '{"log_path": "/tmp/vmon.log", "level": "Info", '
            '"show_level": true, "show_log_origin": false}'),
        req("PUT", "/metrics", '{"metrics_path": "/tmp/vmon.metrics"}'),
        req("PUT", "/serial", '{"serial_out_path": "/tmp/serial.out"}'),
        req("PATCH", "/drives/rootfs", '{"drive_id": "rootfs", '
            '"path_on_host": "/srv/other.ext4"}'),
        req("PATCH", "/network-interfaces/eth0", '{"iface_id": "eth0"}'),
        req("PUT", "/actions", '{"action_type": "InstanceStart"}'),
        req("PATCH", "/vm", '{"state": "Paused"}'),
    ]
    return {
        "get-root": b"\xff" + req("GET", "/"),
        "get-config-keepalive": b"\x0f" + req("GET", "/vm/config",
                                              extra="Connection: keep-alive\r\n"),
        "put-boot-source": b"\xff" + boot,
        "put-machine-config-expect": b"\x3f" + req(
            "PUT", "/machine-config", '{"vcpu_count": 1, "mem_size_mib": 128}',
            extra="Expect: 100-continue\r\n"),
        "session-pipelined": b"\x7f" + boot + machine + drive + net,
        "session-rest-bytewise": b"\x00" + b"".join(rest[:6]),
        "session-rest": b"\xff" + b"".join(rest[6:]),
    }


# -- fuzz_virtq: size (1 << b % 9), features, then avail, desc, RAM@0x3000
BUFS = 0x3000


def virtq_seeds():
    seeds = {}
    # 8 entries: one out buffer; an out+in chain; out, out, in.
    d = [desc(BUFS, 64),
         desc(BUFS + 0x100, 16, F_NEXT, 2), desc(BUFS + 0x200, 512, F_WRITE),
         desc(BUFS + 0x400, 16, F_NEXT, 4), desc(BUFS + 0x500, 100, F_NEXT, 5),
         desc(BUFS + 0x600, 1, F_WRITE)]
    seeds["chains-push"] = bytes([3, 4]) + avail(8, [0, 1, 3]) + table(8, d)
    seeds["chains-event-idx"] = (bytes([3, 6]) + avail(8, [3, 1, 0], used_event=1)
                                 + table(8, d))
    # An indirect table of three at BUFS (the RAM part starts there).
    ind = desc(BUFS + 0x100, 16, F_NEXT, 1) + desc(BUFS + 0x200, 64, F_NEXT, 2) \
        + desc(BUFS + 0x300, 1, F_WRITE)
    seeds["indirect"] = (bytes([2, 5]) + avail(4, [0, 1]) +
                         table(4, [desc(BUFS, 48, F_INDIRECT),
                                   desc(BUFS + 0x400, 32)]) + ind)
    # 256 entries, each its own one-descriptor chain, the ring full.
    seeds["full-ring-256"] = (bytes([8, 4]) + avail(256, range(256)) +
                              b"".join(desc(BUFS + 0x40 * i, 0x40,
                                            F_WRITE if i & 1 else 0)
                                       for i in range(256)))
    return seeds


# -- fuzz_blk: size, set-up bits, capacity (1 + 4 b sectors), then raw
# rings as fuzz_virtq or (bit 6) 8-byte request records
T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD, T_WZ = 0, 1, 4, 8, 11, 13
SEL = {T_IN: 0, T_OUT: 1, T_FLUSH: 2, T_GET_ID: 3, T_DISCARD: 4, T_WZ: 5}


def blk_record(type_, shape=1, sector=0, length=512, segflags=0):
    return struct.pack("<BBBBBHB", SEL[type_], shape, sector & 0xFF,
                       (sector >> 8) & 0xFF, (sector >> 16) & 0xFF, length,
                       segflags)


def blk_raw_ring():
    """Three requests the way a driver lays them out: header, data,
    status, at BUFS and after."""
    def hdr(t, sector):
        return struct.pack("<IIQ", t, 0, sector)
    ram = bytearray(0x1000)
    ram[0x000:0x010] = hdr(T_OUT, 0)
    ram[0x010:0x210] = b"\xa5" * 512
    ram[0x300:0x310] = hdr(T_IN, 0)
    ram[0x600:0x610] = hdr(T_FLUSH, 0)
    d = [desc(BUFS, 16, F_NEXT, 1), desc(BUFS + 0x10, 512, F_NEXT, 2),
         desc(BUFS + 0x210, 1, F_WRITE),
         desc(BUFS + 0x300, 16, F_NEXT, 4),
         desc(BUFS + 0x400, 512, F_WRITE | F_NEXT, 5),
         desc(BUFS + 0x2F0, 1, F_WRITE),
         desc(BUFS + 0x600, 16, F_NEXT, 7), desc(BUFS + 0x610, 1, F_WRITE)]
    return avail(8, [0, 3, 6]) + table(8, d) + bytes(ram)


def blk_seeds():
    rw = (blk_record(T_OUT, 1, 0, 1024) + blk_record(T_IN, 1, 0, 1024) +
          blk_record(T_OUT, 2, 2, 2048) + blk_record(T_IN, 3, 2, 1536) +
          blk_record(T_GET_ID, 1, 0, 20) + blk_record(T_FLUSH, 0, 0, 0))
    # DISCARD, WRITE_ZEROES: one data buffer of segments, the first for
    # len / 64 sectors (fuzz_blk.c's build_requests), the others zero.
    special = (blk_record(T_DISCARD, 1, 8, 8 * 64) + blk_record(T_WZ, 1, 0, 4 * 64) +
               blk_record(T_WZ, 1, 0, 4 * 64, 1) + blk_record(T_FLUSH, 0, 0, 0) +
               blk_record(T_IN, 0x21, 1, 512) + blk_record(T_OUT, 0x41, 3, 512))
    return {
        # set-up 0x50: structured, FLUSH; 0x58: and writeback
        "rw-structured": bytes([6, 0x50, 4]) + rw,
        "rw-writeback-indirect": bytes([6, 0x59, 4]) + rw,
        "discard-write-zeroes": bytes([6, 0x72, 8]) + special,
        "read-only": bytes([5, 0x44, 2]) + blk_record(T_IN, 1, 0, 512) +
        blk_record(T_OUT, 1, 0, 512) + blk_record(T_GET_ID, 1, 0, 20),
        "raw-ring": bytes([3, 0x10, 4]) + blk_raw_ring(),
    }


# -- fuzz_virtq_transport: 12-byte ops (kind, offset, width, value) on a
# virtio-rng; queue at DESC 0x1000, AVAIL 0x2000, USED 0x3000
OP_BAR_WRITE, OP_BAR_READ, OP_CFG_WRITE, OP_CFG_READ, OP_RAM, OP_LOOP, \
    OP_SETUP = range(7)
WIDTH = {1: 0, 2: 1, 4: 2, 8: 3}
VPC = dict(DFSELECT=0x00, DF=0x04, GFSELECT=0x08, GF=0x0C, MSIX_CONFIG=0x10,
           STATUS=0x14, Q_SELECT=0x16, Q_SIZE=0x18, Q_MSIX=0x1A,
           Q_ENABLE=0x1C, Q_NOTIFY_OFF=0x1E, Q_DESC=0x20, Q_DRIVER=0x28,
           Q_DEVICE=0x30)
VP_ISR_OFF, VP_NOTIFY_OFF, VP_MSIX_TABLE_OFF = 0x1000, 0x3000, 0x4000


def op(kind, off=0, width=1, val=0):
    return struct.pack("<BHBQ", kind, off, WIDTH[width], val & (2**64 - 1))


def ram_store(gpa, data):
    data += b"\0" * (-len(data) % 8)
    return b"".join(op(OP_RAM, gpa + i, 1, struct.unpack_from("<Q", data, i)[0])
                    for i in range(0, len(data), 8))


def setup_val(size_log2, msix=False, features=0):
    """OP_SETUP's value: queue size 1 << (v % 9), bit 8 the queue's MSI-X
    vector, bits 28-29 INDIRECT_DESC and EVENT_IDX."""
    base = features | msix << 8
    return base + next(k for k in range(9) if (base + k) % 9 == size_log2)


def transport_seeds():
    # Two entropy requests: buffers at 0x4000, 0x4100; then notify.
    ring = (ram_store(0x1000, desc(0x4000, 64, F_WRITE) + desc(0x4100, 32, F_WRITE))
            + ram_store(0x2000, struct.pack("<HHHH", 0, 2, 0, 1)))
    notify = op(OP_BAR_WRITE, VP_NOTIFY_OFF, 2, 0) + op(OP_LOOP)
    by_hand = b"".join([
        op(OP_CFG_READ, 0x00, 4), op(OP_CFG_READ, 0x34, 1),     # ids, caps
        op(OP_CFG_WRITE, 0x04, 2, 0x6),                         # mem, master
        op(OP_BAR_WRITE, VPC["STATUS"], 1, 0),
        op(OP_BAR_WRITE, VPC["STATUS"], 1, 3),
        op(OP_BAR_WRITE, VPC["DFSELECT"], 4, 1), op(OP_BAR_READ, VPC["DF"], 4),
        op(OP_BAR_WRITE, VPC["GFSELECT"], 4, 1), op(OP_BAR_WRITE, VPC["GF"], 4, 1),
        op(OP_BAR_WRITE, VPC["STATUS"], 1, 0xB), op(OP_BAR_READ, VPC["STATUS"], 1),
        op(OP_BAR_WRITE, VPC["Q_SELECT"], 2, 0), op(OP_BAR_READ, VPC["Q_SIZE"], 2),
        op(OP_BAR_WRITE, VPC["Q_SIZE"], 2, 8),
        op(OP_BAR_WRITE, VPC["Q_DESC"], 8, 0x1000),
        op(OP_BAR_WRITE, VPC["Q_DRIVER"], 8, 0x2000),
        op(OP_BAR_WRITE, VPC["Q_DEVICE"], 8, 0x3000),
        op(OP_BAR_READ, VPC["Q_NOTIFY_OFF"], 2),
        op(OP_BAR_WRITE, VPC["Q_ENABLE"], 2, 1),
        op(OP_BAR_WRITE, VPC["STATUS"], 1, 0xF),
    ]) + ring + notify + op(OP_BAR_READ, VP_ISR_OFF, 1)
    msix = b"".join([
        op(OP_SETUP, 0, 1, setup_val(3, msix=True)),   # size 8, vector 1
        op(OP_BAR_WRITE, VP_MSIX_TABLE_OFF + 16, 8, 0xFEE00000),
        op(OP_BAR_WRITE, VP_MSIX_TABLE_OFF + 24, 4, 0x41),
        op(OP_BAR_WRITE, VP_MSIX_TABLE_OFF + 28, 4, 0),
        op(OP_CFG_READ, 0x40, 4),
    ]) + ring + notify
    return {
        "setup-request": op(OP_SETUP, 0, 1, setup_val(3)) + ring + notify,
        "setup-by-hand": by_hand,
        "msix": msix,
        "reset-and-again": (op(OP_SETUP, 0, 1, setup_val(2)) + ring + notify +
                            op(OP_BAR_WRITE, VPC["STATUS"], 1, 0) +
                            op(OP_SETUP, 0, 1, setup_val(4, features=3 << 28))
                            + ring + notify),
    }


# -- fuzz_net: features, size, frames from the TAP (b % 4), their size
# (b * 8 + 14); then tx avail, tx desc, rx avail, rx desc, RAM@0x6000
NBUFS = 0x6000
CSUM, TSO4, TSO6, MRG, GCSUM, INDIRECT, EVIDX = (1 << i for i in range(7))


def net_hdr(flags=0, gso=0, hdr_len=0, gso_size=0, cs_start=0, cs_off=0):
    return struct.pack("<BBHHHHH", flags, gso, hdr_len, gso_size, cs_start,
                       cs_off, 0)


def eth_ipv4_tcp(payload=b"hello"):
    eth = b"\x06\0\0\0\0\x02" + b"\x06\0\0\0\0\x01" + b"\x08\x00"
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + 20 + len(payload), 1, 0,
                     64, 6, 0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    tcp = struct.pack(">HHIIBBHHH", 1234, 80, 0, 0, 0x50, 0x18, 65535, 0, 0)
    return eth + ip + tcp + payload


def net_seeds():
    def layout(size, tx_heads, tx_descs, rx_heads, rx_descs, ram):
        return (avail(size, tx_heads) + table(size, tx_descs) +
                avail(size, rx_heads) + table(size, rx_descs) + ram)
    frame = net_hdr() + eth_ipv4_tcp()
    csum = net_hdr(1, 0, 0, 0, 34, 16) + eth_ipv4_tcp(b"x" * 200)
    tso = net_hdr(1, 1, 54, 1448, 34, 16) + eth_ipv4_tcp(b"y" * 3000)
    ram = bytearray(0x1100)
    ram[0:len(frame)] = frame
    ram[0x200:0x200 + len(csum)] = csum
    ram[0x400:0x400 + len(tso)] = tso
    tx = [desc(NBUFS, len(frame)),
          desc(NBUFS + 0x200, 12, F_NEXT, 2),
          desc(NBUFS + 0x20C, len(csum) - 12),
          desc(NBUFS + 0x400, len(tso))]
    # Receive buffers past what the input fills (the target zeroes RAM).
    rx = [desc(NBUFS + 0x2000 + 0x400 * i, 0x400, F_WRITE) for i in range(4)]
    seeds = {
        "tx-rx-plain": bytes([0, 3, 2, 8]) +
        layout(8, [0], tx, [0, 1], rx, bytes(ram)),
        "tx-csum-tso": bytes([CSUM | TSO4 | TSO6, 3, 1, 100]) +
        layout(8, [0, 1, 3], tx, [0, 1, 2, 3], rx, bytes(ram)),
        "rx-mergeable": bytes([MRG | GCSUM | EVIDX, 3, 3, 180]) +
        layout(8, [], tx, [0, 1, 2, 3], rx, bytes(ram)),
    }
    # The transmit chain behind an indirect table (at NBUFS + 0x1000).
    ind = desc(NBUFS + 0x200, 12, F_NEXT, 1) + desc(NBUFS + 0x20C, len(csum) - 12)
    ram2 = bytearray(ram)
    ram2[0x1000:0x1000 + len(ind)] = ind
    seeds["tx-indirect"] = bytes([CSUM | INDIRECT, 2, 1, 20]) + layout(
        4, [0], [desc(NBUFS + 0x1000, len(ind), F_INDIRECT)], [0],
        rx[:1], bytes(ram2))
    return seeds


# -- fuzz_vsock: a script of ops (kind byte, then its bytes)
GUEST_CID, HOST_CID = 3, 2
REQUEST, RESPONSE, RST, SHUTDOWN, RW, CREDIT_UPDATE, CREDIT_REQUEST = range(1, 8)
LOCAL_PORT_BASE = 1 << 30


def vhdr(op_, src_port, dst_port, length=0, flags=0, buf_alloc=262144,
         fwd_cnt=0):
    return struct.pack("<QQIIIHHIII", GUEST_CID, HOST_CID, src_port, dst_port,
                       length, 1, op_, flags, buf_alloc, fwd_cnt)


def tx(h, payload=b"", flags=0x20 | 0x40):
    """Kind 0; flags bit 5-6: type, op and len made plausible (the len the
    payload's), CIDs the right ones (bit 0 clear)."""
    return bytes([0, flags]) + struct.pack("<H", len(payload)) + h + payload


def rx(count=4, size_class=4):
    return bytes([1, count - 1, size_class])


def host(what, which=0):
    return bytes([2, which | what << 4])       # 0 accept, 1 write, 2 shut, 3 close


def client(b):
    return bytes([3, b])


def loop(turns=1):
    """Kind 4: turns of the loop (kind >> 4; 0xf0 and up would reset)."""
    assert turns < 15
    return bytes([4 | turns << 4])


def vsock_seeds():
    # The guest connects to the host listener at <uds>_1 (port 1).
    guest_connects = (rx(8, 4) + tx(vhdr(REQUEST, 1024, 1)) + loop(2) +
                      host(0, 0) + tx(vhdr(RW, 1024, 1, 5), b"hello") + loop(2) +
                      host(1, 0) + loop(2) +
                      tx(vhdr(CREDIT_REQUEST, 1024, 1)) + loop() +
                      tx(vhdr(SHUTDOWN, 1024, 1, 0, 3)) + loop(2) + host(3, 0))
    # A host client asks for guest port 2 ("CONNECT 2\n"), the guest answers.
    host_connects = (rx(8, 4) + client(0x80 | 2) + loop(3) +
                     tx(vhdr(RESPONSE, 2, LOCAL_PORT_BASE), flags=0x20 | 0x10) +
                     loop(2) + tx(vhdr(RW, 2, LOCAL_PORT_BASE, 4), b"ping",
                                  flags=0x20 | 0x40 | 0x10) + loop(2) +
                     tx(vhdr(CREDIT_UPDATE, 2, LOCAL_PORT_BASE),
                        flags=0x20 | 0x10) +
                     tx(vhdr(RST, 2, LOCAL_PORT_BASE), flags=0x20 | 0x10) + loop(2))
    # Small rx buffers, a split header, a writable tail, a bad line.
    odd = (rx(2, 0) + rx(2, 2) + tx(vhdr(REQUEST, 7, 1), flags=0x20 | 0x02) +
           loop(2) + tx(vhdr(RW, 7, 1, 3), b"abc", flags=0x60 | 0x04) +
           client(0x01) + b"CONNECT x\n".ljust(24, b"\0") + loop(3) +
           bytes([0xF4]) +
           rx(4, 3) + tx(vhdr(REQUEST, 8, 1)) + loop(2))
    return {
        "guest-connects": guest_connects,
        "host-connects": host_connects,
        "odd-buffers-and-reset": odd,
    }


def snap_section(name, version, payload):
    """One section of fuzz_snapfile's structured recipe (mode 3)."""
    n = name.encode()
    return bytes([len(n)]) + n + bytes([version]) + struct.pack("<H", len(payload)) + payload


def snapfile_seeds():
    """fuzz_snapfile: recipes the target builds with the writer (mode 3),
    a snapshot-like layout of vCPU, irqchip and device sections; the last
    3 bytes pick a byte to flip (0 = none)."""
    vcpu = struct.pack("<18Q", *range(18))          # GPRs, RIP, RFLAGS
    pic = bytes(range(32))
    blk = struct.pack("<QIIQ", 8 << 20, 1, 0x1000, 0x7f000)
    layout = (snap_section("vcpu.0", 1, vcpu) + snap_section("vcpu.1", 1, vcpu) +
              snap_section("pic", 1, pic) + snap_section("virtio.blk0", 2, blk))
    return {
        "layout-intact": bytes([3]) + layout + b"\0\0\0",
        "layout-one-flip": bytes([3]) + layout + struct.pack("<H", 100) + b"\x40",
        "layout-resealed-flip": bytes([3 | (1 << 2)]) + layout + struct.pack("<H", 30) + b"\x01",
        "empty-sections": bytes([3]) + snap_section("a", 1, b"") + snap_section("b", 1, b"") + b"\0\0\0",
        "raw-garbage-header": bytes([0]) + b"VMONSNAP" + bytes(40),
    }


def cfg_str(s):
    """snap_put_str: a presence byte, then a u16 length and the bytes."""
    if s is None:
        return b"\0"
    b = s.encode()
    return b"\1" + struct.pack("<H", len(b)) + b


def snap_config(cpus=1, mem_mib=128, disks=(), nets=(), vsock=None,
                rng=False, balloon=None):
    """The snapshot's config section (src/machine/vm_config_snap.c)."""
    p = struct.pack("<IQ?", cpus, mem_mib << 20, False)
    p += struct.pack("<I", len(disks))
    for id_, path, ro, root in disks:
        p += cfg_str(id_) + cfg_str(path) + struct.pack("<??B", ro, root, 0)
    p += struct.pack("<I", len(nets))
    for id_, tap, mac in nets:
        p += cfg_str(id_) + cfg_str(tap) + bytes(mac or [0] * 6) + bytes([mac is not None])
    p += struct.pack("<?I", vsock is not None, vsock[0] if vsock else 0)
    p += cfg_str(vsock[1] if vsock else None)
    p += struct.pack("<?", rng) + struct.pack("<6Q", 4096 if rng else 0, 0, 100 if rng else 0, 0, 0, 0)
    b = balloon or (False, 0)
    p += struct.pack("<?I?I", b[0], b[1], False, 0)
    return p


def snap_config_seeds():
    """fuzz_snap_config: config sections as vmon writes them."""
    return {
        "minimal": snap_config(),
        "every-device": snap_config(
            cpus=2, mem_mib=256,
            disks=[("rootfs", "/r.img", False, True), (None, "/d.img", True, False)],
            nets=[("eth0", "tap0", [6, 0, 0, 0, 0, 1]), (None, "tap1", None)],
            vsock=(3, "/tmp/v.sock"), rng=True, balloon=(True, 64)),
    }


# -- fuzz_migstream: the migration stream (src/lib/migstream.c) --------
MIG_CONFIG, MIG_PAGES, MIG_ROUND, MIG_STATE, MIG_READY, MIG_GO, MIG_ERROR = range(1, 8)


def mig_header(arch=b"x86_64", version=1):
    """Magic 0..8, version 8..12, arch 12..28 (NUL-padded), crc32 of 0..28."""
    h = b"VMONMIG1" + struct.pack("<I", version) + arch.ljust(16, b"\0")
    return h + struct.pack("<I", zlib.crc32(h))


def mig_frame(type_, payload=b""):
    """Type, len, crc32 of the payload (0 when empty), crc32 of those 12."""
    h = struct.pack("<III", type_, len(payload), zlib.crc32(payload) if payload else 0)
    return h + struct.pack("<I", zlib.crc32(h)) + payload


def mig_pages(first, pages):
    return struct.pack("<Q", first) + b"".join(pages)


def migstream_seeds():
    """fuzz_migstream: a stream header, then frames, as the source sends
    them (docs/migration.md, "The stream"); RAM of 16384 pages."""
    page = bytes((i * 31 + 5) & 0xff for i in range(4096))
    return {
        "config": mig_header() + mig_frame(MIG_CONFIG, snap_config()),
        "pages": mig_header() + mig_frame(MIG_PAGES, mig_pages(16383, [page])),
        "round": mig_header() + mig_frame(MIG_ROUND, struct.pack("<IQQ", 1, 32768, 12)),
        "go": mig_header() + mig_frame(MIG_GO, struct.pack("<BI", 1, 42)),
        "error": mig_header() + mig_frame(MIG_ERROR, b"restore failed: \x1b[1mno\x00 /dev/kvm\n"),
        "exchange": mig_header() + mig_frame(MIG_CONFIG, snap_config(cpus=2))
        + mig_frame(MIG_PAGES, mig_pages(0, [bytes(4096)]))
        + mig_frame(MIG_ROUND, struct.pack("<IQQ", 0, 1, 0))
        + mig_frame(MIG_STATE, b"VMONSNAP" + bytes(56))
        + mig_frame(MIG_READY) + mig_frame(MIG_GO, struct.pack("<BI", 1, 7))
        + mig_frame(MIG_ERROR),
    }


def hw_state_seeds():
    """fuzz_hw_state: byte 0 picks the device, the rest is a valid layout-1
    payload of a device in use (src/hw/*.c, "snapshot state")."""
    serial = bytes([0x03, 1, 0x1b, 0x0b, 0, 0xb0, 0x5a, 0x01, 0, 0xc1]) + \
        struct.pack("<H", 5) + b"hello"
    i8042 = bytes([0x45, 0x01, 0xd1, 0, 3, 0x1e, 0x9e, 0x55])
    cmos = bytearray(128)
    cmos[0x0a], cmos[0x0b], cmos[0x0d], cmos[0x40] = 0x26, 0x06, 0x80, 0x12
    rtc = bytes([0x40]) + bytes(cmos) + struct.pack("<q", -3600)
    pm = struct.pack("<HHHQ", 0x0101, 0x0121, 0x0c01, 10 * 10**9)
    return {
        "serial-rx-fifo": bytes([0]) + serial,
        "i8042-queue-pending": bytes([1]) + i8042,
        "rtc-cmos-offset": bytes([2]) + rtc,
        "acpi-pm-enabled": bytes([3]) + pm,
    }


def virtio_state_seeds():
    """fuzz_virtio_state: byte 0 = device (bit 0: balloon) | mode << 1 |
    cut << 2; mode 1 edits a genuine payload with (le16 offset, xor)."""
    def edit(off, x):
        return struct.pack("<HB", off, x)
    return {
        "rng-genuine": bytes([2]) + edit(0, 0),
        "balloon-genuine": bytes([3]) + edit(0, 0),
        "rng-queue-size": bytes([2]) + edit(329, 1),
        "rng-status-flip": bytes([2]) + edit(327, 0x40),
        "rng-vector": bytes([2]) + edit(379, 2),
        "balloon-cut": bytes([3 | 4]) + edit(400, 0),
        "raw-short": bytes([0]) + struct.pack("<HHH", 4, 1, 256),
    }


def vcpu_state_seeds():
    """fuzz_vcpu_state: byte 0 bit 0 VM, bit 1 built-in + (pos, xor)s, bit 2 cut."""
    return {
        "vcpu-intact": bytes([2]),
        "vm-intact": bytes([3]),
        "vcpu-flip-xsave": bytes([2]) + struct.pack("<HB", 300, 0x10),
        "vcpu-cut": bytes([6]) + struct.pack("<H", 4000),
        "vm-flip-ioapic": bytes([3]) + struct.pack("<HB", 1100, 0x02),
        "raw-short": bytes([0]) + struct.pack("<I", 144) + bytes(16),
    }


# -- fuzz_emulate_walk: a 16-byte header, 12-byte accesses, guest RAM ---
PG_P, PG_RW, PG_US, PG_PS = 1, 2, 4, 0x80
ACC_WRITE, ACC_FETCH, ACC_IMPLICIT, ACC_NO_AD = 1, 2, 4, 8
OP_WALK, OP_READ, OP_WRITE = 0, 1, 2


def walk_input(mode, flags, cpl=0, cr3=0, accesses=(), entries=(),
               maxphy=46, pkru=0, pkrs=0, ram=b""):
    """mode: 0 off, 1 32-bit, 2 32-bit + PSE, 3 PAE, 4 4-level, 5 5-level;
    flags: byte 0's bits 3-7 (WP 8, NXE 0x10, SMEP 0x20, SMAP 0x40, keys
    0x80); cpl: byte 1 (CPL, AC 4, fold 8).  Entries (gpa, value, size)
    are laid over ram; every table of a seed shares page 0 (other
    indices), so a seed stays small."""
    hdr = struct.pack("<BBBBIII", mode | flags, cpl, maxphy - 32,
                      len(accesses) - 1, cr3, pkru, pkrs)
    recs = b"".join(struct.pack("<QHBB", la, n, acc, op)
                    for la, n, acc, op in accesses)
    img = bytearray(ram)
    for gpa, val, size in entries:
        if len(img) < gpa + size:
            img += b"\0" * (gpa + size - len(img))
        img[gpa:gpa + size] = val.to_bytes(size, "little")
    return hdr + recs + bytes(img)


def emulate_walk_seeds():
    t = PG_P | PG_RW | PG_US                 # a table: page 0 itself
    la4 = (1 << 39) | (2 << 30) | (3 << 21) | (4 << 12)
    lvl4 = [(1 * 8, t, 8), (2 * 8, t, 8), (3 * 8, t, 8),
            (4 * 8, 0x2000 | t, 8), (5 * 8, 0x3000 | PG_P | PG_RW, 8)]
    la5 = (6 << 48) | la4
    pae_la = (1 << 30) | (16 << 21)
    cross = [(la4 + 0xff8, 16, 0, OP_READ), (la4 + 0xff8, 16, 0, OP_WRITE)]
    return {
        "4level-walks": walk_input(4, 0x18, accesses=[
            (la4 + 0x123, 0, 0, OP_WALK),
            (la4, 0, ACC_WRITE, OP_WALK),
            (la4, 0, ACC_FETCH | ACC_NO_AD, OP_WALK)] + cross,
            entries=lvl4),
        "5level-user-smap": walk_input(5, 0x78, cpl=3, accesses=[
            (la5, 8, 0, OP_READ),
            (la5 + 0xffc, 8, 0, OP_WRITE),
            (la5, 4, ACC_IMPLICIT, OP_READ),
            (la5, 4, ACC_FETCH, OP_READ)],
            entries=[(6 * 8, t, 8)] + lvl4),
        "pae-2m-4k": walk_input(3, 0x18, cr3=0x20, accesses=[
            (pae_la + 0x1ff8, 16, 0, OP_READ),
            (pae_la + (1 << 21) + 0xff0, 32, ACC_WRITE, OP_WRITE),
            (pae_la, 0, ACC_FETCH, OP_WALK)],
            entries=[(0x20 + 8, PG_P, 8),                 # PDPTE 1
                     (16 * 8, PG_P | PG_RW | PG_PS, 8),   # 2 MiB at 0
                     (17 * 8, t, 8),                      # PT: page 0
                     (0, 0x2000 | t, 8)]),                # PT 0
        "32bit-pse": walk_input(2, 0x08, maxphy=40, accesses=[
            (0x00400000 + 0x1ffc, 8, 0, OP_READ),
            (0x00800000, 16, 0, OP_WRITE),
            (0x00800000 | (16 << 12), 4, ACC_FETCH, OP_WALK)],
            entries=[(1 * 4, PG_P | PG_RW | PG_PS, 4),    # 4 MiB at 0
                     (2 * 4, t, 4),                       # PT: page 0
                     (16 * 4, 0x2000 | t, 4)]),
        "keys": walk_input(4, 0x88, accesses=[
            (la4, 8, 0, OP_READ), (la4, 8, 0, OP_WRITE),
            (la4 + 0x1000, 8, 0, OP_READ)],
            entries=[(gpa, val | (5 << 59) if gpa >= 32 else val, n)
                     for gpa, val, n in lvl4],
            pkru=0x400, pkrs=0x800),
        "paging-off": walk_input(0, 0, accesses=[
            (0xffffeff8, 16, 0, OP_READ), (0x1ff8, 16, 0, OP_WRITE)]),
        "fold": walk_input(4, 0x10, cpl=8, cr3=0x1000, accesses=[
            (la4, 64, 0, OP_READ), (0x7fff_ffff_f000, 8, 0, OP_WRITE)],
            ram=bytes((i * 151 + 7) & 0xff | 1 for i in range(2048))),
    }


TARGETS = {
    "fuzz_boot": boot_seeds,
    "fuzz_http": http_seeds,
    "fuzz_virtq": virtq_seeds,
    "fuzz_blk": blk_seeds,
    "fuzz_virtq_transport": transport_seeds,
    "fuzz_net": net_seeds,
    "fuzz_vsock": vsock_seeds,
    "fuzz_snapfile": snapfile_seeds,
    "fuzz_snap_config": snap_config_seeds,
    "fuzz_migstream": migstream_seeds,
    "fuzz_hw_state": hw_state_seeds,
    "fuzz_virtio_state": virtio_state_seeds,
    "fuzz_vcpu_state": vcpu_state_seeds,
    "fuzz_emulate_walk": emulate_walk_seeds,
}
MAX_LEN = 8192      # fuzz_short.sh's -max_len


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] and not check:
        sys.exit(__doc__)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    stale = []
    for target, make in TARGETS.items():
        d = os.path.join(root, target)
        seeds = make()
        for name, data in seeds.items():
            assert len(data) <= MAX_LEN, (target, name, len(data))
            path = os.path.join(d, name)
            if check:
                try:
                    with open(path, "rb") as f:
                        ok = f.read() == data
                except OSError:
                    ok = False
                if not ok:
                    stale.append(path)
                continue
            os.makedirs(d, exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        extra = set(os.listdir(d) if os.path.isdir(d) else []) - set(seeds)
        stale += [os.path.join(d, e) for e in sorted(extra)]
        if not check:
            for e in extra:
                os.remove(os.path.join(d, e))
    if check and stale:
        print("fuzz/corpus differs from fuzz/make_corpus.py:", *stale, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
