// SPDX-License-Identifier: MIT
/*
 * The snapshot container (lib/snapfile.h) as guest-input.md 26-29 asks:
 * a round trip; every truncation and every single-bit flip of a valid
 * file refused, naming the section; each header field wrong on its own;
 * the caps; the bounded decoder; write failures (a file size limit, a
 * full tmpfs) leaving nothing behind and the previous snapshot intact;
 * and the sparse memory file.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/le.h"
#include "lib/snapfile.h"

#define ARCH "x86_64"

/* ---- fixtures ------------------------------------------------------ */

struct fx {
	char dir[256];
	char path[300];		/* dir/snap */
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *t = getenv("TMPDIR");

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/vmon-snap.XXXXXX",
		 t && *t ? t : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/snap", f->dir);
	*state = f;
	return 0;
}

/* Remove dir and what is in it (one level, plus empty subfolders). */
static void rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[600];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (unlink(p) < 0)
			rm_dir(p);
	}
	closedir(d);
	rmdir(dir);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	rm_dir(f->dir);
	free(f);
	return 0;
}

/* The names in dir, sorted, joined by spaces ("" when empty). */
static void listing(const char *dir, char *out, size_t len)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	size_t o = 0;

	out[0] = 0;
	for (int i = 0; i < n; i++) {
		const char *s = names[i]->d_name;

		if (strcmp(s, ".") && strcmp(s, ".."))
			o += (size_t)snprintf(out + o, len - o, "%s%s",
					      o ? " " : "", s);
		free(names[i]);
	}
	free(names);
}

static void expect_listing(const char *dir, const char *want)
{
	char got[1024];

	listing(dir, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("%s holds '%s', expected '%s'", dir, got, want);
}

static void expect_msg(const struct vmon_err *e, const char *want)
{
	if (!strstr(e->msg, want))
		fail_msg("message '%s' lacks '%s'", e->msg, want);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *b;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	b = malloc((size_t)st.st_size + 1);
	assert_non_null(b);
	assert_int_equal(read(fd, b, (size_t)st.st_size), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return b;
}

static void put_file(const char *path, const void *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, len), (ssize_t)len);
	close(fd);
}

/* ---- a sample snapshot --------------------------------------------- */

static const uint8_t pic_state[3] = { 0x11, 0x22, 0x33 };
static const char *const sample_names[] = { "vcpu.0", "pic", "virtio.blk0",
					    "empty" };
#define NR_SAMPLE 4

static struct snap_writer *sample_writer(const char *arch, uint64_t rip)
{
	struct snap_writer *w;
	struct snap_enc enc;
	struct vmon_err e = { 0 };

	assert_int_equal(snap_writer_new(&w, arch, &e), 0);
	snap_enc_init(&enc);
	snap_put_u64(&enc, rip);
	snap_put_u32(&enc, 0x12345678);
	snap_put_u16(&enc, 0xbeef);
	snap_put_u8(&enc, 7);
	snap_put_bool(&enc, true);
	assert_int_equal(snap_put_bytes(&enc, "xsave", 5), 0);
	assert_int_equal(snap_writer_add_enc(w, "vcpu.0", 1, &enc, &e), 0);
	assert_null(enc.buf);	/* taken */
	assert_int_equal(snap_writer_add(w, "pic", 2, pic_state,
					 sizeof(pic_state), &e), 0);
	for (int i = 0; i < 40; i++)
		snap_put_u32(&enc, (uint32_t)i * 0x01010101u);
	assert_int_equal(snap_writer_add_enc(w, "virtio.blk0", 1, &enc, &e),
			 0);
	assert_int_equal(snap_writer_add(w, "empty", 1, NULL, 0, &e), 0);
	assert_int_equal(e.code, 0);
	return w;
}

static uint8_t *sample_image(size_t *len)
{
	struct snap_writer *w = sample_writer(ARCH, 0xfff0);
	uint8_t *b;

	assert_int_equal(snap_writer_image(w, &b, len, NULL), 0);
	snap_writer_free(w);
	return b;
}

/* Offsets of the sample's sections: [i] is where #i starts, [4] the end. */
static void sample_offsets(const uint8_t *b, size_t len, size_t off[5])
{
	off[0] = SNAP_HEADER_SIZE;
	for (int i = 0; i < NR_SAMPLE; i++)
		off[i + 1] = off[i] + SNAP_SECTION_HEADER_SIZE +
			     (size_t)le64_get(b + off[i] + 20);
	assert_int_equal(off[NR_SAMPLE], len);
}

/* Make the header's size and checksum agree with a doctored image. */
static void reseal(uint8_t *b, size_t len)
{
	le64_put(b + 32, len);
	le32_put(b + 44, (uint32_t)crc32(0, b, 44));
}

/* The same for the section at off, with a payload of plen bytes. */
static void reseal_section(uint8_t *b, size_t off, size_t plen)
{
	uint32_t c = (uint32_t)crc32(0, b + off, 28);

	c = (uint32_t)crc32(c, b + off + SNAP_SECTION_HEADER_SIZE,
			    (uInt)plen);
	le32_put(b + off + 28, c);
}

/* Parse b, expecting a refusal with code and a message holding want. */
static void refused(const uint8_t *b, size_t len, int code, const char *want)
{
	struct snap_reader *r = (void *)1;
	struct vmon_err e = { 0 };
	int ret = snap_reader_parse(&r, b, len, "t.snap", ARCH, &e);

	if (ret == 0)
		fail_msg("accepted; expected '%s'", want);
	assert_null(r);
	assert_int_equal(e.code, ret);
	assert_int_equal(e.kind, ERR_USAGE);
	if (code)
		assert_int_equal(ret, code);
	expect_msg(&e, "snapshot t.snap: ");
	if (want)
		expect_msg(&e, want);
}

