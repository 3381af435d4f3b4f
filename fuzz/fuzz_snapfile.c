// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the snapshot reader and decoder (src/lib/
 * snapread.c): state files from a hostile source.
 *
 * Input: byte 0 bits 0-1 pick the mode, bits 2-7 seed each section's
 * decoding script.  Mode 0, raw: the rest is the file.  Mode 1, resealed:
 * the target first fixes the header's file size and checksum and every
 * section's checksum as far as the lengths lead, so the fuzzer gets past
 * the checksums to everything behind them; mode 2 the same but keeps the
 * declared file size.  Mode 3, structured: the rest is a recipe of
 * sections (a name length byte, the name, a version byte, a 2-byte
 * payload length, the payload) built with the writer, whose image must
 * then be accepted; the last 3 bytes pick one byte of it to change
 * (position, xor), and the changed image must be refused, or with bit 2
 * set is resealed (bit 3: all but the declared size) and may be anything
 * (duplicate names, version 0, counts or sizes that do not match).
 *
 * Checked: no sanitizer report; every refusal comes with its code in the
 * error object and a message; every accepted file decodes within its
 * sections (each value read equals the bytes at that offset, the cursor
 * never passes the end, failures name the section and stick), and
 * written out again by the writer is byte for byte the input: the format
 * has one encoding of each snapshot.  See fuzz/README.md.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/err.h"
#include "lib/le.h"
#include "lib/snapfile.h"

#define ARCH	"x86_64"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fix sizes and checksums so that only the structure is left to check. */
static void reseal(uint8_t *b, size_t len, bool size)
{
	size_t off = SNAP_HEADER_SIZE;
	uint32_t n;

	if (len < SNAP_HEADER_SIZE)
		return;
	if (size)
		le64_put(b + 32, len);
	n = le32_get(b + 40);
	for (uint32_t i = 0; i < n && len - off >= SNAP_SECTION_HEADER_SIZE;
	     i++) {
		uint64_t plen = le64_get(b + off + 20);
		uint32_t c;

		if (plen > len - off - SNAP_SECTION_HEADER_SIZE)
			break;
		c = (uint32_t)crc32(0, b + off, 28);
		c = (uint32_t)crc32(c, b + off + SNAP_SECTION_HEADER_SIZE,
				    (uInt)plen);
		le32_put(b + off + 28, c);
		off += SNAP_SECTION_HEADER_SIZE + (size_t)plen;
	}
	le32_put(b + 44, (uint32_t)crc32(0, b, 44));
}

static void refused(int ret, const struct vmon_err *e)
{
	if (ret >= 0 || e->code != ret || !e->msg[0] ||
	    strncmp(e->msg, "snapshot fuzz: ", 15))
		abort();
}

/* Decode one section by a script of reads picked from seed. */
static void decode(struct snap_reader *r, const struct snap_section *s,
		   uint32_t seed)
{
	struct vmon_err e = { 0 };
	struct snap_dec d;
	uint8_t buf[64];
	size_t at;
	int ret;

	if (snap_dec_begin(r, s->name, UINT32_MAX, &d, &e) ||
	    d.len != s->len || d.version != s->version)
		abort();
	for (int step = 0; step < 64 && !d.err; step++) {
		static const unsigned int widths[] = { 1, 2, 4, 8, 1, 5, 0 };
		unsigned int op, w;
		uint64_t v = 0;

		/* The LCG's high bits: its low ones repeat in a short cycle. */
		seed = seed * 1103515245u + 12345u;
		op = (seed >> 16) % 8;
		w = op < 7 ? widths[op] : 0;
		at = d.off;
		switch (op) {
		case 0: { uint8_t x; ret = snap_get_u8(&d, "u8", &x); v = x;
			  break; }
		case 1: { uint16_t x; ret = snap_get_u16(&d, "u16", &x); v = x;
			  break; }
		case 2: { uint32_t x; ret = snap_get_u32(&d, "u32", &x); v = x;
			  break; }
		case 3: ret = snap_get_u64(&d, "u64", &v);
			break;
		case 4: { bool x; ret = snap_get_bool(&d, "bool", &x); v = x;
			  if (!ret && s->data[at] > 1)
				  abort();
			  break; }
		case 5: w = (seed >> 20) % sizeof(buf);
			ret = snap_get_bytes(&d, "bytes", buf, w);
			if (!ret && memcmp(buf, s->data + at, w))
				abort();
			break;
		case 6: ret = snap_dec_end(&d);
			if (ret != (at == s->len ? 0 : -EINVAL))
				abort();
			continue;
		default:
			if ((seed >> 24) % 4)
				continue;
			ret = snap_dec_fail(&d, "checked", "%u is wrong", seed);
			if (ret != -EINVAL)
				abort();
			continue;
		}
		if (d.off > d.len)
			abort();
		if (!ret && (d.off != at + w ||
			     (op < 4 && v != le_get(s->data + at, w))))
			abort();
		/*
		 * Refused only for a short read or a boolean that is not 0
		 * or 1, naming the section and the field.
		 */
		if (ret) {
			bool short_read = w > s->len - at;
			bool bad_bool = op == 4 && !short_read &&
					s->data[at] > 1;

			if ((!short_read && !bad_bool) ||
			    !strstr(e.msg, s->name) ||
			    !strstr(e.msg, ", field "))
				abort();
		}
	}
	ret = snap_dec_end(&d);
	if (ret && ret != d.err)
		abort();
}

