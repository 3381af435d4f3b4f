"""A row of the results table: metrics measured per system, ratios of
their medians, and goals on ratios or metrics.  Rows build one of these;
the report only reads its dict form (Row.result())."""

from . import stats

SYSTEMS = ("vmon", "qemu", "floor")   # the table's columns, in order


class Row:
    def __init__(self, rid, title, method=""):
        self.id, self.title, self.method = rid, title, method
        self.metrics, self.ratios, self.goals = [], [], []

    def metric(self, mid, label, unit, samples, table=True):
        """samples: {system: [numbers]}.  table=False keeps it in the JSON
        only."""
        unknown = set(samples) - set(SYSTEMS)
        if unknown:
            raise ValueError(f"unknown systems {unknown}")
        self.metrics.append({"id": mid, "label": label, "unit": unit, "table": table,
                             "samples": {s: list(v) for s, v in samples.items()}})

    def ratio(self, rid, label, num, den):
        """num, den: (system, metric id); the ratio of their medians."""
        self.ratios.append({"id": rid, "label": label, "num": list(num), "den": list(den)})

    def goal(self, of, op, target, text):
        """of: a ratio id, or 'system:metric' for a metric's median."""
        self.goals.append({"of": of, "op": op, "target": target, "text": text})

    def result(self):
        """The row as a dict with summaries, ratio values and goal checks."""
        return finish({"id": self.id, "title": self.title, "method": self.method,
                       "metrics": self.metrics, "ratios": self.ratios,
                       "goals": self.goals})


def finish(row):
    """Fills in 'summary' per metric and system, 'value' per ratio and
    'value'/'met' per goal.  Works on plain dicts (as read from JSON)."""
    by_id = {}
    for m in row["metrics"]:
        m["summary"] = {s: stats.summarize(v) for s, v in m["samples"].items()}
        by_id[m["id"]] = m
    ratios = {}
    for r in row["ratios"]:
        (ns, nm), (ds, dm) = r["num"], r["den"]
        r["value"] = stats.ratio(by_id[nm]["summary"].get(ns), by_id[dm]["summary"].get(ds))
        ratios[r["id"]] = r
    for g in row["goals"]:
        if g["of"] in ratios:
            g["value"] = ratios[g["of"]]["value"]
            g["unit"] = "x"
        else:
            system, mid = g["of"].split(":")
            summ = by_id[mid]["summary"].get(system)
            g["value"] = summ["median"] if summ else None
            g["unit"] = by_id[mid]["unit"]
        g["met"] = stats.check(g["value"], g["op"], g["target"])
    return row