/* ---- round trip ---------------------------------------------------- */

static void check_sample(struct snap_reader *r, uint64_t rip)
{
	struct vmon_err e = { 0 };
	struct snap_dec d;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8, pic[3], xs[5];
	bool b;

	assert_int_equal(snap_reader_count(r), NR_SAMPLE);
	for (unsigned int i = 0; i < NR_SAMPLE; i++) {
		assert_string_equal(snap_reader_at(r, i)->name,
				    sample_names[i]);
		assert_ptr_equal(snap_reader_find(r, sample_names[i]),
				 snap_reader_at(r, i));
	}
	assert_null(snap_reader_at(r, NR_SAMPLE));
	assert_null(snap_reader_find(r, "vcpu.1"));
	assert_null(snap_reader_find(r, ""));

	assert_int_equal(snap_dec_begin(r, "vcpu.0", 1, &d, &e), 0);
	assert_int_equal(d.version, 1);
	snap_get_u64(&d, "rip", &v64);
	snap_get_u32(&d, "a", &v32);
	snap_get_u16(&d, "b", &v16);
	snap_get_u8(&d, "c", &v8);
	snap_get_bool(&d, "d", &b);
	snap_get_bytes(&d, "xsave", xs, sizeof(xs));
	assert_int_equal(snap_dec_end(&d), 0);
	assert_int_equal(v64, rip);
	assert_int_equal(v32, 0x12345678);
	assert_int_equal(v16, 0xbeef);
	assert_int_equal(v8, 7);
	assert_true(b);
	assert_memory_equal(xs, "xsave", 5);

	assert_int_equal(snap_reader_all_used(r, &e), -EINVAL);
	expect_msg(&e, "section pic (#1) is not one this vmon knows");
	e = (struct vmon_err){ 0 };

	assert_int_equal(snap_dec_begin(r, "pic", 2, &d, &e), 0);
	assert_int_equal(d.version, 2);
	assert_int_equal(snap_get_bytes(&d, "state", pic, 3), 0);
	assert_memory_equal(pic, pic_state, 3);
	assert_int_equal(snap_dec_end(&d), 0);

	assert_int_equal(snap_dec_begin(r, "virtio.blk0", 1, &d, &e), 0);
	for (uint32_t i = 0; i < 40; i++) {
		assert_int_equal(snap_get_u32(&d, "word", &v32), 0);
		assert_int_equal(v32, i * 0x01010101u);
	}
	assert_int_equal(snap_dec_end(&d), 0);
	assert_int_equal(snap_dec_begin(r, "empty", 1, &d, &e), 0);
	assert_int_equal(snap_dec_end(&d), 0);
	assert_int_equal(snap_reader_all_used(r, &e), 0);
	assert_int_equal(e.code, 0);
}

static void round_trip(void **state)
{
	struct fx *f = *state;
	struct snap_writer *w = sample_writer(ARCH, 0xfff0);
	struct snap_reader *r;
	struct vmon_err e = { 0 };
	struct stat st;
	uint8_t *img, *file;
	size_t ilen, flen;

	assert_int_equal(snap_writer_write(w, f->path, &e), 0);
	assert_int_equal(snap_writer_image(w, &img, &ilen, &e), 0);
	snap_writer_free(w);
	expect_listing(f->dir, "snap");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);	/* guest state */
	file = slurp(f->path, &flen);
	assert_int_equal(flen, ilen);
	assert_memory_equal(file, img, ilen);
	assert_memory_equal(file, "VMONSNAP\x01\0\0\0\0\0\0\0x86_64", 22);

	assert_int_equal(snap_reader_open(&r, f->path, ARCH, &e), 0);
	check_sample(r, 0xfff0);
	snap_reader_free(r);
	assert_int_equal(snap_reader_parse(&r, img, ilen, "img", ARCH, &e), 0);
	check_sample(r, 0xfff0);
	snap_reader_free(r);

	/* A new snapshot replaces the old one whole. */
	w = sample_writer(ARCH, 0x1234);
	assert_int_equal(snap_writer_write(w, f->path, &e), 0);
	snap_writer_free(w);
	expect_listing(f->dir, "snap");
	assert_int_equal(snap_reader_open(&r, f->path, ARCH, &e), 0);
	check_sample(r, 0x1234);
	snap_reader_free(r);

	/* No sections at all is a valid, if useless, snapshot. */
	free(img);
	assert_int_equal(snap_writer_new(&w, ARCH, &e), 0);
	assert_int_equal(snap_writer_image(w, &img, &ilen, &e), 0);
	assert_int_equal(ilen, SNAP_HEADER_SIZE);
	assert_int_equal(snap_reader_parse(&r, img, ilen, "img", ARCH, &e), 0);
	assert_int_equal(snap_reader_count(r), 0);
	assert_null(snap_reader_find(r, "pic"));
	assert_int_equal(snap_reader_all_used(r, &e), 0);
	snap_reader_free(r);
	snap_writer_free(w);
	free(img);
	free(file);
	assert_int_equal(e.code, 0);
}

/* ---- every truncation, every bit ----------------------------------- */

