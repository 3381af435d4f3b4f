"""Parsers for what the benchmark reads: runstat's line, the guests'
key=value lines, /proc/PID/status and /proc/PID/smaps."""

import re

_KV = re.compile(r"([A-Za-z_][\w/]*)=(\S+)")


def _number(text):
    """int for decimal digits, the text unchanged otherwise (hex results
    stay strings so they compare exactly)."""
    return int(text) if re.fullmatch(r"-?\d+", text) else text


def kv(line):
    """'a=1 b=0x2 c=x' -> {'a': 1, 'b': '0x2', 'c': 'x'}."""
    return {k: _number(v) for k, v in _KV.findall(line)}


def runstat(text):
    """runstat's output line -> dict of ints; raises ValueError if the
    expected fields are missing."""
    for line in text.splitlines():
        d = kv(line)
        if "status" in d and "wall_ns" in d or "runs" in d and "wall_ns" in d:
            return d
    raise ValueError(f"no runstat line in {text!r}")


def guest_lines(text, prog):
    """All key=value fields of the lines starting with 'PROG: ', merged
    (later lines win), e.g. guest_lines(out, 'ioloop') ->
    {'mode': 'pio', 'port': '0x80', 'cpl': 3, 'n': 1000, 'cycles': ...}."""
    fields = {}
    for line in text.splitlines():
        if line.startswith(prog + ": "):
            fields.update(kv(line[len(prog) + 2:]))
    return fields


def proc_status(text):
    """/proc/PID/status -> {'VmHWM': kib, 'VmRSS': kib, ...} (kB fields)."""
    out = {}
    for line in text.splitlines():
        m = re.fullmatch(r"(\w+):\s+(\d+) kB", line.strip())
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


_MAP = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+(?:\s+(.*))?$")


def smaps(text):
    """/proc/PID/smaps -> [{'name': ..., 'Size': kib, 'Rss': kib, ...}]."""
    maps = []
    for line in text.splitlines():
        m = _MAP.match(line)
        if m:
            maps.append({"name": (m.group(1) or "").strip()})
            continue
        f = re.fullmatch(r"(\w+):\s+(\d+) kB", line.strip())
        if f and maps:
            maps[-1][f.group(1)] = int(f.group(2))
    return maps


def guest_ram_rss(maps, mem_kib):
    """Resident KiB of the guest RAM: the anonymous mappings at least as
    large as the guest RAM (vmon maps it as one, QEMU as one plus
    alignment).  Raises ValueError when there is none."""
    ram = [m for m in maps
           if (m["name"] == "" or m["name"].startswith("[anon:"))
           and m.get("Size", 0) >= mem_kib]
    if not ram:
        raise ValueError(f"no anonymous mapping of at least {mem_kib} KiB")
    return sum(m.get("Rss", 0) for m in ram)
