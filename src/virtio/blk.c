// SPDX-License-Identifier: MIT
/*
 * virtio-blk: the device (see blk.h).  Requests are parsed by blk_req.c
 * and run by a backend (blk_io.h).  Section numbers are VIRTIO 1.2's.
 *
 * Life of a request: queue_notify pops the chain into a free slot (the
 * slot's iovec array is the walker's output, so the data buffers are the
 * guest's memory), parses it, and either completes it at once (bad
 * request, GET_ID, a flush in unsafe mode) or submits it.  The backend
 * calls finish() when the I/O is done: a short transfer is resubmitted
 * for the rest, a write-zeroes fallback takes its next step, otherwise
 * the status byte is written and then the chain is pushed.  Interrupts
 * are sent once per batch.
 */
#include "virtio/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/evloop.h"
#include "lib/err.h"
#include "lib/le.h"
#include "lib/util.h"
#include "virtio/blk_io.h"
#include "virtio/virtio_pci.h"

#define PCI_CLASS_STORAGE_OTHER	0x018000

static const char *const blk_metric_names[BLK_M_NR] = {
	[BLK_M_READ_COUNT] = "read_count",
	[BLK_M_WRITE_COUNT] = "write_count",
	[BLK_M_READ_BYTES] = "read_bytes",
	[BLK_M_WRITE_BYTES] = "write_bytes",
	[BLK_M_FLUSH_COUNT] = "flush_count",
	[BLK_M_DISCARD_COUNT] = "discard_count",
	[BLK_M_WRITE_ZEROES_COUNT] = "write_zeroes_count",
	[BLK_M_GET_ID_COUNT] = "get_id_count",
	[BLK_M_INVALID_REQS] = "invalid_reqs_count",
	[BLK_M_UNSUPPORTED] = "unsupported_count",
	[BLK_M_IO_ERRORS] = "execute_fails",
	[BLK_M_UPDATE_COUNT] = "update_count",
	[BLK_M_UPDATE_FAILS] = "update_fails",
	[BLK_M_THROTTLED] = "rate_limiter_throttled_events",
};

/* Write-zeroes steps: what fallocate is asked, in order of preference. */
enum {
	WZ_PUNCH,	/* unmap allowed: punch a hole (reads give zeroes) */
	WZ_ZERO,	/* FALLOC_FL_ZERO_RANGE */
	WZ_PUNCH_ALLOC,	/* no ZERO_RANGE (tmpfs): punch, then ... */
	WZ_ALLOC,	/* ... allocate the range again */
};

static struct virtio_blk *to_blk(struct virtio_dev *vd)
{
	return container_of(vd, struct virtio_blk, vd);
}

/* ---- Configuration space (5.2.4) ---------------------------------------- */

static void blk_config_read(struct virtio_dev *vd, uint32_t off, void *buf,
			    uint32_t len)
{
	struct virtio_blk *b = to_blk(vd);
	uint8_t img[BLK_CONFIG_SIZE] = { 0 };

	le_put(img + 0, 8, b->disk.capacity);
	le_put(img + 12, 4, BLK_SEG_MAX);			/* seg_max */
	le_put(img + 20, 4, BLK_SECTOR_SIZE);			/* blk_size */
	le_put(img + 34, 2, 1);					/* num_queues */
	le_put(img + 36, 4, BLK_MAX_DISCARD_SECTORS);
	le_put(img + 40, 4, 1);					/* max_discard_seg */
	le_put(img + 44, 4, BLK_DISCARD_ALIGN);
	le_put(img + 48, 4, BLK_MAX_WZ_SECTORS);
	le_put(img + 52, 4, 1);				/* max_write_zeroes_seg */
	img[56] = 1;				/* write_zeroes_may_unmap */
	/* The transport keeps off + len inside config_size. */
	memcpy(buf, img + off, len);
}

/* ---- Slots ---------------------------------------------------------------- */

