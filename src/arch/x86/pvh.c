// SPDX-License-Identifier: MIT
/*
 * PVH loader: an ELF kernel (ELF32 or ELF64) whose XEN_ELFNOTE_PHYS32_ENTRY
 * note names a 32-bit physical entry point.  PT_LOAD segments go to their
 * physical addresses; the kernel starts in 32-bit protected mode with EBX
 * pointing at struct hvm_start_info (Xen's
 * include/public/arch-x86/hvm/start_info.h, docs/misc/pvh.pandoc).
 *
 * Every header field is untrusted: offsets and sizes are checked against
 * the file, addresses against guest RAM, all sums for overflow, and all
 * of it before anything is written to guest RAM.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/platform.h"
#include "arch/x86/start_info.h"
#include "lib/le.h"

#define MIB		(1024ULL * 1024)
#define PVH_MAX_PHDRS	64	/* Linux has 5; more is malformed */
#define PVH_MAX_SHDRS	4096	/* vmlinux has about 80 */
#define NOTE_HDR_SIZE	12	/* namesz, descsz, type */

_Static_assert(PLAT_PVH_MODLIST_ADDR >=
		       PLAT_PVH_INFO_ADDR + sizeof(struct hvm_start_info),
	       "start_info overlaps the module list");
_Static_assert(PLAT_PVH_MEMMAP_ADDR >=
		       PLAT_PVH_MODLIST_ADDR + sizeof(struct hvm_modlist_entry),
	       "module list overlaps the memory map");
_Static_assert(PLAT_PVH_MEMMAP_ADDR +
			       E820_MAX_ENTRIES *
				       sizeof(struct hvm_memmap_table_entry) <=
		       PLAT_ZERO_PAGE_ADDR,
	       "memory map overlaps the zero page");

/* The parts of the ELF and program headers vmon uses, width-independent. */
struct elf_hdr {
	int is64;
	uint64_t entry;
	uint64_t phoff, shoff;
	unsigned int phnum, phentsize, shnum, shentsize;
};

struct elf_seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz, align;
};

struct pvh_ctx {
	const struct boot_image *img;
	char *err;
	size_t errlen;
	int found;
	uint64_t entry;
};

static unsigned long long mib_up(uint64_t bytes)
{
	return bytes / MIB + (bytes % MIB != 0);
}

int pvh_probe(const uint8_t *kernel, size_t size)
{
	if (!kernel || size < EI_NIDENT)
		return 0;
	return memcmp(kernel, ELFMAG, SELFMAG) == 0 &&
	       (kernel[EI_CLASS] == ELFCLASS32 ||
		kernel[EI_CLASS] == ELFCLASS64);
}

/* Is [off, off + len) inside the file?  Overflow-safe. */
static int in_file(const struct boot_image *img, uint64_t off, uint64_t len)
{
	uint64_t end;

	return !__builtin_add_overflow(off, len, &end) &&
	       end <= img->kernel_size;
}

static int parse_ehdr(const struct boot_image *img, struct elf_hdr *eh,
		      char *err, size_t errlen)
{
	const uint8_t *k = img->kernel;
	const char *kn = img->kernel_name;
	unsigned int machine, type;
	size_t need, phsize;
	uint64_t phbytes;

	eh->is64 = k[EI_CLASS] == ELFCLASS64;
	need = eh->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (img->kernel_size < need)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "truncated: the ELF header needs %zu bytes "
				  "but the file has %zu", need,
				  img->kernel_size);
	if (k[EI_DATA] != ELFDATA2LSB)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "ELF data encoding %u is not little endian",
				  k[EI_DATA]);
	if (eh->is64) {
		Elf64_Ehdr h;

		memcpy(&h, k, sizeof(h));
		machine = h.e_machine;
		type = h.e_type;
		eh->entry = h.e_entry;
		eh->phoff = h.e_phoff;
		eh->phnum = h.e_phnum;
		eh->phentsize = h.e_phentsize;
		eh->shoff = h.e_shoff;
		eh->shnum = h.e_shnum;
		eh->shentsize = h.e_shentsize;
		phsize = sizeof(Elf64_Phdr);
	} else {
		Elf32_Ehdr h;

		memcpy(&h, k, sizeof(h));
		machine = h.e_machine;
		type = h.e_type;
		eh->entry = h.e_entry;
		eh->phoff = h.e_phoff;
		eh->phnum = h.e_phnum;
		eh->phentsize = h.e_phentsize;
		eh->shoff = h.e_shoff;
		eh->shnum = h.e_shnum;
		eh->shentsize = h.e_shentsize;
		phsize = sizeof(Elf32_Phdr);
	}
	if (machine != EM_X86_64 && machine != EM_386)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "ELF machine %u is not x86", machine);
	if (type != ET_EXEC)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "ELF type %u is not an executable (ET_EXEC)",
				  type);
	if (eh->phnum == 0)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "ELF has no program headers");
	if (eh->phnum > PVH_MAX_PHDRS)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "too many program headers (%u; vmon accepts "
				  "at most %d)", eh->phnum, PVH_MAX_PHDRS);
	if (eh->phentsize < phsize)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "program header size %u is below the %zu "
				  "bytes of an ELF%d program header",
				  eh->phentsize, phsize, eh->is64 ? 64 : 32);
	/* phnum <= 64 and phentsize < 2^16: no overflow. */
	phbytes = (uint64_t)eh->phnum * eh->phentsize;
	if (!in_file(img, eh->phoff, phbytes))
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "program header table at offset %#llx "
				  "(%llu bytes) runs past the end of the file "
				  "(%zu bytes)",
				  (unsigned long long)eh->phoff,
				  (unsigned long long)phbytes,
				  img->kernel_size);
	return 0;
}

