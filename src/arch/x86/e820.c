// SPDX-License-Identifier: MIT
#include "arch/x86/e820.h"

#include <string.h>

#include "arch/x86/platform.h"

static void add(struct e820_map *map, uint64_t addr, uint64_t size,
		uint32_t type)
{
	if (size == 0 || map->nr >= E820_MAX_ENTRIES)
		return;
	map->entry[map->nr++] = (struct e820_entry){ addr, size, type };
}

void e820_build(const struct guest_mem *gm, struct e820_map *map)
{
	uint64_t low_end = gm_low_end(gm);

	memset(map, 0, sizeof(*map));
	add(map, 0, PLAT_EBDA_START, E820_RAM);
	add(map, PLAT_EBDA_START, PLAT_HIGH_RAM_START - PLAT_EBDA_START,
	    E820_RESERVED);
	if (low_end > PLAT_HIGH_RAM_START)
		add(map, PLAT_HIGH_RAM_START, low_end - PLAT_HIGH_RAM_START,
		    E820_RAM);
	/* Linux only trusts an MCFG window the firmware also reserves. */
	add(map, PLAT_PCI_ECAM_START, PLAT_PCI_ECAM_SIZE, E820_RESERVED);
	for (unsigned int i = 1; i < gm->nr_regions; i++)
		add(map, gm->region[i].gpa, gm->region[i].size, E820_RAM);
}
