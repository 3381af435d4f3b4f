// SPDX-License-Identifier: MIT
/*
 * The snapshot container's reading half: the whole-file check and the
 * bounded decoder (snapfile.c writes).  Everything in a state file is
 * untrusted until every byte of it has been checked.
 */
#include "lib/snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/le.h"
#include "lib/snapfmt.h"

struct snap_reader {
	char *what;			/* the path, for messages */
	uint8_t *buf;			/* the whole file */
	size_t len;
	unsigned int n;
	struct snap_section *sec;	/* in file order */
	const struct snap_section **byname;	/* sorted, for lookups */
};

/* Record "snapshot WHAT: ..." in e and return code. */
static int __attribute__((format(printf, 4, 5)))
bad(struct vmon_err *e, const char *what, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(e, ERR_USAGE, code, "snapshot %s: %s", what, msg);
}

static int byname_cmp(const void *a, const void *b)
{
	const struct snap_section *x = *(const struct snap_section *const *)a;
	const struct snap_section *y = *(const struct snap_section *const *)b;
	int c = strcmp(x->name, y->name);

	/* Ties in file order, so a duplicate names its first place first. */
	return c ? c : (x > y) - (x < y);
}

/* The header's fields, in the order that gives the truest message. */
static int check_header(const uint8_t *b, size_t len, const char *what,
			const char *arch, unsigned int *count,
			struct vmon_err *e)
{
	uint8_t want[SNAP_ARCH_LEN];
	char shown[TAG_SHOW_LEN];
	uint32_t version, flags, crc, n;
	uint64_t size;

	if (len == 0)
		return bad(e, what, -EINVAL, "the file is empty");
	if (len < SNAP_HEADER_SIZE)
		return bad(e, what, -EINVAL, "truncated: %zu bytes, shorter "
			   "than the %d-byte header", len, SNAP_HEADER_SIZE);
	if (memcmp(b + HDR_MAGIC, SNAP_MAGIC, 8))
		return bad(e, what, -EINVAL, "not a vmon snapshot (no "
			   "VMONSNAP magic)");
	/* Magic and version are what every future format keeps in place. */
	version = le32_get(b + HDR_VERSION);
	if (version == 0)
		return bad(e, what, -EINVAL, "format version 0 is not valid");
	if (version > SNAP_VERSION)
		return bad(e, what, -ENOTSUP, "format version %u is newer than "
			   "this vmon reads (up to %u): load it with a newer "
			   "vmon", version, SNAP_VERSION);
	crc = crc_of(0, b, HDR_CRC);
	if (crc != le32_get(b + HDR_CRC))
		return bad(e, what, -EBADMSG, "header checksum mismatch (stored "
			   "0x%08x, computed 0x%08x): the file is damaged",
			   le32_get(b + HDR_CRC), crc);
	flags = le32_get(b + HDR_FLAGS);
	if (flags & ~SNAP_FLAGS_KNOWN)
		return bad(e, what, -ENOTSUP, "unknown header flags 0x%x",
			   flags & ~SNAP_FLAGS_KNOWN);
	if (!tag_ok(b + HDR_ARCH))
		return bad(e, what, -EINVAL, "invalid architecture tag \"%s\"",
			   tag_show(b + HDR_ARCH, shown));
	if (!tag_from(want, arch) || memcmp(want, b + HDR_ARCH, SNAP_ARCH_LEN))
		return bad(e, what, -EINVAL, "a snapshot of an %s guest; this "
			   "vmon restores %s guests",
			   tag_show(b + HDR_ARCH, shown), arch ? arch : "(none)");
	size = le64_get(b + HDR_FILE_SIZE);
	if (size > len)
		return bad(e, what, -EINVAL, "truncated: %zu bytes, the header "
			   "says %llu", len, (unsigned long long)size);
	if (size < len)
		return bad(e, what, -EINVAL, "%llu trailing bytes after the "
			   "%llu the header declares",
			   (unsigned long long)(len - size),
			   (unsigned long long)size);
	n = le32_get(b + HDR_COUNT);
	if (n > SNAP_MAX_SECTIONS)
		return bad(e, what, -EFBIG, "%u sections, more than the %d a "
			   "snapshot may have", n, SNAP_MAX_SECTIONS);
	/* Before allocating for them: n headers must at least fit. */
	if ((uint64_t)n * SNAP_SECTION_HEADER_SIZE > len - SNAP_HEADER_SIZE)
		return bad(e, what, -EINVAL, "%u sections cannot fit in %zu "
			   "bytes", n, len);
	*count = n;
	return 0;
}

