// SPDX-License-Identifier: MIT
/*
 * Unit tests for virtio_pci_save/virtio_pci_restore (issue 11), without
 * KVM: for every device type a driver brings the device to DRIVER_OK
 * with MSI-X, requests are served, one more is made available, the
 * function is saved, guest RAM copied, and the state restored into a
 * fresh device on a fresh fixture.  The restored device must serve the
 * next request (not an old one again, none skipped) and interrupt on the
 * queue's vector.  Then malformed payloads: cut at every offset, and
 * each field out of range, refused with the field named and the fresh
 * device left as it was.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/snapfile.h"
#include "lib/util.h"
#include "unit/vp_fixture.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "virtio/vsock.h"

#define RAM_SIZE	(1u << 20)
#define QSZ		16
#define RING(q)		(0x1000ull + 0x3000ull * (q))
#define BUF(k)		(0x20000ull + 0x1000ull * (k))
#define EVBUF		0x30000ull
#define CID		7
#define SECTORS		64

enum kind { K_RNG, K_BLK, K_NET, K_BALLOON, K_VSOCK, K_NR };

/* One side of the test: a fixture, its RAM and its device. */
struct side {
	struct vp_fixture t;
	uint8_t *ram;
	enum kind kind;
	struct virtio_dev *vd;
	int peer;			/* net: the TAP's other end */
	char img[64];			/* blk: the image */
	char dir[64];			/* vsock: the socket's directory */
	uint16_t avail[3];
};

static uint16_t test_queue(enum kind k)
{
	return k == K_RNG || k == K_BLK ? 0 : 1;
}

static void make_image(struct side *s, uint64_t sectors)
{
	int fd;

	snprintf(s->img, sizeof(s->img), "/tmp/vmon-state-XXXXXX");
	fd = mkstemp(s->img);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(sectors * 512)), 0);
	close(fd);
}

static int no_offload(int fd, unsigned int offload)
{
	return 0;
}

static void side_init(struct side *s, enum kind k, uint64_t sectors,
		      uint32_t cid)
{
	memset(s, 0, sizeof(*s));
	s->kind = k;
	s->peer = -1;
	s->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(s->ram != MAP_FAILED);
	assert_int_equal(vpf_init(&s->t, s->ram, RAM_SIZE), 0);
	switch (k) {
	case K_RNG: {
		struct virtio_rng *rng;

		/* The loop, so that a test can turn a limit on. */
		assert_int_equal(virtio_rng_new(NULL, &s->t.loop, NULL, &rng),
				 0);
		s->vd = &rng->vd;
		break;
	}
	case K_BLK: {
		struct disk_config dc = { .id = "rootfs" };
		struct blk_params p = { .disk = &dc, .loop = &s->t.loop,
					.engine = BLK_ENGINE_SYNC };
		struct virtio_blk *b;
		char err[256];

		make_image(s, sectors);
		dc.path = s->img;
		assert_int_equal(virtio_blk_new(&p, &b, err, sizeof(err)), 0);
		s->vd = &b->vd;
		break;
	}
	case K_NET: {
		struct virtio_net_params p = { .tap = "tap-state",
					       .loop = &s->t.loop,
					       .mac = { 2, 0, 0, 0, 0, 1 } };
		struct virtio_net *net;
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET |
					    SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
					    sv), 0);
		p.fd = sv[0];
		s->peer = sv[1];
		net = virtio_net_new(&p);
		assert_non_null(net);
		net->set_offload = no_offload;	/* a socketpair has none */
		s->vd = &net->vd;
		break;
	}
	case K_BALLOON: {
		struct balloon_config cfg = { .enabled = true, .target_mib = 4,
					      .stats_interval_s = 1 };
		struct virtio_balloon *b;

		b = virtio_balloon_new(&cfg, &s->t.loop, NULL);
		assert_non_null(b);
		s->vd = &b->vd;
		break;
	}
	case K_VSOCK: {
		struct vsock_config cfg = { .enabled = true, .guest_cid = cid };
		struct virtio_vsock *vs;
		char path[96];

		snprintf(s->dir, sizeof(s->dir), "/tmp/vmon-state.XXXXXX");
		assert_non_null(mkdtemp(s->dir));
		snprintf(path, sizeof(path), "%s/v.sock", s->dir);
		cfg.uds_path = path;
		vs = virtio_vsock_new(&cfg, &s->t.loop, NULL);
		assert_non_null(vs);
		s->vd = &vs->vd;
		break;
	}
	default:
		fail();
	}
	assert_int_equal(vpf_plug(&s->t, s->vd), 0);
}

