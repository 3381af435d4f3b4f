// SPDX-License-Identifier: MIT
/*
 * The io_uring virtio-blk backend (liburing).  One ring per disk, with
 * as many submission entries as the device has request slots, so an SQE
 * is always free and the completion ring (twice as large) never
 * overflows.  Each request has at most one operation in flight.
 *
 * Flow, all on the VMM thread with the device lock held:
 *
 *   queue_notify -> submit (an SQE per request) ... -> kick: one
 *   io_uring_enter for the batch, then reap what finished inline (reads
 *   from the page cache usually do) -> done -> the chain is completed.
 *
 *   Later completions signal the ring's eventfd (io_uring_register_
 *   eventfd), which is on the VMM thread's epoll loop: the device clears
 *   it and calls poll, which reaps.  The plain eventfd is used, not the
 *   _async variant: that one only fires for completions posted by
 *   io-wq workers, and a completion posted from task_work would then
 *   wake nobody.
 *
 * The disk's fd is registered as fixed file 0 (saves a file lookup per
 * operation) when the kernel allows it; a media change updates the slot.
 *
 * Images in memory (tmpfs, ramfs): io_uring cannot try those inline (no
 * FMODE_NOWAIT), so every operation would go to an io-wq worker and back:
 * two thread wakeups for what is a memory copy that never waits for a
 * device.  Reads and writes of up to BLK_INLINE_MAX bytes on such an
 * image are done at once on the VMM thread (preadv2/pwritev2), larger
 * ones still through the ring.
 */
#include "lib/util.h"
#include "virtio/blk_io.h"

#include <errno.h>
#include <liburing.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "lib/log.h"
#include "virtio/blk.h"

/* Rounds of reap-and-resubmit per kick before leaving it to the loop. */
#define KICK_ROUNDS	16
/*
 * The largest read or write done inline on an image in memory.  A 4 KiB
 * copy costs less than the two wakeups it saves; a 1 MiB one was 20 %
 * slower inline than through io-wq, whose worker can copy on another CPU
 * while the VMM thread, woken by the vCPU's notification, may share the
 * vCPU's.
 */
#define BLK_INLINE_MAX	(64u << 10)

struct blk_uring {
	struct blk_io io;
	struct io_uring ring;
	bool fixed;		/* io.fd is fixed file 0 */
	bool pending;		/* SQEs prepared since the last submit */
	bool in_memory;		/* tmpfs or ramfs: copy inline */
};

static bool in_memory(int fd)
{
	struct statfs fs;

	return fstatfs(fd, &fs) == 0 &&
	       (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC);
}

/* A memory copy, done now: 1 if it was (and reported), 0 if not tried. */
static int copy_inline(struct blk_uring *u, struct blk_req *r)
{
	int n = (int)r->nr_data;
	ssize_t ret;

	if (!u->in_memory || r->len > BLK_INLINE_MAX ||
	    (r->op != BLK_OP_READ && r->op != BLK_OP_WRITE))
		return 0;
	do {
		ret = r->op == BLK_OP_READ ?
		      preadv2(u->io.fd, r->data, n, (off_t)r->off, 0) :
		      pwritev2(u->io.fd, r->data, n, (off_t)r->off, r->rw_flags);
	} while (ret < 0 && errno == EINTR);
	/* done may submit the rest of a short copy: bounded by progress. */
	u->io.done(u->io.opaque, r, ret < 0 ? -errno : (int)ret);
	return 1;
}

static struct blk_uring *to_uring(struct blk_io *io)
{
	return container_of(io, struct blk_uring, io);
}

/* Hand prepared SQEs to the kernel. */
static void flush_sq(struct blk_uring *u)
{
	int ret, tries = 0;

	if (!u->pending)
		return;
	do {
		ret = io_uring_submit(&u->ring);
	} while (ret == -EINTR || ((ret == -EAGAIN || ret == -EBUSY) &&
				   ++tries < 100));
	if (ret < 0) {
		/* The SQEs stay in the ring for the next submit. */
		log_warn("io_uring_submit: %s; retrying later", strerror(-ret));
		return;
	}
	u->pending = false;
}

