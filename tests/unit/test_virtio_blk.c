// SPDX-License-Identifier: MIT
/*
 * Unit tests of virtio-blk request parsing and validation (blk_req.c):
 * hand-made chains, as virtq_pop would hand them over, for every request
 * type and every bad request of guest-input.md rule 14.  No device, no
 * I/O: what the parser decides and where it points the data.  Also the
 * polling window's adaptation (blk_poll.c) and the --disk option.
 */
#include <errno.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/options.h"
#include "virtio/blk.h"

#define CAP	1000ull		/* sectors */

struct hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

struct seg {
	uint64_t sector;
	uint32_t num_sectors, flags;
};

/* A chain under construction: buffers in mem, iovecs in r.iov. */
struct ch {
	struct blk_req r;
	struct virtq_chain c;
	uint8_t mem[64 << 10];
	size_t used;
	struct blk_disk d;
};

static int setup(void **state)
{
	struct ch *t = calloc(1, sizeof(*t));

	t->d.capacity = CAP;
	memcpy(t->d.serial, "serial-0123456789abc", BLK_ID_BYTES);
	virtq_chain_init(&t->c, t->r.iov, BLK_QUEUE_SIZE);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Append a buffer of len bytes (copied from src if not NULL). */
static uint8_t *buf(struct ch *t, const void *src, size_t len, bool writable)
{
	uint8_t *p = t->mem + t->used;
	unsigned int i = t->c.nr_out + t->c.nr_in;

	assert_true(t->used + len <= sizeof(t->mem));
	if (!writable)
		assert_int_equal(t->c.nr_in, 0);	/* readable first */
	t->used += len;
	if (src)
		memcpy(p, src, len);
	else
		memset(p, 0xcc, len);
	t->c.iov[i] = (struct iovec){ p, len };
	if (writable) {
		t->c.nr_in++;
		t->c.in_bytes += (uint32_t)len;
	} else {
		t->c.nr_out++;
		t->c.out_bytes += (uint32_t)len;
	}
	return p;
}

static void hdr(struct ch *t, uint32_t type, uint64_t sector)
{
	struct hdr h = { type, 0, sector };

	buf(t, &h, sizeof(h), false);
}

static int parse(struct ch *t)
{
	const char *why = NULL;
	int ret = blk_parse(&t->r, &t->c, &t->d, &why);

	if (ret)
		assert_non_null(why);
	return ret;
}

static void expect_now(struct ch *t, uint8_t status)
{
	assert_int_equal(parse(t), 0);
	assert_int_equal(t->r.op, BLK_OP_NONE);
	assert_int_equal(t->r.result, status);
}

/* ---- status byte and header ---------------------------------------------- */

static void no_status_byte(void **state)
{
	struct ch *t = *state;

	hdr(t, VIRTIO_BLK_T_IN, 0);
	buf(t, NULL, 1, false);		/* "status", device-readable */
	assert_int_equal(parse(t), -EPROTO);
}

static void empty_chain(void **state)
{
	struct ch *t = *state;

	assert_int_equal(parse(t), -EPROTO);
}

static void short_header(void **state)
{
	struct ch *t = *state;
	uint8_t *st;

	buf(t, NULL, 15, false);
	st = buf(t, NULL, 1, true);
	expect_now(t, VIRTIO_BLK_S_IOERR);
	assert_ptr_equal(t->r.status, st);
}

static void header_in_pieces(void **state)
{
	struct ch *t = *state;
	struct hdr h = { VIRTIO_BLK_T_OUT, 0, 7 };
	uint8_t *data;

	/* 10 + 10 bytes: the header is the first 16, data the next 4 +
	 * 508, then a status byte of its own. */
	buf(t, &h, 10, false);
	data = buf(t, (uint8_t *)&h + 10, 6, false);
	buf(t, NULL, 4, false);
	data = buf(t, NULL, 508, false);
	buf(t, NULL, 1, true);
	assert_int_equal(parse(t), 0);
	assert_int_equal(t->r.op, BLK_OP_WRITE);
	assert_int_equal(t->r.off, 7 * 512);
	assert_int_equal(t->r.len, 512);
	assert_int_equal(t->r.nr_data, 2);
	assert_int_equal(t->r.data[0].iov_len, 4);
	assert_ptr_equal(t->r.data[1].iov_base, data);
}

static void header_shares_data_buffer(void **state)
{
	struct ch *t = *state;
	uint8_t one[16 + 512];
	struct hdr h = { VIRTIO_BLK_T_OUT, 0, 1 };

	memcpy(one, &h, sizeof(h));
	buf(t, one, sizeof(one), false);
	buf(t, NULL, 1, true);
	assert_int_equal(parse(t), 0);
	assert_int_equal(t->r.nr_data, 1);
	assert_ptr_equal(t->r.data[0].iov_base, t->mem + 16);
	assert_int_equal(t->r.data[0].iov_len, 512);
}

/* ---- reads and writes -------------------------------------------------------- */

static void read_ok(void **state)
{
	struct ch *t = *state;
	uint8_t *a, *b;

	hdr(t, VIRTIO_BLK_T_IN, 10);
	a = buf(t, NULL, 1024, true);
	b = buf(t, NULL, 513, true);	/* 512 data + the status */
	assert_int_equal(parse(t), 0);
	assert_int_equal(t->r.op, BLK_OP_READ);
	assert_int_equal(t->r.kind, BLK_K_READ);
	assert_int_equal(t->r.off, 10 * 512);
	assert_int_equal(t->r.len, 1536);
	assert_int_equal(t->r.written, 1537);
	assert_int_equal(t->r.nr_data, 2);
	assert_ptr_equal(t->r.data[0].iov_base, a);
	assert_int_equal(t->r.data[1].iov_len, 512);
	assert_ptr_equal(t->r.status, b + 512);
}

static void read_last_sector(void **state)
{
	struct ch *t = *state;

	hdr(t, VIRTIO_BLK_T_IN, CAP - 1);
	buf(t, NULL, 512, true);
	buf(t, NULL, 1, true);
	assert_int_equal(parse(t), 0);
	assert_int_equal(t->r.op, BLK_OP_READ);
	assert_int_equal(t->r.nr_data, 1);	/* the 1-byte status dropped */
}

static void read_zero_length(void **state)
{
	struct ch *t = *state;

	hdr(t, VIRTIO_BLK_T_IN, 0);
	buf(t, NULL, 1, true);
	expect_now(t, VIRTIO_BLK_S_OK);
}

static void rw_bad(uint32_t type, uint64_t sector, size_t len, bool writable,
		   bool ro, uint8_t want)
{
	struct ch *t;

	setup((void **)&t);
	t->d.read_only = ro;
	hdr(t, type, sector);
	if (len)
		buf(t, NULL, len, writable);
	buf(t, NULL, 1, true);
	expect_now(t, want);
	teardown((void **)&t);
}

static void read_write_bad(void **state)
{
	/* Length not a multiple of 512. */
	rw_bad(VIRTIO_BLK_T_IN, 0, 100, true, false, VIRTIO_BLK_S_IOERR);
	rw_bad(VIRTIO_BLK_T_OUT, 0, 513, false, false, VIRTIO_BLK_S_IOERR);
	/* Past the end, across it, overflowing. */
	rw_bad(VIRTIO_BLK_T_IN, CAP, 512, true, false, VIRTIO_BLK_S_IOERR);
	rw_bad(VIRTIO_BLK_T_IN, CAP - 1, 1024, true, false, VIRTIO_BLK_S_IOERR);
	rw_bad(VIRTIO_BLK_T_OUT, CAP, 512, false, false, VIRTIO_BLK_S_IOERR);
	rw_bad(VIRTIO_BLK_T_IN, UINT64_MAX, 512, true, false,
	       VIRTIO_BLK_S_IOERR);
	rw_bad(VIRTIO_BLK_T_OUT, UINT64_MAX - 1, 1024, false, false,
	       VIRTIO_BLK_S_IOERR);
	rw_bad(VIRTIO_BLK_T_IN, 1ull << 55, 512, true, false,
	       VIRTIO_BLK_S_IOERR);
	/* Data in the wrong direction. */
	rw_bad(VIRTIO_BLK_T_IN, 0, 512, false, false, VIRTIO_BLK_S_IOERR);
	/* A read-only disk refuses writes, but not reads. */
	rw_bad(VIRTIO_BLK_T_OUT, 0, 512, false, true, VIRTIO_BLK_S_IOERR);
	rw_bad(VIRTIO_BLK_T_OUT, 0, 0, false, true, VIRTIO_BLK_S_IOERR);
}

static void write_with_writable_data(void **state)
{
	struct ch *t = *state;

	hdr(t, VIRTIO_BLK_T_OUT, 0);
	buf(t, NULL, 512, true);
	buf(t, NULL, 1, true);
	expect_now(t, VIRTIO_BLK_S_IOERR);
}

/* ---- flush, get-id, unknown -------------------------------------------- */

static void flush(void **state)
{
	struct ch *t = *state;

	hdr(t, VIRTIO_BLK_T_FLUSH, 0);
	buf(t, NULL, 1, true);
	assert_int_equal(parse(t), 0);
	assert_int_equal(t->r.op, BLK_OP_FLUSH);
	assert_int_equal(t->r.written, 1);
}

static void get_id(void **state)
{
	struct ch *t = *state;
	uint8_t *a, *b;

	hdr(t, VIRTIO_BLK_T_GET_ID, 0);
	a = buf(t, NULL, 12, true);	/* 12 + 28: the serial spans both */
	b = buf(t, NULL, 29, true);
	expect_now(t, VIRTIO_BLK_S_OK);
	assert_memory_equal(a, "serial-01234", 12);
	assert_memory_equal(b, "56789abc", 8);
	assert_int_equal(b[8], 0xcc);		/* nothing past 20 bytes */
	assert_int_equal(t->r.written, 21);
}

static void get_id_short(void **state)
{
	struct ch *t = *state;
	uint8_t *a;

	hdr(t, VIRTIO_BLK_T_GET_ID, 0);
	a = buf(t, NULL, 19, true);
	buf(t, NULL, 1, true);
	expect_now(t, VIRTIO_BLK_S_IOERR);
	for (int i = 0; i < 19; i++)
		assert_int_equal(a[i], 0xcc);	/* untouched */
}

static void unknown_types(void **state)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_GET_LIFETIME, VIRTIO_BLK_T_SECURE_ERASE, 2, 3, 5,
		15, 16, 0x77, 0x80000000u, UINT32_MAX,
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct ch *t;

		setup((void **)&t);
		hdr(t, types[i], 0);
		buf(t, NULL, 8, true);
		buf(t, NULL, 1, true);
		expect_now(t, VIRTIO_BLK_S_UNSUPP);
		teardown((void **)&t);
	}
}

