// SPDX-License-Identifier: MIT
/*
 * Unit tests for virtio-vsock without KVM: the device on a PCI bus in a
 * malloc'd guest RAM, driven through its BAR and hand-built rings, with
 * real host Unix sockets in a temporary directory.  Packet parsing, the
 * connection state machine both ways, credit in both directions, the
 * host side never reading without credit or rx buffers, and every case
 * of guest-input.md 16.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/bus.h"
#include "core/evloop.h"
#include "pci/pci.h"
#include "unit/vp_fixture.h"
#include "virtio/virtio_pci.h"
#include "virtio/vsock.h"
#include "virtio/vsock_conn.h"

#define RAM_SIZE	(8u << 20)
#define QSZ		16
/* Queue q: descriptors, then avail at +0x1000, used at +0x2000. */
#define RING(q)		(0x10000ull + (q) * 0x4000ull)
#define RXBUF		0x100000ull
#define RXSZ		0x11000u			/* 68 KiB each */
#define TXBUF		0x300000ull
#define CID		3

struct fx {
	struct vp_fixture t;	/* buses, loop, bus 0, the device */
	uint8_t *ram;
	struct virtio_vsock *vs;
	uint16_t avail[3], used_seen[3];
	uint16_t tx_slot;
	char dir[64], path[96];
};

/* ---- driver helpers ---------------------------------------------------- */

static void wr(struct fx *f, uint64_t off, uint32_t len, uint64_t v)
{
	vpf_wr(&f->t, off, len, v);
}

static uint8_t status(struct fx *f)
{
	return vpf_status(&f->t);
}

/* The device's running total of counter c. */
static uint64_t counted(struct fx *f, enum vsock_counter c)
{
	return metrics_get(&f->vs->metrics, c);
}

static void run(struct fx *f, int ms)
{
	vpf_run(&f->t, ms);
}

static struct virtq_desc *desc(struct fx *f, int q, uint16_t i)
{
	return (struct virtq_desc *)(f->ram + RING(q)) + i;
}

static void offer(struct fx *f, int q, uint16_t head)
{
	struct virtq_avail *a = (void *)(f->ram + RING(q) + 0x1000);

	a->ring[f->avail[q]++ % QSZ] = head;
	a->idx = f->avail[q];
	wr(f, VP_NOTIFY_OFF + 4u * q, 2, q);	/* trapped: no KVM here */
}

static struct virtq_used *used(struct fx *f, int q)
{
	return (void *)(f->ram + RING(q) + 0x2000);
}

static void start(struct fx *f)
{
	/* VERSION_1 only. */
	assert_int_equal(vpf_negotiate(&f->t, VIRTIO_BIT(VIRTIO_F_VERSION_1)),
			 VPF_S_FOK);
	for (int q = 0; q < 3; q++) {
		vpf_queue(&f->t, (uint16_t)q, QSZ, RING(q), RING(q) + 0x1000,
			  RING(q) + 0x2000);
	}
	assert_int_equal(vpf_driver_ok(&f->t), VPF_S_OK);
}

/* n rx buffers of `size` bytes. */
static void rx_post(struct fx *f, int n, uint32_t size)
{
	for (int i = 0; i < n; i++) {
		uint16_t d = (uint16_t)(f->avail[0] % QSZ);

		*desc(f, 0, d) = (struct virtq_desc){ RXBUF + d * RXSZ, size,
						      VIRTQ_DESC_F_WRITE, 0 };
		offer(f, 0, d);
	}
	run(f, 0);
}

/* The next packet the device put on rx, or false. */
static bool rx_get(struct fx *f, struct vsock_hdr *h, uint8_t *data)
{
	struct virtq_used *u = used(f, 0);
	struct virtq_used_elem e;

	if (u->idx == f->used_seen[0])
		return false;
	e = u->ring[f->used_seen[0]++ % QSZ];
	assert_true(e.len >= VSOCK_HDR_SIZE);
	memcpy(h, f->ram + RXBUF + e.id * RXSZ, sizeof(*h));
	assert_int_equal(e.len, VSOCK_HDR_SIZE + h->len);
	if (data)
		memcpy(data, f->ram + RXBUF + e.id * RXSZ + VSOCK_HDR_SIZE,
		       h->len);
	return true;
}

