// SPDX-License-Identifier: MIT
/*
 * virtio-balloon (VIRTIO 1.2, 5.5): see balloon.h.  Queue work runs on
 * the VMM thread with the device lock held; the statistics timer and the
 * API's calls take the lock themselves.
 */
#include "virtio/balloon.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lib/snapfile.h"
#include "lib/util.h"

#define PCI_CLASS_OTHER		0x00ff00
#define PAGE_SIZE		(1ull << BALLOON_PAGE_SHIFT)

const char *const balloon_stat_names[BALLOON_S_NR] = {
	"swap_in", "swap_out", "major_faults", "minor_faults", "free_memory",
	"total_memory", "available_memory", "disk_caches",
	"hugetlb_allocations", "hugetlb_failures", "oom_kill", "alloc_stall",
	"async_scan", "direct_scan", "async_reclaim", "direct_reclaim",
};

static const char *const counter_names[BALLOON_C_NR] = {
	"inflate_requests", "deflate_requests", "inflated_pages",
	"deflated_pages", "pfns_outside_ram", "pfns_truncated",
	"madvise_errors", "stats_updates", "bad_stats",
};

static struct virtio_balloon *to_balloon(struct virtio_dev *vd)
{
	return container_of(vd, struct virtio_balloon, vd);
}

/* ---- inflate and deflate ----------------------------------------------- */

/*
 * Pages [pfn, pfn + n): drop them from the host (inflate) or only count
 * them (deflate).  A run that is not RAM as a whole (a hole, the end of
 * RAM, MMIO) is taken page by page so the RAM in it still counts.
 */
static void pages(struct virtio_balloon *b, uint64_t pfn, uint64_t n,
		  bool inflate)
{
	const struct guest_mem *gm = b->vd.gm;
	uint8_t *p = gm_ptr(gm, pfn << BALLOON_PAGE_SHIFT,
			    n << BALLOON_PAGE_SHIFT);
	int ret;

	if (!p && n > 1) {
		for (uint64_t i = 0; i < n; i++)
			pages(b, pfn + i, 1, inflate);
		return;
	}
	if (!p) {
		metrics_inc(&b->metrics, BALLOON_C_OUTSIDE_RAM);
		return;
	}
	if (!inflate) {
		metrics_add(&b->metrics, BALLOON_C_DEFLATED_PAGES, n);
		return;
	}
	/* Freed, and zeros at the next touch, whatever backs RAM; KVM's
	 * MMU notifier drops the guest mapping first. */
	if ((ret = gm_discard(gm, p, n << BALLOON_PAGE_SHIFT))) {
		metrics_inc(&b->metrics, BALLOON_C_MADVISE_ERRORS);
		log_ratelimited(&b->vd.rl, LOG_WARN, "%s: discarding %llu "
				"pages at gpa 0x%llx: %s", b->vd.label,
				(unsigned long long)n,
				(unsigned long long)(pfn << BALLOON_PAGE_SHIFT),
				strerror(-ret));
		return;
	}
	/* Their content changed (to zeros): a diff snapshot must carry
	 * them. */
	gm_mark_dirty(gm, pfn << BALLOON_PAGE_SHIFT, n << BALLOON_PAGE_SHIFT);
	metrics_add(&b->metrics, BALLOON_C_INFLATED_PAGES, n);
}

/* One request: an array of le32 PFNs, read in fixed chunks. */
static void pfn_request(struct virtio_balloon *b, const struct virtq_chain *c,
			bool inflate)
{
	uint32_t nr = c->out_bytes / sizeof(uint32_t), pfn[BALLOON_PFN_CHUNK];
	uint64_t run_start = 0, run_len = 0;

	if (nr > BALLOON_MAX_PFNS) {
		metrics_add(&b->metrics, BALLOON_C_TRUNCATED,
			    nr - BALLOON_MAX_PFNS);
		nr = BALLOON_MAX_PFNS;
	}
	for (uint32_t i = 0; i < nr; i += BALLOON_PFN_CHUNK) {
		uint32_t n = nr - i < BALLOON_PFN_CHUNK ? nr - i :
			     BALLOON_PFN_CHUNK;

		virtq_chain_read(c, (size_t)i * sizeof(uint32_t), pfn,
				 n * sizeof(uint32_t));
		/* Contiguous PFNs make one madvise call. */
		for (uint32_t j = 0; j < n; j++) {
			if (run_len && pfn[j] == run_start + run_len) {
				run_len++;
				continue;
			}
			if (run_len)
				pages(b, run_start, run_len, inflate);
			run_start = pfn[j];
			run_len = 1;
		}
	}
	if (run_len)
		pages(b, run_start, run_len, inflate);
}

