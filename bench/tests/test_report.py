import json
import unittest

import bench
from benchlib import report
from benchlib.row import Row, finish


def sample_row():
    row = Row("start", "Start")
    row.metric("wall", "wall", "ms", {"vmon": [3, 2, 4], "qemu": [30, 31, 29], "floor": [1, 1, 1]})
    row.metric("extra", "json only", "ms", {"vmon": [1]}, table=False)
    row.ratio("vmon/floor", "vmon / floor", ("vmon", "wall"), ("floor", "wall"))
    row.ratio("qemu/vmon", "QEMU / vmon", ("qemu", "wall"), ("vmon", "wall"))
    row.goal("vmon/floor", "<=", 1.5, "at most 1.5x the floor")
    row.goal("qemu/vmon", ">=", 10, "10x faster than QEMU")
    row.goal("vmon:wall", "<=", 5, "under 5 ms")
    return row.result()


class TestRow(unittest.TestCase):
    def test_ratios_and_goals(self):
        r = sample_row()
        ratios = {x["id"]: x["value"] for x in r["ratios"]}
        self.assertEqual(ratios, {"vmon/floor": 3.0, "qemu/vmon": 10.0})
        met = [(g["of"], g["met"]) for g in r["goals"]]
        self.assertEqual(met, [("vmon/floor", False), ("qemu/vmon", True), ("vmon:wall", True)])
        self.assertEqual(r["metrics"][0]["summary"]["vmon"],
                         {"median": 3, "min": 2, "max": 4, "n": 3})

    def test_finish_is_repeatable_from_json(self):
        r = sample_row()
        again = finish(json.loads(json.dumps(r)))
        self.assertEqual(again["goals"], r["goals"])

    def test_unknown_system(self):
        with self.assertRaises(ValueError):
            Row("x", "x").metric("m", "m", "ms", {"firecracker": [1]})


class TestReport(unittest.TestCase):
    def test_num(self):
        self.assertEqual([report.num(x) for x in (1234.5, 23.45, 1.234, 0.98765, None)],
                         ["1234", "23.4", "1.23", "0.988", "-"])

    def test_table(self):
        t = report.table([sample_row()])
        lines = t.splitlines()
        self.assertTrue(lines[0].startswith("| # | measure | vmon | QEMU microvm | floor |"))
        self.assertIn("| 3.00 (2.00–4.00) | 30.0 (29.0–31.0) | 1.00 (1.00–1.00) |", t)
        self.assertIn("**3.00×** (≤ 1.50×: **MISSED**)", t)
        self.assertIn("**10.0×** (≥ 10.0×: met)", t)
        self.assertIn("≤ 5.00 ms: met", t)
        self.assertNotIn("json only", t)

    def test_missed_lines(self):
        lines = report.missed([sample_row(), {"id": "x", "title": "Broken", "error": "boom\nmore"}])
        self.assertEqual(lines, [
            "MISSED: row 1 (Start): at most 1.5x the floor: vmon/floor is 3.00×, goal ≤ 1.50×",
            "FAILED: row 2 (Broken): boom"])

    def test_failed_row_in_table(self):
        t = report.table([{"id": "x", "title": "Broken", "error": "boom"}])
        self.assertIn("FAILED: boom", t)

    def test_chart_data(self):
        blocks = report.chart_data([sample_row()])
        self.assertEqual(len(blocks), 1)
        title, lines = blocks[0]
        self.assertEqual(title, "1. Start")
        self.assertEqual(lines, ['"wall (ms)" 3.0 2.0 4.0 30.0 29.0 31.0 1.0 1.0 1.0'])
        row = Row("m", "M")
        row.metric("x", "x", "MiB", {"vmon": [2]})
        self.assertIn("NaN", report.chart_data([row.result()])[0][1][0])


class TestAlternate(unittest.TestCase):
    def test_order_and_warmup(self):
        calls = []
        ctx = bench.Context(None, {"runs": 2, "warmup": 1}, {}, lambda *a, **k: None)
        out = ctx.alternate({"a": lambda: calls.append("a") or len(calls),
                             "b": lambda: calls.append("b") or len(calls)})
        self.assertEqual(calls, ["a", "b", "a", "b", "a", "b"])
        self.assertEqual(out, {"a": [3, 5], "b": [4, 6]})


if __name__ == "__main__":
    unittest.main()
