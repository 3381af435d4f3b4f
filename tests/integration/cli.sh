#!/usr/bin/env bash
# vmon's command line: help, version, and every bad argument or unreadable
# or malformed kernel refused before the VM starts, with a message naming
# the file and the problem, exit status 2, and no crash or sanitizer report.
source "$(dirname "$0")/../lib.sh"

run_vmon 10 --version; expect_rc 0; expect_in "$TMP/out" "^vmon [0-9]+\.[0-9]+\.[0-9]+"
run_vmon 10 --help; expect_rc 0; expect_in "$TMP/out" "run +boot a guest"
run_vmon 10 run --help; expect_rc 0; expect_in "$TMP/out" "--debug-exit"
expect_in "$TMP/out" "Exit status"
run_vmon 10; expect_rc 2
run_vmon 10 frobnicate; expect_rc 2; expect_in "$TMP/err" "unknown command 'frobnicate'"

# Bad arguments: exit 2 and a message naming the option.
bad_arg() { # expected-regex args...
	local re=$1; shift
	run_vmon 10 run "$@"; expect_rc 2 "vmon run $*"
	expect_in "$TMP/err" "$re" "vmon run $*"
}
bad_arg "--kernel is required" --cpus 1
bad_arg "--cpus 0" --kernel /dev/null --cpus 0
bad_arg "--cpus 9999" --kernel /dev/null --cpus 9999
bad_arg "--mem 0" --kernel /dev/null --mem 0
bad_arg "--mem 99999999999999" --kernel /dev/null --mem 99999999999999
bad_arg "--serial bogus" --kernel /dev/null --serial bogus
bad_arg "unknown option --floppy" --kernel /dev/null --floppy a.img

need_kvm
need_cmd python3 python3
# Malformed kernels: each refused before the VM starts, naming the file.
k=$TMP/kernels; mkdir -p "$k"
: >"$k/empty"
head -c 100 /dev/urandom >"$k/random"
printf '\x7fELF\x02\x01\x01' >"$k/elf-truncated"
# A setup header with the right magic but protocol 2.03 (too old).
python3 - "$k" <<'PY'
import struct, sys
d = sys.argv[1]
def bz(version, xload=1, size=8192, setup_sects=4):
    b = bytearray(size)
    b[0x1f1] = setup_sects
    b[0x200] = 0xeb; b[0x201] = 0x66  # jmp past the header: its length
    struct.pack_into('<H', b, 0x1fe, 0xaa55)
    b[0x202:0x206] = b'HdrS'
    struct.pack_into('<H', b, 0x206, version)
    struct.pack_into('<H', b, 0x236, xload)
    b[0x211] = 1  # LOADED_HIGH
    struct.pack_into('<I', b, 0x260, 0x100000)  # init_size
    return b
open(d + '/bz-old', 'wb').write(bz(0x0203))
open(d + '/bz-truncated', 'wb').write(bz(0x020f)[:0x300])
open(d + '/bz-no64', 'wb').write(bz(0x020f, xload=0))
# An ELF64 without the PVH note.
e = bytearray(64 + 56 + 16)
e[0:7] = b'\x7fELF\x02\x01\x01'
struct.pack_into('<HHIQQQIHHHHHH', e, 16, 2, 62, 1, 0x100000, 64, 0, 0, 64, 56, 1, 64, 0, 0)
struct.pack_into('<IIQQQQQQ', e, 64, 1, 5, 120, 0x100000, 0x100000, 16, 16, 0x1000)
open(d + '/elf-no-note', 'wb').write(e)
PY
head -c $((300 * 1024 * 1024)) /dev/zero >"$k/huge" 2>/dev/null || true

bad_kernel() { # file expected-regex [extra args]
	local f=$1 re=$2; shift 2
	run_vmon 20 run --kernel "$f" --serial none "$@"; expect_rc 2 "$(basename "$f")"
	expect_in "$TMP/err" "$f" "message names the file"
	expect_in "$TMP/err" "$re" "$(basename "$f")"
	if grep -qE "AddressSanitizer|ThreadSanitizer|runtime error" "$TMP/err"; then cat "$TMP/err"; fail "sanitizer report for $f"; fi
}
bad_kernel "$k/missing" "No such file"
bad_kernel "$k/empty" "empty|too small|truncated"
bad_kernel "$k/random" "not a bzImage or PVH ELF"
bad_kernel "$k/elf-truncated" "truncated|too small|ELF"
bad_kernel "$k/elf-no-note" "XEN_ELFNOTE_PHYS32_ENTRY"
bad_kernel "$k/bz-old" "protocol|version|2\.03"
bad_kernel "$k/bz-truncated" "truncated"
bad_kernel "$k/bz-no64" "64-bit"
bad_kernel "$k/huge" "big|larger|RAM" --mem 64M
run_vmon 20 run --kernel "$k/bz-old" --initrd "$k/missing-initrd" --serial none
expect_rc 2 "missing initrd"; expect_in "$TMP/err" "$k/missing-initrd: .*No such file"
echo "all bad inputs refused"
