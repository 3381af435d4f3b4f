// SPDX-License-Identifier: MIT
/* A queue's rate limit and its timer; see throttle.h. */
#include "virtio/throttle.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/evloop.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "virtio/virtio.h"

/* The timer, on the VMM thread: serve what waited. */
static void on_timer(void *opaque, uint32_t events)
{
	struct throttle *t = opaque;
	uint64_t n;

	(void)events;
	if (read(t->timer_fd, &n, sizeof(n)) < 0)
		return;	/* EAGAIN: disarmed meanwhile */
	virtio_lock(t->vd);
	if (t->waiting) {
		t->waiting = false;
		t->fire(t->opaque);
	}
	virtio_unlock(t->vd);
}

int throttle_init(struct throttle *t, const struct rate_limiter_config *limit,
		  struct evloop *loop, struct virtio_dev *vd,
		  void (*fire)(void *opaque), void *opaque)
{
	static const struct rate_limiter_config off;
	int ret;

	*t = (struct throttle){ .timer_fd = -1, .vd = vd, .fire = fire,
				.opaque = opaque };
	t->cfg = limit ? *limit : off;
	rate_limiter_init(&t->limit, &t->cfg, clock_mono_ns());
	t->on = rate_limiter_on(&t->limit);
	if (!loop)
		return t->on ? -EINVAL : 0;
	t->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->timer_fd < 0)
		return -errno;
	if ((ret = evloop_add(loop, t->timer_fd, EPOLLIN, on_timer, t))) {
		close(t->timer_fd);
		t->timer_fd = -1;
		return ret;
	}
	t->loop = loop;
	return 0;
}

void throttle_destroy(struct throttle *t)
{
	if (t->timer_fd < 0)
		return;
	evloop_del(t->loop, t->timer_fd);
	close(t->timer_fd);
	t->timer_fd = -1;
}

/* Serve again in ns nanoseconds. */
static void arm(struct throttle *t, uint64_t ns)
{
	struct itimerspec its = { 0 };

	counter_inc(&t->throttled);
	if (ns < 1000)
		ns = 1000;	/* 0 would disarm it */
	its.it_value.tv_sec = (time_t)(ns / 1000000000ULL);
	its.it_value.tv_nsec = (long)(ns % 1000000000ULL);
	if (timerfd_settime(t->timer_fd, 0, &its, NULL) < 0) {
		/* Cannot happen with a valid fd; serve rather than stall. */
		log_warn("%s: throttle timer: %m; serving unthrottled",
			 t->vd->label);
		t->on = false;
		t->fire(t->opaque);
		return;
	}
	t->waiting = true;
}

bool throttle_take(struct throttle *t, uint64_t bytes)
{
	uint64_t now;

	if (t->waiting)
		return false;
	if (!t->on)
		return true;
	now = clock_mono_ns();
	if (rate_limiter_take(&t->limit, bytes, now))
		return true;
	arm(t, rate_limiter_wait_ns(&t->limit, bytes, now));
	return false;
}

void throttle_charge(struct throttle *t, uint64_t bytes)
{
	if (t->on)
		tbucket_charge(&t->limit.bytes, bytes, clock_mono_ns());
}

void throttle_give_back(struct throttle *t, uint64_t bytes)
{
	if (t->on)
		rate_limiter_give_back(&t->limit, bytes);
}

int throttle_update(struct throttle *t, const struct rate_limiter_patch *p)
{
	struct rate_limiter_config cfg = t->cfg;
	struct rate_limiter r = t->limit;

	rate_limiter_patch_config(&cfg, p);
	rate_limiter_patch(&r, p, clock_mono_ns());
	if (rate_limiter_on(&r) && t->timer_fd < 0)
		return -EINVAL;
	t->cfg = cfg;
	t->limit = r;
	t->on = rate_limiter_on(&r);
	/* What waited goes by the new buckets now; a stale timer finds
	 * nothing to do. */
	if (t->waiting) {
		t->waiting = false;
		t->fire(t->opaque);
	}
	return 0;
}
