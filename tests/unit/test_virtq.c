// SPDX-License-Identifier: MIT
/*
 * Unit tests for the split-virtqueue walker on hand-built rings in a
 * malloc'd guest RAM: the good paths, and every rule of guest-input.md
 * 1-9 and 13 (10-12 belong to the transport: test_virtio_pci.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/guest_mem.h"
#include "virtio/virtq.h"

#define RAM_SIZE	0x40000ull
#define DESC		0x1000ull
#define AVAIL		0x2000ull
#define USED		0x3000ull
#define BUF		0x10000ull
#define ITABLE		0x8000ull

struct fx {
	uint8_t *ram;
	struct guest_mem gm;
	struct virtq vq;
	struct virtq_chain c;
	struct iovec iov[64];
	int fails;
	char why[256];
	uint16_t avail_idx;
};

static void on_fail(void *opaque, struct virtq *vq, const char *why)
{
	struct fx *f = opaque;

	f->fails++;
	snprintf(f->why, sizeof(f->why), "%s", why);
}

static struct virtq_desc *desc(struct fx *f, uint64_t table, uint16_t i)
{
	return (struct virtq_desc *)(f->ram + table) + i;
}

static void put(struct fx *f, uint16_t i, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next)
{
	*desc(f, DESC, i) = (struct virtq_desc){ addr, len, flags, next };
}

static struct virtq_avail *avail(struct fx *f)
{
	return (struct virtq_avail *)(f->ram + AVAIL);
}

static struct virtq_used *used(struct fx *f)
{
	return (struct virtq_used *)(f->ram + USED);
}

static void offer(struct fx *f, uint16_t head)
{
	avail(f)->ring[f->avail_idx % f->vq.size] = head;
	avail(f)->idx = ++f->avail_idx;
}

static int configure(struct fx *f, uint16_t size, bool indirect, bool evidx)
{
	struct virtq_config cfg = { size, 256, DESC, AVAIL, USED, indirect,
				    evidx };

	return virtq_configure(&f->vq, &f->gm, &cfg, f->why, sizeof(f->why));
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->ram = calloc(1, RAM_SIZE);
	assert_int_equal(gm_init_buffer(&f->gm, f->ram, RAM_SIZE), 0);
	virtq_init(&f->vq, 0, on_fail, f);
	assert_int_equal(configure(f, 16, true, false), 0);
	virtq_chain_init(&f->c, f->iov, 64);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->ram);
	free(f);
	return 0;
}

/* Pop must fail with a violation, reported once, leaving it broken. */
static void expect_violation(struct fx *f, const char *needle)
{
	assert_int_equal(virtq_pop(&f->vq, &f->c), -EPROTO);
	assert_int_equal(f->fails, 1);
	if (!strstr(f->why, needle))
		fail_msg("reason \"%s\" lacks \"%s\"", f->why, needle);
	assert_true(f->vq.broken);
	assert_int_equal(virtq_pop(&f->vq, &f->c), -EIO);
	assert_int_equal(virtq_push(&f->vq, 0, 0), -EIO);
	assert_int_equal(f->fails, 1);
}

/* ---- good paths ------------------------------------------------------ */

static void empty_ring(void **state)
{
	struct fx *f = *state;

	assert_int_equal(virtq_pop(&f->vq, &f->c), 0);
	assert_int_equal(f->fails, 0);
}

static void single_writable(void **state)
{
	struct fx *f = *state;

	put(f, 3, BUF, 100, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 3);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.head, 3);
	assert_int_equal(f->c.nr_out, 0);
	assert_int_equal(f->c.nr_in, 1);
	assert_int_equal(f->c.in_bytes, 100);
	assert_ptr_equal(f->c.iov[0].iov_base, f->ram + BUF);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 0);
	assert_int_equal(virtq_push(&f->vq, 3, 42), 0);
	assert_int_equal(used(f)->idx, 1);
	assert_int_equal(used(f)->ring[0].id, 3);
	assert_int_equal(used(f)->ring[0].len, 42);
	/* Nothing else in flight: a second push is a device bug. */
	assert_int_equal(virtq_push(&f->vq, 3, 0), -EINVAL);
}

