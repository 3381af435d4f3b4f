// SPDX-License-Identifier: MIT
/*
 * Unit tests for virtio-balloon without KVM: the device on a PCI bus over
 * an anonymous mapping standing in for guest RAM, driven through its BAR
 * and hand-built rings.  Configuration (num_pages read-only, actual),
 * inflating really drops the host pages, PFNs outside RAM and huge
 * requests (guest-input.md 17), deflate, the statistics queue and its
 * timer, and the VMM-side calls.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "arch/x86/platform.h"
#include "core/bus.h"
#include "core/evloop.h"
#include "pci/pci.h"
#include "virtio/balloon.h"
#include "unit/vp_fixture.h"
#include "virtio/virtio_pci.h"

#define RAM_SIZE	(8u << 20)
#define QSZ		16
#define RING(q)		(0x10000ull + (q) * 0x4000ull)
#define ARRAY		0x40000ull		/* PFN arrays, stats */
#define DATA_PFN	0x100			/* pages at 1 MiB */
#define PAGE		4096u

struct fx {
	struct vp_fixture t;	/* buses, loop, bus 0, the device */
	uint8_t *ram;
	struct virtio_balloon *b;
	uint16_t avail[3];
};

static uint64_t rd(struct fx *f, uint64_t off, uint32_t len)
{
	return vpf_rd(&f->t, off, len);
}

static void wr(struct fx *f, uint64_t off, uint32_t len, uint64_t v)
{
	vpf_wr(&f->t, off, len, v);
}

/* The device's running total of counter c. */
static uint64_t counted(struct fx *f, enum balloon_counter c)
{
	return metrics_get(&f->b->metrics, c);
}

static void run(struct fx *f, int ms)
{
	vpf_run(&f->t, ms);
}

static struct virtq_desc *desc(struct fx *f, int q, uint16_t i)
{
	return (struct virtq_desc *)(f->ram + RING(q)) + i;
}

static struct virtq_used *used(struct fx *f, int q)
{
	return (void *)(f->ram + RING(q) + 0x2000);
}

/* One descriptor on queue q, notified, served. */
static void request(struct fx *f, int q, uint64_t addr, uint32_t len,
		    uint16_t flags)
{
	struct virtq_avail *a = (void *)(f->ram + RING(q) + 0x1000);
	uint16_t d = f->avail[q] % QSZ;

	*desc(f, q, d) = (struct virtq_desc){ addr, len, flags, 0 };
	a->ring[f->avail[q]++ % QSZ] = d;
	a->idx = f->avail[q];
	wr(f, VP_NOTIFY_OFF + 4u * q, 2, q);
	run(f, 0);
}

static uint64_t features(struct fx *f)
{
	wr(f, VPC_DFSELECT, 4, 0);
	return rd(f, VPC_DF, 4);
}

/* Running, with feat (low 32 bits) and VERSION_1, and nq queues. */
static void start(struct fx *f, uint64_t feat, int nq)
{
	uint64_t accepted = (uint32_t)feat | VIRTIO_BIT(VIRTIO_F_VERSION_1);

	assert_int_equal(vpf_negotiate(&f->t, accepted), VPF_S_FOK);
	for (int q = 0; q < nq; q++) {
		vpf_queue(&f->t, (uint16_t)q, QSZ, RING(q), RING(q) + 0x1000,
			  RING(q) + 0x2000);
	}
	assert_int_equal(vpf_driver_ok(&f->t), VPF_S_OK);
}

static struct fx *make(const struct balloon_config *cfg)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(f->ram != MAP_FAILED);
	assert_int_equal(vpf_init(&f->t, f->ram, RAM_SIZE), 0);
	f->b = virtio_balloon_new(cfg, &f->t.loop, NULL);
	assert_non_null(f->b);
	assert_int_equal(vpf_plug(&f->t, &f->b->vd), 0);
	return f;
}

static int setup(void **state)
{
	struct balloon_config cfg = { .enabled = true, .target_mib = 4,
				      .deflate_on_oom = true,
				      .stats_interval_s = 1 };
	struct fx *f = make(&cfg);

	start(f, VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ) |
		 VIRTIO_BIT(VIRTIO_BALLOON_F_DEFLATE_ON_OOM), 3);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vpf_fini(&f->t);
	munmap(f->ram, RAM_SIZE);
	free(f);
	return 0;
}

static uint32_t *pfns(struct fx *f)
{
	return (uint32_t *)(f->ram + ARRAY);
}

/* ---- configuration ----------------------------------------------------- */

