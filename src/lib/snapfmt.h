/* SPDX-License-Identifier: MIT */
/*
 * The snapshot format's layout (docs/snapshot.md has the tables), shared
 * by its writer (snapfile.c) and reader (snapread.c) and nothing else:
 * other code goes through lib/snapfile.h.
 */
#ifndef VMON_LIB_SNAPFMT_H
#define VMON_LIB_SNAPFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "lib/snapfile.h"

/* The header. */
#define HDR_MAGIC       0
#define HDR_VERSION     8
#define HDR_FLAGS       12
#define HDR_ARCH        16
#define HDR_FILE_SIZE   32
#define HDR_COUNT       40
#define HDR_CRC         44	/* crc32 of bytes 0 .. 44 */

/* A section's header, followed by its payload. */
#define SEC_NAME        0
#define SEC_VERSION     16
#define SEC_LEN         20
#define SEC_CRC         28	/* crc32 of bytes 0 .. 28, then the payload */

#define SNAP_FLAGS_KNOWN 0u	/* version 1 defines no flags */

_Static_assert(HDR_CRC + 4 == SNAP_HEADER_SIZE, "header layout");
_Static_assert(SEC_CRC + 4 == SNAP_SECTION_HEADER_SIZE, "section layout");
_Static_assert(SNAP_ARCH_LEN == SNAP_NAME_LEN, "one tag check for both");
/* The reader's size arithmetic stays far from overflowing size_t. */
_Static_assert(SNAP_MAX_FILE < (1ull << 31), "caps fit in 32 bits");

/* zlib's crc32 of a NULL buffer is its initial value, not crc: skip it. */
static inline uint32_t crc_of(uint32_t crc, const void *p, size_t n)
{
	return n ? (uint32_t)crc32_z(crc, p, n) : crc;
}

static inline bool name_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/*
 * Is raw[0 .. SNAP_NAME_LEN) a canonical tag: 1 to SNAP_NAME_MAX name
 * characters, then only NULs?  Canonical, because "pic\0x" and "pic\0y"
 * would otherwise both read as "pic" and dodge the duplicate check; and
 * a small alphabet, because the names go into messages for people.
 */
static inline bool tag_ok(const uint8_t *raw)
{
	size_t i = 0;

	while (i < SNAP_NAME_LEN && raw[i] && name_char(raw[i]))
		i++;
	if (i == 0 || i > SNAP_NAME_MAX)
		return false;
	for (; i < SNAP_NAME_LEN; i++)
		if (raw[i])
			return false;
	return true;
}

/* Copy a C string into a NUL-padded tag if it is a valid one. */
static inline bool tag_from(uint8_t *raw, const char *s)
{
	size_t n = s ? strnlen(s, SNAP_NAME_LEN) : 0;

	if (n == 0 || n > SNAP_NAME_MAX)
		return false;
	memset(raw, 0, SNAP_NAME_LEN);
	memcpy(raw, s, n);
	return tag_ok(raw);
}

/* A raw tag as text safe to print: \xHH for anything else, NULs cut. */
#define TAG_SHOW_LEN (4 * SNAP_NAME_LEN + 1)

static inline const char *tag_show(const uint8_t *raw, char out[TAG_SHOW_LEN])
{
	size_t end = SNAP_NAME_LEN, o = 0;

	while (end && !raw[end - 1])
		end--;
	for (size_t i = 0; i < end; i++) {
		if (raw[i] >= 0x20 && raw[i] < 0x7f && raw[i] != '\\')
			out[o++] = (char)raw[i];
		else
			o += (size_t)sprintf(out + o, "\\x%02x", raw[i]);
	}
	out[o] = 0;
	return out;
}

#endif