static void truncated_everywhere(void **state)
{
	struct fx *f = *state;
	size_t len;
	uint8_t *img = sample_image(&len);

	for (size_t n = 0; n < len; n++) {
		const char *want = n == 0 ? "the file is empty"
			: n < SNAP_HEADER_SIZE ? "shorter than the 48-byte header"
			: "truncated";
		struct snap_reader *r = (void *)1;
		struct vmon_err e = { 0 };

		refused(img, n, -EINVAL, want);
		/* And as a file, through the reading path. */
		put_file(f->path, img, n);
		assert_int_equal(snap_reader_open(&r, f->path, ARCH, &e),
				 -EINVAL);
		assert_null(r);
		expect_msg(&e, f->path);
		expect_msg(&e, want);
	}
	free(img);
}

static void bit_flips_everywhere(void **state)
{
	size_t len, off[NR_SAMPLE + 1];
	uint8_t *img = sample_image(&len);

	sample_offsets(img, len, off);
	for (size_t i = 0; i < len; i++) {
		char want[32] = "";

		for (int s = 0; s < NR_SAMPLE; s++)
			if (i >= off[s] && i < off[s + 1])
				snprintf(want, sizeof(want), "#%d at offset %zu",
					 s, off[s]);
		for (int bit = 0; bit < 8; bit++) {
			img[i] ^= (uint8_t)(1u << bit);
			refused(img, len, 0, want[0] ? want : NULL);
			img[i] ^= (uint8_t)(1u << bit);
		}
	}
	free(img);
}

/* ---- one header field at a time ------------------------------------ */

static void header_fields(void **state)
{
	size_t len;
	uint8_t *img = sample_image(&len), *b = malloc(len + 16);

	assert_non_null(b);
#define FRESH() memcpy(b, img, len)
	FRESH();
	memcpy(b, "VMONSNAQ", 8);
	refused(b, len, -EINVAL, "not a vmon snapshot");
	FRESH();
	memcpy(b, "\x7f" "ELF", 4);
	refused(b, len, -EINVAL, "not a vmon snapshot");

	/* Newer formats are refused by version before their checksum. */
	FRESH();
	le32_put(b + 8, 2);
	refused(b, len, -ENOTSUP, "format version 2 is newer than this vmon "
		"reads (up to 1)");
	le32_put(b + 8, UINT32_MAX);
	refused(b, len, -ENOTSUP, "format version 4294967295");
	le32_put(b + 8, 0);
	refused(b, len, -EINVAL, "format version 0 is not valid");

	FRESH();
	b[12] = 1;		/* flags, checksum not updated */
	refused(b, len, -EBADMSG, "header checksum mismatch");
	reseal(b, len);
	refused(b, len, -ENOTSUP, "unknown header flags 0x1");

	FRESH();
	memcpy(b + 16, "x86_64\0z", 8);	/* not NUL-padded */
	reseal(b, len);
	refused(b, len, -EINVAL, "invalid architecture tag \"x86_64\\x00z\"");
	FRESH();
	memset(b + 16, 0, 16);
	reseal(b, len);
	refused(b, len, -EINVAL, "invalid architecture tag \"\"");

	/* The declared size against the real one. */
	FRESH();
	le64_put(b + 32, len + 1);
	le32_put(b + 44, (uint32_t)crc32(0, b, 44));
	refused(b, len, -EINVAL, "truncated");
	memcpy(b + len, "junk!", 5);
	refused(b, len + 5, -EINVAL, "4 trailing bytes after the");
	FRESH();
	memcpy(b + len, "junk!", 5);
	refused(b, len + 5, -EINVAL, "5 trailing bytes after the");
	/* ... and resealed: the sections must fill the file exactly. */
	reseal(b, len + 5);
	refused(b, len + 5, -EINVAL, "5 bytes after the last of its 4 "
		"sections");

	/* Section count: over the cap, more than fits, too few. */
	FRESH();
	le32_put(b + 40, SNAP_MAX_SECTIONS + 1);
	reseal(b, len);
	refused(b, len, -EFBIG, "4097 sections, more than the 4096");
	le32_put(b + 40, UINT32_MAX);
	reseal(b, len);
	refused(b, len, -EFBIG, "4294967295 sections");
	le32_put(b + 40, 100);
	reseal(b, len);
	refused(b, len, -EINVAL, "100 sections cannot fit");
	le32_put(b + 40, NR_SAMPLE + 1);
	reseal(b, len);
	refused(b, len, -EINVAL, "section #4 at offset");
	le32_put(b + 40, NR_SAMPLE - 1);
	reseal(b, len);
	refused(b, len, -EINVAL, "after the last of its 3 sections");
#undef FRESH
	free(b);
	free(img);
}

static void wrong_arch(void **state)
{
	struct snap_writer *w = sample_writer("aarch64", 0);
	struct snap_reader *r;
	struct vmon_err e = { 0 };
	uint8_t *b;
	size_t len;

	assert_int_equal(snap_writer_image(w, &b, &len, NULL), 0);
	refused(b, len, -EINVAL, "a snapshot of an aarch64 guest; this vmon "
		"restores x86_64 guests");
	assert_int_equal(snap_reader_parse(&r, b, len, "x", "aarch64", &e), 0);
	snap_reader_free(r);
	snap_writer_free(w);
	free(b);
}

/* ---- sections ------------------------------------------------------ */

/* Section names the reader refuses, as raw bytes, and how it shows them. */
static const struct {
	char raw[SNAP_NAME_LEN + 1];
	const char *want;
} bad_names[] = {
	{ "pic\0x", "invalid name \"pic\\x00x\"" },	/* not NUL-padded */
	{ "p\nc", "invalid name \"p\\x0ac\"" },
	{ "pi c", "invalid name \"pi c\"" },
	{ "caf\xc3\xa9", "invalid name \"caf\\xc3\\xa9\"" },
	{ "a\\b", "invalid name \"a\\x5cb\"" },
	{ "aaaaaaaaaaaaaaaa", "invalid name \"aaaaaaaaaaaaaaaa\"" },
	{ "", "invalid name \"\"" },
};

