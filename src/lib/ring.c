// SPDX-License-Identifier: MIT
#include "lib/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int ring_init(struct ring *r, size_t cap)
{
	*r = (struct ring){ 0 };
	if (!cap)
		return -EINVAL;
	r->buf = malloc(cap);
	if (!r->buf)
		return -ENOMEM;
	r->cap = cap;
	return 0;
}

void ring_destroy(struct ring *r)
{
	free(r->buf);
	*r = (struct ring){ 0 };
}

size_t ring_push(struct ring *r, const void *src, size_t n)
{
	const uint8_t *s = src;
	size_t tail, first;

	if (n > ring_space(r))
		n = ring_space(r);
	if (!n)
		return 0;
	/* Free space starts after the held bytes and may wrap once. */
	tail = (r->head + r->len) % r->cap;
	first = r->cap - tail < n ? r->cap - tail : n;
	memcpy(r->buf + tail, s, first);
	memcpy(r->buf, s + first, n - first);
	r->len += n;
	return n;
}

size_t ring_peek(const struct ring *r, const uint8_t **p)
{
	size_t run = r->cap - r->head;

	*p = r->buf + r->head;
	return r->len < run ? r->len : run;
}

void ring_consume(struct ring *r, size_t n)
{
	if (n > r->len)
		n = r->len;
	r->len -= n;
	/* An empty ring starts over at 0: the next peek is one whole run. */
	r->head = r->len ? (r->head + n) % r->cap : 0;
}
