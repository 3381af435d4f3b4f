/* SPDX-License-Identifier: MIT */
/*
 * The guest-facing x86 platform of vmon: every fixed address, port and IRQ
 * the guest can see.  docs/platform.md describes the same layout in prose;
 * keep the two in step.
 */
#ifndef VMON_ARCH_X86_PLATFORM_H
#define VMON_ARCH_X86_PLATFORM_H

#include <stdint.h>

/* ---- Guest physical memory map ---------------------------------------- */

#define PLAT_REAL_MODE_IVT	0x0ULL		/* 0x0 - 0x500: IVT + BDA */
#define PLAT_GDT_ADDR		0x500ULL	/* boot GDT (4 entries) */
#define PLAT_PVH_INFO_ADDR	0x6000ULL	/* struct hvm_start_info */
#define PLAT_PVH_MODLIST_ADDR	0x6040ULL	/* hvm_modlist_entry[] */
#define PLAT_PVH_MEMMAP_ADDR	0x6100ULL	/* hvm_memmap_table_entry[] */
#define PLAT_ZERO_PAGE_ADDR	0x7000ULL	/* Linux struct boot_params */
#define PLAT_BOOT_STACK_TOP	0x8ff0ULL	/* initial RSP for 64-bit entry */
#define PLAT_PML4_ADDR		0x9000ULL	/* boot page tables: PML4 */
#define PLAT_PDPT_ADDR		0xa000ULL	/*   PDPT */
#define PLAT_PD_ADDR		0xb000ULL	/*   4 PDs, 2 MiB pages, 4 GiB */
#define PLAT_CMDLINE_ADDR	0x20000ULL	/* kernel command line */
#define PLAT_CMDLINE_MAX	0x10000ULL	/* incl. NUL; 64 KiB */
#define PLAT_EBDA_START		0x9fc00ULL	/* RAM below this is usable */
#define PLAT_BIOS_START		0xa0000ULL	/* 0xa0000-0x100000 reserved */
#define PLAT_ACPI_ADDR		0xe0000ULL	/* RSDP then the other tables */
#define PLAT_ACPI_MAX		0x10000ULL	/* 0xe0000 - 0xf0000 */
#define PLAT_SMBIOS_ADDR	0xf0000ULL	/* SMBIOS entry points, table */
#define PLAT_SMBIOS_MAX		0x10000ULL	/* 0xf0000 - 0x100000 */
#define PLAT_HIGH_RAM_START	0x100000ULL	/* 1 MiB: kernels load here+ */

/* The 32-bit MMIO hole: RAM beyond this moves above 4 GiB. */
#define PLAT_MMIO_HOLE_START	0xc0000000ULL	/* 3 GiB */
#define PLAT_MMIO_HOLE_END	0x100000000ULL	/* 4 GiB */
#define PLAT_PCI_MMIO_START	0xc0000000ULL	/* 32-bit BARs */
#define PLAT_PCI_MMIO_SIZE	0x20000000ULL	/* 512 MiB */
#define PLAT_PCI_ECAM_START	0xe0000000ULL	/* PCIe ECAM, bus 0 only */
#define PLAT_PCI_ECAM_SIZE	0x100000ULL	/* 1 MiB = 1 bus */
#define PLAT_IOAPIC_ADDR	0xfec00000ULL
#define PLAT_LAPIC_ADDR		0xfee00000ULL
#define PLAT_HIGH_MEM_START	0x100000000ULL	/* RAM above 4 GiB */

/* ---- Port I/O ------------------------------------------------------------ */

#define PLAT_PORT_I8042_DATA	0x60
#define PLAT_PORT_I8042_CMD	0x64
#define PLAT_PORT_RTC		0x70		/* 0x70 index, 0x71 data */
#define PLAT_PORT_DEBUG_EXIT	0xf4		/* isa-debug-exit, 1..4 bytes */
#define PLAT_PORT_COM1		0x3f8		/* 8 registers */
#define PLAT_PORT_PCI_CONFIG	0xcf8		/* 0xcf8 addr, 0xcfc data */
/* ACPI fixed hardware, described by the FADT (ACPI 6.5 sec. 4.8). */
#define PLAT_PORT_PM1A_EVT	0x600		/* 4 bytes: status, enable */
#define PLAT_PORT_PM1A_CNT	0x604		/* 2 bytes */
#define PLAT_PORT_PM_TMR	0x608		/* 4 bytes, 3.579545 MHz */
#define PLAT_PORT_ACPI_RESET	0x60c		/* 1 byte, FADT RESET_REG */
#define PLAT_ACPI_RESET_VALUE	0x0e

/* PM1 control: SLP_TYP in bits 10-12, SLP_EN bit 13 (ACPI 6.5 4.8.3.2.1). */
#define PLAT_PM1_SLP_TYP_SHIFT	10
#define PLAT_PM1_SLP_TYP_MASK	0x7
#define PLAT_PM1_SLP_EN		(1u << 13)
#define PLAT_PM1_SCI_EN		(1u << 0)
#define PLAT_S5_SLP_TYP		5		/* value in the DSDT's \_S5 */

/* ---- Interrupts --------------------------------------------------------- */

#define PLAT_IRQ_PIT		0		/* ISA IRQ0 -> GSI 2 (override) */
#define PLAT_GSI_PIT		2
#define PLAT_IRQ_KEYBOARD	1
#define PLAT_IRQ_COM1		4
#define PLAT_IRQ_RTC		8
#define PLAT_IRQ_SCI		9		/* ACPI SCI, level, active high */
#define PLAT_IOAPIC_ID		0		/* as QEMU and KVM default */
#define PLAT_IOAPIC_PINS	24
/*
 * PCI INTx: level-triggered IOAPIC pins 16-23, above the ISA range.  The
 * DSDT's _PRT sends INTA-INTD of slot s to GSI 16 + (s + pin) % 8; each
 * device's Interrupt Line register holds its GSI too.  MSI routes get the
 * GSI numbers above the IOAPIC's pins.
 */
#define PLAT_PCI_GSI_BASE	16
#define PLAT_PCI_GSI_COUNT	8
#define PLAT_MSI_GSI_BASE	PLAT_IOAPIC_PINS

#define PLAT_MAX_VCPUS		254		/* xAPIC IDs 0..253 */

#endif