static void config_space(void **state)
{
	struct fx *f = *state;

	assert_int_equal(features(f),
			 VIRTIO_BIT(VIRTIO_BALLOON_F_STATS_VQ) |
			 VIRTIO_BIT(VIRTIO_BALLOON_F_DEFLATE_ON_OOM) |
			 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
			 VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	assert_int_equal(rd(f, VPC_NUM_QUEUES, 2), 3);
	assert_int_equal(rd(f, VP_DEVICE_OFF, 4), 4 * 256);	/* num_pages */
	assert_int_equal(rd(f, VP_DEVICE_OFF + 4, 4), 0);	/* actual */
	/* actual is the driver's, a byte at a time too; num_pages is not. */
	wr(f, VP_DEVICE_OFF + 4, 4, 777);
	wr(f, VP_DEVICE_OFF + 7, 1, 1);
	wr(f, VP_DEVICE_OFF, 4, 5);
	wr(f, VP_DEVICE_OFF + 2, 4, 0xffffffff);
	assert_int_equal(rd(f, VP_DEVICE_OFF, 4), 4 * 256);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 4, 4), 0x0100ffff);
	assert_int_equal(rd(f, VP_DEVICE_OFF, 8), 4 * 256 | 0x0100ffffull << 32);
	/* The host's new target, with a configuration change interrupt. */
	uint8_t gen = (uint8_t)rd(f, VPC_CFG_GENERATION, 1);
	virtio_balloon_set_target(f->b, 2);
	assert_int_equal(rd(f, VP_DEVICE_OFF, 4), 512);
	assert_int_not_equal(rd(f, VPC_CFG_GENERATION, 1), gen);
	assert_true(rd(f, VP_ISR_OFF, 1) & VIRTIO_ISR_CONFIG);
	/* Reset: actual back to 0, the target stays. */
	wr(f, VPC_STATUS, 1, 0);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 4, 4), 0);
	assert_int_equal(rd(f, VP_DEVICE_OFF, 4), 512);
}

