/* SPDX-License-Identifier: MIT */
/*
 * Starting application processors: INIT, INIT de-assert, SIPI, SIPI
 * through the x2APIC ICR (Intel SDM vol. 3 9.4.4.1, the MP initialization
 * example), then each AP runs the callback given to smp_start().
 */
#include "apic.h"
#include "guest.h"
#include "internal.h"
#include "layout.h"
#include "smp.h"

extern const char ap_trampoline[], ap_trampoline_end[];

static smp_ap_fn_t ap_callback;

void ap_main(uint32_t slot)
{
	cpu_load_idt();
	uint32_t id = x2apic_enable() ? lapic_id() : cpuid(1, 0).ebx >> 24;
	if (ap_callback)
		ap_callback(slot, id);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void smp_start(const uint32_t *apic_ids, unsigned n, smp_ap_fn_t fn)
{
	uint32_t self = lapic_id();

	ap_callback = fn;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	memcpy((void *)AP_TRAMPOLINE_ADDR, ap_trampoline,
	       (size_t)(ap_trampoline_end - ap_trampoline));

	for (unsigned i = 0; i < n; i++)
		if (apic_ids[i] != self)
			x2apic_send_ipi(apic_ids[i],
					ICR_INIT | ICR_LEVEL_ASSERT | ICR_TRIGGER_LEVEL);
	for (unsigned i = 0; i < n; i++)
		if (apic_ids[i] != self)
			x2apic_send_ipi(apic_ids[i], ICR_INIT | ICR_TRIGGER_LEVEL);
	tsc_delay_us(10000);
	for (int round = 0; round < 2; round++) {
		for (unsigned i = 0; i < n; i++)
			if (apic_ids[i] != self)
				x2apic_send_ipi(apic_ids[i], ICR_STARTUP |
						(AP_TRAMPOLINE_ADDR >> 12));
		tsc_delay_us(200);
	}
}
