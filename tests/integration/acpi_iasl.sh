#!/usr/bin/env bash
# vmon's ACPI tables through ACPICA's iasl, the reference disassembler.
# For 1, 4 and 254 vCPUs, acpi_dump writes every table reachable from the
# RSDP; then each table must
#   - disassemble (iasl -d) without any error or warning,
#   - recompile from that disassembly to the same bytes (apart from the
#     header fields iasl rewrites and the resource EndTag checksums, which
#     iasl leaves 0 and we fill in),
#   - show the devices, processors and FADT fields we mean to describe;
# then ACPICA's interpreter (acpiexec, same package) loads the DSDT, FADT
# and MADT and evaluates \_S5, _STA, _UID and every legacy device's _CRS.
# Env: ROOT, BUILD (the runner sets them).  Exit 0 pass, 77 skip, else fail.
set -u
source "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

DUMP=$BUILD/tests/tools/acpi_dump
need_cmd iasl acpica-tools
need_cmd acpiexec acpica-tools
[ -x "$DUMP" ] || fail "$DUMP missing: run 'make tools' (or SAN=1) first"

errors=0
bad() { echo "FAIL: $*"; errors=$((errors + 1)); }

# Decimal bytes of a file, one per line.
bytes() { od -An -v -tu1 "$1" | tr -s ' ' '\n' | sed '/^$/d'; }

# The RSDP has no standard header, and this iasl will not read it from a
# file: check signature, length and both checksums here.
check_rsdp() { # file
	local -a b
	local i sum=0
	mapfile -t b < <(bytes "$1")
	[ "${#b[@]}" -eq 36 ] || { bad "RSDP: ${#b[@]} bytes, want 36"; return; }
	[ "$(head -c 8 "$1")" = "RSD PTR " ] || bad "RSDP: bad signature"
	for ((i = 0; i < 20; i++)); do sum=$((sum + b[i])); done
	((sum % 256 == 0)) || bad "RSDP: checksum over 20 bytes is $((sum % 256))"
	for ((i = 20; i < 36; i++)); do sum=$((sum + b[i])); done
	((sum % 256 == 0)) || bad "RSDP: extended checksum is $((sum % 256))"
	[ "${b[15]}" -eq 2 ] || bad "RSDP: revision ${b[15]}, want 2"
}

# iasl -d on one table: no failure, no diagnostics, nothing flagged.
disassemble() { # dir sig
	local dir=$1 sig=$2 log=$1/$2.disasm.log
	(cd "$dir" && iasl -d "$sig.dat") >"$log" 2>&1 ||
		{ bad "$sig: iasl -d failed"; sed 's/^/    /' "$log"; return 1; }
	if grep -E 'Error|Warning|Could not' "$log"; then
		bad "$sig: iasl -d reported problems"
		sed 's/^/    /' "$log"
	fi
	if grep -n -i -E 'incorrect|invalid|error|warning|unknown' \
		"$dir/$sig.dsl"; then
		bad "$sig: disassembly flags the lines above"
	fi
	[ -s "$dir/$sig.dsl" ] || bad "$sig: no disassembly"
}

