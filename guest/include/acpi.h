/* SPDX-License-Identifier: MIT */
/*
 * Just enough ACPI to find CPUs and interrupt routing: RSDP -> XSDT/RSDT
 * -> MADT (ACPI 6.5 sections 5.2.5, 5.2.7, 5.2.8, 5.2.12).
 */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include <stdbool.h>
#include <stdint.h>

struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;		/* 0: ACPI 1.0 (RSDT only), 2+: XSDT */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* over all `length` bytes */
	uint8_t reserved[3];
} __attribute__((packed));

struct acpi_sdt {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

#define MADT_MAX_CPUS		256
#define MADT_MAX_IOAPICS	4

struct madt_info {
	uint32_t lapic_addr;
	unsigned ncpus;			/* enabled LAPIC + x2APIC entries */
	uint32_t apic_ids[MADT_MAX_CPUS];
	unsigned nioapics;
	struct {
		uint32_t addr;
		uint32_t gsi_base;
	} ioapic[MADT_MAX_IOAPICS];
	/* ISA IRQ -> GSI with MPS INTI flags (polarity bits 0-1, trigger
	 * bits 2-3); identity with flags 0 unless overridden. */
	struct {
		uint32_t gsi;
		uint16_t flags;
		bool overridden;	/* an Interrupt Source Override exists */
	} isa[16];
};

const struct acpi_rsdp *acpi_rsdp(void);
const struct acpi_sdt *acpi_find_table(const char sig[4]);
/* Parses the MADT once and caches it; NULL when there is none. */
const struct madt_info *acpi_madt(void);
unsigned acpi_cpu_count(void);		/* 0 without a MADT */
uint32_t acpi_ioapic_addr(void);	/* first IOAPIC, or 0xfec00000 */

#endif