static void side_fini(struct side *s)
{
	char path[96];

	vpf_fini(&s->t);
	munmap(s->ram, RAM_SIZE);
	if (s->peer >= 0)
		close(s->peer);
	if (s->img[0])
		unlink(s->img);
	if (s->dir[0]) {
		snprintf(path, sizeof(path), "%s/v.sock", s->dir);
		unlink(path);
		rmdir(s->dir);
	}
}

/* ---- the driver --------------------------------------------------------- */

static struct virtq_desc *desc(struct side *s, uint16_t q, uint16_t i)
{
	return (struct virtq_desc *)(s->ram + RING(q)) + i;
}

static struct virtq_avail *avail(struct side *s, uint16_t q)
{
	return (struct virtq_avail *)(s->ram + RING(q) + 0x1000);
}

static struct virtq_used *used(struct side *s, uint16_t q)
{
	return (struct virtq_used *)(s->ram + RING(q) + 0x2000);
}

static void offer(struct side *s, uint16_t q, uint16_t head)
{
	struct virtq_avail *a = avail(s, q);

	a->ring[s->avail[q] % QSZ] = head;
	s->avail[q]++;
	/* EVENT_IDX: the driver wants to hear of every completion. */
	a->ring[QSZ] = used(s, q)->idx;
	__atomic_store_n(&a->idx, s->avail[q], __ATOMIC_RELEASE);
}

static void notify(struct side *s, uint16_t q)
{
	vpf_wr(&s->t, VP_NOTIFY_OFF + VP_NOTIFY_MULT * q, 2, q);
	vpf_run(&s->t, 0);
}

/* Request k on the test queue: descriptors 3k.. and its buffers. */
static uint16_t request(struct side *s, uint16_t k)
{
	uint16_t q = test_queue(s->kind), d = (uint16_t)(3 * k);
	uint8_t *buf = s->ram + BUF(k);

	memset(buf, 0, 0x1000);
	switch (s->kind) {
	case K_RNG:
		*desc(s, q, d) = (struct virtq_desc){ BUF(k), 16,
						      VIRTQ_DESC_F_WRITE, 0 };
		break;
	case K_BLK:
		buf[0] = VIRTIO_BLK_T_IN;
		buf[8] = (uint8_t)k;		/* sector */
		buf[0x800] = 0xff;		/* status */
		*desc(s, q, d) = (struct virtq_desc){ BUF(k), 16,
						      VIRTQ_DESC_F_NEXT,
						      (uint16_t)(d + 1) };
		*desc(s, q, d + 1) = (struct virtq_desc){
			BUF(k) + 0x200, 512,
			VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
			(uint16_t)(d + 2) };
		*desc(s, q, d + 2) = (struct virtq_desc){ BUF(k) + 0x800, 1,
							  VIRTQ_DESC_F_WRITE, 0 };
		break;
	case K_NET:
		buf[NET_HDR_LEN + 12] = 0x08;	/* EtherType IPv4 */
		buf[NET_HDR_LEN + 20] = (uint8_t)k;
		*desc(s, q, d) = (struct virtq_desc){ BUF(k), NET_HDR_LEN + 60,
						      0, 0 };
		break;
	case K_BALLOON:
		buf[0] = 0x50;			/* deflate PFN 0x50 */
		*desc(s, q, d) = (struct virtq_desc){ BUF(k), 4, 0, 0 };
		break;
	case K_VSOCK: {
		struct vsock_hdr h = { .src_cid = CID, .dst_cid = VSOCK_HOST_CID,
				       .src_port = 1000u + k, .dst_port = 99,
				       .type = VSOCK_TYPE_STREAM,
				       .op = VSOCK_OP_RST };

		memcpy(buf, &h, sizeof(h));
		*desc(s, q, d) = (struct virtq_desc){ BUF(k), VSOCK_HDR_SIZE,
						      0, 0 };
		break;
	}
	default:
		fail();
	}
	offer(s, q, d);
	return d;
}

