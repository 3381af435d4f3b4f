// SPDX-License-Identifier: MIT
/*
 * Unit tests of the virtio-blk device through the virtio-pci transport,
 * without KVM: a temporary image, a hand-built ring in a malloc'd guest
 * RAM, notifications trapped and forwarded to the event loop.  Both
 * backends (io_uring, synchronous) move real bytes; a fake backend holds
 * requests in flight to check flush, durability flags and reset.  Also:
 * configuration space, read-only refusal, protocol violations, media
 * change, images that cannot be used, write-zeroes on tmpfs, polling.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/bus.h"
#include "core/evloop.h"
#include "lib/clock.h"
#include "pci/pci.h"
#include "virtio/blk.h"
#include "virtio/blk_io.h"
#include "unit/metrics_line.h"
#include "unit/vp_fixture.h"
#include "virtio/virtio_pci.h"

#define RAM_SIZE	(4u << 20)
#define DESC		0x1000ull
#define AVAIL		0x2000ull
#define USED		0x3000ull
#define BUF		0x10000ull
#define QSIZE		64
#define SECTORS		2048		/* 1 MiB image */

struct fx {
	struct vp_fixture t;	/* buses, loop, bus 0, the device */
	uint8_t *ram;
	struct virtio_blk *b;
	uint64_t next_buf;
	uint16_t avail_idx, used_seen;
	char path[64];
	int fd;				/* the test's own view of the image */
	struct metrics reg;		/* the drive's group */
};

struct opts {
	enum blk_engine engine;
	bool ro;
	enum disk_cache cache;
	const char *dir;
	struct rate_limiter_config limit;
};

static void make_image(struct fx *f, const char *dir, uint64_t bytes)
{
	snprintf(f->path, sizeof(f->path), "%s/vmon-blk-XXXXXX", dir);
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	assert_int_equal(ftruncate(f->fd, (off_t)bytes), 0);
	for (uint64_t s = 0; s < bytes / 512; s += 64) {
		uint8_t sec[512];

		memset(sec, (int)(s / 64 + 1), sizeof(sec));
		assert_int_equal(pwrite(f->fd, sec, 512, (off_t)(s * 512)), 512);
	}
}

static int create(void **state, const struct opts *o)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct disk_config dc = { .id = "test-disk", .read_only = o->ro,
				  .cache = o->cache, .limit = o->limit };
	struct blk_params p = { .disk = &dc, .engine = o->engine };
	char err[256];

	setenv("VMON_BLK_POLL_US", "0", 1);
	f->ram = calloc(1, RAM_SIZE);
	make_image(f, o->dir ? o->dir : "/tmp", SECTORS * 512ull);
	dc.path = f->path;
	assert_int_equal(vpf_init(&f->t, f->ram, RAM_SIZE), 0);
	p.loop = &f->t.loop;
	p.registry = &f->reg;
	assert_int_equal(virtio_blk_new(&p, &f->b, err, sizeof(err)), 0);
	assert_int_equal(vpf_plug(&f->t, &f->b->vd), 0);
	f->next_buf = BUF;
	*state = f;
	return 0;
}

static int setup_uring(void **state)
{
	return create(state, &(struct opts){ .engine = BLK_ENGINE_URING });
}

static int setup_sync(void **state)
{
	return create(state, &(struct opts){ .engine = BLK_ENGINE_SYNC });
}

static int setup_ro(void **state)
{
	return create(state, &(struct opts){ .engine = BLK_ENGINE_URING, .ro = true });
}

static int setup_writeback(void **state)
{
	return create(state, &(struct opts){ .engine = BLK_ENGINE_SYNC,
					     .cache = DISK_CACHE_WRITEBACK });
}

static int setup_shm(void **state)
{
	return create(state, &(struct opts){ .engine = BLK_ENGINE_URING,
					     .dir = "/dev/shm" });
}

/* 4 KiB per 100 ms (40 KiB/s), no ops bucket. */
static int setup_limited(void **state)
{
	return create(state, &(struct opts){ .engine = BLK_ENGINE_SYNC,
		.limit = { .bytes = { 4096, 0, 100 } } });
}

