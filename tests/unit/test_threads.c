// SPDX-License-Identifier: MIT
/*
 * The protocols between vmon's threads, run with real threads and no KVM,
 * so the ThreadSanitizer pass (make test-tsan) checks their
 * synchronisation here too: calls the API thread posts to the VMM
 * thread's loop (evloop_call), and run control's pause, park, resume and
 * stop between the VMM thread and vCPU threads (core/runctl.c).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/evloop.h"
#include "core/runctl.h"

#define CALLERS 3
#define CALLS 200

/* What the loop thread owns: touched only from calls run on it. */
struct loop_state {
	unsigned int calls;
	unsigned int per_caller[CALLERS];
};

struct caller {
	struct evloop *loop;
	struct loop_state *st;
	unsigned int index;
	int bad;		/* calls whose result was not the caller's */
};

struct call_arg {
	struct caller *c;
	int seq;
};

static int on_loop(void *arg)
{
	struct call_arg *a = arg;

	a->c->st->calls++;
	a->c->st->per_caller[a->c->index]++;
	return a->seq * CALLERS + (int)a->c->index;
}

static void *caller_thread(void *arg)
{
	struct caller *c = arg;

	for (int i = 0; i < CALLS; i++) {
		struct call_arg a = { .c = c, .seq = i };

		if (evloop_call(c->loop, on_loop, &a) != i * CALLERS + (int)c->index)
			c->bad++;
	}
	return NULL;
}

/* API threads posting to the VMM thread's loop at once. */
static void evloop_calls_from_threads(void **state)
{
	struct evloop loop;
	struct loop_state st = { 0 };
	struct caller c[CALLERS];
	pthread_t t[CALLERS];
	unsigned int turns = 0;

	assert_int_equal(evloop_init(&loop), 0);
	for (unsigned int i = 0; i < CALLERS; i++) {
		c[i] = (struct caller){ .loop = &loop, .st = &st, .index = i };
		assert_int_equal(pthread_create(&t[i], NULL, caller_thread, &c[i]), 0);
	}
	/* The loop thread runs until every call has been served. */
	while (st.calls < CALLERS * CALLS && turns++ < 100000)
		assert_true(evloop_run_once(&loop, 1000) >= 0);
	for (unsigned int i = 0; i < CALLERS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(c[i].bad, 0);
		assert_int_equal(st.per_caller[i], CALLS);
	}
	assert_int_equal(st.calls, CALLERS * CALLS);
	evloop_destroy(&loop);
}

#define VCPUS 2

struct fake_vcpu {
	struct runctl *rc;
	unsigned int index;
	unsigned long runs;	/* this thread's, read by others only when parked */
	bool stop_after_resume;
	bool resumed;		/* set under rc->lock by the test */
};

/* A vCPU thread's loop as core/vcpu.c has it, with usleep for KVM_RUN. */
static void *vcpu_thread(void *arg)
{
	struct fake_vcpu *v = arg;

	while (!runctl_stopping(v->rc)) {
		runctl_park_if_paused(v->rc, NULL, NULL);
		if (runctl_stopping(v->rc))
			break;
		v->runs++;
		usleep(100);
		if (v->stop_after_resume && v->runs > 50) {
			pthread_mutex_lock(&v->rc->lock);
			bool go = v->resumed;
			pthread_mutex_unlock(&v->rc->lock);
			if (go)
				runctl_request_stop(v->rc, VM_STOP_POWEROFF, 0);
		}
	}
	return NULL;
}

static unsigned int kicks;

/* Nothing blocks in KVM_RUN here: the kick only counts. */
static void kick(void *opaque)
{
	(void)opaque;
	kicks++;
}

/* The VMM thread pauses and resumes vCPU threads; one of them stops the VM. */
static void runctl_pause_resume_stop(void **state)
{
	struct runctl rc;
	struct fake_vcpu v[VCPUS];
	pthread_t t[VCPUS];
	unsigned long seen[VCPUS];
	struct pollfd pfd;
	uint64_t n;

	assert_int_equal(runctl_init(&rc), 0);
	for (unsigned int i = 0; i < VCPUS; i++) {
		v[i] = (struct fake_vcpu){ .rc = &rc, .index = i,
					   .stop_after_resume = i == 1 };
		assert_int_equal(pthread_create(&t[i], NULL, vcpu_thread, &v[i]), 0);
	}
	usleep(2000);

	kicks = 0;
	assert_int_equal(runctl_pause(&rc, VCPUS, kick, NULL), 0);
	assert_true(kicks >= 1);
	/* Parked: their counters hold still (and may be read: the lock). */
	pthread_mutex_lock(&rc.lock);
	assert_int_equal(rc.nr_parked, VCPUS);
	for (unsigned int i = 0; i < VCPUS; i++)
		seen[i] = v[i].runs;
	pthread_mutex_unlock(&rc.lock);
	usleep(5000);
	pthread_mutex_lock(&rc.lock);
	for (unsigned int i = 0; i < VCPUS; i++)
		assert_int_equal(v[i].runs, seen[i]);
	pthread_mutex_unlock(&rc.lock);
	/* Pausing twice is a no-op. */
	assert_int_equal(runctl_pause(&rc, VCPUS, kick, NULL), 0);

	pthread_mutex_lock(&rc.lock);
	v[1].resumed = true;
	pthread_mutex_unlock(&rc.lock);
	runctl_resume(&rc);

	/* vCPU 1 asks for the stop; the VMM thread wakes on stop_fd. */
	pfd = (struct pollfd){ .fd = rc.stop_fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 10000), 1);
	assert_int_equal(read(rc.stop_fd, &n, sizeof(n)), sizeof(n));
	assert_true(runctl_stopping(&rc));
	for (unsigned int i = 0; i < VCPUS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(atomic_load(&rc.stop_reason), VM_STOP_POWEROFF);
	assert_int_equal(rc.exit_status, 0);
	/* A pause of a stopping VM gives up at once. */
	assert_int_equal(runctl_pause(&rc, VCPUS, kick, NULL), -ESHUTDOWN);
	runctl_destroy(&rc);
}

#define STOPPERS 4

struct stopper {
	struct runctl *rc;
	int status;
};

static void *stopper_thread(void *arg)
{
	struct stopper *s = arg;
	struct stop_sink sink = runctl_stop_sink(s->rc);

	stop_request(&sink, VM_STOP_DEBUG_EXIT, s->status);
	return NULL;
}

/* Stops requested from several threads at once: exactly one wins. */
static void runctl_first_stop_wins(void **state)
{
	struct runctl rc;
	struct stopper s[STOPPERS];
	pthread_t t[STOPPERS];
	uint64_t n;
	bool found = false;

	assert_int_equal(runctl_init(&rc), 0);
	for (int i = 0; i < STOPPERS; i++) {
		s[i] = (struct stopper){ .rc = &rc, .status = 2 * i + 1 };
		assert_int_equal(pthread_create(&t[i], NULL, stopper_thread, &s[i]), 0);
	}
	for (int i = 0; i < STOPPERS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(atomic_load(&rc.stop_reason), VM_STOP_DEBUG_EXIT);
	for (int i = 0; i < STOPPERS; i++)
		found |= rc.exit_status == s[i].status;
	assert_true(found);
	/* The winner alone wrote stop_fd. */
	assert_int_equal(read(rc.stop_fd, &n, sizeof(n)), sizeof(n));
	assert_int_equal(n, 1);
	runctl_destroy(&rc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(evloop_calls_from_threads),
		cmocka_unit_test(runctl_pause_resume_stop),
		cmocka_unit_test(runctl_first_stop_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