static void msix_setup(struct side *s)
{
	struct pci_dev *d = &s->t.vp->pci;
	uint16_t nr = s->t.vp->nr_vectors;

	pci_cfg_write(&s->t.h, d->slot, 0, d->msix.cap + 2u, 2,
		      MSIX_CTRL_ENABLE);
	for (uint16_t i = 0; i < nr; i++) {
		uint64_t e = VP_MSIX_TABLE_OFF + 16ull * i;

		vpf_wr(&s->t, e, 4, MSI_ADDR_BASE);
		vpf_wr(&s->t, e + 4, 4, 0);
		vpf_wr(&s->t, e + 8, 4, 0x30u + i);
		vpf_wr(&s->t, e + 12, 4, 0);
	}
}

static void driver_setup(struct side *s)
{
	uint16_t nq = s->vd->num_queues;

	msix_setup(s);
	assert_int_equal(vpf_negotiate(&s->t, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
				       VIRTIO_BIT(VIRTIO_F_EVENT_IDX)),
			 VPF_S_FOK);
	vpf_wr(&s->t, VPC_MSIX_CONFIG, 2, 0);
	for (uint16_t q = 0; q < nq; q++) {
		vpf_wr(&s->t, VPC_Q_SELECT, 2, q);
		vpf_wr(&s->t, VPC_Q_MSIX, 2, q + 1u);
		vpf_queue(&s->t, q, QSZ, RING(q), RING(q) + 0x1000,
			  RING(q) + 0x2000);
	}
	assert_int_equal(vpf_driver_ok(&s->t), VPF_S_OK);
	if (s->kind == K_VSOCK) {
		/* An event buffer, as the Linux driver keeps. */
		*desc(s, 2, 0) = (struct virtq_desc){ EVBUF, 8,
						      VIRTQ_DESC_F_WRITE, 0 };
		memset(s->ram + EVBUF, 0xee, 8);
		offer(s, 2, 0);
		notify(s, 2);
	}
}

static bool vector_fired(struct side *s, uint16_t v)
{
	uint64_t n;

	return read(msix_vector_fd(&s->t.vp->pci, v), &n, sizeof(n)) == 8;
}

static void drain_vectors(struct side *s)
{
	for (uint16_t v = 0; v < s->t.vp->nr_vectors; v++)
		vector_fired(s, v);
}

static void check_used(struct side *s, uint16_t n)
{
	uint16_t q = test_queue(s->kind);
	struct virtq_used *u = used(s, q);

	assert_int_equal(u->idx, n);
	for (uint16_t k = 0; k < n; k++)
		assert_int_equal(u->ring[k].id, 3u * k);
}

/* ---- save and restore -------------------------------------------------- */

static void save(struct side *s, struct snap_enc *enc)
{
	struct vmon_err e = { 0 };

	snap_enc_init(enc);
	assert_int_equal(virtio_pci_save(s->t.vp, enc, &e), 0);
	assert_int_equal(enc->err, 0);
}

static int restore(struct side *s, const uint8_t *p, size_t len,
		   struct vmon_err *e)
{
	struct snap_dec d = { .file = "test.snap", .section = "virtio.dev0",
			      .p = p, .len = len, .version = 1, .e = e };

	memset(e, 0, sizeof(*e));
	return virtio_pci_restore(s->t.vp, &d, e);
}

/* What a fresh function looks like, to tell a refused restore left it. */
struct fresh {
	uint8_t cfg[PCI_CFG_SIZE];
	uint32_t entry0[4];
};

static void fresh_take(struct side *s, struct fresh *f)
{
	memcpy(f->cfg, s->t.vp->pci.cfg, PCI_CFG_SIZE);
	memcpy(f->entry0, s->t.vp->pci.msix.v[0].entry, sizeof(f->entry0));
}

static void fresh_check(struct side *s, const struct fresh *f)
{
	struct virtio_pci *vp = s->t.vp;

	assert_memory_equal(vp->pci.cfg, f->cfg, PCI_CFG_SIZE);
	assert_memory_equal(vp->pci.msix.v[0].entry, f->entry0,
			    sizeof(f->entry0));
	assert_int_equal(vp->vd->status, 0);
	assert_int_equal(vp->vd->features, 0);
	assert_int_equal(vp->isr, 0);
	assert_int_equal(vp->config_vector, VIRTIO_MSI_NO_VECTOR);
	for (uint16_t q = 0; q < vp->vd->num_queues; q++) {
		assert_false(vp->vd->queues[q].enabled);
		assert_false(vp->vd->queues[q].vq.ready);
		assert_int_equal(vp->q[q].vector, VIRTIO_MSI_NO_VECTOR);
	}
	assert_int_equal(vpf_status(&s->t), 0);
}

