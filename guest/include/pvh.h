/* SPDX-License-Identifier: MIT */
/*
 * PVH boot ABI structures, from Xen's public/arch-x86/hvm/start_info.h
 * (docs/misc/pvh.pandoc).  Fields are little-endian, naturally aligned.
 */
#ifndef GUEST_PVH_H
#define GUEST_PVH_H

#include <stdint.h>

#define XEN_HVM_START_MAGIC_VALUE 0x336ec578u
#define XEN_HVM_MEMMAP_TYPE_RAM   1u

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;	/* 1 adds memmap_paddr/memmap_entries */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;		/* E820 type: 1 RAM, 2 reserved, 3 ACPI ... */
	uint32_t reserved;
};

#endif
