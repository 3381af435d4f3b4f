// SPDX-License-Identifier: MIT
/*
 * The guest page-table walker (src/arch/x86/emulate/walk.c) on page
 * tables built by hand in a 4 MiB buffer guest: every paging mode and
 * page size, every access-right rule of SDM vol. 3A 4.6 with its #PF
 * error code (4.7), reserved bits, a walk that leaves RAM, accesses
 * across pages, accessed and dirty flags (4.8).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/emulate/walk.h"

#define RAM_SIZE (4u << 20)
#define P	 0x1ull
#define RW	 0x2ull
#define US	 0x4ull
#define A	 0x20ull
#define D	 0x40ull
#define PS	 0x80ull
#define XD	 (1ull << 63)
#define ADDR52	 0x000ffffffffff000ull

struct env {
	uint8_t *ram;
	struct guest_mem gm;
	uint64_t next; /* next free page for tables */
	struct x86_paging pg;
};

static struct env E;

static int setup(void **state)
{
	(void)state;
	memset(&E, 0, sizeof(E));
	E.ram = aligned_alloc(4096, RAM_SIZE);
	if (!E.ram)
		return -1;
	memset(E.ram, 0, RAM_SIZE);
	E.next = 0x10000;
	E.pg.maxphyaddr = 48;
	return gm_init_buffer(&E.gm, E.ram, RAM_SIZE);
}

static int teardown(void **state)
{
	(void)state;
	free(E.ram);
	return 0;
}

static uint64_t new_table(void)
{
	uint64_t g = E.next;

	E.next += 4096;
	assert_true(E.next <= 0x200000); /* data pages live above */
	return g;
}

static uint64_t *e64(uint64_t gpa)
{
	return (uint64_t *)(E.ram + gpa);
}

static uint32_t *e32(uint64_t gpa)
{
	return (uint32_t *)(E.ram + gpa);
}

/* Long mode (4 or 5 levels as CR4.LA57 says), fresh CR3. */
static void long_mode(bool la57)
{
	E.pg.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	E.pg.cr4 = X86_CR4_PAE | (la57 ? X86_CR4_LA57 : 0);
	E.pg.efer = X86_EFER_LMA | X86_EFER_NXE;
	E.pg.cr3 = new_table();
}

/*
 * Map la to pa with a page of 1 << leaf_shift bytes: tables P|RW|US, the
 * leaf P|flags.  Returns the leaf entry.
 */
static uint64_t *map_long(uint64_t la, uint64_t pa, unsigned int leaf_shift,
			  uint64_t flags)
{
	unsigned int s = E.pg.cr4 & X86_CR4_LA57 ? 48 : 39;
	uint64_t table = E.pg.cr3 & ADDR52;

	for (;; s -= 9) {
		uint64_t *e = e64(table + ((la >> s) & 511) * 8);

		if (s == leaf_shift) {
			*e = pa | P | flags | (s > 12 ? PS : 0);
			return e;
		}
		if (!(*e & P))
			*e = new_table() | P | RW | US;
		table = *e & ADDR52;
	}
}

/* The long-mode entry at level `shift` (48, 39, 30, 21, 12) for la. */
static uint64_t *ent_long(uint64_t la, unsigned int shift)
{
	unsigned int s = E.pg.cr4 & X86_CR4_LA57 ? 48 : 39;
	uint64_t table = E.pg.cr3 & ADDR52;

	for (;; s -= 9) {
		uint64_t *e = e64(table + ((la >> s) & 511) * 8);

		if (s == shift)
			return e;
		table = *e & ADDR52;
	}
}

static int walk(uint64_t la, unsigned int acc, struct x86_xlat *x,
		struct x86_fault *f)
{
	memset(f, 0xa5, sizeof(*f));
	return x86_walk(&E.gm, &E.pg, la, acc, x, f);
}

/* The access faults with #PF(ec) at la. */
static void expect_pf(uint64_t la, unsigned int acc, uint32_t ec)
{
	struct x86_xlat x;
	struct x86_fault f;

	assert_int_equal(walk(la, acc, &x, &f), X86_FAULT);
	assert_int_equal(f.vector, X86_VEC_PF);
	assert_int_equal(f.error_code, ec);
	assert_int_equal(f.cr2, la);
}