/* The whole round trip for one kind of device. */
static void round_trip(enum kind k)
{
	struct side a, b;
	struct snap_enc enc;
	struct vmon_err e;
	struct fresh fr;
	uint16_t q = test_queue(k);

	side_init(&a, k, SECTORS, CID);
	driver_setup(&a);
	request(&a, 0);
	notify(&a, q);
	request(&a, 1);
	notify(&a, q);
	check_used(&a, 2);
	/* Made available, not yet seen by the device. */
	request(&a, 2);
	save(&a, &enc);

	side_init(&b, k, SECTORS, CID);
	memcpy(b.ram, a.ram, RAM_SIZE);
	memcpy(b.avail, a.avail, sizeof(b.avail));
	fresh_take(&b, &fr);

	/* Cut short anywhere: refused, and nothing changed. */
	for (size_t off = 0; off < enc.len; off++) {
		assert_int_not_equal(restore(&b, enc.buf, off, &e), 0);
		assert_non_null(strstr(e.msg, "virtio.dev0"));
		fresh_check(&b, &fr);
	}

	assert_int_equal(restore(&b, enc.buf, enc.len, &e), 0);
	assert_int_equal(vpf_status(&b.t), VPF_S_OK);
	assert_true(msix_enabled(&b.t.vp->pci));
	vpf_wr(&b.t, VPC_Q_SELECT, 2, q);
	assert_int_equal(vpf_rd(&b.t, VPC_Q_ENABLE, 2), 1);
	assert_int_equal(vpf_rd(&b.t, VPC_Q_SIZE, 2), QSZ);
	assert_int_equal(vpf_rd(&b.t, VPC_Q_DESC, 8), RING(q));
	assert_int_equal(vpf_rd(&b.t, VPC_Q_MSIX, 2), q + 1u);
	if (k == K_VSOCK) {
		uint32_t id;

		/* 5.10.6.6: the driver hears its connections are gone. */
		assert_int_equal(used(&b, 2)->idx, 1);
		assert_int_equal(used(&b, 2)->ring[0].len, 4);
		memcpy(&id, b.ram + EVBUF, 4);
		assert_int_equal(id, 0);	/* TRANSPORT_RESET */
		assert_true(vector_fired(&b, 3));
	}

	/* The kick after restore serves request 2: not 0 or 1 again. */
	vpf_run(&b.t, 0);
	check_used(&b, 3);
	assert_true(vector_fired(&b, q + 1u));
	if (k == K_BLK)
		assert_int_equal(b.ram[BUF(2) + 0x800], VIRTIO_BLK_S_OK);
	if (k == K_RNG)
		assert_int_equal(used(&b, q)->ring[2].len, 16);

	/* And the one after it, on its notification. */
	drain_vectors(&b);
	request(&b, 3);
	notify(&b, q);
	check_used(&b, 4);
	assert_true(vector_fired(&b, q + 1u));
	assert_false(vector_fired(&b, 0));	/* no config change */
	assert_int_equal(counter_get(&b.vd->violations), 0);

	snap_enc_free(&enc);
	side_fini(&a);
	side_fini(&b);
}

static void test_rng(void **state) { round_trip(K_RNG); }

/* Two requests a minute: the third waits as long as any test runs. */
static struct virtio_rng *rng_limit(struct side *s)
{
	static const struct rate_limiter_patch p = {
		.cfg.ops = { .size = 2, .refill_ms = 60000 },
		.ops = true,
	};
	struct virtio_rng *rng = container_of(s->vd, struct virtio_rng, vd);

	assert_int_equal(throttle_update(&rng->limit, &p), 0);
	return rng;
}

/*
 * A request the limiter held back is in the ring, not in the state: the
 * restored device, its buckets full and no wait carried over, serves it
 * at the kick after restore, once.
 */