static void section_fields(void **state)
{
	size_t len, off[NR_SAMPLE + 1];
	uint8_t *img = sample_image(&len), *b = malloc(len);
	char at[64];
	size_t pic;

	assert_non_null(b);
	sample_offsets(img, len, off);
	pic = off[1];
	snprintf(at, sizeof(at), "(#1 at offset %zu): ", pic);
#define FRESH() memcpy(b, img, len)
	/* A payload byte: the checksum names the section. */
	FRESH();
	b[pic + SNAP_SECTION_HEADER_SIZE + 1] ^= 0x40;
	refused(b, len, -EBADMSG, at);
	refused(b, len, -EBADMSG, "section pic (#1 at offset");
	refused(b, len, -EBADMSG, "checksum mismatch (stored 0x");
	/* The name, version and length are under the checksum too. */
	FRESH();
	b[pic] = 'P';
	refused(b, len, -EBADMSG, "section Pic (#1");
	FRESH();
	le32_put(b + pic + 16, 3);
	refused(b, len, -EBADMSG, "section pic (#1");

	/* Length over the cap, and past the end of the file. */
	FRESH();
	le64_put(b + pic + 20, SNAP_MAX_SECTION + 1ull);
	refused(b, len, -EFBIG, at);
	refused(b, len, -EFBIG, "section pic (#1 at offset");
	refused(b, len, -EFBIG, "16777217 bytes, more than the 16 MiB");
	le64_put(b + pic + 20, UINT64_MAX);
	refused(b, len, -EFBIG, "18446744073709551615 bytes");
	le64_put(b + pic + 20, len - pic - SNAP_SECTION_HEADER_SIZE + 1);
	refused(b, len, -EINVAL, "run past the end of the file");

	/* Names: canonical, of the alphabet, not empty, unique. */
	for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
		FRESH();
		memcpy(b + pic, bad_names[i].raw, SNAP_NAME_LEN);
		reseal_section(b, pic, 3);
		refused(b, len, -EINVAL, bad_names[i].want);
	}
	FRESH();
	memcpy(b + off[3], "vcpu.0\0", 7);	/* "empty" renamed */
	reseal_section(b, off[3], 0);
	refused(b, len, -EINVAL, "section vcpu.0 appears twice (#0 and #3)");
	FRESH();
	le32_put(b + pic + 16, 0);
	reseal_section(b, pic, 3);
	refused(b, len, -EINVAL, at);
	refused(b, len, -EINVAL, "layout version 0 is not valid");
#undef FRESH
	free(b);
	free(img);
}

static void file_kinds(void **state)
{
	struct fx *f = *state;
	struct snap_reader *r;
	struct vmon_err e = { 0 };
	char p[400];
	int fd;

	assert_int_equal(snap_reader_open(&r, f->path, ARCH, &e), -ENOENT);
	expect_msg(&e, "cannot open");
	expect_msg(&e, f->path);
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_reader_open(&r, f->dir, ARCH, &e), -EINVAL);
	expect_msg(&e, "not a regular file");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_reader_open(&r, "/dev/zero", ARCH, &e), -EINVAL);
	expect_msg(&e, "not a regular file");

	/* Over the total cap: refused by its size, before reading it. */
	snprintf(p, sizeof(p), "%s/huge", f->dir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SNAP_MAX_FILE + 1), 0);
	close(fd);
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_reader_open(&r, p, ARCH, &e), -EFBIG);
	expect_msg(&e, "67108865 bytes, more than the 64 MiB");
	unlink(p);
}

/* ---- the decoder --------------------------------------------------- */