static int setup_limited_uring(void **state)
{
	return create(state, &(struct opts){ .engine = BLK_ENGINE_URING,
		.limit = { .bytes = { 4096, 0, 100 } } });
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vpf_fini(&f->t);
	close(f->fd);
	unlink(f->path);
	free(f->ram);
	free(f);
	return 0;
}

/* ---- driver side ---------------------------------------------------------- */

static uint64_t rd(struct fx *f, uint64_t off, uint32_t len)
{
	return vpf_rd(&f->t, off, len);
}

static void wr(struct fx *f, uint64_t off, uint32_t len, uint64_t v)
{
	vpf_wr(&f->t, off, len, v);
}

static uint8_t status(struct fx *f)
{
	return vpf_status(&f->t);
}

#define F_V1	VIRTIO_BIT(VIRTIO_F_VERSION_1)

static uint64_t offered(struct fx *f)
{
	return vpf_offered(&f->t);
}

/* Reset, accept `features`, one queue of QSIZE, DRIVER_OK. */
static void start_features(struct fx *f, uint64_t features)
{
	memset(f->ram, 0, 0x4000);
	f->avail_idx = f->used_seen = 0;
	assert_int_equal(vpf_negotiate(&f->t, features), VPF_S_FOK);
	vpf_queue(&f->t, 0, QSIZE, DESC, AVAIL, USED);
	assert_int_equal(vpf_driver_ok(&f->t), VPF_S_OK);
}

static void start(struct fx *f)
{
	start_features(f, F_V1 | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
}

/* Guest memory for a buffer: its gpa. */
static uint64_t galloc(struct fx *f, uint32_t len)
{
	uint64_t gpa = f->next_buf;

	f->next_buf = (gpa + len + 63) & ~63ull;
	assert_true(f->next_buf <= RAM_SIZE);
	return gpa;
}

static void *hva(struct fx *f, uint64_t gpa)
{
	return f->ram + gpa;
}

struct d {
	uint64_t gpa;
	uint32_t len;
	uint16_t flags;
};

/* Make a chain available (4 descriptors per slot), without notifying. */
static void queue(struct fx *f, const struct d *d, unsigned int n)
{
	struct virtq_desc *t = hva(f, DESC);
	struct virtq_avail *a = hva(f, AVAIL);
	uint16_t base = (uint16_t)((f->avail_idx % (QSIZE / 4)) * 4);

	for (unsigned int i = 0; i < n; i++)
		t[base + i] = (struct virtq_desc){
			d[i].gpa, d[i].len,
			(uint16_t)(d[i].flags | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			(uint16_t)(base + i + 1) };
	a->ring[f->avail_idx++ % QSIZE] = base;
	__atomic_store_n(&a->idx, f->avail_idx, __ATOMIC_RELEASE);
}

static struct virtq_used *used(struct fx *f)
{
	return hva(f, USED);
}

/* Notify, then run the loop until `n` more chains are used (or 2 s). */
static void kick_wait(struct fx *f, unsigned int n)
{
	uint16_t want = (uint16_t)(f->used_seen + n);

	wr(f, VP_NOTIFY_OFF, 2, 0);		/* trapped: no KVM here */
	for (int i = 0; i < 200 && used(f)->idx != want; i++)
		evloop_run_once(&f->t.loop, 10);
	assert_int_equal(used(f)->idx, want);
	f->used_seen = want;
}

/* One request: header, data (nd pieces of len / nd), status.  The status. */
static uint8_t request(struct fx *f, uint32_t type, uint64_t sector,
		       uint64_t data, uint32_t len, unsigned int nd)
{
	uint64_t h = galloc(f, 16), st = galloc(f, 1);
	uint32_t hd[4] = { type, 0, (uint32_t)sector, (uint32_t)(sector >> 32) };
	uint16_t fl = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID ?
		      VIRTQ_DESC_F_WRITE : 0;
	struct d d[4];
	unsigned int n = 0;

	assert_true(nd <= 2);
	memcpy(hva(f, h), hd, 16);
	*(uint8_t *)hva(f, st) = 0xee;
	d[n++] = (struct d){ h, 16, 0 };
	for (unsigned int i = 0; i < nd; i++)
		d[n++] = (struct d){ data + i * (len / nd),
				     i + 1 < nd ? len / nd : len - i * (len / nd),
				     fl };
	d[n++] = (struct d){ st, 1, VIRTQ_DESC_F_WRITE };
	queue(f, d, n);
	kick_wait(f, 1);
	return *(uint8_t *)hva(f, st);
}

static void file_read(struct fx *f, uint64_t off, void *p, size_t len)
{
	assert_int_equal(pread(f->fd, p, len, (off_t)off), (ssize_t)len);
}

/* ---- tests -------------------------------------------------------------- */

static void identity_and_config(void **state)
{
	struct fx *f = *state;
	uint64_t feat = offered(f);

	assert_int_equal(pci_cfg_read(&f->t.h, f->t.vp->pci.slot, 0, 0, 4),
			 0x10421af4);
	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX));
	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE));
	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	assert_true(feat & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
	assert_false(feat & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	assert_int_equal(rd(f, VP_DEVICE_OFF + 0, 8), SECTORS);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 12, 4), BLK_SEG_MAX);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 20, 4), 512);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 36, 4), BLK_MAX_DISCARD_SECTORS);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 40, 4), 1);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 48, 4), BLK_MAX_WZ_SECTORS);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 56, 1), 1);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 60, 4), 0);	/* past the end */
	/* The capacity as two halves, as a 32-bit driver reads it. */
	assert_int_equal(rd(f, VP_DEVICE_OFF + 4, 4), 0);
}