static void test_rng_throttled(void **state)
{
	struct virtio_rng *ra, *rb;
	struct snap_enc enc;
	struct vmon_err e;
	struct side a, b;

	side_init(&a, K_RNG, 0, 0);
	ra = rng_limit(&a);
	driver_setup(&a);
	for (uint16_t k = 0; k < 3; k++) {
		request(&a, k);
		notify(&a, 0);
	}
	check_used(&a, 2);
	assert_true(ra->limit.waiting);
	assert_int_equal(counter_get(&ra->limit.throttled), 1);
	save(&a, &enc);

	side_init(&b, K_RNG, 0, 0);
	rb = rng_limit(&b);
	memcpy(b.ram, a.ram, RAM_SIZE);
	memcpy(b.avail, a.avail, sizeof(b.avail));
	assert_int_equal(restore(&b, enc.buf, enc.len, &e), 0);
	assert_false(rb->limit.waiting);
	vpf_run(&b.t, 0);
	check_used(&b, 3);
	assert_int_equal(used(&b, 0)->ring[2].len, 16);
	assert_int_equal(metrics_get(&rb->metrics, RNG_M_REQUESTS), 1);
	assert_int_equal(counter_get(&rb->limit.throttled), 0);

	snap_enc_free(&enc);
	side_fini(&a);
	side_fini(&b);
}
static void test_blk(void **state) { round_trip(K_BLK); }
static void test_net(void **state) { round_trip(K_NET); }
static void test_balloon(void **state) { round_trip(K_BALLOON); }
static void test_vsock(void **state) { round_trip(K_VSOCK); }

/* ---- fields out of range ------------------------------------------------ */

/* Offsets in an rng function's payload (virtio_pci_state.c's order). */
#define O_ID		0			/* type u16, nq, qmax, offered, cfg */
#define O_PCI		(O_ID + 18)		/* slot, cfg[256], intx */
#define O_MSIX		(O_PCI + 258)		/* nr, 2 x 16, pba 8 */
#define O_CORE		(O_MSIX + 42)		/* features .. generation */
#define O_Q0		(O_CORE + 11)
#define O_TRANSPORT	(O_Q0 + 37)

struct mutation {
	size_t off;
	unsigned int width;
	uint64_t value;
	const char *field;
};

static void put_le(uint8_t *p, unsigned int n, uint64_t v)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_bad_fields(void **state)
{
	static const struct mutation m[] = {
		{ O_ID, 2, VIRTIO_ID_BLOCK, "field type: a block device in the snapshot, an entropy device here" },
		{ O_ID + 2, 2, 2, "field num_queues" },
		{ O_ID + 4, 2, 128, "field queue_max_size" },
		{ O_ID + 6, 8, 0, "field features_offered" },
		{ O_ID + 14, 4, 8, "field config_size" },
		{ O_PCI, 1, 9, "field pci.slot" },
		{ O_PCI + 1, 1, 0x34, "field pci.cfg" },	/* vendor ID */
		{ O_PCI + 1 + PCI_STATUS, 1, 0x18, "field pci.cfg" },
		{ O_PCI + 257, 1, 2, "field pci.intx_level" },
		{ O_MSIX, 2, 3, "field msix.nr" },
		{ O_MSIX + 2 + 12, 4, 2, "field msix.ctrl" },
		{ O_MSIX + 2, 4, MSI_ADDR_BASE | 2, "field msix.addr_lo" },
		{ O_MSIX + 34, 8, 4, "field msix.pba" },
		{ O_CORE, 8, VIRTIO_BIT(VIRTIO_F_VERSION_1) | 1, "field features" },
		{ O_CORE, 8, VIRTIO_BIT(VIRTIO_F_EVENT_IDX), "field features" },
		{ O_CORE + 8, 1, 1, "field features_beyond_64" },
		{ O_CORE + 9, 1, VPF_S_OK | 0x10, "field status" },
		{ O_CORE + 9, 1, VPF_S_AD | VIRTIO_STATUS_DRIVER_OK,
		  "field status" },
		{ O_CORE + 9, 1, VIRTIO_STATUS_ACKNOWLEDGE, "field features" },
		{ O_Q0, 2, 3, "field q0.size: 3 is not a power of two" },
		{ O_Q0, 2, 512, "field q0.size" },
		{ O_Q0 + 2, 8, RING(0) + 8, "field q0.desc" },	/* misaligned */
		{ O_Q0 + 2, 8, RAM_SIZE - 16, "field q0.desc" },	/* past RAM */
		{ O_Q0 + 18, 8, 1ull << 40, "field q0.desc" },	/* device area */
		{ O_Q0 + 26, 1, 2, "field q0.enabled" },
		{ O_Q0 + 27, 1, 1, "field q0.broken" },
		{ O_Q0 + 35, 2, 1, "field q0.inflight" },
		{ O_Q0 + 28, 2, 100, "field q0.inflight" },	/* last_avail */
		{ O_TRANSPORT + 8, 2, 1, "field queue_select" },
		{ O_TRANSPORT + 10, 2, 2, "field config_vector" },
		{ O_TRANSPORT + 12, 1, 4, "field isr" },
		{ O_TRANSPORT + 13, 2, 0x100, "field queue_vector" },
	};
	struct side a, b;
	struct snap_enc enc;
	struct vmon_err e;
	struct fresh fr;
	uint8_t *bad;

	side_init(&a, K_RNG, 0, 0);
	driver_setup(&a);
	request(&a, 0);
	notify(&a, 0);
	save(&a, &enc);
	assert_int_equal(enc.len, O_TRANSPORT + 15);
	side_init(&b, K_RNG, 0, 0);
	memcpy(b.ram, a.ram, RAM_SIZE);
	fresh_take(&b, &fr);
	bad = malloc(enc.len + 1);
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		memcpy(bad, enc.buf, enc.len);
		put_le(bad + m[i].off, m[i].width, m[i].value);
		assert_int_not_equal(restore(&b, bad, enc.len, &e), 0);
		if (!strstr(e.msg, m[i].field))
			fail_msg("mutation %zu: \"%s\" does not name %s", i,
				 e.msg, m[i].field);
		fresh_check(&b, &fr);
	}
	/* One byte too many. */
	memcpy(bad, enc.buf, enc.len);
	bad[enc.len] = 0;
	assert_int_equal(restore(&b, bad, enc.len + 1, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "left over"));
	fresh_check(&b, &fr);
	/* After all that, the genuine state still goes in. */
	assert_int_equal(restore(&b, enc.buf, enc.len, &e), 0);
	assert_int_equal(vpf_status(&b.t), VPF_S_OK);
	/* Only into a fresh device. */
	assert_int_equal(restore(&b, enc.buf, enc.len, &e), -EBUSY);
	free(bad);
	snap_enc_free(&enc);
	side_fini(&a);
	side_fini(&b);
}