static struct vsock_hdr hdr(uint16_t op, uint32_t src, uint32_t dst,
			    uint32_t len)
{
	return (struct vsock_hdr){
		.src_cid = CID, .dst_cid = VSOCK_HOST_CID, .src_port = src,
		.dst_port = dst, .len = len, .type = VSOCK_TYPE_STREAM,
		.op = op, .buf_alloc = 1u << 20,
	};
}

/* Send one tx packet of `dlen` bytes (header then payload). */
static void tx_raw(struct fx *f, const struct vsock_hdr *h, const void *data,
		   uint32_t dlen, uint16_t flags)
{
	uint16_t d = f->tx_slot++ % QSZ;
	uint64_t at = TXBUF + (uint64_t)d * 0x11000;

	memcpy(f->ram + at, h, sizeof(*h));
	if (data && dlen > sizeof(*h))
		memcpy(f->ram + at + sizeof(*h), data, dlen - sizeof(*h));
	*desc(f, 1, d) = (struct virtq_desc){ at, dlen, flags, 0 };
	offer(f, 1, d);
	run(f, 0);
}

static void tx(struct fx *f, struct vsock_hdr h, const void *data)
{
	tx_raw(f, &h, data, VSOCK_HDR_SIZE + h.len, 0);
}

static void expect_rx(struct fx *f, uint16_t op, uint32_t src, uint32_t dst,
		      struct vsock_hdr *out)
{
	struct vsock_hdr h;

	if (!rx_get(f, &h, NULL))
		fail_msg("no packet (wanted op %u %u -> %u)", op, src, dst);
	if (h.op != op || h.src_port != src || h.dst_port != dst)
		fail_msg("op %u %u -> %u, wanted op %u %u -> %u", h.op,
			 h.src_port, h.dst_port, op, src, dst);
	assert_int_equal(h.src_cid, VSOCK_HOST_CID);
	assert_int_equal(h.dst_cid, CID);
	assert_int_equal(h.type, VSOCK_TYPE_STREAM);
	if (out)
		*out = h;
}

static void expect_nothing(struct fx *f)
{
	struct vsock_hdr h;

	run(f, 20);
	if (rx_get(f, &h, NULL))
		fail_msg("unexpected op %u %u -> %u", h.op, h.src_port,
			 h.dst_port);
}

/* ---- host helpers ------------------------------------------------------ */

static int host_listen(struct fx *f, uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", f->path, port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 2048), 0);
	return fd;
}

static int host_connect(struct fx *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static ssize_t host_recv(int fd, void *buf, size_t n)
{
	return recv(fd, buf, n, MSG_DONTWAIT);
}

/* A guest-initiated connection 1234 -> 5000, accepted on the host
 * (listening first if *lfd < 0). */
static int connected(struct fx *f, int *lfd, uint32_t guest_buf)
{
	struct vsock_hdr h = hdr(VSOCK_OP_REQUEST, 1234, 5000, 0);
	int fd;

	if (*lfd < 0)
		*lfd = host_listen(f, 5000);
	h.buf_alloc = guest_buf;
	tx(f, h, NULL);
	expect_rx(f, VSOCK_OP_RESPONSE, 5000, 1234, &h);
	assert_int_equal(h.buf_alloc, VSOCK_BUF_ALLOC);
	assert_int_equal(h.fwd_cnt, 0);
	fd = accept(*lfd, NULL, NULL);
	assert_true(fd >= 0);
	return fd;
}

/* ---- fixture ----------------------------------------------------------- */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vsock_config cfg = { .enabled = true, .guest_cid = CID };

	snprintf(f->dir, sizeof(f->dir), "/tmp/vmon-vsock.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/v.sock", f->dir);
	cfg.uds_path = f->path;
	f->ram = calloc(1, RAM_SIZE);
	assert_int_equal(vpf_init(&f->t, f->ram, RAM_SIZE), 0);
	f->vs = virtio_vsock_new(&cfg, &f->t.loop, NULL);
	assert_non_null(f->vs);
	assert_int_equal(vpf_plug(&f->t, &f->vs->vd), 0);
	start(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	vpf_fini(&f->t);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f->ram);
	free(f);
	return 0;
}

