// SPDX-License-Identifier: MIT
#include "core/irq_routing.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/log.h"

int irq_routing_init(struct irq_routing *r, int vm_fd, uint32_t first_msi_gsi)
{
	memset(r, 0, sizeof(*r));
	r->vm_fd = vm_fd;
	r->next_gsi = first_msi_gsi;
	return -pthread_mutex_init(&r->lock, NULL);
}

void irq_routing_destroy(struct irq_routing *r)
{
	free(r->e);
	r->e = NULL;
	r->nr = r->cap = 0;
	pthread_mutex_destroy(&r->lock);
}

/* A free slot at the end of the table.  Lock held. */
static struct kvm_irq_routing_entry *grow(struct irq_routing *r)
{
	if (r->nr == r->cap) {
		unsigned int cap = r->cap ? r->cap * 2 : 64;
		struct kvm_irq_routing_entry *e;

		if (cap > IRQ_ROUTING_MAX_GSI * 2)
			return NULL;
		e = realloc(r->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		r->e = e;
		r->cap = cap;
	}
	memset(&r->e[r->nr], 0, sizeof(r->e[0]));
	return &r->e[r->nr++];
}

/* Hand the whole table to KVM.  Lock held. */
static int install(struct irq_routing *r)
{
	struct kvm_irq_routing *t;
	int ret = 0;

	if (r->vm_fd < 0)
		return 0;
	t = calloc(1, sizeof(*t) + r->nr * sizeof(r->e[0]));
	if (!t)
		return -ENOMEM;
	t->nr = r->nr;
	memcpy(t->entries, r->e, r->nr * sizeof(r->e[0]));
	if (ioctl(r->vm_fd, KVM_SET_GSI_ROUTING, t) < 0) {
		ret = -errno;
		log_error("KVM_SET_GSI_ROUTING with %u entries failed: %s",
			  r->nr, strerror(errno));
	} else {
		r->installs++;
	}
	free(t);
	return ret;
}

int irq_routing_add_irqchip(struct irq_routing *r, uint32_t gsi,
			    uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry *e;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	e = grow(r);
	if (!e) {
		ret = -ENOMEM;
	} else {
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = chip;
		e->u.irqchip.pin = pin;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irq_routing_commit(struct irq_routing *r)
{
	int ret;

	pthread_mutex_lock(&r->lock);
	ret = install(r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irq_routing_alloc_gsi(struct irq_routing *r, uint32_t *gsi)
{
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	if (r->next_gsi >= IRQ_ROUTING_MAX_GSI)
		ret = -ENOSPC;
	else
		*gsi = r->next_gsi++;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int irq_routing_set_msi(struct irq_routing *r, uint32_t gsi, uint64_t addr,
			uint32_t data)
{
	struct kvm_irq_routing_entry *e = NULL, saved;
	bool added = false;
	int ret;

	pthread_mutex_lock(&r->lock);
	for (unsigned int i = 0; i < r->nr; i++) {
		if (r->e[i].gsi == gsi && r->e[i].type == KVM_IRQ_ROUTING_MSI) {
			e = &r->e[i];
			break;
		}
	}
	if (!e) {
		e = grow(r);
		if (!e) {
			pthread_mutex_unlock(&r->lock);
			return -ENOMEM;
		}
		added = true;
	}
	saved = *e;
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)addr;
	e->u.msi.address_hi = (uint32_t)(addr >> 32);
	e->u.msi.data = data;
	ret = install(r);
	if (ret) {
		/* Keep our copy equal to what KVM has. */
		if (added)
			r->nr--;
		else
			*e = saved;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}
