// SPDX-License-Identifier: MIT
/*
 * AML byte-code builder.  Encodings from ACPI 6.5 chapter 20 (AML grammar)
 * and section 6.4 (resource data types).
 */
#include "arch/x86/aml.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/le.h"

/* Opcodes and prefixes (sec. 20.2). */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_STRING_PREFIX	0x0d
#define AML_QWORD_PREFIX	0x0e
#define AML_SCOPE_OP		0x10
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_METHOD_OP		0x14
#define AML_DUAL_NAME_PREFIX	0x2e
#define AML_MULTI_NAME_PREFIX	0x2f
#define AML_EXT_OP_PREFIX	0x5b
#define AML_EXT_DEVICE_OP	0x82
#define AML_ROOT_CHAR		0x5c
#define AML_PARENT_PREFIX	0x5e
#define AML_RETURN_OP		0xa4

/* Resource descriptor tags (sec. 6.4.2, 6.4.3). */
#define RES_IRQ_NOFLAGS		0x22	/* small item 0x4, length 2 */
#define RES_IO			0x47	/* small item 0x8, length 7 */
#define RES_END_TAG		0x79	/* small item 0xf, length 1 */
#define RES_MEM32_FIXED		0x86
#define RES_DWORD_SPACE		0x87
#define RES_WORD_SPACE		0x88
#define RES_EXT_IRQ		0x89
#define RES_QWORD_SPACE		0x8a

#define IO_DECODE16		0x01

/* aml_*_begin() reserves the longest PkgLength; aml_end() shrinks it. */
#define PKG_RESERVE		AML_PKGLEN_MAX_BYTES

#define NAMESEG_LEN		4
#define INT_MAX_BYTES		9	/* QWordPrefix + 8 */

static void fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

void aml_init(struct aml *a, size_t max)
{
	memset(a, 0, sizeof(*a));
	a->max = max;
}

void aml_free(struct aml *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

/* Room for n more bytes, or NULL (and the error set). */
static uint8_t *reserve(struct aml *a, size_t n)
{
	size_t need, alloc;
	uint8_t *p;

	if (a->err)
		return NULL;
	if (__builtin_add_overflow(a->len, n, &need) || need > a->max) {
		fail(a, -ENOSPC);
		return NULL;
	}
	if (need > a->alloc) {
		alloc = a->alloc ? a->alloc : 256;
		while (alloc < need)
			alloc = alloc > a->max / 2 ? a->max : alloc * 2;
		p = realloc(a->buf, alloc);
		if (!p) {
			fail(a, -ENOMEM);
			return NULL;
		}
		a->buf = p;
		a->alloc = alloc;
	}
	p = a->buf + a->len;
	a->len = need;
	return p;
}

void aml_bytes(struct aml *a, const void *src, size_t n)
{
	uint8_t *p = reserve(a, n);

	if (p && n)
		memcpy(p, src, n);
}

static void byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

/* ---- PkgLength (sec. 20.2.4) ------------------------------------------- */

/*
 * One byte holds values up to 63 in bits 0-5.  Longer forms put the count
 * of following bytes (1-3) in bits 6-7 of the lead byte, the low nibble of
 * the value in its bits 0-3 (bits 4-5 zero), then the rest of the value
 * eight bits at a time: 12, 20 or 28 bits in all.
 */
size_t aml_pkglen(uint8_t out[AML_PKGLEN_MAX_BYTES], size_t body_len)
{
	uint64_t v;

	if (body_len > AML_PKGLEN_MAX)
		return 0;
	for (size_t n = 1; n <= AML_PKGLEN_MAX_BYTES; n++) {
		v = (uint64_t)body_len + n;
		if (n == 1 && v <= 0x3f) {
			out[0] = (uint8_t)v;
			return 1;
		}
		if (n > 1 && v < (1ULL << (4 + 8 * (n - 1)))) {
			out[0] = (uint8_t)(((n - 1) << 6) | (v & 0xf));
			for (size_t i = 1; i < n; i++)
				out[i] = (uint8_t)(v >> (4 + 8 * (i - 1)));
			return n;
		}
	}
	return 0;
}

static size_t pkg_begin(struct aml *a)
{
	size_t mark = a->len;

	reserve(a, PKG_RESERVE);
	return mark;
}

void aml_end(struct aml *a, size_t mark)
{
	uint8_t enc[AML_PKGLEN_MAX_BYTES];
	size_t body, n;

	if (a->err)
		return;
	if (mark > a->len || a->len - mark < PKG_RESERVE) {
		fail(a, -EINVAL);
		return;
	}
	body = a->len - mark - PKG_RESERVE;
	n = aml_pkglen(enc, body);
	if (!n) {
		fail(a, -ENOSPC);
		return;
	}
	memmove(a->buf + mark + n, a->buf + mark + PKG_RESERVE, body);
	memcpy(a->buf + mark, enc, n);
	a->len -= PKG_RESERVE - n;
}

/* ---- Names (sec. 20.2.2) ----------------------------------------------- */

static bool lead_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return lead_name_char(c) || (c >= '0' && c <= '9');
}

