/* SPDX-License-Identifier: MIT */
/*
 * ACPI table lookup (ACPI 6.5 ch. 5.2).  The RSDP comes from
 * start_info.rsdp_paddr (PVH) or, failing that, the legacy scan of
 * 0xe0000-0xfffff on 16-byte boundaries (5.2.5.1).  Tables above 4 GiB
 * are not identity-mapped and are ignored.
 */
#include "acpi.h"
#include "guest.h"

#define LOW_4G 0x100000000ull

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum;
}

static bool rsdp_valid(const struct acpi_rsdp *r)
{
	if (memcmp(r->signature, "RSD PTR ", 8) != 0 || checksum(r, 20) != 0)
		return false;
	return r->revision < 2 || checksum(r, r->length) == 0;
}

const struct acpi_rsdp *acpi_rsdp(void)
{
	uint64_t pa = start_info->rsdp_paddr;

	if (pa && pa < LOW_4G && rsdp_valid((const void *)(uintptr_t)pa))
		return (const void *)(uintptr_t)pa;
	for (pa = 0xe0000; pa < 0x100000; pa += 16)
		if (rsdp_valid((const void *)(uintptr_t)pa))
			return (const void *)(uintptr_t)pa;
	return NULL;
}

static const struct acpi_sdt *sdt_at(uint64_t pa)
{
	const struct acpi_sdt *t = (const void *)(uintptr_t)pa;

	if (!pa || pa >= LOW_4G || checksum(t, t->length) != 0)
		return NULL;
	return t;
}

const struct acpi_sdt *acpi_find_table(const char sig[4])
{
	const struct acpi_rsdp *rsdp = acpi_rsdp();
	const struct acpi_sdt *root, *t;
	bool xsdt;

	if (!rsdp)
		return NULL;
	xsdt = rsdp->revision >= 2 && rsdp->xsdt_address;
	root = sdt_at(xsdt ? rsdp->xsdt_address : rsdp->rsdt_address);
	if (!root)
		return NULL;

	unsigned esize = xsdt ? 8 : 4;
	unsigned n = (root->length - sizeof(*root)) / esize;
	const uint8_t *e = (const uint8_t *)(root + 1);
	for (unsigned i = 0; i < n; i++, e += esize) {
		uint64_t pa = 0;
		memcpy(&pa, e, esize);	/* entries are unaligned in the XSDT */
		t = sdt_at(pa);
		if (t && memcmp(t->signature, sig, 4) == 0)
			return t;
	}
	return NULL;
}

/* MADT interrupt controller structure types (5.2.12.2 ff.). */
#define MADT_LAPIC	0
#define MADT_IOAPIC	1
#define MADT_ISO	2
#define MADT_X2APIC	9
#define MADT_ENABLED	1u

static struct madt_info madt;
static bool madt_done, madt_found;

static void add_cpu(uint32_t id, uint32_t flags)
{
	if ((flags & MADT_ENABLED) && madt.ncpus < MADT_MAX_CPUS)
		madt.apic_ids[madt.ncpus++] = id;
}

const struct madt_info *acpi_madt(void)
{
	if (madt_done)
		return madt_found ? &madt : NULL;
	madt_done = true;
	for (unsigned i = 0; i < 16; i++)
		madt.isa[i].gsi = i;

	const struct acpi_sdt *t = acpi_find_table("APIC");
	if (!t)
		return NULL;
	madt_found = true;

	const uint8_t *p = (const uint8_t *)(t + 1);
	const uint8_t *end = (const uint8_t *)t + t->length;
	uint32_t u32, id;
	uint16_t u16;

	memcpy(&madt.lapic_addr, p, 4);
	for (p += 8; p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1]) {
		switch (p[0]) {
		case MADT_LAPIC:	/* uid, 8-bit APIC ID, flags */
			memcpy(&u32, p + 4, 4);
			add_cpu(p[3], u32);
			break;
		case MADT_X2APIC:	/* reserved, 32-bit ID, flags, uid */
			memcpy(&u32, p + 8, 4);
			memcpy(&id, p + 4, 4);
			add_cpu(id, u32);
			break;
		case MADT_IOAPIC:	/* id, reserved, address, GSI base */
			if (madt.nioapics < MADT_MAX_IOAPICS) {
				memcpy(&madt.ioapic[madt.nioapics].addr, p + 4, 4);
				memcpy(&madt.ioapic[madt.nioapics].gsi_base, p + 8, 4);
				madt.nioapics++;
			}
			break;
		case MADT_ISO:		/* bus 0 (ISA), source IRQ, GSI, flags */
			if (p[3] < 16) {
				memcpy(&u32, p + 4, 4);
				memcpy(&u16, p + 8, 2);
				madt.isa[p[3]].gsi = u32;
				madt.isa[p[3]].flags = u16;
				madt.isa[p[3]].overridden = true;
			}
			break;
		}
	}
	return &madt;
}

unsigned acpi_cpu_count(void)
{
	const struct madt_info *m = acpi_madt();

	return m ? m->ncpus : 0;
}

uint32_t acpi_ioapic_addr(void)
{
	const struct madt_info *m = acpi_madt();

	return m && m->nioapics ? m->ioapic[0].addr : 0xfec00000u;
}
