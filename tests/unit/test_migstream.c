// SPDX-License-Identifier: MIT
/*
 * The live-migration stream (lib/migstream.h): the header and every frame
 * type through a socketpair; each refusal with its message (header,
 * frame header, caps, payload checksum, PAGES bounds); an ERROR frame
 * sanitized; a peer that closes, stays silent or never reads; the
 * addresses; listening and connecting on a Unix socket and on TCP.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "lib/err.h"
#include "lib/le.h"
#include "lib/migstream.h"

#define ARCH "x86_64"
#define SHORT_MS 100

/* ---- fixtures and helpers ------------------------------------------ */

struct fx {
	char dir[256];
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *t = getenv("TMPDIR");

	if (!f)
		return -1;
	/* Short: a Unix socket path has at most 107 characters. */
	snprintf(f->dir, sizeof(f->dir), "%s/vmon-mig.XXXXXX",
		 t && *t && strlen(t) < 60 ? t : "/tmp");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char p[300];

	snprintf(p, sizeof(p), "%s/mig.sock", f->dir);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void expect_msg(const struct vmon_err *e, const char *want)
{
	if (!strstr(e->msg, want))
		fail_msg("message '%s' lacks '%s'", e->msg, want);
}

static void expect_no_msg(const struct vmon_err *e, const char *unwanted)
{
	if (strstr(e->msg, unwanted))
		fail_msg("message '%s' has '%s'", e->msg, unwanted);
}

/* A non-blocking Unix stream socketpair, as accept4 and mig_connect give. */
static void pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
				    SOCK_CLOEXEC, 0, sv), 0);
}

static void put_raw(int fd, const void *b, size_t n)
{
	assert_int_equal(write(fd, b, n), (ssize_t)n);
}

static uint32_t zcrc(const void *p, size_t n)
{
	return (uint32_t)crc32(0, p, (uInt)n);
}

/* A frame header for (type, len, payload crc) with a correct own crc. */
static void frame_hdr(uint8_t h[MIG_FRAME_HEADER_SIZE], uint32_t type,
		      uint32_t len, uint32_t pcrc)
{
	le32_put(h, type);
	le32_put(h + 4, len);
	le32_put(h + 8, pcrc);
	le32_put(h + 12, zcrc(h, 12));
}

