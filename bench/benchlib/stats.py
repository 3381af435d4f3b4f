"""Statistics: medians with min and max, ratios of medians, goals."""

import math
import statistics

OPS = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
}


def summarize(samples):
    """Median, min, max and count of a list of numbers (None if empty)."""
    xs = [float(x) for x in samples if x is not None and not math.isnan(x)]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def ratio(num, den):
    """num / den for two summaries (their medians), None when undefined."""
    if not num or not den or den["median"] == 0:
        return None
    return num["median"] / den["median"]


def check(value, op, target):
    """True/False whether value op target holds; None if value is None."""
    if value is None:
        return None
    return OPS[op](value, target)


def per_exit(wall_ns, base_ns, n):
    """Cost of one loop iteration from a run of n iterations and the
    median of runs with none: (wall - base) / n."""
    if n <= 0:
        raise ValueError("n must be positive")
    return (wall_ns - base_ns) / n
