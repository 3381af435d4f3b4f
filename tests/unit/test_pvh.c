// SPDX-License-Identifier: MIT
/*
 * PVH ELF loader: hand-built ELF64 and ELF32 kernels in a malloc'd
 * 64 MiB guest, positive and malformed.
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/kunpack.h"
#include "unit/debian_kernel.h"

#include "arch/x86/boot.h"
#include "arch/x86/platform.h"
#include "arch/x86/start_info.h"

#define MIB		(1024ULL * 1024)
#define RAM_SIZE	(64 * MIB)
#define MAX_SEGS	70
#define KERNEL_ADDR	0x100000ULL
#define ENTRY		0x100040ULL

struct env {
	uint8_t *ram;
	struct guest_mem gm;
	struct e820_map e820;
	struct boot_result res;
	char err[512];
};

static struct env *g;

static int env_setup(void **state)
{
	g = calloc(1, sizeof(*g));
	g->ram = malloc(RAM_SIZE);
	if (!g->ram || gm_init_buffer(&g->gm, g->ram, RAM_SIZE) < 0)
		return -1;
	e820_build(&g->gm, &g->e820);
	return 0;
}

static int env_teardown(void **state)
{
	free(g->ram);
	free(g);
	return 0;
}

/* RAM starts as 0xcc so that zeroed bss is visible. */
static int test_reset(void **state)
{
	memset(g->ram, 0xcc, RAM_SIZE);
	memset(&g->res, 0, sizeof(g->res));
	g->err[0] = '\0';
	return 0;
}

#define assert_fails(expr, rc, text)                                     \
	do {                                                             \
		int rc_ = (expr);                                        \
		if (rc_ != (rc) || !strstr(g->err, (text)))              \
			fail_msg("rc %d (want %d), message \"%s\" (want " \
				 "\"%s\")", rc_, (rc), g->err, (text));  \
	} while (0)

/* ---- A tiny ELF writer ------------------------------------------------- */

struct seg {
	uint32_t type;
	uint64_t paddr, memsz, align;
	const void *data;
	size_t len;		/* p_filesz */
	uint64_t offset;	/* filled in by mk_elf unless fix_offset */
	int fix_offset;
};

struct elf {
	int is64;
	unsigned int nseg;
	struct seg seg[MAX_SEGS];
	/* Optional SHT_NOTE section (notes not in any PT_NOTE). */
	const void *shnote;
	size_t shnote_len;
	uint8_t *buf;
	size_t size;
	size_t phoff, shoff;
};

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}