static void expect_gpa(uint64_t la, unsigned int acc, uint64_t gpa)
{
	struct x86_xlat x;
	struct x86_fault f;

	assert_int_equal(walk(la, acc, &x, &f), 0);
	assert_int_equal(x.gpa, gpa);
}

/* ---- modes and page sizes ---- */

static void paging_off_is_identity(void **state)
{
	struct x86_xlat x;
	struct x86_fault f;

	(void)state;
	E.pg.cr0 = X86_CR0_PE;
	expect_gpa(0x12345, X86_ACC_WRITE, 0x12345);
	/* 32-bit linear addresses: only the low 32 bits count. */
	assert_int_equal(walk(0x100001234ull, 0, &x, &f), 0);
	assert_int_equal(x.gpa, 0x1234);
	assert_int_equal(x.page_size, 4096);
}

static void four_level_4k(void **state)
{
	uint64_t la = 0x00007f1234567abcull;
	struct x86_xlat x;
	struct x86_fault f;

	(void)state;
	long_mode(false);
	uint64_t *pte = map_long(la, 0x300000, 12, RW);

	assert_int_equal(walk(la, 0, &x, &f), 0);
	assert_int_equal(x.gpa, 0x300abc);
	assert_int_equal(x.page_size, 4096);
	/* A read sets A at every level, D nowhere. */
	for (unsigned int s = 39; s >= 12; s -= 9)
		assert_int_equal(*ent_long(la, s) & (A | D), A);
	assert_int_equal(walk(la, X86_ACC_WRITE, &x, &f), 0);
	assert_int_equal(*pte & (A | D), A | D);
	/* D is the leaf's only. */
	assert_int_equal(*ent_long(la, 21) & D, 0);
	assert_int_equal(*ent_long(la, 39) & D, 0);
}

static void four_level_large_pages(void **state)
{
	struct x86_xlat x;
	struct x86_fault f;

	(void)state;
	long_mode(false);
	/* 2 MiB: bit 12 is PAT there, not address. */
	map_long(0x40000000ull, 0x200000 | (1u << 12), 21, RW);
	assert_int_equal(walk(0x40012345ull, 0, &x, &f), 0);
	assert_int_equal(x.gpa, 0x212345);
	assert_int_equal(x.page_size, 2u << 20);
	/* 1 GiB, frame above RAM: translation needs no data access. */
	map_long(0x8000000000ull, 0x40000000ull, 30, RW);
	assert_int_equal(walk(0x8012345678ull, X86_ACC_WRITE, &x, &f), 0);
	assert_int_equal(x.gpa, 0x52345678ull);
	assert_int_equal(x.page_size, 1ull << 30);
	assert_int_equal(*ent_long(0x8000000000ull, 30) & (A | D), A | D);
	assert_int_equal(*ent_long(0x8000000000ull, 39) & (A | D), A);
}

static void five_level(void **state)
{
	/* Bit 48 set, canonical for 57 bits only. */
	uint64_t la = 0x0001234567890123ull;
	struct x86_xlat x;
	struct x86_fault f;

	(void)state;
	long_mode(true);
	map_long(la, 0x301000, 12, 0);
	expect_gpa(la, 0, 0x301123);
	assert_int_equal(*ent_long(la, 48) & A, A);
	/* The same address under 4-level paging is not canonical: #GP(0). */
	E.pg.cr4 &= ~X86_CR4_LA57;
	assert_int_equal(walk(la, 0, &x, &f), X86_FAULT);
	assert_int_equal(f.vector, X86_VEC_GP);
	assert_int_equal(f.error_code, 0);
	/* Nor is this one under 5 levels. */
	E.pg.cr4 |= X86_CR4_LA57;
	assert_int_equal(walk(0x0100000000000000ull, 0, &x, &f), X86_FAULT);
	assert_int_equal(f.vector, X86_VEC_GP);
	/* The top of the upper half is. */
	map_long(0xfffffffffffff000ull, 0x302000, 12, 0);
	expect_gpa(0xfffffffffffff010ull, 0, 0x302010);
}