/*
 * Any size a driver may write to a disabled queue is state the snapshot
 * must carry: Linux writes the size before the rings and enables last, so
 * a pause can fall between (the live device checks the size only when the
 * queue is enabled).  A restore that refused size 0 or 3 there refused a
 * VM that was running fine; the restored driver then goes on to enable.
 */
static void test_disabled_queue_sizes(void **state)
{
	static const uint16_t sizes[] = { 0, 3, 512 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct side a, b;
		struct snap_enc enc;
		struct vmon_err e;
		uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			     VIRTIO_BIT(VIRTIO_F_EVENT_IDX);

		side_init(&a, K_RNG, 0, 0);
		msix_setup(&a);
		assert_int_equal(vpf_negotiate(&a.t, f), VPF_S_FOK);
		vpf_wr(&a.t, VPC_Q_SELECT, 2, 0);
		vpf_wr(&a.t, VPC_Q_SIZE, 2, sizes[k]);
		save(&a, &enc);

		side_init(&b, K_RNG, 0, 0);
		memcpy(b.ram, a.ram, RAM_SIZE);
		if (restore(&b, enc.buf, enc.len, &e))
			fail_msg("size %u on a disabled queue: %s", sizes[k],
				 e.msg);
		vpf_wr(&b.t, VPC_Q_SELECT, 2, 0);
		assert_int_equal(vpf_rd(&b.t, VPC_Q_SIZE, 2), sizes[k]);
		/* The driver goes on: a valid size, the rings, enable. */
		vpf_wr(&b.t, VPC_Q_MSIX, 2, 1);
		vpf_queue(&b.t, 0, QSZ, RING(0), RING(0) + 0x1000,
			  RING(0) + 0x2000);
		assert_int_equal(vpf_driver_ok(&b.t), VPF_S_OK);
		request(&b, 0);
		notify(&b, 0);
		check_used(&b, 1);

		snap_enc_free(&enc);
		side_fini(&a);
		side_fini(&b);
	}
}

