// SPDX-License-Identifier: MIT
/*
 * virtio-blk's rate limit (Firecracker's Drive.rate_limiter): what a
 * request costs, the timer's way back into the queue, and run-time
 * changes.  See blk.h and throttle.h.
 */
#include "virtio/blk.h"

#include <errno.h>
#include <string.h>

#include "lib/err.h"

/* The timer (device lock held): serve the queue as a notification would. */
static void fire(void *opaque)
{
	struct virtio_blk *b = opaque;

	virtio_queue_kick(&b->vd, 0);
}

int blk_limit_init(struct virtio_blk *b, const struct rate_limiter_config *c,
		   char *err, size_t errlen)
{
	int ret = throttle_init(&b->limit, c, b->loop, &b->vd, fire, b);

	if (ret)
		return err_say(err, errlen, ret, "disk %s: rate limiter: %s",
			       b->path, ret == -EINVAL ? "no event loop" :
			       strerror(-ret));
	return 0;
}

/*
 * Firecracker charges a read or write its data length and every request
 * one operation; flush and GET_ID move no data.  Discard and write-zeroes
 * (which Firecracker lacks) move none through the guest's buffers either.
 */
bool blk_limit_take(struct virtio_blk *b, const struct blk_req *r)
{
	uint64_t bytes = r->op == BLK_OP_READ || r->op == BLK_OP_WRITE ?
			 r->len : 0;

	return throttle_take(&b->limit, bytes);
}

int virtio_blk_set_limit(struct virtio_blk *b,
			 const struct rate_limiter_patch *p, char *err,
			 size_t errlen)
{
	int ret;

	virtio_lock(&b->vd);
	ret = throttle_update(&b->limit, p);
	virtio_unlock(&b->vd);
	if (ret)
		return err_say(err, errlen, ret, "%s: no event loop for a "
			       "rate limiter", b->vd.label);
	log_info("%s: rate limiter changed", b->vd.label);
	return 0;
}
