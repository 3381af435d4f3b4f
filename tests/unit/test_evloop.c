// SPDX-License-Identifier: MIT
/*
 * The event loop's slots: an event of an fd removed earlier in the same
 * epoll batch must not reach the handler that has taken its slot since.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stale_event_skips_a_reused_slot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
