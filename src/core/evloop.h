/* SPDX-License-Identifier: MIT */
/*
 * The VMM thread's event loop: epoll over file descriptors (signals, the
 * console, the stop eventfd, device ioeventfds, backends), plus a queue
 * through which other threads (the API thread) run a function on the VMM
 * thread and wait for it.  Only the thread that runs the loop touches
 * device state reached from callbacks, so those need no locks of their own
 * against each other.
 *
 * The loop belongs to the thread that calls evloop_init(), which must be
 * the one that runs it.  Everything marked "loop thread" below may only be
 * called there; in debug builds (VMON_DEBUG: `make DEBUG=1`, `make SAN=1`)
 * evloop_assert_owner() checks it and aborts with the caller's name, file
 * and line, and device work registered on the loop checks it too.
 */
#ifndef VMON_CORE_EVLOOP_H
#define VMON_CORE_EVLOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

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
	pthread_t owner;		/* the thread that runs the loop */
	pid_t owner_tid;		/* the same, for messages */
};

/* Make the loop, owned by the calling thread.  0 or -errno. */
int evloop_init(struct evloop *l);
/* Loop thread. */
void evloop_destroy(struct evloop *l);

/* True on the loop's own thread. */
bool evloop_owned(const struct evloop *l);

/* Report a call on the wrong thread (fn: the caller), and abort. */
void evloop_owner_violation(const struct evloop *l, const char *fn,
			    const char *file, int line)
	__attribute__((noreturn, cold));

/*
 * In debug builds, abort unless called on l's thread (a NULL l, a device
 * made without a loop in a unit test, passes).  Compiled out otherwise:
 * the rule it checks is the code's, not a guest's to break.
 */
#ifdef VMON_DEBUG
#define evloop_assert_owner(l)						\
	do {								\
		const struct evloop *l_ = (l);				\
									\
		if (l_ && !evloop_owned(l_))				\
			evloop_owner_violation(l_, __func__, __FILE__,	\
					       __LINE__);		\
	} while (0)
#else
#define evloop_assert_owner(l) ((void)(l))
#endif

/* Watch fd for events (EPOLLIN...).  Returns 0 or -errno.  Loop thread. */
int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn,
	       void *opaque);
/* Change the events watched on fd (0 pauses it).  Loop thread. */
int evloop_mod(struct evloop *l, int fd, uint32_t events);
/* Stop watching fd.  Loop thread. */
int evloop_del(struct evloop *l, int fd);

/*
 * Wait up to timeout_ms (-1: forever) and dispatch what is ready, calls
 * posted by other threads included.  Returns the number of handlers run,
 * or -errno.  Loop thread.
 */
int evloop_run_once(struct evloop *l, int timeout_ms);

/*
 * From any other thread: run fn(arg) on the loop thread and wait for it to
 * return; returns fn's result.  The loop must be running (or about to).
 * Never on the loop thread itself, which would wait for itself forever
 * (debug builds abort instead).
 */
int evloop_call(struct evloop *l, int (*fn)(void *arg), void *arg);

#endif
