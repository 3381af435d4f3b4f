// SPDX-License-Identifier: MIT
/*
 * Unit tests for PCI bus 0 without KVM: configuration mechanism #1 and
 * ECAM seeing the same registers, BAR sizing and moves on the MMIO bus,
 * capabilities, INTx line sharing, and MSI-X tables and masking.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86/platform.h"
#include "core/bus.h"
#include "pci/pci.h"

struct fx {
	struct bus pio, mmio;
	struct pci_host h;
	struct pci_dev dev[3];
	int remaps;
	uint64_t last_remap;
	uint8_t bar_mem[0x4000];
};

static struct fx *fx_of(struct pci_dev *d)
{
	return d->opaque;
}

static void dummy_bar_io(struct pci_dev *d, int bar, uint64_t off,
			 uint8_t *data, uint32_t len, bool is_write)
{
	uint8_t *mem = fx_of(d)->bar_mem;

	if (is_write)
		memcpy(mem + off, data, len);
	else
		memcpy(data, mem + off, len);
}

static void dummy_remap(struct pci_dev *d, int bar, uint64_t addr)
{
	fx_of(d)->remaps++;
	fx_of(d)->last_remap = addr;
}

static const struct pci_dev_ops dummy_ops = {
	.bar_io = dummy_bar_io,
	.bar_remap = dummy_remap,
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_int_equal(bus_init(&f->pio, "pio"), 0);
	assert_int_equal(bus_init(&f->mmio, "mmio"), 0);
	assert_int_equal(pci_host_init(&f->h, -1, &f->pio, &f->mmio, NULL), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 3; i++)
		if (f->dev[i].host)
			pci_dev_destroy(&f->dev[i]);
	pci_host_destroy(&f->h);
	bus_destroy(&f->pio);
	bus_destroy(&f->mmio);
	free(f);
	return 0;
}

/* A device with a 16 KiB BAR0 and an 8-vector MSI-X table in it. */
static struct pci_dev *add_dummy(struct fx *f, int i, bool msix)
{
	struct pci_dev *d = &f->dev[i];

	assert_int_equal(pci_dev_init(&f->h, d, "dummy", &dummy_ops, f, 0x1234,
				      0x5678 + i, 0xff0000, 7, 0x1234, 0x42), 0);
	assert_int_equal(pci_dev_add_bar(d, 0, 0x4000), 0);
	if (msix)
		assert_int_equal(msix_init(d, 8, 0, 0x2000, 0x3000), 0);
	assert_int_equal(pci_dev_plug(d), 0);
	return d;
}

/* ---- config mechanism #1 ----------------------------------------------- */

static uint32_t io(struct fx *f, uint16_t port, uint32_t len, bool is_write,
		   uint32_t v)
{
	uint8_t b[4];

	memcpy(b, &v, 4);
	bus_dispatch(&f->pio, port, b, len, is_write, 0xff);
	memcpy(&v, b, 4);
	return len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

static uint32_t cf8_read(struct fx *f, unsigned int dev, uint32_t reg,
			 uint32_t len)
{
	io(f, 0xcf8, 4, true, 0x80000000u | dev << 11 | (reg & 0xfc));
	return io(f, 0xcfc + (reg & 3), len, false, 0);
}

static void cf8_write(struct fx *f, unsigned int dev, uint32_t reg,
		      uint32_t len, uint32_t v)
{
	io(f, 0xcf8, 4, true, 0x80000000u | dev << 11 | (reg & 0xfc));
	io(f, 0xcfc + (reg & 3), len, true, v);
}

static uint64_t mmio(struct fx *f, uint64_t addr, uint32_t len, bool is_write,
		     uint64_t v)
{
	uint8_t b[8];

	memcpy(b, &v, 8);
	bus_dispatch(&f->mmio, addr, b, len, is_write, 0);
	memcpy(&v, b, 8);
	return len == 8 ? v : v & ((1ull << (8 * len)) - 1);
}

static uint32_t ecam_read(struct fx *f, unsigned int dev, unsigned int fn,
			  uint32_t reg, uint32_t len)
{
	return (uint32_t)mmio(f, PLAT_PCI_ECAM_START + (dev << 15 | fn << 12 | reg),
			      len, false, 0);
}

static void ecam_write(struct fx *f, unsigned int dev, uint32_t reg,
		       uint32_t len, uint32_t v)
{
	mmio(f, PLAT_PCI_ECAM_START + (dev << 15 | reg), len, true, v);
}

static void host_bridge(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cf8_read(f, 0, PCI_VENDOR_ID, 4), 0x00081b36);
	assert_int_equal(cf8_read(f, 0, 0x08, 4) >> 8, 0x060000);
	assert_int_equal(ecam_read(f, 0, 0, PCI_VENDOR_ID, 2), 0x1b36);
	assert_int_equal(ecam_read(f, 0, 0, PCI_HEADER_TYPE, 1), 0);
	/* Read-only registers stay put. */
	cf8_write(f, 0, PCI_VENDOR_ID, 4, 0);
	assert_int_equal(ecam_read(f, 0, 0, PCI_VENDOR_ID, 4), 0x00081b36);
}