/*
 * A stack of free slot numbers, kept apart from the slots: the slots'
 * pages (4 KiB each, mostly the iovec array) are touched only when a
 * request uses them, and LIFO keeps a shallow queue on the same few.
 */
static struct blk_req *slot_get(struct virtio_blk *b)
{
	return b->nr_free ? &b->reqs[b->free[--b->nr_free]] : NULL;
}

static void slot_put(struct virtio_blk *b, struct blk_req *r)
{
	b->free[b->nr_free++] = (uint16_t)(r - b->reqs);
}

static void slots_reset(struct virtio_blk *b)
{
	for (unsigned int i = 0; i < BLK_QUEUE_SIZE; i++)
		b->free[i] = (uint16_t)(BLK_QUEUE_SIZE - 1 - i);
	b->nr_free = BLK_QUEUE_SIZE;
}

/* ---- Completion ------------------------------------------------------------ */

static struct virtq *request_queue(struct virtio_blk *b)
{
	return &b->vd.queues[0].vq;
}

static void count(struct virtio_blk *b, const struct blk_req *r, uint8_t st)
{
	static const int8_t kind_counter[] = {
		[BLK_K_READ] = BLK_M_READ_COUNT,
		[BLK_K_WRITE] = BLK_M_WRITE_COUNT,
		[BLK_K_FLUSH] = BLK_M_FLUSH_COUNT,
		[BLK_K_GET_ID] = BLK_M_GET_ID_COUNT,
		[BLK_K_DISCARD] = BLK_M_DISCARD_COUNT,
		[BLK_K_WRITE_ZEROES] = BLK_M_WRITE_ZEROES_COUNT,
		[BLK_K_OTHER] = -1,
	};

	if (st == VIRTIO_BLK_S_UNSUPP) {
		metrics_inc(&b->metrics, BLK_M_UNSUPPORTED);
		return;
	}
	if (st != VIRTIO_BLK_S_OK)
		return;
	if (kind_counter[r->kind] >= 0)
		metrics_inc(&b->metrics, (unsigned int)kind_counter[r->kind]);
	if (r->kind == BLK_K_READ)
		metrics_add(&b->metrics, BLK_M_READ_BYTES, r->written - 1);
}

/*
 * The status byte first, then the chain goes back (virtq_push's release
 * store of used->idx orders the data, the status and the element before
 * the index, 2.7.14).  A queue reset or broken meanwhile refuses the
 * push; the slot is free either way.
 */
static void complete(struct virtio_blk *b, struct blk_req *r, uint8_t status)
{
	count(b, r, status);
	*r->status = status;
	virtq_push(request_queue(b), r->head,
		   status == VIRTIO_BLK_S_OK ? r->written : 1);
	slot_put(b, r);
	b->need_irq = true;
}

static void io_failed(struct virtio_blk *b, const struct blk_req *r, int res)
{
	static const char *const ops[] = { "?", "read", "write", "flush",
					   "fallocate" };

	metrics_inc(&b->metrics, BLK_M_IO_ERRORS);
	log_ratelimited(&b->vd.rl, LOG_WARN, "%s: %s at byte %llu of %s: %s",
			b->vd.label, ops[r->op < 5 ? r->op : 0],
			(unsigned long long)r->off, b->path,
			res < 0 ? strerror(-res) : "unexpected end of file");
}

static void start(struct virtio_blk *b, struct blk_req *r)
{
	int ret = b->io->ops->submit(b->io, r);

	if (ret) {
		io_failed(b, r, ret);
		complete(b, r, VIRTIO_BLK_S_IOERR);
	}
}

