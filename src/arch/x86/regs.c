// SPDX-License-Identifier: MIT
#include "arch/x86/regs.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/platform.h"

#define X86_CR0_PE	(1ULL << 0)
#define X86_CR0_ET	(1ULL << 4)
#define X86_CR0_NE	(1ULL << 5)
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)

#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MISC_ENABLE_FAST_STRING	(1ULL << 0)
#define MTRR_ENABLE		(1ULL << 11)
#define MTRR_TYPE_WB		6

#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_MODE_NMI	0x4
#define APIC_MODE_EXTINT 0x7

/* A GDT descriptor from its parts (Intel SDM vol. 3A, 3.4.5). */
static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000u) << 32) |
	       ((uint64_t)(flags & 0xf0ffu) << 40) |
	       ((uint64_t)(limit & 0x000f0000u) << 32) |
	       ((uint64_t)(base & 0x00ffffffu) << 16) |
	       (uint64_t)(limit & 0x0000ffffu);
}

/* The hidden part of a segment register, matching its GDT descriptor. */
static struct kvm_segment seg_from_gdt(uint64_t desc, uint16_t sel)
{
	uint32_t limit = (uint32_t)(((desc >> 32) & 0xf0000) | (desc & 0xffff));

	/* KVM wants the limit in bytes: scale 4 KiB-granular limits. */
	if ((desc >> 55) & 1)
		limit = (limit << 12) | 0xfff;
	return (struct kvm_segment){
		.base = (uint32_t)(((desc >> 16) & 0xffffff) |
				   ((desc >> 32) & 0xff000000)),
		.limit = limit,
		.selector = sel,
		.type = (desc >> 40) & 0xf,
		.present = (desc >> 47) & 1,
		.dpl = (desc >> 45) & 3,
		.db = (desc >> 54) & 1,
		.s = (desc >> 44) & 1,
		.l = (desc >> 53) & 1,
		.g = (desc >> 55) & 1,
		.avl = (desc >> 52) & 1,
	};
}

static void boot_gdt(enum boot_kind kind, uint64_t gdt[5])
{
	gdt[0] = 0;
	gdt[1] = 0;
	/* 0xa09b: 64-bit code (L), 0xc09b: 32-bit code (D/B), both 4 GiB. */
	gdt[2] = gdt_entry(kind == BOOT_LINUX64 ? 0xa09b : 0xc09b, 0, 0xfffff);
	gdt[3] = gdt_entry(0xc093, 0, 0xfffff);
	/* A 32-bit busy TSS: PVH asks for base 0, limit 0x67. */
	gdt[4] = gdt_entry(0x008b, 0, 0x67);
}

int x86_write_boot_tables(const struct guest_mem *gm, enum boot_kind kind)
{
	uint64_t gdt[5];

	boot_gdt(kind, gdt);
	if (gm_write(gm, PLAT_GDT_ADDR, gdt, sizeof(gdt)))
		return -EFAULT;
	if (kind != BOOT_LINUX64)
		return 0;

	/*
	 * Identity map 0-4 GiB with 2 MiB pages: the 64-bit boot protocol
	 * needs the kernel, zero page and command line mapped; Linux builds
	 * its own tables right away.
	 */
	uint64_t *pml4 = gm_ptr(gm, PLAT_PML4_ADDR, 4096);
	uint64_t *pdpt = gm_ptr(gm, PLAT_PDPT_ADDR, 4096);
	uint64_t *pd = gm_ptr(gm, PLAT_PD_ADDR, 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PLAT_PDPT_ADDR | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (PLAT_PD_ADDR + i * 4096) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	return 0;
}

int x86_setup_boot_regs(int vcpu_fd, const struct boot_result *boot)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	uint64_t gdt[5];

	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;

	boot_gdt(boot->kind, gdt);
	sregs.gdt.base = PLAT_GDT_ADDR;
	sregs.gdt.limit = sizeof(gdt) - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cs = seg_from_gdt(gdt[2], BOOT_GDT_CODE_SEL);
	sregs.ds = seg_from_gdt(gdt[3], BOOT_GDT_DATA_SEL);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr = seg_from_gdt(gdt[4], BOOT_GDT_TSS_SEL);

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;	/* bit 1 is reserved and must be set */
	regs.rip = boot->entry;

	if (boot->kind == BOOT_LINUX64) {
		/* boot.rst, "64-bit Boot Protocol": long mode, RSI = zero page */
		sregs.cr3 = PLAT_PML4_ADDR;
		sregs.cr4 |= X86_CR4_PAE;
		sregs.cr0 |= X86_CR0_PE | X86_CR0_PG | X86_CR0_ET | X86_CR0_NE;
		sregs.efer |= EFER_LME | EFER_LMA;
		regs.rsi = boot->boot_info;
		regs.rsp = PLAT_BOOT_STACK_TOP;
		regs.rbp = PLAT_BOOT_STACK_TOP;
	} else {
		/* PVH: 32-bit protected mode, paging off, EBX = start_info */
		sregs.cr0 = (sregs.cr0 | X86_CR0_PE | X86_CR0_ET) & ~X86_CR0_PG;
		sregs.cr4 = 0;
		sregs.efer = 0;
		regs.rbx = boot->boot_info;
	}

	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

static void lvt_set_mode(struct kvm_lapic_state *lapic, int reg,
			 uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &lapic->regs[reg], sizeof(v));
	v = (v & ~0x700u) | (mode << 8);
	memcpy(&lapic->regs[reg], &v, sizeof(v));
}

int x86_setup_vcpu_common(int vcpu_fd)
{
	struct kvm_lapic_state lapic;
	struct kvm_fpu fpu;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[2];
	} msrs;

	/* LINT0 takes the 8259's ExtINT, LINT1 the NMI: what firmware does. */
	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	lvt_set_mode(&lapic, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	lvt_set_mode(&lapic, APIC_LVT_LINT1, APIC_MODE_NMI);
	if (ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) < 0)
		return -errno;

	/* x87 and SSE in their architectural reset state (SDM 9.1.1). */
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;

	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 2;
	msrs.e[0].index = MSR_IA32_MISC_ENABLE;
	msrs.e[0].data = MISC_ENABLE_FAST_STRING;
	/* Firmware enables the MTRRs with write-back as the default type. */
	msrs.e[1].index = MSR_MTRR_DEF_TYPE;
	msrs.e[1].data = MTRR_ENABLE | MTRR_TYPE_WB;
	if (ioctl(vcpu_fd, KVM_SET_MSRS, &msrs) != 2)
		return -EIO;
	return 0;
}
