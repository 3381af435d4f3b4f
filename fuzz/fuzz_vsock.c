// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-vsock (src/virtio/vsock*.c): a fresh device
 * on PCI bus 0 per input, set up by a correct driver, then a script of
 * guest packets and host socket actions.  The packet parser, the
 * connection state machine, credit both ways and the rx delivery all
 * see fuzzed input; host Unix sockets are real (a temporary directory,
 * with a listener at <uds>_1 for guest-initiated connections).
 *
 * Input: a list of operations, each a kind byte then its bytes:
 *   0 tx packet   1 flags, 2 payload length (at most 4096), 44 header
 *                 bytes, then the payload.  flags: bit 0 keeps the fuzzed
 *                 CIDs (else the right ones), bit 1 splits the header over
 *                 two descriptors, bit 2 adds a device-writable one, bits
 *                 3-4 fold the ports into a few values so packets meet
 *                 connections, bit 5 makes type, op and len plausible
 *                 (bit 6: len is the payload's)
 *   1 rx buffers  count (1-8) and a size class
 *   2 host        accept on <uds>_1, or write, shut down or close one of
 *                 the accepted sockets (byte: which and what)
 *   3 client      connect to <uds> and send up to 24 input bytes (a
 *                 CONNECT line or anything)
 *   4 loop        turns of the event loop (kind >= 0xf0: the driver
 *                 resets the device and sets it up again)
 * vmon must neither crash nor trip a sanitizer, keep its connection count
 * under the limit and never hold more than the credit it gave.  See
 * fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../tests/unit/vp_fixture.h"
#include "lib/log.h"
#include "virtio/vsock.h"
#include "virtio/vsock_conn.h"

#define RAM_SIZE	0x200000
#define QSZ		16
#define RING(q)		(0x1000u + (q) * 0x4000u)
#define TXBUF		0x40000u	/* 16 slots of 0x2000 */
#define RXBUF		0x100000u	/* 16 slots of 0x8000 */
#define NHOST		8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *ram;
static char dir[64], uds[96];
static int listener = -1;

struct ctx {
	struct vp_fixture t;
	struct virtio_vsock *vs;
	uint16_t avail[3], tx_slot, rx_slot;
	int host[NHOST];
	const uint8_t *p, *end;
};

static void wr(struct ctx *c, uint64_t off, uint32_t len, uint64_t v)
{
	vpf_wr(&c->t, off, len, v);
}

static bool take(struct ctx *c, void *dst, size_t n)
{
	if ((size_t)(c->end - c->p) < n)
		return false;
	memcpy(dst, c->p, n);
	c->p += n;
	return true;
}

static void offer(struct ctx *c, int q, uint16_t head)
{
	struct virtq_avail *a = (void *)(ram + RING(q) + 0x1000);

	a->ring[c->avail[q]++ % QSZ] = head;
	a->idx = c->avail[q];
	wr(c, VP_NOTIFY_OFF + 4u * q, 2, q);
}

static void turns(struct ctx *c, int n)
{
	while (n-- && evloop_run_once(&c->t.loop, 0) > 0)
		;
}

static void once(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	ram = malloc(RAM_SIZE);
	snprintf(dir, sizeof(dir), "/tmp/vmon-fuzz-vsock.XXXXXX");
	if (!ram || !mkdtemp(dir))
		abort();
	snprintf(uds, sizeof(uds), "%s/v.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_1", uds);
	listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(listener, 64))
		abort();
	log_set_level(LOG_OFF);
}

static void tx_packet(struct ctx *c)
{
	uint8_t flags;
	uint16_t plen;
	struct vsock_hdr h;
	uint16_t d = c->tx_slot++ % (QSZ / 2) * 2, n = 1;
	uint32_t at = TXBUF + d * 0x1000u, total;
	struct virtq_desc *t = (void *)(ram + RING(1));

	if (!take(c, &flags, 1) || !take(c, &plen, 2) || !take(c, &h, sizeof(h)))
		return;
	plen %= 4097;
	if (!(flags & 1)) {
		h.src_cid = c->vs->guest_cid;
		h.dst_cid = VSOCK_HOST_CID;
	}
	if (flags & 8) {
		h.src_port %= 4;
		h.dst_port %= 3;	/* 1: the host listener */
	}
	if (flags & 16)
		h.dst_port = (h.dst_port & 3) + VSOCK_LOCAL_PORT_BASE;
	if (flags & 32) {	/* mostly well-formed */
		h.type = VSOCK_TYPE_STREAM;
		h.op %= 8;
		h.len = flags & 64 ? plen : h.len % (plen + 1u);
	}
	memcpy(ram + at, &h, sizeof(h));
	total = sizeof(h) + plen;
	if ((size_t)(c->end - c->p) >= plen) {
		memcpy(ram + at + sizeof(h), c->p, plen);
		c->p += plen;
	}
	if (flags & 2) {	/* two descriptors, split inside the header */
		t[d] = (struct virtq_desc){ at, 20, VIRTQ_DESC_F_NEXT,
					    (uint16_t)(d + 1) };
		t[d + 1] = (struct virtq_desc){ at + 20, total - 20, 0, 0 };
		n = 2;
	} else {
		t[d] = (struct virtq_desc){ at, total, 0, 0 };
	}
	if (flags & 4) {	/* a writable tail: rule 8 */
		t[d + n - 1].flags |= VIRTQ_DESC_F_NEXT;
		t[d + n - 1].next = (uint16_t)(d + n);
		t[(d + n) % QSZ] = (struct virtq_desc){ at, 8,
						       VIRTQ_DESC_F_WRITE, 0 };
	}
	offer(c, 1, d);
}