static void mk_elf(struct elf *e)
{
	size_t ehsz = e->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsz = e->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	size_t shsz = e->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	size_t off, total, shnote_off = 0;
	unsigned int nsh = e->shnote ? 2 : 0;
	uint8_t *b;

	e->phoff = ehsz;
	off = align8(ehsz + e->nseg * phsz);
	for (unsigned int i = 0; i < e->nseg; i++) {
		if (!e->seg[i].fix_offset) {
			e->seg[i].offset = off;
			off = align8(off + e->seg[i].len);
		}
	}
	if (e->shnote) {
		shnote_off = off;
		off = align8(off + e->shnote_len);
	}
	e->shoff = nsh ? off : 0;
	total = off + nsh * shsz;
	b = calloc(1, total);
	for (unsigned int i = 0; i < e->nseg; i++)
		if (!e->seg[i].fix_offset && e->seg[i].len)
			memcpy(b + e->seg[i].offset, e->seg[i].data,
			       e->seg[i].len);
	if (e->shnote)
		memcpy(b + shnote_off, e->shnote, e->shnote_len);

	if (e->is64) {
		Elf64_Ehdr h = {
			.e_type = ET_EXEC, .e_machine = EM_X86_64,
			.e_version = EV_CURRENT, .e_entry = 0xffffffff81000000,
			.e_phoff = e->phoff, .e_shoff = e->shoff,
			.e_ehsize = sizeof(h), .e_phentsize = phsz,
			.e_phnum = e->nseg, .e_shentsize = shsz,
			.e_shnum = nsh,
		};

		for (unsigned int i = 0; i < e->nseg; i++) {
			const struct seg *s = &e->seg[i];
			Elf64_Phdr ph = {
				.p_type = s->type, .p_offset = s->offset,
				.p_vaddr = s->paddr, .p_paddr = s->paddr,
				.p_filesz = s->len, .p_memsz = s->memsz,
				.p_align = s->align,
			};

			memcpy(b + e->phoff + i * phsz, &ph, sizeof(ph));
		}
		if (nsh) {
			Elf64_Shdr sh = { .sh_type = SHT_NOTE,
					  .sh_offset = shnote_off,
					  .sh_size = e->shnote_len,
					  .sh_addralign = 4 };

			memcpy(b + e->shoff + shsz, &sh, sizeof(sh));
		}
		memcpy(b, &h, sizeof(h));
	} else {
		Elf32_Ehdr h = {
			.e_type = ET_EXEC, .e_machine = EM_386,
			.e_version = EV_CURRENT, .e_entry = ENTRY,
			.e_phoff = e->phoff, .e_shoff = e->shoff,
			.e_ehsize = sizeof(h), .e_phentsize = phsz,
			.e_phnum = e->nseg, .e_shentsize = shsz,
			.e_shnum = nsh,
		};

		for (unsigned int i = 0; i < e->nseg; i++) {
			const struct seg *s = &e->seg[i];
			Elf32_Phdr ph = {
				.p_type = s->type, .p_offset = s->offset,
				.p_vaddr = s->paddr, .p_paddr = s->paddr,
				.p_filesz = s->len, .p_memsz = s->memsz,
				.p_align = s->align,
			};

			memcpy(b + e->phoff + i * phsz, &ph, sizeof(ph));
		}
		if (nsh) {
			Elf32_Shdr sh = { .sh_type = SHT_NOTE,
					  .sh_offset = shnote_off,
					  .sh_size = e->shnote_len,
					  .sh_addralign = 4 };

			memcpy(b + e->shoff + shsz, &sh, sizeof(sh));
		}
		memcpy(b, &h, sizeof(h));
	}
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = e->is64 ? ELFCLASS64 : ELFCLASS32;
	b[EI_DATA] = ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	e->buf = b;
	e->size = total;
}

/* Append one note; returns the new length of buf. */
static size_t add_note(uint8_t *buf, size_t len, const char *name,
		       uint32_t type, const void *desc, uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	uint32_t hdr[3] = { namesz, descsz, type };

	memcpy(buf + len, hdr, sizeof(hdr));
	len += sizeof(hdr);
	memset(buf + len, 0, (namesz + 3) & ~3u);
	memcpy(buf + len, name, namesz);
	len += (namesz + 3) & ~3u;
	memset(buf + len, 0, (descsz + 3) & ~3u);
	memcpy(buf + len, desc, descsz);
	return len + ((descsz + 3) & ~3u);
}

static uint8_t text[0x1000];
static uint8_t notes[256];
static size_t notes_len;

/* A PVH kernel: text at 1 MiB (0x3000 in memory), a Xen note. */
static void std_elf(struct elf *e, int is64)
{
	uint32_t entry = ENTRY;

	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)(i ^ 0xa5);
	notes_len = add_note(notes, 0, "GNU", 3, "abcd", 4);
	notes_len = add_note(notes, notes_len, "Xen", 17, "zzzz", 4);
	notes_len = add_note(notes, notes_len, "Xen", XEN_ELFNOTE_PHYS32_ENTRY,
			     &entry, 4);
	memset(e, 0, sizeof(*e));
	e->is64 = is64;
	e->nseg = 2;
	e->seg[0] = (struct seg){ .type = PT_LOAD, .paddr = KERNEL_ADDR,
				  .memsz = 0x3000, .data = text,
				  .len = sizeof(text) };
	e->seg[1] = (struct seg){ .type = PT_NOTE, .data = notes,
				  .len = notes_len, .align = 4 };
}

static int load_img(const uint8_t *k, size_t ksize, const uint8_t *initrd,
		    size_t isize, const char *cmdline)
{
	struct boot_image img = {
		.kernel = k,
		.kernel_size = ksize,
		.initrd = initrd,
		.initrd_size = isize,
		.cmdline = cmdline,
		.rsdp_gpa = PLAT_ACPI_ADDR,
	};

	return boot_load_image(&g->gm, &g->e820, &img, &g->res, g->err,
			       sizeof(g->err));
}

