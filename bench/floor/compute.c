/* SPDX-License-Identifier: MIT */
/*
 * floor-compute: the guest-compute floor.  The test guest's compute loop
 * (guest/programs/compute_kernel.h, the same header) run natively on the
 * host for "iters=N" (default 100000000) iterations, timed with the TSC
 * as the guest times it.  Prints the guest's two lines,
 * "compute: iters=N result=0x..." and "compute: cycles=C", and
 * "compute: ns=T", the same interval on CLOCK_MONOTONIC (the benchmark
 * derives the TSC rate from it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "compute_kernel.h"

/* Not inlined into main, like the guest's run(): the loop is compiled on
 * its own, with the iteration count unknown at compile time. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static __attribute__((noinline)) uint64_t run(uint64_t iters, uint64_t *cycles, uint64_t *ns)
{
	uint64_t n0 = now_ns(), t0 = __rdtsc();
	uint64_t r = compute_kernel(iters);

	*cycles = __rdtsc() - t0;
	*ns = now_ns() - n0;
	return r;
}

int main(int argc, char **argv)
{
	uint64_t iters = 100000000, cycles, ns;

	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "iters=", 6) == 0)
			iters = strtoull(argv[i] + 6, NULL, 0);
	uint64_t result = run(iters, &cycles, &ns);
	printf("compute: iters=%llu result=0x%016llx\n", (unsigned long long)iters,
	       (unsigned long long)result);
	printf("compute: cycles=%llu\n", (unsigned long long)cycles);
	printf("compute: ns=%llu\n", (unsigned long long)ns);
	return 0;
}
