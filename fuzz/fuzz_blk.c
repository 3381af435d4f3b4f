// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-blk request handling: a real device
 * (src/virtio/blk.c, blk_req.c, the synchronous backend) on a small image
 * in /dev/shm (or $TMPDIR), fed a ring of random requests through the
 * shared walker, without a transport or KVM.
 *
 * Input: byte 0 picks the queue size (1 << (b % 9): 1 to 256); byte 1
 * the set-up: bit 0 INDIRECT_DESC, bit 1 EVENT_IDX, bit 2 read-only
 * disk, bit 3 writeback cache, bit 4 the driver accepts FLUSH, bit 5
 * DISCARD and WRITE_ZEROES, bit 6 structured; byte 2 the capacity (1 + 4
 * b sectors).  Raw inputs fill the avail ring, the descriptor table, then
 * guest RAM from BUFS on, as fuzz_virtq.c.  Structured ones are 8-byte
 * records, one well-framed (or deliberately broken) request each, so the
 * fuzzer spends its time on request semantics rather than ring framing:
 * see build_requests().
 *
 * Checked: no sanitizer report (reads and writes land in the guest RAM
 * buffer or ASan says so: preadv/pwritev are intercepted), every request
 * slot is free again afterwards (the synchronous backend finishes every
 * operation), every used element names a head inside the queue, and the
 * image never changes size.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/guest_mem.h"
#include "lib/log.h"
#include "core/evloop.h"
#include "virtio/blk.h"

#define RAM_SIZE	0x10000
#define AVAIL		0x0
#define USED		0x1000
#define DESC		0x2000
#define BUFS		0x3000
#define MAX_SIZE	256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *ram;
static struct evloop loop;	/* the limiter's timer only */
static char path[128];
static int img = -1;
static bool kicked;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void t_interrupt(struct virtio_dev *vd, int q)
{
}

static void t_kick(struct virtio_dev *vd, uint16_t q)
{
	kicked = true;
}

static void t_reset(struct virtio_dev *vd)
{
}

static const struct virtio_transport_ops transport = {
	.interrupt = t_interrupt,
	.kick = t_kick,
	.reset = t_reset,
};

static void init_once(void)
{
	const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	ram = malloc(RAM_SIZE);
	snprintf(path, sizeof(path), "%s/vmon-fuzz-blk-XXXXXX", dir);
	img = mkstemp(path);
	if (!ram || img < 0)
		abort();
	unlink(path);		/* the device opens it by /proc/self/fd */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", img);
	setenv("VMON_BLK_POLL_US", "0", 1);
	log_set_level(LOG_OFF);
	if (evloop_init(&loop))
		abort();
}

static void fill(const uint8_t *p, size_t left, uint16_t qsize)
{
	const struct { uint64_t at, len; } part[] = {
		{ AVAIL, VIRTQ_AVAIL_BYTES(qsize) },
		{ DESC, VIRTQ_DESC_BYTES(qsize) },
		{ BUFS, RAM_SIZE - BUFS },
	};

	memset(ram, 0, RAM_SIZE);
	for (int i = 0; i < 3 && left; i++) {
		size_t n = left < part[i].len ? left : part[i].len;

		memcpy(ram + part[i].at, p, n);
		p += n;
		left -= n;
	}
}

/*
 * Structured inputs: record = type selector, shape bits, sector (3
 * bytes, plus near-the-end and huge variants), data length (2 bytes),
 * segment flags.  Shape: bits 0-1 data buffers, bit 2 data in the other
 * direction, bit 3 no status byte, bit 4 status device-readable, bit 5
 * header in two pieces, bit 6 status at the end of the last data buffer.
 */
static void build_requests(const uint8_t *p, size_t left, uint16_t qsize,
			   uint64_t sectors)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
		VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD,
		VIRTIO_BLK_T_WRITE_ZEROES, VIRTIO_BLK_T_GET_LIFETIME,
		VIRTIO_BLK_T_SECURE_ERASE, 0x77,
	};
	struct virtq_desc *d = (struct virtq_desc *)(ram + DESC);
	struct virtq_avail *a = (struct virtq_avail *)(ram + AVAIL);
	uint64_t at = BUFS;
	uint16_t nd = 0, n = 0;

	memset(ram, 0, RAM_SIZE);
	for (; left >= 8 && nd + 6 <= qsize; p += 8, left -= 8) {
		uint32_t type = p[0] < 9 * 26 ? types[p[0] % 9] : p[0];
		uint8_t shape = p[1];
		uint64_t sector = p[2] | (uint32_t)p[3] << 8 | (uint32_t)p[4] << 16;
		uint32_t len = (uint32_t)(p[5] | p[6] << 8) % 8192;
		uint32_t hdr[4], seg[4];
		uint16_t head = nd, data_flags;
		unsigned int nbuf = shape & 3;

		if (p[4] == 0xff)
			sector = sectors - (p[2] & 7);
		else if (p[4] == 0xfe)
			sector = UINT64_MAX - p[2];
		if (at + 16 + len + 16 + 1 > RAM_SIZE)
			break;
		hdr[0] = type;
		hdr[1] = 0;
		hdr[2] = (uint32_t)sector;
		hdr[3] = (uint32_t)(sector >> 32);
		memcpy(ram + at, hdr, 16);
		if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) {
			seg[0] = (uint32_t)sector;
			seg[1] = (uint32_t)(sector >> 32);
			seg[2] = len / 64;
			seg[3] = p[7] & 0x80 ? p[7] : p[7] & 1;
			memcpy(ram + at + 16, seg, 16);
			if (!nbuf)
				len = 16;
		}
		if (shape & 0x20) {
			d[nd] = (struct virtq_desc){ at, 7, VIRTQ_DESC_F_NEXT,
						     (uint16_t)(nd + 1) };
			nd++;
			d[nd] = (struct virtq_desc){ at + 7, 9, 0, 0 };
		} else {
			d[nd] = (struct virtq_desc){ at, 16, 0, 0 };
		}
		at += 16;
		data_flags = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID ||
			     type == VIRTIO_BLK_T_GET_LIFETIME ?
			     VIRTQ_DESC_F_WRITE : 0;
		if (shape & 4)
			data_flags ^= VIRTQ_DESC_F_WRITE;
		for (unsigned int i = 0; i < nbuf && len; i++) {
			uint32_t l = i + 1 < nbuf ? len / nbuf : len - i * (len / nbuf);

			if (!l)
				continue;
			d[nd].flags |= VIRTQ_DESC_F_NEXT;
			d[nd].next = (uint16_t)(nd + 1);
			nd++;
			d[nd] = (struct virtq_desc){ at, l + ((shape & 0x40) &&
							       i + 1 == nbuf),
						     data_flags, 0 };
			at += l + 1;
		}
		if (!(shape & 0x08) && !((shape & 0x40) && nbuf)) {
			d[nd].flags |= VIRTQ_DESC_F_NEXT;
			d[nd].next = (uint16_t)(nd + 1);
			nd++;
			d[nd] = (struct virtq_desc){ at, 1, shape & 0x10 ? 0 :
						     VIRTQ_DESC_F_WRITE, 0 };
			at += 1;
		}
		nd++;
		at = (at + 15) & ~15ull;
		a->ring[n++ % qsize] = head;
	}
	a->idx = n;
}

