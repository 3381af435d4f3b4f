// SPDX-License-Identifier: MIT
#include "lib/metrics.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const metrics_device_names[METRIC_DEV_NR] = {
	[METRIC_DEV_REQUESTS] = "requests",
	[METRIC_DEV_BYTES] = "bytes",
	[METRIC_DEV_ERRORS] = "errors",
	[METRIC_DEV_BAD_INPUT] = "bad_guest_input",
};

void metrics_group_init(struct metrics_group *g, const char *name,
			const char *const *names, unsigned int nr)
{
	size_t i;

	memset(g, 0, sizeof(*g));
	/* Names go into JSON unescaped: keep them to a safe alphabet. */
	for (i = 0; name[i] && i < sizeof(g->name) - 1; i++)
		g->name[i] = isalnum((unsigned char)name[i]) ? name[i] : '_';
	g->names = names;
	g->nr = nr < METRICS_MAX_COUNTERS ? nr : METRICS_MAX_COUNTERS;
}

void metrics_group_set_sample(struct metrics_group *g, metrics_sample_fn fn,
			      void *opaque)
{
	g->sample = fn;
	g->opaque = opaque;
}

void metrics_register(struct metrics *m, struct metrics_group *g)
{
	struct metrics_group **p = &m->head;

	/* Appended, so flushes list groups in registration order. */
	while (*p && *p != g)
		p = &(*p)->next;
	if (!*p) {
		g->next = NULL;
		*p = g;
	}
}

void metrics_unregister(struct metrics *m, struct metrics_group *g)
{
	for (struct metrics_group **p = &m->head; *p; p = &(*p)->next) {
		if (*p == g) {
			*p = g->next;
			g->next = NULL;
			return;
		}
	}
}

struct metrics_group *metrics_find(struct metrics *m, const char *name)
{
	for (struct metrics_group *g = m->head; g; g = g->next)
		if (!strcmp(g->name, name))
			return g;
	return NULL;
}

static void put_group(FILE *f, struct metrics_group *g)
{
	if (g->sample)
		g->sample(g, g->opaque);
	fprintf(f, ",\"%s\":{", g->name);
	for (unsigned int i = 0; i < g->nr; i++) {
		uint64_t v = metrics_get(g, i);

		/* A counter a sample function reset reports its new total. */
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", g->names[i],
			(unsigned long long)(v >= g->last[i] ? v - g->last[i]
							      : v));
		g->last[i] = v;
	}
	fputc('}', f);
}

char *metrics_flush_json(struct metrics *const *regs, unsigned int nregs,
			 const char *extra, size_t *len)
{
	struct timespec ts;
	char *buf = NULL;
	FILE *f;

	f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(f, "{%s\"utc_timestamp_ms\":%llu", extra ? extra : "",
		(unsigned long long)ts.tv_sec * 1000ULL +
			(unsigned long long)ts.tv_nsec / 1000000ULL);
	for (unsigned int r = 0; r < nregs; r++)
		for (struct metrics_group *g = regs[r] ? regs[r]->head : NULL;
		     g; g = g->next)
			put_group(f, g);
	fputs("}\n", f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
