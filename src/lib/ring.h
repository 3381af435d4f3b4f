/* SPDX-License-Identifier: MIT */
/*
 * A bounded byte ring: a fixed buffer allocated once, bytes pushed at one
 * end and taken from the other in order.  What does not fit is refused,
 * never grown into: the caller decides whether that means waiting or
 * dropping.  No locking of its own; the owner serialises.  A consumer may
 * use the bytes ring_peek() points at after dropping its lock, as long as
 * it is the only one to consume: pushes never touch bytes not yet
 * consumed.
 */
#ifndef VMON_LIB_RING_H
#define VMON_LIB_RING_H

#include <stddef.h>
#include <stdint.h>

struct ring {
	uint8_t *buf;
	size_t cap;	/* bytes buf holds */
	size_t head;	/* index of the oldest byte */
	size_t len;	/* bytes held */
};

/* cap > 0 bytes, allocated now.  0 or -ENOMEM/-EINVAL. */
int ring_init(struct ring *r, size_t cap);
void ring_destroy(struct ring *r);

static inline size_t ring_len(const struct ring *r)
{
	return r->len;
}

static inline size_t ring_space(const struct ring *r)
{
	return r->cap - r->len;
}

/* Append up to n bytes of src; returns how many fitted. */
size_t ring_push(struct ring *r, const void *src, size_t n);

/* The oldest bytes held in one contiguous run: *p and its length. */
size_t ring_peek(const struct ring *r, const uint8_t **p);

/* Forget the n (at most ring_len) oldest bytes. */
void ring_consume(struct ring *r, size_t n);

#endif