static void absent_functions(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cf8_read(f, 5, 0, 4), 0xffffffffu);
	assert_int_equal(cf8_read(f, 5, 2, 2), 0xffff);
	assert_int_equal(ecam_read(f, 31, 0, 0, 4), 0xffffffffu);
	/* Functions 1-7 of a present device: absent too. */
	assert_int_equal(ecam_read(f, 0, 3, 0, 4), 0xffffffffu);
	io(f, 0xcf8, 4, true, 0x80000000u | 1 << 8);
	assert_int_equal(io(f, 0xcfc, 4, false, 0), 0xffffffffu);
	/* Bus 1 does not exist. */
	io(f, 0xcf8, 4, true, 0x80000000u | 1 << 16);
	assert_int_equal(io(f, 0xcfc, 4, false, 0), 0xffffffffu);
	/* Enable bit clear: no configuration cycle. */
	io(f, 0xcf8, 4, true, 0);
	assert_int_equal(io(f, 0xcfc, 4, false, 0), 0xffffffffu);
	/* Extended space of a present function reads 0 (no ext caps). */
	assert_int_equal(ecam_read(f, 0, 0, 0x100, 4), 0);
	assert_int_equal(ecam_read(f, 0, 0, 0xffc, 4), 0);
}

static void cf8_register(void **state)
{
	struct fx *f = *state;

	/* Only dword accesses reach the address latch (Linux's probe). */
	io(f, 0xcf8, 4, true, 0xffffffffu);
	assert_int_equal(io(f, 0xcf8, 4, false, 0), 0x80fffffcu);
	io(f, 0xcfb, 1, true, 0x01);
	assert_int_equal(io(f, 0xcf8, 4, false, 0), 0x80fffffcu);
	assert_int_equal(io(f, 0xcf8, 2, false, 0), 0xffff);
	io(f, 0xcf8, 4, true, 0x80000000u);
	assert_int_equal(io(f, 0xcf8, 4, false, 0), 0x80000000u);
	/* Byte and word reads at the data port's offsets. */
	assert_int_equal(cf8_read(f, 0, 1, 1), 0x1b);
	assert_int_equal(cf8_read(f, 0, 2, 2), 0x0008);
	assert_int_equal(cf8_read(f, 0, 3, 1), 0x00);
}

static void ecam_matches_cf8(void **state)
{
	struct fx *f = *state;

	add_dummy(f, 0, true);
	for (uint32_t reg = 0; reg < 256; reg += 4)
		assert_int_equal(ecam_read(f, 1, 0, reg, 4),
				 cf8_read(f, 1, reg, 4));
	for (uint32_t reg = 0; reg < 256; reg++)
		assert_int_equal(ecam_read(f, 1, 0, reg, 1),
				 cf8_read(f, 1, reg, 1));
	/* A write through one is seen through the other. */
	cf8_write(f, 1, PCI_INTERRUPT_LINE, 1, 0x5a);
	assert_int_equal(ecam_read(f, 1, 0, PCI_INTERRUPT_LINE, 1), 0x5a);
	ecam_write(f, 1, PCI_CACHE_LINE_SIZE, 1, 0x10);
	assert_int_equal(cf8_read(f, 1, PCI_CACHE_LINE_SIZE, 1), 0x10);
	/* An 8-byte ECAM read is two dwords. */
	assert_int_equal(mmio(f, PLAT_PCI_ECAM_START + (1 << 15), 8, false, 0),
			 (uint64_t)ecam_read(f, 1, 0, 4, 4) << 32 |
				 ecam_read(f, 1, 0, 0, 4));
}