/* PAE: CR3 -> 4 PDPTEs (32-byte aligned) -> PD -> PT. */
static void pae_mode(void)
{
	E.pg.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	E.pg.cr4 = X86_CR4_PAE;
	E.pg.efer = X86_EFER_NXE;
	E.pg.cr3 = new_table() + 0x20; /* bits 11:5 count */
}

static uint64_t *map_pae(uint32_t la, uint64_t pa, unsigned int leaf_shift,
			 uint64_t flags)
{
	uint64_t *pdpte = e64((E.pg.cr3 & 0xffffffe0) + (la >> 30) * 8);
	uint64_t *pde, *pte;

	if (!(*pdpte & P))
		*pdpte = new_table() | P; /* a PDPTE has no RW/US */
	pde = e64((*pdpte & ADDR52) + ((la >> 21) & 511) * 8);
	if (leaf_shift == 21) {
		*pde = pa | P | PS | flags;
		return pde;
	}
	if (!(*pde & P))
		*pde = new_table() | P | RW | US;
	pte = e64((*pde & ADDR52) + ((la >> 12) & 511) * 8);
	*pte = pa | P | flags;
	return pte;
}

static void pae_paging(void **state)
{
	uint64_t *pde, *pdpte;
	struct x86_xlat x;
	struct x86_fault f;

	(void)state;
	pae_mode();
	map_pae(0xc0001000, 0x303000, 12, RW);
	pde = map_pae(0x80200000, 0x200000, 21, RW);
	expect_gpa(0xc0001234, X86_ACC_WRITE, 0x303234);
	/* Upper 32 bits of la are dropped in 32-bit modes. */
	assert_int_equal(walk(0xffffffff80234567ull, 0, &x, &f), 0);
	assert_int_equal(x.gpa, 0x234567);
	assert_int_equal(x.page_size, 2u << 20);
	assert_int_equal(*pde & (A | D), A);
	/* A PDPTE has no accessed flag (bit 5 is reserved): left alone. */
	pdpte = e64((E.pg.cr3 & 0xffffffe0) + 2 * 8);
	assert_int_equal(*pdpte & A, 0);
	/* Its R/W is reserved. */
	*pdpte |= RW;
	expect_pf(0x80200000, 0, X86_PF_P | X86_PF_RSVD);
	/* In a PDE, bits 62:M are reserved (not only 51:M). */
	*pdpte &= ~RW;
	*pde |= 1ull << 55;
	expect_pf(0x80200000, 0, X86_PF_P | X86_PF_RSVD);
}

/* 32-bit paging: CR3 -> PD (4-byte entries) -> PT. */
static void paging32_mode(bool pse)
{
	E.pg.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	E.pg.cr4 = pse ? X86_CR4_PSE : 0;
	E.pg.efer = 0;
	E.pg.cr3 = new_table();
}

static uint32_t *map_32(uint32_t la, uint32_t pa, bool big, uint32_t flags)
{
	uint32_t *pde = e32((E.pg.cr3 & 0xfffff000) + (la >> 22) * 4), *pte;

	if (big) {
		*pde = pa | P | PS | flags;
		return pde;
	}
	if (!(*pde & P))
		*pde = (uint32_t)new_table() | P | RW | US;
	pte = e32((*pde & 0xfffff000) + ((la >> 12) & 1023) * 4);
	*pte = pa | P | flags;
	return pte;
}

static void paging32(void **state)
{
	uint32_t *pde, *pte;
	struct x86_xlat x;
	struct x86_fault f;

	(void)state;
	paging32_mode(true);
	pte = map_32(0x00401000, 0x304000, false, RW);
	expect_gpa(0x00401010, X86_ACC_WRITE, 0x304010);
	assert_int_equal(*pte & (A | D), A | D);
	/* 4 MiB with PSE-36: PA bits 39:32 from PDE bits 20:13. */
	E.pg.maxphyaddr = 40;
	pde = map_32(0x80000000, 0x00400000 | (0x12u << 13), true, 0);
	assert_int_equal(walk(0x80123456, 0, &x, &f), 0);
	assert_int_equal(x.gpa, 0x1200523456ull);
	assert_int_equal(x.page_size, 4u << 20);
	/* With MAXPHYADDR 36 bits 20:17 are reserved, and 21 always. */
	E.pg.maxphyaddr = 36;
	expect_pf(0x80123456, 0, X86_PF_P | X86_PF_RSVD);
	*pde = 0x00400000 | P | PS | (1u << 21);
	expect_pf(0x80123456, 0, X86_PF_P | X86_PF_RSVD);
	/* Without CR4.PSE, PS is ignored: the PDE points to a page table. */
	*pde = (uint32_t)new_table() | P | PS | RW;
	*e32((*pde & 0xfffff000) + 0x123 * 4) = 0x305000 | P;
	E.pg.cr4 = 0;
	expect_gpa(0x80123456, 0, 0x305456);
	/* XD does not exist in 32-bit paging: fetches from anywhere, and
	 * I/D is 0 without SMEP even with EFER.NXE. */
	E.pg.efer = X86_EFER_NXE;
	expect_gpa(0x80123456, X86_ACC_FETCH, 0x305456);
	expect_pf(0x90000000, X86_ACC_FETCH, 0);
	E.pg.cr4 = X86_CR4_SMEP;
	expect_pf(0x90000000, X86_ACC_FETCH, X86_PF_I);
}

