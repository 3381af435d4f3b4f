/* SPDX-License-Identifier: MIT */
/*
 * TSC frequency and delays: from CPUID when it says, else measured
 * against the 8254 PIT's channel 0 (read back with latch commands, which
 * needs no gate or speaker port; QEMU microvm has no port 0x61), else a
 * 3 GHz guess.
 */
#include "guest.h"

#define PIT_HZ		1193182u
#define CAL_CLOCKS	(PIT_HZ / 20)	/* 50 ms */

static uint16_t pit0_read(void)
{
	outb(0x43, 0x00);			/* latch channel 0 */
	uint8_t lo = inb(0x40);
	return (uint16_t)(lo | inb(0x40) << 8);
}

/* Channel 0 free-running (mode 2, reload 65536 = 55 ms); sum its
 * down-counting until CAL_CLOCKS have passed.  Polls are microseconds
 * apart, so no wrap is missed.  Port I/O only: CPL0 or CPL3. */
static long pit_calibrate(void *arg)
{
	outb(0x43, 0x34);			/* ch0, lo/hi, mode 2, binary */
	outb(0x40, 0);
	outb(0x40, 0);
	uint16_t prev = pit0_read(), cur;
	uint64_t t0 = rdtsc(), t = t0, clocks = 0;

	/* Bounded by TSC in case the PIT does not count. */
	while (clocks < CAL_CLOCKS && (t = rdtsc()) - t0 < 20000000000ull) {
		cur = pit0_read();
		clocks += (uint16_t)(prev - cur);
		prev = cur;
	}
	if (clocks < CAL_CLOCKS)
		return 0;
	uint64_t khz = (t - t0) * (PIT_HZ / 1000) / clocks;
	return khz >= 100000 && khz < 20000000 ? (long)khz : 0;
}

/* Note: without CPUID frequency leaves the first call reprograms PIT
 * channel 0; call it before setting the PIT up for anything else. */
uint64_t tsc_khz(void)
{
	static uint64_t khz;
	struct cpuid_regs r;

	if (khz)
		return khz;
	/* Hypervisor timing leaf (KVM, VMware): EAX = TSC kHz. */
	bool hv = cpuid(1, 0).ecx & (1u << 31);
	r = cpuid(0x40000000, 0);
	if (hv && r.eax >= 0x40000010 && (r = cpuid(0x40000010, 0)).eax)
		return khz = r.eax;
	unsigned max = cpuid(0, 0).eax;
	/* Leaf 0x15: TSC = crystal (ECX Hz) * EBX / EAX. */
	if (max >= 0x15 && (r = cpuid(0x15, 0)).eax && r.ebx && r.ecx)
		return khz = (uint64_t)r.ecx * r.ebx / r.eax / 1000;
	/* Leaf 0x16: base frequency in MHz. */
	if (max >= 0x16 && (r = cpuid(0x16, 0)).eax)
		return khz = (uint64_t)r.eax * 1000;
	long m = cpu_cpl() == 0 ? run_user(pit_calibrate, NULL) : pit_calibrate(NULL);
	return khz = m ? (uint64_t)m : 3000000;
}

static long spin_until(void *arg)
{
	uint64_t end = *(uint64_t *)arg;

	while ((int64_t)(rdtsc() - end) < 0)
		cpu_pause();
	return 0;
}

void tsc_delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us * tsc_khz() / 1000;

	if (cpu_cpl() == 0)
		run_user(spin_until, &end);	/* CPL0 loops may be emulated */
	else
		spin_until(&end);
}
