/* SPDX-License-Identifier: MIT */
/*
 * Kernel loaders: Linux bzImage (64-bit boot protocol,
 * Documentation/arch/x86/boot.rst) and PVH ELF (Xen's
 * include/public/arch-x86/hvm/start_info.h).  The loader places the kernel,
 * the initrd and the command line in guest RAM and fills the zero page or
 * hvm_start_info; the vCPU code then sets registers from struct boot_result.
 */
#ifndef VMON_ARCH_X86_BOOT_H
#define VMON_ARCH_X86_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/e820.h"
#include "core/guest_mem.h"

enum boot_kind {
	BOOT_LINUX64,	/* enter 64-bit mode, RSI = zero page */
	BOOT_PVH,	/* enter 32-bit protected mode, EBX = start_info */
};

struct boot_config {
	const char *kernel_path;
	const char *initrd_path;	/* NULL: none */
	const char *cmdline;		/* NULL: empty */
	uint64_t rsdp_gpa;		/* 0: no ACPI */
	bool guest_decompress;		/* see struct boot_image */
};

struct boot_result {
	enum boot_kind kind;
	bool unpacked;		/* bzImage payload unpacked on the host */
	uint64_t entry;		/* guest-physical entry point */
	uint64_t boot_info;	/* zero page or hvm_start_info gpa */
	uint64_t kernel_start, kernel_end;
	uint64_t initrd_start, initrd_size;
};

/* The parts of a load that tests and fuzzers can build in memory. */
struct boot_image {
	const uint8_t *kernel;
	size_t kernel_size;
	const uint8_t *initrd;	/* NULL: none */
	size_t initrd_size;
	const char *cmdline;	/* NULL: empty */
	uint64_t rsdp_gpa;
	/* Prefixes for error messages (file paths); NULL: no prefix. */
	const char *kernel_name;
	const char *initrd_name;
	/* bzImage: leave decompression to the kernel's own decompressor. */
	bool guest_decompress;
};

/*
 * Read the files named in cfg, recognise the kernel format and load it.
 * On failure returns -errno and writes into err a message naming the file
 * and what is wrong with it; nothing useful is left in guest RAM.
 */
int boot_load(const struct guest_mem *gm, const struct e820_map *e820,
	      const struct boot_config *cfg, struct boot_result *res,
	      char *err, size_t errlen);

/* In-memory loaders.  Same contract; messages do not name a file. */
int boot_load_image(const struct guest_mem *gm, const struct e820_map *e820,
		    const struct boot_image *img, struct boot_result *res,
		    char *err, size_t errlen);
int bzimage_load(const struct guest_mem *gm, const struct e820_map *e820,
		 const struct boot_image *img, struct boot_result *res,
		 char *err, size_t errlen);
int pvh_load(const struct guest_mem *gm, const struct e820_map *e820,
	     const struct boot_image *img, struct boot_result *res,
	     char *err, size_t errlen);

/*
 * Plain ELF (a vmlinux unpacked from a bzImage): check every PT_LOAD
 * segment against the file and guest RAM and report the loaded span and
 * e_entry, which must lie in a segment; then, once every other check has
 * passed, copy the segments and zero their bss.
 */
int elf_scan_segments(const struct guest_mem *gm, const struct e820_map *e820,
		      const struct boot_image *img, uint64_t *kstart,
		      uint64_t *kend, uint64_t *entry, char *err,
		      size_t errlen);
int elf_copy_segments(const struct guest_mem *gm, const struct boot_image *img,
		      char *err, size_t errlen);

/* Cheap format checks on the first bytes of a kernel image. */
int bzimage_probe(const uint8_t *kernel, size_t size);	/* 1 yes, 0 no */
int pvh_probe(const uint8_t *kernel, size_t size);	/* 1 yes, 0 no */

/*
 * Helpers the loaders share (boot.c).  boot_error() formats "name: msg"
 * (or just msg when name is NULL) into err and returns rc.
 */
int boot_error(char *err, size_t errlen, const char *name, int rc,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Length of img->cmdline, or -E2BIG if it needs more than max bytes with
 * its NUL. */
int boot_cmdline_check(const struct boot_image *img, uint64_t max,
		       size_t *len, char *err, size_t errlen);
/* Copy the command line and its NUL to PLAT_CMDLINE_ADDR. */
int boot_cmdline_write(const struct guest_mem *gm,
		       const struct boot_image *img, size_t len);
/* Is [gpa, gpa+len) guest RAM and inside one e820 RAM entry?  len > 0. */
bool boot_range_is_ram(const struct guest_mem *gm, const struct e820_map *e820,
		       uint64_t gpa, uint64_t len);
/*
 * Choose the highest page-aligned gpa for the initrd: inside e820 RAM and
 * guest RAM, at or above PLAT_HIGH_RAM_START, ending at or below limit,
 * and outside [avoid_start, avoid_end).  Returns 0 or -ENOMEM.
 */
int boot_place_initrd(const struct guest_mem *gm, const struct e820_map *e820,
		      uint64_t size, uint64_t limit, uint64_t avoid_start,
		      uint64_t avoid_end, uint64_t *gpa);

#endif
