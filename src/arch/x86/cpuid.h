/* SPDX-License-Identifier: MIT */
/*
 * The CPUID a vCPU sees: KVM_GET_SUPPORTED_CPUID with per-vCPU APIC IDs,
 * a topology of nr_cpus single-thread cores in one package, the hypervisor
 * bit and KVM's paravirtual leaves (Documentation/virt/kvm/x86/cpuid.rst).
 */
#ifndef VMON_ARCH_X86_CPUID_H
#define VMON_ARCH_X86_CPUID_H

#include <linux/kvm.h>
#include <stdint.h>

/* Ask KVM what it can offer.  *out is malloc'd.  0 or -errno. */
int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out);

/*
 * Build the CPUID table for vCPU `index` of `nr_cpus` from `supported`.
 * Pure: no ioctls, so unit tests drive it with hand-built tables.
 * *out is malloc'd.  0, -EINVAL or -ENOMEM.
 */
int cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int index,
		   unsigned int nr_cpus, struct kvm_cpuid2 **out);

/* Find a leaf/subleaf in a table, or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function,
				    uint32_t index);

#define CPUID_KVM_SIGNATURE	0x40000000u
#define CPUID_KVM_FEATURES	0x40000001u

#endif