/* Pick the write-zeroes step from r->step on: 0, or -EOPNOTSUPP. */
static int wz_pick(struct virtio_blk *b, struct blk_req *r)
{
	for (;;) {
		switch (r->step) {
		case WZ_PUNCH:
			if (r->unmap && !b->no_punch) {
				r->fa_mode = FALLOC_FL_PUNCH_HOLE |
					     FALLOC_FL_KEEP_SIZE;
				return 0;
			}
			r->step = WZ_ZERO;
			break;
		case WZ_ZERO:
			if (!b->no_zero_range) {
				r->fa_mode = FALLOC_FL_ZERO_RANGE |
					     FALLOC_FL_KEEP_SIZE;
				return 0;
			}
			r->step = WZ_PUNCH_ALLOC;
			break;
		case WZ_PUNCH_ALLOC:
			if (b->no_punch)
				return -EOPNOTSUPP;
			r->fa_mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
			return 0;
		default:
			r->fa_mode = FALLOC_FL_KEEP_SIZE;
			return 0;
		}
	}
}

/* A write-zeroes step finished with res: the status, or -1 if resubmitted. */
static int wz_next(struct virtio_blk *b, struct blk_req *r, int res)
{
	if (res == -EOPNOTSUPP) {
		/* Remember, so later requests go straight to what works. */
		if (r->fa_mode & FALLOC_FL_ZERO_RANGE)
			b->no_zero_range = true;
		else if (r->fa_mode & FALLOC_FL_PUNCH_HOLE)
			b->no_punch = true;
		if (r->step == WZ_ALLOC || wz_pick(b, r))
			return VIRTIO_BLK_S_IOERR;
		start(b, r);
		return -1;
	}
	if (res < 0)
		return VIRTIO_BLK_S_IOERR;
	if (r->step == WZ_PUNCH_ALLOC) {
		r->step = WZ_ALLOC;
		wz_pick(b, r);
		start(b, r);
		return -1;
	}
	return VIRTIO_BLK_S_OK;
}

/* The backend's report: an operation of r finished with res. */
static void finish(void *opaque, struct blk_req *r, int res)
{
	struct virtio_blk *b = opaque;
	int status = VIRTIO_BLK_S_OK;

	if (b->draining) {
		/* Device reset: the driver no longer owns these buffers. */
		slot_put(b, r);
		return;
	}
	switch (r->op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		if (res > 0 && (uint64_t)res < r->len) {
			/* Short transfer: the rest, from where it stopped. */
			blk_req_advance(r, (uint64_t)res);
			start(b, r);
			return;
		}
		if (res <= 0)
			status = VIRTIO_BLK_S_IOERR;
		else if (r->op == BLK_OP_WRITE)
			metrics_add(&b->metrics, BLK_M_WRITE_BYTES,
				    (uint64_t)res);
		break;
	case BLK_OP_FLUSH:
		status = res < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case BLK_OP_FALLOCATE:
		if (r->kind == BLK_K_DISCARD) {
			/* A discard is a hint (5.2.6.2: MAY deallocate). */
			if (res == -EOPNOTSUPP)
				b->no_punch = true;
			else if (res < 0)
				status = VIRTIO_BLK_S_IOERR;
			break;
		}
		status = wz_next(b, r, res);
		if (status < 0)
			return;
		break;
	}
	if (status != VIRTIO_BLK_S_OK)
		io_failed(b, r, res);
	complete(b, r, (uint8_t)status);
}

/* ---- Requests ----------------------------------------------------------- */

static void dispatch(struct virtio_blk *b, struct blk_req *r)
{
	switch (r->op) {
	case BLK_OP_NONE:
		if (r->result == VIRTIO_BLK_S_IOERR)
			metrics_inc(&b->metrics, BLK_M_INVALID_REQS);
		complete(b, r, r->result);
		return;
	case BLK_OP_FLUSH:
		/* Unsafe: the operator chose speed over durability. */
		if (b->cache == DISK_CACHE_UNSAFE || b->disk.read_only) {
			complete(b, r, VIRTIO_BLK_S_OK);
			return;
		}
		break;
	case BLK_OP_WRITE:
		r->rw_flags = b->dsync_writes ? RWF_DSYNC : 0;
		break;
	case BLK_OP_FALLOCATE:
		if (r->kind == BLK_K_DISCARD && b->no_punch) {
			complete(b, r, VIRTIO_BLK_S_OK);
			return;
		}
		if (r->kind == BLK_K_WRITE_ZEROES) {
			r->step = WZ_PUNCH;
			if (wz_pick(b, r)) {
				io_failed(b, r, -EOPNOTSUPP);
				complete(b, r, VIRTIO_BLK_S_IOERR);
				return;
			}
		}
		break;
	}
	start(b, r);
}