/* Program header i; the table was bounds-checked by parse_ehdr(). */
static void get_phdr(const struct boot_image *img, const struct elf_hdr *eh,
		     unsigned int i, struct elf_seg *s)
{
	const uint8_t *p = img->kernel + eh->phoff + (uint64_t)i * eh->phentsize;

	if (eh->is64) {
		Elf64_Phdr ph;

		memcpy(&ph, p, sizeof(ph));
		*s = (struct elf_seg){ ph.p_type, ph.p_offset, ph.p_paddr,
				       ph.p_filesz, ph.p_memsz, ph.p_align };
	} else {
		Elf32_Phdr ph;

		memcpy(&ph, p, sizeof(ph));
		*s = (struct elf_seg){ ph.p_type, ph.p_offset, ph.p_paddr,
				       ph.p_filesz, ph.p_memsz, ph.p_align };
	}
}

/*
 * Walk the notes in file bytes [off, off + len) (already checked to be in
 * the file) looking for Xen's PHYS32_ENTRY.  align is 4 or 8.
 */
static int walk_notes(struct pvh_ctx *c, uint64_t off, uint64_t len,
		      uint64_t align)
{
	const uint8_t *base = c->img->kernel + off;
	const char *kn = c->img->kernel_name;
	uint64_t pos = 0;

	while (len - pos >= NOTE_HDR_SIZE) {
		uint32_t namesz = le32_get(base + pos);
		uint32_t descsz = le32_get(base + pos + 4);
		uint32_t type = le32_get(base + pos + 8);
		/*
		 * Name and descriptor start aligned relative to the (aligned)
		 * note area, so 8-byte notes pad "Xen\0" to offset 16.  pos
		 * is below the file size and sizes are 32-bit: no overflow.
		 */
		uint64_t name = pos + NOTE_HDR_SIZE;
		uint64_t desc = (name + namesz + align - 1) & ~(align - 1);

		if (desc > len)
			return boot_error(c->err, c->errlen, kn, -ENOEXEC,
					  "ELF note at file offset %#llx is "
					  "truncated: its %u-byte name runs "
					  "past the end of the notes",
					  (unsigned long long)(off + pos),
					  namesz);
		if (descsz > len - desc)
			return boot_error(c->err, c->errlen, kn, -ENOEXEC,
					  "ELF note at file offset %#llx is "
					  "truncated: its %u-byte descriptor "
					  "runs past the end of the notes",
					  (unsigned long long)(off + pos),
					  descsz);
		if (!c->found && type == XEN_ELFNOTE_PHYS32_ENTRY &&
		    namesz == sizeof(XEN_ELFNOTE_NAME) &&
		    memcmp(base + name, XEN_ELFNOTE_NAME, namesz) == 0) {
			if (descsz == 4) {
				c->entry = le32_get(base + desc);
			} else if (descsz == 8) {
				memcpy(&c->entry, base + desc, 8);
			} else {
				return boot_error(c->err, c->errlen, kn,
						  -ENOEXEC,
						  "XEN_ELFNOTE_PHYS32_ENTRY "
						  "has a %u-byte value; "
						  "expected 4 or 8", descsz);
			}
			c->found = 1;
		}
		/* The last note may omit its trailing padding. */
		pos = (desc + descsz + align - 1) & ~(align - 1);
		if (pos >= len)
			break;
	}
	return 0;
}