/* Section i at offset *off: check it, fill s, advance *off past it. */
static int check_section(const uint8_t *b, size_t len, size_t *off,
			 unsigned int i, const char *what,
			 struct snap_section *s, struct vmon_err *e)
{
	const uint8_t *h = b + *off;
	char shown[TAG_SHOW_LEN];
	size_t at = *off, left;
	uint64_t plen;
	uint32_t crc;

	if (len - at < SNAP_SECTION_HEADER_SIZE)
		return bad(e, what, -EINVAL, "section #%u at offset %zu: header "
			   "truncated (%zu bytes left)", i, at, len - at);
	left = len - at - SNAP_SECTION_HEADER_SIZE;
	if (!tag_ok(h + SEC_NAME))
		return bad(e, what, -EINVAL, "section #%u at offset %zu: "
			   "invalid name \"%s\"", i, at,
			   tag_show(h + SEC_NAME, shown));
	memcpy(s->name, h + SEC_NAME, SNAP_NAME_LEN);
	s->version = le32_get(h + SEC_VERSION);
	plen = le64_get(h + SEC_LEN);
	if (plen > SNAP_MAX_SECTION)
		return bad(e, what, -EFBIG, "section %s (#%u at offset %zu): "
			   "%llu bytes, more than the %u MiB a section may "
			   "hold", s->name, i, at, (unsigned long long)plen,
			   SNAP_MAX_SECTION >> 20);
	if (plen > left)
		return bad(e, what, -EINVAL, "section %s (#%u at offset %zu): "
			   "%llu bytes run past the end of the file (%zu "
			   "left)", s->name, i, at, (unsigned long long)plen,
			   left);
	crc = crc_of(crc_of(0, h, SEC_CRC), h + SNAP_SECTION_HEADER_SIZE,
		     (size_t)plen);
	if (crc != le32_get(h + SEC_CRC))
		return bad(e, what, -EBADMSG, "section %s (#%u at offset %zu): "
			   "checksum mismatch (stored 0x%08x, computed "
			   "0x%08x): the file is damaged", s->name, i, at,
			   le32_get(h + SEC_CRC), crc);
	if (s->version == 0)
		return bad(e, what, -EINVAL, "section %s (#%u at offset %zu): "
			   "layout version 0 is not valid", s->name, i, at);
	s->data = h + SNAP_SECTION_HEADER_SIZE;
	s->len = (size_t)plen;
	*off = at + SNAP_SECTION_HEADER_SIZE + s->len;
	return 0;
}

/* Check buf[0 .. len) whole and take it over (freed on failure too). */
static int reader_take(struct snap_reader **out, uint8_t *buf, size_t len,
		       const char *what, const char *arch, struct vmon_err *e)
{
	struct snap_reader *r;
	size_t off = SNAP_HEADER_SIZE;
	unsigned int n = 0;
	int ret;

	*out = NULL;
	if (len > SNAP_MAX_FILE) {
		free(buf);
		return bad(e, what, -EFBIG, "%zu bytes, more than the %u MiB "
			   "a snapshot's state may be", len, SNAP_MAX_FILE >> 20);
	}
	ret = check_header(buf, len, what, arch, &n, e);
	if (ret) {
		free(buf);
		return ret;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		free(buf);
		return err_set(e, ERR_HOST, -ENOMEM, "snapshot %s: out of "
			       "memory", what);
	}
	r->buf = buf;
	r->len = len;
	r->n = n;
	r->what = strdup(what);
	r->sec = calloc(n ? n : 1, sizeof(*r->sec));
	r->byname = calloc(n ? n : 1, sizeof(*r->byname));
	if (!r->what || !r->sec || !r->byname) {
		ret = err_set(e, ERR_HOST, -ENOMEM, "snapshot %s: out of "
			      "memory", what);
		goto fail;
	}
	for (unsigned int i = 0; i < n; i++) {
		ret = check_section(buf, len, &off, i, what, &r->sec[i], e);
		if (ret)
			goto fail;
		r->byname[i] = &r->sec[i];
	}
	if (off != len) {
		ret = bad(e, what, -EINVAL, "%zu bytes after the last of its "
			  "%u sections", len - off, n);
		goto fail;
	}
	qsort(r->byname, n, sizeof(*r->byname), byname_cmp);
	for (unsigned int i = 1; i < n; i++) {
		if (strcmp(r->byname[i - 1]->name, r->byname[i]->name))
			continue;
		ret = bad(e, what, -EINVAL, "section %s appears twice (#%td "
			  "and #%td)", r->byname[i]->name,
			  r->byname[i - 1] - r->sec, r->byname[i] - r->sec);
		goto fail;
	}
	*out = r;
	return 0;
fail:
	snap_reader_free(r);
	return ret;
}