bool blk_usable(struct virtio_blk *b, struct virtq *vq)
{
	return virtio_running(&b->vd) && vq->ready && !vq->broken;
}

void blk_irq_if_needed(struct virtio_blk *b)
{
	if (b->need_irq) {
		b->need_irq = false;
		virtio_queue_interrupt(&b->vd, request_queue(b));
	}
}

/*
 * Pop, parse and start every request there is; then one interrupt.  Pops
 * only what virtq_avail_pending() shows, so the walker never finds the
 * ring empty and re-arms notifications behind our back (EVENT_IDX).
 */
void blk_serve(struct virtio_blk *b, struct virtq *vq)
{
	struct virtq_chain c;
	struct blk_req *r;

	/*
	 * Slots never run out on a valid ring: there are as many as the
	 * largest queue, and the walker refuses more chains in flight than
	 * the queue size (rule 13).
	 */
	while (virtq_avail_pending(vq) && !b->limit.waiting &&
	       (r = slot_get(b))) {
		const char *why = NULL;

		virtq_chain_init(&c, r->iov, BLK_QUEUE_SIZE);
		if (virtq_pop(vq, &c) <= 0) {
			slot_put(b, r);
			break;		/* the walker failed the device */
		}
		if (blk_parse(r, &c, &b->disk, &why)) {
			slot_put(b, r);
			metrics_inc(&b->metrics, BLK_M_INVALID_REQS);
			virtio_fail(&b->vd, "request %u: %s", c.head, why);
			break;
		}
		if (!blk_limit_take(b, r)) {
			/* Untouched but for GET_ID's serial, written again. */
			virtq_unpop(vq);
			slot_put(b, r);
			break;
		}
		dispatch(b, r);
	}
	b->io->ops->kick(b->io);
	blk_irq_if_needed(b);
}

static void blk_notify(struct virtio_dev *vd, struct virtq *vq)
{
	struct virtio_blk *b = to_blk(vd);

	/*
	 * Notifications off while we work, so a driver that sees a
	 * completion and queues its next request does not exit for it.
	 */
	virtq_set_notification(vq, false);
	blk_serve(b, vq);
	blk_settle(b, vq, true);
}

