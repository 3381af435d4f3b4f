// SPDX-License-Identifier: MIT
#include "virtio/rng.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/random.h>

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

static void rng_notify(struct virtio_dev *vd, struct virtq *vq)
{
	struct virtio_rng *rng = to_rng(vd);
	struct virtq_chain c;
	unsigned int served = 0;
	int r;

	virtq_chain_init(&c, rng->iov, RNG_QUEUE_SIZE);
	while (served < RNG_BATCH && (r = virtq_pop(vq, &c)) > 0) {
		uint32_t n;

		if (c.nr_out) {
			virtio_fail(vd, "request %u has %u device-readable "
				    "buffers; entropy requests are write-only",
				    c.head, c.nr_out);
			return;
		}
		n = fill(&c, c.in_bytes < RNG_MAX_REQUEST ? c.in_bytes :
			 RNG_MAX_REQUEST);
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

static void rng_destroy(struct virtio_dev *vd)
{
	free(to_rng(vd));
}

static const struct virtio_dev_ops rng_ops = {
	.queue_notify = rng_notify,
	.destroy = rng_destroy,
};

struct virtio_rng *virtio_rng_new(void)
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
	return rng;
}
