/* SPDX-License-Identifier: MIT */
/*
 * ioloop: the exit-cost benchmark.  At CPL3, "n=N" (default 1000000)
 * OUT instructions to port 0x80 ("port=P" to change it), or with
 * "mmio=1" 32-bit stores to an unbacked address in the MMIO hole
 * ("addr=A", default 0xd0000000).  Each one is a VM exit.  "cpl=0" runs
 * the loop at CPL0 instead: on PVM hosts an exit taken from CPL3 costs
 * several times one from CPL0, while the loop's own instructions are
 * negligible either way.
 */
#include "guest.h"

struct job {
	uint64_t n, cycles;
	uint16_t port;
	volatile uint32_t *mmio;
};

static long run(void *arg)
{
	struct job *j = arg;
	uint64_t t0 = rdtsc();

	if (j->mmio)
		for (uint64_t i = 0; i < j->n; i++)
			*j->mmio = (uint32_t)i;
	else
		for (uint64_t i = 0; i < j->n; i++)
			outb(j->port, (uint8_t)i);
	j->cycles = rdtsc() - t0;
	return 0;
}

int main(void)
{
	struct job j = {
		.n = cmdline_u64("n", 1000000),
		.port = (uint16_t)cmdline_u64("port", 0x80),
	};
	uint64_t addr = cmdline_u64("addr", 0xd0000000);
	unsigned cpl = cmdline_u64("cpl", 3) == 0 ? 0 : 3;

	if (cmdline_u64("mmio", 0)) {
		if (addr < 0xc0000000 || addr > 0xfffffffc) {
			printf("ioloop: FAIL addr=0x%lx is outside the 3-4 GiB hole\n", addr);
			return GUEST_EXIT_FAIL;
		}
		j.mmio = (volatile uint32_t *)(uintptr_t)addr;
		printf("ioloop: mode=mmio addr=0x%lx cpl=%u\n", addr, cpl);
	} else {
		printf("ioloop: mode=pio port=0x%x cpl=%u\n", j.port, cpl);
	}
	if (cpl == 0)
		run(&j);
	else
		run_user(run, &j);
	printf("ioloop: n=%lu cycles=%lu\n", j.n, j.cycles);
	if (j.n)
		printf("ioloop: cycles/op=%lu\n", j.cycles / j.n);
	return GUEST_EXIT_OK;
}
