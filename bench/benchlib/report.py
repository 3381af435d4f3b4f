"""The report: the markdown table, MISSED lines, the JSON file and the
gnuplot chart."""

import json
import math
import os
import shutil
import subprocess

from .row import SYSTEMS

HEADERS = {"vmon": "vmon", "qemu": "QEMU microvm", "floor": "floor"}
OP_TEXT = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}


def num(x):
    """Three significant figures or so, no exponent."""
    if x is None or math.isnan(x):
        return "-"
    a = abs(x)
    if a >= 100:
        return f"{x:.0f}"
    if a >= 10:
        return f"{x:.1f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def cell(summary):
    """'median (min–max)' or empty."""
    if not summary:
        return ""
    return f"{num(summary['median'])} ({num(summary['min'])}–{num(summary['max'])})"


def goal_text(g):
    verdict = {True: "met", False: "**MISSED**", None: "no figure"}[g["met"]]
    unit = "×" if g["unit"] == "x" else " " + g["unit"]
    return f"{OP_TEXT[g['op']]} {num(g['target'])}{unit}: {verdict}"


def table(rows):
    """Markdown table: one line per metric and per ratio."""
    out = ["| # | measure | " + " | ".join(HEADERS[s] for s in SYSTEMS) + " | ratio, goal |",
           "|---|---|" + "---|" * len(SYSTEMS) + "---|"]
    for i, row in enumerate(rows, 1):
        i = row.get("number", i)
        first = True

        def line(measure, cells, last):
            nonlocal first
            label = f"{i}" if first else ""
            title = f"**{row['title']}**<br>" if first else ""
            first = False
            out.append(f"| {label} | {title}{measure} | " + " | ".join(cells) + f" | {last} |")

        if row.get("error"):
            line("FAILED: " + row["error"].splitlines()[0], [""] * len(SYSTEMS), "")
            continue
        goals_on = {}
        for g in row["goals"]:
            goals_on.setdefault(g["of"], []).append(goal_text(g))
        for m in row["metrics"]:
            if not m["table"]:
                continue
            cells = [cell(m["summary"].get(s)) for s in SYSTEMS]
            last = "; ".join(t for s in SYSTEMS for t in goals_on.get(f"{s}:{m['id']}", []))
            line(f"{m['label']}, {m['unit']}", cells, last)
        for r in row["ratios"]:
            value = f"**{num(r['value'])}×**" if r["value"] is not None else "-"
            goals = goals_on.get(r["id"], [])
            line(r["label"], [""] * len(SYSTEMS), value + (" (" + "; ".join(goals) + ")" if goals else ""))
    return "\n".join(out)


def missed(rows):
    """One 'MISSED: ...' line per goal not met, 'FAILED: ...' per row that
    could not be measured."""
    lines = []
    for i, row in enumerate(rows, 1):
        i = row.get("number", i)
        if row.get("error"):
            lines.append(f"FAILED: row {i} ({row['title']}): {row['error'].splitlines()[0]}")
            continue
        for g in row["goals"]:
            if g["met"] is False:
                unit = "×" if g["unit"] == "x" else " " + g["unit"]
                lines.append(f"MISSED: row {i} ({row['title']}): {g['text']}: "
                             f"{g['of']} is {num(g['value'])}{unit}, goal {OP_TEXT[g['op']]} "
                             f"{num(g['target'])}{unit}")
    return lines


def header(doc):
    m = doc["machine"]
    return (f"Measured {doc['date']} on {m['cpu']} ({m['nproc']} CPUs), Linux {m['kernel']}, "
            f"KVM module {m['kvm_module']}; {m['vmon']}, tree at commit {m['commit']}; "
            f"{m['qemu']}.  Medians of {doc['settings']['runs']} runs after "
            f"{doc['settings']['warmup']} warm-up, (min–max); runs alternate vmon, QEMU, floor.  "
            f"Load average {' '.join(m.get('loadavg', ['?'])[:1])} before, "
            f"{' '.join(m.get('loadavg_end', ['?'])[:1])} after.")