static void decoder_bounds(void **state)
{
	size_t len;
	uint8_t *img = sample_image(&len);
	struct snap_reader *r;
	struct vmon_err e = { 0 };
	struct snap_dec d;
	uint64_t v64 = 1;
	uint32_t v32 = 1;
	uint16_t v16 = 1;
	uint8_t v8 = 1, buf[4] = { 1, 1, 1, 1 };
	bool b;

	assert_int_equal(snap_reader_parse(&r, img, len, "t.snap", ARCH, &e),
			 0);

	/* pic holds 3 bytes: a u32 runs past its end. */
	assert_int_equal(snap_dec_begin(r, "pic", 2, &d, &e), 0);
	assert_int_equal(snap_get_u16(&d, "imr", &v16), 0);
	assert_int_equal(v16, 0x2211);
	assert_int_equal(snap_get_u32(&d, "elcr", &v32), -EINVAL);
	assert_int_equal(v32, 0);
	assert_string_equal(e.msg, "snapshot t.snap: section pic, field elcr: "
			    "truncated (4 bytes at offset 2, 1 left)");
	/* Sticky: later reads fail too, give zeros, keep the first word. */
	assert_int_equal(snap_get_u8(&d, "irr", &v8), -EINVAL);
	assert_int_equal(v8, 0);
	assert_int_equal(snap_get_bytes(&d, "rest", buf, 4), -EINVAL);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	assert_int_equal(snap_get_u64(&d, "x", &v64), -EINVAL);
	assert_int_equal(v64, 0);
	assert_int_equal(snap_dec_end(&d), -EINVAL);
	expect_msg(&e, "field elcr");

	/* Not read to the end. */
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_dec_begin(r, "pic", 2, &d, &e), 0);
	assert_int_equal(snap_get_u8(&d, "imr", &v8), 0);
	assert_int_equal(snap_dec_end(&d), -EINVAL);
	assert_string_equal(e.msg, "snapshot t.snap: section pic: 2 bytes "
			    "left over after field imr");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_dec_begin(r, "pic", 2, &d, &e), 0);
	assert_int_equal(snap_dec_end(&d), -EINVAL);
	expect_msg(&e, "3 bytes left over after its start");

	/* Booleans are 0 or 1; callers refuse values in the same words. */
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_dec_begin(r, "vcpu.0", 1, &d, &e), 0);
	assert_int_equal(snap_get_bool(&d, "rip0", &b), -EINVAL);
	assert_false(b);
	expect_msg(&e, "section vcpu.0, field rip0: 240 is not a boolean");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_dec_begin(r, "virtio.blk0", 1, &d, &e), 0);
	assert_int_equal(snap_get_u32(&d, "q0.size", &v32), 0);
	assert_int_equal(snap_dec_fail(&d, "q0.size", "%u is not a power of "
				       "two", 3), -EINVAL);
	assert_string_equal(e.msg, "snapshot t.snap: section virtio.blk0, "
			    "field q0.size: 3 is not a power of two");
	assert_int_equal(snap_get_u32(&d, "q0.desc", &v32), -EINVAL);

	/* Missing sections, newer layouts. */
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_dec_begin(r, "ioapic", 1, &d, &e), -ENOENT);
	assert_string_equal(e.msg, "snapshot t.snap: no section ioapic");
	assert_int_equal(snap_get_u8(&d, "x", &v8), -ENOENT);
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_dec_begin(r, "pic", 1, &d, &e), -ENOTSUP);
	expect_msg(&e, "section pic has layout version 2, newer than this vmon "
		   "reads (up to 1)");
	assert_int_equal(snap_get_u8(&d, "x", &v8), -ENOTSUP);
	assert_int_equal(snap_dec_end(&d), -ENOTSUP);

	/* A decoder with no error object still refuses. */
	assert_int_equal(snap_dec_begin(r, "empty", 1, &d, NULL), 0);
	assert_int_equal(snap_get_u8(&d, "x", &v8), -EINVAL);
	snap_reader_free(r);
	free(img);
}

/* ---- the writer's rules -------------------------------------------- */

static void writer_rules(void **state)
{
	struct snap_writer *w;
	struct snap_enc enc;
	struct vmon_err e = { 0 };
	static const char *const not_names[] = {
		"", "sixteen_chars_xx", "a b", "pic/0", "caf\xc3\xa9", "x\n",
	};
	uint8_t *big;

	assert_int_equal(snap_writer_new(&w, "", &e), -EINVAL);
	assert_null(w);
	assert_int_equal(snap_writer_new(&w, NULL, NULL), -EINVAL);
	assert_int_equal(snap_writer_new(&w, "x86_64 but longer", NULL),
			 -EINVAL);
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_writer_new(&w, ARCH, &e), 0);

	for (size_t i = 0; i < sizeof(not_names) / sizeof(not_names[0]); i++)
		assert_int_equal(snap_writer_add(w, not_names[i], 1, "", 0,
						 NULL), -EINVAL);
	assert_int_equal(snap_writer_add(w, NULL, 1, "", 0, &e), -EINVAL);
	expect_msg(&e, "invalid section name");
	assert_int_equal(snap_writer_add(w, "fifteen_chars_x", 1, "", 0, NULL),
			 0);
	assert_int_equal(snap_writer_add(w, "pic", 0, "", 0, NULL), -EINVAL);
	assert_int_equal(snap_writer_add(w, "pic", 1, "", 0, NULL), 0);
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_writer_add(w, "pic", 2, "", 0, &e), -EEXIST);
	expect_msg(&e, "section pic added twice");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_writer_add(w, "big", 1, "",
					 SNAP_MAX_SECTION + 1, &e), -EFBIG);
	expect_msg(&e, "more than the 16 MiB a section may hold");

	/* The count cap: 4096 in all. */
	for (int i = 2; i < SNAP_MAX_SECTIONS; i++) {
		char n[16];

		snprintf(n, sizeof(n), "s%d", i);
		assert_int_equal(snap_writer_add(w, n, 1, NULL, 0, NULL), 0);
	}
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_writer_add(w, "one.more", 1, NULL, 0, &e),
			 -EFBIG);
	expect_msg(&e, "more than 4096 sections");
	snap_writer_free(w);

	/* The total cap: four full sections and their headers are over it. */
	big = calloc(1, SNAP_MAX_SECTION);
	assert_non_null(big);
	assert_int_equal(snap_writer_new(&w, ARCH, NULL), 0);
	for (int i = 0; i < 3; i++) {
		char n[16];

		snprintf(n, sizeof(n), "big%d", i);
		assert_int_equal(snap_writer_add(w, n, 1, big,
						 SNAP_MAX_SECTION, NULL), 0);
	}
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_writer_add(w, "big3", 1, big, SNAP_MAX_SECTION,
					 &e), -EFBIG);
	expect_msg(&e, "the state would exceed 64 MiB");
	snap_writer_free(w);

	/* The encoder's cap sticks, and the writer names the section. */
	snap_enc_init(&enc);
	assert_int_equal(snap_put_bytes(&enc, big, SNAP_MAX_SECTION), 0);
	assert_int_equal(snap_put_u8(&enc, 1), -EFBIG);
	assert_int_equal(snap_put_u64(&enc, 1), -EFBIG);
	assert_int_equal(enc.len, SNAP_MAX_SECTION);
	assert_int_equal(snap_writer_new(&w, ARCH, NULL), 0);
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_writer_add_enc(w, "vcpu.0", 1, &enc, &e), -EFBIG);
	expect_msg(&e, "snapshot section vcpu.0: larger than a section may be");
	assert_null(enc.buf);	/* freed */
	snap_writer_free(w);
	free(big);
}