int snap_reader_parse(struct snap_reader **out, const void *buf, size_t len,
		      const char *what, const char *arch, struct vmon_err *e)
{
	uint8_t *copy = malloc(len ? len : 1);

	*out = NULL;
	if (!copy)
		return err_set(e, ERR_HOST, -ENOMEM, "snapshot %s: out of "
			       "memory", what);
	if (len)
		memcpy(copy, buf, len);
	return reader_take(out, copy, len, what, arch, e);
}

/* The whole of a regular file of at most SNAP_MAX_FILE bytes. */
static int read_whole(int fd, const char *path, uint8_t **buf, size_t *len,
		      struct vmon_err *e)
{
	struct stat st;
	size_t size, got = 0;
	uint8_t *b, extra;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return bad(e, path, -errno, "cannot stat: %s", strerror(errno));
	/* Not a FIFO or a device: /dev/zero would never end. */
	if (!S_ISREG(st.st_mode))
		return bad(e, path, -EINVAL, "not a regular file");
	if (st.st_size > SNAP_MAX_FILE)
		return bad(e, path, -EFBIG, "%lld bytes, more than the %u MiB "
			   "a snapshot's state may be", (long long)st.st_size,
			   SNAP_MAX_FILE >> 20);
	size = (size_t)st.st_size;
	b = malloc(size ? size : 1);
	if (!b)
		return err_set(e, ERR_HOST, -ENOMEM, "snapshot %s: out of "
			       "memory", path);
	while (got < size) {
		n = read(fd, b + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int ret = -errno;

			free(b);
			return bad(e, path, ret, "cannot read: %s",
				   strerror(-ret));
		}
		if (n == 0)
			break;	/* shrank since fstat: the check sees it short */
		got += (size_t)n;
	}
	/* Grown since fstat: what was checked would not be all there is. */
	do
		n = read(fd, &extra, 1);
	while (n < 0 && errno == EINTR);
	if (n != 0) {
		free(b);
		return bad(e, path, n < 0 ? -errno : -EINVAL, "the file changed "
			   "while it was being read");
	}
	*buf = b;
	*len = got;
	return 0;
}

int snap_reader_open(struct snap_reader **out, const char *path,
		     const char *arch, struct vmon_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int fd, ret;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bad(e, path, -errno, "cannot open: %s", strerror(errno));
	ret = read_whole(fd, path, &buf, &len, e);
	close(fd);
	if (ret)
		return ret;
	return reader_take(out, buf, len, path, arch, e);
}

void snap_reader_free(struct snap_reader *r)
{
	if (!r)
		return;
	free(r->byname);
	free(r->sec);
	free(r->buf);
	free(r->what);
	free(r);
}

unsigned int snap_reader_count(const struct snap_reader *r)
{
	return r->n;
}

const struct snap_section *snap_reader_at(const struct snap_reader *r,
					  unsigned int i)
{
	return i < r->n ? &r->sec[i] : NULL;
}

static int find_cmp(const void *key, const void *elt)
{
	return strcmp(key, (*(const struct snap_section *const *)elt)->name);
}

const struct snap_section *snap_reader_find(const struct snap_reader *r,
					    const char *name)
{
	const struct snap_section *const *s;

	if (!name || !r->n)
		return NULL;
	s = bsearch(name, r->byname, r->n, sizeof(*r->byname), find_cmp);
	return s ? *s : NULL;
}

int snap_reader_all_used(const struct snap_reader *r, struct vmon_err *e)
{
	for (unsigned int i = 0; i < r->n; i++)
		if (!r->sec[i].used)
			return bad(e, r->what, -EINVAL, "section %s (#%u) is not "
				   "one this vmon knows how to restore",
				   r->sec[i].name, i);
	return 0;
}

/* ---- the decoder -------------------------------------------------- */

int snap_dec_begin(struct snap_reader *r, const char *name,
		   uint32_t max_version, struct snap_dec *d,
		   struct vmon_err *e)
{
	const struct snap_section *found = snap_reader_find(r, name);
	struct snap_section *s;

