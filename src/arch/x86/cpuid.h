/* SPDX-License-Identifier: MIT */
/*
 * The CPUID a vCPU sees: KVM_GET_SUPPORTED_CPUID plus what the host adds
 * (TSC-deadline, a brand string: cpuid_apply_host), with per-vCPU APIC
 * IDs, a topology of nr_cpus single-thread cores in one package, the
 * hypervisor bit and KVM's paravirtual leaves
 * (Documentation/virt/kvm/x86/cpuid.rst).
 */
#ifndef VMON_ARCH_X86_CPUID_H
#define VMON_ARCH_X86_CPUID_H

#include <linux/kvm.h>
#include <stdbool.h>
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

/*
 * What vmon adds to KVM's table from the host it runs on, gathered by the
 * caller so cpuid_apply_host() stays pure.
 */
struct cpuid_host {
	/*
	 * KVM_CAP_TSC_DEADLINE_TIMER: the in-kernel LAPIC emulates the
	 * TSC-deadline timer mode, which KVM_GET_SUPPORTED_CPUID does not
	 * report before Linux 6.15 (api.rst, "Known KVM API problems").
	 */
	bool tsc_deadline;
	/* Host CPUID 0x80000002-0x80000004, EAX EBX ECX EDX each; 0: none. */
	uint32_t brand[12];
};

/* Run the CPUID instruction for the host's brand string leaves. */
void cpuid_host_brand(uint32_t brand[12]);

/*
 * Patch a table from cpuid_get_supported() in place (it may be realloc'd
 * to add leaves): CPUID.1:ECX TSC-deadline when host->tsc_deadline; and,
 * when KVM left the brand string leaves 0x80000002-0x80000004 empty or
 * out, the host's brand string (what QEMU's -cpu host does) or, if the
 * host has none either, CPUID_VMON_BRAND, with 0x80000000.EAX raised to
 * cover them.  Pure.  0, -EINVAL or -ENOMEM (the table is then unchanged).
 */
int cpuid_apply_host(struct kvm_cpuid2 **table, const struct cpuid_host *host);

#define CPUID_VMON_BRAND	"vmon virtual CPU"

/*
 * The table's brand string (leading and trailing spaces dropped, "" if
 * none) and its vendor ("AuthenticAMD", ...; "" if no leaf 0).
 */
void cpuid_brand_string(const struct kvm_cpuid2 *c, char out[49]);
void cpuid_vendor_string(const struct kvm_cpuid2 *c, char out[13]);

/* Find a leaf/subleaf in a table, or NULL. */
struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function,
				    uint32_t index);

#define CPUID_KVM_SIGNATURE	0x40000000u
#define CPUID_KVM_FEATURES	0x40000001u
#define CPUID_EXT_MAX		0x80000000u	/* EAX: highest extended leaf */
#define CPUID_BRAND_FIRST	0x80000002u	/* brand string: 3 leaves */
#define CPUID_BRAND_LAST	0x80000004u
#define CPUID1_ECX_TSC_DEADLINE	(1u << 24)

#endif
