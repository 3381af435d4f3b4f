/* SPDX-License-Identifier: MIT */
/*
 * Seccomp filters, one allow-list per thread kind (docs/sandbox.md): each
 * thread loads its own filter with libseccomp before it handles anything
 * the guest or a client controls, so a compromised thread can make only
 * the system calls its job needs.  A denied call raises SIGSYS; the
 * reporter names the thread kind and the call, and the process exits with
 * VMON_EXIT_SECCOMP.
 */
#ifndef VMON_CORE_SANDBOX_H
#define VMON_CORE_SANDBOX_H

#include <stddef.h>

#include "lib/err.h"

enum sandbox_kind {
	SANDBOX_VMM,	/* the main thread: event loop, devices' work, teardown */
	SANDBOX_VCPU,	/* KVM_RUN and the exits handled on the vCPU */
	SANDBOX_API,	/* HTTP on the API socket; work goes to the VMM thread */
	SANDBOX_KINDS,
};

const char *sandbox_kind_name(enum sandbox_kind kind);

/*
 * Install the SIGSYS reporter (process-wide, once, before the first
 * filter).  0 or -errno.
 */
int sandbox_reporter_install(void);

/*
 * Load the calling thread's filter for kind: from here on the thread (and
 * any thread or process it creates) may make only the calls allowed for
 * kind.  0 or -errno, with e filled.
 *
 * A debugging hook, for the test that proves denied calls are caught: with
 * VMON_DEBUG_SECCOMP_TRIP=<kind name> in the environment, the thread makes
 * a call its filter denies right after loading it.
 */
int sandbox_enter(enum sandbox_kind kind, struct vmon_err *e);

/* How many distinct system calls kind allows (docs, tests). */
size_t sandbox_allowed_count(enum sandbox_kind kind);

#endif