static int load(struct elf *e, const uint8_t *initrd, size_t isize)
{
	int rc;

	mk_elf(e);
	rc = load_img(e->buf, e->size, initrd, isize, "console=hvc0");
	free(e->buf);
	e->buf = NULL;
	return rc;
}

static const struct hvm_start_info *start_info(void)
{
	return (const struct hvm_start_info *)(g->ram + PLAT_PVH_INFO_ADDR);
}

/* ---- Positive ------------------------------------------------------------ */

static void check_loaded(size_t isize, const uint8_t *initrd)
{
	const struct hvm_start_info *si = start_info();
	const struct hvm_memmap_table_entry *mm =
		(const void *)(g->ram + PLAT_PVH_MEMMAP_ADDR);
	const struct hvm_modlist_entry *mod =
		(const void *)(g->ram + PLAT_PVH_MODLIST_ADDR);

	assert_int_equal(g->res.kind, BOOT_PVH);
	assert_int_equal(g->res.entry, ENTRY);
	assert_int_equal(g->res.boot_info, PLAT_PVH_INFO_ADDR);
	assert_int_equal(g->res.kernel_start, KERNEL_ADDR);
	assert_int_equal(g->res.kernel_end, KERNEL_ADDR + 0x3000);

	/* Segment bytes, then a zeroed bss, then untouched RAM. */
	assert_memory_equal(g->ram + KERNEL_ADDR, text, sizeof(text));
	for (size_t i = sizeof(text); i < 0x3000; i++)
		assert_int_equal(g->ram[KERNEL_ADDR + i], 0);
	assert_int_equal(g->ram[KERNEL_ADDR + 0x3000], 0xcc);

	assert_int_equal(si->magic, 0x336ec578);
	assert_int_equal(si->version, 1);
	assert_int_equal(si->flags, 0);
	assert_int_equal(si->cmdline_paddr, PLAT_CMDLINE_ADDR);
	assert_string_equal((char *)g->ram + PLAT_CMDLINE_ADDR, "console=hvc0");
	assert_int_equal(si->rsdp_paddr, PLAT_ACPI_ADDR);
	assert_int_equal(si->memmap_paddr, PLAT_PVH_MEMMAP_ADDR);
	assert_int_equal(si->memmap_entries, g->e820.nr);
	for (unsigned int i = 0; i < g->e820.nr; i++) {
		assert_int_equal(mm[i].addr, g->e820.entry[i].addr);
		assert_int_equal(mm[i].size, g->e820.entry[i].size);
		assert_int_equal(mm[i].type, g->e820.entry[i].type);
		assert_int_equal(mm[i].reserved, 0);
	}
	assert_int_equal(mm[0].type, HVM_MEMMAP_RAM);
	assert_int_equal(mm[1].type, HVM_MEMMAP_RESERVED);

	if (!isize) {
		assert_int_equal(si->nr_modules, 0);
		assert_int_equal(si->modlist_paddr, 0);
		return;
	}
	assert_int_equal(si->nr_modules, 1);
	assert_int_equal(si->modlist_paddr, PLAT_PVH_MODLIST_ADDR);
	assert_int_equal(mod->size, isize);
	assert_int_equal(mod->paddr, g->res.initrd_start);
	assert_int_equal(mod->cmdline_paddr, 0);
	assert_int_equal(mod->paddr % 4096, 0);
	assert_true(mod->paddr >= g->res.kernel_end);
	assert_true(mod->paddr + isize <= RAM_SIZE);
	assert_true(mod->paddr + isize > RAM_SIZE - 4096);
	assert_memory_equal(g->ram + mod->paddr, initrd, isize);
}

static void test_probe(void **state)
{
	struct elf e;

	std_elf(&e, 1);
	mk_elf(&e);
	assert_int_equal(pvh_probe(e.buf, e.size), 1);
	assert_int_equal(pvh_probe(e.buf, 8), 0);
	e.buf[EI_CLASS] = 7;
	assert_int_equal(pvh_probe(e.buf, e.size), 0);
	e.buf[EI_CLASS] = ELFCLASS64;
	e.buf[1] = 'e';
	assert_int_equal(pvh_probe(e.buf, e.size), 0);
	free(e.buf);
}

