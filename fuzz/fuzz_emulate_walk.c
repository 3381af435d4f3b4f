// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the guest page-table walker
 * (src/arch/x86/emulate/walk.c): random paging state, random page tables
 * in a 64 KiB guest RAM, random accesses.
 *
 * Input: a 16-byte header, then `count` 12-byte accesses, then guest RAM
 * from gpa 0 (the rest of the 64 KiB zero).
 *   byte 0: bits 0-2 the mode (0 paging off, 1 32-bit, 2 32-bit + PSE,
 *           3 PAE, 4 4-level, 5+ 5-level), bit 3 CR0.WP, bit 4 EFER.NXE,
 *           bit 5 CR4.SMEP, bit 6 CR4.SMAP, bit 7 CR4.PKE and CR4.PKS;
 *   byte 1: bits 0-1 CPL, bit 2 RFLAGS.AC, bit 3 "fold": every entry's
 *           address bits are cut to RAM first, so walks go deep;
 *   byte 2: MAXPHYADDR, 32 + b % 21;  byte 3: count, 1 + b % 8;
 *   bytes 4-7 CR3, 8-11 PKRU, 12-15 IA32_PKRS (little endian);
 *   an access: le64 linear address, le16 length (reads and writes, up
 *   to 8 KiB), a byte of access flags (X86_ACC_*), a byte whose low two
 *   mod 3 picks x86_walk, x86_linear_read or x86_linear_write.
 *
 * Checked: no sanitizer report (RAM is a heap buffer of exactly 64 KiB:
 * any read or write the accessor did not bound is out of it); results
 * are 0, X86_FAULT or -EFAULT/-ENXIO/-EINVAL; a #PF names the address
 * and only defined error-code bits; a translation keeps the page offset
 * and has a real page size; a look (X86_ACC_NO_AD) and a write that
 * fails change no byte of RAM; a read copies exactly what it says.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/emulate/walk.h"
#include "core/guest_mem.h"
#include "lib/le.h"

#define RAM_SIZE 0x10000u
#define HDR	 16
#define REC	 12
#define MAX_LEN	 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *ram, *before;
static uint8_t buf[MAX_LEN];

static void fold(bool four)
{
	if (four) {
		for (size_t i = 0; i < RAM_SIZE; i += 4) {
			uint32_t e = le32_get(ram + i);

			e = (e & 0xfffu) | (e & (RAM_SIZE - 1) & ~0xfffu);
			le32_put(ram + i, e);
		}
		return;
	}
	for (size_t i = 0; i < RAM_SIZE; i += 8) {
		uint64_t e = le64_get(ram + i);

		e &= ~(0x000ffffffffff000ull & ~(uint64_t)(RAM_SIZE - 1));
		le64_put(ram + i, e);
	}
}