/* The driver's side of start-up, through the core's entry points. */
static bool start(struct virtio_dev *vd, uint16_t qsize, uint64_t features)
{
	virtio_set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features(vd, 0, (uint32_t)features);
	virtio_set_driver_features(vd, 1, (uint32_t)(features >> 32));
	virtio_set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			      VIRTIO_STATUS_FEATURES_OK);
	virtio_queue_set_size(vd, 0, qsize);
	virtio_queue_set_addr(vd, 0, VQ_REG_DESC, DESC);
	virtio_queue_set_addr(vd, 0, VQ_REG_DRIVER, AVAIL);
	virtio_queue_set_addr(vd, 0, VQ_REG_DEVICE, USED);
	virtio_queue_set_enable(vd, 0, 1);
	virtio_set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			      VIRTIO_STATUS_FEATURES_OK |
			      VIRTIO_STATUS_DRIVER_OK);
	return virtio_running(vd);
}

/* The used ring holds no more than was offered, and only real heads. */
static void check_used(uint16_t qsize, uint16_t n)
{
	const struct virtq_used *u = (const struct virtq_used *)(ram + USED);

	if (n > qsize * 2 + 2)
		abort();
	for (uint16_t i = 0; i < n && i < qsize; i++)
		if (u->ring[i].id >= qsize)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disk_config dc = { 0 };
	struct blk_params p = { .disk = &dc, .engine = BLK_ENGINE_SYNC };
	struct virtio_blk *b;
	struct guest_mem gm;
	struct stat st;
	uint16_t qsize;
	uint64_t features = VIRTIO_BIT(VIRTIO_F_VERSION_1), sectors;
	char err[256];

	if (size < 3)
		return 0;
	if (!ram)
		init_once();
	qsize = (uint16_t)(1u << (data[0] % 9));
	sectors = 1 + 4ull * data[2];
	if (ftruncate(img, 0) || ftruncate(img, (off_t)(sectors * 512)))
		abort();
	if (data[1] & 64)
		build_requests(data + 3, size - 3, qsize, sectors);
	else
		fill(data + 3, size - 3, qsize);
	if (gm_init_buffer(&gm, ram, RAM_SIZE))
		abort();
	dc.path = path;
	if (data[1] & 128) {
		/* Rate-limited, so that requests also wait and are put back;
		 * the timer never runs here, what waits stays in the ring. */
		dc.limit = (struct rate_limiter_config){
			.bytes = { 8192, 0, 1000 }, .ops = { 8, 0, 1000 } };
		p.loop = &loop;
	}
	dc.read_only = data[1] & 4;
	dc.cache = data[1] & 8 ? DISK_CACHE_WRITEBACK : DISK_CACHE_UNSAFE;
	if (virtio_blk_new(&p, &b, err, sizeof(err)))
		abort();
	if (virtio_dev_setup(&b->vd, &gm, &lock, &transport, NULL))
		abort();
	if (data[1] & 1)
		features |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (data[1] & 2)
		features |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	if (data[1] & 16)
		features |= VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	if ((data[1] & 32) && !dc.read_only)
		features |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
			    VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	virtio_lock(&b->vd);
	if (start(&b->vd, qsize, features)) {
		/* Notifications until the device stops asking for more. */
		for (int i = 0; i < 4; i++) {
			kicked = false;
			virtio_process_queue(&b->vd, 0);
			if (!kicked)
				break;
		}
		if (b->nr_free != BLK_QUEUE_SIZE)
			abort();	/* a slot leaked */
		check_used(qsize, ((struct virtq_used *)(ram + USED))->idx);
	}
	virtio_reset(&b->vd);
	virtio_unlock(&b->vd);
	virtio_dev_cleanup(&b->vd);
	b->vd.ops->destroy(&b->vd);
	if (fstat(img, &st) || (uint64_t)st.st_size != sectors * 512)
		abort();	/* the image grew or shrank */
	return 0;
}
