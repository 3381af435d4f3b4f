// SPDX-License-Identifier: MIT
/*
 * The snapshot container's writing half: the encoder and the writer
 * (snapread.c reads).  The layout is in lib/snapfmt.h and
 * docs/snapshot.md.
 */
#include "lib/snapfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/afile.h"
#include "lib/le.h"
#include "lib/snapfmt.h"

/* ---- the encoder -------------------------------------------------- */

void snap_enc_init(struct snap_enc *enc)
{
	*enc = (struct snap_enc){ 0 };
}

void snap_enc_free(struct snap_enc *enc)
{
	free(enc->buf);
	snap_enc_init(enc);
}

int snap_put_bytes(struct snap_enc *enc, const void *p, size_t n)
{
	if (enc->err)
		return enc->err;
	if (n > SNAP_MAX_SECTION - enc->len)
		return enc->err = -EFBIG;
	if (enc->len + n > enc->alloc) {
		size_t a = enc->alloc ? enc->alloc : 256;
		uint8_t *b;

		while (a < enc->len + n)
			a *= 2;
		if (a > SNAP_MAX_SECTION)
			a = SNAP_MAX_SECTION;
		b = realloc(enc->buf, a);
		if (!b)
			return enc->err = -ENOMEM;
		enc->buf = b;
		enc->alloc = a;
	}
	if (n)
		memcpy(enc->buf + enc->len, p, n);
	enc->len += n;
	return 0;
}

int snap_put_str(struct snap_enc *enc, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (enc->err)
		return enc->err;
	if (n > SNAP_STR_MAX)
		return enc->err = -ENAMETOOLONG;
	snap_put_bool(enc, s != NULL);
	if (s) {
		snap_put_u16(enc, (uint16_t)n);
		snap_put_bytes(enc, s, n);
	}
	return enc->err;
}

static int put_le(struct snap_enc *enc, unsigned int n, uint64_t v)
{
	uint8_t b[8];

	le_put(b, n, v);
	return snap_put_bytes(enc, b, n);
}

int snap_put_u8(struct snap_enc *enc, uint8_t v)
{
	return put_le(enc, 1, v);
}

int snap_put_bool(struct snap_enc *enc, bool v)
{
	return put_le(enc, 1, v ? 1 : 0);
}

int snap_put_u16(struct snap_enc *enc, uint16_t v)
{
	return put_le(enc, 2, v);
}

int snap_put_u32(struct snap_enc *enc, uint32_t v)
{
	return put_le(enc, 4, v);
}

int snap_put_u64(struct snap_enc *enc, uint64_t v)
{
	return put_le(enc, 8, v);
}

/* ---- the writer --------------------------------------------------- */

struct wsection {
	uint8_t name[SNAP_NAME_LEN];
	uint32_t version;
	uint8_t *data;
	size_t len;
};

struct snap_writer {
	uint8_t arch[SNAP_ARCH_LEN];
	struct wsection *sec;
	unsigned int n, alloc;
	size_t size;		/* of the file: header and every section */
};

int snap_writer_new(struct snap_writer **out, const char *arch,
		    struct vmon_err *e)
{
	struct snap_writer *w;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return err_set(e, ERR_HOST, -ENOMEM, "snapshot: out of memory");
	if (!tag_from(w->arch, arch)) {
		free(w);
		return err_set(e, ERR_HOST, -EINVAL, "snapshot: invalid "
			       "architecture tag '%s'", arch ? arch : "");
	}
	w->size = SNAP_HEADER_SIZE;
	*out = w;
	return 0;
}

void snap_writer_free(struct snap_writer *w)
{
	if (!w)
		return;
	for (unsigned int i = 0; i < w->n; i++)
		free(w->sec[i].data);
	free(w->sec);
	free(w);
}

/*
 * Check that a section may be added and make room for it.  The caps are
 * the reader's, so that whatever is written can be read back.
 */
static int add_check(struct snap_writer *w, const char *name,
		     uint32_t version, size_t len, uint8_t *raw,
		     struct vmon_err *e)
{
	if (!tag_from(raw, name))
		return err_set(e, ERR_HOST, -EINVAL, "snapshot: invalid section "
			       "name '%s' (1 to %d of A-Z a-z 0-9 . _ -)",
			       name ? name : "", SNAP_NAME_MAX);
	if (version == 0)
		return err_set(e, ERR_HOST, -EINVAL, "snapshot section %s: "
			       "layout versions start at 1", name);
	for (unsigned int i = 0; i < w->n; i++)
		if (!memcmp(w->sec[i].name, raw, SNAP_NAME_LEN))
			return err_set(e, ERR_HOST, -EEXIST, "snapshot section "
				       "%s added twice", name);
	if (w->n >= SNAP_MAX_SECTIONS)
		return err_set(e, ERR_HOST, -EFBIG, "snapshot section %s: more "
			       "than %d sections", name, SNAP_MAX_SECTIONS);
	if (len > SNAP_MAX_SECTION)
		return err_set(e, ERR_HOST, -EFBIG, "snapshot section %s: %zu "
			       "bytes, more than the %u MiB a section may hold",
			       name, len, SNAP_MAX_SECTION >> 20);
	if (SNAP_SECTION_HEADER_SIZE + len > SNAP_MAX_FILE - w->size)
		return err_set(e, ERR_HOST, -EFBIG, "snapshot section %s: the "
			       "state would exceed %u MiB", name,
			       SNAP_MAX_FILE >> 20);
	if (w->n == w->alloc) {
		unsigned int a = w->alloc ? 2 * w->alloc : 16;
		struct wsection *s = reallocarray(w->sec, a, sizeof(*s));

		if (!s)
			return err_set(e, ERR_HOST, -ENOMEM, "snapshot section "
				       "%s: out of memory", name);
		w->sec = s;
		w->alloc = a;
	}
	return 0;
}