static void no_stats_configured(void **state)
{
	struct balloon_config cfg = { .enabled = true };
	struct fx *f = make(&cfg);

	assert_int_equal(features(f), VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
				      VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	assert_int_equal(rd(f, VPC_NUM_QUEUES, 2), 2);
	assert_int_equal(virtio_balloon_set_stats_interval(f->b, 1), -EINVAL);
	assert_int_equal(virtio_balloon_set_stats_interval(f->b, 0), 0);
	start(f, 0, 2);
	*state = f;
	teardown(state);
}

/* ---- inflate and deflate ----------------------------------------------- */

static void inflate_drops_pages(void **state)
{
	struct fx *f = *state;
	uint32_t *p = pfns(f);

	for (uint32_t i = 0; i < 64; i++)
		memset(f->ram + (DATA_PFN + i) * PAGE, 0xaa, PAGE);
	/* A run of 32, a lone page, a repeat, and pages that are no RAM. */
	for (uint32_t i = 0; i < 32; i++)
		p[i] = DATA_PFN + i;
	p[32] = DATA_PFN + 40;
	p[33] = DATA_PFN + 40;
	p[34] = RAM_SIZE / PAGE;		/* just past the end */
	p[35] = 0xffffffff;
	p[36] = RAM_SIZE / PAGE - 1;		/* the last page: RAM */
	request(f, BALLOON_INFLATE_Q, ARRAY, 37 * 4, 0);
	assert_int_equal(used(f, 0)->idx, 1);
	assert_int_equal(used(f, 0)->ring[0].len, 0);
	for (uint32_t i = 0; i < 32; i++)
		assert_int_equal(f->ram[(DATA_PFN + i) * PAGE + 100], 0);
	assert_int_equal(f->ram[(DATA_PFN + 40) * PAGE], 0);
	assert_int_equal(f->ram[(DATA_PFN + 33) * PAGE], 0xaa);	/* kept */
	assert_int_equal(counted(f, BALLOON_C_INFLATED_PAGES), 35);
	assert_int_equal(counted(f, BALLOON_C_OUTSIDE_RAM), 2);
	assert_int_equal(counted(f, BALLOON_C_INFLATE_REQS), 1);
	/* Deflate: counted, nothing else; bad PFNs counted too. */
	p[0] = DATA_PFN;
	p[1] = 0x80000000;
	request(f, BALLOON_DEFLATE_Q, ARRAY, 2 * 4 + 3, 0);	/* odd tail */
	assert_int_equal(used(f, 1)->idx, 1);
	assert_int_equal(counted(f, BALLOON_C_DEFLATED_PAGES), 1);
	assert_int_equal(counted(f, BALLOON_C_OUTSIDE_RAM), 3);
	assert_int_equal(rd(f, VPC_STATUS, 1), 0xf);
}

static void huge_request(void **state)
{
	struct fx *f = *state;
	struct virtq_avail *a = (void *)(f->ram + RING(0) + 0x1000);

	/* 16 descriptors covering all of RAM each: 32 Mi PFNs, of which
	 * BALLOON_MAX_PFNS are looked at.  Nothing is sized by it. */
	for (uint16_t i = 0; i < QSZ; i++)
		*desc(f, 0, i) = (struct virtq_desc){
			0, RAM_SIZE, i + 1 < QSZ ? VIRTQ_DESC_F_NEXT : 0,
			(uint16_t)(i + 1) };
	a->ring[0] = 0;
	a->idx = 1;
	wr(f, VP_NOTIFY_OFF, 2, 0);
	run(f, 0);
	assert_int_equal(used(f, 0)->idx, 1);
	assert_int_equal(counted(f, BALLOON_C_TRUNCATED),
			 (uint64_t)QSZ * RAM_SIZE / 4 - BALLOON_MAX_PFNS);
	assert_int_equal(rd(f, VPC_STATUS, 1), 0xf);
}

static void writable_request(void **state)
{
	struct fx *f = *state;

	request(f, BALLOON_INFLATE_Q, ARRAY, 16, VIRTQ_DESC_F_WRITE);
	assert_true(rd(f, VPC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(counted(f, BALLOON_C_INFLATED_PAGES), 0);
}

/* ---- statistics -------------------------------------------------------- */

static void put_stat(struct fx *f, unsigned int i, uint16_t tag, uint64_t v)
{
	uint8_t *e = f->ram + ARRAY + i * BALLOON_STAT_SIZE;

	memcpy(e, &tag, 2);
	memcpy(e + 2, &v, 8);
}

static void stats_queue(void **state)
{
	struct fx *f = *state;
	struct balloon_stats st;

	put_stat(f, 0, BALLOON_S_MEMTOT, 1u << 30);
	put_stat(f, 1, BALLOON_S_MEMFREE, 12345);
	put_stat(f, 2, 999, 1);			/* unknown: ignored */
	put_stat(f, 3, BALLOON_S_DIRECT_RECLAIM, 7);
	request(f, BALLOON_STATS_Q, ARRAY, 4 * BALLOON_STAT_SIZE, 0);
	/* Kept until the timer asks for fresh numbers. */
	assert_int_equal(used(f, 2)->idx, 0);
	wr(f, VP_DEVICE_OFF + 4, 4, 256);
	virtio_balloon_get_stats(f->b, &st);
	assert_int_equal(st.target_pages, 1024);
	assert_int_equal(st.actual_pages, 256);
	assert_int_equal(st.present, 1u << BALLOON_S_MEMTOT |
				     1u << BALLOON_S_MEMFREE |
				     1u << BALLOON_S_DIRECT_RECLAIM);
	assert_int_equal(st.val[BALLOON_S_MEMTOT], 1u << 30);
	assert_int_equal(st.val[BALLOON_S_MEMFREE], 12345);
	assert_int_equal(st.val[BALLOON_S_DIRECT_RECLAIM], 7);
	assert_string_equal(balloon_stat_names[BALLOON_S_AVAIL],
			    "available_memory");
	evloop_run_once(&f->t.loop, 1500);	/* one tick: 1 s */
	assert_int_equal(used(f, 2)->idx, 1);
	/* A second buffer while one is held: the older one goes back. */
	request(f, BALLOON_STATS_Q, ARRAY, 2 * BALLOON_STAT_SIZE + 3, 0);
	request(f, BALLOON_STATS_Q, ARRAY, BALLOON_STAT_SIZE, 0);
	assert_int_equal(used(f, 2)->idx, 2);
	assert_int_equal(counted(f, BALLOON_C_BAD_STATS), 2);
	virtio_balloon_get_stats(f->b, &st);
	assert_int_equal(st.present, 1u << BALLOON_S_MEMTOT);
	assert_int_equal(counted(f, BALLOON_C_STATS_UPDATES), 3);
	/* The interval changes, statistics cannot be turned off. */
	assert_int_equal(virtio_balloon_set_stats_interval(f->b, 0), -EINVAL);
	assert_int_equal(virtio_balloon_set_stats_interval(f->b, 5), 0);
	assert_int_equal(f->b->stats_interval_s, 5);
}

static void stats_huge_buffer(void **state)
{
	struct fx *f = *state;
	struct balloon_stats st;

	/* A statistics buffer as large as RAM: BALLOON_MAX_STATS entries
	 * are read, the rest ignored. */
	for (unsigned int i = 0; i < BALLOON_MAX_STATS; i++)
		put_stat(f, i, BALLOON_S_MINFLT, i);
	put_stat(f, BALLOON_MAX_STATS, BALLOON_S_SWAP_OUT, 2);
	request(f, BALLOON_STATS_Q, ARRAY, RAM_SIZE - ARRAY, 0);
	virtio_balloon_get_stats(f->b, &st);
	assert_int_equal(st.present, 1u << BALLOON_S_MINFLT);
	assert_int_equal(st.val[BALLOON_S_MINFLT], BALLOON_MAX_STATS - 1);
	/* Writable: the device needs a reset. */
	request(f, BALLOON_STATS_Q, ARRAY, 10, VIRTQ_DESC_F_WRITE);
	assert_true(rd(f, VPC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(config_space),
		cmocka_unit_test(no_stats_configured),
		T(inflate_drops_pages),
		T(huge_request),
		T(writable_request),
		T(stats_queue),
		T(stats_huge_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