static uint64_t note_align(uint64_t a)
{
	return a == 8 ? 8 : 4;
}

/* Look for the note in SHT_NOTE sections (for ELFs without PT_NOTE). */
static int scan_section_notes(struct pvh_ctx *c, const struct elf_hdr *eh)
{
	const struct boot_image *img = c->img;
	size_t shsize = eh->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	uint64_t bytes;
	int rc;

	if (eh->shoff == 0 || eh->shnum == 0)
		return 0;
	if (eh->shnum > PVH_MAX_SHDRS || eh->shentsize < shsize)
		return boot_error(c->err, c->errlen, img->kernel_name, -ENOEXEC,
				  "malformed section header table (%u "
				  "entries of %u bytes)", eh->shnum,
				  eh->shentsize);
	bytes = (uint64_t)eh->shnum * eh->shentsize;
	if (!in_file(img, eh->shoff, bytes))
		return boot_error(c->err, c->errlen, img->kernel_name, -ENOEXEC,
				  "section header table at offset %#llx "
				  "(%llu bytes) runs past the end of the file "
				  "(%zu bytes)",
				  (unsigned long long)eh->shoff,
				  (unsigned long long)bytes, img->kernel_size);
	for (unsigned int i = 0; i < eh->shnum && !c->found; i++) {
		const uint8_t *p = img->kernel + eh->shoff +
				   (uint64_t)i * eh->shentsize;
		uint64_t off, size, align;
		uint32_t type;

		if (eh->is64) {
			Elf64_Shdr sh;

			memcpy(&sh, p, sizeof(sh));
			type = sh.sh_type;
			off = sh.sh_offset;
			size = sh.sh_size;
			align = sh.sh_addralign;
		} else {
			Elf32_Shdr sh;

			memcpy(&sh, p, sizeof(sh));
			type = sh.sh_type;
			off = sh.sh_offset;
			size = sh.sh_size;
			align = sh.sh_addralign;
		}
		if (type != SHT_NOTE)
			continue;
		if (!in_file(img, off, size))
			return boot_error(c->err, c->errlen, img->kernel_name,
					  -ENOEXEC,
					  "note section %u at offset %#llx "
					  "(%llu bytes) runs past the end of "
					  "the file", i,
					  (unsigned long long)off,
					  (unsigned long long)size);
		rc = walk_notes(c, off, size, note_align(align));
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Check one PT_LOAD segment against the file and guest RAM. */
static int check_load(const struct guest_mem *gm, const struct e820_map *e820,
		      const struct boot_image *img, unsigned int i,
		      const struct elf_seg *s, char *err, size_t errlen)
{
	const char *kn = img->kernel_name;
	uint64_t end;

	if (!in_file(img, s->offset, s->filesz))
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "segment %u: file bytes [%#llx, +%#llx) run "
				  "past the end of the file (%zu bytes)", i,
				  (unsigned long long)s->offset,
				  (unsigned long long)s->filesz,
				  img->kernel_size);
	if (s->filesz > s->memsz)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "segment %u: p_filesz %#llx is larger than "
				  "p_memsz %#llx", i,
				  (unsigned long long)s->filesz,
				  (unsigned long long)s->memsz);
	if (__builtin_add_overflow(s->paddr, s->memsz, &end))
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "segment %u: %#llx + %#llx overflows the "
				  "address space", i,
				  (unsigned long long)s->paddr,
				  (unsigned long long)s->memsz);
	if (s->paddr < PLAT_HIGH_RAM_START)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "segment %u loads at %#llx, below 1 MiB where "
				  "vmon keeps its boot structures", i,
				  (unsigned long long)s->paddr);
	if (!boot_range_is_ram(gm, e820, s->paddr, s->memsz))
		return boot_error(err, errlen, kn, -ENOMEM,
				  "segment %u [%#llx, %#llx) is outside guest "
				  "RAM (guest has %llu MiB)", i,
				  (unsigned long long)s->paddr,
				  (unsigned long long)end,
				  mib_up(gm_low_end(gm)));
	return 0;
}