static void pfn_notify(struct virtio_balloon *b, struct virtq *vq,
		       bool inflate)
{
	struct virtq_chain c;
	unsigned int served = 0;

	virtq_chain_init(&c, b->iov, BALLOON_QUEUE_SIZE);
	while (served < BALLOON_QUEUE_SIZE && virtq_pop(vq, &c) > 0) {
		if (c.nr_in) {				/* rule 8 */
			virtio_fail(&b->vd, "%s request %u has %u "
				    "device-writable descriptors; PFN arrays "
				    "are read-only (5.5.6)",
				    inflate ? "inflate" : "deflate", c.head,
				    c.nr_in);
			return;
		}
		metrics_inc(&b->metrics, inflate ? BALLOON_C_INFLATE_REQS :
						   BALLOON_C_DEFLATE_REQS);
		pfn_request(b, &c, inflate);
		/* 5.5.6: the device acknowledges by using the buffer. */
		virtq_push(vq, c.head, 0);
		served++;
	}
	if (served)
		virtio_queue_interrupt(&b->vd, vq);
	if (served == BALLOON_QUEUE_SIZE)
		virtio_queue_kick(&b->vd, vq->index);
}

/* ---- statistics (5.5.6.3) ---------------------------------------------- */

static void stats_take(struct virtio_balloon *b, const struct virtq_chain *c)
{
	uint32_t n = c->out_bytes / BALLOON_STAT_SIZE;

	if (c->out_bytes % BALLOON_STAT_SIZE)
		metrics_inc(&b->metrics, BALLOON_C_BAD_STATS);
	if (n > BALLOON_MAX_STATS)
		n = BALLOON_MAX_STATS;
	b->stats.present = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t e[BALLOON_STAT_SIZE];
		uint16_t tag;
		uint64_t val;

		virtq_chain_read(c, (size_t)i * BALLOON_STAT_SIZE, e, sizeof(e));
		memcpy(&tag, e, sizeof(tag));
		memcpy(&val, e + 2, sizeof(val));
		if (tag >= BALLOON_S_NR)
			continue;	/* MUST ignore unknown tags */
		b->stats.val[tag] = val;
		b->stats.present |= 1u << tag;
	}
	metrics_inc(&b->metrics, BALLOON_C_STATS_UPDATES);
}

static void stats_notify(struct virtio_balloon *b, struct virtq *vq)
{
	struct virtq_chain c;

	virtq_chain_init(&c, b->iov, BALLOON_QUEUE_SIZE);
	while (virtq_pop(vq, &c) > 0) {
		if (c.nr_in) {				/* rule 8 */
			virtio_fail(&b->vd, "statistics buffer %u has %u "
				    "device-writable descriptors (5.5.6.3)",
				    c.head, c.nr_in);
			return;
		}
		if (b->stats_held) {
			/* The driver MUST keep one buffer at most: return the
			 * older one rather than hold two. */
			metrics_inc(&b->metrics, BALLOON_C_BAD_STATS);
			virtq_push(vq, b->stats_head, 0);
			virtio_queue_interrupt(&b->vd, vq);
		}
		stats_take(b, &c);
		b->stats_held = true;		/* used at the next tick */
		b->stats_head = c.head;
	}
}

/* Every interval: use the buffer in hand, the driver sends fresh ones. */
static void on_stats_timer(void *opaque, uint32_t events)
{
	struct virtio_balloon *b = opaque;
	struct virtq *vq;
	uint64_t n;

	evloop_assert_owner(b->loop);
	if (read(b->timer_fd, &n, sizeof(n)) < 0)
		return;
	virtio_lock(&b->vd);
	vq = &b->vd.queues[BALLOON_STATS_Q].vq;
	if (b->stats_held && virtio_running(&b->vd) && vq->ready) {
		b->stats_held = false;
		virtq_push(vq, b->stats_head, 0);
		virtio_queue_interrupt(&b->vd, vq);
	}
	virtio_unlock(&b->vd);
}

static int stats_timer_set(struct virtio_balloon *b, uint32_t seconds)
{
	struct itimerspec its = {
		.it_value.tv_sec = seconds,
		.it_interval.tv_sec = seconds,
	};

	return timerfd_settime(b->timer_fd, 0, &its, NULL) ? -errno : 0;
}

/* ---- virtio device ops ------------------------------------------------- */

static void balloon_notify(struct virtio_dev *vd, struct virtq *vq)
{
	struct virtio_balloon *b = to_balloon(vd);

	if (vq->index == BALLOON_STATS_Q)
		stats_notify(b, vq);
	else
		pfn_notify(b, vq, vq->index == BALLOON_INFLATE_Q);
}

static void config_image(const struct virtio_balloon *b, uint8_t img[8])
{
	memcpy(img, &b->num_pages, 4);		/* le32 num_pages */
	memcpy(img + 4, &b->actual, 4);		/* le32 actual */
}

static void balloon_config_read(struct virtio_dev *vd, uint32_t off,
				void *buf, uint32_t len)
{
	uint8_t img[8];

	config_image(to_balloon(vd), img);
	memcpy(buf, img + off, len);
}

static void balloon_config_write(struct virtio_dev *vd, uint32_t off,
				 const void *buf, uint32_t len)
{
	struct virtio_balloon *b = to_balloon(vd);
	uint8_t img[8];

	/* Only `actual` is the driver's; num_pages keeps the host's. */
	config_image(b, img);
	memcpy(img + off, buf, len);
	memcpy(&b->actual, img + 4, 4);
}

static void balloon_reset(struct virtio_dev *vd)
{
	struct virtio_balloon *b = to_balloon(vd);

	b->actual = 0;
	b->stats_held = false;
	b->stats.present = 0;
}

static void balloon_destroy(struct virtio_dev *vd)
{
	struct virtio_balloon *b = to_balloon(vd);
	const struct metrics_group *m = &b->metrics;

	log_info("%s: %llu pages inflated, %llu deflated, %llu PFNs outside "
		 "RAM",
		 vd->label,
		 (unsigned long long)metrics_get(m, BALLOON_C_INFLATED_PAGES),
		 (unsigned long long)metrics_get(m, BALLOON_C_DEFLATED_PAGES),
		 (unsigned long long)metrics_get(m, BALLOON_C_OUTSIDE_RAM));
	if (b->timer_fd >= 0) {
		evloop_del(b->loop, b->timer_fd);
		close(b->timer_fd);
	}
	if (b->registry)
		metrics_unregister(b->registry, &b->metrics);
	free(b);
}

/*
 * Snapshot: target and actual pages, the statistics interval and the
 * latest statistics.  Any target is accepted, as from the API: the
 * driver's PFNs are checked against RAM when they come.  The statistics buffer in hand (popped, not yet
 * used) is given back on restore and taken again at the first kick.
 */
static int balloon_save(struct virtio_dev *vd, struct snap_enc *enc)
{
	struct virtio_balloon *b = to_balloon(vd);

	snap_put_u32(enc, b->num_pages);
	snap_put_u32(enc, b->actual);
	snap_put_u32(enc, b->stats_interval_s);
	snap_put_bool(enc, b->stats_held);
	snap_put_u32(enc, b->stats.present);
	for (unsigned int i = 0; i < BALLOON_S_NR; i++)
		snap_put_u64(enc, b->stats.val[i]);
	return enc->err;
}

static int balloon_restore(struct virtio_dev *vd, struct snap_dec *d)
{
	struct virtio_balloon *b = to_balloon(vd);
	uint32_t num_pages, actual, interval, present;
	uint64_t val[BALLOON_S_NR];
	bool held;

	snap_get_u32(d, "balloon.num_pages", &num_pages);
	snap_get_u32(d, "balloon.actual", &actual);
	snap_get_u32(d, "balloon.stats_interval_s", &interval);
	snap_get_bool(d, "balloon.stats_held", &held);
	snap_get_u32(d, "balloon.stats_present", &present);
	for (unsigned int i = 0; i < BALLOON_S_NR; i++)
		snap_get_u64(d, "balloon.stats_val", &val[i]);
	if (d->err)
		return d->err;
	/* Statistics on or off is the configuration's (features_offered). */
	if ((interval != 0) != (b->timer_fd >= 0))
		return snap_dec_fail(d, "balloon.stats_interval_s", "%u s, but "
				     "statistics are %s on this device",
				     interval, b->timer_fd >= 0 ? "on" : "off");
	if (present >> BALLOON_S_NR)
		return snap_dec_fail(d, "balloon.stats_present", "0x%x names "
				     "tags past %u", present, BALLOON_S_NR - 1);
	if (held && (!vd->queues[BALLOON_STATS_Q].enabled ||
		     !vd->queues[BALLOON_STATS_Q].vq.inflight))
		return snap_dec_fail(d, "balloon.stats_held", "a statistics "
				     "buffer in hand, but none is in flight");
	if (snap_dec_end(d))
		return d->err;
	if (b->timer_fd >= 0 && interval != b->stats_interval_s &&
	    stats_timer_set(b, interval))
		return snap_dec_fail(d, "balloon.stats_interval_s", "cannot "
				     "set the statistics timer");
	b->stats_interval_s = interval;
	b->num_pages = num_pages;
	b->actual = actual;
	b->stats.present = present;
	memcpy(b->stats.val, val, sizeof(val));
	b->stats_held = false;
	if (held)
		virtio_queue_rewind(vd, BALLOON_STATS_Q, 1);
	return 0;
}

static const struct virtio_dev_ops balloon_ops = {
	.save = balloon_save,
	.restore = balloon_restore,
	.config_read = balloon_config_read,
	.config_write = balloon_config_write,
	.queue_notify = balloon_notify,
	.reset = balloon_reset,
	.destroy = balloon_destroy,
};

struct virtio_balloon *virtio_balloon_of(struct virtio_dev *vd)
{
	return vd && vd->ops == &balloon_ops ? to_balloon(vd) : NULL;
}

/* ---- the VMM's side ---------------------------------------------------- */

static void lock(struct virtio_balloon *b)
{
	if (b->vd.lock)
		virtio_lock(&b->vd);
}

static void unlock(struct virtio_balloon *b)
{
	if (b->vd.lock)
		virtio_unlock(&b->vd);
}

void virtio_balloon_set_target(struct virtio_balloon *b, uint32_t mib)
{
	lock(b);
	b->num_pages = mib * BALLOON_PAGES_PER_MIB;
	virtio_config_changed(&b->vd);	/* interrupts after DRIVER_OK */
	unlock(b);
}

int virtio_balloon_set_stats_interval(struct virtio_balloon *b,
				      uint32_t seconds)
{
	int ret;

	lock(b);
	if ((b->timer_fd >= 0) != (seconds > 0))
		ret = -EINVAL;
	else
		ret = seconds ? stats_timer_set(b, seconds) : 0;
	if (!ret)
		b->stats_interval_s = seconds;
	unlock(b);
	return ret;
}

void virtio_balloon_get_stats(struct virtio_balloon *b,
			      struct balloon_stats *out)
{
	lock(b);
	*out = b->stats;
	out->target_pages = b->num_pages;
	out->actual_pages = b->actual;
	unlock(b);
}

struct virtio_balloon *virtio_balloon_new(const struct balloon_config *cfg,
					  struct evloop *loop,
					  struct metrics *registry)
{
	struct virtio_balloon *b = calloc(1, sizeof(*b));
	bool stats = cfg->stats_interval_s > 0;

	if (!b)
		return NULL;
	b->loop = loop;
	b->timer_fd = -1;
	b->num_pages = cfg->target_mib * BALLOON_PAGES_PER_MIB;
	b->stats_interval_s = cfg->stats_interval_s;
	metrics_group_init(&b->metrics, "balloon", counter_names, BALLOON_C_NR);
	b->vd = (struct virtio_dev){
		.name = "virtio-balloon",
		.type = VIRTIO_ID_BALLOON,
		.pci_class = PCI_CLASS_OTHER,
		/* statsq exists only with STATS_VQ (5.5.2). */
		.num_queues = stats ? 3 : 2,
		.queue_max_size = BALLOON_QUEUE_SIZE,
		.features_offered =
			(stats ? VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ) : 0) |
			(cfg->deflate_on_oom ?
			 VIRTIO_BIT(VIRTIO_BALLOON_F_DEFLATE_ON_OOM) : 0),
		.config_size = 8,
		.ops = &balloon_ops,
	};
	if (stats) {
		b->timer_fd = timerfd_create(CLOCK_MONOTONIC,
					     TFD_NONBLOCK | TFD_CLOEXEC);
		if (b->timer_fd < 0 ||
		    stats_timer_set(b, cfg->stats_interval_s) ||
		    evloop_add(loop, b->timer_fd, EPOLLIN, on_stats_timer, b)) {
			log_error("virtio-balloon: statistics timer: %s",
				  strerror(errno));
			if (b->timer_fd >= 0)
				close(b->timer_fd);
			free(b);
			return NULL;
		}
	}
	if (registry) {
		b->registry = registry;
		metrics_register(registry, &b->metrics);
	}
	return b;
}
