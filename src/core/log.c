// SPDX-License-Identifier: MIT
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

/*
 * The one piece of process-wide state: where log lines go and how chatty
 * they are.  Written before threads start, read-only afterwards.
 */
static enum log_level current_level = LOG_WARN;

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

void vlog_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info",
					     "debug" };
	char line[1024];
	va_list ap;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One fprintf per line so lines from several threads do not mix. */
	fprintf(stderr, "vmon: %s: %s\n", names[level], line);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int ratelimit_allow(struct ratelimit *rl)
{
	uint64_t now = now_ns();
	uint64_t start = atomic_load(&rl->window_start_ns);

	if (now - start > RATELIMIT_INTERVAL_NS &&
	    atomic_compare_exchange_strong(&rl->window_start_ns, &start, now)) {
		unsigned int missed = atomic_exchange(&rl->suppressed, 0);

		atomic_store(&rl->printed, 0);
		if (missed)
			vlog_msg(LOG_WARN, "%u similar messages suppressed",
				 missed);
	}
	if (atomic_fetch_add(&rl->printed, 1) < RATELIMIT_BURST)
		return 1;
	atomic_fetch_add(&rl->suppressed, 1);
	return 0;
}