/* Report every finished operation; true if any was. */
static bool reap(struct blk_uring *u)
{
	struct io_uring_cqe *cqe;
	bool any = false;

	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		struct blk_req *r = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&u->ring, cqe);
		u->io.inflight--;
		u->io.done(u->io.opaque, r, res);	/* may submit again */
		any = true;
	}
	return any;
}

static int uring_submit(struct blk_io *io, struct blk_req *r)
{
	struct blk_uring *u = to_uring(io);
	struct io_uring_sqe *sqe;
	int fd = u->fixed ? 0 : io->fd;

	if (r->op == BLK_OP_NONE || r->op > BLK_OP_FALLOCATE)
		return -EINVAL;
	if (copy_inline(u, r))
		return 0;
	sqe = io_uring_get_sqe(&u->ring);
	if (!sqe) {
		/* Cannot happen with depth >= slots; be safe anyway. */
		flush_sq(u);
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return -EBUSY;
	}
	switch (r->op) {
	case BLK_OP_READ:
		io_uring_prep_readv(sqe, fd, r->data, r->nr_data, r->off);
		break;
	case BLK_OP_WRITE:
		io_uring_prep_writev2(sqe, fd, r->data, r->nr_data, r->off,
				      r->rw_flags);
		break;
	case BLK_OP_FLUSH:
		io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
		break;
	case BLK_OP_FALLOCATE:
		io_uring_prep_fallocate(sqe, fd, r->fa_mode, (off_t)r->off,
					(off_t)r->len);
		break;
	}
	if (u->fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data(sqe, r);
	u->pending = true;
	io->inflight++;
	return 0;
}

static void uring_kick(struct blk_io *io)
{
	struct blk_uring *u = to_uring(io);

	for (int i = 0; i < KICK_ROUNDS; i++) {
		flush_sq(u);
		if (!reap(u) || !u->pending)
			break;
	}
	flush_sq(u);
}

static void uring_poll(struct blk_io *io)
{
	struct blk_uring *u = to_uring(io);

	if (reap(u))
		uring_kick(io);
}

static void uring_drain(struct blk_io *io)
{
	struct blk_uring *u = to_uring(io);
	struct io_uring_cqe *cqe;

	while (io->inflight) {
		int ret;

		flush_sq(u);
		ret = io_uring_wait_cqe(&u->ring, &cqe);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN) {
			/* The ring is unusable; nothing more will come. */
			log_error("io_uring_wait_cqe: %s with %u operations in "
				  "flight", strerror(-ret), io->inflight);
			return;
		}
		reap(u);
	}
	flush_sq(u);
}

static int uring_set_fd(struct blk_io *io, int fd)
{
	struct blk_uring *u = to_uring(io);

	if (u->fixed && io_uring_register_files_update(&u->ring, 0, &fd, 1) != 1) {
		io_uring_unregister_files(&u->ring);
		u->fixed = false;
	}
	io->fd = fd;
	u->in_memory = in_memory(fd);
	return 0;
}

static void uring_destroy(struct blk_io *io)
{
	struct blk_uring *u = to_uring(io);

	uring_drain(io);
	io_uring_queue_exit(&u->ring);
	close(io->event_fd);
	free(u);
}

static const struct blk_io_ops uring_ops = {
	.submit = uring_submit,
	.kick = uring_kick,
	.poll = uring_poll,
	.drain = uring_drain,
	.set_fd = uring_set_fd,
	.destroy = uring_destroy,
};

int blk_uring_create(int fd, unsigned int depth, struct blk_io **out)
{
	struct blk_uring *u = calloc(1, sizeof(*u));
	int ret;

	if (!u)
		return -ENOMEM;
	u->io.ops = &uring_ops;
	u->io.name = "io_uring";
	u->io.fd = fd;
	u->io.event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->io.event_fd < 0) {
		ret = -errno;
		free(u);
		return ret;
	}
	ret = io_uring_queue_init(depth, &u->ring, 0);
	if (ret < 0)
		goto err_efd;
	ret = io_uring_register_eventfd(&u->ring, u->io.event_fd);
	if (ret < 0)
		goto err_ring;
	u->fixed = io_uring_register_files(&u->ring, &fd, 1) == 0;
	u->in_memory = in_memory(fd);
	*out = &u->io;
	return 0;
err_ring:
	io_uring_queue_exit(&u->ring);
err_efd:
	close(u->io.event_fd);
	free(u);
	return ret;
}
