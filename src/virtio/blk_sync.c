// SPDX-License-Identifier: MIT
/*
 * The synchronous virtio-blk backend: each operation runs to its end
 * inside submit (preadv2/pwritev2/fdatasync/fallocate) and reports at
 * once.  It blocks the VMM thread for the length of each operation, so
 * it is the fallback for hosts that refuse io_uring, and what unit tests
 * and the fuzz target use for a deterministic order.
 */
#include "virtio/blk_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "virtio/blk.h"

/* At most IOV_MAX iovecs per call; the rest comes as a short transfer. */
#define SYNC_IOV_MAX	1024

static int run(struct blk_io *io, struct blk_req *r)
{
	int n = r->nr_data < SYNC_IOV_MAX ? (int)r->nr_data : SYNC_IOV_MAX;
	ssize_t ret;

	switch (r->op) {
	case BLK_OP_READ:
		ret = preadv2(io->fd, r->data, n, (off_t)r->off, 0);
		break;
	case BLK_OP_WRITE:
		ret = pwritev2(io->fd, r->data, n, (off_t)r->off, r->rw_flags);
		break;
	case BLK_OP_FLUSH:
		ret = fdatasync(io->fd);
		break;
	case BLK_OP_FALLOCATE:
		ret = fallocate(io->fd, r->fa_mode, (off_t)r->off, (off_t)r->len);
		break;
	default:
		return -EINVAL;
	}
	if (ret < 0)
		return -errno;
	/* Transfers are below 2 GiB (VIRTQ_MAX_CHAIN_BYTES). */
	return (int)ret;
}

static int sync_submit(struct blk_io *io, struct blk_req *r)
{
	int res;

	if (r->op == BLK_OP_NONE)
		return -EINVAL;
	do
		res = run(io, r);
	while (res == -EINTR);
	/* done may submit again (a short transfer): the recursion is
	 * bounded by the transfer making progress, or by an error. */
	io->done(io->opaque, r, res);
	return 0;
}

static void sync_nothing(struct blk_io *io)
{
}

static int sync_set_fd(struct blk_io *io, int fd)
{
	io->fd = fd;
	return 0;
}

static void sync_destroy(struct blk_io *io)
{
	free(io);
}

static const struct blk_io_ops sync_ops = {
	.submit = sync_submit,
	.kick = sync_nothing,
	.poll = sync_nothing,
	.drain = sync_nothing,
	.set_fd = sync_set_fd,
	.destroy = sync_destroy,
};

int blk_sync_create(int fd, struct blk_io **out)
{
	struct blk_io *io = calloc(1, sizeof(*io));

	if (!io)
		return -ENOMEM;
	io->ops = &sync_ops;
	io->name = "sync";
	io->fd = fd;
	io->event_fd = -1;
	*out = io;
	return 0;
}
