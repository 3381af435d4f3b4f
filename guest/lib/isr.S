/* SPDX-License-Identifier: MIT */
/*
 * Interrupt entry and the CPL3 round trip.
 *
 * isr_stubs: 256 stubs, 16 bytes apart, so boot.c computes their addresses.
 * Each pushes a dummy error code (unless the CPU pushed one) and the
 * vector, then isr_common saves all GPRs into a struct trap_frame and
 * calls isr_dispatch().
 */
#include "layout.h"

	.text
	.code64
	.balign 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	/* Vectors with a CPU error code: Intel SDM vol. 3 table 6-1. */
	.if !(vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 || vec == 14 || vec == 17 || vec == 21 || vec == 29 || vec == 30)
	pushq $0
	.endif
	pushq $vec
	jmp isr_common
	.org isr_stubs + 16 * (vec + 1), 0xcc	/* errors if a stub outgrew 16 */
	.set vec, vec + 1
	.endr

isr_common:
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rbx
	pushq %rax
	movq %rsp, %rdi			/* 15 regs + 7 words: 16-aligned */
	cld
	call isr_dispatch
	popq %rax
	popq %rbx
	popq %rcx
	popq %rdx
	popq %rsi
	popq %rdi
	popq %rbp
	popq %r8
	popq %r9
	popq %r10
	popq %r11
	popq %r12
	popq %r13
	popq %r14
	popq %r15
	addq $16, %rsp			/* vector, error code */
	iretq

/*
 * long run_user(user_fn_t fn, void *arg)
 *
 * iretq to fn at CPL3 with IOPL 3 on user_stack; fn returns into
 * user_exit, whose UD2 raises #UD; isr_dispatch() recognises that RIP and
 * calls user_return(), which resumes the kernel context saved here.
 * On the PVM hosts we target neither a DPL3 `int n` gate (#UD) nor
 * SYSCALL (arrives still at CPL3) works, but exceptions from CPL3 do.
 */
	.globl run_user
run_user:
	pushfq
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, kernel_resume_rsp
	movq $user_stack_top - 8, %rdx	/* entry RSP = 8 mod 16, as after a call */
	movq $user_exit, (%rdx)
	pushq $SEL_UDATA		/* SS */
	pushq %rdx			/* RSP */
	pushfq
	orq $0x3000, (%rsp)		/* RFLAGS.IOPL = 3 */
	pushq $SEL_UCODE64		/* CS */
	pushq %rdi			/* RIP */
	movq %rsi, %rdi
	iretq

	.globl user_exit_ud2
user_exit:				/* CPL3 */
	movq %rax, %rdi
user_exit_ud2:
	ud2

/* void user_return(long ret): CPL0, from the #UD handler. */
	.globl user_return
user_return:
	movq kernel_resume_rsp, %rsp
	movq %rdi, %rax
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	popfq				/* the caller's IF, not the gate's */
	ret

	.bss
	.balign 8
kernel_resume_rsp:
	.quad 0
	.balign 16
user_stack:
	.skip 0x10000
user_stack_top:
