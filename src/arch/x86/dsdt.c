// SPDX-License-Identifier: MIT
/*
 * The DSDT's AML (ACPI 6.5 sec. 5.2.11.1): \_S5, the legacy devices of
 * the PC platform, one ACPI0007 processor per vCPU and, with PCI, the
 * PCIe root with its resources and interrupt routing.  acpi.c wraps it
 * in the table header.
 */
#include "arch/x86/dsdt.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arch/x86/platform.h"

#define ARRAY_SIZE(x)		(sizeof(x) / sizeof((x)[0]))
#define PCI_DEVICES_PER_BUS	32
/* _STA: present, enabled, shown in UI, functioning (sec. 6.3.7). */
#define ACPI_STA_ALL		0x0f

/* ---- Legacy devices in the DSDT ---------------------------------------- */

#define COM1_PORTS		8	/* 16550 registers */
#define RTC_PORTS		2	/* index, data */
#define PM_IO_PORTS		16	/* PM1a_EVT .. RESET, rounded up */
/* PM1a_CNT is 2 bytes, the PM timer 4, the reset register 1. */
_Static_assert(PLAT_PORT_PM1A_CNT + 2 <= PLAT_PORT_PM1A_EVT + PM_IO_PORTS &&
	       PLAT_PORT_PM_TMR + 4 <= PLAT_PORT_PM1A_EVT + PM_IO_PORTS &&
	       PLAT_PORT_ACPI_RESET < PLAT_PORT_PM1A_EVT + PM_IO_PORTS,
	       "the PNP0C02 range must cover every PM register");

struct legacy_dev {
	const char *name;
	const char *hid;		/* EISA id */
	struct {
		uint16_t base;
		uint8_t len;
	} io[2];			/* len 0: unused */
	int irq;			/* ISA IRQ, or -1 */
};

static const struct legacy_dev legacy_devs[] = {
	{ "COM1", "PNP0501", { { PLAT_PORT_COM1, COM1_PORTS } },
	  PLAT_IRQ_COM1 },
	{ "KBD", "PNP0303", { { PLAT_PORT_I8042_DATA, 1 },
			      { PLAT_PORT_I8042_CMD, 1 } },
	  PLAT_IRQ_KEYBOARD },
	{ "RTC", "PNP0B00", { { PLAT_PORT_RTC, RTC_PORTS } }, PLAT_IRQ_RTC },
	/* Motherboard resources: keeps OSPM off the PM and reset ports. */
	{ "PMIO", "PNP0C02", { { PLAT_PORT_PM1A_EVT, PM_IO_PORTS } }, -1 },
};

static void dsdt_legacy_dev(struct aml *a, const struct legacy_dev *d)
{
	struct aml rt;
	size_t dev, sta;

	dev = aml_device_begin(a, d->name);
	aml_name_eisaid(a, "_HID", d->hid);
	aml_name_int(a, "_UID", 0);
	sta = aml_method_begin(a, "_STA", 0, false);
	aml_return_int(a, ACPI_STA_ALL);
	aml_end(a, sta);

	/* _CRS (sec. 6.2.2): fixed ports, ISA IRQ edge/high. */
	aml_init(&rt, 256);
	for (size_t i = 0; i < 2 && d->io[i].len; i++)
		aml_res_io(&rt, d->io[i].base, d->io[i].len);
	if (d->irq >= 0)
		aml_res_irq(&rt, (unsigned int)d->irq);
	aml_name_restemplate(a, "_CRS", &rt);
	aml_free(&rt);
	aml_end(a, dev);
}

/*
 * ACPI 6 processors are Device (ACPI0007) objects whose _UID matches the
 * MADT's ACPI Processor UID (sec. 8.4, 5.2.12.2); Processor () is
 * deprecated.
 */
static void dsdt_cpus(struct aml *a, unsigned int nr_cpus)
{
	char name[16];
	size_t dev;

	for (unsigned int i = 0; i < nr_cpus; i++) {
		snprintf(name, sizeof(name), "C%03X", i & 0xfffu);
		dev = aml_device_begin(a, name);
		aml_name_string(a, "_HID", "ACPI0007");
		aml_name_int(a, "_UID", i);
		aml_end(a, dev);
	}
}

/*
 * The PCIe root complex (sec. 6.1, 6.2.13; PCI Firmware 3.0, 4.1.5):
 * PNP0A08 compatible with PNP0A03, segment 0, bus 0, its windows in _CRS
 * and a _PRT sending INTA-D of slot s to GSI PLAT_PCI_GSI_BASE + (s + pin)
 * % PLAT_PCI_GSI_COUNT.  A _PRT entry naming a GSI directly (source 0)
 * means level-triggered, active-low, shareable (sec. 6.2.13); KVM's IOAPIC
 * ignores the polarity, so this matches the line vmon drives.
 */
