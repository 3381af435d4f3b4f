#!/usr/bin/env bash
# vmon's benchmark suite, the one command behind `make bench`:
#
#   make bench            full run (several minutes), results in bench/results/
#   make bench QUICK=1    a quick check that every row still works (< 1 min)
#   bench/run.sh [bench.py options]   e.g. --rows start,exits --runs 20
#
# Installs what is missing with scripts/deps.sh (as root; otherwise it
# names the packages), builds runstat and the floor programs
# (bench/Makefile) and vmon and the test guest if they are not built, then
# runs bench/bench.py.  Env: QUICK, VMON, QEMU, GUEST, BUILD, BENCH_OUT.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BUILD:=$ROOT/build}"
export VMON=${VMON:-$BUILD/vmon}
export QEMU=${QEMU:-qemu-system-x86_64}
export GUEST=${GUEST:-$ROOT/build/guest}
export BENCH_BIN=$BUILD/bench

[ -r /dev/kvm ] && [ -w /dev/kvm ] || { echo "bench: needs read-write /dev/kvm" >&2; exit 1; }
# QEMU, gnuplot, procps, iproute2: installed as root, else named.
"$ROOT/scripts/deps.sh" >&2
command -v "$QEMU" >/dev/null 2>&1 ||
	{ echo "bench: $QEMU missing (package qemu-system-x86)" >&2; exit 1; }
command -v gnuplot >/dev/null 2>&1 || echo "bench: gnuplot missing (package gnuplot-nox): no chart" >&2

if [ ! -x "$VMON" ] || [ ! -f "$GUEST/hello.elf" ]; then
	make -C "$ROOT" vmon guest >&2
fi
make -s -C "$ROOT/bench" O="$BENCH_BIN" >&2

args=()
case "${QUICK:-0}" in 0|"") ;; *) args+=(--quick) ;; esac
[ -z "${BENCH_OUT:-}" ] || args+=(--out "$BENCH_OUT")
exec python3 "$ROOT/bench/bench.py" "${args[@]}" "$@"
