/* SPDX-License-Identifier: MIT */
/*
 * The PVH start-of-day structures, as Xen's public header
 * include/public/arch-x86/hvm/start_info.h defines them (version 1), and
 * the ELF note that marks a PVH kernel.  All fields are little endian.
 */
#ifndef VMON_ARCH_X86_START_INFO_H
#define VMON_ARCH_X86_START_INFO_H

#include <stddef.h>
#include <stdint.h>

#define HVM_START_MAGIC		0x336ec578	/* "xEn3", 0x80 set on the E */
#define HVM_START_VERSION	1		/* has the memory map */

/* Memory map entry types: the same numbers as e820. */
#define HVM_MEMMAP_RAM		1
#define HVM_MEMMAP_RESERVED	2
#define HVM_MEMMAP_ACPI		3

/* The ELF note naming the 32-bit physical entry point. */
#define XEN_ELFNOTE_NAME		"Xen"
#define XEN_ELFNOTE_PHYS32_ENTRY	18

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;		/* version 1 */
	uint32_t memmap_entries;	/* version 1 */
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "hvm_start_info size");
_Static_assert(offsetof(struct hvm_start_info, memmap_paddr) == 40,
	       "memmap_paddr offset");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "modlist entry size");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24,
	       "memmap entry size");

#endif
