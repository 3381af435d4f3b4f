/* SPDX-License-Identifier: MIT */
/*
 * compute: runs compute_kernel() for "iters=N" (default 100000000)
 * iterations at CPL3, where PVM-style hosts run guest code natively, and
 * reports the result and the TSC cycles taken.
 */
#include "compute_kernel.h"
#include "guest.h"

struct job {
	uint64_t iters, result, cycles;
};

static long run(void *arg)
{
	struct job *j = arg;
	uint64_t t0 = rdtsc();

	j->result = compute_kernel(j->iters);
	j->cycles = rdtsc() - t0;
	return 0;
}

int main(void)
{
	struct job j = { .iters = cmdline_u64("iters", 100000000) };

	run_user(run, &j);
	printf("compute: iters=%lu result=0x%016lx\n", j.iters, j.result);
	printf("compute: cycles=%lu\n", j.cycles);
	return GUEST_EXIT_OK;
}