static int write_start_info(const struct guest_mem *gm,
			    const struct e820_map *e820,
			    const struct boot_image *img, uint64_t initrd_gpa,
			    uint64_t initrd_size)
{
	struct hvm_start_info si = {
		.magic = HVM_START_MAGIC,
		.version = HVM_START_VERSION,
		.cmdline_paddr = PLAT_CMDLINE_ADDR,
		.rsdp_paddr = img->rsdp_gpa,
		.memmap_paddr = PLAT_PVH_MEMMAP_ADDR,
	};
	unsigned int nr = e820->nr < E820_MAX_ENTRIES ? e820->nr
						       : E820_MAX_ENTRIES;
	void *area;

	area = gm_ptr(gm, PLAT_PVH_INFO_ADDR,
		      PLAT_ZERO_PAGE_ADDR - PLAT_PVH_INFO_ADDR);
	if (!area)
		return -EFAULT;
	memset(area, 0, PLAT_ZERO_PAGE_ADDR - PLAT_PVH_INFO_ADDR);

	for (unsigned int i = 0; i < nr; i++) {
		struct hvm_memmap_table_entry m = {
			.addr = e820->entry[i].addr,
			.size = e820->entry[i].size,
			.type = e820->entry[i].type,	/* same numbering */
		};

		if (gm_write(gm, PLAT_PVH_MEMMAP_ADDR + i * sizeof(m), &m,
			     sizeof(m)) < 0)
			return -EFAULT;
	}
	si.memmap_entries = nr;
	if (initrd_size) {
		struct hvm_modlist_entry mod = {
			.paddr = initrd_gpa,
			.size = initrd_size,
		};

		if (gm_write(gm, PLAT_PVH_MODLIST_ADDR, &mod, sizeof(mod)) < 0)
			return -EFAULT;
		si.nr_modules = 1;
		si.modlist_paddr = PLAT_PVH_MODLIST_ADDR;
	}
	return gm_write(gm, PLAT_PVH_INFO_ADDR, &si, sizeof(si));
}

int elf_copy_segments(const struct guest_mem *gm, const struct boot_image *img,
		      char *err, size_t errlen)
{
	struct elf_hdr eh = { 0 };
	struct elf_seg s;
	int rc = parse_ehdr(img, &eh, err, errlen);

	if (rc < 0)
		return rc;
	for (unsigned int i = 0; i < eh.phnum; i++) {
		uint8_t *dst;

		get_phdr(img, &eh, i, &s);
		if (s.type != PT_LOAD || s.memsz == 0)
			continue;
		/* Checked by elf_scan_segments()/pvh_load() before. */
		dst = gm_ptr(gm, s.paddr, s.memsz);
		if (!dst || !in_file(img, s.offset, s.filesz) ||
		    s.filesz > s.memsz)
			return boot_error(err, errlen, img->kernel_name, -EFAULT,
					  "segment %u vanished from RAM", i);
		memcpy(dst, img->kernel + s.offset, s.filesz);
		memset(dst + s.filesz, 0, s.memsz - s.filesz);
	}
	return 0;
}

int elf_scan_segments(const struct guest_mem *gm, const struct e820_map *e820,
		      const struct boot_image *img, uint64_t *kstart,
		      uint64_t *kend, uint64_t *entry, char *err,
		      size_t errlen)
{
	struct elf_hdr eh = { 0 };
	struct elf_seg s;
	int rc, entry_ok = 0;

	if (!pvh_probe(img->kernel, img->kernel_size))
		return boot_error(err, errlen, img->kernel_name, -ENOEXEC,
				  "not an ELF file");
	rc = parse_ehdr(img, &eh, err, errlen);
	if (rc < 0)
		return rc;
	*kstart = UINT64_MAX;
	*kend = 0;
	for (unsigned int i = 0; i < eh.phnum; i++) {
		get_phdr(img, &eh, i, &s);
		if (s.type != PT_LOAD || s.memsz == 0)
			continue;
		rc = check_load(gm, e820, img, i, &s, err, errlen);
		if (rc < 0)
			return rc;
		if (s.paddr < *kstart)
			*kstart = s.paddr;
		if (s.paddr + s.memsz > *kend)
			*kend = s.paddr + s.memsz;
		if (eh.entry >= s.paddr && eh.entry - s.paddr < s.memsz)
			entry_ok = 1;
	}
	if (*kend == 0)
		return boot_error(err, errlen, img->kernel_name, -ENOEXEC,
				  "ELF has no loadable segments");
	if (!entry_ok)
		return boot_error(err, errlen, img->kernel_name, -ENOEXEC,
				  "ELF entry point %#llx is not inside a loaded "
				  "segment", (unsigned long long)eh.entry);
	*entry = eh.entry;
	return 0;
}