/* ---- parsing ----------------------------------------------------------- */

static enum vsock_verdict parse2(const struct vsock_hdr *h, size_t split,
				 size_t total)
{
	static uint8_t buf[VSOCK_HDR_SIZE + 256];
	struct iovec iov[2] = { { buf, split }, { buf + split, total - split } };
	struct virtq_chain c = { .nr_out = 2, .out_bytes = (uint32_t)total,
				 .cap = 2, .iov = iov };
	struct vsock_hdr out;

	memcpy(buf, h, sizeof(*h));
	return vsock_parse(&c, CID, &out);
}

static void parse(void **state)
{
	struct vsock_hdr h = hdr(VSOCK_OP_RW, 1, 2, 10);

	assert_int_equal(sizeof(struct vsock_hdr), VSOCK_HDR_SIZE);
	/* A header split over two buffers is fine. */
	assert_int_equal(parse2(&h, 7, VSOCK_HDR_SIZE + 10), VSOCK_PKT_OK);
	assert_int_equal(parse2(&h, 20, VSOCK_HDR_SIZE - 1), VSOCK_PKT_SHORT);
	assert_int_equal(parse2(&h, 20, VSOCK_HDR_SIZE + 9),
			 VSOCK_PKT_TRUNCATED);
	h.len = VSOCK_MAX_PAYLOAD + 1;
	assert_int_equal(parse2(&h, 20, VSOCK_HDR_SIZE + 10),
			 VSOCK_PKT_TOO_LONG);
	h.len = 0xffffffff;
	assert_int_equal(parse2(&h, 20, VSOCK_HDR_SIZE), VSOCK_PKT_TOO_LONG);
	h = hdr(VSOCK_OP_RW, 1, 2, 0);
	h.src_cid = CID + 1;
	assert_int_equal(parse2(&h, 20, VSOCK_HDR_SIZE), VSOCK_PKT_BAD_CID);
	h = hdr(VSOCK_OP_RW, 1, 2, 0);
	h.dst_cid = 5;
	assert_int_equal(parse2(&h, 20, VSOCK_HDR_SIZE), VSOCK_PKT_BAD_CID);
	h = hdr(VSOCK_OP_RW, 1, 2, 0);
	h.type = 2;
	assert_int_equal(parse2(&h, 20, VSOCK_HDR_SIZE), VSOCK_PKT_BAD_TYPE);
	h = hdr(0, 1, 2, 0);
	assert_int_equal(parse2(&h, 20, VSOCK_HDR_SIZE), VSOCK_PKT_BAD_OP);
	h = hdr(8, 1, 2, 0);
	assert_int_equal(parse2(&h, 20, VSOCK_HDR_SIZE), VSOCK_PKT_BAD_OP);
}

static void sub_iov(void **state)
{
	uint8_t a[10], b[20], c[5];
	struct iovec iov[3] = { { a, 10 }, { b, 20 }, { c, 5 } }, out[3];
	struct virtq_chain ch = { .nr_out = 1, .nr_in = 2, .iov = iov };

	assert_int_equal(vsock_sub_iov(&ch, false, 4, 100, out, 3), 1);
	assert_ptr_equal(out[0].iov_base, a + 4);
	assert_int_equal(out[0].iov_len, 6);
	assert_int_equal(vsock_sub_iov(&ch, true, 18, 5, out, 3), 2);
	assert_ptr_equal(out[0].iov_base, b + 18);
	assert_int_equal(out[0].iov_len, 2);
	assert_ptr_equal(out[1].iov_base, c);
	assert_int_equal(out[1].iov_len, 3);
	assert_int_equal(vsock_sub_iov(&ch, true, 25, 100, out, 3), 0);
	assert_int_equal(vsock_sub_iov(&ch, true, 0, 100, out, 1), 1);
}

/* ---- guest-initiated --------------------------------------------------- */