static void reseal_header(uint8_t h[MIG_HEADER_SIZE])
{
	le32_put(h + 28, zcrc(h, 28));
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* bytes sent raw on a fresh pair; mig_recv must refuse with code, want. */
static void recv_refused(const void *bytes, size_t n, int code,
			 const char *want)
{
	struct vmon_err e = { 0 };
	uint8_t *p = (uint8_t *)"x";
	uint32_t type = 99, len = 99;
	int sv[2];

	pair(sv);
	put_raw(sv[0], bytes, n);
	assert_int_equal(mig_recv(sv[1], &type, &p, &len, SHORT_MS, &e), code);
	assert_int_equal(e.code, code);
	assert_null(p);
	expect_msg(&e, want);
	close(sv[0]);
	close(sv[1]);
}

/* A writer thread, so frames larger than a socket buffer go through. */
struct sender {
	int fd;
	uint32_t type;
	const void *payload;
	uint32_t len;
	int ret;
	struct vmon_err e;
};

static void *send_thread(void *arg)
{
	struct sender *s = arg;

	s->ret = mig_send(s->fd, s->type, s->payload, s->len, 5000, &s->e);
	return NULL;
}

/* type with len bytes (a pattern) through mig_send and mig_recv. */
static void frame_trip(uint32_t type, uint32_t len)
{
	struct sender s = { .type = type, .len = len };
	struct vmon_err e = { 0 };
	uint8_t *src = NULL, *p = NULL;
	uint32_t rtype = 0, rlen = 0;
	pthread_t t;
	int sv[2];

	if (len) {
		src = malloc(len);
		assert_non_null(src);
		for (uint32_t i = 0; i < len; i++)
			src[i] = (uint8_t)(i * 7 + type);
	}
	pair(sv);
	s.fd = sv[0];
	s.payload = src;
	assert_int_equal(pthread_create(&t, NULL, send_thread, &s), 0);
	assert_int_equal(mig_recv(sv[1], &rtype, &p, &rlen, 5000, &e), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	if (s.ret)
		fail_msg("mig_send type %u len %u: %s", type, len, s.e.msg);
	assert_int_equal(e.code, 0);
	assert_int_equal(rtype, type);
	assert_int_equal(rlen, len);
	if (len) {
		assert_non_null(p);
		assert_memory_equal(p, src, len);
	} else {
		assert_null(p);
	}
	free(p);
	free(src);
	close(sv[0]);
	close(sv[1]);
}

/* ---- round trips --------------------------------------------------- */

static void header_round_trip(void **state)
{
	uint8_t h[MIG_HEADER_SIZE], got[MIG_HEADER_SIZE];
	struct vmon_err e = { 0 };
	int sv[2];

	mig_header_put(h, ARCH);
	/* The layout docs/migration.md and fuzz/make_corpus.py rely on. */
	assert_memory_equal(h, "VMONMIG1", 8);
	assert_int_equal(le32_get(h + 8), MIG_VERSION);
	assert_string_equal((const char *)h + 12, ARCH);
	for (size_t i = 12 + strlen(ARCH); i < 28; i++)
		assert_int_equal(h[i], 0);
	assert_int_equal(le32_get(h + 28), zcrc(h, 28));

	pair(sv);
	assert_int_equal(mig_write_full(sv[0], h, sizeof(h), SHORT_MS, &e), 0);
	assert_int_equal(mig_read_full(sv[1], got, sizeof(got), SHORT_MS, &e),
			 0);
	assert_int_equal(mig_header_check(got, ARCH, &e), 0);
	assert_int_equal(e.code, 0);
	close(sv[0]);
	close(sv[1]);
}

static void frame_caps(void **state)
{
	assert_int_equal(mig_frame_max(0), 0);
	assert_int_equal(mig_frame_max(MIG_CONFIG), 1u << 20);
	assert_int_equal(mig_frame_max(MIG_PAGES),
			 8 + MIG_PAGES_PER_FRAME * MIG_PAGE_SIZE);
	assert_int_equal(mig_frame_max(MIG_ROUND), 20);
	assert_int_equal(mig_frame_max(MIG_STATE), 64u << 20);
	assert_int_equal(mig_frame_max(MIG_READY), 0);
	assert_int_equal(mig_frame_max(MIG_GO), 5);
	assert_int_equal(mig_frame_max(MIG_ERROR), 512);
	assert_int_equal(mig_frame_max(MIG_FRAME_TYPES), 0);
	assert_int_equal(mig_frame_max(UINT32_MAX), 0);
}

static void frames_round_trip(void **state)
{
	uint8_t h[MIG_FRAME_HEADER_SIZE];
	const char pl[] = "payload";

	/* The header's layout: type, len, crc32 of the payload, own crc. */
	mig_frame_header_put(h, MIG_CONFIG, pl, sizeof(pl));
	assert_int_equal(le32_get(h), MIG_CONFIG);
	assert_int_equal(le32_get(h + 4), sizeof(pl));
	assert_int_equal(le32_get(h + 8), zcrc(pl, sizeof(pl)));
	assert_int_equal(le32_get(h + 12), zcrc(h, 12));
	mig_frame_header_put(h, MIG_READY, NULL, 0);
	assert_int_equal(le32_get(h + 8), 0);

	/* Every type but ERROR (below), small, and at its cap. */
	frame_trip(MIG_CONFIG, 1);
	frame_trip(MIG_CONFIG, 3000);
	frame_trip(MIG_CONFIG, mig_frame_max(MIG_CONFIG));
	frame_trip(MIG_PAGES, 8 + MIG_PAGE_SIZE);
	frame_trip(MIG_PAGES, mig_frame_max(MIG_PAGES));
	frame_trip(MIG_ROUND, 20);
	frame_trip(MIG_STATE, 100000);
	frame_trip(MIG_STATE, 4u << 20);
	frame_trip(MIG_READY, 0);
	frame_trip(MIG_GO, 5);
	/* Empty frames of any type: no payload, NULL. */
	frame_trip(MIG_CONFIG, 0);
	frame_trip(MIG_STATE, 0);
}

static void frames_in_a_row(void **state)
{
	struct vmon_err e = { 0 };
	uint8_t hdr[MIG_HEADER_SIZE], got[MIG_HEADER_SIZE], round[20] = { 1 };
	uint8_t go[5] = { 1, 2, 3, 4, 5 }, *p;
	uint32_t type, len;
	int sv[2];

	/* A whole (small) exchange, all written before any is read. */
	pair(sv);
	mig_header_put(hdr, ARCH);
	assert_int_equal(mig_write_full(sv[0], hdr, sizeof(hdr), SHORT_MS, &e),
			 0);
	assert_int_equal(mig_send(sv[0], MIG_CONFIG, "cfg", 3, SHORT_MS, &e),
			 0);
	assert_int_equal(mig_send(sv[0], MIG_ROUND, round, 20, SHORT_MS, &e),
			 0);
	assert_int_equal(mig_send(sv[0], MIG_READY, NULL, 0, SHORT_MS, &e), 0);
	assert_int_equal(mig_send(sv[0], MIG_GO, go, 5, SHORT_MS, &e), 0);
	assert_int_equal(e.code, 0);

	assert_int_equal(mig_read_full(sv[1], got, sizeof(got), SHORT_MS, &e),
			 0);
	assert_int_equal(mig_header_check(got, ARCH, &e), 0);
	assert_int_equal(mig_recv(sv[1], &type, &p, &len, SHORT_MS, &e), 0);
	assert_int_equal(type, MIG_CONFIG);
	assert_int_equal(len, 3);
	assert_memory_equal(p, "cfg", 3);
	assert_int_equal(p[3], 0);	/* the spare NUL after any payload */
	free(p);
	assert_int_equal(mig_recv(sv[1], &type, &p, &len, SHORT_MS, &e), 0);
	assert_int_equal(type, MIG_ROUND);
	assert_int_equal(len, 20);
	assert_memory_equal(p, round, 20);
	free(p);
	assert_int_equal(mig_recv(sv[1], &type, &p, &len, SHORT_MS, &e), 0);
	assert_int_equal(type, MIG_READY);
	assert_int_equal(len, 0);
	assert_null(p);
	assert_int_equal(mig_recv(sv[1], &type, &p, &len, SHORT_MS, &e), 0);
	assert_int_equal(type, MIG_GO);
	assert_memory_equal(p, go, 5);
	free(p);
	assert_int_equal(e.code, 0);
	close(sv[0]);
	close(sv[1]);
}

/* ---- the header's refusals ----------------------------------------- */

static void header_check_fails(const uint8_t *h, const char *want,
			       const char *unwanted)
{
	struct vmon_err e = { 0 };

	assert_int_equal(mig_header_check(h, ARCH, &e), -EPROTO);
	assert_int_equal(e.code, -EPROTO);
	assert_int_equal(e.kind, ERR_USAGE);
	expect_msg(&e, want);
	if (unwanted)
		expect_no_msg(&e, unwanted);
}

static void header_refusals(void **state)
{
	uint8_t good[MIG_HEADER_SIZE], h[MIG_HEADER_SIZE];

	mig_header_put(good, ARCH);

	memcpy(h, good, sizeof(h));
	h[7] = '2';			/* VMONMIG2 */
	reseal_header(h);
	header_check_fails(h, "not a vmon migration stream (bad magic)", NULL);
	memset(h, 0, sizeof(h));	/* magic comes before the checksum */
	header_check_fails(h, "bad magic", NULL);

	memcpy(h, good, sizeof(h));
	h[13] ^= 1;			/* arch byte, not resealed */
	header_check_fails(h, "header checksum mismatch", NULL);
	memcpy(h, good, sizeof(h));
	h[29] ^= 0x80;			/* the stored crc itself */
	header_check_fails(h, "header checksum mismatch", NULL);

	memcpy(h, good, sizeof(h));
	le32_put(h + 8, MIG_VERSION + 1);
	reseal_header(h);
	header_check_fails(h, "version 2, this vmon speaks 1 (the source is "
			   "newer)", NULL);
	le32_put(h + 8, UINT32_MAX);
	reseal_header(h);
	header_check_fails(h, "the source is newer", NULL);
	le32_put(h + 8, 0);
	reseal_header(h);
	header_check_fails(h, "version 0, this vmon speaks 1", "newer");

	memcpy(h, good, sizeof(h));
	memset(h + 12, 0, 16);
	memcpy(h + 12, "aarch64", 7);
	reseal_header(h);
	header_check_fails(h, "for architecture 'aarch64', this is x86_64",
			   NULL);
	/* "x86_64" is no prefix match: "x86_64x", "x86" are other archs. */
	memcpy(h + 12, "x86_64x", 7);
	reseal_header(h);
	header_check_fails(h, "'x86_64x'", NULL);
	memset(h + 12, 0, 16);
	memcpy(h + 12, "x86", 3);
	reseal_header(h);
	header_check_fails(h, "'x86'", NULL);
	/* All 16 bytes used, no NUL: read as 15 characters, no further. */
	memset(h + 12, 'A', 16);
	reseal_header(h);
	header_check_fails(h, "for architecture 'AAAAAAAAAAAAAAA', this",
			   "AAAAAAAAAAAAAAAA");
	/* An empty tag. */
	memset(h + 12, 0, 16);
	reseal_header(h);
	header_check_fails(h, "for architecture '', this is x86_64", NULL);
	/* Bytes after the tag's NUL: one encoding per tag, so refused. */
	memset(h + 12, 0, 16);
	memcpy(h + 12, "x86_64", 6);
	h[12 + 8] = 'Z';
	reseal_header(h);
	header_check_fails(h, "for architecture 'x86_64', this is x86_64",
			   NULL);
	/* The peer's control bytes never reach the log. */
	memset(h + 12, 0, 16);
	memcpy(h + 12, "\x1b[2J\x07" "ab", 7);
	reseal_header(h);
	header_check_fails(h, "for architecture '?[2J?ab', this", "\x1b");

	/* The checker's own arch is what counts. */
	struct vmon_err e = { 0 };

	mig_header_put(h, "aarch64");
	assert_int_equal(mig_header_check(h, "aarch64", &e), 0);
	assert_int_equal(mig_header_check(h, ARCH, &e), -EPROTO);
	expect_msg(&e, "this is x86_64");
}

/* ---- the frame header's refusals ----------------------------------- */

static void frame_header_fails(const uint8_t *h, const char *want)
{
	struct vmon_err e = { 0 };
	uint32_t type = 99, len = 99;

	assert_int_equal(mig_frame_header_check(h, &type, &len, &e), -EPROTO);
	assert_int_equal(e.code, -EPROTO);
	assert_int_equal(e.kind, ERR_USAGE);
	assert_int_equal(type, 0);
	assert_int_equal(len, 0);
	expect_msg(&e, want);
	/* And through mig_recv: refused before any payload is read. */
	recv_refused(h, MIG_FRAME_HEADER_SIZE, -EPROTO, want);
}

static void frame_header_refusals(void **state)
{
	static const char *const names[MIG_FRAME_TYPES] = {
		[MIG_CONFIG] = "CONFIG", [MIG_PAGES] = "PAGES",
		[MIG_ROUND] = "ROUND", [MIG_STATE] = "STATE",
		[MIG_READY] = "READY", [MIG_GO] = "GO", [MIG_ERROR] = "ERROR",
	};
	uint8_t h[MIG_FRAME_HEADER_SIZE];
	struct vmon_err e = { 0 };
	uint32_t type, len;
	char want[128];

	/* The header's own checksum, each field changed alone. */
	for (int i = 0; i < 16; i++) {
		frame_hdr(h, MIG_CONFIG, 10, 0x12345678);
		h[i] ^= 0x10;
		frame_header_fails(h, "frame header checksum mismatch");
	}

	frame_hdr(h, 0, 0, 0);
	frame_header_fails(h, "unknown frame type 0");
	frame_hdr(h, MIG_FRAME_TYPES, 0, 0);
	snprintf(want, sizeof(want), "unknown frame type %u", MIG_FRAME_TYPES);
	frame_header_fails(h, want);
	frame_hdr(h, UINT32_MAX, 0, 0);
	frame_header_fails(h, "unknown frame type 4294967295");

	/* Each type at its cap passes, one more byte is refused. */
	for (uint32_t t = MIG_CONFIG; t < MIG_FRAME_TYPES; t++) {
		uint32_t max = mig_frame_max(t);

		frame_hdr(h, t, max, 0);
		memset(&e, 0, sizeof(e));
		assert_int_equal(mig_frame_header_check(h, &type, &len, &e), 0);
		assert_int_equal(type, t);
		assert_int_equal(len, max);
		frame_hdr(h, t, max + 1, 0);
		snprintf(want, sizeof(want), "%s frame of %u bytes, more than "
			 "its %u", names[t], max + 1, max);
		frame_header_fails(h, want);
		frame_hdr(h, t, UINT32_MAX, 0);
		frame_header_fails(h, "more than its");
	}
}

static void payload_refusals(void **state)
{
	uint8_t f[MIG_FRAME_HEADER_SIZE + 64], h[MIG_FRAME_HEADER_SIZE];
	struct vmon_err e = { 0 };
	const char pl[] = "a config section";
	uint8_t round[20] = { 0 };

	mig_frame_header_put(h, MIG_CONFIG, pl, sizeof(pl));
	assert_int_equal(mig_frame_payload_check(h, pl, sizeof(pl), &e), 0);
	assert_int_equal(mig_frame_payload_check(h, "A config section",
						 sizeof(pl), &e), -EPROTO);
	expect_msg(&e, "CONFIG frame payload checksum mismatch");

	/* Through mig_recv: one byte of the payload changed on the way. */
	memcpy(f, h, sizeof(h));
	memcpy(f + sizeof(h), pl, sizeof(pl));
	f[sizeof(h) + 3] ^= 0x01;
	recv_refused(f, sizeof(h) + sizeof(pl), -EPROTO,
		     "CONFIG frame payload checksum mismatch");

	mig_frame_header_put(f, MIG_ROUND, round, sizeof(round));
	memset(f + sizeof(h), 0, sizeof(round));
	f[sizeof(h) + 19] = 1;
	recv_refused(f, sizeof(h) + sizeof(round), -EPROTO,
		     "ROUND frame payload checksum mismatch");

	/* An empty frame's payload crc must be 0. */
	frame_hdr(f, MIG_READY, 0, 1);
	recv_refused(f, sizeof(h), -EPROTO,
		     "READY frame payload checksum mismatch");
}

/* ---- PAGES --------------------------------------------------------- */

static void pages_fails(const uint8_t *p, uint32_t len, uint64_t npages,
			const char *want)
{
	struct vmon_err e = { 0 };
	uint64_t first = 99;
	uint32_t count = 99;
	const uint8_t *data = p;

	assert_int_equal(mig_pages_parse(p, len, npages, &first, &count, &data,
					 &e), -EPROTO);
	assert_int_equal(e.code, -EPROTO);
	assert_int_equal(e.kind, ERR_USAGE);
	assert_int_equal(first, 0);
	assert_int_equal(count, 0);
	assert_null(data);
	expect_msg(&e, want);
}

static void pages_ok(uint8_t *p, uint64_t f, uint32_t n, uint64_t npages)
{
	struct vmon_err e = { 0 };
	uint64_t first;
	uint32_t count;
	const uint8_t *data;

	le64_put(p, f);
	assert_int_equal(mig_pages_parse(p, 8 + n * MIG_PAGE_SIZE, npages,
					 &first, &count, &data, &e), 0);
	assert_int_equal(e.code, 0);
	assert_int_equal(first, f);
	assert_int_equal(count, n);
	assert_ptr_equal(data, p + 8);
}

static void pages_parse(void **state)
{
	uint32_t max = mig_frame_max(MIG_PAGES);
	uint8_t *p = calloc(1, max);
	char want[160];

	assert_non_null(p);
	pages_ok(p, 0, 1, 1);
	pages_ok(p, 0, MIG_PAGES_PER_FRAME, MIG_PAGES_PER_FRAME);
	pages_ok(p, 1000, 24, 1024);		/* up to the last page */
	pages_ok(p, 1023, 1, 1024);
	pages_ok(p, UINT64_MAX - 2, 2, UINT64_MAX);

	/* Not 8 + whole pages, or no page at all. */
	le64_put(p, 0);
	pages_fails(p, 0, 1024, "PAGES frame of 0 bytes is not 8 + whole "
		    "pages");
	pages_fails(p, 7, 1024, "PAGES frame of 7 bytes");
	pages_fails(p, 8, 1024, "PAGES frame of 8 bytes is not 8 + whole "
		    "pages");
	pages_fails(p, 8 + MIG_PAGE_SIZE - 1, 1024, "of 4103 bytes");
	pages_fails(p, 8 + MIG_PAGE_SIZE + 1, 1024, "of 4105 bytes");
	pages_fails(p, MIG_PAGE_SIZE, 1024, "of 4096 bytes");
	pages_fails(p, max - 1, 1024, "is not 8 + whole pages");

	/* The first page outside RAM. */
	le64_put(p, 1024);
	pages_fails(p, 8 + MIG_PAGE_SIZE, 1024,
		    "pages 1024+1 are outside the guest's 1024 pages");
	le64_put(p, 5000);
	pages_fails(p, 8 + MIG_PAGE_SIZE, 1024, "pages 5000+1 are outside");
	le64_put(p, 0);
	pages_fails(p, 8 + MIG_PAGE_SIZE, 0, "outside the guest's 0 pages");

	/* The count running past the end. */
	le64_put(p, 1023);
	pages_fails(p, 8 + 2 * MIG_PAGE_SIZE, 1024, "pages 1023+2 are outside");
	le64_put(p, 1000);
	pages_fails(p, 8 + 25 * MIG_PAGE_SIZE, 1024, "pages 1000+25");
	le64_put(p, 0);
	pages_fails(p, max, MIG_PAGES_PER_FRAME - 1, "pages 0+256 are outside");

	/* first + count wrapping past 2^64 must not come back inside. */
	le64_put(p, UINT64_MAX);
	snprintf(want, sizeof(want), "pages %llu+1 are outside",
		 (unsigned long long)UINT64_MAX);
	pages_fails(p, 8 + MIG_PAGE_SIZE, 1024, want);
	pages_fails(p, 8 + MIG_PAGE_SIZE, UINT64_MAX, want);
	le64_put(p, UINT64_MAX - 1);
	pages_fails(p, 8 + 2 * MIG_PAGE_SIZE, 1024, "are outside");
	pages_fails(p, 8 + 2 * MIG_PAGE_SIZE, UINT64_MAX, "+2 are outside");
	le64_put(p, UINT64_MAX - 254);
	pages_fails(p, max, UINT64_MAX, "+256 are outside");
	free(p);
}

/* ---- the peer -------------------------------------------------------- */

static void error_frames(void **state)
{
	static const uint8_t msg[] = "bad\x01\n\x1b[31mred\x7f\xff\0end\t";
	struct vmon_err e = { 0 };
	uint8_t *p = (uint8_t *)"x", long_msg[512];
	uint32_t type = 0, len = 0;
	int sv[2];

	pair(sv);
	assert_int_equal(mig_send(sv[0], MIG_ERROR, msg, sizeof(msg) - 1,
				  SHORT_MS, &e), 0);
	assert_int_equal(mig_recv(sv[1], &type, &p, &len, SHORT_MS, &e),
			 -ECONNABORTED);
	assert_int_equal(e.code, -ECONNABORTED);
	assert_int_equal(e.kind, ERR_HOST);
	assert_null(p);
	assert_int_equal(type, MIG_ERROR);
	assert_int_equal(len, sizeof(msg) - 1);
	assert_string_equal(e.msg, "the peer gave up: bad???[31mred???end?");

	/* No reason given. */
	memset(&e, 0, sizeof(e));
	assert_int_equal(mig_send(sv[0], MIG_ERROR, NULL, 0, SHORT_MS, &e), 0);
	assert_int_equal(mig_recv(sv[1], &type, &p, &len, SHORT_MS, &e),
			 -ECONNABORTED);
	assert_string_equal(e.msg, "the peer gave up: (no reason)");

	/* The longest: cut to the message buffer, still NUL-terminated. */
	memset(long_msg, 'x', sizeof(long_msg));
	long_msg[100] = '\0';
	memset(&e, 0, sizeof(e));
	assert_int_equal(mig_send(sv[0], MIG_ERROR, long_msg, sizeof(long_msg),
				  SHORT_MS, &e), 0);
	assert_int_equal(mig_recv(sv[1], &type, &p, &len, SHORT_MS, &e),
			 -ECONNABORTED);
	assert_int_equal(strlen(e.msg), sizeof(e.msg) - 1);
	assert_int_equal(e.msg[18 + 100], '?');
	for (size_t i = 0; i < strlen(e.msg); i++)
		if (e.msg[i] < 0x20 || e.msg[i] > 0x7e)
			fail_msg("byte %zu of the message is 0x%02x", i,
				 (unsigned char)e.msg[i]);
	close(sv[0]);
	close(sv[1]);
}

static void peer_closes(void **state)
{
	uint8_t f[MIG_FRAME_HEADER_SIZE + 100] = { 0 };

	/* Mid-payload, mid-header, before anything. */
	mig_frame_header_put(f, MIG_CONFIG, f + MIG_FRAME_HEADER_SIZE, 100);
	for (size_t n = 0; n < sizeof(f); n += (n < 20 ? 1 : 37)) {
		struct vmon_err e = { 0 };
		uint8_t *p = (uint8_t *)"x";
		uint32_t type, len;
		int sv[2];

		pair(sv);
		if (n)
			put_raw(sv[0], f, n);
		close(sv[0]);
		assert_int_equal(mig_recv(sv[1], &type, &p, &len, SHORT_MS, &e),
				 -ECONNRESET);
		assert_null(p);
		assert_int_equal(e.kind, ERR_HOST);
		expect_msg(&e, "the peer closed the connection");
		close(sv[1]);
	}

	/* mig_read_full itself. */
	struct vmon_err e = { 0 };
	uint8_t b[8];
	int sv[2];

	pair(sv);
	put_raw(sv[0], "abc", 3);
	close(sv[0]);
	assert_int_equal(mig_read_full(sv[1], b, sizeof(b), SHORT_MS, &e),
			 -ECONNRESET);
	expect_msg(&e, "closed");
	close(sv[1]);
}

static void peer_silent(void **state)
{
	uint8_t f[MIG_FRAME_HEADER_SIZE + 10] = { 0 };
	struct timespec t0;
	long ms;

	/* Nothing at all, then a header whose payload never comes. */
	mig_frame_header_put(f, MIG_CONFIG, f + MIG_FRAME_HEADER_SIZE, 10);
	for (size_t n = 0; n <= MIG_FRAME_HEADER_SIZE + 5;
	     n += MIG_FRAME_HEADER_SIZE / 2 + 1) {
		struct vmon_err e = { 0 };
		uint8_t *p = (uint8_t *)"x";
		uint32_t type, len;
		int sv[2];

		pair(sv);
		if (n)
			put_raw(sv[0], f, n);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(mig_recv(sv[1], &type, &p, &len, SHORT_MS, &e),
				 -ETIMEDOUT);
		ms = ms_since(&t0);
		if (ms < SHORT_MS - 5 || ms > 2000)
			fail_msg("timed out after %ld ms, not ~%d", ms,
				 SHORT_MS);
		assert_null(p);
		assert_int_equal(e.kind, ERR_HOST);
		expect_msg(&e, "the peer sent nothing for 100 ms");
		close(sv[0]);
		close(sv[1]);
	}
}

static void peer_never_reads(void **state)
{
	size_t n = 4u << 20;
	uint8_t *b = calloc(1, n);
	struct vmon_err e = { 0 };
	struct timespec t0;
	int sv[2], small = 4096;
	long ms;

	assert_non_null(b);
	pair(sv);
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small,
				    sizeof(small)), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(mig_write_full(sv[0], b, n, SHORT_MS, &e), -ETIMEDOUT);
	ms = ms_since(&t0);
	if (ms < SHORT_MS - 5 || ms > 2000)
		fail_msg("timed out after %ld ms, not ~%d", ms, SHORT_MS);
	assert_int_equal(e.kind, ERR_HOST);
	expect_msg(&e, "the peer took nothing for 100 ms");

	/* mig_send says the same. */
	memset(&e, 0, sizeof(e));
	assert_int_equal(mig_send(sv[0], MIG_STATE, b, (uint32_t)n, SHORT_MS,
				  &e), -ETIMEDOUT);
	expect_msg(&e, "took nothing");

	/* A peer that is gone: EPIPE, no SIGPIPE. */
	close(sv[1]);
	memset(&e, 0, sizeof(e));
	assert_int_equal(mig_send(sv[0], MIG_READY, NULL, 0, SHORT_MS, &e),
			 -EPIPE);
	expect_msg(&e, "migration: send: ");
	close(sv[0]);
	free(b);
}

/* ---- addresses ----------------------------------------------------- */

static void addr_bad(const char *url, const char *want)
{
	struct mig_addr a;
	char err[256] = "";

	assert_int_equal(mig_addr_parse(url, &a, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want))
		fail_msg("'%s': message '%s' lacks '%s'", url ? url : "(null)",
			 err, want);
}

static void addr_parse(void **state)
{
	struct mig_addr a;
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&a.sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&a.sa;
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a.sa;
	struct in6_addr lo6 = IN6ADDR_LOOPBACK_INIT;
	char err[256], url[300], path[200];

	assert_int_equal(mig_addr_parse("tcp:192.0.2.7:4444", &a, err,
					sizeof(err)), 0);
	assert_int_equal(a.sa.ss_family, AF_INET);
	assert_int_equal(a.len, sizeof(struct sockaddr_in));
	assert_int_equal(ntohs(in4->sin_port), 4444);
	assert_int_equal(ntohl(in4->sin_addr.s_addr), 0xc0000207);
	assert_string_equal(a.text, "tcp:192.0.2.7:4444");

	assert_int_equal(mig_addr_parse("tcp:localhost:1", &a, err,
					sizeof(err)), 0);
	assert_int_equal(a.sa.ss_family, AF_INET);
	assert_int_equal(ntohs(in4->sin_port), 1);
	assert_int_equal(ntohl(in4->sin_addr.s_addr), INADDR_LOOPBACK);
	assert_string_equal(a.text, "tcp:localhost:1");

	assert_int_equal(mig_addr_parse("tcp:0.0.0.0:65535", &a, err,
					sizeof(err)), 0);
	assert_int_equal(ntohs(in4->sin_port), 65535);

	assert_int_equal(mig_addr_parse("tcp:[::1]:6000", &a, err,
					sizeof(err)), 0);
	assert_int_equal(a.sa.ss_family, AF_INET6);
	assert_int_equal(a.len, sizeof(struct sockaddr_in6));
	assert_int_equal(ntohs(in6->sin6_port), 6000);
	assert_memory_equal(&in6->sin6_addr, &lo6, sizeof(lo6));

	assert_int_equal(mig_addr_parse("tcp:[2001:db8::5]:80", &a, err,
					sizeof(err)), 0);
	assert_int_equal(a.sa.ss_family, AF_INET6);
	assert_int_equal(in6->sin6_addr.s6_addr[0], 0x20);
	assert_int_equal(in6->sin6_addr.s6_addr[15], 5);

	assert_int_equal(mig_addr_parse("unix:/run/vmon/mig.sock", &a, err,
					sizeof(err)), 0);
	assert_int_equal(a.sa.ss_family, AF_UNIX);
	assert_string_equal(un->sun_path, "/run/vmon/mig.sock");
	assert_string_equal(a.text, "unix:/run/vmon/mig.sock");

	/* The longest path a sockaddr_un holds. */
	memset(path, 'p', sizeof(un->sun_path) - 1);
	path[sizeof(un->sun_path) - 1] = '\0';
	snprintf(url, sizeof(url), "unix:%s", path);
	assert_int_equal(mig_addr_parse(url, &a, err, sizeof(err)), 0);
	assert_string_equal(un->sun_path, path);

	/* Ports. */
	addr_bad("tcp:127.0.0.1:0", "port of 1 to 65535");
	addr_bad("tcp:127.0.0.1:65536", "port of 1 to 65535");
	addr_bad("tcp:127.0.0.1:99999999999999999999999", "port of 1 to");
	addr_bad("tcp:127.0.0.1:", "expected tcp:HOST:PORT");
	addr_bad("tcp:127.0.0.1", "expected tcp:HOST:PORT");
	addr_bad("tcp:127.0.0.1:-1", "port of 1 to 65535");
	addr_bad("tcp:127.0.0.1:+80", "port of 1 to 65535");
	addr_bad("tcp:127.0.0.1:80x", "port of 1 to 65535");
	addr_bad("tcp:[::1]", "expected tcp:HOST:PORT");
	addr_bad("tcp:", "expected tcp:HOST:PORT");
	/* Hosts. */
	addr_bad("tcp::80", "migration URL tcp::80: no host");
	addr_bad("tcp:[]:80", "no host");
	addr_bad("tcp:example.com:80",
		 "'example.com' is not an IPv4 address or a bracketed IPv6 "
		 "one ([::1]; names are not looked up)");
	addr_bad("tcp:127.0.0.1: 80", "port of 1 to 65535");
	addr_bad("tcp:[1.2.3.4]:80", "is not an IPv4 address or a bracketed");
	addr_bad("tcp:::1:80", "is not an IPv4 address or a bracketed");
	addr_bad("tcp:127.0.0.256:80", "is not an IPv4 address or a bracketed");
	addr_bad("tcp:[::1:80", "is not an IPv4 address or a bracketed");
	addr_bad("tcp:[::g]:80", "is not an IPv4 address or a bracketed");
	memset(path, '1', 70);
	path[70] = '\0';
	snprintf(url, sizeof(url), "tcp:%s:80", path);
	addr_bad(url, "no host");
	/* Unix paths. */
	addr_bad("unix:", "the socket path must be 1 to 107 characters");
	memset(path, 'p', sizeof(un->sun_path));
	path[sizeof(un->sun_path)] = '\0';
	snprintf(url, sizeof(url), "unix:%s", path);
	addr_bad(url, "the socket path must be 1 to 107 characters");
	/* Schemes, and the text buffer. */
	addr_bad("http://127.0.0.1:80", "migration URL 'http://127.0.0.1:80': "
		 "expected tcp:HOST:PORT or unix:PATH");
	addr_bad("TCP:127.0.0.1:80", "expected tcp:HOST:PORT or unix:PATH");
	addr_bad("", "expected tcp:HOST:PORT or unix:PATH");
	addr_bad(NULL, "at most 127 characters");
	memset(url, 'x', 200);
	memcpy(url, "unix:/", 6);
	url[sizeof(a.text)] = '\0';		/* 128 characters */
	addr_bad(url, "at most 127 characters");
	url[sizeof(a.text) - 1] = '\0';		/* 127: the path is too long */
	addr_bad(url, "the socket path must be 1 to 107");
	url[200] = '\0';
	memset(url, '1', 200);
	memcpy(url, "tcp:", 4);
	addr_bad(url, "at most 127 characters");

	/* A small err buffer is cut, not overrun. */
	char tiny[8];

	memset(tiny, 'z', sizeof(tiny));
	assert_int_equal(mig_addr_parse("bogus", &a, tiny, sizeof(tiny)),
			 -EINVAL);
	assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

/* ---- listen and connect -------------------------------------------- */

/* A connected pair: lfd listening, c connected; the accepted end. */
static int accept_one(int lfd)
{
	int s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	assert_true(s >= 0);
	return s;
}

/* A frame each way over c (connected) and s (accepted). */
static void talk(int c, int s)
{
	struct vmon_err e = { 0 };
	uint8_t go[5] = { 1, 0, 0, 0, 7 }, *p;
	uint32_t type, len;

	mig_tune(c);
	mig_tune(s);
	assert_int_equal(mig_send(c, MIG_GO, go, 5, 1000, &e), 0);
	assert_int_equal(mig_recv(s, &type, &p, &len, 1000, &e), 0);
	assert_int_equal(type, MIG_GO);
	assert_memory_equal(p, go, 5);
	free(p);
	assert_int_equal(mig_send(s, MIG_READY, NULL, 0, 1000, &e), 0);
	assert_int_equal(mig_recv(c, &type, &p, &len, 1000, &e), 0);
	assert_int_equal(type, MIG_READY);
	assert_null(p);
	assert_int_equal(e.code, 0);
}

static void listen_connect_unix(void **state)
{
	struct fx *f = *state;
	struct vmon_err e = { 0 };
	struct mig_addr a;
	char url[300], err[256];
	int lfd, lfd2, c, s;

	snprintf(url, sizeof(url), "unix:%s/mig.sock", f->dir);
	assert_int_equal(mig_addr_parse(url, &a, err, sizeof(err)), 0);

	/* Nobody there yet. */
	assert_int_equal(mig_connect(&a, 1000, &c, &e), -ENOENT);
	assert_int_equal(c, -1);
	assert_int_equal(e.kind, ERR_USAGE);
	expect_msg(&e, "migration: cannot connect to ");
	expect_msg(&e, url);

	memset(&e, 0, sizeof(e));
	assert_int_equal(mig_listen(&a, &lfd, &e), 0);
	assert_true(lfd >= 0);
	/* The path is taken. */
	assert_int_equal(mig_listen(&a, &lfd2, &e), -EADDRINUSE);
	assert_int_equal(lfd2, -1);
	expect_msg(&e, "migration: cannot listen on ");
	expect_msg(&e, url);

	memset(&e, 0, sizeof(e));
	assert_int_equal(mig_connect(&a, 1000, &c, &e), 0);
	assert_true(c >= 0);
	assert_true(fcntl(c, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(c, F_GETFD) & FD_CLOEXEC);
	s = accept_one(lfd);
	talk(c, s);
	close(s);
	close(c);
	close(lfd);

	/* A socket file nobody listens on: refused. */
	memset(&e, 0, sizeof(e));
	assert_int_equal(mig_connect(&a, 1000, &c, &e), -ECONNREFUSED);
	expect_msg(&e, "cannot connect");
}

static void listen_connect_tcp(void **state)
{
	struct vmon_err e = { 0 };
	struct mig_addr a;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&a.sa;
	struct sockaddr_in got;
	socklen_t gl = sizeof(got);
	char err[256], url[64];
	int lfd, c, s, held;

	/* An ephemeral port: the URL says 1, the socket is given port 0. */
	assert_int_equal(mig_addr_parse("tcp:127.0.0.1:1", &a, err,
					sizeof(err)), 0);
	in4->sin_port = 0;
	assert_int_equal(mig_listen(&a, &lfd, &e), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&got, &gl), 0);
	snprintf(url, sizeof(url), "tcp:127.0.0.1:%u", ntohs(got.sin_port));
	assert_int_equal(mig_addr_parse(url, &a, err, sizeof(err)), 0);

	assert_int_equal(mig_connect(&a, 1000, &c, &e), 0);
	assert_true(fcntl(c, F_GETFL) & O_NONBLOCK);
	s = accept_one(lfd);
	talk(c, s);
	close(s);
	close(c);

	/* The same port taken by the live listener. */
	assert_int_equal(mig_listen(&a, &s, &e), -EADDRINUSE);
	expect_msg(&e, "cannot listen on tcp:127.0.0.1:");
	close(lfd);

	/* A port that is bound (so nobody else takes it) but not listening. */
	held = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(held >= 0);
	got.sin_port = 0;
	assert_int_equal(bind(held, (struct sockaddr *)&got, sizeof(got)), 0);
	gl = sizeof(got);
	assert_int_equal(getsockname(held, (struct sockaddr *)&got, &gl), 0);
	snprintf(url, sizeof(url), "tcp:127.0.0.1:%u", ntohs(got.sin_port));
	assert_int_equal(mig_addr_parse(url, &a, err, sizeof(err)), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(mig_connect(&a, 1000, &c, &e), -ECONNREFUSED);
	assert_int_equal(c, -1);
	assert_int_equal(e.kind, ERR_USAGE);
	expect_msg(&e, "migration: cannot connect to ");
	expect_msg(&e, url);
	close(held);
}

static void listen_connect_tcp6(void **state)
{
	struct vmon_err e = { 0 };
	struct mig_addr a;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a.sa;
	struct sockaddr_in6 got;
	socklen_t gl = sizeof(got);
	char err[256], url[64];
	int lfd, c, s, ret;

	assert_int_equal(mig_addr_parse("tcp:[::1]:1", &a, err, sizeof(err)),
			 0);
	in6->sin6_port = 0;
	ret = mig_listen(&a, &lfd, &e);
	if (ret == -EADDRNOTAVAIL || ret == -EAFNOSUPPORT) {
		print_message("no IPv6 loopback here: %s\n", e.msg);
		skip();
	}
	assert_int_equal(ret, 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&got, &gl), 0);
	snprintf(url, sizeof(url), "tcp:[::1]:%u", ntohs(got.sin6_port));
	assert_int_equal(mig_addr_parse(url, &a, err, sizeof(err)), 0);
	assert_int_equal(mig_connect(&a, 1000, &c, &e), 0);
	s = accept_one(lfd);
	talk(c, s);
	close(s);
	close(c);
	close(lfd);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		T(header_round_trip),
		T(frame_caps),
		T(frames_round_trip),
		T(frames_in_a_row),
		T(header_refusals),
		T(frame_header_refusals),
		T(payload_refusals),
		T(pages_parse),
		T(error_frames),
		T(peer_closes),
		T(peer_silent),
		T(peer_never_reads),
		T(addr_parse),
		T(listen_connect_unix),
		T(listen_connect_tcp),
		T(listen_connect_tcp6),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
