/* SPDX-License-Identifier: MIT */
/*
 * Explaining why a guest had to be stopped: KVM's emulation failures,
 * triple faults, failed entries and exits vmon does not handle.  Messages
 * name what KVM reported, where the guest was, the instruction bytes and
 * what the operator can do.
 */
#ifndef VMON_ARCH_X86_FAULT_H
#define VMON_ARCH_X86_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "core/guest_mem.h"

struct kvm_run;

/*
 * Read up to 15 instruction bytes at the vCPU's CS:RIP, translating
 * through its page tables with the emulator's walker (emulate/walk.h),
 * with the fetch's access rights, setting no accessed flag.  Returns the
 * count read (0 if none), those of the pages before the first that does
 * not translate, and stores RIP.
 */
size_t x86_fetch_insn(int vcpu_fd, const struct guest_mem *gm, uint64_t *rip,
		      uint8_t *buf, size_t buflen);

/* A hint for the operator about a known-troublesome instruction, or NULL. */
const char *x86_insn_hint(const uint8_t *insn, size_t len);

/* Log the full report for a fatal exit of vCPU `index`. */
void x86_report_fatal_exit(int vcpu_fd, unsigned int index,
			   const struct guest_mem *gm,
			   const struct kvm_run *run);

#endif
