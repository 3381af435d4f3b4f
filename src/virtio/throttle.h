/* SPDX-License-Identifier: MIT */
/*
 * A device queue's rate limit (Firecracker's RateLimiter on drives,
 * network interfaces and the entropy device), with the timer that serves
 * the queue again: the one implementation virtio-blk, virtio-net and
 * virtio-rng share.
 *
 * A device asks throttle_take() before serving a request.  When the
 * buckets refuse, the request waits where it is (in the ring after
 * virtq_unpop, or in the TAP's kernel queue), `waiting` is set and a
 * timerfd on the event loop calls `fire` (device lock held) once they have
 * refilled: nothing is dropped and nothing spins.
 *
 * Threads: take, update and the timer run on the VMM thread with the
 * device lock held.  throttle_forget() may run on a vCPU thread (a reset),
 * which has no timer calls under seccomp: it only clears `waiting`, and a
 * timer still armed then finds nothing to do.  The timerfd is made at
 * creation whether or not a limit is on, so PATCH can turn one on later
 * without a syscall the VMM thread's filter may lack.
 */
#ifndef VMON_VIRTIO_THROTTLE_H
#define VMON_VIRTIO_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/metrics.h"
#include "lib/tbucket.h"

struct evloop;
struct virtio_dev;

struct throttle {
	struct rate_limiter limit;
	struct rate_limiter_config cfg;	/* as configured, for messages */
	bool on;		/* a bucket is on */
	bool waiting;		/* requests wait for the timer */
	int timer_fd;		/* -1: no loop, so no limit either */
	struct evloop *loop;
	struct virtio_dev *vd;	/* whose lock the timer takes */
	void (*fire)(void *opaque);
	void *opaque;
	struct counter throttled;	/* times a request had to wait */
};

/*
 * Set t up: limit NULL or all off is no limit.  loop NULL: no timer, and
 * a limit is refused (-EINVAL).  0 or -errno.
 */
int throttle_init(struct throttle *t, const struct rate_limiter_config *limit,
		  struct evloop *loop, struct virtio_dev *vd,
		  void (*fire)(void *opaque), void *opaque);
void throttle_destroy(struct throttle *t);

/*
 * A request of `bytes` bytes and one operation: true when it may go now
 * (charged); false when it must wait (nothing charged, the timer armed).
 * Always true while waiting is false and no limit is on.
 */
bool throttle_take(struct throttle *t, uint64_t bytes);
/*
 * Charge `bytes` that were already used (a received frame whose length
 * was known only after the read): what the bucket lacks becomes debt.
 */
void throttle_charge(struct throttle *t, uint64_t bytes);
/* Undo a throttle_take(t, bytes) that served nothing. */
void throttle_give_back(struct throttle *t, uint64_t bytes);

/*
 * A run-time change (PATCH): the buckets the patch names are replaced by
 * full ones of the new configuration (off when it is off), the others
 * stay.  What waited is served again at once under the new limit.  VMM
 * thread, device lock held.  0, or -EINVAL with a limit and no loop.
 */
int throttle_update(struct throttle *t, const struct rate_limiter_patch *p);

/*
 * For a device's metrics sample function: the waits so far as counter i
 * of g (Firecracker's *_rate_limiter_throttled*).
 */
static inline void throttle_sample(const struct throttle *t,
				   struct metrics_group *g, unsigned int i)
{
	metrics_store(g, i, counter_get(&t->throttled));
}

/* A reset (any thread): forget the wait. */
static inline void throttle_forget(struct throttle *t)
{
	t->waiting = false;
}

#endif