/* The ring's eventfd: completions to reap (VMM thread). */
static void on_io_event(void *opaque, uint32_t events)
{
	struct virtio_blk *b = opaque;
	struct virtq *vq;
	bool polling;
	uint64_t n;

	evloop_assert_owner(b->loop);
	/* Clear first: a completion after the reap below signals again. */
	if (read(b->io->event_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	virtio_lock(&b->vd);
	vq = request_queue(b);
	polling = b->poll.max_ns && blk_usable(b, vq);
	/* Off before a completion is pushed: the next request may follow. */
	if (polling)
		virtq_set_notification(vq, false);
	b->io->ops->poll(b->io);
	blk_irq_if_needed(b);
	if (polling)
		blk_settle(b, vq, false);
	virtio_unlock(&b->vd);
}

static int blk_activate(struct virtio_dev *vd)
{
	struct virtio_blk *b = to_blk(vd);

	/* 5.2.6.2: FLUSH offered but refused: every write must be stable. */
	b->dsync_writes = b->cache == DISK_CACHE_WRITEBACK &&
			  !b->disk.read_only &&
			  !virtio_has_feature(vd, VIRTIO_BLK_F_FLUSH);
	return 0;
}

static void blk_reset(struct virtio_dev *vd)
{
	struct virtio_blk *b = to_blk(vd);

	/* Nothing may reach guest memory once the reset is seen done. */
	b->draining = true;
	b->io->ops->drain(b->io);
	b->draining = false;
	throttle_forget(&b->limit);	/* what waited went with the ring */
	slots_reset(b);
	b->need_irq = false;
	b->dsync_writes = false;
}

/* Every request in flight completes, as it would have on its own. */
static void blk_quiesce(struct virtio_dev *vd)
{
	struct virtio_blk *b = to_blk(vd);

	b->io->ops->drain(b->io);
	blk_irq_if_needed(b);
}

static void blk_destroy(struct virtio_dev *vd)
{
	struct virtio_blk *b = to_blk(vd);

	if (b->io) {
		b->draining = true;
		b->io->ops->drain(b->io);
		if (b->io->event_fd >= 0 && b->loop)
			evloop_del(b->loop, b->io->event_fd);
		b->io->ops->destroy(b->io);
	}
	throttle_destroy(&b->limit);
	if (b->registry)
		metrics_unregister(b->registry, &b->metrics);
	if (b->fd >= 0) {
		flock(b->fd, LOCK_UN);	/* now, not when the ring is gone */
		close(b->fd);
	}
	free(b->reqs);
	free(b->id);
	free(b->path);
	free(b);
}

/* Before a flush: the throttle keeps its own count. */
static void blk_sample(struct metrics_group *g, void *opaque)
{
	throttle_sample(&((struct virtio_blk *)opaque)->limit, g,
			BLK_M_THROTTLED);
}

static const struct virtio_dev_ops blk_ops = {
	.config_read = blk_config_read,
	.activate = blk_activate,
	.queue_notify = blk_notify,
	.reset = blk_reset,
	.destroy = blk_destroy,
	.quiesce = blk_quiesce,
	.save = virtio_blk_save,
	.restore = virtio_blk_restore,
};

/* ---- Images ------------------------------------------------------------- */

static int lock_image(int fd, bool ro);

/* Into the caller's buffer (lib/err.h); a short name for short lines. */
#define say err_say

static int lock_image(int fd, bool ro)
{
	for (int i = 0; i < 50; i++) {
		if (flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		/* A 10 ms sleep through poll, a call the VMM thread's filter
		 * has anyway (clock_nanosleep it then does not need). */
		poll(NULL, 0, 10);
	}
	return -1;
}

/*
 * Open, lock and size an image.  Returns the fd and *capacity (sectors),
 * or -EINVAL / -ENOMEM with a message.
 */
static int open_image(const char *path, bool ro, bool lock,
		      uint64_t *capacity, char *err, size_t len)
{
	struct stat st;
	uint64_t size;
	int fd;

	fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		return say(err, len, -EINVAL, "disk %s: %s%s", path,
			   strerror(e), !ro && (e == EACCES || e == EROFS) ?
			   " (add ,ro for a read-only disk)" : "");
	}
	if (fstat(fd, &st) < 0) {
		say(err, len, -EINVAL, "disk %s: %s", path, strerror(errno));
		goto err;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			say(err, len, -EINVAL, "disk %s: cannot read the block "
			    "device's size: %s", path, strerror(errno));
			goto err;
		}
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else {
		say(err, len, -EINVAL, "disk %s: not a regular file or a block "
		    "device", path);
		goto err;
	}
	if (size < BLK_SECTOR_SIZE) {
		say(err, len, -EINVAL, "disk %s: %llu bytes; a raw image needs "
		    "at least one 512-byte sector (e.g. truncate -s 64M %s)",
		    path, (unsigned long long)size, path);
		goto err;
	}
	/*
	 * Two VMs writing one image would corrupt it.  A vmon that just
	 * exited may still hold the lock for a moment: its io_uring keeps
	 * the file open until the kernel tears the ring down.
	 */
	if (lock && lock_image(fd, ro) < 0) {
		say(err, len, -EINVAL, "disk %s: %s", path,
		    errno == EWOULDBLOCK ? "in use by another process (locked)" :
		    strerror(errno));
		goto err;
	}
	if (size % BLK_SECTOR_SIZE)
		log_warn("disk %s: %llu bytes is not a multiple of 512; the "
			 "last %llu bytes are not part of the disk", path,
			 (unsigned long long)size,
			 (unsigned long long)(size % BLK_SECTOR_SIZE));
	*capacity = size >> BLK_SECTOR_SHIFT;
	return fd;
err:
	close(fd);
	return -EINVAL;
}

static void set_serial(struct virtio_blk *b)
{
	memset(b->disk.serial, 0, sizeof(b->disk.serial));
	if (b->id)
		memcpy(b->disk.serial, b->id, strnlen(b->id, BLK_ID_BYTES));
}

int virtio_blk_new(const struct blk_params *p, struct virtio_blk **out,
		   char *err, size_t errlen)
{
	const struct disk_config *dc = p->disk;
	struct virtio_blk *b = calloc(1, sizeof(*b));
	enum blk_engine engine = p->engine;
	const char *env = getenv("VMON_BLK_IO");
	int ret;

	if (!b)
		return say(err, errlen, -ENOMEM, "out of memory");
	b->fd = -1;
	b->limit.timer_fd = -1;
	b->loop = p->loop;
	b->cache = dc->cache;
	b->disk.read_only = dc->read_only;
	b->id = dc->id ? strdup(dc->id) : NULL;
	b->path = strdup(dc->path);
	/* Slots: calloc'd pages stay untouched until a request uses them. */
	b->reqs = calloc(BLK_QUEUE_SIZE, sizeof(*b->reqs));
	if ((dc->id && !b->id) || !b->path || !b->reqs) {
		ret = say(err, errlen, -ENOMEM, "out of memory");
		goto err;
	}
	if (engine == BLK_ENGINE_AUTO && env && !strcmp(env, "sync"))
		engine = BLK_ENGINE_SYNC;
	slots_reset(b);
	set_serial(b);
	if (dc->id && strlen(dc->id) > BLK_ID_BYTES)
		log_info("disk %s: the serial (GET_ID) is the first %d bytes of "
			 "the id '%s'", dc->path, BLK_ID_BYTES, dc->id);
	ret = open_image(dc->path, dc->read_only, !dc->defer_lock,
			 &b->disk.capacity, err, errlen);
	if (ret < 0)
		goto err;
	b->fd = ret;
	b->unlocked = dc->defer_lock;

	ret = -ENOSYS;
	if (engine != BLK_ENGINE_SYNC)
		ret = blk_uring_create(b->fd, BLK_QUEUE_SIZE, &b->io);
	if (ret && engine == BLK_ENGINE_URING) {
		say(err, errlen, ret, "disk %s: io_uring: %s", dc->path,
		    strerror(-ret));
		goto err;
	}
	if (ret) {
		if (engine == BLK_ENGINE_AUTO)
			log_warn("disk %s: io_uring unavailable (%s); using "
				 "synchronous I/O on the VMM thread", dc->path,
				 strerror(-ret));
		if ((ret = blk_sync_create(b->fd, &b->io))) {
			say(err, errlen, ret, "out of memory");
			goto err;
		}
	}
	blk_poll_setup(&b->poll);
	if ((ret = blk_limit_init(b, &dc->limit, err, errlen)))
		goto err;
	b->io->done = finish;
	b->io->opaque = b;
	if (b->io->event_fd >= 0 && b->loop &&
	    (ret = evloop_add(b->loop, b->io->event_fd, EPOLLIN, on_io_event,
			      b))) {
		say(err, errlen, ret, "disk %s: event loop: %s", dc->path,
		    strerror(-ret));
		b->loop = NULL;
		goto err;
	}

	if (dc->id)
		snprintf(b->name, sizeof(b->name), "block_%s", dc->id);
	else
		snprintf(b->name, sizeof(b->name), "block_vd%c",
			 'a' + (char)(p->index % 26));
	metrics_group_init(&b->metrics, b->name, blk_metric_names, BLK_M_NR);
	metrics_group_set_sample(&b->metrics, blk_sample, b);
	if (p->registry) {
		b->registry = p->registry;
		metrics_register(b->registry, &b->metrics);
	}
	b->vd = (struct virtio_dev){
		.name = "virtio-blk",
		.type = VIRTIO_ID_BLOCK,
		.pci_class = PCI_CLASS_STORAGE_OTHER,
		.num_queues = 1,
		.queue_max_size = BLK_QUEUE_SIZE,
		.features_offered = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
				    VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
				    VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
				    (dc->read_only ?
				     VIRTIO_BIT(VIRTIO_BLK_F_RO) :
				     VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
				     VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES)),
		.config_size = BLK_CONFIG_SIZE,
		.ops = &blk_ops,
	};
	log_info("disk %s: %llu sectors, %s, cache %s, %s I/O", dc->path,
		 (unsigned long long)b->disk.capacity,
		 dc->read_only ? "read-only" : "read-write",
		 dc->cache == DISK_CACHE_WRITEBACK ? "writeback" : "unsafe",
		 b->io->name);
	*out = b;
	return 0;
err:
	blk_destroy(&b->vd);
	return ret;
}

/* ---- Drives on a running VM ------------------------------------------- */

struct virtio_blk *virtio_blk_of(struct virtio_dev *vd)
{
	return vd && vd->ops == &blk_ops ? to_blk(vd) : NULL;
}

int virtio_blk_set_media(struct virtio_blk *b, const char *path, char *err,
			 size_t errlen)
{
	uint64_t capacity;
	char *copy = strdup(path);
	int fd, old;

	if (!copy)
		return say(err, errlen, -ENOMEM, "out of memory");
	/* Our own lock would refuse the same image (a resize rescan). */
	flock(b->fd, LOCK_UN);
	fd = open_image(path, b->disk.read_only, true, &capacity, err, errlen);
	if (fd < 0) {
		if (lock_image(b->fd, b->disk.read_only) < 0)
			log_warn("disk %s: cannot lock it again: %s", b->path,
				 strerror(errno));
		metrics_inc(&b->metrics, BLK_M_UPDATE_FAILS);
		free(copy);
		return fd;
	}
	virtio_lock(&b->vd);
	/* Requests in flight finish, and complete, on the old image. */
	b->io->ops->drain(b->io);
	b->io->ops->set_fd(b->io, fd);
	old = b->fd;
	b->fd = fd;
	b->unlocked = false;	/* open_image locked the new one */
	free(b->path);
	b->path = copy;
	b->disk.capacity = capacity;
	b->no_zero_range = b->no_punch = false;
	blk_irq_if_needed(b);
	/* 5.2.6.2: a capacity change SHOULD be announced. */
	virtio_config_changed(&b->vd);
	virtio_unlock(&b->vd);
	flock(old, LOCK_UN);
	close(old);
	metrics_inc(&b->metrics, BLK_M_UPDATE_COUNT);
	log_info("%s: media changed to %s, %llu sectors", b->vd.label, path,
		 (unsigned long long)capacity);
	return 0;
}

int virtio_blk_set_locked(struct virtio_blk *b, bool locked, char *err,
			  size_t errlen)
{
	if (!locked) {
		if (!b->unlocked)
			flock(b->fd, LOCK_UN);
		b->unlocked = true;
		return 0;
	}
	if (!b->unlocked)
		return 0;
	if (lock_image(b->fd, b->disk.read_only) < 0)
		return say(err, errlen, -EINVAL, "disk %s: %s", b->path,
			   errno == EWOULDBLOCK ? "still in use by another "
			   "process (locked)" : strerror(errno));
	b->unlocked = false;
	return 0;
}
