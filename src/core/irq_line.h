/* SPDX-License-Identifier: MIT */
/*
 * One interrupt line as a device sees it: set(level), nothing else.  The
 * board implements it over KVM_IRQ_LINE (kvm_gsi_line in core/kvm.h);
 * unit tests implement it with a recorder.  A device holds a copy and
 * never learns what is behind it, so no device needs the VM.
 *
 * Level-triggered: set(1) asserts, set(0) deasserts.  Devices call it on
 * their transitions only, from any thread, with their own lock held.
 */
#ifndef VMON_CORE_IRQ_LINE_H
#define VMON_CORE_IRQ_LINE_H

struct irq_line {
	void (*set)(void *opaque, unsigned int line, int level);
	void *opaque;
	unsigned int line;	/* the implementation's number (a GSI) */
};

/* A line that is not connected (set is NULL) drops every change. */
static inline void irq_line_set(const struct irq_line *l, int level)
{
	if (l->set)
		l->set(l->opaque, l->line, level);
}

#endif