static void ids_and_header(void **state)
{
	struct fx *f = *state;

	add_dummy(f, 0, false);
	assert_int_equal(cf8_read(f, 1, PCI_VENDOR_ID, 4), 0x56781234);
	assert_int_equal(cf8_read(f, 1, PCI_REVISION_ID, 1), 7);
	assert_int_equal(cf8_read(f, 1, PCI_CLASS_PROG, 4) & 0xffffff, 0xff0000);
	assert_int_equal(cf8_read(f, 1, PCI_SUBSYSTEM_ID, 2), 0x42);
	assert_int_equal(cf8_read(f, 1, PCI_INTERRUPT_PIN, 1), 1);
	/* Slot 1, INTA: GSI 16 + (1 + 0) % 8, as the _PRT says. */
	assert_int_equal(cf8_read(f, 1, PCI_INTERRUPT_LINE, 1), 17);
	assert_int_equal(f->dev[0].gsi, 17);
	/* Memory decoding is on, as firmware leaves placed devices. */
	assert_true(cf8_read(f, 1, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY);
	/* No ROM, no unused BARs. */
	cf8_write(f, 1, PCI_ROM_ADDRESS, 4, 0xffffffffu);
	assert_int_equal(cf8_read(f, 1, PCI_ROM_ADDRESS, 4), 0);
	cf8_write(f, 1, PCI_BAR0 + 4, 4, 0xffffffffu);
	assert_int_equal(cf8_read(f, 1, PCI_BAR0 + 4, 4), 0);
}

/* ---- BARs --------------------------------------------------------------- */

static void bar_sizing_and_moves(void **state)
{
	struct fx *f = *state;
	uint32_t bar;

	add_dummy(f, 0, false);
	bar = cf8_read(f, 1, PCI_BAR0, 4);
	assert_int_equal(bar, PLAT_PCI_MMIO_START);
	assert_int_equal(f->last_remap, bar);
	assert_non_null(bus_find(&f->mmio, bar));
	f->bar_mem[0x10] = 0xab;
	assert_int_equal(mmio(f, bar + 0x10, 1, false, 0), 0xab);

	/* Sizing with decoding off (what Linux does). */
	cf8_write(f, 1, PCI_COMMAND, 2, 0);
	assert_null(bus_find(&f->mmio, bar));
	assert_int_equal(f->last_remap, 0);
	cf8_write(f, 1, PCI_BAR0, 4, 0xffffffffu);
	assert_int_equal(cf8_read(f, 1, PCI_BAR0, 4), 0xffffc000u);
	cf8_write(f, 1, PCI_BAR0, 4, 0xd0000000u);
	assert_null(bus_find(&f->mmio, 0xd0000000u));
	cf8_write(f, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_non_null(bus_find(&f->mmio, 0xd0000000u));
	assert_null(bus_find(&f->mmio, bar));
	assert_int_equal(f->last_remap, 0xd0000000u);
	assert_int_equal(mmio(f, 0xd0000010u, 1, false, 0), 0xab);

	/* A move while decoding (allowed, if unwise); low bits are flags. */
	cf8_write(f, 1, PCI_BAR0, 4, 0xd0004fffu);
	assert_int_equal(cf8_read(f, 1, PCI_BAR0, 4), 0xd0004000u);
	assert_non_null(bus_find(&f->mmio, 0xd0004000u));
	assert_null(bus_find(&f->mmio, 0xd0000000u));
	/* Byte writes to a BAR work too. */
	cf8_write(f, 1, PCI_BAR0 + 3, 1, 0xc8);
	assert_int_equal(cf8_read(f, 1, PCI_BAR0, 4), 0xc8004000u);
	assert_non_null(bus_find(&f->mmio, 0xc8004000u));
}

static void bar_collision(void **state)
{
	struct fx *f = *state;
	uint32_t b1, b2;

	add_dummy(f, 0, false);
	add_dummy(f, 1, false);
	b1 = cf8_read(f, 1, PCI_BAR0, 4);
	b2 = cf8_read(f, 2, PCI_BAR0, 4);
	assert_int_not_equal(b1, b2);
	/* Device 2 onto device 1's BAR: left undecoded, device 1 intact. */
	cf8_write(f, 2, PCI_BAR0, 4, b1);
	assert_int_equal(f->dev[1].bar[0].mapped, 0);
	assert_ptr_equal(bus_find(&f->mmio, b1)->opaque, &f->dev[0].bar[0]);
	/* Onto the ECAM window: refused as well. */
	cf8_write(f, 2, PCI_BAR0, 4, (uint32_t)PLAT_PCI_ECAM_START);
	assert_int_equal(f->dev[1].bar[0].mapped, 0);
	assert_int_equal(ecam_read(f, 0, 0, 0, 2), 0x1b36);
	/* Moved somewhere free, it works again. */
	cf8_write(f, 2, PCI_BAR0, 4, 0xd8000000u);
	assert_int_equal(f->dev[1].bar[0].mapped, 0xd8000000u);
}

static void capabilities(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d = &f->dev[0];
	uint8_t a[6] = { 0x09, 0, 6, 1, 2, 3 }, b[4] = { 0x10, 0, 0, 0 };
	uint8_t wm[4] = { 0xff, 0xff, 0xff, 0xff };
	uint8_t off1, off2;

	assert_int_equal(pci_dev_init(&f->h, d, "caps", NULL, NULL, 1, 2, 0, 0,
				      0, 0), 0);
	off1 = pci_dev_add_cap(d, a, NULL, sizeof(a));
	off2 = pci_dev_add_cap(d, b, wm, sizeof(b));
	assert_int_equal(off1, 0x40);
	assert_int_equal(off2, 0x48);
	assert_int_equal(pci_dev_plug(d), 0);
	assert_true(cf8_read(f, 1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(cf8_read(f, 1, PCI_CAPABILITY_LIST, 1), 0x40);
	assert_int_equal(cf8_read(f, 1, 0x41, 1), 0x48);
	assert_int_equal(cf8_read(f, 1, 0x49, 1), 0);
	/* ID and next pointer stay read-only even under an all-ones mask. */
	cf8_write(f, 1, 0x48, 4, 0xffffffffu);
	assert_int_equal(cf8_read(f, 1, 0x48, 4), 0xffff0010u);
	/* Capabilities that do not fit are refused. */
	{
		uint8_t big[200] = { 0x09 };

		assert_int_equal(pci_dev_add_cap(d, big, NULL, sizeof(big)), 0);
	}
}

/* ---- INTx -------------------------------------------------------------- */

static void intx_sharing(void **state)
{
	struct fx *f = *state;
	struct pci_dev *a, *b;
	unsigned int gi;

	a = add_dummy(f, 0, false);
	/* Fill slots 2-8 so the next device lands on slot 9: same GSI. */
	for (unsigned int s = 2; s <= 8; s++)
		f->h.slot[s] = &f->h.bridge;
	b = add_dummy(f, 1, false);
	for (unsigned int s = 2; s <= 8; s++)
		f->h.slot[s] = NULL;
	assert_int_equal(b->slot, 9);
	assert_int_equal(a->gsi, b->gsi);
	gi = a->gsi - PLAT_PCI_GSI_BASE;

	pci_dev_lock(a);
	pci_intx_set(a, true);
	pci_dev_unlock(a);
	assert_true(f->h.gsi_level[gi]);
	assert_true(cf8_read(f, 1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	pci_dev_lock(b);
	pci_intx_set(b, true);
	pci_dev_unlock(b);
	pci_dev_lock(a);
	pci_intx_set(a, false);
	pci_dev_unlock(a);
	assert_true(f->h.gsi_level[gi]);	/* b still asserts it */
	assert_false(cf8_read(f, 1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	/* Interrupt disable lowers b's contribution, keeps its status. */
	cf8_write(f, 9, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
		  PCI_COMMAND_INTX_DISABLE);
	assert_false(f->h.gsi_level[gi]);
	assert_true(cf8_read(f, 9, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cf8_write(f, 9, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_true(f->h.gsi_level[gi]);
	pci_dev_lock(b);
	pci_intx_set(b, false);
	pci_intx_set(b, false);			/* idempotent */
	pci_dev_unlock(b);
	assert_false(f->h.gsi_level[gi]);
	assert_int_equal(f->h.intx_count[gi], 0);
}

/* ---- MSI-X -------------------------------------------------------------- */

static uint64_t efd_count(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static void msix_table_and_masking(void **state)
{
	struct fx *f = *state;
	struct pci_dev *d = add_dummy(f, 0, true);
	uint64_t bar = d->bar[0].mapped, t = bar + 0x2000, pba = bar + 0x3000;
	uint8_t cap = d->msix.cap;
	int ret;

	assert_int_equal(cf8_read(f, 1, cap, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(cf8_read(f, 1, cap + 2, 2), 7);	/* 8 vectors */
	assert_int_equal(cf8_read(f, 1, cap + 4, 4), 0x2000);	/* BAR 0 */
	assert_int_equal(cf8_read(f, 1, cap + 8, 4), 0x3000);
	/* Entries start masked; only the mask bit of control is writable. */
	assert_int_equal(mmio(f, t + 12, 4, false, 0), 1);
	mmio(f, t + 12, 4, true, 0xfffffffe);
	assert_int_equal(mmio(f, t + 12, 4, false, 0), 0);
	mmio(f, t + 12, 4, true, 1);

	/* Disabled: the caller falls back to INTx. */
	pci_dev_lock(d);
	ret = msix_notify(d, 1);
	pci_dev_unlock(d);
	assert_int_equal(ret, -EAGAIN);

	cf8_write(f, 1, cap + 2, 2, 0x8000);		/* enable */
	mmio(f, t + 16, 8, true, 0xfee00000ull);	/* entry 1, 64-bit */
	mmio(f, t + 24, 4, true, 0x41);
	/* Masked: the message waits in the PBA. */
	pci_dev_lock(d);
	assert_int_equal(msix_notify(d, 1), 0);
	assert_int_equal(msix_notify(d, 8), -EINVAL);
	pci_dev_unlock(d);
	assert_int_equal(mmio(f, pba, 8, false, 0), 2);
	assert_int_equal(efd_count(msix_vector_fd(d, 1)), 0);
	mmio(f, pba, 8, true, 0);			/* PBA is read-only */
	assert_int_equal(mmio(f, pba, 8, false, 0), 2);
	/* Unmasking delivers it. */
	mmio(f, t + 28, 4, true, 0);
	assert_int_equal(efd_count(msix_vector_fd(d, 1)), 1);
	assert_int_equal(mmio(f, pba, 8, false, 0), 0);
	pci_dev_lock(d);
	assert_int_equal(msix_notify(d, 1), 0);
	pci_dev_unlock(d);
	assert_int_equal(efd_count(msix_vector_fd(d, 1)), 1);

	/* Function mask holds every vector. */
	cf8_write(f, 1, cap + 2, 2, 0xc000);
	pci_dev_lock(d);
	msix_notify(d, 1);
	pci_dev_unlock(d);
	assert_int_equal(efd_count(msix_vector_fd(d, 1)), 0);
	cf8_write(f, 1, cap + 2, 2, 0x8000);
	assert_int_equal(efd_count(msix_vector_fd(d, 1)), 1);

	/* An address outside the LAPIC window is dropped, not sent. */
	mmio(f, t + 16, 4, true, 0x12340000);
	pci_dev_lock(d);
	msix_notify(d, 1);
	pci_dev_unlock(d);
	assert_int_equal(efd_count(msix_vector_fd(d, 1)), 0);
	assert_int_equal(counter_get(&d->msix.dropped), 1);

	/* Table accesses past the last entry: zeros, dropped. */
	assert_int_equal(mmio(f, t + 8 * 16, 4, false, 0), 0);
	mmio(f, t + 8 * 16, 4, true, 0x55);
	/* Accesses elsewhere in the BAR reach the device. */
	mmio(f, bar + 0x100, 4, true, 0x12345678);
	assert_int_equal(mmio(f, bar + 0x100, 4, false, 0), 0x12345678);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(host_bridge),
		T(absent_functions),
		T(cf8_register),
		T(ecam_matches_cf8),
		T(ids_and_header),
		T(bar_sizing_and_moves),
		T(bar_collision),
		T(capabilities),
		T(intx_sharing),
		T(msix_table_and_masking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
