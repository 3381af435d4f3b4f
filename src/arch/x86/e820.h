/* SPDX-License-Identifier: MIT */
/* The guest's physical memory map, as the e820 BIOS call would report it. */
#ifndef VMON_ARCH_X86_E820_H
#define VMON_ARCH_X86_E820_H

#include <stdint.h>

#include "core/guest_mem.h"

#define E820_RAM	1
#define E820_RESERVED	2
#define E820_ACPI	3

#define E820_MAX_ENTRIES 16

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct e820_map {
	unsigned int nr;
	struct e820_entry entry[E820_MAX_ENTRIES];
};

/*
 * Describe gm as the guest sees it: low RAM up to the EBDA, the legacy
 * BIOS area (where the ACPI and SMBIOS tables live) reserved, RAM from
 * 1 MiB to the MMIO hole, the PCI ECAM window reserved, and RAM above
 * 4 GiB.
 */
void e820_build(const struct guest_mem *gm, struct e820_map *map);

#endif