/* Parse one segment of up to four characters, padded with '_'. */
static const char *parse_seg(const char *s, char seg[NAMESEG_LEN])
{
	size_t i = 0;

	if (!lead_name_char(*s))
		return NULL;
	while (name_char(*s)) {
		if (i == NAMESEG_LEN)
			return NULL;
		seg[i++] = *s++;
	}
	while (i < NAMESEG_LEN)
		seg[i++] = '_';
	return s;
}

void aml_name_path(struct aml *a, const char *path)
{
	char segs[255][NAMESEG_LEN];
	const char *s = path;
	size_t nseg = 0;

	if (*s == '\\') {
		byte(a, AML_ROOT_CHAR);
		s++;
	} else {
		while (*s == '^') {
			byte(a, AML_PARENT_PREFIX);
			s++;
		}
	}
	while (*s) {
		if (nseg == 255) {
			fail(a, -EINVAL);
			return;
		}
		s = parse_seg(s, segs[nseg++]);
		if (!s || (*s && *s != '.') || (*s == '.' && !s[1])) {
			fail(a, -EINVAL);
			return;
		}
		if (*s == '.')
			s++;
	}

	switch (nseg) {
	case 0:
		/* Only "\" names nothing but the root: NullName. */
		if (path[0] != '\\')
			fail(a, -EINVAL);
		byte(a, 0x00);
		return;
	case 1:
		break;
	case 2:
		byte(a, AML_DUAL_NAME_PREFIX);
		break;
	default:
		byte(a, AML_MULTI_NAME_PREFIX);
		byte(a, (uint8_t)nseg);
		break;
	}
	aml_bytes(a, segs, nseg * NAMESEG_LEN);
}

/* ---- Data objects (sec. 20.2.3) ---------------------------------------- */

static size_t int_encode(uint8_t out[INT_MAX_BYTES], uint64_t v)
{
	unsigned int n;

	if (v == 0 || v == 1) {
		out[0] = v ? AML_ONE_OP : AML_ZERO_OP;
		return 1;
	}
	if (v <= 0xff) {
		out[0] = AML_BYTE_PREFIX;
		n = 1;
	} else if (v <= 0xffff) {
		out[0] = AML_WORD_PREFIX;
		n = 2;
	} else if (v <= 0xffffffff) {
		out[0] = AML_DWORD_PREFIX;
		n = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		n = 8;
	}
	le_put(out + 1, n, v);
	return 1 + n;
}

void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t enc[INT_MAX_BYTES];

	aml_bytes(a, enc, int_encode(enc, v));
}