static void write_then_read(void **state)
{
	struct fx *f = *state;
	uint64_t w = galloc(f, 4096), r = galloc(f, 4096);
	uint8_t file[4096];

	for (int i = 0; i < 4096; i++)
		((uint8_t *)hva(f, w))[i] = (uint8_t)(i * 13 + 1);
	start(f);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 8, w, 4096, 2),
			 VIRTIO_BLK_S_OK);
	file_read(f, 8 * 512, file, sizeof(file));
	assert_memory_equal(file, hva(f, w), 4096);
	assert_int_equal(used(f)->ring[0].len, 1);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 8, r, 4096, 2),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(hva(f, r), hva(f, w), 4096);
	assert_int_equal(used(f)->ring[1].len, 4097);
	/* The last sector; then one past it. */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, SECTORS - 1, r, 512, 1),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, SECTORS, r, 512, 1),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, r, 20, 1),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(hva(f, r), "test-disk\0\0\0", 12);
	assert_int_equal(request(f, 0x55, 0, r, 8, 1), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(status(f) & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* 16 requests (every descriptor slot) in one notification, twice. */
static void many_in_flight(void **state)
{
	struct fx *f = *state;
	uint64_t data = galloc(f, 32 * 512), st = galloc(f, 32);
	uint64_t hdrs = galloc(f, 32 * 16);

	start(f);
	for (unsigned int round = 0; round < 2; round++) {
		for (unsigned int i = round * 16; i < round * 16 + 16; i++) {
			uint32_t h[4] = { VIRTIO_BLK_T_OUT, 0, 100 + 2 * i, 0 };

			memcpy(hva(f, hdrs + 16 * i), h, 16);
			memset(hva(f, data + 512 * i), (int)i + 0x40, 512);
			queue(f, (struct d[]){ { hdrs + 16 * i, 16, 0 },
					       { data + 512 * i, 512, 0 },
					       { st + i, 1, VIRTQ_DESC_F_WRITE } },
			      3);
		}
		kick_wait(f, 16);
	}
	for (unsigned int i = 0; i < 32; i++) {
		uint8_t sec[512], want[512];

		assert_int_equal(*(uint8_t *)hva(f, st + i), VIRTIO_BLK_S_OK);
		file_read(f, (100 + 2 * i) * 512ull, sec, 512);
		memset(want, (int)i + 0x40, 512);
		assert_memory_equal(sec, want, 512);
	}
}

static void read_only(void **state)
{
	struct fx *f = *state;
	uint64_t w = galloc(f, 512), seg = galloc(f, 16);
	uint8_t before[512], after[512];

	assert_true(offered(f) & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	assert_false(offered(f) & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	file_read(f, 0, before, 512);
	memset(hva(f, w), 0x77, 512);
	start_features(f, F_V1 | VIRTIO_BIT(VIRTIO_BLK_F_RO));
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, w, 512, 1),
			 VIRTIO_BLK_S_IOERR);
	memcpy(hva(f, seg), (uint32_t[]){ 0, 0, 8, 0 }, 16);
	assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, seg, 16, 1),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg, 16, 1),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, w, 512, 1),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0),
			 VIRTIO_BLK_S_OK);
	file_read(f, 0, after, 512);
	assert_memory_equal(before, after, 512);
	assert_memory_equal(hva(f, w), before, 512);
}