static void guest_connect_data(void **state)
{
	struct fx *f = *state;
	uint8_t buf[256], got[256];
	struct vsock_hdr h;
	int lfd = -1, fd;

	rx_post(f, 4, RXSZ);
	fd = connected(f, &lfd, 1u << 20);
	for (int i = 0; i < 100; i++)
		buf[i] = (uint8_t)i;
	tx(f, hdr(VSOCK_OP_RW, 1234, 5000, 100), buf);
	assert_int_equal(host_recv(fd, got, sizeof(got)), 100);
	assert_memory_equal(got, buf, 100);
	/* Host to guest, straight into an rx buffer. */
	assert_int_equal(send(fd, "from the host", 13, 0), 13);
	run(f, 20);
	assert_true(rx_get(f, &h, got));
	assert_int_equal(h.op, VSOCK_OP_RW);
	assert_int_equal(h.len, 13);
	assert_int_equal(h.fwd_cnt, 100);	/* credit piggybacks */
	assert_memory_equal(got, "from the host", 13);
	/* Credit request: an update comes back. */
	tx(f, hdr(VSOCK_OP_CREDIT_REQUEST, 1234, 5000, 0), NULL);
	expect_rx(f, VSOCK_OP_CREDIT_UPDATE, 5000, 1234, &h);
	assert_int_equal(h.fwd_cnt, 100);
	assert_int_equal(counted(f, VSOCK_C_CONNS_OPENED), 1);
	close(fd);
	close(lfd);
}

static void guest_connect_refused(void **state)
{
	struct fx *f = *state;

	rx_post(f, 2, RXSZ);
	tx(f, hdr(VSOCK_OP_REQUEST, 1234, 7777, 0), NULL);
	expect_rx(f, VSOCK_OP_RST, 7777, 1234, NULL);
	assert_int_equal(counted(f, VSOCK_C_CONNECT_FAILED), 1);
	assert_int_equal(f->vs->all.nr, 0);
}

/* ---- host-initiated ---------------------------------------------------- */

static void host_connect_ok(void **state)
{
	struct fx *f = *state;
	struct vsock_hdr h, r;
	uint8_t got[64];
	int fd;

	rx_post(f, 4, RXSZ);
	fd = host_connect(f);
	/* Data right after the line must not be eaten with it. */
	assert_int_equal(send(fd, "CONNECT 52\nhello", 16, 0), 16);
	run(f, 20);
	expect_rx(f, VSOCK_OP_REQUEST, VSOCK_LOCAL_PORT_BASE, 52, &h);
	/* Nothing flows until the guest answers. */
	expect_nothing(f);
	r = hdr(VSOCK_OP_RESPONSE, 52, VSOCK_LOCAL_PORT_BASE, 0);
	tx(f, r, NULL);
	run(f, 20);
	assert_int_equal(host_recv(fd, got, sizeof(got)), 14);
	assert_memory_equal(got, "OK 1073741824\n", 14);
	assert_true(rx_get(f, &h, got));
	assert_int_equal(h.op, VSOCK_OP_RW);
	assert_int_equal(h.len, 5);
	assert_memory_equal(got, "hello", 5);
	/* The next client gets the next local port. */
	{
		int fd2 = host_connect(f);

		assert_int_equal(send(fd2, "CONNECT 52\n", 11, 0), 11);
		run(f, 20);
		expect_rx(f, VSOCK_OP_REQUEST, VSOCK_LOCAL_PORT_BASE + 1, 52,
			  NULL);
		/* The guest refuses it: the host client is closed. */
		tx(f, hdr(VSOCK_OP_RST, 52, VSOCK_LOCAL_PORT_BASE + 1, 0),
		   NULL);
		assert_int_equal(recv(fd2, got, sizeof(got), 0), 0);
		close(fd2);
	}
	close(fd);
}

static void host_bad_line(void **state)
{
	struct fx *f = *state;
	const char *bad[] = { "HELLO 52\n", "CONNECT\n", "CONNECT x\n",
			      "CONNECT 99999999999\n",
			      "CONNECT 52 and a long tail that never ends" };
	uint8_t got[8];

	rx_post(f, 2, RXSZ);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = host_connect(f);

		assert_int_equal(send(fd, bad[i], strlen(bad[i]), 0),
				 (ssize_t)strlen(bad[i]));
		run(f, 20);
		/* EOF, or a reset when vmon left bytes unread. */
		assert_true(recv(fd, got, sizeof(got), 0) <= 0);
		close(fd);
	}
	assert_int_equal(counted(f, VSOCK_C_HOST_BAD_LINE), 5);
	expect_nothing(f);
	assert_int_equal(f->vs->all.nr, 0);
}