/* ---- writing that fails -------------------------------------------- */

/*
 * Run fn in a child process (it changes limits or mounts that the rest
 * of the tests must not see); what it prints comes back in msgs.
 * Returns its exit status.
 */
static int in_child(struct fx *f, int (*fn)(struct fx *, FILE *), char *msgs,
		    size_t len)
{
	size_t got = 0;
	ssize_t n;
	int p[2], st;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *out;
		int rc;

		close(p[0]);
		out = fdopen(p[1], "w");
		rc = out ? fn(f, out) : 100;
		if (out)
			fclose(out);
		_exit(rc);
	}
	close(p[1]);
	while (got + 1 < len && (n = read(p[0], msgs + got,
					  len - 1 - got)) > 0)
		got += (size_t)n;
	msgs[got] = 0;
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A snapshot with one section of n bytes of x, as an image too. */
static struct snap_writer *filled(size_t n, uint8_t x)
{
	struct snap_writer *w = NULL;
	uint8_t *b = malloc(n);

	if (b && !snap_writer_new(&w, ARCH, NULL)) {
		memset(b, x, n);
		if (snap_writer_add(w, "filler", 1, b, n, NULL)) {
			snap_writer_free(w);
			w = NULL;
		}
	}
	free(b);
	return w;
}

/* Under RLIMIT_FSIZE of 4 KiB, in the child: writes past it fail. */
static int fsize_child(struct fx *f, FILE *out)
{
	struct rlimit rl = { .rlim_cur = 4096, .rlim_max = 4096 };
	struct snap_writer *w = filled(65536, 0x5a);
	struct vmon_err e = { 0 };
	char mem[400];
	uint8_t *ram = malloc(65536);

	if (!w || !ram)
		return 10;
	memset(ram, 0x33, 65536);
	snprintf(mem, sizeof(mem), "%s/mem", f->dir);
	signal(SIGXFSZ, SIG_IGN);	/* EFBIG instead of a signal */
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		return 11;
	fprintf(out, "%d %s\n", snap_writer_write(w, f->path, &e), e.msg);
	e = (struct vmon_err){ 0 };
	fprintf(out, "%d %s\n", snap_mem_write(mem, ram, 65536, &e), e.msg);
	snap_writer_free(w);
	free(ram);
	return 0;
}

static void write_fails_cleanly(void **state)
{
	struct fx *f = *state;
	struct snap_writer *w = sample_writer(ARCH, 0xfff0);
	struct vmon_err e = { 0 };
	char msgs[2048], want[1200], nope[400];
	uint8_t *good, *now;
	size_t glen, nlen;

	assert_int_equal(snap_writer_write(w, f->path, &e), 0);
	snap_writer_free(w);
	good = slurp(f->path, &glen);

	assert_int_equal(in_child(f, fsize_child, msgs, sizeof(msgs)), 0);
	snprintf(want, sizeof(want), "%d cannot write snapshot %s: File too "
		 "large\n%d cannot write memory file %s/mem: File too large\n",
		 -EFBIG, f->path, -EFBIG, f->dir);
	assert_string_equal(msgs, want);
	/* Nothing new in the folder, and the old snapshot as it was. */
	expect_listing(f->dir, "snap");
	now = slurp(f->path, &nlen);
	assert_int_equal(nlen, glen);
	assert_memory_equal(now, good, glen);
	free(now);

	/* A folder that is not there: the path is named, the kind is usage. */
	snprintf(nope, sizeof(nope), "%s/nope/snap", f->dir);
	w = sample_writer(ARCH, 0);
	assert_int_equal(snap_writer_write(w, nope, &e), -ENOENT);
	assert_int_equal(e.kind, ERR_USAGE);
	expect_msg(&e, "cannot create snapshot ");
	expect_msg(&e, nope);
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_writer_write(w, "", &e), -EINVAL);
	expect_msg(&e, "no path given");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_mem_write(nope, good, glen, &e), -ENOENT);
	expect_msg(&e, "cannot create memory file ");
	/* Over a folder: rename fails, the temporary goes. */
	snprintf(nope, sizeof(nope), "%s/adir", f->dir);
	assert_int_equal(mkdir(nope, 0700), 0);
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_writer_write(w, nope, &e), -EISDIR);
	expect_msg(&e, "cannot put snapshot in place at ");
	expect_listing(f->dir, "adir snap");
	rmdir(nope);
	snap_writer_free(w);
	free(good);
}

/* Mounts of our own, seen by no one else: root, or a user namespace. */
static int private_mounts(FILE *out)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	int fd;

	if (unshare(CLONE_NEWNS) == 0)
		return 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		fprintf(out, "cannot make a mount namespace: %s\n",
			strerror(errno));
		return -1;
	}
	fd = open("/proc/self/setgroups", O_WRONLY);
	if (fd >= 0) {
		(void)!write(fd, "deny", 4);
		close(fd);
	}
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return -1;
	close(fd);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
	fd = open("/proc/self/gid_map", O_WRONLY);
	if (fd < 0 || write(fd, map, strlen(map)) < 0)
		return -1;
	close(fd);
	return 0;
}

