// SPDX-License-Identifier: MIT
/*
 * Unit tests for virtio-net (src/virtio/net.c) on the real virtio-pci
 * transport, without KVM: hand-built rings in a malloc'd guest RAM, and
 * one end of a SOCK_SEQPACKET socketpair in place of the TAP (one message
 * per frame, vnet header included, as a TAP reads and writes them).
 * Covers configuration, offload negotiation, transmit (guest-input rule
 * 15 included), receive with and without MRG_RXBUF, the TAP being paused
 * without buffers, batching, reset and a backend that goes away.
 * test_virtio_net_parse.c has net_tx_build, the MAC and --net.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/bus.h"
#include "core/evloop.h"
#include "lib/clock.h"
#include "pci/pci.h"
#include "virtio/net.h"
#include "virtio/tap.h"
#include "unit/metrics_line.h"
#include "unit/vp_fixture.h"
#include "virtio/virtio_pci.h"

#define RAM_SIZE	(1u << 20)
#define RXBUF		0x10000ull	/* receive buffers */
#define TXBUF		0x80000ull	/* transmit buffers */

static const uint64_t q_desc[2] = { 0x1000, 0x4000 };
static const uint64_t q_avail[2] = { 0x2000, 0x5000 };
static const uint64_t q_used[2] = { 0x3000, 0x6000 };
static const uint8_t mac[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 };

struct fx {
	struct vp_fixture t;	/* buses, loop, bus 0, the device */
	struct metrics reg;
	uint8_t *ram;
	struct virtio_net *net;
	int peer;			/* the TAP's side */
	uint16_t size[2], avail_idx[2];
	uint8_t msg[NET_HDR_LEN + NET_FRAME_MAX + 64];
};

static unsigned int offload_calls, last_offload;

static int record_offload(int fd, unsigned int offload)
{
	offload_calls++;
	last_offload = offload;
	return 0;
}

static const struct rate_limiter_config *rx_limit, *tx_limit;

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_net_params p = { .tap = "tap-test", .loop = &f->t.loop,
				       .registry = &f->reg,
				       .rx_limit = rx_limit,
				       .tx_limit = tx_limit };
	int sv[2], big = 4 << 20;

	signal(SIGPIPE, SIG_IGN);	/* vmon ignores it too */
	f->ram = calloc(1, RAM_SIZE);
	assert_int_equal(vpf_init(&f->t, f->ram, RAM_SIZE), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK |
				    SOCK_CLOEXEC, 0, sv), 0);
	/* Room for a few hundred frames in flight (root may exceed wmem_max). */
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	p.fd = sv[0];
	f->peer = sv[1];
	memcpy(p.mac, mac, 6);
	f->net = virtio_net_new(&p);
	assert_non_null(f->net);
	f->net->set_offload = record_offload;
	assert_int_equal(vpf_plug(&f->t, &f->net->vd), 0);
	offload_calls = last_offload = 0;
	*state = f;
	return 0;
}

/* Both ways: 1000 bytes per 100 ms (10 kB/s). */
static int setup_limited(void **state)
{
	static const struct rate_limiter_config l = { .bytes = { 1000, 0, 100 } };
	int ret;

	rx_limit = tx_limit = &l;
	ret = setup(state);
	rx_limit = tx_limit = NULL;
	return ret;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vpf_fini(&f->t);
	assert_null(f->reg.head);	/* the counters were unregistered */
	if (f->peer >= 0)
		close(f->peer);
	free(f->ram);
	free(f);
	return 0;
}

/* ---- driver helpers ------------------------------------------------------ */

static uint64_t rd(struct fx *f, uint64_t off, uint32_t len)
{
	return vpf_rd(&f->t, off, len);
}

static void wr(struct fx *f, uint64_t off, uint32_t len, uint64_t v)
{
	vpf_wr(&f->t, off, len, v);
}

#define NF(b)	VIRTIO_BIT(VIRTIO_NET_F_##b)
#define F_V1	VIRTIO_BIT(VIRTIO_F_VERSION_1)

static void pump(struct fx *f)
{
	vpf_run(&f->t, 0);
}