/* ---- discard and write zeroes ------------------------------------------ */

static void range(struct ch *t, uint32_t type, const struct seg *s,
		  size_t nseg)
{
	hdr(t, type, 0);
	buf(t, s, nseg * sizeof(*s), false);
	buf(t, NULL, 1, true);
}

static void discard_ok(void **state)
{
	struct ch *t = *state;
	struct seg s = { 8, 16, 0 };

	range(t, VIRTIO_BLK_T_DISCARD, &s, 1);
	assert_int_equal(parse(t), 0);
	assert_int_equal(t->r.op, BLK_OP_FALLOCATE);
	assert_int_equal(t->r.kind, BLK_K_DISCARD);
	assert_int_equal(t->r.off, 8 * 512);
	assert_int_equal(t->r.len, 16 * 512);
	assert_int_equal(t->r.fa_mode, FALLOC_FL_PUNCH_HOLE |
			 FALLOC_FL_KEEP_SIZE);
}

static void write_zeroes_modes(void **state)
{
	struct ch *t = *state;
	struct seg s = { CAP - 4, 4, 0 };

	range(t, VIRTIO_BLK_T_WRITE_ZEROES, &s, 1);
	assert_int_equal(parse(t), 0);
	assert_int_equal(t->r.kind, BLK_K_WRITE_ZEROES);
	assert_false(t->r.unmap);
	assert_int_equal(t->r.fa_mode, FALLOC_FL_ZERO_RANGE |
			 FALLOC_FL_KEEP_SIZE);
	teardown(state);
	setup(state);
	t = *state;
	s.flags = VIRTIO_BLK_WZ_UNMAP;
	range(t, VIRTIO_BLK_T_WRITE_ZEROES, &s, 1);
	assert_int_equal(parse(t), 0);
	assert_true(t->r.unmap);
	assert_int_equal(t->r.fa_mode, FALLOC_FL_PUNCH_HOLE |
			 FALLOC_FL_KEEP_SIZE);
}

