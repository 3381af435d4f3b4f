/* SPDX-License-Identifier: MIT */
/*
 * memmap: prints start_info and its E820-style memory map, then checks
 * that RAM is really there: the first, middle and last page of every RAM
 * region above 1 MiB (minus this image) are saved, filled with an
 * address-dependent pattern, read back and restored.  RAM above 4 GiB is
 * reached through a 2 MiB window (PDPT slot 4 -> scratch PD).
 */
#include "acpi.h"
#include "guest.h"
#include "layout.h"

#define PAGE 4096ul
#define MiB (1ul << 20)

extern uint64_t pdpt[512];
static uint64_t window_pd[512] __attribute__((aligned(4096)));
static uint64_t saved[PAGE / 8];

struct page_check {
	volatile uint64_t *va;
	uint64_t pa;
};

/* CPL3: the fill-and-compare loop is the part worth running natively.
 * Returns the index of the first bad qword, or -1. */
static long check_page(void *arg)
{
	struct page_check *c = arg;
	const unsigned n = PAGE / 8;

	for (unsigned i = 0; i < n; i++)
		saved[i] = c->va[i];
	for (unsigned i = 0; i < n; i++)
		c->va[i] = (c->pa + i * 8) ^ 0xa5a5c3c35a5a3c3cull;
	long bad = -1;
	for (unsigned i = 0; i < n && bad < 0; i++)
		if (c->va[i] != ((c->pa + i * 8) ^ 0xa5a5c3c35a5a3c3cull))
			bad = i;
	for (unsigned i = 0; i < n; i++)
		c->va[i] = saved[i];
	return bad;
}

/* Identity-mapped below 4 GiB; above, remap the 2 MiB window. */
static volatile uint64_t *map_page(uint64_t pa)
{
	if (pa < 0x100000000ull)
		return (volatile uint64_t *)(uintptr_t)pa;
	pdpt[4] = (uintptr_t)window_pd | PTE_TABLE;
	window_pd[0] = (pa & ~0x1fffffull) | PTE_2M_WB;
	invlpg(HIGH_WINDOW_VA);
	return (volatile uint64_t *)(uintptr_t)(HIGH_WINDOW_VA + (pa & 0x1fffff));
}

static bool test_region(uint64_t start, uint64_t end)
{
	uint64_t img_lo = (uintptr_t)__image_start, img_hi = (uintptr_t)__image_end;

	if (start < MiB)
		start = MiB;
	if (start < img_hi && end > img_lo)	/* the image sits at its start */
		start = img_hi;
	start = (start + PAGE - 1) & ~(PAGE - 1);
	end &= ~(PAGE - 1);
	if (end < start + PAGE)
		return true;

	uint64_t pages[3] = { start, start + ((end - start) / 2 & ~(PAGE - 1)),
			      end - PAGE };
	for (int i = 0; i < 3; i++) {
		struct page_check c = { map_page(pages[i]), pages[i] };
		long bad = run_user(check_page, &c);
		if (bad >= 0) {
			printf("memmap: FAIL at 0x%lx\n", pages[i] + bad * 8);
			return false;
		}
	}
	printf("memmap: tested 0x%lx-0x%lx (first, middle, last page)\n",
	       start, end);
	return true;
}

int main(void)
{
	const struct hvm_start_info *si = start_info;
	const struct acpi_rsdp *rsdp = acpi_rsdp();

	printf("start_info: magic=0x%x version=%u flags=0x%x cmdline=0x%lx\n",
	       si->magic, si->version, si->flags, si->cmdline_paddr);
	printf("rsdp: 0x%lx\n", si->rsdp_paddr);
	if (!rsdp)
		printf("rsdp: no valid RSDP found\n");
	if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries) {
		printf("memmap: FAIL no memory map in start_info\n");
		return GUEST_EXIT_FAIL;
	}

	const struct hvm_memmap_table_entry *e =
		(const void *)(uintptr_t)si->memmap_paddr;
	uint64_t total = 0;
	for (unsigned i = 0; i < si->memmap_entries; i++) {
		printf("memmap: 0x%lx-0x%lx type %u\n", e[i].addr,
		       e[i].addr + e[i].size, e[i].type);
		if (e[i].type == XEN_HVM_MEMMAP_TYPE_RAM)
			total += e[i].size;
	}
	printf("ram total: %lu MiB\n", total / MiB);

	bool ok = total > 0;
	for (unsigned i = 0; i < si->memmap_entries && ok; i++)
		if (e[i].type == XEN_HVM_MEMMAP_TYPE_RAM &&
		    e[i].addr + e[i].size > MiB)
			ok = test_region(e[i].addr, e[i].addr + e[i].size);
	if (!ok)
		return GUEST_EXIT_FAIL;
	printf("memmap: OK\n");
	return GUEST_EXIT_OK;
}
