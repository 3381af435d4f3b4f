// SPDX-License-Identifier: MIT
#include "core/runctl.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

int runctl_init(struct runctl *rc)
{
	memset(rc, 0, sizeof(*rc));
	atomic_init(&rc->stop_reason, VM_RUNNING);
	rc->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rc->stop_fd < 0)
		return -errno;
	pthread_mutex_init(&rc->lock, NULL);
	pthread_cond_init(&rc->cond, NULL);
	return 0;
}

void runctl_destroy(struct runctl *rc)
{
	if (rc->stop_fd < 0)
		return;
	close(rc->stop_fd);
	rc->stop_fd = -1;
	pthread_cond_destroy(&rc->cond);
	pthread_mutex_destroy(&rc->lock);
}

void runctl_request_stop(struct runctl *rc, enum vm_stop_reason reason,
			 int status)
{
	int expected = VM_RUNNING;
	uint64_t one = 1;

	if (!atomic_compare_exchange_strong(&rc->stop_reason, &expected,
					    (int)reason))
		return;
	rc->exit_status = status;
	/* Nonblocking eventfd: a full counter already means "wake up". */
	if (write(rc->stop_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_error("cannot wake the main loop: %s", strerror(errno));
}

static void sink_request(void *opaque, enum vm_stop_reason reason, int status)
{
	runctl_request_stop(opaque, reason, status);
}

struct stop_sink runctl_stop_sink(struct runctl *rc)
{
	return (struct stop_sink){ .request = sink_request, .opaque = rc };
}

void runctl_park_if_paused(struct runctl *rc, void (*settle)(void *opaque),
			   void *opaque)
{
	pthread_mutex_lock(&rc->lock);
	if (rc->paused && !runctl_stopping(rc)) {
		/* Before it counts as parked: the pauser reads state after. */
		if (settle)
			settle(opaque);
		rc->nr_parked++;
		pthread_cond_broadcast(&rc->cond);
		while (rc->paused && !runctl_stopping(rc))
			pthread_cond_wait(&rc->cond, &rc->lock);
		rc->nr_parked--;
	}
	pthread_mutex_unlock(&rc->lock);
}

int runctl_pause(struct runctl *rc, unsigned int nr_running,
		 void (*kick)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&rc->lock);
	if (rc->paused) {
		pthread_mutex_unlock(&rc->lock);
		return 0;
	}
	rc->paused = true;
	pthread_mutex_unlock(&rc->lock);
	kick(opaque);
	pthread_mutex_lock(&rc->lock);
	/*
	 * A vCPU that has stopped for good never parks; the wait ends when
	 * the VM is stopping.  Kicks are repeated: a vCPU may have been
	 * between its pause check and KVM_RUN when the first one came.
	 */
	while (rc->nr_parked < nr_running && !runctl_stopping(rc)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_cond_timedwait(&rc->cond, &rc->lock, &ts) ==
		    ETIMEDOUT) {
			pthread_mutex_unlock(&rc->lock);
			kick(opaque);
			pthread_mutex_lock(&rc->lock);
		}
	}
	pthread_mutex_unlock(&rc->lock);
	return runctl_stopping(rc) ? -ESHUTDOWN : 0;
}

void runctl_resume(struct runctl *rc)
{
	pthread_mutex_lock(&rc->lock);
	rc->paused = false;
	pthread_cond_broadcast(&rc->cond);
	pthread_mutex_unlock(&rc->lock);
}
