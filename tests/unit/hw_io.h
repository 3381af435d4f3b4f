/* SPDX-License-Identifier: MIT */
/* One-byte accesses through a device's bus handler, as a vCPU makes them. */
#ifndef VMON_TESTS_UNIT_HW_IO_H
#define VMON_TESTS_UNIT_HW_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "core/bus.h"

static inline uint8_t rd(bus_io_fn fn, void *dev, uint64_t off)
{
	uint8_t v = 0;

	fn(dev, off, &v, 1, false);
	return v;
}

static inline void wr(bus_io_fn fn, void *dev, uint64_t off, uint8_t v)
{
	fn(dev, off, &v, 1, true);
}

#endif