static void test_elf64(void **state)
{
	struct elf e;
	size_t isize = 5 * MIB + 17;
	uint8_t *initrd = malloc(isize);

	memset(initrd, 0x3c, isize);
	std_elf(&e, 1);
	assert_int_equal(load(&e, initrd, isize), 0);
	check_loaded(isize, initrd);
	free(initrd);
}

static void test_elf32_no_initrd(void **state)
{
	struct elf e;

	std_elf(&e, 0);
	assert_int_equal(load(&e, NULL, 0), 0);
	check_loaded(0, NULL);
}

static void test_note_8byte_and_align8(void **state)
{
	struct elf e;
	uint64_t entry = ENTRY;
	uint8_t n8[64] = { 0 };
	uint32_t hdr[3] = { 4, 8, XEN_ELFNOTE_PHYS32_ENTRY };

	/* An 8-aligned note segment: name padded to 8 (already is). */
	memcpy(n8, hdr, 12);
	memcpy(n8 + 12, "Xen", 4);
	memcpy(n8 + 16, &entry, 8);
	std_elf(&e, 1);
	e.seg[1] = (struct seg){ .type = PT_NOTE, .data = n8, .len = 24,
				 .align = 8 };
	assert_int_equal(load(&e, NULL, 0), 0);
	assert_int_equal(g->res.entry, ENTRY);
}

static void test_note_in_section(void **state)
{
	struct elf e;
	uint32_t entry = ENTRY + 0x10;

	std_elf(&e, 1);
	notes_len = add_note(notes, 0, "Xen", XEN_ELFNOTE_PHYS32_ENTRY,
			     &entry, 4);
	e.nseg = 1;	/* no PT_NOTE */
	e.shnote = notes;
	e.shnote_len = notes_len;
	assert_int_equal(load(&e, NULL, 0), 0);
	assert_int_equal(g->res.entry, ENTRY + 0x10);
}

static void test_initrd_below_kernel(void **state)
{
	struct elf e;
	size_t isize = 4 * MIB;
	uint8_t *initrd = calloc(1, isize);
	uint32_t entry = 56 * MIB;

	/* Kernel [56, 64) MiB: the initrd goes right below it. */
	std_elf(&e, 1);
	notes_len = add_note(notes, 0, "Xen", XEN_ELFNOTE_PHYS32_ENTRY,
			     &entry, 4);
	e.seg[0].paddr = 56 * MIB;
	e.seg[0].memsz = 8 * MIB;
	e.seg[1].len = notes_len;
	assert_int_equal(load(&e, initrd, isize), 0);
	assert_int_equal(g->res.initrd_start, 52 * MIB);
	assert_int_equal(start_info()->nr_modules, 1);
	free(initrd);
}

/* ---- Negative ------------------------------------------------------------ */

static void test_truncated_ehdr(void **state)
{
	struct elf e;

	std_elf(&e, 1);
	mk_elf(&e);
	assert_fails(load_img(e.buf, 40, NULL, 0, NULL), -ENOEXEC,
		     "truncated: the ELF header needs 64 bytes but the file "
		     "has 40");
	e.buf[EI_DATA] = ELFDATA2MSB;
	assert_fails(load_img(e.buf, e.size, NULL, 0, NULL), -ENOEXEC,
		     "not little endian");
	e.buf[EI_DATA] = ELFDATA2LSB;
	e.buf[offsetof(Elf64_Ehdr, e_machine)] = EM_AARCH64;
	assert_fails(load_img(e.buf, e.size, NULL, 0, NULL), -ENOEXEC,
		     "ELF machine 183 is not x86");
	e.buf[offsetof(Elf64_Ehdr, e_machine)] = EM_X86_64;
	e.buf[offsetof(Elf64_Ehdr, e_type)] = ET_DYN;
	assert_fails(load_img(e.buf, e.size, NULL, 0, NULL), -ENOEXEC,
		     "ELF type 3 is not an executable");
	free(e.buf);
}

