/* SPDX-License-Identifier: MIT */
/*
 * Guest linear-to-physical translation for the user-space completion of
 * instructions the host's KVM cannot emulate (issue 13, docs/emulate.md).
 * The guest's page tables are read, and their accessed and dirty flags
 * set, only through the checked guest-memory accessor (core/guest_mem.h).
 * Pure: no ioctls, no global state; the caller hands in the paging state.
 *
 * Modes (SDM vol. 3A, 4.1.1): paging off (identity), 32-bit paging with
 * PSE 4 MiB pages, PAE paging, 4-level and 5-level (CR4.LA57) paging, with
 * 2 MiB and 1 GiB pages.  Access rights as 4.6 has them: U/S, R/W with
 * CR0.WP, NX with EFER.NXE, SMEP, SMAP with RFLAGS.AC and implicit
 * supervisor accesses, protection keys (CR4.PKE with PKRU, CR4.PKS with
 * IA32_PKRS).  Not modelled: shadow stacks (CR4.CET, error code bit 6),
 * HLAT, LAM (CR3/CR4 bits that mask linear addresses), SGX (bit 15), PCID
 * (there is no TLB here: every call walks the tables as they are now), and
 * the PDPTE registers of PAE paging (the PDPTEs are read from memory at
 * each walk, not when CR3 was loaded).
 */
#ifndef VMON_ARCH_X86_EMULATE_WALK_H
#define VMON_ARCH_X86_EMULATE_WALK_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

#define X86_CR0_PE   (1ull << 0)
#define X86_CR0_WP   (1ull << 16)
#define X86_CR0_PG   (1ull << 31)
#define X86_CR4_PSE  (1ull << 4)
#define X86_CR4_PAE  (1ull << 5)
#define X86_CR4_LA57 (1ull << 12)
#define X86_CR4_SMEP (1ull << 20)
#define X86_CR4_SMAP (1ull << 21)
#define X86_CR4_PKE  (1ull << 22)
#define X86_CR4_PKS  (1ull << 24)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

/* The vCPU's paging state: what a translation depends on. */
struct x86_paging {
	uint64_t cr0, cr3, cr4, efer; /* EFER.LMA, not LME, picks long mode */
	unsigned int cpl;	      /* 0-3 */
	bool ac;		      /* RFLAGS.AC */
	uint32_t pkru;		      /* used if CR4.PKE */
	uint32_t pkrs;		      /* IA32_PKRS, used if CR4.PKS */
	unsigned int maxphyaddr;      /* CPUID.80000008H:EAX[7:0], 32-52 */
};

/*
 * The access (flags; none: a data read).  User or supervisor follows the
 * CPL (3: user), but an implicit access (descriptor tables, the TSS, what
 * event delivery reads and writes) is a supervisor access at any CPL and
 * is refused user pages under SMAP whatever RFLAGS.AC says (4.6).
 */
#define X86_ACC_WRITE	 (1u << 0)
#define X86_ACC_FETCH	 (1u << 1)
#define X86_ACC_IMPLICIT (1u << 2)
/* A look that changes nothing: no accessed or dirty flag is set. */
#define X86_ACC_NO_AD	 (1u << 3)

/* #PF error code (4.7). */
#define X86_PF_P    (1u << 0) /* 0: not present; 1: protection */
#define X86_PF_W    (1u << 1)
#define X86_PF_U    (1u << 2)
#define X86_PF_RSVD (1u << 3)
#define X86_PF_I    (1u << 4)
#define X86_PF_PK   (1u << 5)

#define X86_VEC_GP 13
#define X86_VEC_PF 14

/*
 * An exception the access raises in the guest, as a value: #PF with CR2
 * (the linear address that failed) and its error code, or #GP(0) for a
 * non-canonical address in long mode (a stack access wants #SS instead:
 * the caller knows which segment it used).
 */
struct x86_fault {
	uint8_t vector;
	uint32_t error_code;
	uint64_t cr2;
};

/* Returned (positive) when *fault holds an exception for the guest. */
#define X86_FAULT 1

struct x86_xlat {
	uint64_t gpa;
	uint64_t page_size; /* 4 KiB, 2 or 4 MiB, 1 GiB; paging off: 4 KiB */
};

/*
 * Translate linear address la for an access.  In 32-bit modes only its
 * low 32 bits count (linear addresses wrap at 4 GiB there).
 *
 * Accessed and dirty flags (4.8): once the access is allowed, A is set in
 * every entry the walk used (PAE's PDPTEs have none) and, for a write, D
 * in the leaf, each by a compare-and-exchange against the value the walk
 * read, as the processor does atomically: if another vCPU changed an
 * entry meanwhile, the walk starts again.  A walk that faults sets none.
 *
 * Returns 0 with *out, X86_FAULT with *fault, -EFAULT if a paging-
 * structure entry is not in guest RAM (a VMM-level error, no guest
 * exception: hardware would read a device or nothing), -EAGAIN if the
 * entries kept changing under the walk, -EINVAL for a bad paging state.
 */
int x86_walk(const struct guest_mem *gm, const struct x86_paging *pg,
	     uint64_t la, unsigned int access, struct x86_xlat *out,
	     struct x86_fault *fault);

/*
 * Copy len bytes from linear memory, each page translated on its own.
 * Stops at the first page that cannot be read and returns as x86_walk()
 * does, or -ENXIO if a page is not RAM (MMIO, for the caller's bus);
 * *done (if not NULL) is then the count of bytes already copied, the
 * prefix an instruction fetch may still decode.  A set on the pages read.
 */
int x86_linear_read(const struct guest_mem *gm, const struct x86_paging *pg,
		    uint64_t la, void *dst, size_t len, unsigned int access,
		    size_t *done, struct x86_fault *fault);

/*
 * Write len bytes (at most X86_LINEAR_WRITE_MAX) to linear memory.  Every
 * page is translated (and found to be RAM) before anything changes, so a
 * fault on any page, reported for the first that fails, leaves memory and
 * A/D flags as they were.  Then every page is translated again, setting
 * A/D, and only then written: the data may be page tables of its own
 * later pages.  An entry changed in between (another vCPU; an A flag set
 * for one page in an entry another page's walk reads differently) can
 * still fault the second pass, after A/D flags but before any data were
 * written.  Returns as x86_linear_read(); -EINVAL if len is too long.
 */
#define X86_LINEAR_WRITE_MAX 16384 /* an AMX XSAVE area is ~11 KiB */
int x86_linear_write(const struct guest_mem *gm, const struct x86_paging *pg,
		     uint64_t la, const void *src, size_t len,
		     unsigned int access, struct x86_fault *fault);

/*
 * The paging state of KVM's special registers: CPL from SS.DPL (0 in real
 * mode, 3 in virtual-8086 mode), RFLAGS.AC.  The protection-key registers
 * are not there: 0, no key forbids anything; set them if CR4.PKE/PKS.
 */
void x86_paging_from_sregs(const struct kvm_sregs *s, uint64_t rflags,
			   unsigned int maxphyaddr, struct x86_paging *pg);

#endif