/* A running device with both queues of `size` entries. */
static void start(struct fx *f, uint64_t features, uint16_t size)
{
	memset(f->ram, 0, 0x8000);
	assert_int_equal(vpf_negotiate(&f->t, features | F_V1), VPF_S_FOK);
	for (uint16_t q = 0; q < 2; q++) {
		vpf_queue(&f->t, q, size, q_desc[q], q_avail[q], q_used[q]);
		f->size[q] = size;
		f->avail_idx[q] = 0;
	}
	assert_int_equal(vpf_driver_ok(&f->t), VPF_S_OK);
	pump(f);
}

static void desc(struct fx *f, int q, uint16_t i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	((struct virtq_desc *)(f->ram + q_desc[q]))[i] =
		(struct virtq_desc){ addr, len, flags, next };
}

static void offer(struct fx *f, int q, uint16_t head)
{
	struct virtq_avail *a = (struct virtq_avail *)(f->ram + q_avail[q]);

	a->ring[f->avail_idx[q]++ % f->size[q]] = head;
	a->idx = f->avail_idx[q];
}

static void kick(struct fx *f, int q)
{
	wr(f, VP_NOTIFY_OFF + VP_NOTIFY_MULT * (uint64_t)q, 2, (uint64_t)q);
	pump(f);
}

static struct virtq_used *used(struct fx *f, int q)
{
	return (struct virtq_used *)(f->ram + q_used[q]);
}

static bool needs_reset(struct fx *f)
{
	return rd(f, VPC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET;
}

/* A frame to ff:ff:ff:ff:ff:ff, ethertype 0x88b5, `len` bytes. */
static void make_frame(uint8_t *p, size_t len, uint8_t seed)
{
	memset(p, 0xff, 6);
	memcpy(p + 6, mac, 6);
	p[12] = 0x88;
	p[13] = 0xb5;
	for (size_t i = 14; i < len; i++)
		p[i] = (uint8_t)(seed + i);
}

/* One-buffer transmit chain at descriptor `slot`: header + frame. */
static void tx_put(struct fx *f, uint16_t slot, const struct virtio_net_hdr *h,
		   size_t frame_len, uint8_t seed)
{
	uint64_t at = TXBUF + (uint64_t)slot * 2048;

	memcpy(f->ram + at, h, NET_HDR_LEN);
	make_frame(f->ram + at + NET_HDR_LEN, frame_len, seed);
	desc(f, NET_TXQ, slot, at, (uint32_t)(NET_HDR_LEN + frame_len), 0, 0);
	offer(f, NET_TXQ, slot);
}

static ssize_t peer_recv(struct fx *f)
{
	return recv(f->peer, f->msg, sizeof(f->msg), MSG_DONTWAIT);
}

static void peer_send(struct fx *f, uint8_t flags, size_t frame_len,
		      uint8_t seed)
{
	uint8_t m[NET_HDR_LEN + 4096] = { flags };

	m[10] = 7;	/* num_buffers junk: vmon must overwrite it */
	make_frame(m + NET_HDR_LEN, frame_len, seed);
	assert_int_equal(send(f->peer, m, NET_HDR_LEN + frame_len, 0),
			 (ssize_t)(NET_HDR_LEN + frame_len));
}

/* ---- identity, configuration, offloads ----------------------------------- */

static void identity_and_config(void **state)
{
	struct fx *f = *state;
	uint8_t m[6];

	assert_int_equal(pci_cfg_read(&f->t.h, f->t.vp->pci.slot, 0, 0, 4),
			 0x10411af4);
	assert_int_equal(pci_cfg_read(&f->t.h, f->t.vp->pci.slot, 0, 8, 4) >> 8,
			 0x020000);
	assert_int_equal(rd(f, VPC_NUM_QUEUES, 2), 2);
	wr(f, VPC_DFSELECT, 4, 0);
	assert_int_equal(rd(f, VPC_DF, 4),
			 NF(CSUM) | NF(GUEST_CSUM) | NF(MAC) | NF(GUEST_TSO4) |
			 NF(GUEST_TSO6) | NF(HOST_TSO4) | NF(HOST_TSO6) |
			 NF(MRG_RXBUF) | NF(STATUS) |
			 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
			 VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)rd(f, VP_DEVICE_OFF + (uint64_t)i, 1);
	assert_memory_equal(m, mac, 6);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 6, 2), VIRTIO_NET_S_LINK_UP);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 8, 2), 1);
	assert_int_equal(rd(f, VP_DEVICE_OFF + 4, 4), 0x00010200);
	/* Past the end reads 0; writes change nothing (no CTRL_MAC_ADDR). */
	assert_int_equal(rd(f, VP_DEVICE_OFF + 8, 4), 1);
	wr(f, VP_DEVICE_OFF, 4, 0xffffffff);
	assert_int_equal(rd(f, VP_DEVICE_OFF, 4), 0x10ac0006);
}

