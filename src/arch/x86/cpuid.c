// SPDX-License-Identifier: MIT
#include "arch/x86/cpuid.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define CPUID_MAX_ENTRIES 512

#define CPUID1_ECX_X2APIC	(1u << 21)
#define CPUID1_ECX_HYPERVISOR	(1u << 31)
#define CPUID1_EDX_HTT		(1u << 28)

int cpuid_get_supported(int kvm_fd, struct kvm_cpuid2 **out)
{
	for (unsigned int n = 64; n <= CPUID_MAX_ENTRIES; n *= 2) {
		struct kvm_cpuid2 *c;

		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*out = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG)
			return -errno;
	}
	return -E2BIG;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function,
				    uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != function)
			continue;
		if ((e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) &&
		    e->index != index)
			continue;
		return e;
	}
	return NULL;
}

/* Bits needed to number n things: ceil(log2(n)). */
static unsigned int order_of(unsigned int n)
{
	unsigned int bits = 0;

	while ((1u << bits) < n)
		bits++;
	return bits;
}

/* Leaf 0xB / 0x1F: extended topology (Intel SDM vol. 2A, CPUID). */
static void set_ext_topology(struct kvm_cpuid_entry2 *e, unsigned int apic_id,
			     unsigned int nr_cpus)
{
	e->edx = apic_id;
	switch (e->index) {
	case 0:		/* SMT level: one thread per core */
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (1u << 8) | 0;
		break;
	case 1:		/* core level: every vCPU a core of one package */
		e->eax = order_of(nr_cpus);
		e->ebx = nr_cpus;
		e->ecx = (2u << 8) | 1;
		break;
	default:	/* invalid level ends the enumeration */
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index & 0xff;
		break;
	}
}

static void set_kvm_signature(struct kvm_cpuid_entry2 *e)
{
	/* "KVMKVMKVM\0\0\0" in EBX, ECX, EDX. */
	e->eax = CPUID_KVM_FEATURES;
	e->ebx = 0x4b4d564b;
	e->ecx = 0x564b4d56;
	e->edx = 0x0000004d;
}

int cpuid_for_vcpu(const struct kvm_cpuid2 *supported, unsigned int index,
		   unsigned int nr_cpus, struct kvm_cpuid2 **out)
{
	struct kvm_cpuid2 *c;
	size_t size;
	unsigned int apic_id = index;
	bool have_sig = false;

	if (!supported || nr_cpus == 0 || index >= nr_cpus ||
	    supported->nent > CPUID_MAX_ENTRIES)
		return -EINVAL;

	/* One spare slot for the KVM signature leaf if KVM left it out. */
	size = sizeof(*c) + (supported->nent + 1) * sizeof(c->entries[0]);
	c = calloc(1, size);
	if (!c)
		return -ENOMEM;
	memcpy(c, supported,
	       sizeof(*c) + supported->nent * sizeof(c->entries[0]));

	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 0x1:
			/* EBX: APIC ID 31:24, logical count 23:16, CLFLUSH 15:8 */
			e->ebx = (apic_id << 24) |
				 ((nr_cpus > 255 ? 255 : nr_cpus) << 16) |
				 (8u << 8);
			e->ecx |= CPUID1_ECX_HYPERVISOR;
			if (nr_cpus > 1)
				e->edx |= CPUID1_EDX_HTT;
			else
				e->edx &= ~CPUID1_EDX_HTT;
			break;
		case 0x4:
			/* EAX 31:26 cores per package - 1; 25:14 sharing. */
			if (e->eax & 0x1f) {
				unsigned int cores = nr_cpus > 64 ? 64 : nr_cpus;
				unsigned int level = (e->eax >> 5) & 0x7;
				unsigned int share = level >= 3 ? cores - 1 : 0;

				e->eax &= 0x3fff;
				e->eax |= ((cores - 1) << 26) | (share << 14);
			}
			break;
		case 0xb:
		case 0x1f:
			set_ext_topology(e, apic_id, nr_cpus);
			break;
		case 0x80000008:
			/* AMD: ECX 7:0 number of cores - 1 */
			e->ecx = (e->ecx & ~0xffu) | ((nr_cpus - 1) & 0xff);
			break;
		case CPUID_KVM_SIGNATURE:
			set_kvm_signature(e);
			have_sig = true;
			break;
		default:
			break;
		}
	}
	if (!have_sig) {
		struct kvm_cpuid_entry2 *e = &c->entries[c->nent++];

		memset(e, 0, sizeof(*e));
		e->function = CPUID_KVM_SIGNATURE;
		set_kvm_signature(e);
	}
	*out = c;
	return 0;
}
