/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng, the entropy device (VIRTIO 1.2, 5.4): one queue of
 * device-writable buffers, filled from getrandom(2).  No configuration,
 * no device features.  A request gets at most RNG_MAX_REQUEST bytes,
 * however large its buffers (guest-input rule 17), and a request with a
 * device-readable buffer fails the device (rule 8).
 *
 * With a rate limit (Firecracker's entropy `rate_limiter`: a request
 * costs one op and the entropy bytes it gets), a request the limiter does
 * not allow yet stays in the ring and the shared throttle's timer
 * (virtio/throttle.h) serves it when the buckets have refilled: the guest
 * waits, nothing is dropped and nothing spins.  Firecracker has no PATCH
 * of the entropy device, so the limit is fixed at creation.
 */
#ifndef VMON_VIRTIO_RNG_H
#define VMON_VIRTIO_RNG_H

#include <stdint.h>

#include "lib/metrics.h"
#include "lib/tbucket.h"
#include "virtio/throttle.h"
#include "virtio/virtio.h"

#define RNG_QUEUE_SIZE		256
#define RNG_MAX_REQUEST		(64u << 10)
/* Requests served per notification before yielding the VMM thread. */
#define RNG_BATCH		RNG_QUEUE_SIZE

struct evloop;

/* The metrics group "entropy", in Firecracker's names. */
enum rng_counter {
	RNG_M_REQUESTS,		/* entropy_event_count: requests served */
	RNG_M_BYTES,		/* entropy_bytes */
	RNG_M_HOST_FAILS,	/* host_rng_fails: getrandom gave less */
	RNG_M_THROTTLED,	/* entropy_rate_limiter_throttled (sampled) */
	RNG_M_NR,
};

struct virtio_rng {
	struct virtio_dev vd;
	struct throttle limit;
	struct metrics_group metrics;
	struct metrics *registry;	/* NULL: not registered */
	struct iovec iov[RNG_QUEUE_SIZE];
};

/*
 * A new device in *out, not on a transport yet (hand &rng->vd to one).
 * limit NULL or all off: no rate limit, and loop may be NULL; a limit
 * with no loop is refused (-EINVAL), never silently dropped.  registry
 * NULL: no metrics.  0 or -errno.
 */
int virtio_rng_new(const struct rate_limiter_config *limit, struct evloop *loop,
		   struct metrics *registry, struct virtio_rng **out);

#endif