static void offloads_follow_features(void **state)
{
	struct fx *f = *state;

	start(f, NF(GUEST_CSUM) | NF(GUEST_TSO4) | NF(GUEST_TSO6), 16);
	assert_int_equal(last_offload, TAP_OFFLOAD_CSUM | TAP_OFFLOAD_TSO4 |
			 TAP_OFFLOAD_TSO6);
	/* TSO without GUEST_CSUM (5.1.3.1 forbids it): the TAP gets none. */
	start(f, NF(GUEST_TSO4), 16);
	assert_int_equal(last_offload, 0);
	start(f, NF(GUEST_CSUM), 16);
	assert_int_equal(last_offload, TAP_OFFLOAD_CSUM);
	start(f, NF(CSUM) | NF(HOST_TSO4), 16);
	assert_int_equal(last_offload, 0);
	assert_int_equal(offload_calls, 4);
}

/* ---- transmit ---------------------------------------------------------------- */

static void tx_one_frame(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID,
				    .num_buffers = 9 };
	struct virtio_net_hdr *got = (struct virtio_net_hdr *)f->msg;
	uint8_t frame[60];

	start(f, 0, 16);
	tx_put(f, 3, &h, 60, 1);
	kick(f, NET_TXQ);
	assert_int_equal(peer_recv(f), NET_HDR_LEN + 60);
	assert_int_equal(got->flags, 0);	/* unknown flags dropped */
	assert_int_equal(got->num_buffers, 0);
	make_frame(frame, 60, 1);
	assert_memory_equal(f->msg + NET_HDR_LEN, frame, 60);
	assert_int_equal(used(f, NET_TXQ)->idx, 1);
	assert_int_equal(used(f, NET_TXQ)->ring[0].id, 3);
	assert_int_equal(used(f, NET_TXQ)->ring[0].len, 0);
	assert_int_equal(net_counter(f->net, NET_M_TX_PACKETS), 1);
	assert_int_equal(net_counter(f->net, NET_M_TX_BYTES), 60);
	assert_int_equal(peer_recv(f), -1);
}

/* Header split 5 + 7 bytes, the frame over three more buffers. */
static void tx_scattered(void **state)
{
	struct fx *f = *state;
	static const uint32_t len[5] = { 5, 7 + 20, 1, 100, 479 };
	uint8_t frame[600];
	uint64_t at = TXBUF;
	size_t off = 0;

	start(f, 0, 16);
	make_frame(frame, 600, 9);
	memset(f->ram + at, 0, NET_HDR_LEN);
	memcpy(f->ram + at + NET_HDR_LEN, frame, 600);
	for (uint16_t i = 0; i < 5; i++) {
		desc(f, NET_TXQ, i, at + off, len[i], i < 4 ? VIRTQ_DESC_F_NEXT : 0,
		     (uint16_t)(i + 1));
		off += len[i];
	}
	offer(f, NET_TXQ, 0);
	kick(f, NET_TXQ);
	assert_int_equal(peer_recv(f), NET_HDR_LEN + 600);
	assert_memory_equal(f->msg + NET_HDR_LEN, frame, 600);
}

/* With CSUM and HOST_TSO4 the offload fields pass through untouched. */
static void tx_offloads(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr h = { VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    VIRTIO_NET_HDR_GSO_TCPV4, 54, 1448, 34, 16,
				    0 };
	struct virtio_net_hdr bad = h;

	start(f, NF(CSUM) | NF(HOST_TSO4), 16);
	tx_put(f, 0, &h, 1000, 2);
	kick(f, NET_TXQ);
	assert_int_equal(peer_recv(f), NET_HDR_LEN + 1000);
	assert_memory_equal(f->msg, &h, NET_HDR_LEN);
	/* A checksum field outside the frame; gso_size 0; TSO6 not taken. */
	bad.csum_start = 990;
	tx_put(f, 1, &bad, 1000, 2);
	bad = h;
	bad.gso_size = 0;
	tx_put(f, 2, &bad, 1000, 2);
	bad = h;
	bad.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	tx_put(f, 3, &bad, 1000, 2);
	kick(f, NET_TXQ);
	assert_int_equal(peer_recv(f), -1);
	assert_int_equal(net_counter(f->net, NET_M_TX_MALFORMED), 3);
	assert_int_equal(used(f, NET_TXQ)->idx, 4);
	assert_false(needs_reset(f));
}

