#!/usr/bin/env bash
# vmon's SMBIOS tables through dmidecode, the reference decoder (it is
# what reads them in a guest, from the same bytes Linux exports in
# /sys/firmware/dmi/tables).  For 1, 4 and 254 vCPUs, smbios_dump writes
# a dump per entry point (64-bit "_SM3_", 32-bit "_SM_"); dmidecode must
# find the entry point (it checks the checksums), decode every structure
# without complaint, and show the strings and values we mean.
# Env: ROOT, BUILD (the runner sets them).  Exit 0 pass, 77 skip, else fail.
set -u
source "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"

DUMP=$BUILD/tests/tools/smbios_dump
# In /usr/sbin, which a user's PATH may lack.
DMIDECODE=$(command -v dmidecode || echo /usr/sbin/dmidecode)
[ -x "$DMIDECODE" ] || need_cmd dmidecode dmidecode
[ -x "$DUMP" ] || fail "$DUMP missing: run 'make tools' (or SAN=1) first"

errors=0
bad() { echo "FAIL: $*"; errors=$((errors + 1)); }

expect() { # file regex what
	grep -Eq -- "$2" "$1" || bad "$3: no /$2/ in ${1##*/}"
}

expect_count() { # file regex count what
	local n
	n=$(grep -Ec -- "$2" "$1")
	[ "$n" -eq "$3" ] || bad "$4: found $n, want $3 (/$2/ in ${1##*/})"
}

version=$(cat "$ROOT/VERSION")
for cpus in 1 4 254; do
	dir=$TMP/cpus$cpus
	mkdir -p "$dir"
	"$DUMP" "$cpus" "$dir" >"$dir/dump.log" 2>&1 ||
		{ bad "smbios_dump $cpus failed"; cat "$dir/dump.log"; continue; }
	for ep in 3 2; do
		out=$dir/dmi$ep.txt err=$dir/dmi$ep.err
		"$DMIDECODE" --from-dump "$dir/smbios$ep.bin" >"$out" 2>"$err" ||
			bad "$cpus cpus, entry point $ep: dmidecode failed"
		if [ -s "$err" ]; then
			bad "$cpus cpus, entry point $ep: dmidecode wrote to stderr"
			sed 's/^/    /' "$err"
		fi
		# dmidecode's own complaints: bad lengths, unknown values,
		# truncated or overlong tables, checksums.
		if grep -Ein 'invalid|wrong|bad|corrupt|truncat|unknown type|out of spec|<OUT OF SPEC>|not fully supported|no smbios|checksum' \
			"$out"; then
			bad "$cpus cpus, entry point $ep: dmidecode flags the lines above"
		fi
		if [ "$ep" = 3 ]; then
			expect "$out" '^SMBIOS 3\.0\.0 present\.' "$cpus cpus: 64-bit entry point"
		else
			expect "$out" '^SMBIOS 3\.0 present\.' "$cpus cpus: 32-bit entry point"
			expect "$out" '^10 structures occupying [0-9]+ bytes\.' \
				"$cpus cpus: structure count"
		fi
		for t in 0 1 3 4 16 17 32 127; do
			expect_count "$out" "^Handle 0x[0-9A-F]{4}, DMI type $t, " 1 \
				"$cpus cpus: type $t"
		done
		expect_count "$out" '^Handle 0x[0-9A-F]{4}, DMI type 19, ' 2 \
			"$cpus cpus: type 19 (one per RAM range)"
		expect_count "$out" '^Handle 0x[0-9A-F]{4}, DMI type' 10 \
			"$cpus cpus: structures"
		expect "$out" '^BIOS Information$' "$cpus cpus: type 0"
		expect_count "$out" '^	Vendor: vmon$' 1 "$cpus cpus: BIOS vendor"
		expect_count "$out" "^	Version: $version\$" 2 \
			"$cpus cpus: BIOS and system version"
		expect "$out" '^	Release Date: [0-9]{2}/[0-9]{2}/[0-9]{4}$' \
			"$cpus cpus: BIOS date"
		expect "$out" '^		System is a virtual machine$' \
			"$cpus cpus: SMBIOS VM bit"
		expect_count "$out" '^	Manufacturer: vmon$' 3 \
			"$cpus cpus: system, chassis and DIMM manufacturer"
		expect "$out" '^	Product Name: vmon$' "$cpus cpus: product"
		expect "$out" '^	UUID: 00112233-4455-6677-8899-aabbccddeeff$' \
			"$cpus cpus: UUID byte order"
		expect "$out" '^	Family: vmon$' "$cpus cpus: system family"
		expect "$out" '^Chassis Information$' "$cpus cpus: type 3"
		expect "$out" '^	Type: Other$' "$cpus cpus: chassis type"
		expect "$out" '^	Version: AMD EPYC Processor$' "$cpus cpus: CPU version"
		expect "$out" '^	Manufacturer: AuthenticAMD$' "$cpus cpus: CPU maker"
		expect "$out" '^	ID: 10 0F 83 00 FF FB 8B 17$' "$cpus cpus: CPU ID"
		expect "$out" "^	Core Count: $cpus\$" "$cpus cpus: core count"
		expect "$out" "^	Core Enabled: $cpus\$" "$cpus cpus: cores enabled"
		expect "$out" "^	Thread Count: $cpus\$" "$cpus cpus: thread count"
		expect "$out" '^	Maximum Capacity: 4 GB$' "$cpus cpus: memory array"
		expect "$out" '^	Size: 4 GB$' "$cpus cpus: memory device"
		expect "$out" '^	Ending Address: 0x000BFFFFFFF$' "$cpus cpus: RAM below 4 GiB"
		expect "$out" '^	Starting Address: 0x00100000000$' "$cpus cpus: RAM above 4 GiB"
		expect "$out" '^	Status: No errors detected$' "$cpus cpus: boot status"
		expect "$out" '^End Of Table$' "$cpus cpus: type 127"
	done
	# Both entry points lead to the same table.
	diff <(sed 1,4d "$dir/dmi3.txt") <(sed 1,5d "$dir/dmi2.txt") >"$dir/diff" ||
		{ bad "$cpus cpus: the two entry points decode differently"; cat "$dir/diff"; }
done

if [ "$errors" -ne 0 ]; then
	keep=$(mktemp -d /tmp/vmon-smbios.XXXXXX)
	cp -r "$TMP"/. "$keep"/
	echo "$errors problem(s); dumps and dmidecode output kept in $keep"
	exit 1
fi
echo "PASS: dmidecode decodes the tables for 1, 4 and 254 vCPUs, both entry points"
exit 0
