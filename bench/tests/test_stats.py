import math
import unittest

from benchlib import stats


class TestSummarize(unittest.TestCase):
    def test_odd_and_even(self):
        self.assertEqual(stats.summarize([3, 1, 2]), {"median": 2, "min": 1, "max": 3, "n": 3})
        self.assertEqual(stats.summarize([4, 1, 2, 3])["median"], 2.5)

    def test_empty_and_missing(self):
        self.assertIsNone(stats.summarize([]))
        self.assertIsNone(stats.summarize([None, math.nan]))
        self.assertEqual(stats.summarize([None, 5])["n"], 1)


class TestRatioAndGoals(unittest.TestCase):
    def test_ratio_of_medians(self):
        a, b = stats.summarize([10, 20, 30]), stats.summarize([4, 5, 6])
        self.assertEqual(stats.ratio(a, b), 4.0)

    def test_ratio_undefined(self):
        self.assertIsNone(stats.ratio(None, stats.summarize([1])))
        self.assertIsNone(stats.ratio(stats.summarize([1]), stats.summarize([0])))

    def test_check(self):
        self.assertTrue(stats.check(1.5, "<=", 1.5))
        self.assertFalse(stats.check(1.51, "<=", 1.5))
        self.assertTrue(stats.check(0.99, ">=", 0.99))
        self.assertFalse(stats.check(1.0, ">", 1.0))
        self.assertIsNone(stats.check(None, ">", 1.0))

    def test_per_exit(self):
        # 1000 exits took 2 ms more than the run without any: 2 us each.
        self.assertEqual(stats.per_exit(12_000_000, 10_000_000, 1000), 2000)
        with self.assertRaises(ValueError):
            stats.per_exit(1, 1, 0)


if __name__ == "__main__":
    unittest.main()
