// SPDX-License-Identifier: MIT
#include "lib/err.h"

#include <stdarg.h>
#include <stdio.h>

#include "lib/exit_status.h"

int err_set(struct vmon_err *e, enum err_kind kind, int code,
	    const char *fmt, ...)
{
	va_list ap;

	if (!e || e->code)
		return code;
	e->code = code;
	e->kind = kind;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_say(char *buf, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return ret;
}

int err_exit_status(const struct vmon_err *e)
{
	if (!e->code)
		return VMON_EXIT_OK;
	switch (e->kind) {
	case ERR_USAGE: return VMON_EXIT_USAGE;
	case ERR_GUEST: return VMON_EXIT_GUEST_FAULT;
	case ERR_HOST: break;
	}
	return VMON_EXIT_INTERNAL;
}