static void dsdt_pci(struct aml *a)
{
	const struct aml_space bus = {
		.type = AML_SPACE_BUS,
		.flags = AML_SPACE_MIN_FIXED | AML_SPACE_MAX_FIXED,
		.min = 0, .max = 0, .len = 1,
	};
	/* I/O ports around the configuration ports, for the guest to use. */
	const struct aml_space io_lo = {
		.type = AML_SPACE_IO,
		.flags = AML_SPACE_MIN_FIXED | AML_SPACE_MAX_FIXED,
		.type_flags = AML_IO_ENTIRE_RANGE,
		.min = 0, .max = PLAT_PORT_PCI_CONFIG - 1,
		.len = PLAT_PORT_PCI_CONFIG,
	};
	const struct aml_space io_hi = {
		.type = AML_SPACE_IO,
		.flags = AML_SPACE_MIN_FIXED | AML_SPACE_MAX_FIXED,
		.type_flags = AML_IO_ENTIRE_RANGE,
		.min = PLAT_PORT_PCI_CONFIG + 8, .max = 0xffff,
		.len = 0x10000 - (PLAT_PORT_PCI_CONFIG + 8),
	};
	const struct aml_space mem = {
		.type = AML_SPACE_MEM,
		.flags = AML_SPACE_MIN_FIXED | AML_SPACE_MAX_FIXED,
		.type_flags = AML_MEM_RW,	/* non-cacheable */
		.min = PLAT_PCI_MMIO_START,
		.max = PLAT_PCI_MMIO_START + PLAT_PCI_MMIO_SIZE - 1,
		.len = PLAT_PCI_MMIO_SIZE,
	};
	struct aml rt;
	size_t dev, prt, entry;

	dev = aml_device_begin(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A08");
	aml_name_eisaid(a, "_CID", "PNP0A03");
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_BBN", 0);
	aml_name_int(a, "_UID", 0);

	aml_init(&rt, 256);
	aml_res_word_space(&rt, &bus);
	aml_res_io(&rt, PLAT_PORT_PCI_CONFIG, 8);
	aml_res_word_space(&rt, &io_lo);
	aml_res_word_space(&rt, &io_hi);
	aml_res_dword_space(&rt, &mem);
	aml_name_restemplate(a, "_CRS", &rt);
	aml_free(&rt);

	aml_name(a, "_PRT");
	prt = aml_package_begin(a, (PCI_DEVICES_PER_BUS - 1) * 4);
	for (unsigned int slot = 1; slot < PCI_DEVICES_PER_BUS; slot++) {
		for (unsigned int pin = 0; pin < 4; pin++) {
			entry = aml_package_begin(a, 4);
			aml_integer(a, (uint64_t)slot << 16 | 0xffff);
			aml_integer(a, pin);
			aml_integer(a, 0);	/* source: a GSI */
			aml_integer(a, PLAT_PCI_GSI_BASE +
				       (slot + pin) % PLAT_PCI_GSI_COUNT);
			aml_end(a, entry);
		}
	}
	aml_end(a, prt);
	aml_end(a, dev);

	/* The ECAM window is a motherboard resource too: Linux checks. */
	dev = aml_device_begin(a, "PCIR");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	aml_name_int(a, "_UID", 1);
	aml_init(&rt, 64);
	aml_res_mem32_fixed(&rt, true, (uint32_t)PLAT_PCI_ECAM_START,
			    (uint32_t)PLAT_PCI_ECAM_SIZE);
	aml_name_restemplate(a, "_CRS", &rt);
	aml_free(&rt);
	aml_end(a, dev);
}

/* The DSDT's definition block: \_S5 and the \_SB devices (sec. 5.2.11.1). */
void dsdt_build_aml(struct aml *a, const struct acpi_config *cfg)
{
	size_t pkg, sb;

	/*
	 * \_S5 (sec. 7.4.2.6): SLP_TYP values for PM1a_CNT and PM1b_CNT, then
	 * two reserved entries.
	 */
	aml_name(a, "\\_S5");
	pkg = aml_package_begin(a, 4);
	aml_integer(a, PLAT_S5_SLP_TYP);
	aml_integer(a, PLAT_S5_SLP_TYP);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a, pkg);

	sb = aml_scope_begin(a, "\\_SB");
	for (size_t i = 0; i < ARRAY_SIZE(legacy_devs); i++)
		dsdt_legacy_dev(a, &legacy_devs[i]);
	dsdt_cpus(a, cfg->nr_cpus);
	if (cfg->pci)
		dsdt_pci(a);
	aml_end(a, sb);
}
