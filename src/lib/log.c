// SPDX-License-Identifier: MIT
#include "lib/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"

/*
 * The one piece of process-wide state: where log lines go and how chatty
 * they are.  The level is atomic; the sink is changed under its lock (the
 * API's PUT /logger runs while other threads log).
 */
static atomic_int current_level = LOG_WARN;

static struct {
	pthread_mutex_t lock;
	int fd;			/* -1: stderr, vmon's own format */
	unsigned int flags;
	char id[65];
	char module[64];	/* "machine/vm": a prefix of the path under src/ */
} sink = { PTHREAD_MUTEX_INITIALIZER, -1, 0, "", "" };

void log_set_level(enum log_level level)
{
	atomic_store(&current_level, (int)level);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load(&current_level);
}

void log_set_sink(int fd, unsigned int flags, const char *id,
		  const char *module)
{
	size_t i, j;

	pthread_mutex_lock(&sink.lock);
	if (sink.fd >= 0 && sink.fd != fd)
		close(sink.fd);
	sink.fd = fd;
	sink.flags = flags;
	snprintf(sink.id, sizeof(sink.id), "%s", id ? id : "");
	/* Firecracker names modules with "::"; vmon's are directories. */
	for (i = j = 0; module && module[i] && j + 1 < sizeof(sink.module);) {
		if (module[i] == ':' && module[i + 1] == ':') {
			sink.module[j++] = '/';
			i += 2;
		} else {
			sink.module[j++] = module[i++];
		}
	}
	sink.module[j] = '\0';
	pthread_mutex_unlock(&sink.lock);
}

static const char *const level_names[] = { "error", "warning", "info",
					   "debug" };
static const char *const level_tags[] = { "ERROR", "WARN", "INFO", "DEBUG" };

/* With the sink lock held: one write per line so lines never mix. */
static void sink_write(enum log_level level, const char *file, int line,
		       const char *msg)
{
	char buf[1400], thread[17] = "";
	struct timespec ts;
	struct tm tm;
	int n;

	if (file && !strncmp(file, "src/", 4))
		file += 4;
	if (sink.module[0] && (!file || strncmp(file, sink.module,
						strlen(sink.module))))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	prctl(PR_GET_NAME, thread);
	n = snprintf(buf, sizeof(buf),
		     "%04d-%02d-%02dT%02d:%02d:%02d.%09ld [%s:%s",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, ts.tv_nsec,
		     sink.id[0] ? sink.id : "anonymous-instance", thread);
	/* The header is < 200 bytes and msg < 1024: all of it fits. */
	if (sink.flags & LOG_SHOW_LEVEL)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ":%s",
			      level_tags[level]);
	if ((sink.flags & LOG_SHOW_ORIGIN) && file)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, ":%.64s:%d",
			      file, line);
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "] %s", msg);
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	/* A full FIFO (nonblocking) loses the line rather than stall us. */
	if (write(sink.fd, buf, (size_t)n) < 0)
		return;
}

/* format(printf, 4, 0): fmt is checked at the callers (clang's
 * -Wformat-nonliteral wants the va_list taker marked too). */
static __attribute__((format(printf, 4, 0)))
void vlog_line(enum log_level level, const char *file, int line,
	       const char *fmt, va_list ap)
{
	char msg[1024];

	if ((int)level > atomic_load(&current_level) || level < LOG_ERROR)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pthread_mutex_lock(&sink.lock);
	if (sink.fd >= 0)
		sink_write(level, file, line, msg);
	else	/* One fprintf per line so lines from threads do not mix. */
		fprintf(stderr, "vmon: %s: %s\n", level_names[level], msg);
	pthread_mutex_unlock(&sink.lock);
}

void vlog_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(level, NULL, 0, fmt, ap);
	va_end(ap);
}

void vlog_msg_at(enum log_level level, const char *file, int line,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_line(level, file, line, fmt, ap);
	va_end(ap);
}

int ratelimit_allow(struct ratelimit *rl)
{
	uint64_t now = clock_mono_ns();
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
