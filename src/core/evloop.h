/* SPDX-License-Identifier: MIT */
/*
 * The VMM thread's event loop: epoll over file descriptors (signals, the
 * console, the stop eventfd, device ioeventfds, backends), plus a queue
 * through which other threads (the API thread) run a function on the VMM
 * thread and wait for it.  Only the thread that runs the loop touches
 * device state reached from callbacks, so those need no locks of their own
 * against each other.
 */
#ifndef VMON_CORE_EVLOOP_H
#define VMON_CORE_EVLOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* Called on the loop thread with the epoll events that fired. */
typedef void (*evloop_fn)(void *opaque, uint32_t events);

/*
 * A slot.  epoll reports (gen << 32 | slot): an event of an fd removed
 * in the same batch never reaches whoever took its slot since.
 */
struct evloop_handler {
	int fd;
	evloop_fn fn;
	void *opaque;
	bool active;
	uint32_t gen;
};

struct evloop_call;

struct evloop {
	int epfd;
	int wake_fd;			/* eventfd: a call was posted */
	struct evloop_handler *h;	/* slots, addressed by epoll data */
	unsigned int nr, cap;
	pthread_mutex_t lock;		/* protects the call queue */
	struct evloop_call *head, *tail;
};

int evloop_init(struct evloop *l);
void evloop_destroy(struct evloop *l);

/* Watch fd for events (EPOLLIN...).  Returns 0 or -errno.  Loop thread. */
int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn,
	       void *opaque);
/* Change the events watched on fd (0 pauses it).  Loop thread. */
int evloop_mod(struct evloop *l, int fd, uint32_t events);
int evloop_del(struct evloop *l, int fd);

/*
 * Wait up to timeout_ms (-1: forever) and dispatch what is ready, calls
 * posted by other threads included.  Returns the number of handlers run,
 * or -errno.
 */
int evloop_run_once(struct evloop *l, int timeout_ms);

/*
 * From any other thread: run fn(arg) on the loop thread and wait for it to
 * return; returns fn's result.  The loop must be running (or about to).
 */
int evloop_call(struct evloop *l, int (*fn)(void *arg), void *arg);

#endif