/* ---- credit ------------------------------------------------------------ */

static void credit_host_to_guest(void **state)
{
	struct fx *f = *state;
	uint8_t data[300] = { 0 };
	struct vsock_hdr h, u;
	struct vsock_conn *c;
	int lfd = -1, fd;

	rx_post(f, 8, RXSZ);
	fd = connected(f, &lfd, 64);
	c = vsock_conn_find(f->vs, 1234, 5000);
	assert_non_null(c);
	assert_int_equal(send(fd, data, 200, 0), 200);
	run(f, 20);
	assert_true(rx_get(f, &h, NULL));
	assert_int_equal(h.len, 64);		/* the guest's buf_alloc */
	expect_nothing(f);
	/* Out of credit: the socket is not even watched (no spinning). */
	assert_false(c->events & EPOLLIN);
	assert_int_equal(evloop_run_once(&f->t.loop, 0), 0);
	/* Credit back: the rest, in 64-byte steps. */
	u = hdr(VSOCK_OP_CREDIT_UPDATE, 1234, 5000, 0);
	u.buf_alloc = 64;
	u.fwd_cnt = 64;
	tx(f, u, NULL);
	run(f, 20);
	assert_true(rx_get(f, &h, NULL));
	assert_int_equal(h.len, 64);
	u.fwd_cnt = 1000;	/* a fwd_cnt beyond what was sent: no credit */
	tx(f, u, NULL);
	expect_nothing(f);
	u.buf_alloc = 1000;
	u.fwd_cnt = 128;
	tx(f, u, NULL);
	run(f, 20);
	assert_true(rx_get(f, &h, NULL));
	assert_int_equal(h.len, 72);
	assert_true(c->events & EPOLLIN);	/* waiting for more */
	close(fd);
	close(lfd);
}

static void no_rx_buffers(void **state)
{
	struct fx *f = *state;
	struct vsock_hdr h;
	struct vsock_conn *c;
	uint8_t got[16];
	int lfd = -1, fd;

	rx_post(f, 1, RXSZ);
	fd = connected(f, &lfd, 4096);		/* takes the one buffer */
	c = vsock_conn_find(f->vs, 1234, 5000);
	assert_int_equal(send(fd, "later", 5, 0), 5);
	run(f, 20);
	/* Nowhere to put it: waits on the ready list, EPOLLIN off. */
	assert_true(c->on_ready);
	assert_false(c->events & EPOLLIN);
	assert_int_equal(evloop_run_once(&f->t.loop, 0), 0);
	rx_post(f, 1, RXSZ);
	assert_true(rx_get(f, &h, got));
	assert_int_equal(h.len, 5);
	assert_memory_equal(got, "later", 5);
	/* A buffer too small for a header is returned unused. */
	rx_post(f, 1, VSOCK_HDR_SIZE - 1);
	assert_int_equal(counted(f, VSOCK_C_RX_SHORT_BUF), 1);
	close(fd);
	close(lfd);
}

static void credit_guest_to_host(void **state)
{
	struct fx *f = *state;
	static uint8_t big[VSOCK_MAX_PAYLOAD];
	struct vsock_conn *c;
	int lfd = -1, fd, small = 4096;

	rx_post(f, 8, RXSZ);
	fd = connected(f, &lfd, 4096);
	c = vsock_conn_find(f->vs, 1234, 5000);
	/* A host that does not read: its socket takes a few KiB only. */
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	for (int i = 0; i < 4; i++)
		tx(f, hdr(VSOCK_OP_RW, 1234, 5000, VSOCK_MAX_PAYLOAD), big);
	assert_int_equal(c->rx_cnt, VSOCK_BUF_ALLOC);
	assert_true(c->pend_len > VSOCK_MAX_PAYLOAD);
	assert_int_equal(c->pend_len + c->fwd_cnt, VSOCK_BUF_ALLOC);
	assert_true(c->events & EPOLLOUT);
	/* Beyond the credit vmon gave: a violation, and a RST. */
	tx(f, hdr(VSOCK_OP_RW, 1234, 5000, VSOCK_MAX_PAYLOAD), big);
	assert_int_equal(counted(f, VSOCK_C_CREDIT), 1);
	expect_rx(f, VSOCK_OP_RST, 5000, 1234, NULL);
	assert_int_equal(f->vs->all.nr, 0);
	close(fd);
	close(lfd);
}