static void readable_then_writable(void **state)
{
	struct fx *f = *state;
	uint8_t out[24];

	memcpy(f->ram + BUF, "hello, ", 7);
	memcpy(f->ram + BUF + 0x100, "virtqueue world!", 16);
	put(f, 0, BUF, 7, VIRTQ_DESC_F_NEXT, 5);
	put(f, 5, BUF + 0x100, 16, VIRTQ_DESC_F_NEXT, 2);
	put(f, 2, BUF + 0x200, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 9);
	put(f, 9, BUF + 0x300, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.nr_out, 2);
	assert_int_equal(f->c.nr_in, 2);
	assert_int_equal(f->c.out_bytes, 23);
	assert_int_equal(f->c.in_bytes, 16);
	assert_int_equal(virtq_chain_read(&f->c, 0, out, sizeof(out)), 23);
	assert_memory_equal(out, "hello, virtqueue world!", 23);
	assert_int_equal(virtq_chain_read(&f->c, 7, out, 4), 4);
	assert_memory_equal(out, "virt", 4);
	assert_int_equal(virtq_chain_write(&f->c, 4, "0123456789ABCDEF", 16), 12);
	assert_memory_equal(f->ram + BUF + 0x204, "0123", 4);
	assert_memory_equal(f->ram + BUF + 0x300, "456789AB", 8);
}

static bool page_dirty(const uint64_t *bits, uint64_t gpa)
{
	return bits[gpa / 4096 / 64] >> (gpa / 4096 % 64) & 1;
}

/*
 * With dirty tracking on, the pages the device may write are marked: the
 * device-writable buffers of a chain it takes, and the used ring it
 * pushes to.  Readable buffers, the descriptor table and the avail ring
 * are the driver's and stay clean.
 */
static void dirty_pages_marked(void **state)
{
	struct fx *f = *state;
	uint64_t bits[(RAM_SIZE / 4096 + 63) / 64] = { 0 };

	assert_int_equal(gm_track_dirty(&f->gm), 0);
	put(f, 0, BUF, 7, VIRTQ_DESC_F_NEXT, 1);
	put(f, 1, BUF + 0x2ff0, 0x20, VIRTQ_DESC_F_WRITE, 0); /* 2 pages */
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(virtq_push(&f->vq, 0, 0x20), 0);
	gm_take_dirty(&f->gm, bits);
	assert_false(page_dirty(bits, BUF));
	assert_true(page_dirty(bits, BUF + 0x2000));
	assert_true(page_dirty(bits, BUF + 0x3000));
	assert_false(page_dirty(bits, BUF + 0x4000));
	assert_true(page_dirty(bits, USED));
	assert_false(page_dirty(bits, DESC));
	assert_false(page_dirty(bits, AVAIL));
	/* Taken means cleared; given back means there again. */
	uint64_t again[sizeof(bits) / 8] = { 0 };

	gm_take_dirty(&f->gm, again);
	assert_false(page_dirty(again, USED));
	gm_return_dirty(&f->gm, bits);
	gm_take_dirty(&f->gm, again);
	assert_memory_equal(again, bits, sizeof(bits));
	/* gm_write marks what it wrote; a range outside RAM marks nothing. */
	assert_int_equal(gm_write(&f->gm, 0x5000, "x", 1), 0);
	gm_mark_dirty(&f->gm, RAM_SIZE - 1, 2);
	memset(again, 0, sizeof(again));
	gm_take_dirty(&f->gm, again);
	assert_true(page_dirty(again, 0x5000));
	again[0x5000 / 4096 / 64] &= ~(1ULL << (0x5000 / 4096 % 64));
	for (size_t i = 0; i < sizeof(again) / 8; i++)
		assert_int_equal(again[i], 0);
	gm_free(&f->gm);	/* the bitmap; the buffer is the fixture's */
}

