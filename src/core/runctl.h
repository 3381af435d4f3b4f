/* SPDX-License-Identifier: MIT */
/*
 * Run control: the stop and pause protocols between the VMM thread and
 * the vCPU threads, apart from what the VM is made of.
 *
 * Stopping: anything may call runctl_request_stop() (devices through the
 * stop sink, vCPUs, signal handlers on the loop); the first call wins,
 * records the reason and exit status and writes stop_fd, which the VMM
 * thread's loop watches.  Pausing: runctl_pause() sets a flag and kicks;
 * vCPU threads park in runctl_park_if_paused() before their next KVM_RUN.
 */
#ifndef VMON_CORE_RUNCTL_H
#define VMON_CORE_RUNCTL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/stop.h"

struct runctl {
	atomic_int stop_reason;		/* enum vm_stop_reason */
	int exit_status;		/* valid once stopping */
	int stop_fd;			/* eventfd the VMM thread polls */

	pthread_mutex_t lock;		/* paused, nr_parked */
	pthread_cond_t cond;
	bool paused;
	unsigned int nr_parked;
};

/* 0 or -errno (the eventfd). */
int runctl_init(struct runctl *rc);
void runctl_destroy(struct runctl *rc);

void runctl_request_stop(struct runctl *rc, enum vm_stop_reason reason,
			 int status);
/* The sink devices get: requests go to runctl_request_stop. */
struct stop_sink runctl_stop_sink(struct runctl *rc);

static inline bool runctl_stopping(struct runctl *rc)
{
	return atomic_load_explicit(&rc->stop_reason, memory_order_acquire) !=
	       VM_RUNNING;
}

/*
 * A vCPU thread, before each KVM_RUN: waits while paused.  settle (may be
 * NULL) runs first, once the thread knows it will park: the vCPU finishes
 * what its last exit left pending, so a paused vCPU's state is whole.
 */
void runctl_park_if_paused(struct runctl *rc, void (*settle)(void *opaque),
			   void *opaque);

/*
 * Park the nr_running vCPU threads: set the flag, then kick(opaque) until
 * all have parked (kicks repeat: a vCPU may have been between its check
 * and KVM_RUN) or the VM is stopping.  VMM thread.  0 or -ESHUTDOWN.
 */
int runctl_pause(struct runctl *rc, unsigned int nr_running,
		 void (*kick)(void *opaque), void *opaque);
/* Let parked vCPUs run again (also before joining them). */
void runctl_resume(struct runctl *rc);

#endif