static void test_phoff_out_of_file(void **state)
{
	struct elf e;
	uint64_t phoff = 0xfffffffffffffff0ULL;

	std_elf(&e, 1);
	mk_elf(&e);
	memcpy(e.buf + offsetof(Elf64_Ehdr, e_phoff), &phoff, 8);
	assert_fails(load_img(e.buf, e.size, NULL, 0, NULL), -ENOEXEC,
		     "program header table at offset 0xfffffffffffffff0 "
		     "(112 bytes) runs past the end of the file");
	phoff = e.size - 56;
	memcpy(e.buf + offsetof(Elf64_Ehdr, e_phoff), &phoff, 8);
	assert_fails(load_img(e.buf, e.size, NULL, 0, NULL), -ENOEXEC,
		     "runs past the end of the file");
	free(e.buf);
}

static void test_phdr_counts(void **state)
{
	struct elf e;
	uint16_t v;

	std_elf(&e, 1);
	e.nseg = 65;
	for (unsigned int i = 2; i < e.nseg; i++)
		e.seg[i] = (struct seg){ .type = PT_NULL };
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "too many program headers (65; vmon accepts at most 64)");

	std_elf(&e, 1);
	mk_elf(&e);
	v = 0xffff;	/* PN_XNUM */
	memcpy(e.buf + offsetof(Elf64_Ehdr, e_phnum), &v, 2);
	assert_fails(load_img(e.buf, e.size, NULL, 0, NULL), -ENOEXEC,
		     "too many program headers (65535");
	v = 0;
	memcpy(e.buf + offsetof(Elf64_Ehdr, e_phnum), &v, 2);
	assert_fails(load_img(e.buf, e.size, NULL, 0, NULL), -ENOEXEC,
		     "ELF has no program headers");
	v = 2;
	memcpy(e.buf + offsetof(Elf64_Ehdr, e_phnum), &v, 2);
	v = 20;
	memcpy(e.buf + offsetof(Elf64_Ehdr, e_phentsize), &v, 2);
	assert_fails(load_img(e.buf, e.size, NULL, 0, NULL), -ENOEXEC,
		     "program header size 20 is below the 56 bytes");
	free(e.buf);
}

static void test_segment_file_range(void **state)
{
	struct elf e;

	std_elf(&e, 1);
	e.seg[0].fix_offset = 1;
	e.seg[0].offset = 0xffffffffffffff00ULL;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "segment 0: file bytes [0xffffffffffffff00, +0x1000) run "
		     "past the end of the file");
}

static void test_filesz_gt_memsz(void **state)
{
	struct elf e;

	std_elf(&e, 1);
	e.seg[0].memsz = 0x800;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "segment 0: p_filesz 0x1000 is larger than p_memsz 0x800");
}

static void test_segment_outside_ram(void **state)
{
	struct elf e;

	std_elf(&e, 1);
	e.seg[0].paddr = 0x8000000;	/* 128 MiB */
	assert_fails(load(&e, NULL, 0), -ENOMEM,
		     "segment 0 [0x8000000, 0x8003000) is outside guest RAM "
		     "(guest has 64 MiB)");

	/* Straddling the end of RAM. */
	e.seg[0].paddr = RAM_SIZE - 0x1000;
	assert_fails(load(&e, NULL, 0), -ENOMEM, "is outside guest RAM");

	/* In the legacy hole (reserved in the e820 map). */
	e.seg[0].paddr = PLAT_HIGH_RAM_START - 0x1000;
	assert_fails(load(&e, NULL, 0), -ENOEXEC, "below 1 MiB");
}

static void test_segment_below_1m(void **state)
{
	struct elf e;

	std_elf(&e, 1);
	e.seg[0].paddr = 0x8000;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "segment 0 loads at 0x8000, below 1 MiB");
}

static void test_segment_overflow(void **state)
{
	struct elf e;

	std_elf(&e, 1);
	e.seg[0].paddr = 0xfffffffffffff000ULL;
	e.seg[0].memsz = 0x2000;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "segment 0: 0xfffffffffffff000 + 0x2000 overflows");
}

