/* SPDX-License-Identifier: MIT */
/*
 * The owner of the VM's GSI routing table.  KVM_SET_GSI_ROUTING replaces
 * the whole table (api.rst, KVM_SET_GSI_ROUTING), so exactly one object
 * may call it: this one.  It keeps the platform's irqchip entries (the ISA
 * interrupts, set up once by the machine) together with the MSI entries
 * that PCI devices add and change as the guest programs their MSI-X
 * tables, and installs the complete table after every change.
 *
 * GSI numbers below `first_msi_gsi` belong to the irqchips; MSI routes get
 * numbers from there up, one per MSI-X vector, handed out by
 * irq_routing_alloc_gsi() and bound to an eventfd with KVM_IRQFD.
 *
 * Thread-safe: vCPU threads change MSI routes when the guest writes an
 * MSI-X table.  With vm_fd < 0 (unit tests) nothing reaches KVM.
 */
#ifndef VMON_CORE_IRQ_ROUTING_H
#define VMON_CORE_IRQ_ROUTING_H

#include <pthread.h>
#include <stdint.h>

struct kvm_irq_routing_entry;

/* KVM_MAX_IRQ_ROUTES on x86: GSIs must stay below it. */
#define IRQ_ROUTING_MAX_GSI	4096

struct irq_routing {
	int vm_fd;
	pthread_mutex_t lock;
	struct kvm_irq_routing_entry *e;
	unsigned int nr, cap;
	uint32_t next_gsi;		/* next MSI GSI to hand out */
	unsigned long installs;		/* KVM_SET_GSI_ROUTING calls made */
};

int irq_routing_init(struct irq_routing *r, int vm_fd, uint32_t first_msi_gsi);
void irq_routing_destroy(struct irq_routing *r);

/*
 * Stage an entry sending gsi to pin `pin` of irqchip `chip`
 * (KVM_IRQCHIP_PIC_MASTER, _SLAVE, _IOAPIC).  Staged entries reach KVM
 * with the next irq_routing_commit() or MSI change.  0 or -errno.
 */
int irq_routing_add_irqchip(struct irq_routing *r, uint32_t gsi,
			    uint32_t chip, uint32_t pin);
/* Install the current table.  0 or -errno (from KVM). */
int irq_routing_commit(struct irq_routing *r);

/* Reserve a GSI for an MSI route.  0 or -ENOSPC. */
int irq_routing_alloc_gsi(struct irq_routing *r, uint32_t *gsi);

/*
 * Point gsi (from irq_routing_alloc_gsi) at an MSI message and install
 * the table.  0 or -errno; the previous table stays in place on failure.
 */
int irq_routing_set_msi(struct irq_routing *r, uint32_t gsi, uint64_t addr,
			uint32_t data);

#endif
