/* SPDX-License-Identifier: MIT */
/*
 * virtio_blk: functional tests of a virtio block device (VIRTIO 1.2, 5.2)
 * through the polling driver in virtio_blk_drv.h, at CPL3.
 *
 * Command line (plus disk=, qsize=, ecam= from virtio_blk_drv.h):
 *   test=pattern  (default) read some regions (first, middle, last
 *                 sectors, a spread, a 1 MiB one), print what they held,
 *                 write a pattern over them with many requests in flight
 *                 and data cut into several buffers, read it back and
 *                 compare.  Prints `virtio-blk: before S C fnv=H` per
 *                 region, `virtio-blk: region S C` per region written,
 *                 `virtio-blk: pattern: N regions, B bytes, fnv H, read
 *                 back OK`.  seed=N changes the pattern (default 1).
 *   test=flush    write 8 sectors at sector 64, FLUSH; with wait=1 then
 *                 print `virtio-blk: waiting for the host` and wait for a
 *                 byte on the serial port before exiting.
 *   test=ro       on a read-only disk: RO offered, reads and flush OK;
 *                 OUT, DISCARD and WRITE_ZEROES get IOERR (rodiscard_any=1:
 *                 DISCARD may succeed, as QEMU's does).
 *   test=pastend  requests past the end or overflowing get IOERR; the
 *                 last sector reads fine.
 *   test=getid    prints `virtio-blk: serial 'S'`; a 19-byte buffer gets
 *                 IOERR (shortid=any: whatever the device says), a longer
 *                 one the 20 bytes and nothing more.
 *   test=zeroes   DISCARD, WRITE_ZEROES with and without unmap: zeroes
 *                 read back.
 *   test=media    print sector 1, wait for a configuration change (a
 *                 media change through the API), print the new capacity
 *                 and sector 1 again.
 *   test=bad      malformed requests: each gets its status (or, without
 *                 a status byte, DEVICE_NEEDS_RESET and a reset) and the
 *                 device still works; with rng=1 the entropy device too.
 *   test=rate     read mib=N MiB (4) in bs=K KiB requests (64, at most
 *                 2048), one at a time, sequentially from sector 0 and
 *                 around the disk, timed with the TSC from the first
 *                 request to the last status: prints `virtio-blk: rate:
 *                 started` and then `virtio-blk: N bytes in T us` and
 *                 `virtio-blk: R requests` (for a rate-limited drive).
 *
 * Each test prints `virtio-blk: OK` and exits 0 when all went as
 * expected, else prints FAIL lines and exits 1.
 */
#include "virtio_blk_drv.h"

#define VIRTIO_ID_ENTROPY_DEV	4
#define BIG			(1u << 20)
#define MAX_REGIONS		24

struct region {
	uint64_t sector;
	uint32_t count;
	uint32_t off;		/* in wbuf / rbuf */
};

static uint8_t wbuf[2 * BIG] __attribute__((aligned(4096)));
static uint8_t rbuf[2 * BIG] __attribute__((aligned(4096)));
static struct region regions[MAX_REGIONS];
static unsigned int nregions;
static int failures;