/* Guest-input rule 15: each is dropped, counted, completed with 0. */
static void tx_malformed(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr h = { 0 };
	uint16_t n = 0;

	start(f, 0, 16);
	/* Shorter than the header; header but no Ethernet header. */
	desc(f, NET_TXQ, 0, TXBUF, 8, 0, 0);
	offer(f, NET_TXQ, 0);
	desc(f, NET_TXQ, 1, TXBUF, NET_HDR_LEN + NET_ETH_HLEN - 1, 0, 0);
	offer(f, NET_TXQ, 1);
	/* One byte over the largest frame, in two buffers. */
	desc(f, NET_TXQ, 2, TXBUF, 40000, VIRTQ_DESC_F_NEXT, 3);
	desc(f, NET_TXQ, 3, TXBUF, NET_HDR_LEN + NET_FRAME_MAX + 1 - 40000, 0, 0);
	offer(f, NET_TXQ, 2);
	/* A device-writable buffer in a transmit chain. */
	desc(f, NET_TXQ, 4, TXBUF, 100, VIRTQ_DESC_F_NEXT, 5);
	desc(f, NET_TXQ, 5, TXBUF + 4096, 100, VIRTQ_DESC_F_WRITE, 0);
	offer(f, NET_TXQ, 4);
	n = 4;
	/* Offloads never negotiated: checksum, TCPv4, UDP (never offered). */
	h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	tx_put(f, 6, &h, 100, 0);
	h.flags = 0;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h.gso_size = 1000;
	tx_put(f, 7, &h, 100, 0);
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	tx_put(f, 8, &h, 100, 0);
	n += 3;
	kick(f, NET_TXQ);
	assert_int_equal(used(f, NET_TXQ)->idx, n);
	for (uint16_t i = 0; i < n; i++)
		assert_int_equal(used(f, NET_TXQ)->ring[i].len, 0);
	assert_int_equal(net_counter(f->net, NET_M_TX_MALFORMED), n);
	assert_int_equal(net_counter(f->net, NET_M_TX_PACKETS), 0);
	assert_int_equal(peer_recv(f), -1);
	assert_false(needs_reset(f));
	/* The device keeps working; the largest frame itself is fine. */
	memset(&h, 0, sizeof(h));
	tx_put(f, 9, &h, 60, 4);
	memset(f->ram + TXBUF + 0x20000, 0, NET_HDR_LEN);
	desc(f, NET_TXQ, 10, TXBUF + 0x20000, NET_HDR_LEN + NET_FRAME_MAX, 0, 0);
	offer(f, NET_TXQ, 10);
	kick(f, NET_TXQ);
	assert_int_equal(peer_recv(f), NET_HDR_LEN + 60);
	assert_int_equal(peer_recv(f), NET_HDR_LEN + NET_FRAME_MAX);
	assert_int_equal(net_counter(f->net, NET_M_TX_PACKETS), 2);
}

/* At most NET_TX_BATCH frames per turn of the loop; the rest follow. */
static void tx_batch(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr h = { 0 };
	unsigned int got = 0;

	start(f, 0, 256);
	for (uint16_t i = 0; i < 200; i++)
		tx_put(f, i, &h, 60, (uint8_t)i);
	wr(f, VP_NOTIFY_OFF + VP_NOTIFY_MULT, 2, 1);
	assert_int_equal(evloop_run_once(&f->t.loop, 0), 1);
	assert_int_equal(net_counter(f->net, NET_M_TX_PACKETS), NET_TX_BATCH);
	assert_int_equal(used(f, NET_TXQ)->idx, NET_TX_BATCH);
	pump(f);
	assert_int_equal(used(f, NET_TXQ)->idx, 200);
	while (peer_recv(f) == NET_HDR_LEN + 60)
		got++;
	assert_int_equal(got, 200);
}