/* ---- not present and reserved bits ---- */

static void not_present_each_level(void **state)
{
	uint64_t la = 0x00007f0000001000ull;

	(void)state;
	long_mode(false);
	map_long(la, 0x306000, 12, RW | US);
	for (unsigned int s = 12; s <= 39; s += 9) {
		uint64_t *e = ent_long(la, s), keep = *e;

		*e &= ~P;
		expect_pf(la, 0, 0);
		E.pg.cpl = 3;
		expect_pf(la + 8, X86_ACC_WRITE, X86_PF_W | X86_PF_U);
		E.pg.cpl = 0;
		/* EFER.NXE (PAE=1): I/D on fetches. */
		expect_pf(la, X86_ACC_FETCH, X86_PF_I);
		*e = keep;
	}
	/* Without NXE or SMEP, I/D stays 0. */
	E.pg.efer &= ~X86_EFER_NXE;
	*ent_long(la, 12) &= ~P;
	expect_pf(la, X86_ACC_FETCH, 0);
	/* A faulting walk sets no accessed flag. */
	assert_int_equal(*ent_long(la, 39) & A, 0);
}

static void reserved_bits(void **state)
{
	uint64_t la = 0x1000;
	uint32_t rsvd = X86_PF_P | X86_PF_RSVD;
	uint64_t *pte, *pml4e, *pde;

	(void)state;
	long_mode(false);
	pte = map_long(la, 0x307000, 12, RW);
	/* Bits 51:M of an address. */
	*pte |= 1ull << 48;
	expect_pf(la, X86_ACC_WRITE, rsvd | X86_PF_W);
	E.pg.maxphyaddr = 52;
	expect_gpa(la, 0, 0x1000000307000ull);
	*pte &= ~(1ull << 48);
	/* Bits 62:52 are ignored, 63 is XD with NXE and reserved without. */
	*pte |= 0x7ffull << 52;
	expect_gpa(la, 0, 0x307000);
	*pte |= XD;
	expect_pf(la, X86_ACC_FETCH, X86_PF_P | X86_PF_I);
	E.pg.efer &= ~X86_EFER_NXE;
	expect_pf(la, 0, rsvd);
	E.pg.efer |= X86_EFER_NXE;
	*pte &= ~(XD | (0x7ffull << 52));
	/* PS in a PML4E. */
	pml4e = ent_long(la, 39);
	*pml4e |= PS;
	expect_pf(la, 0, rsvd);
	*pml4e &= ~PS;
	/* Bits 20:13 of a 2 MiB PDE. */
	pde = map_long(0x40000000, 0x200000, 21, 0);
	*pde |= 1ull << 13;
	expect_pf(0x40000000, 0, rsvd);
	/* Nothing was marked accessed on the way. */
	assert_int_equal(*pde & A, 0);
}

