// SPDX-License-Identifier: MIT
#include "arch/x86/kunpack.h"

#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "lib/le.h"

/* Linux's lz4 "legacy" frame: magic, then (size, block) pairs. */
#define LZ4_LEGACY_MAGIC	0x184c2102u
#define LZ4_LEGACY_BLOCK	(8u << 20)

enum kunpack_format kunpack_detect(const uint8_t *p, size_t len)
{
	static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const uint8_t zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	if (len >= 2 && p[0] == 0x1f && (p[1] == 0x8b || p[1] == 0x9e))
		return KUNPACK_GZIP;
	if (len >= 6 && !memcmp(p, xz_magic, 6))
		return KUNPACK_XZ;
	if (len >= 4 && le32_get(p) == LZ4_LEGACY_MAGIC)
		return KUNPACK_LZ4;
	if (len >= 4 && !memcmp(p, zstd_magic, 4))
		return KUNPACK_ZSTD;
	return KUNPACK_UNKNOWN;
}

const char *kunpack_format_name(enum kunpack_format f)
{
	switch (f) {
	case KUNPACK_GZIP: return "gzip";
	case KUNPACK_XZ: return "xz";
	case KUNPACK_LZ4: return "lz4";
	case KUNPACK_ZSTD: return "zstd";
	default: return "unknown";
	}
}

static int unpack_gzip(const uint8_t *in, size_t len, uint8_t *out,
		       size_t cap, size_t *done)
{
	z_stream zs;
	int ret;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)	/* gzip wrapper */
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	zs.next_out = out;
	/* zlib counts in uInt: feed at most 1 GiB at a time. */
	while (1) {
		size_t in_left = len - (size_t)((const uint8_t *)zs.next_in - in);
		size_t out_left = cap - (size_t)(zs.next_out - out);

		zs.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
		zs.avail_out = out_left > (1u << 30) ? (1u << 30) : (uInt)out_left;
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END)
			break;
		if (ret != Z_OK || (zs.avail_out && !zs.avail_in) ||
		    (size_t)(zs.next_out - out) == cap) {
			inflateEnd(&zs);
			return (size_t)(zs.next_out - out) == cap ? -EFBIG
								  : -EINVAL;
		}
	}
	*done = (size_t)(zs.next_out - out);
	inflateEnd(&zs);
	return 0;
}

static int unpack_xz(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
		     size_t *done)
{
	uint64_t memlimit = 256ULL << 20;
	size_t in_pos = 0, out_pos = 0;
	lzma_ret r;

	/* The trailing size word is not xz data: decode one stream only. */
	r = lzma_stream_buffer_decode(&memlimit, 0, NULL, in, &in_pos, len,
				      out, &out_pos, cap);
	if (r == LZMA_OK || r == LZMA_STREAM_END) {
		*done = out_pos;
		return 0;
	}
	return r == LZMA_BUF_ERROR && out_pos == cap ? -EFBIG : -EINVAL;
}

static int unpack_lz4(const uint8_t *in, size_t len, uint8_t *out, size_t cap,
		      size_t *done)
{
	size_t pos = 4, o = 0;

	while (pos + 4 <= len) {
		uint32_t csize = le32_get(in + pos);
		int n;

		/* A new frame may follow; the last word is the size trailer. */
		if (csize == LZ4_LEGACY_MAGIC) {
			pos += 4;
			continue;
		}
		if (csize > len - pos - 4)
			break;	/* the trailing size, or garbage: stop */
		pos += 4;
		if (cap - o == 0)
			return -EFBIG;
		n = LZ4_decompress_safe((const char *)in + pos, (char *)out + o,
					(int)csize,
					(int)(cap - o < LZ4_LEGACY_BLOCK
						      ? cap - o
						      : LZ4_LEGACY_BLOCK));
		if (n < 0)
			return -EINVAL;
		o += (size_t)n;
		pos += csize;
	}
	if (o == 0)
		return -EINVAL;
	*done = o;
	return 0;
}

static int unpack_zstd(const uint8_t *in, size_t len, uint8_t *out,
		       size_t cap, size_t *done)
{
	size_t flen = ZSTD_findFrameCompressedSize(in, len);
	size_t n;

	if (ZSTD_isError(flen))
		return -EINVAL;
	n = ZSTD_decompress(out, cap, in, flen);
	if (ZSTD_isError(n))
		return ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall
			       ? -EFBIG : -EINVAL;
	*done = n;
	return 0;
}

int kunpack(const uint8_t *payload, size_t len, size_t max_out, uint8_t **out,
	    size_t *out_len, char *err, size_t errlen)
{
	enum kunpack_format f = kunpack_detect(payload, len);
	size_t want, done = 0;
	uint8_t *buf;
	int ret;

	if (f == KUNPACK_UNKNOWN)
		return -ENOTSUP;
	if (len < 8) {
		snprintf(err, errlen, "compressed kernel payload is truncated "
			 "(%zu bytes)", len);
		return -EINVAL;
	}
	/* The build appends the uncompressed size (size_append). */
	want = le32_get(payload + len - 4);
	if (want == 0 || want > max_out) {
		snprintf(err, errlen, "compressed kernel says it unpacks to %zu "
			 "bytes; the limit is %zu", want, max_out);
		return -EFBIG;
	}
	buf = malloc(want);
	if (!buf)
		return -ENOMEM;
	switch (f) {
	case KUNPACK_GZIP: ret = unpack_gzip(payload, len, buf, want, &done); break;
	case KUNPACK_XZ: ret = unpack_xz(payload, len, buf, want, &done); break;
	case KUNPACK_LZ4: ret = unpack_lz4(payload, len, buf, want, &done); break;
	default: ret = unpack_zstd(payload, len, buf, want, &done); break;
	}
	if (ret == 0 && done != want)
		ret = -EINVAL;
	if (ret) {
		snprintf(err, errlen, "cannot unpack the %s kernel payload: %s",
			 kunpack_format_name(f),
			 ret == -EFBIG ? "it is larger than it says"
				       : "corrupt or truncated data");
		free(buf);
		return ret;
	}
	*out = buf;
	*out_len = done;
	return 0;
}
