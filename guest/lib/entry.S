/* SPDX-License-Identifier: MIT */
/*
 * PVH entry (Xen docs/misc/pvh.pandoc): 32-bit protected mode, paging off,
 * flat CS/DS, EBX = physical address of struct hvm_start_info.  We switch
 * to long mode on static identity page tables and call boot_main().
 *
 * Everything here runs at CPL0, which some hosts emulate instruction by
 * instruction, so the page tables are built by the assembler, not at run
 * time.  Images are linked and loaded at 1 MiB, virtual == physical.
 */
#include "layout.h"

/* ---- ELF note: XEN_ELFNOTE_PHYS32_ENTRY (18), name "Xen" ----------------
 * Like Linux's ELF64 vmlinux the descriptor is 8 bytes; QEMU reads a
 * size_t for ELF64 images.  4-byte alignment keeps the standard layout. */
	.section .note.Xen, "a", @note
	.balign 4
	.long 4				/* namesz */
	.long 8				/* descsz */
	.long 18			/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.quad pvh_start32
	.balign 4

/* ---- 32-bit entry --------------------------------------------------------- */
	.section .text.entry, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	movl %ebx, boot_start_info
	lgdt gdt_ptr32
	movl $SEL_KDATA, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $boot_stack_top, %esp
	enable_long_mode bsp_entry64

/* ---- 64-bit ------------------------------------------------------------- */
	.code64
bsp_entry64:
	movl $SEL_KDATA, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorl %eax, %eax
	movw %ax, %fs
	movw %ax, %gs
	movq $boot_stack_top, %rsp
	movl boot_start_info, %edi
	call boot_main
	ud2

/* ---- GDT (Intel SDM vol. 3 3.4.5; 64-bit code has L=1, D=0) ------------- */
	.data
	.balign 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00af9b000000ffff	/* 0x08 kernel code 64 */
	.quad 0x00cf93000000ffff	/* 0x10 kernel data */
	.quad 0x00cff3000000ffff	/* 0x18 user data (DPL3) */
	.quad 0x00affb000000ffff	/* 0x20 user code 64 (DPL3) */
	.quad 0, 0			/* 0x28 TSS, filled in by boot.c */
	.quad 0x00cf9b000000ffff	/* 0x38 kernel code 32 */
gdt_end:
	.globl gdt_ptr32
gdt_ptr32:				/* lgdt operand, 32-bit base */
	.word gdt_end - gdt - 1
	.long gdt

	.globl boot_start_info
boot_start_info:
	.long 0

/* ---- Page tables: identity map of 0-4 GiB with 2 MiB pages -------------
 * All levels have U/S=1 so CPL3 code reaches RAM and MMIO; 3-4 GiB (the
 * MMIO hole: PCI, IOAPIC, LAPIC) is uncached (PCD|PWT). */
	.section .data.pagetables, "aw"
	.balign 4096
	.globl pml4, pdpt
pml4:
	.quad pdpt + PTE_TABLE
	.fill 511, 8, 0
pdpt:
	.quad pd0 + PTE_TABLE, pd1 + PTE_TABLE, pd2 + PTE_TABLE, pd3 + PTE_TABLE
	.fill 508, 8, 0			/* slot 4: memmap's high window */
pd0:
	.set addr, 0
	.rept 1536
	.quad addr + PTE_2M_WB
	.set addr, addr + 0x200000
	.endr
	.rept 512
	.quad addr + PTE_2M_UC
	.set addr, addr + 0x200000
	.endr
pd1 = pd0 + 0x1000
pd2 = pd0 + 0x2000
pd3 = pd0 + 0x3000

	.bss
	.balign 16
boot_stack:
	.skip BOOT_STACK_SIZE
boot_stack_top:
