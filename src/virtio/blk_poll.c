// SPDX-License-Identifier: MIT
/*
 * virtio-blk's adaptive busy-polling, after QEMU's (util/aio-posix.c,
 * adaptive polling) and vhost's busy-poll.
 *
 * A notification costs the guest a VM exit and us a wakeup; on the hosts
 * vmon is built on an exit from CPL3 is tens of microseconds, more than a
 * 4 KiB read from the page cache.  So once the device has served what
 * was there, and nothing of its own is in flight, it keeps looking at the
 * ring for a short window with the driver's notifications off
 * (VIRTQ_USED_F_NO_NOTIFY or avail_event): a driver that sends its next
 * request within the window pays no exit for it.
 *
 * The window adapts to what the driver does.  When it ended with nothing
 * and the driver's next notification came within the limit (max_ns), a
 * longer window would have caught it: it doubles (from 4 us).  When the
 * next notification came later than the limit, polling was wasted CPU:
 * it halves, down to 0 (no polling; it grows again the same way).  A
 * busy host, where the guest's vCPU waits for a CPU, shows long gaps and
 * turns polling off.  No polling while our own I/O is in flight: the
 * backend's workers need the CPU more than we need to watch the ring.
 *
 * The device lock is dropped between looks (vCPUs reach the registers),
 * and a window never holds the VMM thread more than BLK_POLL_BUDGET_NS:
 * then notifications stay off and the device comes back through its own
 * queue eventfd, after the loop has served everything else.
 */
#include "virtio/blk.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "virtio/blk_io.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("pause" ::: "memory");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

void blk_poll_setup(struct blk_poll *p)
{
	const char *env = getenv("VMON_BLK_POLL_US");
	unsigned long us = BLK_POLL_US;

	if (env && *env)
		us = strtoul(env, NULL, 10);
	if (us > 1000)
		us = 1000;
	/* One CPU: whoever we wait for cannot run while we spin. */
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		us = 0;
	*p = (struct blk_poll){ .max_ns = us * 1000ull };
}

/* The driver notified us: was the last window long enough? */
void blk_poll_kicked(struct blk_poll *p)
{
	uint64_t gap;

	if (!p->max_ns || !p->idle_since)
		return;
	gap = now_ns() - p->idle_since;
	p->idle_since = 0;
	if (gap <= p->max_ns) {
		p->cur_ns = p->cur_ns ? p->cur_ns * 2 : BLK_POLL_START_NS;
		if (p->cur_ns > p->max_ns)
			p->cur_ns = p->max_ns;
	} else {
		p->cur_ns /= 2;
		if (p->cur_ns < BLK_POLL_START_NS)
			p->cur_ns = 0;
	}
}

/*
 * Watch the ring for up to cur_ns after the last request.  True when the
 * window ran out idle; false when the device went away (reset, failure)
 * or the budget ran out (and we kicked ourselves).
 */
static bool poll_queue(struct virtio_blk *b, struct virtq *vq)
{
	struct blk_poll *p = &b->poll;
	uint64_t t = now_ns(), idle_end = t + p->cur_ns;
	uint64_t stop = t + BLK_POLL_BUDGET_NS;

	p->windows++;
	for (;;) {
		virtio_unlock(&b->vd);
		cpu_relax();
		virtio_lock(&b->vd);
		if (!blk_usable(b, vq))
			return false;
		t = now_ns();
		if (virtq_avail_pending(vq)) {
			p->hits++;
			blk_serve(b, vq);
			if (b->io->inflight)
				return true;	/* its completion wakes us */
			idle_end = t + p->cur_ns;
		}
		if (t >= idle_end)
			return true;
		if (t >= stop) {
			virtio_queue_kick(&b->vd, vq->index);
			return false;
		}
	}
}

/*
 * After serving, with the driver's notifications off: poll if the window
 * says so, then turn notifications on and look once more for what came
 * before the driver could see them on.
 */
void blk_settle(struct virtio_blk *b, struct virtq *vq)
{
	struct blk_poll *p = &b->poll;

	if (p->cur_ns && !b->io->inflight && blk_usable(b, vq) &&
	    !poll_queue(b, vq))
		return;
	while (blk_usable(b, vq)) {
		virtq_set_notification(vq, true);
		if (!virtq_avail_pending(vq))
			break;
		virtq_set_notification(vq, false);
		blk_serve(b, vq);
	}
	if (p->max_ns && !b->io->inflight)
		p->idle_since = now_ns();
}