int pvh_load(const struct guest_mem *gm, const struct e820_map *e820,
	     const struct boot_image *img, struct boot_result *res,
	     char *err, size_t errlen)
{
	const char *kn = img->kernel_name;
	struct pvh_ctx c = { .img = img, .err = err, .errlen = errlen };
	uint64_t kstart = UINT64_MAX, kend = 0;
	uint64_t initrd_gpa = 0, initrd_size = 0;
	struct elf_hdr eh = { 0 };
	struct elf_seg s;
	size_t cmdline_len;
	int rc, entry_ok = 0;

	if (!pvh_probe(img->kernel, img->kernel_size))
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "not an ELF file");
	rc = parse_ehdr(img, &eh, err, errlen);
	if (rc < 0)
		return rc;

	/* Pass 1: validate every segment and find the entry note. */
	for (unsigned int i = 0; i < eh.phnum; i++) {
		get_phdr(img, &eh, i, &s);
		if (s.type == PT_NOTE) {
			if (!in_file(img, s.offset, s.filesz))
				return boot_error(err, errlen, kn, -ENOEXEC,
						  "note segment %u at offset "
						  "%#llx (%llu bytes) runs past "
						  "the end of the file", i,
						  (unsigned long long)s.offset,
						  (unsigned long long)s.filesz);
			rc = walk_notes(&c, s.offset, s.filesz,
					note_align(s.align));
			if (rc < 0)
				return rc;
			continue;
		}
		if (s.type != PT_LOAD || s.memsz == 0)
			continue;
		rc = check_load(gm, e820, img, i, &s, err, errlen);
		if (rc < 0)
			return rc;
		if (s.paddr < kstart)
			kstart = s.paddr;
		if (s.paddr + s.memsz > kend)
			kend = s.paddr + s.memsz;
	}
	if (kend == 0)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "ELF has no loadable segments");
	if (!c.found) {
		rc = scan_section_notes(&c, &eh);
		if (rc < 0)
			return rc;
	}
	if (!c.found)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "not a PVH kernel: no "
				  "XEN_ELFNOTE_PHYS32_ENTRY note");

	/* The entry runs with paging off: it must be loaded code below 4G. */
	for (unsigned int i = 0; i < eh.phnum && !entry_ok; i++) {
		get_phdr(img, &eh, i, &s);
		entry_ok = s.type == PT_LOAD && s.memsz &&
			   c.entry >= s.paddr && c.entry - s.paddr < s.memsz;
	}
	if (!entry_ok || c.entry >= PLAT_MMIO_HOLE_END)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "PVH entry point %#llx is not inside a "
				  "loaded segment below 4 GiB",
				  (unsigned long long)c.entry);

	if (img->initrd && img->initrd_size) {
		initrd_size = img->initrd_size;
		if (boot_place_initrd(gm, e820, initrd_size, gm_low_end(gm),
				      kstart, kend, &initrd_gpa) < 0)
			return boot_error(err, errlen,
					  img->initrd_name ? img->initrd_name
							   : kn,
					  -ENOMEM,
					  "initrd (%llu MiB) does not fit in "
					  "guest RAM outside the kernel at "
					  "[%#llx, %#llx); guest has %llu MiB, "
					  "give it more memory",
					  mib_up(initrd_size),
					  (unsigned long long)kstart,
					  (unsigned long long)kend,
					  mib_up(gm_low_end(gm)));
	}
	rc = boot_cmdline_check(img, PLAT_CMDLINE_MAX, &cmdline_len, err,
				errlen);
	if (rc < 0)
		return rc;

	/* Pass 2: everything checked; copy the segments and zero the bss. */
	rc = elf_copy_segments(gm, img, err, errlen);
	if (rc < 0)
		return rc;
	if ((initrd_size &&
	     gm_write(gm, initrd_gpa, img->initrd, initrd_size) < 0) ||
	    boot_cmdline_write(gm, img, cmdline_len) < 0 ||
	    write_start_info(gm, e820, img, initrd_gpa, initrd_size) < 0)
		return boot_error(err, errlen, kn, -EFAULT,
				  "guest RAM too small for the boot "
				  "structures");

	res->kind = BOOT_PVH;
	res->unpacked = false;
	res->entry = c.entry;
	res->boot_info = PLAT_PVH_INFO_ADDR;
	res->kernel_start = kstart;
	res->kernel_end = kend;
	res->initrd_start = initrd_gpa;
	res->initrd_size = initrd_size;
	return 0;
}