static bool same_file(const char *path, const uint8_t *b, size_t len)
{
	uint8_t *now;
	bool same;
	int fd = open(path, O_RDONLY);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || (size_t)st.st_size != len)
		return false;
	now = malloc(len);
	same = now && read(fd, now, len) == (ssize_t)len &&
	       !memcmp(now, b, len);
	free(now);
	close(fd);
	return same;
}

/* On a 64 KiB tmpfs, in the child: a real ENOSPC. */
static int enospc_child(struct fx *f, FILE *out)
{
	struct snap_writer *good = filled(1000, 0x11), *big = filled(128 << 10,
								       0x22);
	struct vmon_err e = { 0 };
	char mnt[300], path[400], mem[400], names[256];
	uint8_t *img, *ram;
	size_t len, ramlen = 16u << 20;

	snprintf(mnt, sizeof(mnt), "%s/full", f->dir);
	snprintf(path, sizeof(path), "%s/snap", mnt);
	snprintf(mem, sizeof(mem), "%s/mem", mnt);
	if (private_mounts(out) < 0)
		return 77;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700") < 0) {
		fprintf(out, "cannot mount a tmpfs: %s\n", strerror(errno));
		return 77;
	}
	ram = mmap(NULL, ramlen, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!good || !big || ram == MAP_FAILED ||
	    snap_writer_image(good, &img, &len, NULL))
		return 10;
	if (snap_writer_write(good, path, &e))
		return fprintf(out, "good: %s\n", e.msg), 11;

	fprintf(out, "%d %s\n", snap_writer_write(big, path, &e), e.msg);
	listing(mnt, names, sizeof(names));
	fprintf(out, "[%s] %s\n", names,
		same_file(path, img, len) ? "intact" : "CHANGED");

	/* RAM that does not fit, then RAM that only fits as holes. */
	memset(ram, 0x5a, 128 << 10);
	e = (struct vmon_err){ 0 };
	fprintf(out, "%d %s\n", snap_mem_write(mem, ram, ramlen, &e), e.msg);
	listing(mnt, names, sizeof(names));
	fprintf(out, "[%s]\n", names);
	memset(ram, 0, 128 << 10);
	ram[5] = 1;
	ram[ramlen - 1] = 2;
	e = (struct vmon_err){ 0 };
	fprintf(out, "%d %s\n", snap_mem_write(mem, ram, ramlen, &e), e.msg);
	listing(mnt, names, sizeof(names));
	fprintf(out, "[%s]\n", names);
	snap_writer_free(good);
	snap_writer_free(big);
	free(img);
	return 0;
}

static void disk_full(void **state)
{
	struct fx *f = *state;
	char mnt[300], msgs[4096], want[2048];
	int rc;

	snprintf(mnt, sizeof(mnt), "%s/full", f->dir);
	assert_int_equal(mkdir(mnt, 0700), 0);
	rc = in_child(f, enospc_child, msgs, sizeof(msgs));
	if (rc == 77) {
		print_message("SKIP: %s", msgs);
		skip();
	}
	assert_int_equal(rc, 0);
	snprintf(want, sizeof(want),
		 "%d cannot write snapshot %s/snap: No space left on device\n"
		 "[snap] intact\n"
		 "%d cannot write memory file %s/mem: No space left on device\n"
		 "[snap]\n"
		 "0 \n"
		 "[mem snap]\n", -ENOSPC, mnt, -ENOSPC, mnt);
	assert_string_equal(msgs, want);
}

/* ---- the memory file ----------------------------------------------- */

static void mem_file(void **state)
{
	struct fx *f = *state;
	size_t len = (64u << 20) + 100;	/* a partial last page too */
	struct vmon_err e = { 0 };
	char mem[400];
	struct stat st;
	uint8_t *ram, *m, c = 0xff;
	int fd;

	snprintf(mem, sizeof(mem), "%s/mem", f->dir);
	ram = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(ram != MAP_FAILED);
	ram[1] = 1;
	memset(ram + 100 * 4096, 0xaa, 4096);
	memset(ram + 200 * 4096 + 17, 0x55, 3 * 4096);	/* a run of 4 */
	ram[len - 1] = 0x77;
	assert_int_equal(snap_mem_write(mem, ram, len, &e), 0);
	expect_listing(f->dir, "mem");
	assert_int_equal(stat(mem, &st), 0);
	assert_int_equal(st.st_size, len);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* 7 pages of data in 64 MiB: holes everywhere else. */
	if ((uint64_t)st.st_blocks * 512 > 256 << 10)
		fail_msg("%lld bytes allocated for 7 pages of data",
			 (long long)st.st_blocks * 512);

	assert_int_equal(snap_mem_open(mem, len, &fd, &e), 0);
	assert_true(lseek(fd, 0, SEEK_HOLE) < (off_t)len);
	assert_int_equal(snap_mem_map(fd, len, (void **)&m, &e), 0);
	assert_memory_equal(m, ram, len);
	/* Private: the guest's writes never reach the file. */
	m[1] = 9;
	assert_int_equal(pread(fd, &c, 1, 1), 1);
	assert_int_equal(c, 1);
	munmap(m, len);
	close(fd);

	/* The same RAM all zeros: nothing but a hole, replacing the file. */
	memset(ram, 0, len);
	assert_int_equal(snap_mem_write(mem, ram, len, &e), 0);
	expect_listing(f->dir, "mem");
	assert_int_equal(stat(mem, &st), 0);
	assert_int_equal(st.st_size, len);
	assert_true((uint64_t)st.st_blocks * 512 <= 64 << 10);
	munmap(ram, len);
	assert_int_equal(e.code, 0);

	/* What restore refuses. */
	assert_int_equal(snap_mem_open(mem, len + 1, &fd, &e), -EINVAL);
	assert_int_equal(fd, -1);
	expect_msg(&e, "bytes, but the snapshot's RAM is");
	expect_msg(&e, "truncated, or not this snapshot's");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_mem_open(mem, len - 1, &fd, &e), -EINVAL);
	expect_msg(&e, "not this snapshot's memory file");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_mem_open(f->dir, len, &fd, &e), -EINVAL);
	expect_msg(&e, "not a regular file");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_mem_open(f->path, len, &fd, &e), -ENOENT);
	expect_msg(&e, "cannot open");
	expect_msg(&e, f->path);
	assert_int_equal(snap_mem_map(0, 0, (void **)&m, NULL), -EINVAL);
	assert_null(m);
}

