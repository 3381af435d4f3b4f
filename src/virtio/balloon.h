/* SPDX-License-Identifier: MIT */
/*
 * virtio-balloon, the traditional memory balloon (VIRTIO 1.2, 5.5).
 *
 *   inflateq (0)  the driver gives pages: arrays of le32 page frame
 *                 numbers (4 KiB units, 5.5.6).  vmon drops the host
 *                 pages behind them (madvise MADV_DONTNEED on the private
 *                 anonymous RAM mapping), so the VMM's RSS falls; the
 *                 guest gets zeroed pages if it touches them again.
 *   deflateq (1)  the driver takes pages back: nothing to do on the host
 *                 (MUST_TELL_HOST is not offered), only counted.
 *   statsq (2)    with VIRTIO_BALLOON_F_STATS_VQ (offered when a
 *                 statistics interval is configured): vmon keeps the
 *                 driver's buffer and uses it every interval, the driver
 *                 refills it; the latest tag/value pairs are kept for
 *                 GET /balloon/statistics.
 *
 * Configuration (5.5.4): le32 num_pages, the target the host sets (the
 * driver cannot write it), and le32 actual, what the driver says it
 * holds.  DEFLATE_ON_OOM is offered when configured.
 *
 * Guest input (guest-input.md 17, rule 8): PFNs outside guest RAM are
 * ignored and counted; a request is read in fixed chunks and at most
 * BALLOON_MAX_PFNS of it are used, a statistics buffer at most
 * BALLOON_MAX_STATS entries: nothing is sized by a guest length.  A
 * device-writable buffer on any queue fails the device.
 */
#ifndef VMON_VIRTIO_BALLOON_H
#define VMON_VIRTIO_BALLOON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/evloop.h"
#include "lib/metrics.h"
#include "virtio/virtio.h"

/* The device, as the configuration gives it. */
struct balloon_config {
	bool enabled;
	uint32_t target_mib;
	bool deflate_on_oom;
	uint32_t stats_interval_s;	/* 0: statistics off */
};

#define VIRTIO_BALLOON_F_MUST_TELL_HOST	0
#define VIRTIO_BALLOON_F_STATS_VQ	1
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM	2

#define BALLOON_QUEUE_SIZE	256
#define BALLOON_INFLATE_Q	0
#define BALLOON_DEFLATE_Q	1
#define BALLOON_STATS_Q		2
#define BALLOON_PAGE_SHIFT	12		/* 5.5.6: always 4 KiB */
#define BALLOON_PAGES_PER_MIB	256
/* Per request: Linux sends 256 PFNs; 1 GiB worth is plenty. */
#define BALLOON_MAX_PFNS	(1u << 18)
#define BALLOON_PFN_CHUNK	256
#define BALLOON_MAX_STATS	64		/* entries read per buffer */
#define BALLOON_STAT_SIZE	10		/* le16 tag, le64 val */

/* Statistics tags (5.5.6.3; 10-15 are Linux's later additions). */
enum balloon_tag {
	BALLOON_S_SWAP_IN, BALLOON_S_SWAP_OUT, BALLOON_S_MAJFLT,
	BALLOON_S_MINFLT, BALLOON_S_MEMFREE, BALLOON_S_MEMTOT,
	BALLOON_S_AVAIL, BALLOON_S_CACHES, BALLOON_S_HTLB_PGALLOC,
	BALLOON_S_HTLB_PGFAIL, BALLOON_S_OOM_KILL, BALLOON_S_ALLOC_STALL,
	BALLOON_S_ASYNC_SCAN, BALLOON_S_DIRECT_SCAN, BALLOON_S_ASYNC_RECLAIM,
	BALLOON_S_DIRECT_RECLAIM, BALLOON_S_NR,
};

/* Firecracker's BalloonStats field name of each tag. */
extern const char *const balloon_stat_names[BALLOON_S_NR];

/* What GET /balloon/statistics reports. */
struct balloon_stats {
	uint32_t target_pages, actual_pages;
	uint32_t present;		/* bit per tag the driver reported */
	uint64_t val[BALLOON_S_NR];
};

enum balloon_counter {
	BALLOON_C_INFLATE_REQS,
	BALLOON_C_DEFLATE_REQS,
	BALLOON_C_INFLATED_PAGES,
	BALLOON_C_DEFLATED_PAGES,
	BALLOON_C_OUTSIDE_RAM,		/* PFNs ignored */
	BALLOON_C_TRUNCATED,		/* PFNs beyond BALLOON_MAX_PFNS */
	BALLOON_C_MADVISE_ERRORS,
	BALLOON_C_STATS_UPDATES,
	BALLOON_C_BAD_STATS,		/* extra buffers, odd lengths */
	BALLOON_C_NR,
};

struct virtio_balloon {
	struct virtio_dev vd;
	struct evloop *loop;
	struct metrics *registry;
	struct metrics_group metrics;	/* enum balloon_counter */

	uint32_t num_pages;		/* target */
	uint32_t actual;		/* the driver's */
	uint32_t stats_interval_s;
	int timer_fd;			/* -1 without statistics */
	bool stats_held;		/* a statsq buffer is in hand */
	uint16_t stats_head;
	struct balloon_stats stats;
	struct iovec iov[BALLOON_QUEUE_SIZE];
};

/*
 * A new, unregistered device (hand &b->vd to a transport) or NULL.  The
 * statistics timer goes on `loop`; `registry` (may be NULL) gets the
 * "balloon" counters.
 */
struct virtio_balloon *virtio_balloon_new(const struct balloon_config *cfg,
					  struct evloop *loop,
					  struct metrics *registry);

/* vd as the balloon it is, or NULL when it is another type. */
struct virtio_balloon *virtio_balloon_of(struct virtio_dev *vd);

/* For the VMM thread, outside device callbacks (they take the lock). */
void virtio_balloon_set_target(struct virtio_balloon *b, uint32_t mib);
/* 0, or -EINVAL to turn statistics on or off (only the interval changes
 * after the start, as in Firecracker). */
int virtio_balloon_set_stats_interval(struct virtio_balloon *b,
				      uint32_t seconds);
void virtio_balloon_get_stats(struct virtio_balloon *b,
			      struct balloon_stats *out);

#endif