static void walk_leaves_ram(void **state)
{
	uint64_t la = 0x2000;
	struct x86_xlat x;
	struct x86_fault f;

	(void)state;
	long_mode(false);
	map_long(la, 0x308000, 12, RW);
	/* A PDPT outside RAM: a VMM error, no guest #PF. */
	*ent_long(la, 39) = 0x7fff0000000ull | P | RW;
	assert_int_equal(walk(la, 0, &x, &f), -EFAULT);
	/* CR3 outside RAM. */
	E.pg.cr3 = RAM_SIZE;
	assert_int_equal(walk(la, 0, &x, &f), -EFAULT);
	/* The last entry of the last page of RAM is read (not present). */
	E.pg.cr3 = RAM_SIZE - 4096;
	assert_int_equal(walk(0x0000ff8000000000ull, 0, &x, &f), X86_FAULT);
	/* A bad paging state. */
	E.pg.maxphyaddr = 53;
	assert_int_equal(walk(la, 0, &x, &f), -EINVAL);
	E.pg.maxphyaddr = 48;
	E.pg.cpl = 4;
	assert_int_equal(walk(la, 0, &x, &f), -EINVAL);
	E.pg.cpl = 0;
	assert_int_equal(walk(la, X86_ACC_WRITE | X86_ACC_FETCH, &x, &f),
			 -EINVAL);
}

/* ---- access rights, 4.6 ---- */

static void user_supervisor(void **state)
{
	uint64_t la = 0x400000;

	(void)state;
	long_mode(false);
	map_long(la, 0x309000, 12, RW | US);
	E.pg.cpl = 3;
	expect_gpa(la, X86_ACC_WRITE, 0x309000);
	expect_gpa(la, X86_ACC_FETCH, 0x309000);
	/* U/S clear at any one level makes a supervisor page. */
	*ent_long(la, 30) &= ~US;
	expect_pf(la, 0, X86_PF_P | X86_PF_U);
	expect_pf(la, X86_ACC_WRITE, X86_PF_P | X86_PF_W | X86_PF_U);
	expect_pf(la, X86_ACC_FETCH, X86_PF_P | X86_PF_U | X86_PF_I);
	/* An implicit access at CPL 3 is a supervisor one. */
	expect_gpa(la, X86_ACC_IMPLICIT, 0x309000);
	E.pg.cpl = 2;
	expect_gpa(la, X86_ACC_WRITE, 0x309000);
}

static void read_write_and_wp(void **state)
{
	uint64_t la = 0x401000;

	(void)state;
	long_mode(false);
	map_long(la, 0x30a000, 12, RW | US);
	/* R/W clear in the PD only. */
	*ent_long(la, 21) &= ~RW;
	E.pg.cpl = 3;
	expect_gpa(la, 0, 0x30a000);
	expect_pf(la, X86_ACC_WRITE, X86_PF_P | X86_PF_W | X86_PF_U);
	/* CR0.WP does not matter to user writes. */
	E.pg.cr0 &= ~X86_CR0_WP;
	expect_pf(la, X86_ACC_WRITE, X86_PF_P | X86_PF_W | X86_PF_U);
	/* Supervisor writes: allowed without WP, refused with it. */
	E.pg.cpl = 0;
	expect_gpa(la, X86_ACC_WRITE, 0x30a000);
	E.pg.cr0 |= X86_CR0_WP;
	expect_pf(la, X86_ACC_WRITE, X86_PF_P | X86_PF_W);
}

static void nx(void **state)
{
	uint64_t la = 0x402000;

	(void)state;
	long_mode(false);
	map_long(la, 0x30b000, 12, RW);
	*ent_long(la, 39) |= XD; /* XD at any level */
	expect_gpa(la, 0, 0x30b000);
	expect_pf(la, X86_ACC_FETCH, X86_PF_P | X86_PF_I);
	E.pg.cpl = 3;
	*ent_long(la, 12) |= US;
	expect_pf(la, X86_ACC_FETCH, X86_PF_P | X86_PF_U | X86_PF_I);
}

static void smep(void **state)
{
	uint64_t la = 0x403000;

	(void)state;
	long_mode(false);
	map_long(la, 0x30c000, 12, RW | US);
	expect_gpa(la, X86_ACC_FETCH, 0x30c000);
	E.pg.cr4 |= X86_CR4_SMEP;
	expect_pf(la, X86_ACC_FETCH, X86_PF_P | X86_PF_I);
	/* Data accesses and user fetches are not SMEP's. */
	expect_gpa(la, X86_ACC_WRITE, 0x30c000);
	E.pg.cpl = 3;
	expect_gpa(la, X86_ACC_FETCH, 0x30c000);
	/* I/D on a not-present fetch with SMEP alone (no NXE). */
	E.pg.efer &= ~X86_EFER_NXE;
	expect_pf(0x404000, X86_ACC_FETCH, X86_PF_U | X86_PF_I);
}