	*d = (struct snap_dec){ .file = r->what, .section = name, .e = e };
	if (!found)
		return d->err = bad(e, r->what, -ENOENT, "no section %s",
				    name ? name : "(null)");
	s = &r->sec[found - r->sec];
	s->used = true;
	d->section = s->name;
	d->version = s->version;
	if (s->version > max_version)
		return d->err = bad(e, r->what, -ENOTSUP, "section %s has "
				    "layout version %u, newer than this vmon "
				    "reads (up to %u)", s->name, s->version,
				    max_version);
	d->p = s->data;
	d->len = s->len;
	return 0;
}

static int get(struct snap_dec *d, const char *field, void *dst, size_t n)
{
	if (!d->err && n > d->len - d->off)
		d->err = bad(d->e, d->file, -EINVAL, "section %s, field %s: "
			     "truncated (%zu bytes at offset %zu, %zu left)",
			     d->section, field, n, d->off, d->len - d->off);
	if (d->err) {
		memset(dst, 0, n);
		return d->err;
	}
	memcpy(dst, d->p + d->off, n);
	d->off += n;
	d->last = field;
	return 0;
}

/* An n-byte little-endian field into *v, an integer of n bytes. */
static int get_uint(struct snap_dec *d, const char *field, unsigned int n,
		    void *v)
{
	uint8_t b[8];
	int ret = get(d, field, b, n);
	uint64_t x = le_get(b, n);

	switch (n) {
	case 1: *(uint8_t *)v = (uint8_t)x; break;
	case 2: *(uint16_t *)v = (uint16_t)x; break;
	case 4: *(uint32_t *)v = (uint32_t)x; break;
	default: *(uint64_t *)v = x; break;
	}
	return ret;
}

int snap_get_u8(struct snap_dec *d, const char *field, uint8_t *v)
{
	return get_uint(d, field, 1, v);
}

int snap_get_u16(struct snap_dec *d, const char *field, uint16_t *v)
{
	return get_uint(d, field, 2, v);
}

int snap_get_u32(struct snap_dec *d, const char *field, uint32_t *v)
{
	return get_uint(d, field, 4, v);
}

int snap_get_u64(struct snap_dec *d, const char *field, uint64_t *v)
{
	return get_uint(d, field, 8, v);
}

int snap_get_bool(struct snap_dec *d, const char *field, bool *v)
{
	uint8_t x;
	int ret = snap_get_u8(d, field, &x);

	*v = false;
	if (ret)
		return ret;
	if (x > 1)
		return snap_dec_fail(d, field, "%u is not a boolean (0 or 1)",
				     x);
	*v = x;
	return 0;
}

int snap_get_bytes(struct snap_dec *d, const char *field, void *dst,
		   size_t n)
{
	return get(d, field, dst, n);
}

int snap_get_str(struct snap_dec *d, const char *field, size_t max,
		 char **out)
{
	bool present;
	uint16_t n;
	char *s;

	*out = NULL;
	if (snap_get_bool(d, field, &present) || !present)
		return d->err;
	if (snap_get_u16(d, field, &n))
		return d->err;
	if (max > SNAP_STR_MAX)
		max = SNAP_STR_MAX;
	if (n > max)
		return snap_dec_fail(d, field, "%u bytes long, more than the "
				     "%zu allowed", n, max);
	s = malloc((size_t)n + 1);
	if (!s)
		return d->err = bad(d->e, d->file, -ENOMEM, "section %s, "
				    "field %s: out of memory", d->section,
				    field);
	if (get(d, field, s, n)) {
		free(s);
		return d->err;
	}
	s[n] = '\0';
	if (strlen(s) != n) {
		free(s);
		return snap_dec_fail(d, field, "a NUL byte inside the string");
	}
	*out = s;
	return 0;
}

int snap_dec_fail(struct snap_dec *d, const char *field, const char *fmt,
		  ...)
{
	char msg[300];
	va_list ap;

	if (d->err)
		return d->err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return d->err = bad(d->e, d->file, -EINVAL, "section %s, field %s: %s",
			    d->section, field, msg);
}

int snap_dec_end(struct snap_dec *d)
{
	if (d->err)
		return d->err;
	if (d->off != d->len)
		return d->err = bad(d->e, d->file, -EINVAL, "section %s: %zu "
				    "bytes left over after %s%s", d->section,
				    d->len - d->off, d->last ? "field " : "",
				    d->last ? d->last : "its start");
	return 0;
}
