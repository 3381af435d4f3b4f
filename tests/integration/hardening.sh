#!/usr/bin/env bash
# run-once
# The release vmon is built hardened (the Makefile's VMON_HARDEN_* and
# VMON_FORTIFY, docs/hardening.md), and this reads the binary to prove
# it: a PIE (ELF type DYN, FLAGS_1 PIE), a GNU_RELRO segment that holds
# the whole GOT, BIND_NOW, a stack that is not executable, stack canaries
# and fortified calls in vmon's own functions, and CET (IBT, SHSTK).
# Canaries and fortify are looked for in the functions vmon defines (the
# global ones of $BUILD/src/**/*.o), since the static libc brings its own
# __stack_chk_fail either way.  Once, on the release build: the sanitizer
# builds are dynamic and leave FORTIFY out on purpose.
#
# Env: VMON, BUILD (the runner sets them).  Exit 0 pass, 77 skip, else fail.
source "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

need_cmd readelf binutils
need_cmd objdump binutils
need_cmd nm binutils
[ -x "$VMON" ] || fail "$VMON missing: run make first"
objs=$(find "$BUILD/src" -name '*.o' 2>/dev/null)
[ -n "$objs" ] || fail "no objects under $BUILD/src to tell vmon's own functions from libc's"

missing=()
miss() { missing+=("$*"); echo "missing: $*"; }
ok() { echo "ok: $*"; }

readelf -hW "$VMON" >"$TMP/h" && readelf -lW "$VMON" >"$TMP/l" &&
	readelf -dW "$VMON" >"$TMP/d" && readelf -SW "$VMON" >"$TMP/s" &&
	readelf -nW "$VMON" >"$TMP/n" || fail "readelf cannot read $VMON"

# PIE: a position-independent executable is ELF type DYN marked PIE (a
# shared library is DYN too, without the flag).
if grep -Eq '^ *Type: +DYN' "$TMP/h" && grep -Eq '\(FLAGS_1\).* PIE' "$TMP/d"; then
	ok "PIE (ELF type DYN, FLAGS_1 PIE)"
else
	miss "PIE: ELF type $(sed -n 's/^ *Type: *//p' "$TMP/h"), FLAGS_1 '$(sed -n 's/.*(FLAGS_1) *//p' "$TMP/d")' (link with -static-pie or -pie)"
fi

# RELRO, and full RELRO: every GOT section inside the GNU_RELRO segment
# (without -z now, .got.plt stays writable after start-up; in a static
# PIE it holds the pointers of libc's ifuncs).
relro=$(awk '$1 == "GNU_RELRO" { print $3, $6 }' "$TMP/l")
if [ -z "$relro" ]; then
	miss "GNU_RELRO segment (link with -Wl,-z,relro)"
else
	ok "GNU_RELRO segment"
	read -r rstart rsize <<<"$relro"
	rend=$((rstart + rsize))
	while read -r name addr size; do
		a=$((16#$addr)) e=$((16#$addr + 16#$size))
		if [ "$a" -ge $((rstart)) ] && [ "$e" -le "$rend" ]; then
			ok "$name inside GNU_RELRO"
		else
			miss "$name outside GNU_RELRO, writable after start-up (0x$addr, 0x$size bytes; GNU_RELRO $rstart, $rsize bytes; link with -Wl,-z,now)"
		fi
	done < <(sed 's/^ *\[ *[0-9]*\] *//' "$TMP/s" | awk '$1 ~ /^\.got/ && $2 == "PROGBITS" && $1 != ".plt.got" { print $1, $3, $5 }')
fi

# BIND_NOW: a static PIE resolves everything at start-up anyway; the flag
# is what tells the linker to put the GOT under RELRO (above) and what
# the loader of a dynamic build obeys.
if grep -Eq '\(FLAGS\).*BIND_NOW|\(FLAGS_1\).* NOW' "$TMP/d"; then
	ok "BIND_NOW ($(grep -E '\((FLAGS|FLAGS_1)\)' "$TMP/d" | sed 's/.*(\(FLAGS[_1]*\)) *\(Flags: \)*/\1 /' | paste -sd ,))"
else
	miss "BIND_NOW / FLAGS_1 NOW (link with -Wl,-z,now)"
fi

# A non-executable stack: GNU_STACK present, without E.
stack=$(awk '$1 == "GNU_STACK" { print $(NF - 1) }' "$TMP/l")
case "$stack" in
"") miss "GNU_STACK segment (the kernel would make the stack executable)" ;;
*E*) miss "non-executable stack: GNU_STACK is $stack (an object without .note.GNU-stack, or -z execstack)" ;;
*) ok "GNU_STACK $stack, not executable" ;;
esac