static void indirect_good(void **state)
{
	struct fx *f = *state;
	struct virtq_desc *t = desc(f, ITABLE, 0);

	t[0] = (struct virtq_desc){ BUF, 16, VIRTQ_DESC_F_NEXT, 1 };
	t[1] = (struct virtq_desc){ BUF + 16, 32,
				    VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2 };
	t[2] = (struct virtq_desc){ BUF + 64, 1, VIRTQ_DESC_F_WRITE, 0 };
	/* The WRITE flag of an indirect descriptor is ignored (2.7.5.3.2). */
	put(f, 7, ITABLE, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	offer(f, 7);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.head, 7);
	assert_int_equal(f->c.nr_out, 1);
	assert_int_equal(f->c.nr_in, 2);
	assert_int_equal(f->c.in_bytes, 33);
}

static void unaligned_indirect_table(void **state)
{
	struct fx *f = *state;
	struct virtq_desc d = { BUF, 8, VIRTQ_DESC_F_WRITE, 0 };

	/* Indirect tables need no alignment: copy in at an odd address. */
	memcpy(f->ram + ITABLE + 3, &d, sizeof(d));
	put(f, 0, ITABLE + 3, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.in_bytes, 8);
}

static void index_wraparound(void **state)
{
	struct fx *f = *state;

	assert_int_equal(configure(f, 4, false, false), 0);
	put(f, 1, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	/* 70000 requests: the 16-bit indices wrap. */
	for (unsigned int i = 0; i < 70000; i++) {
		offer(f, 1);
		assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
		assert_int_equal(virtq_push(&f->vq, 1, 8), 0);
	}
	assert_int_equal(used(f)->idx, (uint16_t)70000);
	assert_int_equal(f->fails, 0);
}

static void no_interrupt_flag(void **state)
{
	struct fx *f = *state;

	/* Nothing used yet: no interrupt. */
	assert_false(virtq_should_notify(&f->vq));
	put(f, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(virtq_push(&f->vq, 0, 8), 0);
	assert_true(virtq_should_notify(&f->vq));
	/* Nothing new since: no interrupt. */
	assert_false(virtq_should_notify(&f->vq));
	avail(f)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(virtq_push(&f->vq, 0, 8), 0);
	assert_false(virtq_should_notify(&f->vq));
}

static void event_idx(void **state)
{
	struct fx *f = *state;
	uint16_t *used_event, *avail_event;

	assert_int_equal(configure(f, 8, false, true), 0);
	used_event = &avail(f)->ring[8];
	avail_event = (uint16_t *)&used(f)->ring[8];
	put(f, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);

	/* Finding the ring empty asks for a kick at the next entry. */
	*avail_event = 0xbeef;
	assert_int_equal(virtq_pop(&f->vq, &f->c), 0);
	assert_int_equal(*avail_event, 0);

	/* The driver wants an interrupt once entry 2 is used. */
	*used_event = 2;
	for (int i = 0; i < 4; i++)
		offer(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(virtq_push(&f->vq, 0, 8), 0);
	assert_true(virtq_should_notify(&f->vq));	/* first: always */
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(virtq_push(&f->vq, 0, 8), 0);	/* used idx 2 */
	assert_false(virtq_should_notify(&f->vq));
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(virtq_push(&f->vq, 0, 8), 0);	/* used idx 3 */
	assert_true(virtq_should_notify(&f->vq));	/* passed 2 */
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(virtq_push(&f->vq, 0, 8), 0);
	assert_false(virtq_should_notify(&f->vq));
	assert_int_equal(virtq_pop(&f->vq, &f->c), 0);
	assert_int_equal(*avail_event, 4);
}

/* ---- rule 1: head out of range ----------------------------------------- */

static void r1_head(void **state)
{
	struct fx *f = *state;

	offer(f, 16);
	expect_violation(f, "head 16");
}

/* ---- rule 2: next out of range ----------------------------------------- */

static void r2_next(void **state)
{
	struct fx *f = *state;

	put(f, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 16);
	offer(f, 0);
	expect_violation(f, "next 16");
}

static void r2_next_indirect(void **state)
{
	struct fx *f = *state;
	struct virtq_desc *t = desc(f, ITABLE, 0);

	t[0] = (struct virtq_desc){ BUF, 8, VIRTQ_DESC_F_NEXT, 1 };
	t[1] = (struct virtq_desc){ BUF, 8, VIRTQ_DESC_F_NEXT, 2 };	/* 2 >= 2 */
	put(f, 0, ITABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_violation(f, "indirect table of 2");
}

/* ---- rule 3: loops ---------------------------------------------------- */

static void r3_loop(void **state)
{
	struct fx *f = *state;

	put(f, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	put(f, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	offer(f, 0);
	expect_violation(f, "more than 16 descriptors");
}

static void r3_self_loop(void **state)
{
	struct fx *f = *state;

	put(f, 4, BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 4);
	offer(f, 4);
	expect_violation(f, "loop");
}

static void r3_loop_indirect(void **state)
{
	struct fx *f = *state;
	struct virtq_desc *t = desc(f, ITABLE, 0);

	t[0] = (struct virtq_desc){ BUF, 8, VIRTQ_DESC_F_NEXT, 1 };
	t[1] = (struct virtq_desc){ BUF, 8, VIRTQ_DESC_F_NEXT, 0 };
	put(f, 0, ITABLE, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_violation(f, "more than 2 descriptors");
}

static void r3_longest_chain_ok(void **state)
{
	struct fx *f = *state;

	/* Exactly `size` descriptors is legal. */
	for (uint16_t i = 0; i < 16; i++)
		put(f, i, BUF + i, 1, VIRTQ_DESC_F_WRITE |
		    (i < 15 ? VIRTQ_DESC_F_NEXT : 0), (uint16_t)(i + 1));
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.nr_in, 16);
}

/* ---- rule 4: avail index running ahead --------------------------------- */

static void r4_avail_ahead(void **state)
{
	struct fx *f = *state;

	avail(f)->idx = 17;
	expect_violation(f, "17 entries ahead");
}

static void r4_avail_far_ahead(void **state)
{
	struct fx *f = *state;

	avail(f)->idx = 0x8000;
	expect_violation(f, "ahead");
}

/* ---- rule 5: indirect tables ------------------------------------------ */

static void r5_not_negotiated(void **state)
{
	struct fx *f = *state;

	assert_int_equal(configure(f, 16, false, false), 0);
	put(f, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_violation(f, "not negotiated");
}

static void r5_len_zero(void **state)
{
	struct fx *f = *state;

	put(f, 0, ITABLE, 0, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_violation(f, "indirect table of 0 bytes");
}

static void r5_len_not_multiple(void **state)
{
	struct fx *f = *state;

	put(f, 0, ITABLE, 24, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_violation(f, "indirect table of 24 bytes");
}

static void r5_too_many_entries(void **state)
{
	struct fx *f = *state;

	put(f, 0, ITABLE, 17 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_violation(f, "indirect table of 272 bytes");
}

static void r5_nested(void **state)
{
	struct fx *f = *state;
	struct virtq_desc *t = desc(f, ITABLE, 0);

	t[0] = (struct virtq_desc){ ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0 };
	put(f, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_violation(f, "nested");
}

static void r5_indirect_and_next(void **state)
{
	struct fx *f = *state;

	put(f, 0, ITABLE, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	offer(f, 0);
	expect_violation(f, "both INDIRECT and NEXT");
}

static void r5_not_head(void **state)
{
	struct fx *f = *state;

	put(f, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	put(f, 1, ITABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_violation(f, "not the head");
}

static void r5_table_outside_ram(void **state)
{
	struct fx *f = *state;

	put(f, 0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	offer(f, 0);
	expect_violation(f, "not guest RAM");
}

/* ---- rule 6: lengths -------------------------------------------------- */

static void r6_len_zero(void **state)
{
	struct fx *f = *state;

	put(f, 0, BUF, 0, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	expect_violation(f, "length 0");
}

static void r6_len_max(void **state)
{
	struct fx *f = *state;

	put(f, 0, BUF, 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	expect_violation(f, "longer than");
}

static void r6_total_overflow(void **state)
{
	struct fx *f = *state;
	struct guest_mem gm;

	/* A 3 GiB "RAM" in name only: the walker never touches buffers. */
	gm = (struct guest_mem){ .nr_regions = 1, .region = {
		{ .gpa = 0, .size = 3ull << 30, .hva = f->ram } } };
	f->vq.gm = &gm;
	put(f, 0, 0x10000000, 0x60000000, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	put(f, 1, 0x70000000, 0x60000000, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	expect_violation(f, "longer than 2147483648 bytes");
}

/* ---- rule 7: addresses ------------------------------------------------- */

static void r7_past_ram(void **state)
{
	struct fx *f = *state;

	put(f, 0, RAM_SIZE - 4, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	expect_violation(f, "not guest RAM");
}

static void r7_wrap(void **state)
{
	struct fx *f = *state;

	put(f, 0, UINT64_MAX - 3, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	expect_violation(f, "not guest RAM");
}

static void r7_mmio(void **state)
{
	struct fx *f = *state;

	/* A device BAR in the MMIO hole is not RAM (rule 21). */
	put(f, 0, 0xc0000000ull, 64, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	expect_violation(f, "0xc0000000");
}

static void r7_crossing_hole(void **state)
{
	struct fx *f = *state;
	struct guest_mem gm = { .nr_regions = 2, .region = {
		{ .gpa = 0, .size = 0x20000, .hva = f->ram },
		{ .gpa = 0x20000 + 0x1000, .size = 0x10000, .hva = f->ram + 0x30000 },
	} };

	f->vq.gm = &gm;
	/* Both halves are RAM, but a hole lies between them. */
	put(f, 0, 0x20000 - 8, 0x1010, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	expect_violation(f, "not guest RAM");
}

/* ---- rule 8: direction ------------------------------------------------ */

static void r8_readable_after_writable(void **state)
{
	struct fx *f = *state;

	put(f, 0, BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	put(f, 1, BUF, 8, 0, 0);
	offer(f, 0);
	expect_violation(f, "device-readable after");
}

/* ---- rule 9: queue configuration -------------------------------------- */

static void r9_configure(void **state)
{
	struct fx *f = *state;
	static const struct {
		uint16_t size;
		uint64_t desc, avail, used;
		const char *why;
	} bad[] = {
		{ 0, DESC, AVAIL, USED, "size 0" },
		{ 3, DESC, AVAIL, USED, "size 3" },
		{ 100, DESC, AVAIL, USED, "size 100" },
		{ 512, DESC, AVAIL, USED, "size 512" },	/* above max 256 */
		{ 16, DESC + 8, AVAIL, USED, "misaligned" },
		{ 16, DESC, AVAIL + 1, USED, "misaligned" },
		{ 16, DESC, AVAIL, USED + 2, "misaligned" },
		{ 16, RAM_SIZE, AVAIL, USED, "descriptor area" },
		{ 16, DESC, RAM_SIZE - 16, USED, "driver area" },
		{ 16, DESC, AVAIL, RAM_SIZE - 64, "device area" },
		{ 16, 0xc0000000ull, AVAIL, USED, "not guest RAM" },
		{ 16, UINT64_MAX & ~15ull, AVAIL, USED, "not guest RAM" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct virtq_config cfg = { bad[i].size, 256, bad[i].desc,
					    bad[i].avail, bad[i].used, false,
					    false };

		assert_int_equal(virtq_configure(&f->vq, &f->gm, &cfg, f->why,
						 sizeof(f->why)), -EINVAL);
		assert_false(f->vq.ready);
		if (!strstr(f->why, bad[i].why))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, f->why,
				 bad[i].why);
		assert_int_equal(virtq_pop(&f->vq, &f->c), -EIO);
	}
	assert_int_equal(f->fails, 0);	/* configure reports, not fail() */
}

static void r9_used_event_needs_room(void **state)
{
	struct fx *f = *state;
	/* The avail ring ends exactly at RAM's end: fine without
	 * EVENT_IDX, too short for used_event with it. */
	struct virtq_config cfg = { 16, 256, DESC, RAM_SIZE - 36, USED,
				    false, false };

	assert_int_equal(virtq_configure(&f->vq, &f->gm, &cfg, f->why,
					 sizeof(f->why)), 0);
	cfg.event_idx = true;
	assert_int_equal(virtq_configure(&f->vq, &f->gm, &cfg, f->why,
					 sizeof(f->why)), -EINVAL);
}

/* ---- rule 13: too many chains in flight ------------------------------- */

static void r13_inflight(void **state)
{
	struct fx *f = *state;

	assert_int_equal(configure(f, 4, false, false), 0);
	for (uint16_t i = 0; i < 4; i++) {
		put(f, i, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
		offer(f, i);
		assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	}
	/* Four in flight, none completed: a fifth cannot exist. */
	offer(f, 0);
	expect_violation(f, "in flight");
}

static void chain_longer_than_iov(void **state)
{
	struct fx *f = *state;

	virtq_chain_init(&f->c, f->iov, 2);
	put(f, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	put(f, 1, BUF, 8, VIRTQ_DESC_F_NEXT, 2);
	put(f, 2, BUF, 8, 0, 0);
	offer(f, 0);
	expect_violation(f, "more than 2 buffers");
}

static void reset_recovers(void **state)
{
	struct fx *f = *state;

	offer(f, 99);
	assert_int_equal(virtq_pop(&f->vq, &f->c), -EPROTO);
	virtq_reset(&f->vq);
	assert_int_equal(virtq_pop(&f->vq, &f->c), -EIO);
	memset(f->ram + AVAIL, 0, 0x2000);
	f->avail_idx = 0;
	assert_int_equal(configure(f, 16, true, false), 0);
	put(f, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	offer(f, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(empty_ring),
		T(dirty_pages_marked),
		T(single_writable),
		T(readable_then_writable),
		T(indirect_good),
		T(unaligned_indirect_table),
		T(index_wraparound),
		T(no_interrupt_flag),
		T(event_idx),
		T(r1_head),
		T(r2_next),
		T(r2_next_indirect),
		T(r3_loop),
		T(r3_self_loop),
		T(r3_loop_indirect),
		T(r3_longest_chain_ok),
		T(r4_avail_ahead),
		T(r4_avail_far_ahead),
		T(r5_not_negotiated),
		T(r5_len_zero),
		T(r5_len_not_multiple),
		T(r5_too_many_entries),
		T(r5_nested),
		T(r5_indirect_and_next),
		T(r5_not_head),
		T(r5_table_outside_ram),
		T(r6_len_zero),
		T(r6_len_max),
		T(r6_total_overflow),
		T(r7_past_ram),
		T(r7_wrap),
		T(r7_mmio),
		T(r7_crossing_hole),
		T(r8_readable_after_writable),
		T(r9_configure),
		T(r9_used_event_needs_room),
		T(r13_inflight),
		T(chain_longer_than_iov),
		T(reset_recovers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