static void rx_buffers(struct ctx *c)
{
	static const uint32_t sizes[] = { 8, 44, 45, 100, 4096, 0x8000 };
	uint8_t b[2];
	struct virtq_desc *t = (void *)(ram + RING(0));

	if (!take(c, b, 2))
		return;
	for (int i = 0; i < b[0] % 8 + 1; i++) {
		uint16_t d = c->rx_slot++ % QSZ;

		t[d] = (struct virtq_desc){ RXBUF + d * 0x8000u,
					    sizes[b[1] % 6], VIRTQ_DESC_F_WRITE,
					    0 };
		offer(c, 0, d);
	}
}

static void host_action(struct ctx *c)
{
	uint8_t b;
	int i, fd;

	if (!take(c, &b, 1))
		return;
	i = b % NHOST;
	switch (b >> 4 & 3) {
	case 0:
		fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
		if (fd >= 0 && c->host[i] < 0)
			c->host[i] = fd;
		else if (fd >= 0)
			close(fd);
		break;
	case 1:
		if (c->host[i] >= 0)
			send(c->host[i], c->p, (size_t)(c->end - c->p) % 3000,
			     MSG_NOSIGNAL | MSG_DONTWAIT);
		break;
	case 2:
		if (c->host[i] >= 0)
			shutdown(c->host[i], b & 0x40 ? SHUT_WR : SHUT_RDWR);
		break;
	default:
		if (c->host[i] >= 0)
			close(c->host[i]);
		c->host[i] = -1;
		break;
	}
}

static void client(struct ctx *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint8_t b;
	int fd, slot;

	if (!take(c, &b, 1))
		return;
	slot = b % NHOST;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", uds);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return;
	}
	if (b & 0x80) {
		char line[24];
		int n = snprintf(line, sizeof(line), "CONNECT %u\n", b & 3);

		send(fd, line, (size_t)n, MSG_NOSIGNAL);
	} else {
		size_t n = (size_t)(c->end - c->p) < 24 ?
			   (size_t)(c->end - c->p) : 24;

		send(fd, c->p, n, MSG_NOSIGNAL);
		c->p += n;
	}
	if (c->host[slot] >= 0)
		close(c->host[slot]);
	c->host[slot] = fd;
}

static void start(struct ctx *c)
{
	vpf_negotiate(&c->t, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	for (uint16_t q = 0; q < 3; q++)
		vpf_queue(&c->t, q, QSZ, RING(q), RING(q) + 0x1000,
			  RING(q) + 0x2000);
	vpf_driver_ok(&c->t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsock_config cfg = { .enabled = true, .guest_cid = 3 };
	struct ctx c = { .p = data, .end = data + size };
	uint8_t kind;
	int fd;

	if (!ram)
		once();
	memset(ram, 0, RAM_SIZE);
	for (int i = 0; i < NHOST; i++)
		c.host[i] = -1;
	cfg.uds_path = uds;
	if (vpf_init(&c.t, ram, RAM_SIZE) ||
	    !(c.vs = virtio_vsock_new(&cfg, &c.t.loop, NULL)) ||
	    vpf_plug(&c.t, &c.vs->vd))
		abort();
	start(&c);
	for (int ops = 0; ops < 256 && take(&c, &kind, 1); ops++) {
		switch (kind % 5) {
		case 0: tx_packet(&c); break;
		case 1: rx_buffers(&c); break;
		case 2: host_action(&c); break;
		case 3: client(&c); break;
		default:
			if (kind >= 0xf0) {	/* the driver starts over */
				memset(ram, 0, RING(3));
				memset(c.avail, 0, sizeof(c.avail));
				start(&c);
			}
			turns(&c, kind >> 4);
			break;
		}
		turns(&c, 2);
		if (c.vs->all.nr > VSOCK_MAX_CONNS)
			abort();
		for (struct vsock_conn *k = c.vs->all.head; k;
		     k = k->link[VSOCK_L_ALL].next)
			if (k->pend_len > VSOCK_BUF_ALLOC)
				abort();
	}
	virtio_pci_destroy(c.t.vp);
	c.t.vp = NULL;
	for (int i = 0; i < NHOST; i++)
		if (c.host[i] >= 0)
			close(c.host[i]);
	/* Connections vmon made to <uds>_1 that nobody accepted. */
	while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0)
		close(fd);
	vpf_fini(&c.t);
	return 0;
}