static void range_bad(uint32_t type, struct seg s, size_t nseg, bool ro,
		      uint8_t want)
{
	struct seg two[2] = { s, s };
	struct ch *t;

	setup((void **)&t);
	t->d.read_only = ro;
	range(t, type, two, nseg);
	expect_now(t, want);
	teardown((void **)&t);
}

static void discard_write_zeroes_bad(void **state)
{
	uint32_t d = VIRTIO_BLK_T_DISCARD, w = VIRTIO_BLK_T_WRITE_ZEROES;

	/* 5.2.6.2: unmap on a discard, unknown flags: UNSUPP. */
	range_bad(d, (struct seg){ 0, 8, 1 }, 1, false, VIRTIO_BLK_S_UNSUPP);
	range_bad(w, (struct seg){ 0, 8, 2 }, 1, false, VIRTIO_BLK_S_UNSUPP);
	range_bad(d, (struct seg){ 0, 8, 0x80000000u }, 1, false,
		  VIRTIO_BLK_S_UNSUPP);
	/* More than max_*_seg (1), past the end, over the maximum. */
	range_bad(d, (struct seg){ 0, 8, 0 }, 2, false, VIRTIO_BLK_S_IOERR);
	range_bad(w, (struct seg){ CAP - 1, 2, 0 }, 1, false,
		  VIRTIO_BLK_S_IOERR);
	range_bad(w, (struct seg){ UINT64_MAX, 1, 0 }, 1, false,
		  VIRTIO_BLK_S_IOERR);
	range_bad(d, (struct seg){ 0, BLK_MAX_DISCARD_SECTORS + 1, 0 }, 1,
		  false, VIRTIO_BLK_S_IOERR);
	/* Zero sectors: nothing to do. */
	range_bad(d, (struct seg){ 5, 0, 0 }, 1, false, VIRTIO_BLK_S_OK);
	/* Read-only. */
	range_bad(d, (struct seg){ 0, 8, 0 }, 1, true, VIRTIO_BLK_S_IOERR);
	range_bad(w, (struct seg){ 0, 8, 0 }, 1, true, VIRTIO_BLK_S_IOERR);
}