static void smap(void **state)
{
	uint64_t la = 0x405000;

	(void)state;
	long_mode(false);
	map_long(la, 0x30d000, 12, RW | US);
	expect_gpa(la, X86_ACC_WRITE, 0x30d000);
	E.pg.cr4 |= X86_CR4_SMAP;
	expect_pf(la, 0, X86_PF_P);
	expect_pf(la, X86_ACC_WRITE, X86_PF_P | X86_PF_W);
	/* STAC: explicit accesses pass, implicit ones never do. */
	E.pg.ac = true;
	expect_gpa(la, X86_ACC_WRITE, 0x30d000);
	expect_pf(la, X86_ACC_IMPLICIT, X86_PF_P);
	/* Implicit at CPL 3: a supervisor access (U/S 0), refused too. */
	E.pg.cpl = 3;
	expect_pf(la, X86_ACC_IMPLICIT | X86_ACC_WRITE, X86_PF_P | X86_PF_W);
	/* User accesses and supervisor fetches are not SMAP's. */
	expect_gpa(la, X86_ACC_WRITE, 0x30d000);
	E.pg.cpl = 0;
	E.pg.ac = false;
	expect_gpa(la, X86_ACC_FETCH, 0x30d000);
	/* Supervisor pages are not either. */
	*ent_long(la, 12) &= ~US;
	expect_gpa(la, X86_ACC_WRITE, 0x30d000);
}

static void protection_keys(void **state)
{
	uint64_t la = 0x406000;
	uint64_t *pte;

	(void)state;
	long_mode(false);
	pte = map_long(la, 0x30e000, 12, RW | US | (5ull << 59));
	/* Key 5: access disable (bit 10), write disable (bit 11). */
	E.pg.pkru = 1u << 10;
	expect_gpa(la, 0, 0x30e000); /* CR4.PKE off */
	E.pg.cr4 |= X86_CR4_PKE;
	expect_pf(la, 0, X86_PF_P | X86_PF_PK);
	/* PKRU applies to supervisor accesses to user pages too. */
	E.pg.cpl = 3;
	expect_pf(la, 0, X86_PF_P | X86_PF_U | X86_PF_PK);
	/* Not to fetches. */
	expect_gpa(la, X86_ACC_FETCH, 0x30e000);
	E.pg.pkru = 1u << 11;
	expect_gpa(la, 0, 0x30e000);
	expect_pf(la, X86_ACC_WRITE, X86_PF_P | X86_PF_W | X86_PF_U | X86_PF_PK);
	/* WD stops user writes whatever CR0.WP, supervisor ones only with it. */
	E.pg.cr0 &= ~X86_CR0_WP;
	expect_pf(la, X86_ACC_WRITE, X86_PF_P | X86_PF_W | X86_PF_U | X86_PF_PK);
	E.pg.cpl = 0;
	expect_gpa(la, X86_ACC_WRITE, 0x30e000);
	E.pg.cr0 |= X86_CR0_WP;
	expect_pf(la, X86_ACC_WRITE, X86_PF_P | X86_PF_W | X86_PF_PK);
	/* Supervisor pages: IA32_PKRS under CR4.PKS, PKRU no more. */
	*pte = 0x30e000 | P | RW | (3ull << 59);
	expect_gpa(la, X86_ACC_WRITE, 0x30e000);
	E.pg.pkrs = 1u << 6;
	expect_gpa(la, 0, 0x30e000);
	E.pg.cr4 |= X86_CR4_PKS;
	expect_pf(la, 0, X86_PF_P | X86_PF_PK);
	/* No keys outside 4- and 5-level paging: bits 62:59 of a PAE PTE are
	 * reserved there instead. */
}

/* ---- linear memory across pages ---- */

