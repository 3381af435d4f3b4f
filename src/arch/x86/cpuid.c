// SPDX-License-Identifier: MIT
#include "arch/x86/cpuid.h"

#include <cpuid.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* Brand strings are bytes in register order: EAX's low byte first. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the brand string code assumes a little-endian host");
_Static_assert(sizeof(CPUID_VMON_BRAND) <= 48, "brand strings: 47 + NUL");

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

void cpuid_host_brand(uint32_t brand[12])
{
	unsigned int r[4];

	memset(brand, 0, 12 * sizeof(brand[0]));
	for (unsigned int i = 0; i < 3; i++) {
		/* __get_cpuid checks 0x80000000.EAX covers the leaf first. */
		if (!__get_cpuid(CPUID_BRAND_FIRST + i, &r[0], &r[1], &r[2],
				 &r[3])) {
			memset(brand, 0, 12 * sizeof(brand[0]));
			return;
		}
		memcpy(&brand[4 * i], r, sizeof(r));
	}
}

static const struct kvm_cpuid_entry2 *find_leaf(const struct kvm_cpuid2 *c,
						uint32_t function)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == function)
			return &c->entries[i];
	return NULL;
}

static bool brand_empty(const struct kvm_cpuid2 *c)
{
	for (uint32_t fn = CPUID_BRAND_FIRST; fn <= CPUID_BRAND_LAST; fn++) {
		const struct kvm_cpuid_entry2 *e = find_leaf(c, fn);

		if (e && (e->eax | e->ebx | e->ecx | e->edx))
			return false;
	}
	return true;
}

/* The leaf, or a new zeroed one at the end (the caller made room). */
static struct kvm_cpuid_entry2 *get_leaf(struct kvm_cpuid2 *c,
					 uint32_t function)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, function, 0);

	if (!e) {
		e = &c->entries[c->nent++];
		memset(e, 0, sizeof(*e));
		e->function = function;
	}
	return e;
}

/*
 * Leaves 0x80000002-0x80000004 hold a 48-byte, NUL-terminated brand
 * string (Intel SDM vol. 2A, CPUID; AMD APM vol. 3, E.4.3).  Linux prints
 * "AMD 17/01" (family/model) without one, where QEMU's -cpu host copies
 * the host's: do the same, or name vmon when the host has none either.
 */
static int fill_brand(struct kvm_cpuid2 **table, const uint32_t host[12])
{
	static const uint32_t leaves[] = { CPUID_EXT_MAX, CPUID_BRAND_FIRST,
					   CPUID_BRAND_FIRST + 1,
					   CPUID_BRAND_LAST };
	struct kvm_cpuid2 *c = *table;
	struct kvm_cpuid_entry2 *e;
	uint32_t brand[12] = { 0 };
	unsigned int missing = 0;
	bool have_host = false;

	for (unsigned int i = 0; i < 12; i++)
		have_host |= host[i] != 0;
	if (have_host)
		memcpy(brand, host, sizeof(brand));
	else
		memcpy(brand, CPUID_VMON_BRAND, sizeof(CPUID_VMON_BRAND));

	for (unsigned int i = 0; i < 4; i++)
		missing += !find_leaf(c, leaves[i]);
	if (missing) {
		c = realloc(c, sizeof(*c) +
				       (c->nent + missing) * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		*table = c;
	}
	for (unsigned int i = 0; i < 3; i++) {
		e = get_leaf(c, CPUID_BRAND_FIRST + i);
		e->eax = brand[4 * i];
		e->ebx = brand[4 * i + 1];
		e->ecx = brand[4 * i + 2];
		e->edx = brand[4 * i + 3];
	}
	/* The guest reads no leaf above 0x80000000.EAX. */
	e = get_leaf(c, CPUID_EXT_MAX);
	if (e->eax < CPUID_BRAND_LAST)
		e->eax = CPUID_BRAND_LAST;
	return 0;
}

int cpuid_apply_host(struct kvm_cpuid2 **table, const struct cpuid_host *host)
{
	struct kvm_cpuid_entry2 *e;
	int ret;

	if (!table || !*table || !host || (*table)->nent > CPUID_MAX_ENTRIES)
		return -EINVAL;
	if (brand_empty(*table) && (ret = fill_brand(table, host->brand)) < 0)
		return ret;
	/*
	 * KVM_GET_SUPPORTED_CPUID leaves TSC-deadline (CPUID.1:ECX[24]) to
	 * userspace before Linux 6.15, which sets it when the in-kernel LAPIC
	 * emulates the mode (KVM_CAP_TSC_DEADLINE_TIMER), as QEMU does.
	 */
	if (host->tsc_deadline && (e = cpuid_find(*table, 0x1, 0)))
		e->ecx |= CPUID1_ECX_TSC_DEADLINE;
	return 0;
}

void cpuid_brand_string(const struct kvm_cpuid2 *c, char out[49])
{
	const struct kvm_cpuid_entry2 *e;
	size_t start = 0, end;

	memset(out, 0, 49);
	for (unsigned int i = 0; i < 3; i++) {
		e = find_leaf(c, CPUID_BRAND_FIRST + i);
		if (!e)
			return;
		memcpy(out + 16 * i, &e->eax, 4);
		memcpy(out + 16 * i + 4, &e->ebx, 4);
		memcpy(out + 16 * i + 8, &e->ecx, 4);
		memcpy(out + 16 * i + 12, &e->edx, 4);
	}
	/* Intel right-justifies some brand strings with leading spaces. */
	end = strlen(out);
	while (start < end && out[start] == ' ')
		start++;
	while (end > start && out[end - 1] == ' ')
		end--;
	memmove(out, out + start, end - start);
	out[end - start] = '\0';
}

void cpuid_vendor_string(const struct kvm_cpuid2 *c, char out[13])
{
	const struct kvm_cpuid_entry2 *e = find_leaf(c, 0x0);

	memset(out, 0, 13);
	if (!e)
		return;
	/* EBX, EDX, ECX: "Genu" "ineI" "ntel". */
	memcpy(out, &e->ebx, 4);
	memcpy(out + 4, &e->edx, 4);
	memcpy(out + 8, &e->ecx, 4);
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
