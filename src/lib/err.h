/* SPDX-License-Identifier: MIT */
/*
 * The one error convention: functions return 0 or -errno; where the
 * caller needs context they also fill an optional struct vmon_err with
 * the code, whose fault it is (the kind) and a message for the operator.
 * Only front ends print it, and the process exit status comes from the
 * kind, never from guessing at errno values.
 */
#ifndef VMON_LIB_ERR_H
#define VMON_LIB_ERR_H

#include <stddef.h>

enum err_kind {
	ERR_HOST,	/* the host or vmon failed: VMON_EXIT_INTERNAL */
	ERR_USAGE,	/* the configuration, or a file it names: _USAGE */
	ERR_GUEST,	/* the guest had to be stopped: _GUEST_FAULT */
};

struct vmon_err {
	int code;		/* -errno; 0 while nothing failed */
	enum err_kind kind;
	char msg[512];
};

/*
 * Record a failure in e (may be NULL) and return code, so that callers
 * write `return err_set(e, ERR_USAGE, -EINVAL, "...", ...)`.  The first
 * failure recorded stays: it is the one closest to the cause.
 */
int err_set(struct vmon_err *e, enum err_kind kind, int code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * For callers that report into a plain buffer (the API's replies, device
 * constructors): format into buf and return ret.
 */
int err_say(char *buf, size_t len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The process exit status for e (VMON_EXIT_OK when nothing failed). */
int err_exit_status(const struct vmon_err *e);

#endif