# vmon's own global functions, and what each calls or jumps to.
nm --defined-only $objs 2>/dev/null | awk '$2 == "T" { print $3 }' | sort -u >"$TMP/own"
[ -s "$TMP/own" ] || fail "no global functions in $BUILD/src/**/*.o"
objdump -d --no-show-raw-insn "$VMON" >"$TMP/dis" || fail "objdump cannot disassemble $VMON"
# "function first-instruction" and "function callee" lines, own functions only.
awk -v own="$TMP/own" '
BEGIN { while ((getline f < own) > 0) mine[f] = 1 }
/^[0-9a-f]+ <.*>:$/ { fn = $2; gsub(/[<>:]/, "", fn); first = 1; next }
!(fn in mine) { next }
/^ +[0-9a-f]+:\t/ {
	split($0, p, "\t"); insn = p[2]
	if (first) { print "first", fn, insn; first = 0 }
	if (insn ~ /^(call|jmp) / && match(insn, /<[^>+]*>/))
		print "calls", fn, substr(insn, RSTART + 1, RLENGTH - 2)
}' "$TMP/dis" >"$TMP/own.dis"
nown=$(wc -l <"$TMP/own")

# Stack protector: -fstack-protector-strong puts a canary in every function
# with a local array or an address-taken local; its check calls
# __stack_chk_fail.
n=$(awk '$1 == "calls" && $3 == "__stack_chk_fail" { print $2 }' "$TMP/own.dis" | sort -u | wc -l)
if [ "$n" -gt 0 ]; then
	ok "stack protector: $n of vmon's $nown global functions check a canary"
else
	miss "stack protector: none of vmon's $nown global functions calls __stack_chk_fail (-fstack-protector-strong)"
fi

# FORTIFY: calls of glibc's checking variants (__snprintf_chk, ...); the
# ifunc'd ones (__memcpy_chk) go through the PLT without a name.
n=$(awk '$1 == "calls" && $3 ~ /^_+[a-z0-9_]+_chk$/ && $3 !~ /stack_chk/ { print $2 }' "$TMP/own.dis" | sort -u | wc -l)
if [ "$n" -gt 0 ]; then
	ok "FORTIFY: $n of vmon's global functions call __*_chk ($(awk '$1 == "calls" && $3 ~ /_chk$/ && $3 !~ /stack_chk/ { print $3 }' "$TMP/own.dis" | sort -u | paste -sd ' '))"
else
	miss "FORTIFY: no call of a __*_chk function from vmon's code (_FORTIFY_SOURCE, which needs -O1 or more; src/lib/fortify.h)"
fi

# CET: the linker gives the binary IBT and SHSTK only if every input has
# them, libc's start files and static archives included.  A libc built
# without CET (Debian 12's: its _start has no endbr64) makes that
# impossible whatever vmon does; then vmon's own part is checked: every
# object carries the property and every global function starts with
# endbr64 (-fcf-protection).
if grep -q 'x86 feature:.*IBT' "$TMP/n" && grep -q 'x86 feature:.*SHSTK' "$TMP/n"; then
	ok "CET property note: $(grep -o 'x86 feature:.*' "$TMP/n" | head -n 1)"
else
	start=$(awk '/^[0-9a-f]+ <_start>:$/ { getline; split($0, p, "\t"); print p[2]; exit }' "$TMP/dis")
	if [ "$start" = endbr64 ]; then
		miss "CET property note (IBT, SHSTK): libc's _start has endbr64, so another input lacks the property (link with -Wl,-z,cet-report=warning to see which)"
	else
		echo "note: no IBT/SHSTK note on the binary, and none possible: libc's _start has no endbr64 (libc built without CET), so the linker drops it; checking vmon's own code"
		lacking=0
		for o in $objs; do
			readelf -nW "$o" | grep -q 'x86 feature:.*IBT, SHSTK' ||
				{ lacking=$((lacking + 1)); [ "$lacking" -gt 3 ] || echo "  no IBT, SHSTK property: $o"; }
		done
		if [ "$lacking" -eq 0 ]; then
			ok "CET: all $(echo "$objs" | wc -w) objects carry IBT, SHSTK"
		else
			miss "CET: $lacking objects without the IBT, SHSTK property (-fcf-protection)"
		fi
		awk '$1 == "first" && $3 != "endbr64" { print $2 }' "$TMP/own.dis" >"$TMP/noendbr"
		if [ -s "$TMP/noendbr" ]; then
			miss "CET: $(wc -l <"$TMP/noendbr") of vmon's global functions do not start with endbr64 (-fcf-protection), e.g. $(head -n 3 "$TMP/noendbr" | paste -sd ' ')"
		else
			ok "CET: all $(awk '$1 == "first"' "$TMP/own.dis" | wc -l) of vmon's global functions in the binary start with endbr64"
		fi
	fi
fi

[ ${#missing[@]} -eq 0 ] || fail "$VMON is not hardened, missing: $(printf '%s; ' "${missing[@]%% (*}" | sed 's/; $//')"
echo "PASS: $VMON is hardened"
