/* SPDX-License-Identifier: MIT */
/*
 * Application processor start-up.  smp.c copies ap_trampoline to
 * AP_TRAMPOLINE_ADDR; a SIPI with vector AP_TRAMPOLINE_ADDR >> 12 starts
 * the AP there in real mode with CS = 0x1000, IP = 0 (Intel SDM vol. 3
 * 9.4.4).  It loads the shared GDT (lgdtl: 32-bit base), enters protected
 * mode and jumps to the image's ap_entry32, which joins the BSP's path to
 * long mode on the same page tables.
 */
#include "layout.h"

#define TRAMP(sym) (AP_TRAMPOLINE_ADDR + (sym) - ap_trampoline)

	.section .rodata.trampoline, "a"
	.code16
	.globl ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl tramp_gdt_ptr - ap_trampoline
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl $SEL_KCODE32, $TRAMP(tramp_pm)

	.code32
tramp_pm:
	movl $SEL_KDATA, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $ap_entry32, %eax
	jmp *%eax

	.balign 8
tramp_gdt_ptr:
	.word GDT_ENTRIES * 8 - 1
	.long gdt
ap_trampoline_end:

	.text
	.code32
ap_entry32:
	enable_long_mode ap_entry64

	.code64
/* Take a stack slot by atomic increment, then run ap_main(slot). */
ap_entry64:
	movl $SEL_KDATA, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl $1, %eax
	lock xaddl %eax, ap_next_slot
	movl %eax, %edi
	cmpl $AP_MAX, %eax
	jae 1f				/* no stack left: park */
	incl %eax
	imull $AP_STACK_SIZE, %eax
	addq $ap_stacks, %rax
	movq %rax, %rsp
	call ap_main
1:	cli
	hlt
	jmp 1b

	.data
ap_next_slot:
	.long 0

	.bss
	.balign 4096
ap_stacks:
	.skip AP_STACK_SIZE * AP_MAX