/* A device of another kind or configuration says which. */
static void test_mismatch(void **state)
{
	struct side a, b;
	struct snap_enc enc;
	struct vmon_err e;
	struct fresh fr;

	side_init(&a, K_BLK, SECTORS, 0);
	driver_setup(&a);
	save(&a, &enc);

	side_init(&b, K_NET, 0, 0);
	assert_int_equal(restore(&b, enc.buf, enc.len, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "section virtio.dev0, field type: a "
				      "block device in the snapshot, a net "
				      "device here"));
	side_fini(&b);

	side_init(&b, K_BLK, SECTORS * 2, 0);
	memcpy(b.ram, a.ram, RAM_SIZE);
	fresh_take(&b, &fr);
	assert_int_equal(restore(&b, enc.buf, enc.len, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "drive rootfs: the snapshot's disk had "
				      "64 sectors, this one has 128"));
	fresh_check(&b, &fr);
	side_fini(&b);
	snap_enc_free(&enc);
	side_fini(&a);

	side_init(&a, K_VSOCK, 0, CID);
	driver_setup(&a);
	save(&a, &enc);
	side_init(&b, K_VSOCK, 0, CID + 1);
	memcpy(b.ram, a.ram, RAM_SIZE);
	fresh_take(&b, &fr);
	assert_int_equal(restore(&b, enc.buf, enc.len, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "guest CID was 7, this device has 8"));
	fresh_check(&b, &fr);
	snap_enc_free(&enc);
	side_fini(&a);
	side_fini(&b);
}

/* A device without save/restore cannot be snapshotted, and says so. */
static void bare_destroy(struct virtio_dev *vd)
{
	free(vd);
}

static const struct virtio_dev_ops bare_ops = { .destroy = bare_destroy };

static void test_no_save_op(void **state)
{
	struct vp_fixture t;
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct virtio_dev *vd = calloc(1, sizeof(*vd));
	struct snap_enc enc = { 0 };
	struct vmon_err e = { 0 };

	*vd = (struct virtio_dev){ .name = "virtio-bare", .type = VIRTIO_ID_CONSOLE,
				   .num_queues = 1, .queue_max_size = 8,
				   .ops = &bare_ops };
	assert_int_equal(vpf_init(&t, ram, RAM_SIZE), 0);
	assert_int_equal(vpf_plug(&t, vd), 0);
	assert_int_equal(virtio_pci_save(t.vp, &enc, &e), -ENOTSUP);
	assert_non_null(strstr(e.msg, "virtio-bare"));
	assert_int_equal(enc.len, 0);
	vpf_fini(&t);
	free(ram);
}

/* Held chains: a balloon's statistics buffer goes back to the ring. */
static void test_balloon_stats_held(void **state)
{
	struct side a, b;
	struct snap_enc enc;
	struct vmon_err e;

	side_init(&a, K_BALLOON, 0, 0);
	driver_setup(&a);
	*desc(&a, 2, 0) = (struct virtq_desc){ BUF(9), 10, 0, 0 };
	a.ram[BUF(9)] = BALLOON_S_MEMFREE;
	a.ram[BUF(9) + 2] = 42;
	offer(&a, 2, 0);
	notify(&a, 2);
	assert_int_equal(a.vd->queues[2].vq.inflight, 1);
	save(&a, &enc);

	side_init(&b, K_BALLOON, 0, 0);
	memcpy(b.ram, a.ram, RAM_SIZE);
	assert_int_equal(restore(&b, enc.buf, enc.len, &e), 0);
	vpf_run(&b.t, 0);
	/* Taken again by the restored device, not used twice. */
	assert_int_equal(b.vd->queues[2].vq.inflight, 1);
	assert_int_equal(b.vd->queues[2].vq.last_avail, 1);
	assert_int_equal(used(&b, 2)->idx, 0);
	assert_true(container_of(b.vd, struct virtio_balloon, vd)->stats_held);
	snap_enc_free(&enc);
	side_fini(&a);
	side_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rng),
		cmocka_unit_test(test_rng_throttled),
		cmocka_unit_test(test_blk),
		cmocka_unit_test(test_net),
		cmocka_unit_test(test_balloon),
		cmocka_unit_test(test_vsock),
		cmocka_unit_test(test_bad_fields),
		cmocka_unit_test(test_disabled_queue_sizes),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_no_save_op),
		cmocka_unit_test(test_balloon_stats_held),
	};

	log_set_level(LOG_OFF);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