static void credit_pending_drains(void **state)
{
	struct fx *f = *state;
	static uint8_t big[VSOCK_MAX_PAYLOAD];
	struct vsock_conn *c;
	struct vsock_hdr h;
	uint8_t *got = malloc(2 * VSOCK_MAX_PAYLOAD);
	size_t n = 0;
	int lfd = -1, fd, small = 4096;
	bool credit = false;

	rx_post(f, 8, RXSZ);
	fd = connected(f, &lfd, 4096);
	c = vsock_conn_find(f->vs, 1234, 5000);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	tx(f, hdr(VSOCK_OP_RW, 1234, 5000, VSOCK_MAX_PAYLOAD), big);
	tx(f, hdr(VSOCK_OP_RW, 1234, 5000, VSOCK_MAX_PAYLOAD), big);
	assert_true(c->pend_len > 0);
	/* The guest says it is done sending: EOF only after the data. */
	tx(f, hdr(VSOCK_OP_SHUTDOWN, 1234, 5000, 0), NULL);
	for (int spins = 0; n < 2 * VSOCK_MAX_PAYLOAD && spins < 100000;
	     spins++) {
		ssize_t r = recv(fd, got + n, 2 * VSOCK_MAX_PAYLOAD - n,
				 MSG_DONTWAIT);

		if (r > 0)
			n += (size_t)r;
		run(f, 0);
		while (rx_get(f, &h, NULL))
			credit |= h.op == VSOCK_OP_CREDIT_UPDATE &&
				  h.fwd_cnt >= VSOCK_BUF_ALLOC / 4;
	}
	assert_int_equal(n, 2 * VSOCK_MAX_PAYLOAD);
	assert_memory_equal(got, big, VSOCK_MAX_PAYLOAD);
	assert_memory_equal(got + VSOCK_MAX_PAYLOAD, big, VSOCK_MAX_PAYLOAD);
	assert_null(c->pend);
	assert_int_equal(c->fwd_cnt, 2 * VSOCK_MAX_PAYLOAD);
	assert_true(credit);		/* the guest heard its credit back */
	free(got);
	close(fd);
	close(lfd);
}

/* ---- shutdown and close ------------------------------------------------ */

static void shutdown_both_ways(void **state)
{
	struct fx *f = *state;
	struct vsock_hdr h;
	uint8_t got[16];
	int lfd = -1, fd;

	rx_post(f, 4, RXSZ);
	fd = connected(f, &lfd, 4096);
	/* Host EOF: the guest hears SHUTDOWN(SEND). */
	shutdown(fd, SHUT_WR);
	run(f, 20);
	expect_rx(f, VSOCK_OP_SHUTDOWN, 5000, 1234, &h);
	assert_int_equal(h.flags, VSOCK_SHUTDOWN_SEND);
	/* The guest can still send. */
	tx(f, hdr(VSOCK_OP_RW, 1234, 5000, 3), "abc");
	assert_int_equal(host_recv(fd, got, sizeof(got)), 3);
	/* Both ways shut: the peer's RST ends it, the host sees EOF. */
	h = hdr(VSOCK_OP_SHUTDOWN, 1234, 5000, 0);
	h.flags = VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND;
	tx(f, h, NULL);
	expect_rx(f, VSOCK_OP_RST, 5000, 1234, NULL);
	assert_int_equal(recv(fd, got, sizeof(got), 0), 0);
	assert_int_equal(f->vs->all.nr, 0);
	close(fd);
	close(lfd);
}

static void guest_rst_and_reset(void **state)
{
	struct fx *f = *state;
	uint8_t got[4];
	int lfd = -1, fd, fd2;

	rx_post(f, 4, RXSZ);
	fd = connected(f, &lfd, 4096);
	tx(f, hdr(VSOCK_OP_RST, 1234, 5000, 0), NULL);
	assert_int_equal(recv(fd, got, sizeof(got), 0), 0);
	expect_nothing(f);		/* never a RST for a RST */
	close(fd);
	/* A device reset closes the host ends of every connection. */
	tx(f, hdr(VSOCK_OP_REQUEST, 1234, 5000, 0), NULL);
	fd2 = accept(lfd, NULL, NULL);
	assert_true(fd2 >= 0);
	wr(f, VPC_STATUS, 1, 0);
	assert_int_equal(recv(fd2, got, sizeof(got), 0), 0);
	assert_int_equal(f->vs->all.nr, 0);
	close(fd2);
	close(lfd);
}