static void discard_short_segment(void **state)
{
	struct ch *t = *state;
	struct seg s = { 0, 8, 0 };

	hdr(t, VIRTIO_BLK_T_DISCARD, 0);
	buf(t, &s, 12, false);
	buf(t, NULL, 1, true);
	expect_now(t, VIRTIO_BLK_S_IOERR);
}

/* ---- short transfers --------------------------------------------------- */

static void advance(void **state)
{
	struct ch *t = *state;

	hdr(t, VIRTIO_BLK_T_IN, 4);
	buf(t, NULL, 512, true);
	buf(t, NULL, 1024, true);
	buf(t, NULL, 513, true);
	assert_int_equal(parse(t), 0);
	blk_req_advance(&t->r, 100);
	assert_int_equal(t->r.off, 4 * 512 + 100);
	assert_int_equal(t->r.len, 2048 - 100);
	assert_int_equal(t->r.nr_data, 3);
	assert_int_equal(t->r.data[0].iov_len, 412);
	blk_req_advance(&t->r, 412 + 1024);
	assert_int_equal(t->r.nr_data, 1);
	assert_int_equal(t->r.data[0].iov_len, 512);
	blk_req_advance(&t->r, 10000);		/* more than is left */
	assert_int_equal(t->r.len, 0);
	assert_int_equal(t->r.nr_data, 0);
	assert_int_equal(t->r.written, 2049);	/* unchanged */
}

/*
 * The polling window (blk_poll.c): misses halve it down to off, close
 * calls double it up to the limit, a probe now and then when off; after
 * a notification the full window, and a back-off when that misses.
 */
