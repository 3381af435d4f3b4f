// SPDX-License-Identifier: MIT
/*
 * The event loop's slots: an event of an fd removed earlier in the same
 * epoll batch must not reach the handler that has taken its slot since.
 * Its owner: only the thread that made it counts as the loop's, and in
 * debug builds (VMON_DEBUG) loop-only calls from any other thread abort,
 * as does evloop_call from the loop's own thread.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/evloop.h"

struct fx {
	struct evloop loop;
	int a, b, c;		/* eventfds, all readable */
	unsigned int first_runs, newcomer_runs;
	uint32_t newcomer_events;
};

static void newcomer(void *opaque, uint32_t events)
{
	struct fx *f = opaque;

	f->newcomer_runs++;
	f->newcomer_events = events;
}

/*
 * Whichever of a and b runs first removes the other, gives its slot to c
 * (the lowest free one), then removes itself.  c is watched for nothing:
 * any call to newcomer now comes from the other's stale event.
 */
static void takeover(struct fx *f, int self, int other)
{
	f->first_runs++;
	evloop_del(&f->loop, other);
	assert_int_equal(evloop_add(&f->loop, f->c, 0, newcomer, f), 0);
	evloop_del(&f->loop, self);
}

static void first_a(void *opaque, uint32_t events)
{
	struct fx *f = opaque;

	takeover(f, f->a, f->b);
}

static void first_b(void *opaque, uint32_t events)
{
	struct fx *f = opaque;

	takeover(f, f->b, f->a);
}

static void stale_event_skips_a_reused_slot(void **state)
{
	struct fx f = { 0 };
	uint64_t one = 1;

	assert_int_equal(evloop_init(&f.loop), 0);
	f.a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f.b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f.c = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	assert_true(f.a >= 0 && f.b >= 0 && f.c >= 0);
	assert_int_equal(write(f.a, &one, 8), 8);
	assert_int_equal(write(f.b, &one, 8), 8);
	assert_int_equal(write(f.c, &one, 8), 8);
	assert_int_equal(evloop_add(&f.loop, f.a, EPOLLIN, first_a, &f), 0);
	assert_int_equal(evloop_add(&f.loop, f.b, EPOLLIN, first_b, &f), 0);

	/* One batch with both events: the second one is stale. */
	assert_int_equal(evloop_run_once(&f.loop, 1000), 1);
	assert_int_equal(f.first_runs, 1);
	assert_int_equal(f.newcomer_runs, 0);
	/* c is watched for no events: nothing more, ever. */
	assert_int_equal(evloop_run_once(&f.loop, 0), 0);
	assert_int_equal(f.newcomer_runs, 0);
	/* Once asked to, c's own events do reach it. */
	assert_int_equal(evloop_mod(&f.loop, f.c, EPOLLIN), 0);
	assert_int_equal(evloop_run_once(&f.loop, 1000), 1);
	assert_int_equal(f.newcomer_runs, 1);
	assert_true(f.newcomer_events & EPOLLIN);

	evloop_del(&f.loop, f.c);
	evloop_destroy(&f.loop);
	close(f.a);
	close(f.b);
	close(f.c);
}

/* ---- the owner ----------------------------------------------------------- */

struct off_loop {
	struct evloop *loop;
	int fd;
	bool owned;
	int ret;
};

static void nothing(void *opaque, uint32_t events)
{
}

static void *owned_here(void *arg)
{
	struct off_loop *o = arg;

	o->owned = evloop_owned(o->loop);
	return NULL;
}

static void *add_here(void *arg)
{
	struct off_loop *o = arg;

	o->ret = evloop_add(o->loop, o->fd, EPOLLIN, nothing, o);
	return NULL;
}

static void only_the_creator_owns_the_loop(void **state)
{
	struct evloop loop;
	struct off_loop o = { .loop = &loop, .owned = true };
	pthread_t t;

	assert_int_equal(evloop_init(&loop), 0);
	assert_true(evloop_owned(&loop));
	assert_int_equal(pthread_create(&t, NULL, owned_here, &o), 0);
	pthread_join(t, NULL);
	assert_false(o.owned);
	/* The check takes whatever loop a device has, NULL included. */
	evloop_assert_owner(&loop);
	evloop_assert_owner((struct evloop *)NULL);
	evloop_destroy(&loop);
}

static int call_nothing(void *arg)
{
	return 0;
}

/*
 * In a child: what = 0 adds an fd from a second thread, what = 1 calls
 * evloop_call on the loop's own thread.  Returns how the child ended.
 */
static int child_status(int what)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct evloop loop;
		struct off_loop o = { .loop = &loop };
		pthread_t t;

		alarm(10);	/* a bug here must not hang the suite */
		if (evloop_init(&loop))
			_exit(3);
		o.fd = eventfd(0, EFD_CLOEXEC);
		if (what == 0) {
			pthread_create(&t, NULL, add_here, &o);
			pthread_join(t, NULL);
		} else {
			evloop_call(&loop, call_nothing, NULL);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void wrong_thread_aborts_in_debug_builds(void **state)
{
#ifdef VMON_DEBUG
	int st = child_status(0);

	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	st = child_status(1);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
#else
	/* Compiled out: the call goes through (and is the caller's bug). */
	int st = child_status(0);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stale_event_skips_a_reused_slot),
		cmocka_unit_test(only_the_creator_owns_the_loop),
		cmocka_unit_test(wrong_thread_aborts_in_debug_builds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
