/* SPDX-License-Identifier: MIT */
/*
 * smp: starts every CPU the MADT lists through the x2APIC ICR (INIT,
 * SIPI, SIPI) and counts those that reach long mode.  Each AP prints
 * "cpu N online" (N = its APIC ID).  Exit 0 if all M came up.
 */
#include "acpi.h"
#include "apic.h"
#include "guest.h"
#include "smp.h"

static volatile uint32_t online;

/* Print first, count second: the BSP prints its summary and exits as
 * soon as the count is complete, and must not cut an AP's line short. */
static void ap_online(uint32_t slot, uint32_t apic_id)
{
	printf("cpu %u online\n", apic_id);
	__atomic_fetch_add(&online, 1, __ATOMIC_SEQ_CST);
}

struct wait_arg {
	uint32_t want;
	uint64_t deadline;
};

/* CPL3: spinning at CPL0 would be emulated on some hosts. */
static long wait_for_aps(void *p)
{
	struct wait_arg *w = p;

	while (__atomic_load_n(&online, __ATOMIC_SEQ_CST) < w->want &&
	       (int64_t)(rdtsc() - w->deadline) < 0)
		cpu_pause();
	return 0;
}

int main(void)
{
	const struct madt_info *m = acpi_madt();

	if (!m || !m->ncpus) {
		printf("smp: FAIL no MADT / no CPUs listed\n");
		return GUEST_EXIT_FAIL;
	}
	if (!x2apic_enable()) {
		printf("smp: FAIL no x2APIC\n");
		return GUEST_EXIT_FAIL;
	}
	printf("smp: madt lists %u cpus, bsp apic id %u\n", m->ncpus, lapic_id());
	online = 1;
	printf("cpu %u online\n", lapic_id());

	uint64_t timeout_s = cmdline_u64("timeout", 5);
	smp_start(m->apic_ids, m->ncpus, ap_online);
	struct wait_arg w = { m->ncpus, rdtsc() + timeout_s * tsc_khz() * 1000 };
	run_user(wait_for_aps, &w);

	uint32_t n = __atomic_load_n(&online, __ATOMIC_SEQ_CST);
	printf("smp: %u of %u cpus online\n", n, m->ncpus);
	return n == m->ncpus ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
}
