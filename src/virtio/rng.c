// SPDX-License-Identifier: MIT
#include "virtio/rng.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/evloop.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/snapfile.h"
#include "lib/util.h"

#define PCI_CLASS_OTHER		0x00ff00	/* 5.4: no better class */

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

/* Serve the queue again in ns nanoseconds (the limiter said wait). */
static void throttle(struct virtio_rng *rng, uint64_t ns)
{
	struct itimerspec its = { 0 };

	counter_inc(&rng->throttled);
	if (ns < 1000)
		ns = 1000;
	its.it_value.tv_sec = (time_t)(ns / 1000000000ULL);
	its.it_value.tv_nsec = (long)(ns % 1000000000ULL);
	if (timerfd_settime(rng->timer_fd, 0, &its, NULL) < 0) {
		/* Cannot happen with a valid fd; serve rather than stall. */
		log_warn("virtio-rng: throttle timer: %m; serving unthrottled");
		rng->limited = false;
		virtio_queue_kick(&rng->vd, 0);
		return;
	}
	rng->waiting = true;
}

static void rng_notify(struct virtio_dev *vd, struct virtq *vq)
{
	struct virtio_rng *rng = to_rng(vd);
	struct virtq_chain c;
	unsigned int served = 0;
	int r;

	/* The timer serves the queue when the buckets allow it again. */
	if (rng->waiting)
		return;
	virtq_chain_init(&c, rng->iov, RNG_QUEUE_SIZE);
	while (served < RNG_BATCH && (r = virtq_pop(vq, &c)) > 0) {
		uint32_t want, n;
		uint64_t now;

		if (c.nr_out) {
			virtio_fail(vd, "request %u has %u device-readable "
				    "buffers; entropy requests are write-only",
				    c.head, c.nr_out);
			return;
		}
		want = c.in_bytes < RNG_MAX_REQUEST ? c.in_bytes :
						      RNG_MAX_REQUEST;
		if (rng->limited && !rate_limiter_take(&rng->limit, want,
						       now = clock_mono_ns())) {
			virtq_unpop(vq);
			throttle(rng,
				 rate_limiter_wait_ns(&rng->limit, want, now));
			break;
		}
		n = fill(&c, want);
		counter_add(&rng->bytes, n);
		counter_inc(&rng->requests);
		virtq_push(vq, c.head, n);
		served++;
	}
	if (served)
		virtio_queue_interrupt(vd, vq);
	if (served == RNG_BATCH)
		virtio_queue_kick(vd, vq->index);	/* more may wait */
}

/* The throttle timer, on the VMM thread: serve what waited. */
static void on_timer(void *opaque, uint32_t events)
{
	struct virtio_rng *rng = opaque;
	uint64_t n;

	if (read(rng->timer_fd, &n, sizeof(n)) < 0)
		return;	/* EAGAIN: disarmed meanwhile */
	virtio_lock(&rng->vd);
	if (rng->waiting) {
		rng->waiting = false;
		virtio_queue_kick(&rng->vd, 0);
	}
	virtio_unlock(&rng->vd);
}

/*
 * Status 0, perhaps on a vCPU thread, which has no timer calls: what
 * waited is gone with the queue, and a timer still armed finds nothing to
 * do.  The buckets keep their state: a reset does not refill them.
 */
static void rng_reset(struct virtio_dev *vd)
{
	to_rng(vd)->waiting = false;
}

static void rng_destroy(struct virtio_dev *vd)
{
	struct virtio_rng *rng = to_rng(vd);

	if (rng->timer_fd >= 0) {
		evloop_del(rng->loop, rng->timer_fd);
		close(rng->timer_fd);
	}
	log_info("virtio-rng: %llu bytes in %llu requests, throttled %llu times",
		 (unsigned long long)counter_get(&rng->bytes),
		 (unsigned long long)counter_get(&rng->requests),
		 (unsigned long long)counter_get(&rng->throttled));
	free(rng);
}

/*
 * Snapshot: nothing of its own.  A request the limiter held back was put
 * back in the ring (virtq_unpop), so after restore it is served again
 * from its descriptors, never used; `waiting` starts cleared, the timer
 * of the old process being gone.
 */
static int rng_save(struct virtio_dev *vd, struct snap_enc *enc)
{
	return enc->err;
}

static int rng_restore(struct virtio_dev *vd, struct snap_dec *d)
{
	if (snap_dec_end(d))
		return d->err;
	to_rng(vd)->waiting = false;
	return 0;
}

static const struct virtio_dev_ops rng_ops = {
	.queue_notify = rng_notify,
	.reset = rng_reset,
	.destroy = rng_destroy,
	.save = rng_save,
	.restore = rng_restore,
};

struct virtio_rng *virtio_rng_new(const struct rate_limiter_config *limit,
				  struct evloop *loop)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		return NULL;
	rng->vd = (struct virtio_dev){
		.name = "virtio-rng",
		.type = VIRTIO_ID_ENTROPY,
		.pci_class = PCI_CLASS_OTHER,
		.num_queues = 1,
		.queue_max_size = RNG_QUEUE_SIZE,
		.ops = &rng_ops,
	};
	rng->timer_fd = -1;
	if (!limit || !loop)
		return rng;
	rate_limiter_init(&rng->limit, limit, clock_mono_ns());
	if (!rate_limiter_on(&rng->limit))
		return rng;
	rng->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				       TFD_NONBLOCK | TFD_CLOEXEC);
	if (rng->timer_fd < 0 ||
	    evloop_add(loop, rng->timer_fd, EPOLLIN, on_timer, rng)) {
		if (rng->timer_fd >= 0)
			close(rng->timer_fd);
		free(rng);
		return NULL;
	}
	rng->loop = loop;
	rng->limited = true;
	return rng;
}