/* ---- guest-input.md 16 ------------------------------------------------- */

static void bad_packets(void **state)
{
	struct fx *f = *state;
	struct vsock_hdr h;
	int lfd = -1, fd;

	rx_post(f, 12, RXSZ);
	h = hdr(VSOCK_OP_RW, 10, 20, VSOCK_MAX_PAYLOAD + 1);
	tx_raw(f, &h, NULL, VSOCK_HDR_SIZE, 0);
	expect_rx(f, VSOCK_OP_RST, 20, 10, NULL);
	h = hdr(VSOCK_OP_RW, 10, 20, 100);
	tx_raw(f, &h, NULL, VSOCK_HDR_SIZE + 99, 0);
	expect_rx(f, VSOCK_OP_RST, 20, 10, NULL);
	tx(f, hdr(9, 10, 20, 0), NULL);
	expect_rx(f, VSOCK_OP_RST, 20, 10, NULL);
	h = hdr(VSOCK_OP_REQUEST, 10, 20, 0);
	h.type = 2;				/* SEQPACKET: not offered */
	tx(f, h, NULL);
	expect_rx(f, VSOCK_OP_RST, 20, 10, NULL);
	tx(f, hdr(VSOCK_OP_RW, 10, 20, 0), NULL);	/* no connection */
	expect_rx(f, VSOCK_OP_RST, 20, 10, NULL);
	tx(f, hdr(VSOCK_OP_RST, 10, 20, 0), NULL);
	/* A short chain, a wrong CID: dropped, the buffer returned. */
	h = hdr(VSOCK_OP_REQUEST, 10, 20, 0);
	tx_raw(f, &h, NULL, 20, 0);
	h.src_cid = 99;
	tx(f, h, NULL);
	expect_nothing(f);
	assert_int_equal(used(f, 1)->idx, f->avail[1]);
	assert_int_equal(counted(f, VSOCK_C_TOO_LONG), 1);
	assert_int_equal(counted(f, VSOCK_C_TRUNCATED), 1);
	assert_int_equal(counted(f, VSOCK_C_BAD_OP), 1);
	assert_int_equal(counted(f, VSOCK_C_BAD_TYPE), 1);
	assert_int_equal(counted(f, VSOCK_C_NO_CONN), 1);
	assert_int_equal(counted(f, VSOCK_C_SHORT_HDR), 1);
	assert_int_equal(counted(f, VSOCK_C_BAD_CID), 1);
	assert_int_equal(status(f), 0xf);
	/* An unknown op on a live connection resets it. */
	fd = connected(f, &lfd, 4096);
	tx(f, hdr(42, 1234, 5000, 0), NULL);
	expect_rx(f, VSOCK_OP_RST, 5000, 1234, NULL);
	assert_int_equal(recv(fd, &h, 1, 0), 0);
	/* A second REQUEST on it too. */
	close(fd);
	fd = connected(f, &lfd, 4096);
	tx(f, hdr(VSOCK_OP_REQUEST, 1234, 5000, 0), NULL);
	expect_rx(f, VSOCK_OP_RST, 5000, 1234, NULL);
	assert_int_equal(counted(f, VSOCK_C_PROTOCOL), 1);
	close(fd);
	close(lfd);
}

static void rule8(void **state)
{
	struct fx *f = *state;
	struct vsock_hdr h = hdr(VSOCK_OP_RW, 10, 20, 0);

	tx_raw(f, &h, NULL, VSOCK_HDR_SIZE, VIRTQ_DESC_F_WRITE);
	assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	start(f);
	memset(f->avail, 0, sizeof(f->avail));
	memset(f->used_seen, 0, sizeof(f->used_seen));
	memset(f->ram + RING(0), 0, 0xc000);
	/* A device-readable rx buffer. */
	*desc(f, 0, 0) = (struct virtq_desc){ RXBUF, RXSZ, 0, 0 };
	offer(f, 0, 0);
	tx(f, hdr(VSOCK_OP_RW, 10, 20, 0), NULL);	/* owes a RST */
	assert_true(status(f) & VIRTIO_STATUS_NEEDS_RESET);
}