static void poll_adapts(void **state)
{
	struct blk_poll p = { .max_ns = 64000, .cur_ns = 64000 };
	unsigned int probes = 0;

	blk_poll_adapt(&p, 64000, true, 1000);	/* a quick hit: as it was */
	assert_int_equal(p.cur_ns, 64000);
	for (uint64_t want = 32000; want >= 4000; want /= 2) {
		blk_poll_adapt(&p, p.cur_ns, false, 0);
		assert_int_equal(p.cur_ns, want);
	}
	blk_poll_adapt(&p, p.cur_ns, false, 0);
	assert_int_equal(p.cur_ns, 0);			/* off */
	for (int i = 0; i < 3 * BLK_POLL_PROBE; i++)
		if (blk_poll_window(&p))
			probes++;
	assert_int_equal(probes, 3);			/* one probe in 16 */
	blk_poll_adapt(&p, BLK_POLL_START_NS, true, 3000);	/* close call */
	assert_int_equal(p.cur_ns, 2 * BLK_POLL_START_NS);
	blk_poll_adapt(&p, p.cur_ns, true, 7000);
	assert_int_equal(p.cur_ns, 4 * BLK_POLL_START_NS);
	p.cur_ns = 48000;
	blk_poll_adapt(&p, 48000, true, 40000);	/* capped at the limit */
	assert_int_equal(p.cur_ns, 64000);
	assert_int_equal(p.hits, 4);
	assert_int_equal(p.misses, 5);

	/* After notifications: back-off of 2, 4 ... 64, ended by a hit. */
	for (unsigned int k = 1; k <= 7; k++) {
		blk_poll_kick_result(&p, false);
		assert_int_equal(p.kick_skip, 1u << (k < 6 ? k : 6));
	}
	blk_poll_kick_result(&p, true);
	assert_int_equal(p.kick_backoff, 0);

	/* Disabled (VMON_BLK_POLL_US=0) stays so. */
	p = (struct blk_poll){ 0 };
	for (int i = 0; i < 2 * BLK_POLL_PROBE; i++)
		assert_int_equal(blk_poll_window(&p), 0);
}

/* ---- --disk ---------------------------------------------------------------- */

static int parse_args(struct run_options *o, char *a1, char *a2, char *err)
{
	char k[] = "--kernel", kv[] = "k", run[] = "run", d[] = "--disk";
	char *argv[] = { run, k, kv, d, a1, a2 ? d : NULL, a2, NULL };

	return run_options_parse(a2 ? 7 : 5, argv, o, err, 256);
}

static void disk_option(void **state)
{
	struct run_options o;
	char err[256];
	char a[] = "/img/a.raw,ro,cache=writeback,id=root", b[] = "b.raw";
	char bad[] = "x.img,rw", dup1[] = "x,id=same", dup2[] = "y,id=same";
	char empty[] = ",ro";

	assert_int_equal(parse_args(&o, a, b, err), 0);
	assert_int_equal(o.vm.nr_disks, 2);
	assert_string_equal(o.vm.disks[0].path, "/img/a.raw");
	assert_true(o.vm.disks[0].read_only);
	assert_int_equal(o.vm.disks[0].cache, DISK_CACHE_WRITEBACK);
	assert_string_equal(o.vm.disks[0].id, "root");
	assert_string_equal(o.vm.disks[1].path, "b.raw");
	assert_false(o.vm.disks[1].read_only);
	assert_int_equal(o.vm.disks[1].cache, DISK_CACHE_UNSAFE);
	assert_null(o.vm.disks[1].id);
	assert_int_equal(parse_args(&o, bad, NULL, err), -EINVAL);
	assert_non_null(strstr(err, "'rw'"));
	assert_int_equal(parse_args(&o, dup1, dup2, err), -EINVAL);
	assert_non_null(strstr(err, "id=same given twice"));
	assert_int_equal(parse_args(&o, empty, NULL, err), -EINVAL);
	assert_non_null(strstr(err, "PATH first"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(no_status_byte),
		T(empty_chain),
		T(short_header),
		T(header_in_pieces),
		T(header_shares_data_buffer),
		T(read_ok),
		T(read_last_sector),
		T(read_zero_length),
		T(read_write_bad),
		T(write_with_writable_data),
		T(flush),
		T(get_id),
		T(get_id_short),
		T(unknown_types),
		T(discard_ok),
		T(write_zeroes_modes),
		T(discard_write_zeroes_bad),
		T(discard_short_segment),
		T(advance),
#undef T
		cmocka_unit_test(poll_adapts),
		cmocka_unit_test(disk_option),
	};

	return cmocka_run_group_tests_name("virtio_blk", tests, NULL, NULL);
}