static void cross_page_write(void **state)
{
	uint64_t la = 0x500ffc; /* 4 bytes in one page, 4 in the next */
	uint64_t *pte0, *pte1;
	struct x86_fault f;
	uint8_t buf[8];
	size_t done;

	(void)state;
	long_mode(false);
	pte0 = map_long(0x500000, 0x310000, 12, RW);
	pte1 = map_long(0x501000, 0x320000, 12, 0); /* read-only */
	memset(E.ram + 0x310ffc, 0x11, 4);
	memset(E.ram + 0x320000, 0x22, 4);
	/* The second page faults: nothing written, no A/D anywhere. */
	assert_int_equal(x86_linear_write(&E.gm, &E.pg, la, "ABCDEFGH", 8, 0,
					  &f),
			 X86_FAULT);
	assert_int_equal(f.vector, X86_VEC_PF);
	assert_int_equal(f.cr2, 0x501000);
	assert_int_equal(f.error_code, X86_PF_P | X86_PF_W);
	assert_memory_equal(E.ram + 0x310ffc, "\x11\x11\x11\x11", 4);
	assert_memory_equal(E.ram + 0x320000, "\x22\x22\x22\x22", 4);
	assert_int_equal(*pte0 & (A | D), 0);
	assert_int_equal(*ent_long(la, 39) & A, 0);
	/* A read gets the first page's bytes, then the fault of the second
	 * (not present now). */
	*pte1 &= ~P;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(x86_linear_read(&E.gm, &E.pg, la, buf, 8, 0, &done, &f),
			 X86_FAULT);
	assert_int_equal(done, 4);
	assert_memory_equal(buf, "\x11\x11\x11\x11", 4);
	assert_int_equal(f.cr2, 0x501000);
	assert_int_equal(f.error_code, 0);
	/* Writable: both halves land, both leaves dirty. */
	*pte1 = 0x320000 | P | RW;
	assert_int_equal(x86_linear_write(&E.gm, &E.pg, la, "ABCDEFGH", 8, 0,
					  &f),
			 0);
	assert_memory_equal(E.ram + 0x310ffc, "ABCD", 4);
	assert_memory_equal(E.ram + 0x320000, "EFGH", 4);
	assert_int_equal(*pte0 & (A | D), A | D);
	assert_int_equal(*pte1 & (A | D), A | D);
	assert_int_equal(x86_linear_read(&E.gm, &E.pg, la, buf, 8, 0, &done, &f),
			 0);
	assert_int_equal(done, 8);
	assert_memory_equal(buf, "ABCDEFGH", 8);
}

static void write_over_own_page_table(void **state)
{
	/* Page 510 of a PT maps that PT itself, page 511 a data page: a write
	 * across both rewrites page 511's PTE on its way.  A CPU translates
	 * both pages first, so the second half still lands. */
	static const uint8_t data[16] = {
		0, 0, 0, 0, 0, 0, 0, 0, 'w', 'r', 'i', 't', 't', 'e', 'n', '!'
	};
	uint64_t base = 0x40000000, la0 = base + 510 * 4096ull;
	uint64_t *pte1, pt;
	struct x86_fault f;

	(void)state;
	long_mode(false);
	pte1 = map_long(base + 511 * 4096ull, 0x321000, 12, RW);
	pt = *ent_long(base, 21) & ADDR52;
	map_long(la0, pt, 12, RW);
	assert_ptr_equal(pte1, e64(pt + 511 * 8));
	assert_int_equal(x86_linear_write(&E.gm, &E.pg, la0 + 0xff8, data, 16,
					  0, &f),
			 0);
	assert_int_equal(*pte1, 0);
	assert_memory_equal(E.ram + 0x321000, "written!", 8);
	/* Too long for one write. */
	assert_int_equal(x86_linear_write(&E.gm, &E.pg, la0, E.ram,
					  X86_LINEAR_WRITE_MAX + 1, 0, &f),
			 -EINVAL);
}