static void check_result(int ret, unsigned int acc, uint64_t la,
			 const struct x86_fault *f)
{
	const uint32_t ec_bits = X86_PF_P | X86_PF_W | X86_PF_U | X86_PF_RSVD |
				 X86_PF_I | X86_PF_PK;

	if (ret != 0 && ret != X86_FAULT && ret != -EFAULT && ret != -ENXIO &&
	    ret != -EINVAL)
		abort();
	if (ret != X86_FAULT)
		return;
	if (f->vector == X86_VEC_GP) {
		if (f->error_code)
			abort();
		return;
	}
	if (f->vector != X86_VEC_PF || (f->error_code & ~ec_bits))
		abort();
	/* W only for writes, I/D only for fetches. */
	if (!!(f->error_code & X86_PF_W) != !!(acc & X86_ACC_WRITE) ||
	    ((f->error_code & X86_PF_I) && !(acc & X86_ACC_FETCH)))
		abort();
	/* RSVD and PK are protection faults of present entries. */
	if ((f->error_code & (X86_PF_RSVD | X86_PF_PK)) &&
	    !(f->error_code & X86_PF_P))
		abort();
	(void)la;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem gm;
	struct x86_paging pg;
	unsigned int count, mode;
	size_t off;

	if (size < HDR)
		return 0;
	if (!ram) {
		ram = malloc(RAM_SIZE);
		before = malloc(RAM_SIZE);
		if (!ram || !before)
			abort();
	}
	memset(&pg, 0, sizeof(pg));
	mode = data[0] & 7;
	pg.cr0 = X86_CR0_PE | (mode ? X86_CR0_PG : 0) |
		 (data[0] & 8 ? X86_CR0_WP : 0);
	pg.cr4 = (mode == 2 ? X86_CR4_PSE : 0) | (mode >= 3 ? X86_CR4_PAE : 0) |
		 (mode >= 5 ? X86_CR4_LA57 : 0) |
		 (data[0] & 0x20 ? X86_CR4_SMEP : 0) |
		 (data[0] & 0x40 ? X86_CR4_SMAP : 0) |
		 (data[0] & 0x80 ? X86_CR4_PKE | X86_CR4_PKS : 0);
	pg.efer = (mode >= 4 ? X86_EFER_LMA : 0) |
		  (data[0] & 0x10 ? X86_EFER_NXE : 0);
	pg.cpl = data[1] & 3;
	pg.ac = data[1] & 4;
	pg.maxphyaddr = 32 + data[2] % 21;
	count = 1 + data[3] % 8;
	pg.cr3 = le32_get(data + 4);
	pg.pkru = le32_get(data + 8);
	pg.pkrs = le32_get(data + 12);

	off = HDR + (size_t)count * REC;
	memset(ram, 0, RAM_SIZE);
	if (size > off)
		memcpy(ram, data + off,
		       size - off < RAM_SIZE ? size - off : RAM_SIZE);
	if (data[1] & 8) {
		fold(mode == 1 || mode == 2);
		pg.cr3 &= RAM_SIZE - 1;
	}
	if (gm_init_buffer(&gm, ram, RAM_SIZE) < 0)
		abort();

	for (unsigned int i = 0; i < count; i++) {
		const uint8_t *r = data + HDR + (size_t)i * REC;
		struct x86_fault f;
		struct x86_xlat x;
		uint64_t la;
		unsigned int len, acc, op;
		size_t done = 0;
		int ret;

		if (HDR + (size_t)(i + 1) * REC > size)
			break;
		la = le64_get(r);
		len = le16_get(r + 8) % (MAX_LEN + 1);
		acc = r[10] & 0xf;
		op = r[11] % 3;
		memcpy(before, ram, RAM_SIZE);
		switch (op) {
		case 0:
			ret = x86_walk(&gm, &pg, la, acc, &x, &f);
			check_result(ret, acc, la, &f);
			if (ret == 0 && ((x.gpa ^ la) & 0xfff))
				abort();
			if (ret == 0 && x.page_size != 1u << 12 &&
			    x.page_size != 1u << 21 &&
			    x.page_size != 1u << 22 && x.page_size != 1u << 30)
				abort();
			if (ret == X86_FAULT && f.vector == X86_VEC_PF &&
			    f.cr2 != (mode >= 4 ? la : (uint32_t)la))
				abort();
			break;
		case 1:
			ret = x86_linear_read(&gm, &pg, la, buf, len, acc,
					      &done, &f);
			check_result(ret, acc & ~X86_ACC_WRITE, la, &f);
			if (done > len || (ret == 0 && done != len))
				abort();
			break;
		default:
			acc &= ~X86_ACC_FETCH;
			for (unsigned int j = 0; j < len; j++)
				buf[j] = (uint8_t)(j ^ i);
			ret = x86_linear_write(&gm, &pg, la, buf, len, acc, &f);
			check_result(ret, acc | X86_ACC_WRITE, la, &f);
			/* No data written when any page failed: at most A or D
			 * flags (bits 5 and 6 of an entry's low byte), set by
			 * a second pass that met entries it changed itself. */
			if (ret != 0)
				for (size_t j = 0; j < RAM_SIZE; j++) {
					uint8_t d = before[j] ^ ram[j];

					if (d && ((j & 3) || (d & ~0x60) ||
						  (acc & X86_ACC_NO_AD)))
						abort();
				}
			break;
		}
		if ((acc & X86_ACC_NO_AD) && op != 2 &&
		    memcmp(before, ram, RAM_SIZE))
			abort();
	}
	return 0;
}
