/* SPDX-License-Identifier: MIT */
/*
 * Leveled logging to stderr.  Lines a guest can trigger go through
 * log_ratelimited() so a hostile guest cannot flood the host's logs.
 */
#ifndef VMON_CORE_LOG_H
#define VMON_CORE_LOG_H

#include <stdatomic.h>
#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Process-wide sink settings: set once at start-up, before any thread. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void vlog_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) vlog_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  vlog_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  vlog_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) vlog_msg(LOG_DEBUG, __VA_ARGS__)

/*
 * A rate limit owned by whoever logs (a device, a bus): at most `burst`
 * lines per interval, then one "N suppressed" note.
 */
struct ratelimit {
	_Atomic uint64_t window_start_ns;
	atomic_uint printed;
	atomic_uint suppressed;
};

#define RATELIMIT_INTERVAL_NS 5000000000ULL
#define RATELIMIT_BURST 10

/* Returns 1 when the caller may log now. */
int ratelimit_allow(struct ratelimit *rl);

#define log_ratelimited(rl, level, ...)                                     \
	do {                                                                \
		if (ratelimit_allow(rl))                                    \
			vlog_msg(level, __VA_ARGS__);                        \
	} while (0)

#endif
