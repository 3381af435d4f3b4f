#!/usr/bin/env bash
# vmon-independent
# A short libFuzzer run of every fuzz target (fuzz/fuzz_*.c), FUZZ_TIME
# seconds each (default 20; `make fuzz-long` sets 600).  Builds them with
# `make fuzz` (clang, ASan, UBSan) into build/fuzz/ and keeps each
# target's corpus in build/fuzz/corpus/NAME, so runs build on each other;
# the checked-in seeds of fuzz/corpus/NAME (fuzz/make_corpus.py, checked
# to be what it writes) are read too, never written.
# A crash, leak, sanitizer report or timeout fails the test and leaves
# the reproducer in build/fuzz/.  Skips (77) without clang's libFuzzer.
source "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

T=${FUZZ_TIME:-20}
need_cmd clang clang
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$TMP/probe.c"
clang -fsanitize=fuzzer,address,undefined "$TMP/probe.c" -o "$TMP/probe" >/dev/null 2>&1 ||
	skip "clang cannot link -fsanitize=fuzzer (install libclang-rt-14-dev)"

make -C "$ROOT" fuzz >"$TMP/build.log" 2>&1 ||
	{ tail -n 30 "$TMP/build.log"; fail "make fuzz failed"; }

python3 "$ROOT/fuzz/make_corpus.py" --check ||
	fail "fuzz/corpus is stale: run fuzz/make_corpus.py and commit what it writes"

n=0
for src in "$ROOT"/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	bin=$ROOT/build/fuzz/$name
	corpus=$ROOT/build/fuzz/corpus/$name
	seeds=$ROOT/fuzz/corpus/$name
	[ -x "$bin" ] || fail "$bin was not built"
	[ -d "$seeds" ] || fail "$name has no seeds in fuzz/corpus/$name (fuzz/make_corpus.py)"
	mkdir -p "$corpus"
	log=$TMP/$name.log
	# -timeout: one input may take at most 10 s; artifacts next to bins.
	(cd "$ROOT/build/fuzz" && timeout -k 10 $((T + 120)) "$bin" \
		-max_total_time="$T" -max_len=8192 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$ROOT/build/fuzz/$name-" "$corpus" "$seeds") >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$log" | head -n 20
		tail -n 20 "$log"
		fail "$name: exit status $rc"
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	cov0=$(sed -n 's/.*INITED cov: \([0-9]*\).*/\1/p' "$log" | head -n 1)
	echo "$name: ${runs:-?} inputs in ${T}s ($((${runs:-0} / T))/s), $cov (${cov0:-?} after loading the corpus), corpus $(ls "$corpus" | wc -l) + $(ls "$seeds" | wc -l) seeds"
	n=$((n + 1))
done
[ $n -gt 0 ] || fail "no fuzz targets in fuzz/"
echo "PASS: $n fuzz targets ran ${T}s each without a finding"
