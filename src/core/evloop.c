// SPDX-License-Identifier: MIT
#include "core/evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/log.h"

struct evloop_call {
	int (*fn)(void *arg);
	void *arg;
	int result;
	bool done;
	pthread_cond_t cond;
	struct evloop_call *next;
};

#define WAKE_SLOT UINT64_MAX

static uint64_t tag(const struct evloop *l, unsigned int slot)
{
	return (uint64_t)l->h[slot].gen << 32 | slot;
}

int evloop_init(struct evloop *l)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_SLOT };
	int ret;

	memset(l, 0, sizeof(*l));
	l->owner = pthread_self();
	l->owner_tid = gettid();
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake_fd < 0) {
		ret = -errno;
		goto err_ep;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wake_fd, &ev) < 0) {
		ret = -errno;
		goto err_wake;
	}
	if ((ret = -pthread_mutex_init(&l->lock, NULL)))
		goto err_wake;
	return 0;
err_wake:
	close(l->wake_fd);
err_ep:
	close(l->epfd);
	return ret;
}

bool evloop_owned(const struct evloop *l)
{
	return pthread_equal(l->owner, pthread_self());
}

void evloop_owner_violation(const struct evloop *l, const char *fn,
			    const char *file, int line)
{
	/*
	 * Nothing but write() and abort(): the caller may be a thread
	 * under seccomp (a vCPU's filter allows neither gettid nor prctl).
	 */
	if (evloop_owned(l))
		log_error("%s (%s:%d) called on the event loop's own thread "
			  "(%d), where it would wait for itself: a bug in vmon",
			  fn, file, line, (int)l->owner_tid);
	else
		log_error("%s (%s:%d) called off the event loop's thread "
			  "(%d), the only one it may run on: a bug in vmon",
			  fn, file, line, (int)l->owner_tid);
	abort();
}

void evloop_destroy(struct evloop *l)
{
	evloop_assert_owner(l);
	/* Fail any caller still waiting rather than leave it hanging. */
	pthread_mutex_lock(&l->lock);
	for (struct evloop_call *c = l->head; c; c = c->next) {
		c->result = -ECANCELED;
		c->done = true;
		pthread_cond_signal(&c->cond);
	}
	l->head = l->tail = NULL;
	pthread_mutex_unlock(&l->lock);
	close(l->wake_fd);
	close(l->epfd);
	free(l->h);
	pthread_mutex_destroy(&l->lock);
}

static int find(struct evloop *l, int fd)
{
	for (unsigned int i = 0; i < l->nr; i++)
		if (l->h[i].active && l->h[i].fd == fd)
			return (int)i;
	return -1;
}

int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn,
	       void *opaque)
{
	struct epoll_event ev = { .events = events };
	unsigned int slot;

	evloop_assert_owner(l);
	if (fd < 0 || !fn || find(l, fd) >= 0)
		return -EINVAL;
	for (slot = 0; slot < l->nr; slot++)
		if (!l->h[slot].active)
			break;
	if (slot == l->nr) {
		if (l->nr == l->cap) {
			unsigned int cap = l->cap ? l->cap * 2 : 16;
			struct evloop_handler *h =
				realloc(l->h, cap * sizeof(*h));

			if (!h)
				return -ENOMEM;
			l->h = h;
			l->cap = cap;
		}
		l->h[slot] = (struct evloop_handler){ .fd = -1 };
		l->nr++;
	}
	l->h[slot].gen++;
	ev.data.u64 = tag(l, slot);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		if (slot == l->nr - 1)
			l->nr--;
		return -errno;
	}
	l->h[slot] = (struct evloop_handler){ fd, fn, opaque, true,
					      l->h[slot].gen };
	return 0;
}

int evloop_mod(struct evloop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int slot;

	evloop_assert_owner(l);
	slot = find(l, fd);
	if (slot < 0)
		return -ENOENT;
	ev.data.u64 = tag(l, (unsigned int)slot);
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int evloop_del(struct evloop *l, int fd)
{
	int slot;

	evloop_assert_owner(l);
	slot = find(l, fd);
	if (slot < 0)
		return -ENOENT;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->h[slot].active = false;
	return 0;
}

static void run_calls(struct evloop *l)
{
	uint64_t n;

	if (read(l->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&l->lock);
	while (l->head) {
		struct evloop_call *c = l->head;

		l->head = c->next;
		if (!l->head)
			l->tail = NULL;
		/* Run without the lock: fn may take a while. */
		pthread_mutex_unlock(&l->lock);
		int r = c->fn(c->arg);
		pthread_mutex_lock(&l->lock);
		c->result = r;
		c->done = true;
		pthread_cond_signal(&c->cond);
	}
	pthread_mutex_unlock(&l->lock);
}

int evloop_run_once(struct evloop *l, int timeout_ms)
{
	struct epoll_event ev[32];
	int n, ran = 0;

	evloop_assert_owner(l);
	n = epoll_wait(l->epfd, ev, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		uint64_t data = ev[i].data.u64;
		uint32_t slot = (uint32_t)data;

		if (data == WAKE_SLOT) {
			run_calls(l);
			ran++;
			continue;
		}
		/*
		 * A handler may have removed itself or another one, and a
		 * new fd may have taken the slot since: the generation says.
		 */
		if (slot >= l->nr || !l->h[slot].active ||
		    l->h[slot].gen != (uint32_t)(data >> 32))
			continue;
		l->h[slot].fn(l->h[slot].opaque, ev[i].events);
		ran++;
	}
	return ran;
}

int evloop_call(struct evloop *l, int (*fn)(void *arg), void *arg)
{
	struct evloop_call c = { .fn = fn, .arg = arg };
	uint64_t one = 1;
	int ret;

#ifdef VMON_DEBUG
	if (evloop_owned(l))	/* it would wait for itself forever */
		evloop_owner_violation(l, __func__, __FILE__, __LINE__);
#endif
	pthread_cond_init(&c.cond, NULL);
	pthread_mutex_lock(&l->lock);
	if (l->tail)
		l->tail->next = &c;
	else
		l->head = &c;
	l->tail = &c;
	pthread_mutex_unlock(&l->lock);
	if (write(l->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;	/* cannot happen with a valid eventfd */
	pthread_mutex_lock(&l->lock);
	while (!c.done)
		pthread_cond_wait(&c.cond, &l->lock);
	ret = c.result;
	pthread_mutex_unlock(&l->lock);
	pthread_cond_destroy(&c.cond);
	return ret;
}