/* An accepted file: decode every section, then write it out again. */
static void accepted(struct snap_reader *r, const uint8_t *b, size_t len,
		     uint32_t seed)
{
	struct snap_writer *w;
	unsigned int n = snap_reader_count(r);
	uint8_t *img;
	size_t ilen;

	if (snap_writer_new(&w, ARCH, NULL))
		abort();
	for (unsigned int i = 0; i < n; i++) {
		const struct snap_section *s = snap_reader_at(r, i);

		if (snap_reader_find(r, s->name) != s)
			abort();
		decode(r, s, seed + i);
		if (snap_writer_add(w, s->name, s->version, s->data, s->len,
				    NULL))
			abort();
	}
	if (snap_reader_all_used(r, NULL) ||
	    snap_writer_image(w, &img, &ilen, NULL))
		abort();
	if (ilen != len || memcmp(img, b, len))
		abort();
	free(img);
	snap_writer_free(w);
}

static int parse(const uint8_t *b, size_t len, uint32_t seed, bool must)
{
	struct snap_reader *r = NULL;
	struct vmon_err e = { 0 };
	int ret = snap_reader_parse(&r, b, len, "fuzz", ARCH, &e);

	if (ret) {
		if (must || r)
			abort();
		refused(ret, &e);
		return ret;
	}
	accepted(r, b, len, seed);
	snap_reader_free(r);
	return 0;
}

/* Structured: sections from a recipe, one byte changed at the end. */
static void structured(const uint8_t *p, size_t size, uint32_t seed)
{
	struct snap_writer *w;
	size_t off = 0, end = size >= 3 ? size - 3 : 0, len;
	uint8_t *img;

	if (snap_writer_new(&w, ARCH, NULL))
		abort();
	while (off < end) {
		char name[SNAP_NAME_LEN + 1] = "";
		size_t nl = p[off++] % (SNAP_NAME_LEN + 1), plen;
		uint32_t version;

		if (end - off < nl + 3)
			break;
		memcpy(name, p + off, nl);
		off += nl;
		version = p[off++];
		plen = le16_get(p + off) % 1024;
		off += 2;
		if (plen > end - off)
			plen = end - off;
		/* Invalid names, version 0, duplicates: the writer says no. */
		snap_writer_add(w, name, version, p + off, plen, NULL);
		off += plen;
	}
	if (snap_writer_image(w, &img, &len, NULL))
		abort();
	snap_writer_free(w);
	parse(img, len, seed, true);
	if (size >= 3 && p[size - 1]) {
		img[le16_get(p + size - 3) % len] ^= p[size - 1];
		if (seed & 1) {
			reseal(img, len, !(seed & 2));
			parse(img, len, seed, false);
		} else if (!parse(img, len, seed, false)) {
			abort();	/* a changed byte must never pass */
		}
	}
	free(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b;
	uint32_t seed;

	if (size < 1)
		return 0;
	seed = data[0] >> 2;
	if ((data[0] & 3) == 3) {
		structured(data + 1, size - 1, seed);
		return 0;
	}
	b = malloc(size);
	if (!b)
		return 0;
	memcpy(b, data + 1, size - 1);
	if (data[0] & 3)
		reseal(b, size - 1, (data[0] & 3) == 1);
	parse(b, size - 1, seed, false);
	free(b);
	return 0;
}