# Recompile the disassembly; compare with what we built.
roundtrip() { # dir sig
	local dir=$1 sig=$2 re=$1/re log=$1/$2.compile.log
	local -a a b
	local i diffs=0
	mkdir -p "$re"
	cp "$dir/$sig.dsl" "$re/"
	# -oa: no optimisations, so iasl keeps our encodings as written.
	(cd "$re" && iasl -oa "$sig.dsl") >"$log" 2>&1 ||
		{ bad "$sig: recompile failed"; sed 's/^/    /' "$log"; return; }
	grep -q '0 Errors, 0 Warnings' "$log" ||
		{ bad "$sig: recompile not clean"; sed 's/^/    /' "$log"; }
	mapfile -t a < <(bytes "$dir/$sig.dat")
	mapfile -t b < <(bytes "$re/$sig.aml")
	[ "${#a[@]}" -eq "${#b[@]}" ] ||
		{ bad "$sig: ${#a[@]} bytes, recompiled ${#b[@]}"; return; }
	for ((i = 0; i < ${#a[@]}; i++)); do
		[ "${a[i]}" -eq "${b[i]}" ] && continue
		# Checksum; creator id and revision.
		((i == 9 || (i >= 28 && i < 36))) && continue
		# EndTag (0x79) checksum: ours computed, iasl's zero.
		((b[i] == 0 && i > 0 && a[i - 1] == 121)) && continue
		bad "$sig: byte $i is ${a[i]}, recompiled ${b[i]}"
		((++diffs < 8)) || return
	done
}

# Load the namespace in ACPICA and evaluate objects, as an OS would.
interpret() { # dir cpus
	local dir=$1 cpus=$2 log=$1/acpiexec.log last uid
	last=$(printf 'C%03X' $((cpus - 1)))
	uid=$(printf '%016X' $((cpus - 1)))
	timeout 120 acpiexec -b "evaluate \\_S5; evaluate \\_SB.COM1._STA; \
evaluate \\_SB.$last._UID; evaluate \\_SB.$last._HID; \
resources \\_SB.COM1; resources \\_SB.KBD; resources \\_SB.RTC; \
resources \\_SB.PMIO" "$dir/DSDT.dat" "$dir/FACP.dat" "$dir/APIC.dat" \
		</dev/null >"$log" 2>&1 ||
		{ bad "$cpus cpus: acpiexec failed"; tail -n 30 "$log"; return; }
	grep -q '1 ACPI AML tables successfully acquired and loaded' "$log" ||
		bad "$cpus cpus: acpiexec did not load the DSDT"
	# acpiexec's own self-tests (aetests) poke GPE blocks and PM2, which
	# this platform does not have; their complaints are not ours.
	if grep -E 'ACPI (Error|Warning)|Firmware (Error|Warning)|AE_AML' \
		"$log" | grep -v aetests; then
		bad "$cpus cpus: acpiexec reported the problems above"
	fi
	[ "$(grep -A6 'Evaluating \\_S5' "$log" |
		grep -c '\[Integer\] = 0000000000000005')" -eq 2 ] ||
		bad "$cpus cpus: \\_S5 does not evaluate to {5, 5, ...}"
	grep -A2 'Evaluating \\_SB.COM1._STA' "$log" |
		grep -q '\[Integer\] = 000000000000000F' ||
		bad "$cpus cpus: COM1._STA is not 0x0F"
	grep -A2 "Evaluating \\\\_SB.$last._UID" "$log" |
		grep -q "\[Integer\] = $uid" ||
		bad "$cpus cpus: $last._UID is not $((cpus - 1))"
	grep -A2 "Evaluating \\\\_SB.$last._HID" "$log" |
		grep -q '"ACPI0007"' || bad "$cpus cpus: $last._HID is not ACPI0007"
	expect_count "$log" 'EndTag Resource' 4 "$cpus cpus: decoded _CRS"
	expect_count "$log" 'Address Minimum : 03F8' 1 "$cpus cpus: COM1 ports"
	expect_count "$log" 'Interrupt List : 4 ?$' 1 "$cpus cpus: COM1 IRQ"
}

expect_count() { # file pattern count what
	local n
	n=$(grep -c -E -- "$2" "$1")
	[ "$n" -eq "$3" ] || bad "$4: found $n, want $3 (/$2/ in ${1##*/})"
}

for cpus in 1 4 254; do
	dir=$TMP/cpus$cpus
	mkdir -p "$dir"
	"$DUMP" "$cpus" "$dir" >"$dir/dump.log" 2>&1 ||
		{ bad "acpi_dump $cpus failed"; cat "$dir/dump.log"; continue; }
	for sig in RSDP XSDT RSDT FACP FACS APIC DSDT; do
		[ -f "$dir/$sig.dat" ] || bad "$cpus cpus: no $sig.dat"
	done
	[ -f "$dir/RSDP.dat" ] && check_rsdp "$dir/RSDP.dat"
	for f in "$dir"/*.dat; do
		sig=$(basename "$f" .dat)
		[ "$sig" = RSDP ] && continue
		disassemble "$dir" "$sig" && roundtrip "$dir" "$sig"
	done

	d=$dir/DSDT.dsl m=$dir/APIC.dsl x=$dir/XSDT.dsl f=$dir/FACP.dsl
	[ -f "$d" ] && [ -f "$m" ] && [ -f "$x" ] && [ -f "$f" ] || continue
	for hid in PNP0501 PNP0303 PNP0B00 PNP0C02; do
		expect_count "$d" "Name \(_HID, EisaId \(\"$hid\"\)" 1 \
			"$cpus cpus: $hid device"
	done
	expect_count "$d" 'Name \(_HID, "ACPI0007"' "$cpus" \
		"$cpus cpus: ACPI0007 processor devices"
	expect_count "$d" 'Name \(\\_S5, Package' 1 "$cpus cpus: \\_S5"
	expect_count "$m" 'Subtable Type : 00 \[Processor Local APIC\]' \
		"$cpus" "$cpus cpus: MADT local APICs"
	expect_count "$m" 'Subtable Type : 01 \[I/O APIC\]' 1 \
		"$cpus cpus: MADT I/O APIC"
	expect_count "$m" 'Subtable Type : 02 \[Interrupt Source Override\]' \
		2 "$cpus cpus: MADT overrides"
	expect_count "$m" 'Subtable Type : 04 \[Local APIC NMI\]' 1 \
		"$cpus cpus: MADT LAPIC NMI"
	expect_count "$x" 'ACPI Table Address' 2 "$cpus cpus: XSDT entries"
	expect_count "$f" 'SCI Interrupt : 0009' 1 "$cpus cpus: FADT SCI"
	expect_count "$f" 'PM1A Event Block Address : 00000600' 1 \
		"$cpus cpus: FADT PM1a_EVT"
	expect_count "$f" '32-bit PM Timer \(V1\) : 1' 1 \
		"$cpus cpus: FADT TMR_VAL_EXT"
	expect_count "$f" 'Hardware Reduced \(V5\) : 0' 1 \
		"$cpus cpus: FADT not hardware-reduced"
	interpret "$dir" "$cpus"
done

# The tables as vmon builds them with PCI: the PCI root (PNP0A08 with
# _CRS and _PRT), the ECAM reservation and the MCFG table.
dir=$TMP/pci
mkdir -p "$dir"
if "$DUMP" 2 "$dir" pci >"$dir/dump.log" 2>&1; then
	[ -f "$dir/MCFG.dat" ] || bad "pci: no MCFG.dat"
	for f in "$dir"/*.dat; do
		sig=$(basename "$f" .dat)
		[ "$sig" = RSDP ] && continue
		disassemble "$dir" "$sig" && roundtrip "$dir" "$sig"
	done
	d=$dir/DSDT.dsl
	expect_count "$d" 'Name \(_HID, EisaId \("PNP0A08"\)' 1 "pci: PCIe root"
	expect_count "$d" 'Name \(_CID, EisaId \("PNP0A03"\)' 1 "pci: PCI root compatible id"
	expect_count "$d" 'Name \(_PRT, Package' 1 "pci: interrupt routing"
	expect_count "$d" 'Name \(_HID, EisaId \("PNP0C02"\)' 2 "pci: motherboard resources"
	expect_count "$dir/XSDT.dsl" 'ACPI Table Address' 3 "pci: XSDT entries"
	grep -Eq 'Base Address : 00000000E0000000' "$dir/MCFG.dsl" ||
		bad "pci: MCFG does not place ECAM at 0xE0000000"
	acpiexec -b "evaluate \_SB.PCI0._PRT; evaluate \_SB.PCI0._CRS" \
		"$dir"/DSDT.dat >"$dir/exec.log" 2>&1
	grep -E 'ACPI (Error|Warning)|AE_AML' "$dir/exec.log" && bad "pci: acpiexec errors"
else
	bad "acpi_dump with pci failed"; cat "$dir/dump.log"
fi

if [ "$errors" -ne 0 ]; then
	keep=$(mktemp -d /tmp/vmon-acpi.XXXXXX)
	cp -r "$TMP"/. "$keep"/
	echo "$errors problem(s); tables, disassembly and logs kept in $keep"
	exit 1
fi
echo "PASS: iasl accepts the tables for 1, 4 and 254 vCPUs, and with PCI"
exit 0
