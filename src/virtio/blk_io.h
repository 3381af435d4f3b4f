/* SPDX-License-Identifier: MIT */
/*
 * The virtio-blk device's I/O backends: what turns a parsed request
 * (struct blk_req, see blk.h) into reads, writes, fdatasync and
 * fallocate on the disk image.
 *
 *   blk_uring.c  io_uring (liburing): many requests in flight, the
 *                guest's buffers handed to the kernel as iovecs (zero
 *                copy), completions reaped on the VMM thread when the
 *                ring's eventfd fires.  The normal backend.
 *   blk_sync.c   preadv/pwritev/fdatasync/fallocate, finished before
 *                submit returns.  For hosts where io_uring is refused
 *                (seccomp, kernel.io_uring_disabled), unit tests and the
 *                fuzz target.
 *
 * Every call is made with the device lock held.  A backend reports each
 * finished operation through io->done(io->opaque, r, res): res is the
 * byte count (read/write) or 0 (flush, fallocate), or -errno.  done may
 * submit a follow-up operation for the same request (the rest of a short
 * transfer, the next step of a write-zeroes fallback).
 */
#ifndef VMON_VIRTIO_BLK_IO_H
#define VMON_VIRTIO_BLK_IO_H

#include <stdbool.h>

struct blk_req;
struct blk_io;

struct blk_io_ops {
	/* Queue one operation for r (r->op, off, len, data, fa_mode,
	 * rw_flags).  0, or -errno and nothing was queued. */
	int (*submit)(struct blk_io *io, struct blk_req *r);
	/* Hand queued operations to the kernel, then reap what finished. */
	void (*kick)(struct blk_io *io);
	/* Reap finished operations without blocking (after the eventfd). */
	void (*poll)(struct blk_io *io);
	/* Wait until nothing is in flight, reaping as operations finish. */
	void (*drain)(struct blk_io *io);
	/* Use fd for operations submitted from now on (nothing in flight). */
	int (*set_fd)(struct blk_io *io, int fd);
	void (*destroy)(struct blk_io *io);
};

struct blk_io {
	const struct blk_io_ops *ops;
	const char *name;		/* "io_uring", "sync" */
	int fd;				/* the disk image */
	int event_fd;			/* readable when poll has work; or -1 */
	unsigned int inflight;		/* submitted, done not yet called */
	void (*done)(void *opaque, struct blk_req *r, int res);
	void *opaque;
};

/*
 * A backend for fd with room for `depth` operations in flight.  0 or
 * -errno (the io_uring backend: the kernel's refusal, so the caller can
 * fall back to the synchronous one).
 */
int blk_uring_create(int fd, unsigned int depth, struct blk_io **out);
int blk_sync_create(int fd, struct blk_io **out);

#endif
