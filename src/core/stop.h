/* SPDX-License-Identifier: MIT */
/*
 * How a device asks for the VM to stop (power-off, reset, debug-exit)
 * without knowing the VM: a stop sink, implemented by run control
 * (core/runctl.h) and by recorders in unit tests.
 */
#ifndef VMON_CORE_STOP_H
#define VMON_CORE_STOP_H

#include <stdbool.h>
#include <stddef.h>

/* Why the VM stopped; the first reason recorded wins. */
enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_POWEROFF,
	VM_STOP_RESET,
	VM_STOP_DEBUG_EXIT,
	VM_STOP_SIGNAL,
	VM_STOP_GUEST_FAULT,
	VM_STOP_INTERNAL,
	VM_STOP_MIGRATED,	/* the guest runs elsewhere now (status 0) */
};

struct stop_sink {
	/* Safe from any thread; only the first request has effect. */
	void (*request)(void *opaque, enum vm_stop_reason reason, int status);
	void *opaque;
};

/* False for an unconnected sink (unit tests): requests are dropped. */
static inline bool stop_sink_connected(const struct stop_sink *s)
{
	return s->request != NULL;
}

static inline void stop_request(const struct stop_sink *s,
				enum vm_stop_reason reason, int status)
{
	if (s->request)
		s->request(s->opaque, reason, status);
}

#endif
