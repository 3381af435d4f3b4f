/* SPDX-License-Identifier: MIT */
/*
 * Counters, and a registry of named counter groups, flushed as one JSON
 * object per line (Firecracker's metrics format: each counter reports what
 * was added since the previous flush).  A device embeds a struct
 * metrics_group, registers it with its VM's registry and bumps counters
 * from any thread; the registry itself (register, unregister, flush) is
 * the VMM thread's.
 *
 *	metrics_group_init(&dev->metrics, "block_rootfs",
 *			   metrics_device_names, METRIC_DEV_NR);
 *	metrics_register(&vm->metrics, &dev->metrics);
 *	metrics_add(&dev->metrics, METRIC_DEV_BYTES, len);
 */
#ifndef VMON_LIB_METRICS_H
#define VMON_LIB_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_COUNTERS	32

/*
 * One count, the only type vmon keeps counts in.  Counts are bumped on
 * whichever thread sees the event (a vCPU in a register access, the VMM
 * thread in device work, the API thread) and read on another (a flush, a
 * log line at teardown), so every access is a relaxed atomic: an add never
 * loses a concurrent one, a read sees a whole value (perhaps a moment
 * old), and nothing orders or waits.  A struct, not a bare _Atomic, so
 * that `++` and plain reads do not compile.
 */
struct counter {
	_Atomic uint64_t v;
};

static inline void counter_add(struct counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

static inline void counter_inc(struct counter *c)
{
	counter_add(c, 1);
}

static inline uint64_t counter_get(const struct counter *c)
{
	return atomic_load_explicit(&c->v, memory_order_relaxed);
}

/* Only for a total kept elsewhere (sample functions) or a reset. */
static inline void counter_set(struct counter *c, uint64_t v)
{
	atomic_store_explicit(&c->v, v, memory_order_relaxed);
}
#define METRICS_NAME_MAX	64

struct metrics_group;

/* Refreshes val[] from state the owner keeps elsewhere, before a flush. */
typedef void (*metrics_sample_fn)(struct metrics_group *g, void *opaque);

struct metrics_group {
	char name[METRICS_NAME_MAX];
	unsigned int nr;
	const char *const *names;	/* nr counter names, static storage */
	struct counter val[METRICS_MAX_COUNTERS];	/* running totals */
	uint64_t last[METRICS_MAX_COUNTERS];	/* totals at the last flush */
	metrics_sample_fn sample;
	void *opaque;
	struct metrics_group *next;
};

/* A zeroed struct metrics is an empty registry. */
struct metrics {
	struct metrics_group *head;
};

/* The counters every device keeps (guest-input.md: count, do not log). */
enum metrics_device_counter {
	METRIC_DEV_REQUESTS,	/* requests or notifications served */
	METRIC_DEV_BYTES,	/* payload bytes moved */
	METRIC_DEV_ERRORS,	/* host-side failures (I/O errors, ...) */
	METRIC_DEV_BAD_INPUT,	/* guest broke a rule (guest-input.md) */
	METRIC_DEV_NR,
};
extern const char *const metrics_device_names[METRIC_DEV_NR];

/*
 * name: letters, digits and '_' (others become '_'), truncated to
 * METRICS_NAME_MAX - 1; nr is capped at METRICS_MAX_COUNTERS.
 */
void metrics_group_init(struct metrics_group *g, const char *name,
			const char *const *names, unsigned int nr);
void metrics_group_set_sample(struct metrics_group *g, metrics_sample_fn fn,
			      void *opaque);

static inline void metrics_add(struct metrics_group *g, unsigned int i,
			       uint64_t n)
{
	counter_add(&g->val[i], n);
}

static inline void metrics_inc(struct metrics_group *g, unsigned int i)
{
	metrics_add(g, i, 1);
}

/* Counter i's running total (not the delta a flush reports). */
static inline uint64_t metrics_get(const struct metrics_group *g, unsigned int i)
{
	return counter_get(&g->val[i]);
}

/* For sample functions: the running total is v. */
static inline void metrics_store(struct metrics_group *g, unsigned int i,
				 uint64_t v)
{
	counter_set(&g->val[i], v);
}

void metrics_register(struct metrics *m, struct metrics_group *g);
void metrics_unregister(struct metrics *m, struct metrics_group *g);
struct metrics_group *metrics_find(struct metrics *m, const char *name);

/*
 * Build one flush: {"utc_timestamp_ms":T,<prefix members>"group":{...},...}
 * over every registry in regs (NULL entries skipped), counters as deltas
 * since the previous flush, which this one becomes.  extra, when not
 * NULL, is inserted verbatim after the timestamp (e.g. "\"id\":\"x\",").
 * Returns a malloc'd line ending in '\n' (*len bytes) or NULL.
 */
char *metrics_flush_json(struct metrics *const *regs, unsigned int nregs,
			 const char *extra, size_t *len);

#endif
