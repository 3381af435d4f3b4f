/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables (ACPI 6.5): RSDP, XSDT, FADT, FACS, DSDT and MADT, built in
 * guest RAM at PLAT_ACPI_ADDR.  The DSDT's AML comes from aml.c.
 */
#ifndef VMON_ARCH_X86_ACPI_H
#define VMON_ARCH_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

/*
 * What the tables describe.  Zero-initialise it and set what you need:
 * every new field must keep "false / 0" meaning "absent", so callers that
 * predate it still build the same tables.
 */
struct acpi_config {
	unsigned int nr_cpus;	/* 1..PLAT_MAX_VCPUS; APIC IDs 0..n-1 */
	/*
	 * Fixed-feature power button (PM1 PWRBTN_STS/EN, ACPI 6.5 4.8.2.2.1).
	 * Set only when the PM device raises it; false tells the guest there
	 * is no power button.
	 */
	bool power_button;
	/*
	 * PCI bus 0: the PCIe root PNP0A08 (windows, _PRT) in the DSDT and
	 * an MCFG table for the ECAM window (platform.h).
	 */
	bool pci;
};

/*
 * Build the tables into guest RAM at PLAT_ACPI_ADDR (the whole window is
 * rewritten).  On success returns 0 and stores the RSDP's gpa; -ENOSPC if
 * they do not fit the window, -EFAULT if the window is not RAM, -EINVAL
 * for a bad config, -ENOMEM if the DSDT's scratch buffer cannot be had.
 */
int acpi_build(const struct guest_mem *gm, const struct acpi_config *cfg,
	       uint64_t *rsdp_gpa);

/* Standard 8-bit checksum: the byte that makes the sum of buf zero. */
uint8_t acpi_checksum(const void *buf, size_t len);

#endif
