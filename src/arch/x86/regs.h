/* SPDX-License-Identifier: MIT */
/*
 * The register state a vCPU starts in: the entry state of the Linux 64-bit
 * boot protocol or of PVH for the boot CPU, and the local APIC and FPU
 * settings every vCPU gets.
 */
#ifndef VMON_ARCH_X86_REGS_H
#define VMON_ARCH_X86_REGS_H

#include "arch/x86/boot.h"
#include "core/guest_mem.h"

/*
 * Write the boot GDT (and, for BOOT_LINUX64, identity page tables for the
 * first 4 GiB) into guest RAM.  0 or -EFAULT.
 */
int x86_write_boot_tables(const struct guest_mem *gm, enum boot_kind kind);

/* Set segment, control and general registers for the boot CPU. */
int x86_setup_boot_regs(int vcpu_fd, const struct boot_result *boot);

/* LINT0 = ExtINT, LINT1 = NMI, FPU defaults, boot MSRs.  Every vCPU. */
int x86_setup_vcpu_common(int vcpu_fd);

/* GDT selectors the boot protocols expect (boot.rst: __BOOT_CS/DS). */
#define BOOT_GDT_CODE_SEL 0x10
#define BOOT_GDT_DATA_SEL 0x18
#define BOOT_GDT_TSS_SEL  0x20

#endif
