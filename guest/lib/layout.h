/* SPDX-License-Identifier: MIT */
/* Constants shared between the runtime's assembly and C. */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#define SEL_KCODE64	0x08
#define SEL_KDATA	0x10
#define SEL_UDATA	0x1b		/* 0x18 | RPL 3 */
#define SEL_UCODE64	0x23		/* 0x20 | RPL 3 */
#define SEL_TSS		0x28		/* 16-byte descriptor */
#define SEL_KCODE32	0x38		/* AP trampoline's protected mode */
#define GDT_ENTRIES	8


#define BOOT_STACK_SIZE	0x4000
#define AP_STACK_SIZE	0x2000
#define AP_MAX		256

/* The SIPI vector is a page number below 1 MiB; 0x10000 is RAM the VMM
 * boot structures (0x6000-0xefff) and the command line (0x20000) avoid. */
#define AP_TRAMPOLINE_ADDR 0x10000

/* Long-mode control bits (Intel SDM vol. 3 2.5, 2.2.1). */
#define CR0_PE		(1 << 0)
#define CR0_MP		(1 << 1)
#define CR0_EM		(1 << 2)
#define CR0_WP		(1 << 16)
#define CR0_NW		(1 << 29)
#define CR0_CD		(1 << 30)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define CR4_OSFXSR	(1 << 9)
#define CR4_OSXMMEXCPT	(1 << 10)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)

/* Page-table entry bits. */
#define PTE_P		0x001
#define PTE_RW		0x002
#define PTE_US		0x004
#define PTE_PWT		0x008
#define PTE_PCD		0x010
#define PTE_A		0x020
#define PTE_D		0x040
#define PTE_PS		0x080
#define PTE_TABLE	(PTE_P | PTE_RW | PTE_US)
/* A and D preset so the CPU (or an emulator) never writes them back. */
#define PTE_2M_WB	(PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_PS)
#define PTE_2M_UC	(PTE_2M_WB | PTE_PWT | PTE_PCD)

/* Virtual window for RAM above 4 GiB: PDPT slot 4 -> scratch PD. */
#define HIGH_WINDOW_VA	0x100000000

#ifdef __ASSEMBLER__
/* 32-bit protected mode -> long mode on the static page tables, then a far
 * jump to `target` in 64-bit code.  Used by the BSP and the APs. */
.macro enable_long_mode target
	movl %cr4, %eax
	orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	wrmsr
	movl %cr0, %eax
	andl $~(CR0_EM | CR0_CD | CR0_NW), %eax
	orl $(CR0_PG | CR0_WP | CR0_MP | CR0_PE), %eax
	movl %eax, %cr0
	ljmp $SEL_KCODE64, $\target
.endm
#endif

#endif
