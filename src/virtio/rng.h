/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng, the entropy device (VIRTIO 1.2, 5.4): one queue of
 * device-writable buffers, filled from getrandom(2).  No configuration,
 * no device features.  A request gets at most RNG_MAX_REQUEST bytes,
 * however large its buffers (guest-input rule 17), and a request with a
 * device-readable buffer fails the device (rule 8).
 */
#ifndef VMON_VIRTIO_RNG_H
#define VMON_VIRTIO_RNG_H

#include <stdint.h>

#include "virtio/virtio.h"

#define RNG_QUEUE_SIZE		256
#define RNG_MAX_REQUEST		(64u << 10)
/* Requests served per notification before yielding the VMM thread. */
#define RNG_BATCH		RNG_QUEUE_SIZE

struct virtio_rng {
	struct virtio_dev vd;
	struct counter bytes, requests;
	struct iovec iov[RNG_QUEUE_SIZE];
};

/* A new, unregistered device (hand &rng->vd to a transport) or NULL. */
struct virtio_rng *virtio_rng_new(void);

#endif
