// SPDX-License-Identifier: MIT
#include "core/bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int bus_init(struct bus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->name = name;
	return -pthread_rwlock_init(&bus->lock, NULL);
}

void bus_destroy(struct bus *bus)
{
	pthread_rwlock_destroy(&bus->lock);
	free(bus->range);
	bus->range = NULL;
	bus->nr = bus->cap = 0;
}

/* Index of the first range whose end is above addr (binary search). */
static unsigned int lower_bound(const struct bus *bus, uint64_t addr)
{
	unsigned int lo = 0, hi = bus->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct bus_range *r = &bus->range[mid];

		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_io_fn fn,
		 void *opaque, const char *name)
{
	uint64_t end;
	unsigned int i;
	int ret = 0;

	if (len == 0 || !fn || __builtin_add_overflow(base, len, &end))
		return -EINVAL;

	pthread_rwlock_wrlock(&bus->lock);
	i = lower_bound(bus, base);
	if (i < bus->nr && bus->range[i].base < end) {
		ret = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		unsigned int cap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *r = realloc(bus->range, cap * sizeof(*r));

		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		bus->range = r;
		bus->cap = cap;
	}
	memmove(&bus->range[i + 1], &bus->range[i],
		(bus->nr - i) * sizeof(bus->range[0]));
	bus->range[i] = (struct bus_range){ base, len, fn, opaque, name };
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	unsigned int i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	i = lower_bound(bus, base);
	if (i < bus->nr && bus->range[i].base == base) {
		memmove(&bus->range[i], &bus->range[i + 1],
			(bus->nr - i - 1) * sizeof(bus->range[0]));
		bus->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

const struct bus_range *bus_find(struct bus *bus, uint64_t addr)
{
	const struct bus_range *found = NULL;
	unsigned int i;

	pthread_rwlock_rdlock(&bus->lock);
	i = lower_bound(bus, addr);
	if (i < bus->nr && bus->range[i].base <= addr)
		found = &bus->range[i];
	pthread_rwlock_unlock(&bus->lock);
	return found;
}

int bus_dispatch(struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		 bool is_write, uint8_t fill)
{
	struct bus_range r;
	uint64_t off, room;
	unsigned int i;

	pthread_rwlock_rdlock(&bus->lock);
	i = lower_bound(bus, addr);
	if (i >= bus->nr || bus->range[i].base > addr) {
		pthread_rwlock_unlock(&bus->lock);
		goto unhandled;
	}
	r = bus->range[i];	/* copy: handlers run without the lock */
	pthread_rwlock_unlock(&bus->lock);

	off = addr - r.base;
	room = r.len - off;
	if (room < len) {
		/* Straddles the end: the device sees only its own bytes. */
		if (!is_write)
			memset(data + room, fill, len - room);
		len = (uint32_t)room;
	}
	r.fn(r.opaque, off, data, len, is_write);
	return 0;

unhandled:
	if (!is_write)
		memset(data, fill, len);
	counter_inc(&bus->unhandled);
	log_ratelimited(&bus->unhandled_rl, LOG_DEBUG,
			"%s: %s of %u bytes at 0x%llx hits no device",
			bus->name, is_write ? "write" : "read", len,
			(unsigned long long)addr);
	return -ENOENT;
}