void aml_string(struct aml *a, const char *s)
{
	/* AsciiCharList: 0x01-0x7f, then NullChar. */
	for (const char *c = s; *c; c++) {
		if ((unsigned char)*c > 0x7f) {
			fail(a, -EINVAL);
			return;
		}
	}
	byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

/* Buffer whose contents are data[0..n) followed by tail[0..tail_n). */
static void buffer2(struct aml *a, const void *data, size_t n,
		    const void *tail, size_t tail_n)
{
	uint8_t size[INT_MAX_BYTES], pkg[AML_PKGLEN_MAX_BYTES];
	size_t size_len, pkg_len, total;

	if (__builtin_add_overflow(n, tail_n, &total) ||
	    total > AML_PKGLEN_MAX) {
		fail(a, -ENOSPC);
		return;
	}
	size_len = int_encode(size, total);
	pkg_len = aml_pkglen(pkg, size_len + total);
	if (!pkg_len) {
		fail(a, -ENOSPC);
		return;
	}
	byte(a, AML_BUFFER_OP);
	aml_bytes(a, pkg, pkg_len);
	aml_bytes(a, size, size_len);
	aml_bytes(a, data, n);
	aml_bytes(a, tail, tail_n);
}

void aml_buffer(struct aml *a, const void *data, size_t n)
{
	buffer2(a, data, n, NULL, 0);
}

/* ---- EISA ids (sec. 19.3.4) -------------------------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Three letters, five bits each ('A' = 1), packed big-endian into the
 * first 16 bits, then the four hex digits as two bytes; the 32-bit value
 * is those four bytes in memory order.
 */
int aml_eisaid(const char *id, uint32_t *out)
{
	uint8_t b[4];
	int d[4];

	if (strlen(id) != 7)
		return -EINVAL;
	for (int i = 0; i < 3; i++)
		if (id[i] < 'A' || id[i] > 'Z')
			return -EINVAL;
	for (int i = 0; i < 4; i++) {
		d[i] = hex_digit(id[3 + i]);
		if (d[i] < 0)
			return -EINVAL;
	}
	b[0] = (uint8_t)(((id[0] & 0x1f) << 2) | ((id[1] & 0x1f) >> 3));
	b[1] = (uint8_t)(((id[1] & 0x1f) << 5) | (id[2] & 0x1f));
	b[2] = (uint8_t)((d[0] << 4) | d[1]);
	b[3] = (uint8_t)((d[2] << 4) | d[3]);
	*out = le32_get(b);
	return 0;
}

void aml_eisaid_int(struct aml *a, const char *id)
{
	uint8_t enc[5];
	uint32_t v;

	if (aml_eisaid(id, &v) < 0) {
		fail(a, -EINVAL);
		return;
	}
	/* Always a DWord, as ASL's EISAID() yields, even for small values. */
	enc[0] = AML_DWORD_PREFIX;
	le_put(enc + 1, 4, v);
	aml_bytes(a, enc, sizeof(enc));
}

/* ---- Named objects and blocks (sec. 20.2.5) ---------------------------- */

void aml_name(struct aml *a, const char *name)
{
	byte(a, AML_NAME_OP);
	aml_name_path(a, name);
}

void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_name(a, name);
	aml_integer(a, v);
}

void aml_name_string(struct aml *a, const char *name, const char *s)
{
	aml_name(a, name);
	aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_name(a, name);
	aml_eisaid_int(a, id);
}

void aml_restemplate(struct aml *a, const struct aml *rt)
{
	uint8_t end[2] = { RES_END_TAG, 0 };
	uint8_t sum = RES_END_TAG;

	if (rt->err) {
		fail(a, rt->err);
		return;
	}
	for (size_t i = 0; i < rt->len; i++)
		sum = (uint8_t)(sum + rt->buf[i]);
	end[1] = (uint8_t)-sum;
	buffer2(a, rt->buf, rt->len, end, sizeof(end));
}

void aml_name_restemplate(struct aml *a, const char *name,
			  const struct aml *rt)
{
	aml_name(a, name);
	aml_restemplate(a, rt);
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
	size_t mark;

	byte(a, AML_SCOPE_OP);
	mark = pkg_begin(a);
	aml_name_path(a, path);
	return mark;
}

size_t aml_device_begin(struct aml *a, const char *path)
{
	size_t mark;

	byte(a, AML_EXT_OP_PREFIX);
	byte(a, AML_EXT_DEVICE_OP);
	mark = pkg_begin(a);
	aml_name_path(a, path);
	return mark;
}

size_t aml_method_begin(struct aml *a, const char *path, unsigned int nargs,
			bool serialized)
{
	size_t mark;

	if (nargs > 7)
		fail(a, -EINVAL);
	byte(a, AML_METHOD_OP);
	mark = pkg_begin(a);
	aml_name_path(a, path);
	/* MethodFlags: ArgCount in bits 0-2, SerializeFlag bit 3, SyncLevel 0. */
	byte(a, (uint8_t)((nargs & 7) | (serialized ? 1u << 3 : 0)));
	return mark;
}

