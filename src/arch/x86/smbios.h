/* SPDX-License-Identifier: MIT */
/*
 * SMBIOS tables (DMTF DSP0134 3.0): what Linux's DMI code, dmidecode,
 * systemd-detect-virt and cloud-init read to learn what machine this is.
 * Built in guest RAM at PLAT_SMBIOS_ADDR, where an OS without EFI scans
 * for the entry points (0xf0000-0xfffff, 16-byte boundaries, sec. 5.2).
 */
#ifndef VMON_ARCH_X86_SMBIOS_H
#define VMON_ARCH_X86_SMBIOS_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

/*
 * What the tables describe.  Zero-initialise it; optional fields are
 * absent when 0 or NULL.
 */
struct smbios_config {
	unsigned int nr_cpus;	/* 1..PLAT_MAX_VCPUS cores of one package */
	uint8_t uuid[16];	/* Type 1 UUID, RFC 4122 (printed) order */
	/* Type 4, optional: CPUID vendor and brand string, CPUID.1 EAX/EDX. */
	const char *cpu_manufacturer;
	const char *cpu_version;
	uint32_t cpu_signature;
	uint32_t cpu_features;
};

/* A range of guest RAM for the memory structures (Types 16, 17, 19). */
struct smbios_ram {
	uint64_t gpa;
	uint64_t size;
};

#define SMBIOS_MAX_RAM		4

/*
 * Write both entry points and the structure table into buf, which the
 * guest will see at gpa: the 64-bit "_SM3_" entry point at offset 0, the
 * 32-bit "_SM_"/"_DMI_" one at 0x20, the table at 0x40.  Pure.  On success
 * returns 0 and stores the bytes used in *used; -ENOSPC if buf is too
 * small, -EINVAL for a bad config or a gpa the 32-bit entry point cannot
 * hold.
 */
int smbios_write(void *buf, size_t size, uint64_t gpa,
		 const struct smbios_config *cfg, const struct smbios_ram *ram,
		 unsigned int nr_ram, size_t *used);

/*
 * Build the tables into guest RAM at PLAT_SMBIOS_ADDR (the whole window
 * is rewritten), describing gm's RAM regions.  0, -EFAULT if the window
 * is not RAM, or smbios_write()'s errors.
 */
int smbios_build(const struct guest_mem *gm, const struct smbios_config *cfg);

/* Offsets of the two entry points and the table in what smbios_write()
 * writes. */
#define SMBIOS_EP3_OFFSET	0x00
#define SMBIOS_EP2_OFFSET	0x20
#define SMBIOS_TABLE_OFFSET	0x40

#endif
