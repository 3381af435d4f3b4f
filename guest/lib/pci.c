/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration access for the test guest; see pci.h.
 */
#include "acpi.h"
#include "guest.h"
#include "pci.h"

#define CF8_ADDR	0xcf8
#define CF8_DATA	0xcfc
#define CF8_ENABLE	0x80000000u
#define MCFG_BASE_OFF	44	/* first allocation's base address */

static bool inited;
static enum pci_access mode = PCI_ACCESS_CF8;
static uintptr_t ecam;

void pci_init(void)
{
	const struct acpi_sdt *mcfg = acpi_find_table("MCFG");
	char buf[8];

	inited = true;
	if (mcfg && mcfg->length >= MCFG_BASE_OFF + 16) {
		uint64_t base;

		memcpy(&base, (const uint8_t *)mcfg + MCFG_BASE_OFF, 8);
		if (base && base < 0x100000000ull) {
			ecam = (uintptr_t)base;
			mode = PCI_ACCESS_ECAM;
		}
	}
	/* No MCFG (QEMU microvm describes its ECAM only in AML): ecam=ADDR. */
	if (!ecam && cmdline_u64("ecam", 0)) {
		ecam = (uintptr_t)cmdline_u64("ecam", 0);
		mode = PCI_ACCESS_ECAM;
	}
	if (cmdline_get("pcicfg", buf, sizeof(buf)) && !strcmp(buf, "cf8"))
		mode = PCI_ACCESS_CF8;
}

static void need_init(void)
{
	if (!inited)
		pci_init();
}

enum pci_access pci_access(void)
{
	need_init();
	return mode;
}

const char *pci_access_name(void)
{
	return pci_access() == PCI_ACCESS_ECAM ? "ecam" : "cf8";
}

void pci_set_access(enum pci_access a)
{
	need_init();
	if (a == PCI_ACCESS_ECAM && !ecam)
		return;
	mode = a;
}

static volatile void *ecam_ptr(uint32_t devfn, uint32_t reg)
{
	return (volatile void *)(ecam + ((uintptr_t)devfn << 12) + reg);
}

static void cf8_select(uint32_t devfn, uint32_t reg)
{
	outl(CF8_ADDR, CF8_ENABLE | devfn << 8 | (reg & 0xfc));
}

uint32_t pci_read32(uint32_t devfn, uint32_t reg)
{
	need_init();
	if (mode == PCI_ACCESS_ECAM)
		return *(volatile uint32_t *)ecam_ptr(devfn, reg);
	cf8_select(devfn, reg);
	return inl(CF8_DATA);
}

uint16_t pci_read16(uint32_t devfn, uint32_t reg)
{
	need_init();
	if (mode == PCI_ACCESS_ECAM)
		return *(volatile uint16_t *)ecam_ptr(devfn, reg);
	cf8_select(devfn, reg);
	return inw(CF8_DATA + (reg & 2));
}

uint8_t pci_read8(uint32_t devfn, uint32_t reg)
{
	need_init();
	if (mode == PCI_ACCESS_ECAM)
		return *(volatile uint8_t *)ecam_ptr(devfn, reg);
	cf8_select(devfn, reg);
	return inb(CF8_DATA + (reg & 3));
}

void pci_write32(uint32_t devfn, uint32_t reg, uint32_t v)
{
	need_init();
	if (mode == PCI_ACCESS_ECAM) {
		*(volatile uint32_t *)ecam_ptr(devfn, reg) = v;
		return;
	}
	cf8_select(devfn, reg);
	outl(CF8_DATA, v);
}

void pci_write16(uint32_t devfn, uint32_t reg, uint16_t v)
{
	need_init();
	if (mode == PCI_ACCESS_ECAM) {
		*(volatile uint16_t *)ecam_ptr(devfn, reg) = v;
		return;
	}
	cf8_select(devfn, reg);
	outw(CF8_DATA + (reg & 2), v);
}

void pci_write8(uint32_t devfn, uint32_t reg, uint8_t v)
{
	need_init();
	if (mode == PCI_ACCESS_ECAM) {
		*(volatile uint8_t *)ecam_ptr(devfn, reg) = v;
		return;
	}
	cf8_select(devfn, reg);
	outb(CF8_DATA + (reg & 3), v);
}

bool pci_find(uint16_t vendor, uint16_t device, uint32_t *devfn)
{
	for (uint32_t dev = 0; dev < 32; dev++) {
		uint32_t id = pci_read32(PCI_DEVFN(dev, 0), PCI_VENDOR_ID);

		if (id == ((uint32_t)device << 16 | vendor)) {
			*devfn = PCI_DEVFN(dev, 0);
			return true;
		}
	}
	return false;
}

uint8_t pci_find_cap(uint32_t devfn, uint8_t id, uint8_t after)
{
	uint8_t off;

	if (!(pci_read16(devfn, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = after ? pci_read8(devfn, after + 1) : pci_read8(devfn, PCI_CAPABILITY_LIST);
	/* At most 48 capabilities fit in 192 bytes: bound the walk. */
	for (int n = 0; off >= 0x40 && n < 48; n++) {
		off &= 0xfc;
		if (pci_read8(devfn, off) == id)
			return off;
		off = pci_read8(devfn, off + 1);
	}
	return 0;
}

uint32_t pci_bar_addr(uint32_t devfn, int bar)
{
	return pci_read32(devfn, PCI_BAR0 + 4 * bar) & ~0xfu;
}

uint32_t pci_bar_size(uint32_t devfn, int bar)
{
	uint32_t reg = PCI_BAR0 + 4 * bar, old = pci_read32(devfn, reg);
	uint16_t cmd = pci_read16(devfn, PCI_COMMAND);
	uint32_t mask;

	/* Sizing (6.2.5.1): write all ones, read the mask back. */
	pci_write16(devfn, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	pci_write32(devfn, reg, 0xffffffffu);
	mask = pci_read32(devfn, reg) & ~0xfu;
	pci_write32(devfn, reg, old);
	pci_write16(devfn, PCI_COMMAND, cmd);
	return mask ? ~mask + 1 : 0;
}

void pci_bar_move(uint32_t devfn, int bar, uint32_t addr)
{
	uint16_t cmd = pci_read16(devfn, PCI_COMMAND);

	pci_write16(devfn, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
	pci_write32(devfn, PCI_BAR0 + 4 * bar, addr);
	pci_write16(devfn, PCI_COMMAND, cmd);
}

/* Where unassigned BARs go: the PC's 32-bit MMIO window. */
static uint32_t next_mmio = 0xc0000000u;

int pci_assign_bars(uint32_t devfn)
{
	int assigned = 0;

	for (int bar = 0; bar < 6; bar++) {
		uint32_t reg = PCI_BAR0 + 4 * bar, v = pci_read32(devfn, reg);
		bool is64 = (v & 0x7) == 0x4;
		uint32_t size;

		if (v & 1)		/* I/O BAR: not used here */
			continue;
		size = pci_bar_size(devfn, bar);
		if (size && !(v & ~0xfu) &&
		    !(is64 && pci_read32(devfn, reg + 4))) {
			uint32_t at = (next_mmio + size - 1) & ~(size - 1);

			pci_bar_move(devfn, bar, at);
			if (is64)
				pci_write32(devfn, reg + 4, 0);
			next_mmio = at + size;
			assigned++;
		}
		if (is64)
			bar++;		/* the upper half is the next register */
	}
	return assigned;
}
