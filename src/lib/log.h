/* SPDX-License-Identifier: MIT */
/*
 * Leveled logging to stderr, or to a sink file (the API's logger).  Lines
 * a guest can trigger go through log_ratelimited() so a hostile guest
 * cannot flood the host's logs.
 */
#ifndef VMON_LIB_LOG_H
#define VMON_LIB_LOG_H

#include <stdatomic.h>
#include <stdint.h>

enum log_level { LOG_OFF = -1, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Process-wide sink settings; safe to change while other threads log. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

#define LOG_SHOW_LEVEL	0x1u	/* Firecracker's show_level */
#define LOG_SHOW_ORIGIN	0x2u	/* show_log_origin: file:line */

/*
 * Send lines to fd (a file or FIFO the caller opened; -1: back to stderr)
 * as Firecracker does: "TIME [ID:THREAD(:LEVEL)(:FILE:LINE)] message".
 * module, when not NULL, keeps only lines from source files under it
 * ("api", "machine::vm" for src/machine/vm*).  The log owns fd from now
 * on.
 */
void log_set_sink(int fd, unsigned int flags, const char *id,
		  const char *module);

void vlog_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vlog_msg_at(enum log_level level, const char *file, int line,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_error(...) vlog_msg_at(LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...)  vlog_msg_at(LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...)  vlog_msg_at(LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...) vlog_msg_at(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)

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
			vlog_msg_at(level, __FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

#endif
