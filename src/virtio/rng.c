// SPDX-License-Identifier: MIT
#include "virtio/rng.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/random.h>

#include "lib/log.h"
#include "lib/snapfile.h"
#include "lib/util.h"

#define PCI_CLASS_OTHER		0x00ff00	/* 5.4: no better class */

static const char *const counter_names[RNG_M_NR] = {
	[RNG_M_REQUESTS] = "entropy_event_count",
	[RNG_M_BYTES] = "entropy_bytes",
	[RNG_M_HOST_FAILS] = "host_rng_fails",
	[RNG_M_THROTTLED] = "entropy_rate_limiter_throttled",
};

static struct virtio_rng *to_rng(struct virtio_dev *vd)
{
	return container_of(vd, struct virtio_rng, vd);
}

/* Fill up to `want` bytes of the chain's writable buffers. */
static uint32_t fill(const struct virtq_chain *c, uint32_t want)
{
	uint32_t done = 0;

	for (unsigned int i = c->nr_out; i < (unsigned int)c->nr_out + c->nr_in &&
	     done < want; i++) {
		uint8_t *p = c->iov[i].iov_base;
		size_t n = c->iov[i].iov_len;

		if (n > want - done)
			n = want - done;
		while (n) {
			ssize_t r = getrandom(p, n, 0);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				return done;	/* cannot happen after boot */
			}
			p += r;
			n -= (size_t)r;
			done += (uint32_t)r;
		}
	}
	return done;
}

static void rng_notify(struct virtio_dev *vd, struct virtq *vq)
{
	struct virtio_rng *rng = to_rng(vd);
	struct virtq_chain c;
	unsigned int served = 0;
	int r;

	/* The throttle's timer serves the queue when the buckets allow. */
	if (rng->limit.waiting)
		return;
	virtq_chain_init(&c, rng->iov, RNG_QUEUE_SIZE);
	while (served < RNG_BATCH && (r = virtq_pop(vq, &c)) > 0) {
		uint32_t want, n;

		if (c.nr_out) {
			virtio_fail(vd, "request %u has %u device-readable "
				    "buffers; entropy requests are write-only",
				    c.head, c.nr_out);
			return;
		}
		want = c.in_bytes < RNG_MAX_REQUEST ? c.in_bytes :
						      RNG_MAX_REQUEST;
		/* Entropy bytes are the bandwidth, a request one op. */
		if (!throttle_take(&rng->limit, want)) {
			virtq_unpop(vq);	/* waits in the ring, untouched */
			break;
		}
		n = fill(&c, want);
		if (n < want)
			metrics_inc(&rng->metrics, RNG_M_HOST_FAILS);
		metrics_add(&rng->metrics, RNG_M_BYTES, n);
		metrics_inc(&rng->metrics, RNG_M_REQUESTS);
		virtq_push(vq, c.head, n);
		served++;
	}
	if (served)
		virtio_queue_interrupt(vd, vq);
	if (served == RNG_BATCH)
		virtio_queue_kick(vd, vq->index);	/* more may wait */
}

/* The throttle's timer (device lock held): serve what waited. */
static void rng_fire(void *opaque)
{
	struct virtio_rng *rng = opaque;

	virtio_queue_kick(&rng->vd, 0);
}

/*
 * Status 0, perhaps on a vCPU thread: what waited is gone with the queue
 * (throttle_forget).  The buckets keep their state: a reset does not
 * refill them.
 */
static void rng_reset(struct virtio_dev *vd)
{
	throttle_forget(&to_rng(vd)->limit);
}

static void rng_destroy(struct virtio_dev *vd)
{
	struct virtio_rng *rng = to_rng(vd);

	throttle_destroy(&rng->limit);
	log_info("virtio-rng: %llu bytes in %llu requests, throttled %llu times",
		 (unsigned long long)metrics_get(&rng->metrics, RNG_M_BYTES),
		 (unsigned long long)metrics_get(&rng->metrics, RNG_M_REQUESTS),
		 (unsigned long long)counter_get(&rng->limit.throttled));
	if (rng->registry)
		metrics_unregister(rng->registry, &rng->metrics);
	free(rng);
}

/*
 * Snapshot: nothing of its own.  A request the limiter held back was put
 * back in the ring (virtq_unpop), so after restore it is served again
 * from its descriptors, never used; the wait is forgotten, the timer of
 * the old process being gone, and the new device's buckets start full.
 */
static int rng_save(struct virtio_dev *vd, struct snap_enc *enc)
{
	return enc->err;
}

static int rng_restore(struct virtio_dev *vd, struct snap_dec *d)
{
	if (snap_dec_end(d))
		return d->err;
	throttle_forget(&to_rng(vd)->limit);
	return 0;
}

/* Before a flush: the throttle keeps its own count. */
static void rng_sample(struct metrics_group *g, void *opaque)
{
	throttle_sample(&((struct virtio_rng *)opaque)->limit, g,
			RNG_M_THROTTLED);
}

static const struct virtio_dev_ops rng_ops = {
	.queue_notify = rng_notify,
	.reset = rng_reset,
	.destroy = rng_destroy,
	.save = rng_save,
	.restore = rng_restore,
};

int virtio_rng_new(const struct rate_limiter_config *limit, struct evloop *loop,
		   struct metrics *registry, struct virtio_rng **out)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	int ret;

	if (!rng)
		return -ENOMEM;
	rng->vd = (struct virtio_dev){
		.name = "virtio-rng",
		.type = VIRTIO_ID_ENTROPY,
		.pci_class = PCI_CLASS_OTHER,
		.num_queues = 1,
		.queue_max_size = RNG_QUEUE_SIZE,
		.ops = &rng_ops,
	};
	/* -EINVAL for a limit without a loop: no timer could serve it. */
	if ((ret = throttle_init(&rng->limit, limit, loop, &rng->vd, rng_fire,
				 rng))) {
		free(rng);
		return ret;
	}
	/* Firecracker's group: one entropy device, no id in the name. */
	metrics_group_init(&rng->metrics, "entropy", counter_names, RNG_M_NR);
	metrics_group_set_sample(&rng->metrics, rng_sample, rng);
	if (registry) {
		rng->registry = registry;
		metrics_register(registry, &rng->metrics);
	}
	*out = rng;
	return 0;
}