static void missing_status_fails_device(void **state)
{
	struct fx *f = *state;
	uint64_t h = galloc(f, 16);

	start(f);
	memcpy(hva(f, h), (uint32_t[]){ VIRTIO_BLK_T_IN, 0, 0, 0 }, 16);
	queue(f, (struct d[]){ { h, 16, 0 } }, 1);
	wr(f, VP_NOTIFY_OFF, 2, 0);
	while (evloop_run_once(&f->t.loop, 0) > 0)
		;
	assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(used(f)->idx, 0);
	assert_int_equal(f->b->nr_free, BLK_QUEUE_SIZE);
	/* A reset brings it back. */
	start(f);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, galloc(f, 512), 512, 1),
			 VIRTIO_BLK_S_OK);
}

/* ---- a fake backend: records operations, holds them if asked ----------- */

struct fake {
	struct blk_io io;
	bool hold;
	unsigned int ops[BLK_OP_FALLOCATE + 1];
	int rw_flags;
	struct blk_req *held[BLK_QUEUE_SIZE];
	unsigned int nr_held;
};

static int fake_submit(struct blk_io *io, struct blk_req *r)
{
	struct fake *fk = (struct fake *)io;

	fk->ops[r->op]++;
	fk->rw_flags = r->rw_flags;
	if (fk->hold) {
		fk->held[fk->nr_held++] = r;
		io->inflight++;
		return 0;
	}
	io->done(io->opaque, r, r->op == BLK_OP_READ ||
		 r->op == BLK_OP_WRITE ? (int)r->len : 0);
	return 0;
}

static void fake_nothing(struct blk_io *io)
{
}

static void fake_drain(struct blk_io *io)
{
	struct fake *fk = (struct fake *)io;

	while (fk->nr_held) {
		struct blk_req *r = fk->held[--fk->nr_held];

		io->inflight--;
		io->done(io->opaque, r, (int)r->len);
	}
}

static int fake_set_fd(struct blk_io *io, int fd)
{
	io->fd = fd;
	return 0;
}

static void fake_destroy(struct blk_io *io)
{
	free(io);
}

static const struct blk_io_ops fake_ops = {
	fake_submit, fake_nothing, fake_nothing, fake_drain, fake_set_fd,
	fake_destroy,
};

static struct fake *use_fake(struct fx *f)
{
	struct fake *fk = calloc(1, sizeof(*fk));

	fk->io = *f->b->io;
	fk->io.ops = &fake_ops;
	f->b->io->ops->destroy(f->b->io);	/* the sync one: no eventfd */
	f->b->io = &fk->io;
	return fk;
}

static void flush_writeback(void **state)
{
	struct fx *f = *state;
	struct fake *fk = use_fake(f);
	uint64_t w = galloc(f, 512);

	start(f);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(fk->ops[BLK_OP_FLUSH], 1);	/* an fdatasync */
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, w, 512, 1),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(fk->rw_flags, 0);
	/* FLUSH refused by the driver: every write must be stable. */
	start_features(f, F_V1);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, w, 512, 1),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(fk->rw_flags, RWF_DSYNC);
}

static void flush_unsafe(void **state)
{
	struct fx *f = *state;
	struct fake *fk = use_fake(f);

	start_features(f, F_V1);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(fk->ops[BLK_OP_FLUSH], 0);	/* a no-op */
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, galloc(f, 512), 512,
				 1), VIRTIO_BLK_S_OK);
	assert_int_equal(fk->rw_flags, 0);		/* unsafe: no dsync */
}