/*
 * A diff memory file carries exactly the marked pages, zero ones too, and
 * rebasing it onto the full file it follows gives the RAM of the diff's
 * moment; a second rebase changes nothing; what rebase refuses.
 */
static void mem_diff_rebase(void **state)
{
	struct fx *f = *state;
	enum { PAGES = 1024 };
	size_t len = PAGES * SNAP_PAGE_SIZE;
	uint64_t bits[PAGES / 64] = { 0 }, copied;
	struct vmon_err e = { 0 };
	char base[400], diff[400], big[400];
	struct stat st;
	uint8_t *ram = calloc(1, len), *now = malloc(len);
	int fd;

	assert_non_null(ram);
	assert_non_null(now);
	snprintf(base, sizeof(base), "%s/base", f->dir);
	snprintf(diff, sizeof(diff), "%s/diff", f->dir);
	snprintf(big, sizeof(big), "%s/big", f->dir);
	for (size_t i = 0; i < len; i += 512)
		ram[i] = (uint8_t)(i / 512 + 1);
	assert_int_equal(snap_mem_write(base, ram, len, &e), 0);

	/* Then the guest writes pages 3, 4, 5 and 700, and zeroes page 9. */
	memset(ram + 3 * SNAP_PAGE_SIZE, 0xa1, 3 * SNAP_PAGE_SIZE);
	memset(ram + 700 * SNAP_PAGE_SIZE + 5, 0xb2, 10);
	memset(ram + 9 * SNAP_PAGE_SIZE, 0, SNAP_PAGE_SIZE);
	static const unsigned int dirty[] = { 3, 4, 5, 9, 700 };

	for (size_t i = 0; i < sizeof(dirty) / sizeof(dirty[0]); i++)
		bits[dirty[i] / 64] |= 1ULL << (dirty[i] % 64);
	assert_int_equal(snap_mem_write_diff(diff, ram, len, bits, &e), 0);
	expect_listing(f->dir, "base diff");
	assert_int_equal(stat(diff, &st), 0);
	assert_int_equal(st.st_size, 701 * SNAP_PAGE_SIZE);
	assert_true((uint64_t)st.st_blocks * 512 <= 64 << 10);

	assert_int_equal(snap_mem_rebase(base, diff, &copied, &e), 0);
	/* 5 pages of data; a file system may round extents up a little. */
	assert_true(copied >= 5 * SNAP_PAGE_SIZE && copied <= 64 << 10);
	assert_int_equal(snap_mem_open(base, len, &fd, &e), 0);
	assert_int_equal(pread(fd, now, len, 0), (ssize_t)len);
	assert_memory_equal(now, ram, len);
	close(fd);
	/* Again: the same bytes. */
	assert_int_equal(snap_mem_rebase(base, diff, &copied, &e), 0);
	assert_int_equal(snap_mem_open(base, len, &fd, &e), 0);
	assert_int_equal(pread(fd, now, len, 0), (ssize_t)len);
	assert_memory_equal(now, ram, len);
	close(fd);

	/* Nothing dirty: an empty diff, and a rebase that writes nothing. */
	memset(bits, 0, sizeof(bits));
	assert_int_equal(snap_mem_write_diff(diff, ram, len, bits, &e), 0);
	assert_int_equal(stat(diff, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(snap_mem_rebase(base, diff, &copied, &e), 0);
	assert_int_equal(copied, 0);
	assert_int_equal(e.code, 0);

	/* A "diff" longer than its base is some other file. */
	assert_int_equal(snap_mem_write(big, now, len, &e), 0);
	assert_int_equal(truncate(base, (off_t)len / 2), 0);
	assert_int_equal(snap_mem_rebase(base, big, &copied, &e), -EINVAL);
	expect_msg(&e, "longer than the memory file");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_mem_rebase(base, f->path, &copied, &e), -ENOENT);
	expect_msg(&e, "diff memory file");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_mem_rebase(f->path, diff, &copied, &e), -ENOENT);
	expect_msg(&e, "cannot open");
	e = (struct vmon_err){ 0 };
	assert_int_equal(snap_mem_rebase(base, f->dir, &copied, &e), -EINVAL);
	expect_msg(&e, "not a regular file");
	free(ram);
	free(now);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(round_trip),
		T(truncated_everywhere),
		T(bit_flips_everywhere),
		T(header_fields),
		T(wrong_arch),
		T(section_fields),
		T(file_kinds),
		T(decoder_bounds),
		T(writer_rules),
		T(write_fails_cleanly),
		T(disk_full),
		T(mem_file),
		T(mem_diff_rebase),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