static void test_no_pvh_note(void **state)
{
	struct elf e;

	std_elf(&e, 1);
	notes_len = add_note(notes, 0, "GNU", XEN_ELFNOTE_PHYS32_ENTRY,
			     "abcd", 4);
	e.seg[1].len = notes_len;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "not a PVH kernel: no XEN_ELFNOTE_PHYS32_ENTRY note");
	e.nseg = 1;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "not a PVH kernel: no XEN_ELFNOTE_PHYS32_ENTRY note");
}

static void test_note_truncated(void **state)
{
	struct elf e;
	uint32_t entry = ENTRY;

	/* The descriptor claims 8 bytes; only 4 are in the segment. */
	std_elf(&e, 1);
	notes_len = add_note(notes, 0, "Xen", XEN_ELFNOTE_PHYS32_ENTRY,
			     &entry, 4);
	memcpy(notes + 4, &(uint32_t){ 8 }, 4);
	e.seg[1].len = notes_len;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "is truncated: its 8-byte descriptor runs past the end");

	/* A huge descriptor size must not wrap. */
	memcpy(notes + 4, &(uint32_t){ 0xfffffffc }, 4);
	assert_fails(load(&e, NULL, 0), -ENOEXEC, "truncated");

	/* A name running past the end. */
	memcpy(notes + 0, &(uint32_t){ 0xffffffff }, 4);
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "truncated: its 4294967295-byte name runs past");

	/* A value that is neither 4 nor 8 bytes. */
	notes_len = add_note(notes, 0, "Xen", XEN_ELFNOTE_PHYS32_ENTRY,
			     &entry, 2);
	e.seg[1].len = notes_len;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "XEN_ELFNOTE_PHYS32_ENTRY has a 2-byte value");

	/* The note segment itself outside the file. */
	std_elf(&e, 1);
	e.seg[1].fix_offset = 1;
	e.seg[1].offset = 0x100000;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "note segment 1 at offset 0x100000");
}

static void test_section_table_bad(void **state)
{
	struct elf e;
	uint64_t shoff = 0x7ffffffffff0ULL;

	std_elf(&e, 1);
	e.nseg = 1;
	e.shnote = "x";
	e.shnote_len = 1;
	mk_elf(&e);
	memcpy(e.buf + offsetof(Elf64_Ehdr, e_shoff), &shoff, 8);
	assert_fails(load_img(e.buf, e.size, NULL, 0, NULL), -ENOEXEC,
		     "section header table at offset 0x7ffffffffff0");
	free(e.buf);
}

static void test_entry_outside_segments(void **state)
{
	struct elf e;
	uint32_t entry = 0x200000;

	std_elf(&e, 1);
	notes_len = add_note(notes, 0, "Xen", XEN_ELFNOTE_PHYS32_ENTRY,
			     &entry, 4);
	e.seg[1].len = notes_len;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "PVH entry point 0x200000 is not inside a loaded segment");
}

static void test_initrd_overlap_refused(void **state)
{
	struct elf e;
	size_t isize = 8 * MIB;
	uint8_t *initrd = calloc(1, isize);

	/* The kernel takes [1, 60) MiB: 4 MiB left, 8 needed. */
	std_elf(&e, 1);
	e.seg[0].memsz = 59 * MIB;
	assert_fails(load(&e, initrd, isize), -ENOMEM,
		     "initrd (8 MiB) does not fit in guest RAM outside the "
		     "kernel at [0x100000, 0x3c00000); guest has 64 MiB");
	free(initrd);
}

static void test_no_load_segments(void **state)
{
	struct elf e;

	std_elf(&e, 1);
	e.seg[0].type = PT_NULL;
	assert_fails(load(&e, NULL, 0), -ENOEXEC,
		     "ELF has no loadable segments");
}

static void test_cmdline_too_long(void **state)
{
	struct elf e;
	char *big = malloc(PLAT_CMDLINE_MAX + 1);
	int rc;

	memset(big, 'y', PLAT_CMDLINE_MAX);
	big[PLAT_CMDLINE_MAX] = '\0';
	std_elf(&e, 1);
	mk_elf(&e);
	rc = load_img(e.buf, e.size, NULL, 0, big);
	assert_fails(rc, -E2BIG, "command line is 65536 bytes but the kernel "
				 "accepts at most 65535");
	free(e.buf);
	free(big);
}