/* A reset with requests in flight: they finish, nothing is completed. */
static void reset_in_flight(void **state)
{
	struct fx *f = *state;
	struct fake *fk = use_fake(f);
	uint64_t data = galloc(f, 3 * 512), st = galloc(f, 3), h = galloc(f, 48);

	start(f);
	fk->hold = true;
	for (unsigned int i = 0; i < 3; i++) {
		memcpy(hva(f, h + 16 * i), (uint32_t[]){ VIRTIO_BLK_T_IN, 0, i, 0 },
		       16);
		*(uint8_t *)hva(f, st + i) = 0xee;
		queue(f, (struct d[]){ { h + 16 * i, 16, 0 },
				       { data + 512 * i, 512, VIRTQ_DESC_F_WRITE },
				       { st + i, 1, VIRTQ_DESC_F_WRITE } }, 3);
	}
	wr(f, VP_NOTIFY_OFF, 2, 0);
	while (evloop_run_once(&f->t.loop, 0) > 0)
		;
	assert_int_equal(fk->nr_held, 3);
	assert_int_equal(f->b->nr_free, BLK_QUEUE_SIZE - 3);
	wr(f, VPC_STATUS, 1, 0);			/* reset: drains */
	assert_int_equal(fk->nr_held, 0);
	assert_int_equal(f->b->nr_free, BLK_QUEUE_SIZE);
	assert_int_equal(used(f)->idx, 0);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(*(uint8_t *)hva(f, st + i), 0xee);
	fk->hold = false;
	start(f);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, data, 512, 1),
			 VIRTIO_BLK_S_OK);
}

/* ---- media change ------------------------------------------------------ */

static void media_change(void **state)
{
	struct fx *f = *state;
	char path2[64] = "/tmp/vmon-blk2-XXXXXX", err[256];
	uint64_t r = galloc(f, 512);
	uint8_t gen;
	int fd2 = mkstemp(path2), probe;

	assert_true(fd2 >= 0);
	assert_int_equal(ftruncate(fd2, 4096 * 512), 0);
	assert_int_equal(pwrite(fd2, "new media", 9, 512), 9);
	start(f);
	gen = (uint8_t)rd(f, VPC_CFG_GENERATION, 1);
	assert_int_equal(virtio_blk_set_media(f->b, "/nonexistent/x.img", err,
					      sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(rd(f, VP_DEVICE_OFF, 8), SECTORS);
	assert_int_equal(virtio_blk_set_media(f->b, path2, err, sizeof(err)), 0);
	assert_int_equal(rd(f, VP_DEVICE_OFF, 8), 4096);
	assert_int_not_equal((uint8_t)rd(f, VPC_CFG_GENERATION, 1), gen);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 1, r, 512, 1),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(hva(f, r), "new media", 9);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 4095, r, 512, 1),
			 VIRTIO_BLK_S_OK);
	/* The old image is no longer locked; the new one is. */
	probe = open(f->path, O_RDWR);
	assert_int_equal(flock(probe, LOCK_EX | LOCK_NB), 0);
	close(probe);
	probe = open(path2, O_RDWR);
	assert_int_equal(flock(probe, LOCK_EX | LOCK_NB), -1);
	close(probe);
	/* The same image again (a rescan after a resize). */
	assert_int_equal(ftruncate(fd2, 8192 * 512), 0);
	assert_int_equal(virtio_blk_set_media(f->b, path2, err, sizeof(err)), 0);
	assert_int_equal(rd(f, VP_DEVICE_OFF, 8), 8192);
	close(fd2);
	unlink(path2);
}

/* ---- images that cannot be used ------------------------------------------ */

static int try_open(const char *path, bool ro, char *err, size_t len)
{
	struct disk_config dc = { .path = path, .read_only = ro };
	struct blk_params p = { .disk = &dc, .engine = BLK_ENGINE_SYNC };
	struct virtio_blk *b = NULL;
	int ret = virtio_blk_new(&p, &b, err, len);

	if (!ret)
		b->vd.ops->destroy(&b->vd);
	return ret;
}

