/* SPDX-License-Identifier: MIT */
/*
 * The compute benchmark's loop, shared by the guest program and host
 * benchmarks so both run the identical code: xorshift64 (Marsaglia 2003)
 * with a running sum.  Each step depends on the previous one, so the
 * compiler can neither vectorise nor shorten it.  No libc needed.
 */
#ifndef COMPUTE_KERNEL_H
#define COMPUTE_KERNEL_H

#include <stdint.h>

static inline uint64_t compute_kernel(uint64_t iters)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, sum = 0;

	for (uint64_t i = 0; i < iters; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		sum += x;
	}
	return sum ^ x;
}

#endif