def markdown(doc, name="latest"):
    parts = [header(doc), "", table(doc["rows"]), ""]
    if doc["settings"].get("mode") == "quick":
        parts.insert(0, "QUICK MODE: few runs and small N, a check that every row still works; "
                        "its figures and MISSED lines mean little.\n")
    notes = missed(doc["rows"])
    if notes:
        parts += ["```", *notes, "```", ""]
    parts.append(f"How each row is measured: `bench/README.md`.  All samples: "
                 f"`bench/results/{name}.json`, chart: `bench/results/{name}.png`.")
    return "\n".join(parts) + "\n"


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def write_json(path, doc):
    write_atomic(path, json.dumps(doc, indent=1, sort_keys=False) + "\n")


def chart_data(rows):
    """Per row, gnuplot data lines: label, then median/min/max for each
    system ('NaN' where a system has no figure)."""
    blocks = []
    for i, row in enumerate(rows, 1):
        i = row.get("number", i)
        if row.get("error"):
            continue
        lines = []
        for m in row["metrics"]:
            if not m["table"]:
                continue
            vals = []
            for s in SYSTEMS:
                summ = m["summary"].get(s)
                vals += [num_g(summ, k) for k in ("median", "min", "max")]
            label = f"{m['label']} ({m['unit']})".replace('"', "'")
            lines.append(f'"{label}" ' + " ".join(vals))
        if lines:
            blocks.append((f"{i}. {row['title']}", lines))
    return blocks


def num_g(summ, key):
    return repr(float(summ[key])) if summ else "NaN"


def chart(path, rows, tmpdir, title=""):
    """A PNG with one panel per row: bars per system with min-max error
    bars, log scale where a panel's figures span more than 10 times.
    Returns False when gnuplot is not installed."""
    gnuplot = shutil.which("gnuplot")
    blocks = chart_data(rows)
    if not gnuplot or not blocks:
        return False
    data = os.path.join(tmpdir, "chart.dat")
    with open(data, "w") as f:
        for _, lines in blocks:
            f.write("\n".join(lines) + "\n\n\n")
    cols = 2
    nrows = (len(blocks) + cols - 1) // cols
    script = [
        f"set terminal pngcairo size {cols * 700},{nrows * 420} font ',9'" if _has_cairo(gnuplot)
        else f"set terminal png size {cols * 700},{nrows * 420}",
        f"set output '{path}.tmp'",
        "set termoption noenhanced",
        f"set multiplot layout {nrows},{cols} title \"{title}\"",
        "set style data histogram",
        "set style histogram errorbars gap 1 lw 1",
        "set style fill solid 0.6 border -1",
        "set grid ytics", "set key outside right top vertical noenhanced",
        "set xtics rotate by -20 scale 0 noenhanced", "set datafile missing 'NaN'",
    ]
    for idx, (panel, lines) in enumerate(blocks):
        values = [float(v) for line in lines for v in line.rsplit('"', 1)[1].split()
                  if v != "NaN" and float(v) > 0]
        wide = values and max(values) / min(values) > 10
        script.append("set autoscale y; set logscale y" if wide
                      else "unset logscale y; set yrange [0:*]")
        script.append(f"set title \"{panel}\" noenhanced")
        plots = []
        for j, s in enumerate(SYSTEMS):
            c = 2 + 3 * j
            xt = ":xtic(1)" if j == 0 else ""
            plots.append(f"'{data}' index {idx} using {c}:{c + 1}:{c + 2}{xt} title '{HEADERS[s]}'")
        script.append("plot " + ", ".join(plots))
    script.append("unset multiplot")
    p = subprocess.run([gnuplot], input="\n".join(script) + "\n", text=True,
                       capture_output=True)
    if p.returncode != 0 or not os.path.exists(path + ".tmp"):
        raise RuntimeError("gnuplot failed: " + p.stderr[-1000:])
    os.replace(path + ".tmp", path)
    return True


def _has_cairo(gnuplot):
    p = subprocess.run([gnuplot, "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" in (p.stdout + p.stderr)
