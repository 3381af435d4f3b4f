/* SPDX-License-Identifier: MIT */
/*
 * Little-endian loads and stores at any alignment, byte by byte, so they
 * mean the same on any host: guest structures, config space, register
 * accesses of 1 to 8 bytes.  The compiler turns them into single moves.
 */
#ifndef VMON_LIB_LE_H
#define VMON_LIB_LE_H

#include <stdint.h>

/* The n-byte (at most 8; more are ignored) value at p. */
static inline uint64_t le_get(const void *p, unsigned int n)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	for (unsigned int i = 0; i < n && i < 8; i++)
		v |= (uint64_t)b[i] << (8 * i);
	return v;
}

/* Store the low n bytes (at most 8) of v at p. */
static inline void le_put(void *p, unsigned int n, uint64_t v)
{
	uint8_t *b = p;

	for (unsigned int i = 0; i < n && i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t le16_get(const void *p)
{
	return (uint16_t)le_get(p, 2);
}

static inline uint32_t le32_get(const void *p)
{
	return (uint32_t)le_get(p, 4);
}

static inline uint64_t le64_get(const void *p)
{
	return le_get(p, 8);
}

static inline void le16_put(void *p, uint16_t v)
{
	le_put(p, 2, v);
}

static inline void le32_put(void *p, uint32_t v)
{
	le_put(p, 4, v);
}

static inline void le64_put(void *p, uint64_t v)
{
	le_put(p, 8, v);
}

#endif
