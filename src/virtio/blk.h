/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (VIRTIO 1.2, 5.2) on a raw disk image: one request queue,
 * requests handed to an I/O backend (blk_io.h; io_uring by default) and
 * completed on the VMM thread when their I/O is done.
 *
 * The disk.  Capacity is the file's size (a block device's size) in
 * 512-byte sectors, rounded down: a tail of fewer than 512 bytes is not
 * reachable and is reported at start.  An image smaller than one sector is
 * refused.  The image is locked (flock: shared when read-only, exclusive
 * otherwise) so two VMs cannot write one image.
 *
 * Features offered: SEG_MAX, BLK_SIZE (512), FLUSH, and RO for a
 * read-only disk, or DISCARD and WRITE_ZEROES (one segment per request)
 * for a writable one.
 *
 * Requests (5.2.6).  Header {le32 type, le32 reserved, le64 sector},
 * data, then one status byte: the header is the first 16 device-readable
 * bytes (it may span buffers), the status byte the last device-writable
 * byte.  Data buffers are the guest's own memory, given to the kernel as
 * iovecs: nothing is copied and no host allocation depends on a length
 * the guest chose.  The status byte is written when the I/O has finished,
 * then the chain is returned (virtq_push) and the driver interrupted.
 *
 * Bad requests (guest-input.md rule 14) get a status, never a crash:
 *
 *   no device-writable byte for the status (missing, or the last buffer
 *   is device-readable)             protocol violation: virtio_fail
 *                                   (DEVICE_NEEDS_RESET); nothing to
 *                                   report a status through
 *   header shorter than 16 bytes    IOERR
 *   IN/OUT data not a multiple of 512, data in the wrong direction,
 *   sector + length past the capacity or overflowing    IOERR
 *   OUT, DISCARD, WRITE_ZEROES on a read-only disk      IOERR (5.2.6.2),
 *                                   the image is opened read-only anyway
 *   GET_ID with fewer than 20 writable data bytes       IOERR: the driver
 *                                   MUST supply 20 (5.2.6.1); with 20 or
 *                                   more the serial fills the first 20
 *   DISCARD/WRITE_ZEROES: data not one 16-byte segment, more sectors
 *   than the configured maximum, past the end           IOERR
 *   unknown flags, or unmap on DISCARD                  UNSUPP (5.2.6.2)
 *   unknown type (GET_LIFETIME, SECURE_ERASE, zoned...) UNSUPP
 *
 * Rate limit (Firecracker's Drive.rate_limiter, blk_limit.c): a request
 * costs one operation and, for IN and OUT, its data bytes (FLUSH, GET_ID,
 * DISCARD, WRITE_ZEROES and refused requests: no bytes).  One the buckets
 * do not allow yet goes back into the ring untouched (virtq_unpop) and the
 * queue is served again by a timer; PATCH /drives may change the limit.
 *
 * Cache modes (struct disk_config): writeback makes FLUSH an fdatasync; unsafe
 * completes it at once without touching the file.  In writeback mode a
 * driver that does not accept FLUSH gets every write made durable
 * (RWF_DSYNC), as 5.2.6.2 requires when FLUSH is offered and refused.
 */
#ifndef VMON_VIRTIO_BLK_H
#define VMON_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "lib/metrics.h"
#include "lib/tbucket.h"
#include "virtio/throttle.h"
#include "virtio/virtio.h"

struct evloop;
struct blk_io;

/* A disk, as the configuration gives it. */
enum disk_cache {
	DISK_CACHE_UNSAFE,	/* flush is a no-op (Firecracker's Unsafe) */
	DISK_CACHE_WRITEBACK,	/* flush = fdatasync (Firecracker's Writeback) */
};

struct disk_config {
	const char *id;		/* API drive_id; GET_ID serial; may be NULL */
	const char *path;
	bool read_only;
	bool is_root;		/* Firecracker's is_root_device */
	enum disk_cache cache;
	struct rate_limiter_config limit;	/* all off: none */
	/* Open without the image lock: a migration's destination takes it
	 * when the source has let go (virtio_blk_set_locked). */
	bool defer_lock;
};

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX		1
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_GEOMETRY		4
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_TOPOLOGY		10
#define VIRTIO_BLK_F_CONFIG_WCE		11
#define VIRTIO_BLK_F_MQ			12
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* Request types and status values (5.2.6). */
#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_GET_LIFETIME	10
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13
#define VIRTIO_BLK_T_SECURE_ERASE	14
#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2
#define VIRTIO_BLK_WZ_UNMAP		1u	/* segment flags bit 0 */

#define BLK_SECTOR_SIZE		512u
#define BLK_SECTOR_SHIFT	9
#define BLK_ID_BYTES		20
#define BLK_HDR_SIZE		16
#define BLK_SEG_SIZE		16	/* struct virtio_blk_discard_write_zeroes */

/* Limits this device offers. */
#define BLK_QUEUE_SIZE		256
#define BLK_SEG_MAX		(BLK_QUEUE_SIZE - 2)	/* + header + status */
#define BLK_MAX_DISCARD_SECTORS	(1u << 22)		/* 2 GiB */
#define BLK_MAX_WZ_SECTORS	(1u << 22)
#define BLK_DISCARD_ALIGN	8			/* 4 KiB, in sectors */
#define BLK_CONFIG_SIZE		60	/* through write_zeroes_may_unmap */
/*
 * Busy-polling after activity (blk_poll.c): the adaptive window's limit;
 * VMON_BLK_POLL_US overrides it, 0 turns polling off.  Measured on a
 * quiet 2-CPU PVM host: 4 KiB reads at queue depth 1 went from 25k to
 * 510k IOPS, 1 MiB sequential transfers gained 15-20 %; on a loaded one
 * the window backs off (blk_poll.c) and costs little.
 */
#define BLK_POLL_US		128
#define BLK_POLL_START_NS	4000ull
#define BLK_POLL_PROBE		16	/* settles per probe when off */
#define BLK_POLL_BUDGET_NS	500000ull	/* per notification */

/* Operations a parsed request asks of the backend. */
enum blk_op {
	BLK_OP_NONE,		/* nothing to do: complete with r->result */
	BLK_OP_READ,		/* readv(data, off, len) */
	BLK_OP_WRITE,		/* writev(data, off, len), rw_flags */
	BLK_OP_FLUSH,		/* fdatasync */
	BLK_OP_FALLOCATE,	/* fallocate(fa_mode, off, len) */
};

/* What a request is, for counters and the write-zeroes fallback. */
enum blk_kind {
	BLK_K_READ, BLK_K_WRITE, BLK_K_FLUSH, BLK_K_GET_ID, BLK_K_DISCARD,
	BLK_K_WRITE_ZEROES, BLK_K_OTHER,
};

/*
 * One request in flight.  iov holds the chain as virtq_pop gave it and is
 * then trimmed in place to the data buffers (data, nr_data).
 */
struct blk_req {
	uint16_t head;			/* chain head, for virtq_push */
	uint8_t op;			/* enum blk_op */
	uint8_t kind;			/* enum blk_kind */
	uint8_t result;			/* status for BLK_OP_NONE */
	uint8_t step;			/* write-zeroes fallback step */
	bool unmap;			/* write zeroes may deallocate */
	uint8_t *status;		/* the guest's status byte */
	uint32_t written;		/* used length when the request succeeds */
	uint64_t off, len;		/* bytes, what is left of the transfer */
	int fa_mode;			/* fallocate mode */
	int rw_flags;			/* RWF_DSYNC when writes must be stable */
	unsigned int nr_data;
	struct iovec *data;
	struct iovec iov[BLK_QUEUE_SIZE];
};

/* What the parser knows of the disk. */
struct blk_disk {
	uint64_t capacity;		/* sectors */
	bool read_only;
	char serial[BLK_ID_BYTES];	/* NUL-padded */
};

/*
 * Parse chain c (whose iovecs are r->iov) into r.  Returns 0 with r->op
 * set (BLK_OP_NONE: complete now with r->result; GET_ID's serial is
 * already copied), or -EPROTO when the chain has no device-writable byte
 * for the status: *why then says what was wrong.  Reads the header and
 * segments once, into locals.
 */
int blk_parse(struct blk_req *r, const struct virtq_chain *c,
	      const struct blk_disk *d, const char **why);

/* Advance r's data iovecs past n bytes (a short transfer). */
void blk_req_advance(struct blk_req *r, uint64_t n);

/* The adaptive polling window (blk_poll.c). */
struct blk_poll {
	uint64_t max_ns;		/* 0: never poll */
	uint64_t cur_ns;		/* the window now, 0 to max_ns */
	unsigned int skipped;		/* settles without a window (cur 0) */
	unsigned int kick_backoff;	/* log2 of notifications to skip */
	unsigned int kick_skip;		/* notifications still to skip */
	uint64_t hits, misses;		/* windows that found work, or not */
};

enum blk_counter {
	BLK_M_READ_COUNT,
	BLK_M_WRITE_COUNT,
	BLK_M_READ_BYTES,
	BLK_M_WRITE_BYTES,
	BLK_M_FLUSH_COUNT,
	BLK_M_DISCARD_COUNT,
	BLK_M_WRITE_ZEROES_COUNT,
	BLK_M_GET_ID_COUNT,
	BLK_M_INVALID_REQS,
	BLK_M_UNSUPPORTED,
	BLK_M_IO_ERRORS,
	BLK_M_UPDATE_COUNT,
	BLK_M_UPDATE_FAILS,
	BLK_M_THROTTLED,	/* sampled from the throttle */
	BLK_M_NR,
};

struct virtio_blk {
	struct virtio_dev vd;
	char *id;			/* drive id, or NULL */
	char *path;
	char name[24];			/* "block_ID" or "block_vdX" */
	enum disk_cache cache;
	int fd;
	bool unlocked;			/* the image's lock not held */
	struct blk_disk disk;
	bool dsync_writes;		/* FLUSH offered, refused, writeback */
	bool no_zero_range, no_punch;	/* what fallocate refused */
	bool draining;			/* reset: finish, do not complete */
	bool need_irq;			/* chains pushed since the last check */
	struct blk_poll poll;
	struct throttle limit;		/* requests wait while .waiting */
	struct blk_io *io;
	struct evloop *loop;
	struct metrics *registry;
	struct metrics_group metrics;
	/* Request slots: as many as the largest queue, so a valid ring can
	 * never have more requests in flight than there are slots. */
	struct blk_req *reqs;
	uint16_t free[BLK_QUEUE_SIZE];	/* a stack of free slot numbers */
	unsigned int nr_free;
};

/* AUTO: io_uring, else (refused by the host) synchronous I/O; the
 * environment variable VMON_BLK_IO=sync picks the latter (tests). */
enum blk_engine { BLK_ENGINE_AUTO, BLK_ENGINE_URING, BLK_ENGINE_SYNC };

struct blk_params {
	const struct disk_config *disk;
	unsigned int index;		/* the n-th disk: default name vdX */
	struct evloop *loop;		/* the VMM thread's, for the eventfd */
	struct metrics *registry;	/* may be NULL */
	enum blk_engine engine;
};

/*
 * Open the image and make an unregistered device (hand &b->vd to a
 * transport).  0, or -errno with a message for the operator in err:
 * -EINVAL for an image that cannot be used (missing, empty, locked...).
 */
int virtio_blk_new(const struct blk_params *p, struct virtio_blk **out,
		   char *err, size_t errlen);
/*
 * Let go of the image's lock, or take it again (waiting up to half a
 * second for another process to let go): a migration hands the image
 * over.  VMM thread, the guest paused.  0, or -EINVAL with err.
 */
int virtio_blk_set_locked(struct virtio_blk *b, bool locked, char *err,
			  size_t errlen);

/* Between blk.c and blk_poll.c (device lock held). */
void blk_serve(struct virtio_blk *b, struct virtq *vq);
void blk_irq_if_needed(struct virtio_blk *b);
bool blk_usable(struct virtio_blk *b, struct virtq *vq);
void blk_poll_setup(struct blk_poll *p);
/* The window for the next settle: cur_ns, or now and then a probe. */
uint64_t blk_poll_window(struct blk_poll *p);
/* A window of `window` ns found work after `waited` ns (hit), or not. */
void blk_poll_adapt(struct blk_poll *p, uint64_t window, bool hit,
		    uint64_t waited);
/* The long window after a notification found work, or not. */
void blk_poll_kick_result(struct blk_poll *p, bool hit);
void blk_settle(struct virtio_blk *b, struct virtq *vq, bool kicked);
/* blk_limit.c: may parsed request r go now?  False: it must wait (the
 * caller puts it back). */
bool blk_limit_take(struct virtio_blk *b, const struct blk_req *r);
int blk_limit_init(struct virtio_blk *b, const struct rate_limiter_config *c,
		   char *err, size_t errlen);

/* vd as the block device it is, or NULL when it is another type. */
struct virtio_blk *virtio_blk_of(struct virtio_dev *vd);

/*
 * Media change (Firecracker's PATCH /drives/{id}): switch to the image
 * at path, same read-only setting, on a running device.  Requests in
 * flight finish first; the driver gets a configuration change interrupt
 * with the new capacity.  VMM thread.  0 or -errno with a message.
 */
int virtio_blk_set_media(struct virtio_blk *b, const char *path, char *err,
			 size_t errlen);

/*
 * Change the rate limit on a running device (PATCH /drives/{id}
 * rate_limiter): the buckets p names are replaced, full.  VMM thread.
 * 0 or -errno with a message.
 */
int virtio_blk_set_limit(struct virtio_blk *b,
			 const struct rate_limiter_patch *p, char *err,
			 size_t errlen);
/* Snapshot ops (blk_state.c): the disk's identity; nothing in flight. */
struct snap_enc;
struct snap_dec;
int virtio_blk_save(struct virtio_dev *vd, struct snap_enc *enc);
int virtio_blk_restore(struct virtio_dev *vd, struct snap_dec *d);

#endif