/* The backend fails: the frame is counted as lost, completed, no more. */
static void tx_backend_error(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr h = { 0 };

	start(f, 0, 16);
	close(f->peer);
	f->peer = -1;
	pump(f);			/* the hang-up takes the fd off the loop */
	assert_true(f->net->tap_gone);
	tx_put(f, 0, &h, 60, 0);
	kick(f, NET_TXQ);
	assert_int_equal(net_counter(f->net, NET_M_TAP_WRITE_FAILS), 1);
	assert_int_equal(used(f, NET_TXQ)->idx, 1);
	assert_false(needs_reset(f));
	assert_int_equal(evloop_run_once(&f->t.loop, 0), 0);	/* no spin */
}

/* ---- receive ------------------------------------------------------------------ */

/* `n` receive chains of one `len`-byte buffer each, from descriptor 0. */
static void rx_post(struct fx *f, uint16_t first, uint16_t n, uint32_t len)
{
	for (uint16_t i = first; i < first + n; i++) {
		desc(f, NET_RXQ, i, RXBUF + (uint64_t)i * len, len,
		     VIRTQ_DESC_F_WRITE, 0);
		offer(f, NET_RXQ, i);
	}
	kick(f, NET_RXQ);
}

static struct virtio_net_hdr *rx_hdr(struct fx *f, uint64_t at)
{
	return (struct virtio_net_hdr *)(f->ram + at);
}

static void rx_one_frame(void **state)
{
	struct fx *f = *state;
	uint8_t frame[100];

	start(f, 0, 16);
	rx_post(f, 0, 4, 2048);
	assert_true(f->net->watching);
	peer_send(f, VIRTIO_NET_HDR_F_DATA_VALID, 100, 5);
	pump(f);
	assert_int_equal(used(f, NET_RXQ)->idx, 1);
	assert_int_equal(used(f, NET_RXQ)->ring[0].id, 0);
	assert_int_equal(used(f, NET_RXQ)->ring[0].len, NET_HDR_LEN + 100);
	/* No GUEST_CSUM: flags 0 (5.1.6.4.1); no MRG_RXBUF: num_buffers 1. */
	assert_int_equal(rx_hdr(f, RXBUF)->flags, 0);
	assert_int_equal(rx_hdr(f, RXBUF)->num_buffers, 1);
	make_frame(frame, 100, 5);
	assert_memory_equal(f->ram + RXBUF + NET_HDR_LEN, frame, 100);
	assert_int_equal(net_counter(f->net, NET_M_RX_PACKETS), 1);
	assert_int_equal(net_counter(f->net, NET_M_RX_BYTES), 100);

	/* With GUEST_CSUM the kernel's flags reach the driver. */
	start(f, NF(GUEST_CSUM), 16);
	rx_post(f, 0, 1, 2048);
	peer_send(f, VIRTIO_NET_HDR_F_DATA_VALID, 100, 5);
	pump(f);
	assert_int_equal(rx_hdr(f, RXBUF)->flags, VIRTIO_NET_HDR_F_DATA_VALID);
}