size_t aml_package_begin(struct aml *a, unsigned int nelem)
{
	size_t mark;

	/* NumElements is a byte; longer lists need VarPackage. */
	if (nelem > 0xff)
		fail(a, -EINVAL);
	byte(a, AML_PACKAGE_OP);
	mark = pkg_begin(a);
	byte(a, (uint8_t)nelem);
	return mark;
}

void aml_return_int(struct aml *a, uint64_t v)
{
	byte(a, AML_RETURN_OP);
	aml_integer(a, v);
}

/* ---- Resource descriptors (sec. 6.4) ----------------------------------- */

/* I/O Port Descriptor (sec. 6.4.2.5). */
void aml_res_io(struct aml *rt, uint16_t base, uint8_t len)
{
	uint8_t d[8] = { RES_IO, IO_DECODE16 };

	le_put(d + 2, 2, base);		/* range minimum base */
	le_put(d + 4, 2, base);		/* range maximum base */
	d[6] = 1;			/* alignment */
	d[7] = len;
	aml_bytes(rt, d, sizeof(d));
}

/* IRQ Descriptor, two-byte form: edge, active high, exclusive (6.4.2.1). */
void aml_res_irq(struct aml *rt, unsigned int irq)
{
	uint8_t d[3] = { RES_IRQ_NOFLAGS };

	if (irq > 15) {
		fail(rt, -EINVAL);
		return;
	}
	le_put(d + 1, 2, 1u << irq);
	aml_bytes(rt, d, sizeof(d));
}

/* Large descriptor header: tag, then the length of what follows (6.4.3). */
static void large_hdr(uint8_t *d, uint8_t tag, size_t total)
{
	d[0] = tag;
	le_put(d + 1, 2, total - 3);
}

/* Extended Interrupt Descriptor, one interrupt, no source (6.4.3.6). */
void aml_res_ext_irq(struct aml *rt, uint8_t flags, uint32_t gsi)
{
	uint8_t d[9];

	if (flags & ~0x1fu) {
		fail(rt, -EINVAL);
		return;
	}
	large_hdr(d, RES_EXT_IRQ, sizeof(d));
	d[3] = flags;
	d[4] = 1;			/* interrupt table length */
	le_put(d + 5, 4, gsi);
	aml_bytes(rt, d, sizeof(d));
}

/* 32-Bit Fixed Memory Range Descriptor (sec. 6.4.3.4). */
void aml_res_mem32_fixed(struct aml *rt, bool writable, uint32_t base,
			 uint32_t len)
{
	uint8_t d[12];

	large_hdr(d, RES_MEM32_FIXED, sizeof(d));
	d[3] = writable ? 1 : 0;	/* information: bit 0 _RW */
	le_put(d + 4, 4, base);
	le_put(d + 8, 4, len);
	aml_bytes(rt, d, sizeof(d));
}

/*
 * Word/DWord/QWord Address Space Descriptors (sec. 6.4.3.5.1-3): resource
 * type, general flags, type-specific flags, then granularity, minimum,
 * maximum, translation offset and length, each `width` bytes.
 */
static void space(struct aml *rt, uint8_t tag, unsigned int width,
		  const struct aml_space *s)
{
	const uint64_t v[5] = { s->granularity, s->min, s->max,
				s->translation, s->len };
	uint8_t d[3 + 3 + 5 * 8];
	size_t total = 6 + 5 * (size_t)width;

	for (int i = 0; i < 5; i++) {
		if (width < 8 && v[i] >> (8 * width)) {
			fail(rt, -EINVAL);
			return;
		}
	}
	if (s->flags & ~0x0fu || s->min > s->max) {
		fail(rt, -EINVAL);
		return;
	}
	large_hdr(d, tag, total);
	d[3] = s->type;
	d[4] = s->flags;
	d[5] = s->type_flags;
	for (int i = 0; i < 5; i++)
		le_put(d + 6 + i * width, width, v[i]);
	aml_bytes(rt, d, total);
}

void aml_res_word_space(struct aml *rt, const struct aml_space *s)
{
	space(rt, RES_WORD_SPACE, 2, s);
}

void aml_res_dword_space(struct aml *rt, const struct aml_space *s)
{
	space(rt, RES_DWORD_SPACE, 4, s);
}

void aml_res_qword_space(struct aml *rt, const struct aml_space *s)
{
	space(rt, RES_QWORD_SPACE, 8, s);
}
