/* SPDX-License-Identifier: MIT */
/* The monotonic clock in nanoseconds: timeouts, rate limits, PM timer. */
#ifndef VMON_LIB_CLOCK_H
#define VMON_LIB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_mono_ms(void)
{
	return clock_mono_ns() / 1000000;
}

#endif
