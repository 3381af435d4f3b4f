// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the live-migration stream's reader (src/lib/
 * migstream.c, docs/migration.md "The stream"): what the destination reads
 * from a peer that is as untrusted as a snapshot file.
 *
 * Input: the bytes the peer sends, whole: a 32-byte stream header, then
 * frames (16-byte header, payload).  They are read from a memfd, since
 * mig_read_full works on any fd: deterministic, no thread, no socket
 * buffer to fill, and the end of the input is the peer closing.  The
 * header goes through mig_header_check; the frames are read with mig_recv
 * whatever it said (so the fuzzer reaches them without the header's CRC)
 * until one fails, every PAGES payload through mig_pages_parse for RAM of
 * 16384 pages.  Then the same again with every checksum made right
 * ("resealed", when that changes a byte), so that the checks behind the
 * CRCs (version, arch, caps, PAGES bounds) see the fuzzer's changes too.
 *
 * Checked: no sanitizer report or leak; a refusal returns what it put in
 * the error object, a known code, a message, and no payload; an accepted
 * frame is of a known type other than ERROR, within its cap, its payload
 * (NUL after it) NULL exactly when empty, and its header the one
 * mig_frame_header_put writes for it (one encoding); an ERROR frame ends
 * the stream with a printable message; accepted pages lie inside RAM and
 * fill the payload exactly.  See fuzz/README.md.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/err.h"
#include "lib/le.h"
#include "lib/migstream.h"

#define ARCH	"x86_64"
#define NPAGES	16384u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int stream_fd = -1;
static volatile uint8_t sink;

/* The input as the file the reader reads, from its start. */
static int load(const uint8_t *data, size_t size)
{
	size_t off = 0;

	if (stream_fd < 0) {
		stream_fd = memfd_create("fuzz_migstream", MFD_CLOEXEC);
		if (stream_fd < 0)
			abort();
	}
	if (ftruncate(stream_fd, 0) || lseek(stream_fd, 0, SEEK_SET))
		abort();
	while (off < size) {
		ssize_t w = write(stream_fd, data + off, size - off);

		if (w <= 0)
			abort();
		off += (size_t)w;
	}
	if (lseek(stream_fd, 0, SEEK_SET))
		abort();
	return stream_fd;
}

/* A refusal: its code in e, a message. */
static void refused(const struct vmon_err *e, int ret)
{
	if (ret >= 0 || e->code != ret || !e->msg[0] ||
	    !memchr(e->msg, '\0', sizeof(e->msg)))
		abort();
}

static void printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			abort();
}

static void pages(const uint8_t *p, uint32_t len)
{
	struct vmon_err e = { 0 };
	const uint8_t *d = p;
	uint64_t first = 1;
	uint32_t count = 1;
	int ret;

	ret = mig_pages_parse(p, len, NPAGES, &first, &count, &d, &e);
	if (ret) {
		refused(&e, ret);
		if (ret != -EPROTO || first || count || d ||
		    !strstr(e.msg, "migration stream: "))
			abort();
		return;
	}
	if (e.code || count == 0 || first >= NPAGES ||
	    count > NPAGES - first || d != p + 8 ||
	    len != 8 + (uint64_t)count * MIG_PAGE_SIZE)
		abort();
	/* Every page byte is inside the payload: ASan sees both ends. */
	sink = d[0];
	sink = d[(size_t)count * MIG_PAGE_SIZE - 1];
}

/* data as the stream the destination reads. */
static void run(const uint8_t *data, size_t size)
{
	struct vmon_err e = { 0 };
	uint8_t h[MIG_HEADER_SIZE], again[MIG_FRAME_HEADER_SIZE];
	int fd = load(data, size), ret;

	ret = mig_read_full(fd, h, sizeof(h), 10, &e);
	if (ret) {
		refused(&e, ret);
		if (ret != -ECONNRESET || size >= MIG_HEADER_SIZE)
			abort();
		return;
	}
	ret = mig_header_check(h, ARCH, &e);
	if (ret) {
		refused(&e, ret);
		if (ret != -EPROTO || !strstr(e.msg, "migration stream: "))
			abort();
	}

	for (;;) {
		off_t at = lseek(fd, 0, SEEK_CUR);
		uint32_t type = 0, len = 0;
		uint8_t *p = (uint8_t *)h;

		memset(&e, 0, sizeof(e));
		ret = mig_recv(fd, &type, &p, &len, 10, &e);
		if (ret) {
			refused(&e, ret);
			if (p)
				abort();
			if (ret == -ECONNABORTED) {
				if (type != MIG_ERROR ||
				    strncmp(e.msg, "the peer gave up: ", 18))
					abort();
				printable(e.msg);
			} else if (ret != -EPROTO && ret != -ECONNRESET &&
				   ret != -ENOMEM) {
				abort();
			}
			break;
		}
		if (e.code || at < 0 || type == 0 || type >= MIG_FRAME_TYPES ||
		    type == MIG_ERROR || len > mig_frame_max(type) ||
		    (len == 0) != (p == NULL) ||
		    (size_t)at + MIG_FRAME_HEADER_SIZE + len > size)
			abort();
		if (len && (p[len] != '\0' ||
			    memcmp(p, data + at + MIG_FRAME_HEADER_SIZE, len)))
			abort();
		mig_frame_header_put(again, type, p, len);
		if (memcmp(again, data + at, sizeof(again)))
			abort();
		if (type == MIG_PAGES)
			pages(p, len);
		free(p);
	}
}

/*
 * The header's and every frame header's checksums, and the payload
 * checksum of every frame whose payload is all there, made right: the
 * fuzzer's changes then reach the checks behind the CRCs (version,
 * arch, caps, PAGES bounds) as fuzz_snapfile's resealed mode does.
 */
static void reseal(uint8_t *b, size_t size)
{
	size_t off = MIG_HEADER_SIZE;

	if (size < MIG_HEADER_SIZE)
		return;
	le32_put(b + 28, (uint32_t)crc32(0, b, 28));
	while (size - off >= MIG_FRAME_HEADER_SIZE) {
		uint8_t *h = b + off;
		size_t len = le32_get(h + 4);

		off += MIG_FRAME_HEADER_SIZE;
		if (len <= size - off)
			le32_put(h + 8, len ? (uint32_t)crc32(0, b + off,
							      (uInt)len) : 0);
		le32_put(h + 12, (uint32_t)crc32(0, h, 12));
		if (len > size - off)
			break;
		off += len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *sealed;

	run(data, size);
	if (size < MIG_HEADER_SIZE)
		return 0;
	sealed = malloc(size);
	if (!sealed)
		abort();
	memcpy(sealed, data, size);
	reseal(sealed, size);
	if (memcmp(sealed, data, size))
		run(sealed, size);
	free(sealed);
	return 0;
}
