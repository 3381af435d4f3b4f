#!/usr/bin/env bash
# vmon-independent
# The benchmark suite must not rot: runs its unit tests (parsing,
# statistics, the report) and then `make bench QUICK=1`'s run
# (bench/run.sh with QUICK=1: every row, few runs, small N) and checks
# that every row produced figures and the files were written.  Timings
# are never asserted.  Not run again under the sanitizer build: a
# benchmark of an ASan binary means nothing.
#
# Env: VMON, ROOT, BUILD, GUEST (the runner sets them); QEMU (default
# qemu-system-x86_64).  Exit 0 pass, 77 skip, else fail.
set -u
source "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

need_cmd python3 python3
echo "--- bench unit tests"
(cd "$ROOT/bench" && python3 -m unittest 2>&1) || fail "bench unit tests failed"

QEMU=${QEMU:-qemu-system-x86_64}
need_kvm
need_cmd "$QEMU" qemu-system-x86
# The network row makes its own namespace and TAP, with sysctl in it.
need_cmd sysctl procps
need_netns "vmon-bq-$$" vmbqtap0
[ -x "$VMON" ] || fail "$VMON missing: run 'make' first"
[ -f "$GUEST/hello.elf" ] || fail "$GUEST/hello.elf missing: run 'make guest' first"

echo "--- bench/run.sh QUICK=1"
QUICK=1 BENCH_OUT="$TMP" VMON="$VMON" BUILD="$BUILD" GUEST="$GUEST" QEMU="$QEMU" \
	timeout -k 5 300 "$ROOT/bench/run.sh" 2>&1 | tee "$TMP/log"
rc=${PIPESTATUS[0]}
[ "$rc" = 0 ] || fail "bench/run.sh QUICK=1 exited with $rc"

for f in quick.json quick.md; do
	[ -s "$TMP/$f" ] || fail "$f not written"
done
python3 - "$TMP/quick.json" <<'PY' || fail "quick.json incomplete"
import json, math, sys
doc = json.load(open(sys.argv[1]))
want = {"start", "memory", "exits", "compute", "rate"}
got = {r["id"] for r in doc["rows"]}
assert want <= got, f"rows missing: {want - got}"
for r in doc["rows"]:
    assert not r.get("error"), f"row {r['id']} failed: {r['error']}"
    for m in r["metrics"]:
        for system, summary in m["summary"].items():
            assert summary and summary["n"] >= 1, f"{r['id']}/{m['id']}/{system}: no samples"
            # A number, whatever its value: quick runs are too short for
            # the figures to mean anything (a per-exit cost derived from
            # two short runs can even come out negative under load).
            med = summary["median"]
            assert isinstance(med, (int, float)) and math.isfinite(med), \
                f"{r['id']}/{m['id']}/{system}: median {med!r}"
print("quick.json: all rows measured")
PY
expect_in "$TMP/log" '^\| 1 \| \*\*Start to finish' "the table"
echo "bench_quick: passed"
