// SPDX-License-Identifier: MIT
/*
 * Unit tests for the counters (bumped from several threads while another
 * flushes), the metrics registry (groups, deltas per flush, sample
 * functions) and the log sink the API's logger sets (format, level,
 * show_level, show_log_origin, module filter).
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/log.h"
#include "lib/metrics.h"
#include "unit/metrics_line.h"

static const char *const names[] = { "reads", "writes" };

static void sample_const(struct metrics_group *g, void *opaque)
{
	metrics_store(g, 0, *(uint64_t *)opaque);
}

static void registry_and_deltas(void **state)
{
	struct metrics reg = { 0 }, other = { 0 };
	struct metrics *regs[3] = { &reg, NULL, &other };
	struct metrics_group a, b, c;
	uint64_t sampled = 7;
	size_t len;
	char *s;

	metrics_group_init(&a, "block rootfs!", names, 2);
	assert_string_equal(a.name, "block_rootfs_");
	metrics_group_init(&b, "uart", names, 2);
	metrics_group_set_sample(&b, sample_const, &sampled);
	metrics_group_init(&c, "dev", metrics_device_names, METRIC_DEV_NR);
	metrics_register(&reg, &a);
	metrics_register(&reg, &b);
	metrics_register(&reg, &a);	/* twice is once */
	metrics_register(&other, &c);
	assert_ptr_equal(metrics_find(&reg, "uart"), &b);
	assert_null(metrics_find(&reg, "dev"));

	metrics_add(&a, 1, 100);
	metrics_inc(&a, 0);
	metrics_inc(&c, METRIC_DEV_BAD_INPUT);
	s = metrics_flush_json(regs, 3, "\"id\":\"vm1\",", &len);
	assert_non_null(s);
	assert_int_equal(s[len - 1], '\n');
	assert_int_equal(metrics_line_counter(s, "block_rootfs_", "writes"),
			 100);
	assert_int_equal(metrics_line_counter(s, "block_rootfs_", "reads"), 1);
	assert_int_equal(metrics_line_counter(s, "uart", "reads"), 7);
	assert_int_equal(metrics_line_counter(s, "dev", "bad_guest_input"), 1);
	assert_non_null(strstr(s, "{\"id\":\"vm1\",\"utc_timestamp_ms\":"));
	free(s);

	/* The next flush reports only what happened since. */
	metrics_add(&a, 1, 5);
	sampled = 10;
	s = metrics_flush_json(regs, 3, NULL, &len);
	assert_int_equal(metrics_line_counter(s, "block_rootfs_", "writes"), 5);
	assert_int_equal(metrics_line_counter(s, "block_rootfs_", "reads"), 0);
	assert_int_equal(metrics_line_counter(s, "uart", "reads"), 3);
	free(s);

	metrics_unregister(&reg, &a);
	s = metrics_flush_json(regs, 1, NULL, &len);
	assert_null(strstr(s, "block_rootfs_"));
	assert_non_null(strstr(s, "uart"));
	free(s);
}

#define BUMPERS	2
#define BUMPS	200000

struct bumped {
	struct counter plain;
	struct metrics_group g;
};

static void *bumper(void *arg)
{
	struct bumped *b = arg;

	for (int i = 0; i < BUMPS; i++) {
		counter_inc(&b->plain);
		metrics_inc(&b->g, 0);
		metrics_add(&b->g, 1, 3);
	}
	return NULL;
}

/*
 * vCPU threads bump while the VMM thread flushes: no bump is lost, and
 * the deltas of every flush add up to the totals.
 */
static void counters_from_threads(void **state)
{
	struct metrics reg = { 0 };
	struct metrics *regs[1] = { &reg };
	struct bumped b = { 0 };
	pthread_t t[BUMPERS];
	long reads = 0, writes = 0;
	size_t len;
	char *s;

	metrics_group_init(&b.g, "bumped", names, 2);
	metrics_register(&reg, &b.g);
	for (int i = 0; i < BUMPERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, bumper, &b), 0);
	for (int i = 0; i < 50; i++) {
		s = metrics_flush_json(regs, 1, NULL, &len);
		reads += metrics_line_counter(s, "bumped", "reads");
		writes += metrics_line_counter(s, "bumped", "writes");
		free(s);
	}
	for (int i = 0; i < BUMPERS; i++)
		pthread_join(t[i], NULL);
	s = metrics_flush_json(regs, 1, NULL, &len);
	reads += metrics_line_counter(s, "bumped", "reads");
	writes += metrics_line_counter(s, "bumped", "writes");
	free(s);
	assert_int_equal(counter_get(&b.plain), BUMPERS * BUMPS);
	assert_int_equal(metrics_get(&b.g, 0), BUMPERS * BUMPS);
	assert_int_equal(reads, BUMPERS * BUMPS);
	assert_int_equal(writes, 3L * BUMPERS * BUMPS);
	counter_set(&b.plain, 5);
	assert_int_equal(counter_get(&b.plain), 5);
}

static char *slurp(const char *path)
{
	static char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void log_sink_format(void **state)
{
	char path[] = "/tmp/vmon-test-log.XXXXXX";
	int fd = mkstemp(path);
	char *s;

	assert_true(fd >= 0);
	log_set_level(LOG_INFO);
	log_set_sink(fd, LOG_SHOW_LEVEL | LOG_SHOW_ORIGIN, "vm-7", NULL);
	log_info("hello %d", 42);
	log_debug("not shown at info");
	s = slurp(path);
	assert_non_null(strstr(s, " [vm-7:"));
	assert_non_null(strstr(s, ":INFO:tests/unit/test_api_metrics.c:"));
	assert_non_null(strstr(s, "] hello 42\n"));
	assert_null(strstr(s, "not shown"));
	assert_int_equal(s[4], '-');	/* 2026-...T...: an ISO 8601 time */
	assert_int_equal(s[10], 'T');

	/* Only lines from the module given: tests/unit is not src/api. */
	fd = open(path, O_WRONLY | O_TRUNC);
	log_set_sink(fd, 0, "vm-7", "api::server");
	log_warn("filtered out");
	assert_string_equal(slurp(path), "");
	/* Level off: nothing at all. */
	fd = open(path, O_WRONLY | O_TRUNC);
	log_set_sink(fd, 0, "vm-7", NULL);
	log_set_level(LOG_OFF);
	log_error("silenced");
	assert_string_equal(slurp(path), "");
	log_set_level(LOG_WARN);
	log_warn("plain");
	s = slurp(path);
	assert_non_null(strstr(s, " [vm-7:"));
	assert_null(strstr(s, "WARN"));
	assert_non_null(strstr(s, "] plain\n"));
	log_set_sink(-1, 0, NULL, NULL);	/* back to stderr */
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counters_from_threads),
		cmocka_unit_test(registry_and_deltas),
		cmocka_unit_test(log_sink_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
