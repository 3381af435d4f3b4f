// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-net's transmit and receive paths
 * (src/virtio/net.c) behind the real virtio-pci transport and virtqueue
 * walker, without KVM: a socketpair stands in for the TAP.
 *
 * Input: byte 0 picks the features the driver accepts (bit 0 CSUM, 1
 * HOST_TSO4, 2 HOST_TSO6, 3 MRG_RXBUF, 4 GUEST_CSUM, 5 INDIRECT_DESC, 6
 * EVENT_IDX), byte 1 the queue size (1 << (b % 9)), byte 2 how many
 * frames the "TAP" sends (b % 4) and byte 3 their size (b * 8 + 14).
 * The rest fills, in order, the transmit avail ring and descriptor table,
 * the receive avail ring and descriptor table, then guest RAM from BUFS
 * on; short inputs leave the remainder zero.
 *
 * The device is set up correctly, both queues are notified, the frames
 * are sent, and the loop runs until idle.  Then every frame that reached
 * the TAP side must have passed the transmit checks: 26 bytes to
 * NET_HDR_LEN + NET_FRAME_MAX, flags NEEDS_CSUM at most and only with
 * CSUM, a GSO type the features allow, num_buffers 0.  Anything else
 * aborts, as does any sanitizer report.  See fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../tests/unit/vp_fixture.h"
#include "lib/log.h"
#include "virtio/net.h"

#define RAM_SIZE	0x20000
#define BUFS		0x6000
#define MAX_SIZE	256

static const uint64_t q_desc[2] = { 0x0000, 0x3000 };
static const uint64_t q_avail[2] = { 0x1000, 0x4000 };
static const uint64_t q_used[2] = { 0x2000, 0x5000 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *ram;
static uint8_t msg[NET_HDR_LEN + NET_FRAME_MAX + 1024];

static int no_offload(int fd, unsigned int offload)
{
	return 0;
}

static void setup(struct vp_fixture *t, uint64_t features, uint16_t qsize)
{
	vpf_negotiate(t, features);
	for (uint16_t q = 0; q < 2; q++)
		vpf_queue(t, q, qsize, q_desc[q], q_avail[q], q_used[q]);
	vpf_driver_ok(t);
}

static uint64_t features_of(uint8_t b)
{
	static const int bits[] = { VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4,
				    VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_MRG_RXBUF,
				    VIRTIO_NET_F_GUEST_CSUM,
				    VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX };
	uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1);

	for (int i = 0; i < 7; i++)
		if (b & (1u << i))
			f |= VIRTIO_BIT(bits[i]);
	return f;
}

/* What reached the TAP must have passed net_tx_build's checks. */
static void check_sent(int peer, uint64_t f)
{
	ssize_t n;

	while ((n = recv(peer, msg, sizeof(msg), MSG_DONTWAIT)) >= 0) {
		struct virtio_net_hdr h;
		uint8_t gso;

		if (n < NET_HDR_LEN + NET_ETH_HLEN || n > NET_HDR_LEN + NET_FRAME_MAX)
			abort();
		memcpy(&h, msg, sizeof(h));
		gso = h.gso_type;
		if ((h.flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM) || h.num_buffers)
			abort();
		if (h.flags && !(f & VIRTIO_BIT(VIRTIO_NET_F_CSUM)))
			abort();
		if (gso != VIRTIO_NET_HDR_GSO_NONE &&
		    !(gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
		      (f & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4))) &&
		    !(gso == VIRTIO_NET_HDR_GSO_TCPV6 &&
		      (f & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6))))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_fixture t;
	struct virtio_net *net;
	struct virtio_net_params p = { .tap = "fuzz" };
	uint64_t features;
	uint16_t qsize;
	int sv[2];

	if (size < 4)
		return 0;
	if (!ram) {
		ram = malloc(RAM_SIZE);
		if (!ram)
			abort();
		log_set_level(LOG_OFF);
	}
	memset(ram, 0, RAM_SIZE);
	features = features_of(data[0]);
	qsize = (uint16_t)(1u << (data[1] % 9));
	{
		const struct { uint64_t at, len; } part[] = {
			{ q_avail[NET_TXQ], VIRTQ_AVAIL_BYTES(qsize) },
			{ q_desc[NET_TXQ], VIRTQ_DESC_BYTES(qsize) },
			{ q_avail[NET_RXQ], VIRTQ_AVAIL_BYTES(qsize) },
			{ q_desc[NET_RXQ], VIRTQ_DESC_BYTES(qsize) },
			{ BUFS, RAM_SIZE - BUFS },
		};
		size_t left = size - 4;
		const uint8_t *in = data + 4;

		for (int i = 0; i < 5 && left; i++) {
			size_t n = left < part[i].len ? left : part[i].len;

			memcpy(ram + part[i].at, in, n);
			in += n;
			left -= n;
		}
	}
	if (vpf_init(&t, ram, RAM_SIZE) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv))
		abort();
	p.fd = sv[0];
	p.loop = &t.loop;
	if (data[2] & 4) {
		/* Rate-limited both ways: frames also wait and are put back. */
		static const struct rate_limiter_config lim = {
			.bytes = { 2048, 0, 1000 }, .ops = { 4, 0, 1000 } };

		p.rx_limit = p.tx_limit = &lim;
	}
	net = virtio_net_new(&p);
	if (!net)
		abort();
	net->set_offload = no_offload;
	if (vpf_plug(&t, &net->vd))
		abort();

	setup(&t, features, qsize);
	/* A frame from the "TAP" at once, so the receive path runs too. */
	for (unsigned int i = 0; i < data[2] % 4u; i++) {
		size_t len = NET_HDR_LEN + (size_t)data[3] * 8 + NET_ETH_HLEN;

		memset(msg, (int)i, len);
		if (send(sv[1], msg, len, 0) < 0)
			abort();
	}
	vpf_wr(&t, VP_NOTIFY_OFF + VP_NOTIFY_MULT * NET_TXQ, 2, NET_TXQ);
	vpf_wr(&t, VP_NOTIFY_OFF + VP_NOTIFY_MULT * NET_RXQ, 2, NET_RXQ);
	for (int i = 0; i < 64 && evloop_run_once(&t.loop, 0) > 0; i++)
		check_sent(sv[1], features);
	check_sent(sv[1], features);

	vpf_fini(&t);
	close(sv[1]);
	return 0;
}