/*
 * A real PVH vmlinux when VMON_TEST_VMLINUX names one; skipped if not.  The
 * Debian cloud kernel's payload (setup header payload_offset and
 * payload_length, counted from the end of the setup sectors) is LZ4 and
 * unpacks with `lz4 -dc` into an ELF64 vmlinux with the PVH note.
 */
/*
 * Linux's own vmlinux carries the PVH note: unpack Debian's bzImage
 * payload on the host (as the bzImage loader does) and boot it as PVH.
 */
static void test_real_vmlinux(void **state)
{
	const char *kpath = debian_kernel_path();
	struct guest_mem gm;
	struct e820_map e820;
	struct boot_image img = { .cmdline = "quiet" };
	const struct hvm_start_info *si;
	uint8_t *ram, *bz, *vmlinux = NULL;
	size_t bzlen, vlen, poff;
	uint32_t plen, off;
	char err[256];
	FILE *f;

	if (!kpath || !(f = fopen(kpath, "rb"))) {
		skip();
		return;
	}
	bz = malloc(64 * MIB);
	assert_non_null(bz);
	bzlen = fread(bz, 1, 64 * MIB, f);
	fclose(f);
	assert_true(bzlen > 0x300);
	memcpy(&off, bz + 0x248, 4);		/* payload_offset */
	memcpy(&plen, bz + 0x24c, 4);		/* payload_length */
	poff = (size_t)(bz[0x1f1] + 1) * 512 + off;
	assert_true(poff + plen <= bzlen);
	assert_int_equal(kunpack(bz + poff, plen, 256 * MIB, &vmlinux, &vlen,
				 err, sizeof(err)), 0);
	free(bz);

	ram = calloc(1, 256 * MIB);
	assert_non_null(ram);
	assert_int_equal(gm_init_buffer(&gm, ram, 256 * MIB), 0);
	e820_build(&gm, &e820);
	img.kernel = vmlinux;
	img.kernel_size = vlen;
	if (boot_load_image(&gm, &e820, &img, &g->res, g->err, sizeof(g->err)))
		fail_msg("%s", g->err);
	si = (const struct hvm_start_info *)(ram + PLAT_PVH_INFO_ADDR);
	assert_int_equal(g->res.kind, BOOT_PVH);
	assert_int_equal(si->magic, HVM_START_MAGIC);
	assert_true(g->res.entry >= g->res.kernel_start &&
		    g->res.entry < g->res.kernel_end);
	assert_int_equal(g->res.kernel_start, 0x1000000);
	free(vmlinux);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_probe, test_reset),
		cmocka_unit_test_setup(test_elf64, test_reset),
		cmocka_unit_test_setup(test_elf32_no_initrd, test_reset),
		cmocka_unit_test_setup(test_note_8byte_and_align8, test_reset),
		cmocka_unit_test_setup(test_note_in_section, test_reset),
		cmocka_unit_test_setup(test_initrd_below_kernel, test_reset),
		cmocka_unit_test_setup(test_truncated_ehdr, test_reset),
		cmocka_unit_test_setup(test_phoff_out_of_file, test_reset),
		cmocka_unit_test_setup(test_phdr_counts, test_reset),
		cmocka_unit_test_setup(test_segment_file_range, test_reset),
		cmocka_unit_test_setup(test_filesz_gt_memsz, test_reset),
		cmocka_unit_test_setup(test_segment_outside_ram, test_reset),
		cmocka_unit_test_setup(test_segment_below_1m, test_reset),
		cmocka_unit_test_setup(test_segment_overflow, test_reset),
		cmocka_unit_test_setup(test_no_pvh_note, test_reset),
		cmocka_unit_test_setup(test_note_truncated, test_reset),
		cmocka_unit_test_setup(test_section_table_bad, test_reset),
		cmocka_unit_test_setup(test_entry_outside_segments, test_reset),
		cmocka_unit_test_setup(test_initrd_overlap_refused, test_reset),
		cmocka_unit_test_setup(test_no_load_segments, test_reset),
		cmocka_unit_test_setup(test_cmdline_too_long, test_reset),
		cmocka_unit_test_setup(test_real_vmlinux, test_reset),
	};

	return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
