/* SPDX-License-Identifier: MIT */
/*
 * One bus type serves port I/O and MMIO.  Ranges are kept sorted; an
 * insert that overlaps an existing range or has zero length is refused.
 * An access that hits no range is not fatal: the caller returns all ones
 * (port I/O) or zeros (MMIO) to the guest, and the bus counts it.
 */
#ifndef VMON_CORE_BUS_H
#define VMON_CORE_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/log.h"
#include "lib/metrics.h"

/*
 * Called with the offset from the range's base.  For reads the handler
 * fills data[0..len); for writes it consumes it.  Little-endian, len 1-8.
 */
typedef void (*bus_io_fn)(void *opaque, uint64_t offset, uint8_t *data,
			  uint32_t len, bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_io_fn fn;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name;		/* "pio" or "mmio", for messages */
	pthread_rwlock_t lock;		/* writers: register / unregister */
	struct bus_range *range;
	unsigned int nr, cap;
	struct counter unhandled;	/* accesses that hit nothing */
	struct ratelimit unhandled_rl;
};

int bus_init(struct bus *bus, const char *name);
void bus_destroy(struct bus *bus);

/* 0, -EINVAL (zero length or wraps), -EEXIST (overlap), -ENOMEM. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_io_fn fn,
		 void *opaque, const char *name);
/* 0 or -ENOENT when no range starts exactly at base. */
int bus_unregister(struct bus *bus, uint64_t base);

/*
 * Route one access.  Returns 0 when a device handled it, -ENOENT when
 * nothing is there (data is then filled with `fill` for reads).  An access
 * that starts inside a range but runs past its end is clipped: the bytes
 * past the end read as `fill` and are dropped on write.
 */
int bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		 bool is_write, uint8_t fill);

/* The range containing addr, or NULL (for tests and diagnostics). */
const struct bus_range *bus_find(struct bus *bus, uint64_t addr);

#endif
