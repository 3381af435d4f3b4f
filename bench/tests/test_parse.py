import unittest

from benchlib import parse

SMAPS = """\
558d8b2ff000-558d8b301000 r--p 00000000 fe:00 5316976                    /work/main/build/vmon
Size:                  8 kB
Rss:                   8 kB
VmFlags: rd mr mw me sd
7f861f000000-7f861f800000 rw-p 00000000 00:00 0 
Size:               8192 kB
Rss:                   8 kB
7f861f800000-7f8627800000 rw-p 00000000 00:00 0 
Size:             131072 kB
KernelPageSize:        4 kB
Rss:                 296 kB
AnonHugePages:         0 kB
7f8627d04000-7f8627d07000 rw-s 00000000 00:10 1038                       anon_inode:kvm-vcpu:0
Size:                 12 kB
Rss:                   8 kB
"""


class TestKv(unittest.TestCase):
    def test_numbers_and_strings(self):
        self.assertEqual(parse.kv("n=1000 cycles=5 result=0x00ff mode=pio cycles/op=7"),
                         {"n": 1000, "cycles": 5, "result": "0x00ff", "mode": "pio",
                          "cycles/op": 7})

    def test_runstat(self):
        d = parse.runstat("status=1 wall_ns=123 user_ns=4 sys_ns=5 maxrss_kib=2048\n")
        self.assertEqual(d, {"status": 1, "wall_ns": 123, "user_ns": 4, "sys_ns": 5,
                             "maxrss_kib": 2048})
        self.assertEqual(parse.runstat("runs=40 failed=0 wall_ns=9\n")["runs"], 40)
        self.assertEqual(parse.runstat("status=0 wall_ns=1 user_ns=0 sys_ns=0 maxrss_kib=980 "
                                       "hwm_kib=1152\n")["hwm_kib"], 1152)
        with self.assertRaises(ValueError):
            parse.runstat("runstat: vmon: No such file or directory\n")


class TestGuestLines(unittest.TestCase):
    def test_ioloop(self):
        out = ("ioloop: mode=pio port=0x80 cpl=3\nvmon: warning: something n=5\n"
               "ioloop: n=1000 cycles=165054000\nioloop: cycles/op=165054\n")
        f = parse.guest_lines(out, "ioloop")
        self.assertEqual((f["n"], f["cycles"], f["cpl"], f["port"]), (1000, 165054000, 3, "0x80"))

    def test_compute(self):
        out = "compute: iters=100000000 result=0xfec1d49e2b4cb883\ncompute: cycles=389972748\n"
        self.assertEqual(parse.guest_lines(out, "compute"),
                         {"iters": 100000000, "result": "0xfec1d49e2b4cb883",
                          "cycles": 389972748})

    def test_other_prefix_ignored(self):
        self.assertEqual(parse.guest_lines("computer: n=1\n", "compute"), {})


class TestProc(unittest.TestCase):
    def test_status(self):
        st = parse.proc_status("Name:\tvmon\nVmHWM:\t    2348 kB\nVmRSS:\t    2300 kB\n"
                               "Threads:\t2\n")
        self.assertEqual(st, {"VmHWM": 2348, "VmRSS": 2300})

    def test_smaps(self):
        maps = parse.smaps(SMAPS)
        self.assertEqual(len(maps), 4)
        self.assertEqual(maps[0]["name"], "/work/main/build/vmon")
        self.assertEqual(maps[2], {"name": "", "Size": 131072, "KernelPageSize": 4,
                                   "Rss": 296, "AnonHugePages": 0})

    def test_guest_ram_rss(self):
        maps = parse.smaps(SMAPS)
        self.assertEqual(parse.guest_ram_rss(maps, 128 * 1024), 296)
        with self.assertRaises(ValueError):
            parse.guest_ram_rss(maps, 1024 * 1024)


if __name__ == "__main__":
    unittest.main()