static void add_take(struct snap_writer *w, const uint8_t *raw,
		     uint32_t version, uint8_t *data, size_t len)
{
	struct wsection *s = &w->sec[w->n++];

	memcpy(s->name, raw, SNAP_NAME_LEN);
	s->version = version;
	s->data = data;
	s->len = len;
	w->size += SNAP_SECTION_HEADER_SIZE + len;
}

int snap_writer_add(struct snap_writer *w, const char *name,
		    uint32_t version, const void *data, size_t len,
		    struct vmon_err *e)
{
	uint8_t raw[SNAP_NAME_LEN];
	uint8_t *copy = NULL;
	int ret;

	ret = add_check(w, name, version, len, raw, e);
	if (ret)
		return ret;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return err_set(e, ERR_HOST, -ENOMEM, "snapshot section "
				       "%s: out of memory", name);
		memcpy(copy, data, len);
	}
	add_take(w, raw, version, copy, len);
	return 0;
}

int snap_writer_add_enc(struct snap_writer *w, const char *name,
			uint32_t version, struct snap_enc *enc,
			struct vmon_err *e)
{
	uint8_t raw[SNAP_NAME_LEN];
	int ret = enc->err;

	if (ret) {
		err_set(e, ERR_HOST, ret, "snapshot section %s: %s", name,
			ret == -EFBIG ? "larger than a section may be"
				      : strerror(-ret));
		goto out;
	}
	ret = add_check(w, name, version, enc->len, raw, e);
	if (ret)
		goto out;
	add_take(w, raw, version, enc->buf, enc->len);
	snap_enc_init(enc);	/* the writer owns the buffer now */
	return 0;
out:
	snap_enc_free(enc);
	return ret;
}

/* Where the writer's bytes go: a file or a buffer. */
typedef int (*emit_fn)(void *ctx, const void *p, size_t n, struct vmon_err *e);

static int emit(const struct snap_writer *w, emit_fn out, void *ctx,
		struct vmon_err *e)
{
	uint8_t h[SNAP_HEADER_SIZE] = { 0 };
	int ret;

	memcpy(h + HDR_MAGIC, SNAP_MAGIC, 8);
	le32_put(h + HDR_VERSION, SNAP_VERSION);
	le32_put(h + HDR_FLAGS, 0);
	memcpy(h + HDR_ARCH, w->arch, SNAP_ARCH_LEN);
	le64_put(h + HDR_FILE_SIZE, w->size);
	le32_put(h + HDR_COUNT, w->n);
	le32_put(h + HDR_CRC, crc_of(0, h, HDR_CRC));
	ret = out(ctx, h, sizeof(h), e);
	for (unsigned int i = 0; !ret && i < w->n; i++) {
		const struct wsection *s = &w->sec[i];
		uint8_t sh[SNAP_SECTION_HEADER_SIZE];
		uint32_t crc;

		memcpy(sh + SEC_NAME, s->name, SNAP_NAME_LEN);
		le32_put(sh + SEC_VERSION, s->version);
		le64_put(sh + SEC_LEN, s->len);
		crc = crc_of(0, sh, SEC_CRC);
		le32_put(sh + SEC_CRC, crc_of(crc, s->data, s->len));
		ret = out(ctx, sh, sizeof(sh), e);
		if (!ret && s->len)
			ret = out(ctx, s->data, s->len, e);
	}
	return ret;
}

static int emit_file(void *ctx, const void *p, size_t n, struct vmon_err *e)
{
	return afile_write(ctx, p, n, e);
}

int snap_writer_write(struct snap_writer *w, const char *path,
		      struct vmon_err *e)
{
	struct afile af;
	int ret;

	ret = afile_open(&af, path, "snapshot", e);
	if (ret)
		return ret;
	ret = emit(w, emit_file, &af, e);
	if (ret) {
		afile_discard(&af);
		return ret;
	}
	return afile_commit(&af, e);
}

struct membuf {
	uint8_t *p;
	size_t len;
};

static int emit_mem(void *ctx, const void *p, size_t n, struct vmon_err *e)
{
	struct membuf *m = ctx;

	memcpy(m->p + m->len, p, n);
	m->len += n;
	return 0;
}

int snap_writer_image(const struct snap_writer *w, uint8_t **buf,
		      size_t *len, struct vmon_err *e)
{
	struct membuf m = { .p = malloc(w->size) };

	*buf = NULL;
	*len = 0;
	if (!m.p)
		return err_set(e, ERR_HOST, -ENOMEM, "snapshot: out of memory");
	emit(w, emit_mem, &m, e);
	*buf = m.p;
	*len = m.len;
	return 0;
}