/* The header split over buffers: num_buffers lands across the boundary. */
static void rx_split_header(void **state)
{
	struct fx *f = *state;

	start(f, 0, 16);
	desc(f, NET_RXQ, 0, RXBUF, 11, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	desc(f, NET_RXQ, 1, RXBUF + 0x100, 2000, VIRTQ_DESC_F_WRITE, 0);
	f->ram[RXBUF + 0x100] = 0xee;
	offer(f, NET_RXQ, 0);
	kick(f, NET_RXQ);
	peer_send(f, 0, 60, 1);
	pump(f);
	assert_int_equal(used(f, NET_RXQ)->ring[0].len, NET_HDR_LEN + 60);
	assert_int_equal(f->ram[RXBUF + 10], 1);	/* num_buffers, low */
	assert_int_equal(f->ram[RXBUF + 0x100], 0);	/* and high byte */
	assert_int_equal(f->ram[RXBUF + 0x101], 0xff);	/* the frame */
}

static void rx_mergeable(void **state)
{
	struct fx *f = *state;
	uint8_t frame[3000];

	start(f, NF(MRG_RXBUF), 16);
	rx_post(f, 0, 8, 1024);
	assert_int_equal(f->net->rx_nr, 8);	/* held: less than 64 KiB */
	peer_send(f, 0, 3000, 3);
	pump(f);
	assert_int_equal(used(f, NET_RXQ)->idx, 3);
	assert_int_equal(used(f, NET_RXQ)->ring[0].len, 1024);
	assert_int_equal(used(f, NET_RXQ)->ring[1].len, 1024);
	assert_int_equal(used(f, NET_RXQ)->ring[2].len, 3012 - 2048);
	assert_int_equal(rx_hdr(f, RXBUF)->num_buffers, 3);
	make_frame(frame, 3000, 3);
	assert_memory_equal(f->ram + RXBUF + NET_HDR_LEN, frame, 3000);
	/* The next frame starts in the fourth chain. */
	peer_send(f, 0, 100, 4);
	pump(f);
	assert_int_equal(used(f, NET_RXQ)->idx, 4);
	assert_int_equal(used(f, NET_RXQ)->ring[3].id, 3);
	assert_int_equal(used(f, NET_RXQ)->ring[3].len, NET_HDR_LEN + 100);
	assert_int_equal(rx_hdr(f, RXBUF + 3 * 1024)->num_buffers, 1);
	assert_int_equal(f->net->rx_nr, 4);
	/* A reset forgets the held chains; a new start begins clean. */
	wr(f, VPC_STATUS, 1, 0);
	assert_int_equal(f->net->rx_nr, 0);
	start(f, NF(MRG_RXBUF), 16);
	rx_post(f, 0, 2, 1024);
	peer_send(f, 0, 100, 4);
	pump(f);
	assert_int_equal(used(f, NET_RXQ)->idx, 1);
	assert_int_equal(used(f, NET_RXQ)->ring[0].id, 0);
}

/* A frame larger than the buffers is dropped; the buffers serve the next. */
static void rx_too_large(void **state)
{
	struct fx *f = *state;

	start(f, 0, 16);
	rx_post(f, 0, 1, 256);
	peer_send(f, 0, 1000, 1);
	peer_send(f, 0, 256 - NET_HDR_LEN, 2);	/* fits exactly */
	pump(f);
	assert_int_equal(net_counter(f->net, NET_M_RX_DROPPED), 1);
	assert_int_equal(used(f, NET_RXQ)->idx, 1);
	assert_int_equal(used(f, NET_RXQ)->ring[0].len, 256);
	assert_int_equal(f->ram[RXBUF + NET_HDR_LEN + 21], 2 + 21); /* seed 2 */
	/* Merged buffers too: 2 x 512 cannot hold 1500 bytes. */
	start(f, NF(MRG_RXBUF), 16);
	rx_post(f, 0, 2, 512);
	peer_send(f, 0, 1500, 3);
	peer_send(f, 0, 900, 4);
	pump(f);
	assert_int_equal(net_counter(f->net, NET_M_RX_DROPPED), 2);
	assert_int_equal(used(f, NET_RXQ)->idx, 2);
	assert_int_equal(rx_hdr(f, RXBUF)->num_buffers, 2);
	assert_int_equal(used(f, NET_RXQ)->ring[1].len, 912 - 512);
}

/* No buffers: the TAP is off the loop until the driver adds some. */
static void rx_waits_for_buffers(void **state)
{
	struct fx *f = *state;

	start(f, 0, 16);
	peer_send(f, 0, 60, 1);
	pump(f);
	assert_false(f->net->watching);
	assert_int_equal(evloop_run_once(&f->t.loop, 0), 0);	/* no spin */
	rx_post(f, 0, 1, 2048);
	assert_int_equal(used(f, NET_RXQ)->idx, 1);
	assert_int_equal(used(f, NET_RXQ)->ring[0].len, NET_HDR_LEN + 60);
	/* The only buffer is used: off again, the next frame waits. */
	peer_send(f, 0, 60, 2);
	pump(f);
	assert_false(f->net->watching);
	assert_int_equal(used(f, NET_RXQ)->idx, 1);
	assert_int_equal(net_counter(f->net, NET_M_RX_NO_BUFFER), 1);
	rx_post(f, 1, 1, 2048);
	assert_int_equal(used(f, NET_RXQ)->idx, 2);
}

static void rx_batch(void **state)
{
	struct fx *f = *state;

	start(f, 0, 256);
	for (int i = 0; i < 200; i++)
		peer_send(f, 0, 60, (uint8_t)i);
	for (uint16_t i = 0; i < 256; i++) {
		desc(f, NET_RXQ, i, RXBUF + (uint64_t)i * 1024, 1024,
		     VIRTQ_DESC_F_WRITE, 0);
		offer(f, NET_RXQ, i);
	}
	/* One turn of the loop: the notification serves one batch. */
	wr(f, VP_NOTIFY_OFF, 2, NET_RXQ);
	assert_int_equal(evloop_run_once(&f->t.loop, 0), 1);
	assert_int_equal(used(f, NET_RXQ)->idx, NET_RX_BATCH);
	/* The rest when the TAP is readable again, on later turns. */
	pump(f);
	assert_int_equal(used(f, NET_RXQ)->idx, 200);
	assert_int_equal(net_counter(f->net, NET_M_RX_PACKETS), 200);
	assert_true(net_counter(f->net, NET_M_RX_TAP_EVENTS) >= 1);
}

/* Receive chains the device cannot use. */
static void rx_bad_chains(void **state)
{
	struct fx *f = *state;

	start(f, 0, 16);
	desc(f, NET_RXQ, 0, RXBUF, 8, VIRTQ_DESC_F_WRITE, 0);	/* < header */
	offer(f, NET_RXQ, 0);
	desc(f, NET_RXQ, 1, RXBUF + 2048, 2048, VIRTQ_DESC_F_WRITE, 0);
	offer(f, NET_RXQ, 1);
	kick(f, NET_RXQ);
	assert_int_equal(used(f, NET_RXQ)->idx, 1);
	assert_int_equal(used(f, NET_RXQ)->ring[0].len, 0);
	assert_int_equal(net_counter(f->net, NET_M_RX_BAD_CHAINS), 1);
	peer_send(f, 0, 60, 1);
	pump(f);
	assert_int_equal(used(f, NET_RXQ)->idx, 2);
	assert_int_equal(used(f, NET_RXQ)->ring[1].id, 1);
	assert_false(needs_reset(f));
	/* A device-readable buffer where the device must write: rule 8. */
	desc(f, NET_RXQ, 2, RXBUF, 2048, 0, 0);
	offer(f, NET_RXQ, 2);
	kick(f, NET_RXQ);
	assert_true(needs_reset(f));
	peer_send(f, 0, 60, 1);
	pump(f);
	assert_false(f->net->watching);
	assert_int_equal(used(f, NET_RXQ)->idx, 2);
}

static void backend_hangup(void **state)
{
	struct fx *f = *state;

	start(f, 0, 16);
	rx_post(f, 0, 2, 2048);
	close(f->peer);
	f->peer = -1;
	pump(f);
	assert_true(f->net->tap_gone);
	assert_false(needs_reset(f));
	assert_int_equal(evloop_run_once(&f->t.loop, 0), 0);
	rx_post(f, 2, 1, 2048);		/* harmless afterwards */
	assert_int_equal(used(f, NET_RXQ)->idx, 0);
}

/* ---- rate limits ------------------------------------------------------------ */

/* Run the loop until used->idx of q is `want`, or 2 s: the time taken. */
static uint64_t wait_used(struct fx *f, int q, uint16_t want)
{
	uint64_t t0 = clock_mono_ns();

	while (used(f, q)->idx != want &&
	       clock_mono_ns() - t0 < 2000000000ULL)
		evloop_run_once(&f->t.loop, 5);
	return clock_mono_ns() - t0;
}

/*
 * A transmit frame past the budget stays in the ring (the queue is not
 * read meanwhile, nothing spins) and goes when the timer fires; a PATCH
 * turning the bucket off sends what waits at once.
 */
static void tx_rate_limited(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr h = { 0 };
	struct rate_limiter_patch off = { .bytes = true };
	uint64_t waited;

	start(f, 0, 16);
	for (uint16_t i = 0; i < 3; i++)
		tx_put(f, i, &h, 400, (uint8_t)i);
	kick(f, NET_TXQ);
	/* 800 of the bucket's 1000 bytes: the third (400) must wait. */
	assert_int_equal(used(f, NET_TXQ)->idx, 2);
	assert_int_equal(peer_recv(f), NET_HDR_LEN + 400);
	assert_int_equal(peer_recv(f), NET_HDR_LEN + 400);
	assert_int_equal(peer_recv(f), -1);
	assert_int_equal(counter_get(&f->net->tx_limit.throttled), 1);
	assert_int_equal(metrics_flush_counter(&f->reg, "net_tap_test",
					       "tx_rate_limiter_throttled"),
			 1);
	assert_int_equal(evloop_run_once(&f->t.loop, 0), 0);	/* no spin */
	kick(f, NET_TXQ);		/* a notification changes nothing */
	assert_int_equal(used(f, NET_TXQ)->idx, 2);
	/* 200 bytes short at 10 kB/s: 20 ms. */
	waited = wait_used(f, NET_TXQ, 3);
	assert_int_equal(used(f, NET_TXQ)->idx, 3);
	assert_true(waited >= 10000000ULL);
	assert_int_equal(peer_recv(f), NET_HDR_LEN + 400);
	assert_int_equal(net_counter(f->net, NET_M_TX_BYTES), 1200);

	tx_put(f, 3, &h, 900, 3);
	kick(f, NET_TXQ);
	assert_int_equal(used(f, NET_TXQ)->idx, 3);
	assert_int_equal(virtio_net_set_limits(f->net, NULL, &off), 0);
	pump(f);
	assert_int_equal(used(f, NET_TXQ)->idx, 4);
	assert_int_equal(peer_recv(f), NET_HDR_LEN + 900);
	assert_false(f->net->tx_limit.on);
}

/*
 * Receiving past the budget takes the TAP off the loop: the frame waits
 * in the backend's queue, not dropped, and arrives after the timer.  A
 * frame's length is charged after its read: the third of 400 bytes still
 * goes on the 200 left and leaves a debt.
 */
static void rx_rate_limited(void **state)
{
	struct fx *f = *state;
	uint64_t waited;

	start(f, 0, 16);
	rx_post(f, 0, 8, 2048);
	for (int i = 0; i < 4; i++)
		peer_send(f, 0, 400, (uint8_t)i);
	pump(f);
	assert_int_equal(used(f, NET_RXQ)->idx, 3);
	assert_false(f->net->watching);
	assert_true(f->net->rx_limit.waiting);
	assert_int_equal(evloop_run_once(&f->t.loop, 0), 0);	/* no spin */
	rx_post(f, 8, 1, 2048);		/* new buffers do not resume it */
	assert_int_equal(used(f, NET_RXQ)->idx, 3);
	assert_false(f->net->watching);
	/* The debt (200) and one byte at 10 kB/s: 20 ms. */
	waited = wait_used(f, NET_RXQ, 4);
	assert_int_equal(used(f, NET_RXQ)->idx, 4);
	assert_true(waited >= 10000000ULL);
	assert_int_equal(used(f, NET_RXQ)->ring[3].len, NET_HDR_LEN + 400);
	assert_int_equal(net_counter(f->net, NET_M_RX_DROPPED), 0);
	assert_int_equal(net_counter(f->net, NET_M_RX_BYTES), 1600);
	/* In debt for the fourth's 399 bytes: waiting again, not reading. */
	assert_int_equal(counter_get(&f->net->rx_limit.throttled), 2);
	assert_int_equal(metrics_flush_counter(&f->reg, "net_tap_test",
					       "rx_rate_limiter_throttled"),
			 2);
	assert_false(f->net->watching);
	/* A reset forgets the wait. */
	f->net->rx_limit.waiting = true;
	vpf_set_status(&f->t, 0);
	assert_false(f->net->rx_limit.waiting);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(identity_and_config),
		T(offloads_follow_features),
		T(tx_one_frame),
		T(tx_scattered),
		T(tx_offloads),
		T(tx_malformed),
		T(tx_batch),
		T(tx_backend_error),
		T(rx_one_frame),
		T(rx_split_header),
		T(rx_mergeable),
		T(rx_too_large),
		T(rx_waits_for_buffers),
		T(rx_batch),
		T(rx_bad_chains),
		T(backend_hangup),
		cmocka_unit_test_setup_teardown(tx_rate_limited, setup_limited,
						teardown),
		cmocka_unit_test_setup_teardown(rx_rate_limited, setup_limited,
						teardown),
	};

	log_set_level(LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
