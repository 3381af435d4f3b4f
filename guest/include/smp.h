/* SPDX-License-Identifier: MIT */
#ifndef GUEST_SMP_H
#define GUEST_SMP_H

#include <stdint.h>

/* Runs on each AP at CPL0 in long mode, on its own 8 KiB stack, with the
 * shared IDT loaded and x2APIC enabled; slot counts APs in arrival order.
 * When it returns the AP halts with interrupts off. */
typedef void (*smp_ap_fn_t)(uint32_t slot, uint32_t apic_id);

/* Start every CPU in apic_ids except the caller (x2APIC must be on). */
void smp_start(const uint32_t *apic_ids, unsigned n, smp_ap_fn_t fn);

#endif