static void linear_not_ram(void **state)
{
	struct x86_fault f;
	uint8_t buf[16];
	size_t done = 99;

	(void)state;
	long_mode(false);
	map_long(0x600000, 0x311000, 12, RW);
	map_long(0x601000, 0xfee00000, 12, RW); /* an MMIO page */
	memset(E.ram + 0x311ff8, 0x33, 8);
	assert_int_equal(x86_linear_write(&E.gm, &E.pg, 0x600ff8,
					  "0123456789abcdef", 16, 0, &f),
			 -ENXIO);
	assert_memory_equal(E.ram + 0x311ff8,
			    "\x33\x33\x33\x33\x33\x33\x33\x33", 8);
	assert_int_equal(x86_linear_read(&E.gm, &E.pg, 0x600ff8, buf, 16, 0,
					 &done, &f),
			 -ENXIO);
	assert_int_equal(done, 8);
	/* An entry outside RAM stops the copy with -EFAULT. */
	*ent_long(0x601000, 21) = 0x7fff0000000ull | P | RW;
	assert_int_equal(x86_linear_read(&E.gm, &E.pg, 0x600ff8, buf, 16, 0,
					 &done, &f),
			 -EFAULT);
	/* A zero-length copy touches nothing. */
	assert_int_equal(x86_linear_write(&E.gm, &E.pg, 0x601000, "", 0, 0, &f),
			 0);
}

static void fetch_peek_sets_no_flags(void **state)
{
	uint64_t la = 0x700000;
	uint64_t *pte;
	struct x86_fault f;
	uint8_t buf[4];
	size_t done;

	(void)state;
	long_mode(false);
	pte = map_long(la, 0x312000, 12, 0);
	memcpy(E.ram + 0x312000, "\x0f\x0b\x90\x90", 4);
	assert_int_equal(x86_linear_read(&E.gm, &E.pg, la, buf, 4,
					 X86_ACC_FETCH | X86_ACC_NO_AD, &done,
					 &f),
			 0);
	assert_memory_equal(buf, "\x0f\x0b\x90\x90", 4);
	assert_int_equal(*pte & A, 0);
	/* Already set flags are not written again (nothing to see but no
	 * harm), and a read never sets D. */
	*pte |= A;
	assert_int_equal(x86_linear_read(&E.gm, &E.pg, la, buf, 4,
					 X86_ACC_WRITE, &done, &f),
			 0);
	assert_int_equal(*pte & D, 0);
}

static void paging_from_sregs(void **state)
{
	struct kvm_sregs s;
	struct x86_paging pg;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.cr0 = X86_CR0_PE | X86_CR0_PG;
	s.cr3 = 0x1000;
	s.cr4 = X86_CR4_PAE | X86_CR4_SMAP;
	s.efer = X86_EFER_LMA | X86_EFER_NXE;
	s.ss.dpl = 3;
	x86_paging_from_sregs(&s, 1u << 18, 46, &pg);
	assert_int_equal(pg.cpl, 3);
	assert_true(pg.ac);
	assert_int_equal(pg.cr3, 0x1000);
	assert_int_equal(pg.maxphyaddr, 46);
	x86_paging_from_sregs(&s, 1u << 17, 46, &pg); /* virtual-8086 */
	assert_int_equal(pg.cpl, 3);
	assert_false(pg.ac);
	s.cr0 = 0;
	x86_paging_from_sregs(&s, 0, 46, &pg); /* real mode */
	assert_int_equal(pg.cpl, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(paging_off_is_identity, setup,
						teardown),
		cmocka_unit_test_setup_teardown(four_level_4k, setup, teardown),
		cmocka_unit_test_setup_teardown(four_level_large_pages, setup,
						teardown),
		cmocka_unit_test_setup_teardown(five_level, setup, teardown),
		cmocka_unit_test_setup_teardown(pae_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(paging32, setup, teardown),
		cmocka_unit_test_setup_teardown(not_present_each_level, setup,
						teardown),
		cmocka_unit_test_setup_teardown(reserved_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_leaves_ram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(user_supervisor, setup,
						teardown),
		cmocka_unit_test_setup_teardown(read_write_and_wp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(nx, setup, teardown),
		cmocka_unit_test_setup_teardown(smep, setup, teardown),
		cmocka_unit_test_setup_teardown(smap, setup, teardown),
		cmocka_unit_test_setup_teardown(protection_keys, setup,
						teardown),
		cmocka_unit_test_setup_teardown(cross_page_write, setup,
						teardown),
		cmocka_unit_test_setup_teardown(write_over_own_page_table,
						setup, teardown),
		cmocka_unit_test_setup_teardown(linear_not_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(fetch_peek_sets_no_flags, setup,
						teardown),
		cmocka_unit_test_setup_teardown(paging_from_sregs, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