static void conn_limit(void **state)
{
	struct fx *f = *state;
	struct rlimit rl;
	int lfd = -1, *fds = calloc(VSOCK_MAX_CONNS, sizeof(int)), n = 0;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max < 2 * VSOCK_MAX_CONNS + 64) {
		free(fds);
		skip();
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	rx_post(f, QSZ, RXSZ);
	lfd = host_listen(f, 5000);
	for (uint32_t p = 0; p < VSOCK_MAX_CONNS; p++) {
		struct vsock_hdr h;

		tx(f, hdr(VSOCK_OP_REQUEST, 10000 + p, 5000, 0), NULL);
		expect_rx(f, VSOCK_OP_RESPONSE, 5000, 10000 + p, &h);
		rx_post(f, 1, RXSZ);
		fds[n] = accept(lfd, NULL, NULL);
		assert_true(fds[n++] >= 0);
	}
	assert_int_equal(f->vs->all.nr, VSOCK_MAX_CONNS);
	tx(f, hdr(VSOCK_OP_REQUEST, 9999, 5000, 0), NULL);
	expect_rx(f, VSOCK_OP_RST, 5000, 9999, NULL);
	assert_int_equal(counted(f, VSOCK_C_CONN_LIMIT), 1);
	/* Host clients are refused at the door too. */
	{
		int c = host_connect(f);
		uint8_t b;

		run(f, 20);
		assert_int_equal(recv(c, &b, 1, 0), 0);
		close(c);
	}
	while (n)
		close(fds[--n]);
	free(fds);
	close(lfd);
}

static void request_timeout(void **state)
{
	struct fx *f = *state;
	uint8_t b;
	int fd;

	rx_post(f, 4, RXSZ);
	fd = host_connect(f);
	assert_int_equal(send(fd, "CONNECT 80\n", 11, 0), 11);
	run(f, 20);
	expect_rx(f, VSOCK_OP_REQUEST, VSOCK_LOCAL_PORT_BASE, 80, NULL);
	/* The guest never answers: after the timeout, RST and EOF. */
	for (int i = 0; i < 40 && counted(f, VSOCK_C_TIMEOUTS) == 0; i++)
		run(f, 100);
	assert_int_equal(counted(f, VSOCK_C_TIMEOUTS), 1);
	expect_rx(f, VSOCK_OP_RST, VSOCK_LOCAL_PORT_BASE, 80, NULL);
	assert_int_equal(recv(fd, &b, 1, 0), 0);
	close(fd);
}

static void stale_socket(void **state)
{
	struct fx *f = *state;
	struct vsock_config cfg = { .enabled = true, .guest_cid = CID,
				    .uds_path = f->path };
	struct virtio_vsock *vs2;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char other[100];
	int fd;

	/* Someone listens there: refused. */
	assert_null(virtio_vsock_new(&cfg, &f->t.loop, NULL));
	/* A dead socket file is replaced. */
	snprintf(other, sizeof(other), "%s/dead.sock", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", other);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	cfg.uds_path = other;
	vs2 = virtio_vsock_new(&cfg, &f->t.loop, NULL);
	assert_non_null(vs2);
	vs2->vd.ops->destroy(&vs2->vd);
	assert_int_equal(access(other, F_OK), -1);
	cfg.guest_cid = 2;
	assert_null(virtio_vsock_new(&cfg, &f->t.loop, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse),
		cmocka_unit_test(sub_iov),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(guest_connect_data),
		T(guest_connect_refused),
		T(host_connect_ok),
		T(host_bad_line),
		T(credit_host_to_guest),
		T(no_rx_buffers),
		T(credit_guest_to_host),
		T(credit_pending_drains),
		T(shutdown_both_ways),
		T(guest_rst_and_reset),
		T(bad_packets),
		T(rule8),
		T(conn_limit),
		T(request_timeout),
		T(stale_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
