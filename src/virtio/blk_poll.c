// SPDX-License-Identifier: MIT
/*
 * virtio-blk's adaptive busy-polling, in the spirit of QEMU's adaptive
 * AioContext polling and vhost's busy-poll.
 *
 * The limit is BLK_POLL_US (blk.h); VMON_BLK_POLL_US=0 turns it off.
 *
 * A notification costs the guest a VM exit and us a wakeup; on the hosts
 * vmon is built on an exit from CPL3 is tens of microseconds, more than a
 * 4 KiB read from the page cache.  So once the device has served what
 * was there, and nothing of its own is in flight, it keeps looking at the
 * ring for a short window with the driver's notifications off
 * (VIRTQ_USED_F_NO_NOTIFY or avail_event): a driver that sends its next
 * request within the window pays no exit for it.
 *
 * The window adapts to what the driver does, window by window.  A window
 * that ends with nothing (a miss) halves, down to 0: no polling.  A
 * request found late in a window (in its second half: a close call)
 * doubles it, up to max_ns; when it is 0, one settle in BLK_POLL_PROBE
 * still tries a BLK_POLL_START_NS window, so polling comes back when the
 * driver is quick again.  A busy host, where the guest's vCPU waits for
 * a CPU, misses and turns polling off.  No polling while our own I/O is
 * in flight: the backend's workers need the CPU more than we need to
 * watch the ring.
 *
 * After a notification the driver is still in its VM exit while we serve
 * the request (tens of microseconds from CPL3 on the PVM hosts vmon is
 * built on), so a window short enough for a quick driver always misses
 * there: the first window after a notification is max_ns.  When one
 * misses, the next 2, 4 ... 64 notifications get no polling at all (the
 * driver is not one that keeps the queue busy, or its vCPU shares our
 * CPU and cannot run while we spin); a hit ends that back-off.  (QEMU
 * grows its window from the time it then blocks until the notification;
 * here that time is mostly the exit itself, so it cannot tell a quick
 * driver from a slow one.)
 *
 * The device lock is dropped between looks (vCPUs reach the registers),
 * and a window never holds the VMM thread more than BLK_POLL_BUDGET_NS:
 * then notifications stay off and the device comes back through its own
 * queue eventfd, after the loop has served everything else.
 */
#include "lib/clock.h"
#include "virtio/blk.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "virtio/blk_io.h"

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
	*p = (struct blk_poll){ .max_ns = us * 1000ull,
				.cur_ns = us * 1000ull };
}

uint64_t blk_poll_window(struct blk_poll *p)
{
	if (p->cur_ns || !p->max_ns)
		return p->cur_ns;
	if (++p->skipped < BLK_POLL_PROBE)
		return 0;
	p->skipped = 0;
	return BLK_POLL_START_NS < p->max_ns ? BLK_POLL_START_NS : p->max_ns;
}

void blk_poll_adapt(struct blk_poll *p, uint64_t window, bool hit,
		    uint64_t waited)
{
	uint64_t next = p->cur_ns ? p->cur_ns : window;

	if (hit) {
		p->hits++;
		if (waited * 2 > window)	/* a close call: more room */
			next = next * 2 < p->max_ns ? next * 2 : p->max_ns;
		p->cur_ns = next;
	} else {
		p->misses++;
		p->cur_ns /= 2;
		if (p->cur_ns < BLK_POLL_START_NS)
			p->cur_ns = 0;
	}
}

/*
 * Watch the ring for `window` after each request served.  True when a
 * window ran out, or our own I/O went in flight; false when the device
 * went away (reset, failure) or the budget ran out (we kicked ourselves).
 */
static bool poll_queue(struct virtio_blk *b, struct virtq *vq, uint64_t window,
		       bool kicked)
{
	struct blk_poll *p = &b->poll;
	uint64_t t = clock_mono_ns(), from = t, stop = t + BLK_POLL_BUDGET_NS;
	bool first = kicked && window == p->max_ns;

	for (;;) {
		virtio_unlock(&b->vd);
		cpu_relax();
		virtio_lock(&b->vd);
		if (!blk_usable(b, vq))
			return false;
		t = clock_mono_ns();
		if (virtq_avail_pending(vq)) {
			if (first)
				blk_poll_kick_result(p, true);
			first = false;
			blk_poll_adapt(p, window, true, t - from);
			window = p->cur_ns;
			blk_serve(b, vq);
			/* Its completion, or the limiter's timer, wakes us. */
			if (b->io->inflight || !window || b->limit.waiting)
				return true;
			from = clock_mono_ns();
			continue;
		}
		if (t - from >= window) {
			if (first)
				blk_poll_kick_result(p, false);
			else
				blk_poll_adapt(p, window, false, 0);
			return true;
		}
		if (t >= stop) {
			virtio_queue_kick(&b->vd, vq->index);
			return false;
		}
	}
}

/* The first window after a notification: max_ns, unless backing off. */
static uint64_t kick_window(struct blk_poll *p)
{
	if (!p->max_ns)
		return 0;
	if (p->kick_skip) {
		p->kick_skip--;
		return 0;
	}
	return p->max_ns;
}

void blk_poll_kick_result(struct blk_poll *p, bool hit)
{
	if (hit) {
		p->kick_backoff = 0;
		return;
	}
	if (p->kick_backoff < 6)
		p->kick_backoff++;
	p->kick_skip = 1u << p->kick_backoff;
}

/*
 * After serving, with the driver's notifications off: poll if the window
 * says so, then turn notifications on and look once more for what came
 * before the driver could see them on.  `kicked`: we came from the
 * driver's notification.
 */
void blk_settle(struct virtio_blk *b, struct virtq *vq, bool kicked)
{
	uint64_t window;

	/* Throttled: the limiter's timer serves the queue, nothing spins. */
	if (b->limit.waiting)
		return;
	if (!b->io->inflight && blk_usable(b, vq)) {
		window = kicked ? kick_window(&b->poll) :
				  blk_poll_window(&b->poll);
		if (window && !poll_queue(b, vq, window, kicked))
			return;
	}
	while (blk_usable(b, vq) && !b->limit.waiting) {
		virtq_set_notification(vq, true);
		if (!virtq_avail_pending(vq))
			break;
		virtq_set_notification(vq, false);
		blk_serve(b, vq);
	}
}
