/* SPDX-License-Identifier: MIT */
/*
 * Reading counters back from a metrics flush line, as an operator's
 * collector would: by group and Firecracker name.  Header-only, for the
 * unit tests of the registry and of each device's counters.
 */
#ifndef VMON_TESTS_UNIT_METRICS_LINE_H
#define VMON_TESTS_UNIT_METRICS_LINE_H

#include <stdlib.h>

#include <jansson.h>

#include "lib/metrics.h"

/* Counter `name` of `group` in the flush line `json`, or -1. */
static inline long metrics_line_counter(const char *json, const char *group,
					const char *name)
{
	json_t *j = json_loads(json, 0, NULL);
	const json_t *v = json_object_get(json_object_get(j, group), name);
	long r = json_is_number(v) ? (long)json_number_value(v) : -1;

	json_decref(j);
	return r;
}

/* Flush reg once and read one counter of it (what came since), or -1. */
static inline long metrics_flush_counter(struct metrics *reg, const char *group,
					 const char *name)
{
	struct metrics *regs[1] = { reg };
	size_t len;
	char *s = metrics_flush_json(regs, 1, NULL, &len);
	long r = s ? metrics_line_counter(s, group, name) : -1;

	free(s);
	return r;
}

#endif