__attribute__((format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
	char line[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("virtio-blk: FAIL %s\n", line);
	failures++;
}

static const char *status_name(int s)
{
	return s == BLK_S_OK ? "OK" : s == BLK_S_IOERR ? "IOERR" :
	       s == BLK_S_UNSUPP ? "UNSUPP" : s < 0 ? "timeout" : "?";
}

static void expect(const char *what, int got, int want)
{
	printf("virtio-blk: %s: %s\n", what, status_name(got));
	if (got != want)
		fail("%s: status %d (%s), want %s", what, got, status_name(got),
		     status_name(want));
}

/* The pattern byte i of a sector; tests/integration/virtio_blk.py too. */
static uint8_t pat(uint64_t sector, uint32_t i, uint32_t seed)
{
	uint32_t v = ((uint32_t)sector * 0x9e3779b1u) ^ (uint32_t)(sector >> 32) ^
		     ((i + seed) * 0x85ebca6bu);

	v ^= v >> 15;
	v *= 0x2c1b3c6du;
	v ^= v >> 12;
	return (uint8_t)v;
}

static void fill(uint8_t *p, uint64_t sector, uint32_t count, uint32_t seed)
{
	for (uint32_t s = 0; s < count; s++)
		for (uint32_t i = 0; i < 512; i++)
			p[s * 512 + i] = pat(sector + s, i, seed);
}

static uint64_t fnv(uint64_t h, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#define FNV_INIT	0xcbf29ce484222325ull

static void add_region(uint64_t sector, uint32_t count)
{
	static uint32_t off;
	struct region *r = &regions[nregions++];

	*r = (struct region){ sector, count, off };
	off += count * 512;
}

/* Requests for every region, nslots at a time; false on a failure. */
static bool all_regions(uint32_t type, uint8_t *base)
{
	unsigned int next = 0, slot_region[MAX_SLOTS];

	while (next < nregions) {
		unsigned int busy = 0;

		for (; next < nregions && busy < nslots; busy++, next++) {
			const struct region *r = &regions[next];
			/* Shapes: one buffer, 512-byte pieces, 1536-byte ones. */
			uint32_t split = next % 3 == 1 ? 512 :
					 next % 3 == 2 ? 1536 : 0;

			slot_region[busy] = next;
			post(busy, type, r->sector, base + r->off,
			     r->count * 512, type == BLK_T_IN, split);
		}
		blk_kick();	/* one notification for the batch */
		for (; busy; busy--) {
			uint32_t len;
			int s = wait_used(&len);

			if (s < 0) {
				fail("timeout with %u requests in flight", busy);
				return false;
			}
			if (statuses[s] != BLK_S_OK) {
				fail("%s of region %u: status %u",
				     type == BLK_T_IN ? "read" : "write",
				     slot_region[s], statuses[s]);
				return false;
			}
		}
	}
	return true;
}

static void test_pattern(void)
{
	uint32_t seed = (uint32_t)cmdline_u64("seed", 1);
	uint64_t total = 0, h = FNV_INIT, c = capacity;

	if (c < 8192) {
		fail("pattern needs a disk of at least 4 MiB, not %lu sectors", c);
		return;
	}
	add_region(0, 8);				/* first 4 KiB */
	add_region(c / 2 - 3, 5);			/* middle, unaligned */
	add_region(c - 9, 8);				/* last 4 KiB but one */
	add_region(c - 1, 1);				/* last sector */
	add_region(c / 4, BIG / 512);			/* 1 MiB */
	for (uint64_t k = 1; k <= 12; k++)		/* a spread */
		add_region(c * k / 13 + k, 1 + (uint32_t)(k % 8));
	for (unsigned int i = 0; i < nregions; i++)
		fill(wbuf + regions[i].off, regions[i].sector, regions[i].count,
		     seed);
	/* What the host put there. */
	if (!all_regions(BLK_T_IN, rbuf))
		return;
	for (unsigned int i = 0; i < nregions; i++)
		printf("virtio-blk: before %lu %u fnv=0x%lx\n", regions[i].sector,
		       regions[i].count, fnv(FNV_INIT, rbuf + regions[i].off,
					     regions[i].count * 512));
	memset(rbuf, 0, sizeof(rbuf));
	if (!all_regions(BLK_T_OUT, wbuf) || !all_regions(BLK_T_IN, rbuf))
		return;
	for (unsigned int i = 0; i < nregions; i++) {
		const struct region *r = &regions[i];

		printf("virtio-blk: region %lu %u\n", r->sector, r->count);
		if (memcmp(wbuf + r->off, rbuf + r->off, r->count * 512))
			fail("region %lu+%u read back differs", r->sector,
			     r->count);
		h = fnv(h, wbuf + r->off, r->count * 512);
		total += r->count * 512;
	}
	printf("virtio-blk: pattern: %u regions, %lu bytes, fnv 0x%lx%s\n",
	       nregions, total, h, failures ? "" : ", read back OK");
}

static void test_flush(void)
{
	fill(wbuf, 64, 8, (uint32_t)cmdline_u64("seed", 1));
	expect("flush: write 8 sectors at 64", blk_io(BLK_T_OUT, 64, wbuf,
						      4096, 0), BLK_S_OK);
	expect("flush", blk_io(BLK_T_FLUSH, 0, NULL, 0, 0), BLK_S_OK);
	if (!cmdline_u64("wait", 0))
		return;
	printf("virtio-blk: waiting for the host\n");
	for (uint64_t start = rdtsc(); serial_getc() < 0;) {
		if (rdtsc() - start > 60000 * khz) {
			fail("nothing from the host in 60 s");
			return;
		}
		cpu_pause();
	}
}

static void test_ro(void)
{
	if (!(features & VIRTIO_BIT(BLK_F_RO)))
		fail("VIRTIO_BLK_F_RO not offered");
	memset(wbuf, 0x5a, 4096);
	expect("ro: read", blk_io(BLK_T_IN, 0, rbuf, 4096, 0), BLK_S_OK);
	expect("ro: write", blk_io(BLK_T_OUT, 0, wbuf, 4096, 0), BLK_S_IOERR);
	expect("ro: write, last sector", blk_io(BLK_T_OUT, capacity - 1, wbuf,
						512, 0), BLK_S_IOERR);
	*(struct blk_seg *)wbuf = (struct blk_seg){ 0, 8, 0 };
	/* vmon refuses it; QEMU takes a discard as a hint it may ignore. */
	if (cmdline_u64("rodiscard_any", 0))
		printf("virtio-blk: ro: discard: %s\n",
		       status_name(blk_io(BLK_T_DISCARD, 0, wbuf, 16, 0)));
	else
		expect("ro: discard", blk_io(BLK_T_DISCARD, 0, wbuf, 16, 0),
		       BLK_S_IOERR);
	expect("ro: write-zeroes", blk_io(BLK_T_WRITE_ZEROES, 0, wbuf, 16, 0),
	       BLK_S_IOERR);
	expect("ro: flush", blk_io(BLK_T_FLUSH, 0, NULL, 0, 0), BLK_S_OK);
	expect("ro: read again", blk_io(BLK_T_IN, 0, rbuf, 512, 0), BLK_S_OK);
}

static void test_pastend(void)
{
	uint64_t c = capacity;
	bool rw = !(features & VIRTIO_BIT(BLK_F_RO));

	memset(wbuf, 0xa5, 4096);
	expect("pastend: read last sector", blk_io(BLK_T_IN, c - 1, rbuf, 512, 0),
	       BLK_S_OK);
	expect("pastend: read at capacity", blk_io(BLK_T_IN, c, rbuf, 512, 0),
	       BLK_S_IOERR);
	expect("pastend: read across the end", blk_io(BLK_T_IN, c - 1, rbuf,
						      1024, 0), BLK_S_IOERR);
	expect("pastend: read at 2^55", blk_io(BLK_T_IN, 1ull << 55, rbuf, 512,
					       0), BLK_S_IOERR);
	expect("pastend: read at 2^64-1", blk_io(BLK_T_IN, ~0ull, rbuf, 512, 0),
	       BLK_S_IOERR);
	expect("pastend: write at capacity", blk_io(BLK_T_OUT, c, wbuf, 512, 0),
	       BLK_S_IOERR);
	expect("pastend: write across the end", blk_io(BLK_T_OUT, c - 1, wbuf,
						       4096, 0), BLK_S_IOERR);
	expect("pastend: write at 2^64-8", blk_io(BLK_T_OUT, ~0ull - 7, wbuf,
						  4096, 0), BLK_S_IOERR);
	if (!rw)
		return;
	*(struct blk_seg *)wbuf = (struct blk_seg){ c - 1, 2, 0 };
	expect("pastend: discard across the end",
	       blk_io(BLK_T_DISCARD, 0, wbuf, 16, 0), BLK_S_IOERR);
	*(struct blk_seg *)wbuf = (struct blk_seg){ ~0ull, 1, 0 };
	expect("pastend: write-zeroes at 2^64-1",
	       blk_io(BLK_T_WRITE_ZEROES, 0, wbuf, 16, 0), BLK_S_IOERR);
}

static void test_getid(void)
{
	char serial[21] = { 0 }, mode[8] = "";
	uint32_t used;

	memset(rbuf, 0xaa, 64);
	post(0, BLK_T_GET_ID, 0, rbuf, 20, true, 10);	/* two 10-byte pieces */
	expect("getid", wait_status(&used), BLK_S_OK);
	memcpy(serial, rbuf, 20);
	printf("virtio-blk: serial '%s' (used length %u)\n", serial, used);
	/* vmon: IOERR, the driver MUST give 20 bytes (5.2.6.1); QEMU writes
	 * what fits.  shortid=any accepts both. */
	if (cmdline_get("shortid", mode, sizeof(mode)) && !strcmp(mode, "any")) {
		printf("virtio-blk: getid: 19-byte buffer: %s\n",
		       status_name(blk_io(BLK_T_GET_ID, 0, rbuf + 32, 19, 0)));
	} else {
		expect("getid: 19-byte buffer", blk_io(BLK_T_GET_ID, 0,
						       rbuf + 32, 19, 0),
		       BLK_S_IOERR);
		for (int i = 32; i < 51; i++)
			if (rbuf[i] != 0xaa) {
				fail("getid: the 19-byte buffer was written");
				break;
			}
	}
	memset(rbuf, 0xaa, 64);
	expect("getid: 40-byte buffer", blk_io(BLK_T_GET_ID, 0, rbuf, 40, 0),
	       BLK_S_OK);
	if (memcmp(rbuf, serial, 20))
		fail("getid: the serial differs in a 40-byte buffer");
	for (int i = 20; i < 40; i++)
		if (rbuf[i] != 0xaa)
			fail("getid: byte %d past the serial was written", i);
}

static bool all_zero(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Write a pattern at sector s, do `type` with `flags`, read zeroes back. */
static void zero_case(const char *what, uint32_t type, uint64_t s,
		      uint32_t flags, bool check)
{
	char name[64];

	fill(wbuf, s, 16, 7);
	blk_io(BLK_T_OUT, s, wbuf, 8192, 0);
	*(struct blk_seg *)(wbuf + 8192) = (struct blk_seg){ s, 16, flags };
	snprintf(name, sizeof(name), "zeroes: %s", what);
	expect(name, blk_io(type, 0, wbuf + 8192, 16, 0), BLK_S_OK);
	memset(rbuf, 0xff, 8192);
	blk_io(BLK_T_IN, s, rbuf, 8192, 0);
	if (check && !all_zero(rbuf, 8192))
		fail("%s: sectors %lu-%lu do not read as zeroes", what, s, s + 15);
}

static void test_zeroes(void)
{
	if (!(features & VIRTIO_BIT(BLK_F_DISCARD)) ||
	    !(features & VIRTIO_BIT(BLK_F_WRITE_ZEROES)))
		fail("DISCARD and WRITE_ZEROES not offered");
	zero_case("discard", BLK_T_DISCARD, 256, 0, false);
	zero_case("write-zeroes", BLK_T_WRITE_ZEROES, 512, 0, true);
	zero_case("write-zeroes unmap", BLK_T_WRITE_ZEROES, 1024, 1, true);
	printf("virtio-blk: zeroed sectors 512-527 and 1024-1039\n");
}

/* Sector 1's first bytes, as text. */
static void show_sector1(const char *when)
{
	char text[17] = { 0 };

	expect(when, blk_io(BLK_T_IN, 1, rbuf, 512, 0), BLK_S_OK);
	for (int i = 0; i < 16 && rbuf[i] >= 0x20 && rbuf[i] < 0x7f; i++)
		text[i] = (char)rbuf[i];
	printf("virtio-blk: sector 1 '%s'\n", text);
}

static void test_media(void)
{
	uint8_t gen = vdev_r8(&dev, VC_CFG_GENERATION);
	uint64_t start = rdtsc();

	show_sector1("media: read before");
	printf("virtio-blk: waiting for a media change\n");
	while (vdev_r8(&dev, VC_CFG_GENERATION) == gen) {
		if (rdtsc() - start > 60000 * khz) {
			fail("media: no configuration change in 60 s");
			return;
		}
		cpu_pause();
	}
	capacity = read_capacity();
	printf("virtio-blk: media changed: %lu sectors\n", capacity);
	show_sector1("media: read after");
	expect("media: read the new last sector",
	       blk_io(BLK_T_IN, capacity - 1, rbuf, 512, 0), BLK_S_OK);
}

/* ---- test=bad ------------------------------------------------------- */

static bool wait_needs_reset(void)
{
	for (uint64_t start = rdtsc(); rdtsc() - start < 2000 * khz;)
		if (vdev_status(&dev) & VIRTIO_NEEDS_RESET)
			return true;
	return false;
}

/* A raw chain whose last byte (the status) must become `want`. */
static void bad_status(const char *name, const struct dseg *d, unsigned int n,
		       int want)
{
	volatile uint8_t *st = (volatile uint8_t *)d[n - 1].p +
			       d[n - 1].len - 1;
	uint32_t len;
	int s;

	*st = BLK_S_NONE;
	post_raw(0, d, n);
	blk_kick();
	s = wait_used(&len);
	printf("virtio-blk: bad: %s: %s\n", name,
	       s < 0 ? "timeout" : status_name(*st));
	if (s < 0 || *st != want)
		fail("bad: %s: status %d, want %s", name, s < 0 ? -1 : *st,
		     status_name(want));
}

/* A chain with no status byte: DEVICE_NEEDS_RESET, then it works again. */
static void bad_reset(const char *name, const struct dseg *d, unsigned int n)
{
	post_raw(0, d, n);
	blk_kick();
	if (!wait_needs_reset()) {
		fail("bad: %s: no DEVICE_NEEDS_RESET (status 0x%x)", name,
		     vdev_status(&dev));
		return;
	}
	if (blk_start(vq.size) || blk_io(BLK_T_IN, 0, rbuf, 512, 0) != BLK_S_OK) {
		fail("bad: %s: the device does not work after a reset", name);
		return;
	}
	printf("virtio-blk: bad: %s: needs-reset, recovered\n", name);
}

static void rng_check(void)
{
	static uint8_t rmem[4 * 4096] __attribute__((aligned(4096)));
	static uint8_t bytes[64];
	struct vdev rd;
	struct vq rq;
	uint32_t id, len = 0;
	uint64_t start;

	if (vdev_open(&rd, VIRTIO_ID_ENTROPY_DEV)) {
		fail("no virtio entropy device");
		return;
	}
	vdev_reset(&rd);
	if (!vdev_negotiate(&rd, VIRTIO_BIT(VIRTIO_F_VERSION_1), NULL) ||
	    vq_setup(&rd, &rq, 0, 16, rmem, VIRTIO_MSI_NO_VECTOR)) {
		fail("no usable virtio entropy device");
		return;
	}
	rq.avail->flags = 1;
	vdev_set_status(&rd, vdev_status(&rd) | VIRTIO_DRIVER_OK);
	vq_desc(&rq, 0, (uintptr_t)bytes, sizeof(bytes), VRING_DESC_F_WRITE, 0);
	vq_publish(&rq, 0);
	vq_kick(&rq);
	for (start = rdtsc(); !vq_get_used(&rq, &id, &len);)
		if (rdtsc() - start > (uint64_t)TIMEOUT_MS * khz)
			break;
	printf("virtio-blk: the entropy device gave %u bytes\n", len);
	if (len != sizeof(bytes))
		fail("the entropy device does not work");
	vdev_reset(&rd);
}

static void test_bad(void)
{
	static struct blk_hdr h;
	static struct blk_seg seg[2];
	static volatile uint8_t st;
	uint8_t *b = rbuf;
	bool rw = !(features & VIRTIO_BIT(BLK_F_RO));
#define D(p, l, f) (struct dseg){ (p), (l), (f) }
#define W VRING_DESC_F_WRITE
#define CASE(name, want, ...) do {					\
		const struct dseg d_[] = { __VA_ARGS__ };		\
		bad_status(name, d_, sizeof(d_) / sizeof(d_[0]), want);	\
	} while (0)

	h = (struct blk_hdr){ BLK_T_IN, 0, 0 };
	CASE("read of 100 bytes", BLK_S_IOERR, D(&h, 16, 0), D(b, 100, W),
	     D(&statuses[0], 1, W));
	h = (struct blk_hdr){ BLK_T_OUT, 0, 0 };
	CASE("write of 513 bytes", BLK_S_IOERR, D(&h, 16, 0),
	     D(b, 513, 0), D(&statuses[0], 1, W));
	h = (struct blk_hdr){ 0x77, 0, 0 };
	CASE("unknown type 0x77", BLK_S_UNSUPP, D(&h, 16, 0),
	     D(&statuses[0], 1, W));
	h = (struct blk_hdr){ BLK_T_GET_LIFETIME, 0, 0 };
	CASE("get-lifetime", BLK_S_UNSUPP, D(&h, 16, 0), D(b, 8, W),
	     D(&statuses[0], 1, W));
	CASE("8-byte header", BLK_S_IOERR, D(&h, 8, 0), D(&statuses[0], 1, W));
	h = (struct blk_hdr){ BLK_T_IN, 0, 0 };
	CASE("read with device-readable data", BLK_S_IOERR, D(&h, 16, 0),
	     D(b, 512, 0), D(&statuses[0], 1, W));
	h = (struct blk_hdr){ BLK_T_OUT, 0, 0 };
	CASE("write with device-writable data", BLK_S_IOERR, D(&h, 16, 0),
	     D(b, 512, W), D(&statuses[0], 1, W));
	h = (struct blk_hdr){ BLK_T_GET_ID, 0, 0 };
	CASE("get-id into 8 bytes", BLK_S_IOERR, D(&h, 16, 0), D(b, 8, W),
	     D(&statuses[0], 1, W));
	if (rw) {
		h = (struct blk_hdr){ BLK_T_DISCARD, 0, 0 };
		seg[0] = (struct blk_seg){ 0, 8, 1 };
		CASE("discard with unmap", BLK_S_UNSUPP, D(&h, 16, 0),
		     D(seg, 16, 0), D(&statuses[0], 1, W));
		seg[0] = (struct blk_seg){ 0, 8, 0 };
		seg[1] = (struct blk_seg){ 16, 8, 0 };
		CASE("discard of two segments", BLK_S_IOERR, D(&h, 16, 0),
		     D(seg, 32, 0), D(&statuses[0], 1, W));
		seg[0] = (struct blk_seg){ 0, (1u << 22) + 1, 0 };
		CASE("discard over the maximum", BLK_S_IOERR, D(&h, 16, 0),
		     D(seg, 16, 0), D(&statuses[0], 1, W));
		h = (struct blk_hdr){ BLK_T_WRITE_ZEROES, 0, 0 };
		seg[0] = (struct blk_seg){ 0, 8, 2 };
		CASE("write-zeroes with a reserved flag", BLK_S_UNSUPP,
		     D(&h, 16, 0), D(seg, 16, 0), D(&statuses[0], 1, W));
	}
	/* Well-formed, if unusual: must work. */
	h = (struct blk_hdr){ BLK_T_IN, 0, 0 };
	CASE("header in two pieces", BLK_S_OK, D(&h, 8, 0),
	     D((uint8_t *)&h + 8, 8, 0), D(b, 512, W), D(&statuses[0], 1, W));
	CASE("status in the data buffer", BLK_S_OK, D(&h, 16, 0),
	     D(b, 513, W));
	CASE("read of no data", BLK_S_OK, D(&h, 16, 0), D(&statuses[0], 1, W));

	/* No status byte: the device cannot answer; it needs a reset. */
	{
		const struct dseg none[] = { D(&h, 16, 0) };
		const struct dseg after[] = { D(&h, 16, 0), D(b, 512, W),
					      D(&st, 1, 0) };
		const struct dseg ro_st[] = { D(&h, 16, 0), D(&st, 1, 0) };

		bad_reset("no status descriptor", none, 1);
		bad_reset("status after data, device-readable", after, 3);
		bad_reset("device-readable status", ro_st, 2);
	}
	memset(wbuf, 0x3c, 4096);
	if (rw)
		expect("bad: a write afterwards", blk_io(BLK_T_OUT, 128, wbuf,
							 4096, 0), BLK_S_OK);
	expect("bad: a read afterwards", blk_io(BLK_T_IN, 128, rbuf, 4096, 0),
	       BLK_S_OK);
	if (rw && memcmp(wbuf, rbuf, 4096))
		fail("bad: the write afterwards did not read back");
	if (cmdline_u64("rng", 0))
		rng_check();
#undef CASE
#undef W
#undef D
}

/* The guest-observed throughput, for the rate limiter's test. */
static void test_rate(void)
{
	uint64_t total = cmdline_u64("mib", 4) << 20, done = 0, reqs = 0;
	uint64_t kib = cmdline_u64("bs", 64), sector = 0, t0;
	uint32_t bs;

	if (kib == 0 || kib > sizeof(rbuf) / 1024 || kib * 2 > capacity) {
		fail("rate: bs=%lu KiB does not fit the buffer or the disk", kib);
		return;
	}
	bs = (uint32_t)(kib * 1024);
	printf("virtio-blk: rate: started\n");
	t0 = rdtsc();
	while (done < total) {
		uint32_t n = total - done < bs ? (uint32_t)(total - done) : bs;

		n &= ~511u;
		if (!n)
			break;
		if (sector + n / 512 > capacity)
			sector = 0;
		if (blk_io(BLK_T_IN, sector, rbuf, n, 0) != BLK_S_OK) {
			fail("rate: read of %u bytes at sector %lu", n, sector);
			return;
		}
		sector += n / 512;
		done += n;
		reqs++;
	}
	printf("virtio-blk: %lu bytes in %lu us\n", done,
	       (unsigned long)((rdtsc() - t0) * 1000 / khz));
	printf("virtio-blk: %lu requests\n", reqs);
}

static long body(void *arg)
{
	char test[16] = "pattern";

	cmdline_get("test", test, sizeof(test));
	if (blk_open())
		return GUEST_EXIT_FAIL;
	if (!strcmp(test, "pattern"))
		test_pattern();
	else if (!strcmp(test, "flush"))
		test_flush();
	else if (!strcmp(test, "ro"))
		test_ro();
	else if (!strcmp(test, "pastend"))
		test_pastend();
	else if (!strcmp(test, "getid"))
		test_getid();
	else if (!strcmp(test, "zeroes"))
		test_zeroes();
	else if (!strcmp(test, "bad"))
		test_bad();
	else if (!strcmp(test, "media"))
		test_media();
	else if (!strcmp(test, "rate"))
		test_rate();
	else
		fail("unknown test=%s", test);
	if (vdev_status(&dev) & VIRTIO_NEEDS_RESET)
		fail("the device needs a reset (status 0x%x)", vdev_status(&dev));
	vdev_reset(&dev);
	if (failures)
		return GUEST_EXIT_FAIL;
	printf("virtio-blk: OK\n");
	return GUEST_EXIT_OK;
}

int main(void)
{
	return (int)run_user(body, NULL);
}