static void bad_images(void **state)
{
	char path[] = "/tmp/vmon-blk3-XXXXXX", err[256];
	int fd = mkstemp(path), lk;

	assert_int_equal(try_open(path, false, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "at least one 512-byte sector"));
	assert_int_equal(ftruncate(fd, 511), 0);
	assert_int_equal(try_open(path, false, err, sizeof(err)), -EINVAL);
	assert_int_equal(ftruncate(fd, 1000), 0);	/* rounded down */
	assert_int_equal(try_open(path, false, err, sizeof(err)), 0);
	assert_int_equal(try_open("/nonexistent/d.img", false, err,
				  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(try_open("/tmp", true, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	/* Locked by someone else: refused, even read-only. */
	lk = open(path, O_RDWR);
	assert_int_equal(flock(lk, LOCK_EX), 0);
	assert_int_equal(try_open(path, true, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "in use by another process"));
	/* Shared with another reader: fine read-only. */
	assert_int_equal(flock(lk, LOCK_SH), 0);
	assert_int_equal(try_open(path, true, err, sizeof(err)), 0);
	assert_int_equal(try_open(path, false, err, sizeof(err)), -EINVAL);
	close(lk);
	close(fd);
	unlink(path);
}

/* ---- write zeroes and discard on tmpfs (no FALLOC_FL_ZERO_RANGE) -------- */

static void zeroes_on_tmpfs(void **state)
{
	struct fx *f = *state;
	uint64_t seg = galloc(f, 16), r = galloc(f, 4096);
	uint8_t file[4096], zero[4096] = { 0 };

	start_features(f, F_V1 | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES) |
			  VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	for (uint32_t flags = 0; flags < 2; flags++) {
		uint64_t s = 64 + 64 * flags;

		memcpy(hva(f, seg), (uint32_t[]){ (uint32_t)s, 0, 8, flags }, 16);
		assert_int_equal(request(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, seg,
					 16, 1), VIRTIO_BLK_S_OK);
		file_read(f, s * 512, file, sizeof(file));
		assert_memory_equal(file, zero, sizeof(zero));
		assert_int_equal(request(f, VIRTIO_BLK_T_IN, s, r, 4096, 1),
				 VIRTIO_BLK_S_OK);
		assert_memory_equal(hva(f, r), zero, sizeof(zero));
	}
	memcpy(hva(f, seg), (uint32_t[]){ 256, 0, 8, 0 }, 16);
	assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, seg, 16, 1),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, r, 512, 1),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(((uint8_t *)hva(f, r))[0], 1);	/* untouched */
}

/* ---- rate limit ------------------------------------------------------------ */

/* Queue a one-piece request without notifying: its status byte's gpa. */
static uint64_t queue_req(struct fx *f, uint32_t type, uint64_t sector,
			  uint64_t data, uint32_t len)
{
	uint64_t h = galloc(f, 16), st = galloc(f, 1);
	uint32_t hd[4] = { type, 0, (uint32_t)sector, 0 };
	uint16_t fl = type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0;
	struct d d[3] = { { h, 16, 0 }, { data, len, fl },
			  { st, 1, VIRTQ_DESC_F_WRITE } };

	memcpy(hva(f, h), hd, 16);
	*(uint8_t *)hva(f, st) = 0xee;
	queue(f, d, len ? 3 : 2);
	return st;
}

/* Run the loop for ms milliseconds, or until `want` chains are used. */
static uint64_t run_until(struct fx *f, uint16_t want, uint64_t ms)
{
	uint64_t t0 = clock_mono_ns();

	while (used(f)->idx != want && clock_mono_ns() - t0 < ms * 1000000ULL)
		evloop_run_once(&f->t.loop, 5);
	f->used_seen = used(f)->idx;
	return clock_mono_ns() - t0;
}

/*
 * A read past the budget stays in the ring, untouched, while the loop
 * runs (nothing spins, polling or not), and the limiter's timer serves
 * it once the bucket has refilled.  A PATCH that turns the bucket off
 * serves what waits at once; a reset forgets it.
 */
static void rate_limited(void **state)
{
	struct fx *f = *state;
	uint64_t r = galloc(f, 8192), st, waited;
	uint8_t file[2048];

	f->b->poll = (struct blk_poll){ .max_ns = 200000, .cur_ns = 200000 };
	start(f);
	/* The full bucket: 4096 bytes at once. */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, r, 4096, 1),
			 VIRTIO_BLK_S_OK);
	st = queue_req(f, VIRTIO_BLK_T_IN, 64, r + 4096, 2048);
	wr(f, VP_NOTIFY_OFF, 2, 0);
	for (int i = 0; i < 5; i++)
		evloop_run_once(&f->t.loop, 0);
	assert_int_equal(used(f)->idx, 1);	/* waits: not dropped, not used */
	assert_int_equal(*(uint8_t *)hva(f, st), 0xee);
	assert_int_equal(counter_get(&f->b->limit.throttled), 1);
	assert_int_equal(metrics_flush_counter(&f->reg, "block_test_disk",
					       "rate_limiter_throttled_events"),
			 1);
	assert_true(f->b->limit.waiting);
	/* Notifications off while it waits: the timer serves the queue. */
	assert_true(used(f)->flags & VIRTQ_USED_F_NO_NOTIFY);
	/* 2048 bytes at 40960 bytes/s: 50 ms, less the time since. */
	waited = run_until(f, 2, 2000);
	assert_int_equal(used(f)->idx, 2);
	assert_true(waited >= 30000000ULL);
	assert_int_equal(*(uint8_t *)hva(f, st), VIRTIO_BLK_S_OK);
	assert_int_equal(used(f)->ring[1].len, 2049);
	file_read(f, 64 * 512, file, sizeof(file));
	assert_memory_equal(hva(f, r + 4096), file, sizeof(file));
	assert_int_equal(used(f)->flags & VIRTQ_USED_F_NO_NOTIFY, 0);

	/* Over budget again; PATCH the bandwidth bucket off: served now. */
	queue_req(f, VIRTIO_BLK_T_IN, 0, r, 4096);
	wr(f, VP_NOTIFY_OFF, 2, 0);
	evloop_run_once(&f->t.loop, 0);
	assert_int_equal(used(f)->idx, 2);
	{
		struct rate_limiter_patch off = { .bytes = true };
		char err[128];

		assert_int_equal(virtio_blk_set_limit(f->b, &off, err,
						      sizeof(err)), 0);
	}
	waited = run_until(f, 3, 2000);
	assert_int_equal(used(f)->idx, 3);
	assert_true(waited < 30000000ULL);
	assert_false(f->b->limit.on);

	/* On again (PATCH), over budget, then a reset drops what waited. */
	{
		struct rate_limiter_patch on = { .cfg.bytes = { 512, 0, 1000 },
						 .bytes = true };
		char err[128];

		assert_int_equal(virtio_blk_set_limit(f->b, &on, err,
						      sizeof(err)), 0);
	}
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, r, 512, 1),
			 VIRTIO_BLK_S_OK);
	queue_req(f, VIRTIO_BLK_T_IN, 0, r, 512);
	wr(f, VP_NOTIFY_OFF, 2, 0);
	evloop_run_once(&f->t.loop, 0);
	assert_int_equal(used(f)->idx, 4);
	assert_true(f->b->limit.waiting);
	vpf_set_status(&f->t, 0);
	assert_false(f->b->limit.waiting);
	run_until(f, 5, 100);
	assert_int_equal(used(f)->idx, 4);
}

/* ---- polling --------------------------------------------------------------- */

static void polling(void **state)
{
	struct fx *f = *state;
	uint64_t r = galloc(f, 512);

	f->b->poll = (struct blk_poll){ .max_ns = 200000, .cur_ns = 200000 };
	start(f);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, r, 512, 1),
			 VIRTIO_BLK_S_OK);
	/* Polling over: notifications are wanted again. */
	assert_int_equal(used(f)->flags & VIRTQ_USED_F_NO_NOTIFY, 0);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 1, r, 512, 1),
			 VIRTIO_BLK_S_OK);
	/* EVENT_IDX: avail_event back at the driver's index. */
	start_features(f, F_V1 | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 2, r, 512, 1),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(*(uint16_t *)hva(f, USED + 4 + 8 * QSIZE),
			 f->avail_idx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn, s) cmocka_unit_test_setup_teardown(fn, s, teardown)
		T(identity_and_config, setup_uring),
		T(write_then_read, setup_uring),
		T(write_then_read, setup_sync),
		T(many_in_flight, setup_uring),
		T(read_only, setup_ro),
		T(missing_status_fails_device, setup_uring),
		T(flush_writeback, setup_writeback),
		T(flush_unsafe, setup_sync),
		T(reset_in_flight, setup_sync),
		T(media_change, setup_uring),
		T(zeroes_on_tmpfs, setup_shm),
		T(polling, setup_uring),
		T(rate_limited, setup_limited),
		T(rate_limited, setup_limited_uring),
#undef T
		cmocka_unit_test(bad_images),
	};

	return cmocka_run_group_tests_name("virtio_blk_dev", tests, NULL, NULL);
}
