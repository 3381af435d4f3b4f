/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (VIRTIO 1.2, 5.1) on a TAP device: one receive queue (0),
 * one transmit queue (1), no control queue.
 *
 * Features offered: CSUM, GUEST_CSUM, GUEST_TSO4/6, HOST_TSO4/6,
 * MRG_RXBUF, MAC and STATUS (link always up).  The UDP and ECN variants
 * are not: UFO is deprecated, and the kernel segments such frames itself.
 * At DRIVER_OK the TAP's offloads (TUNSETOFFLOAD) are set to what the
 * driver accepted for receive, so the kernel never hands it a frame it
 * did not ask for.
 *
 * Frames move between guest buffers and the TAP with readv/writev, no
 * copy, all on the VMM thread: the TAP fd is on the event loop while the
 * receive queue has buffers and off it while it has none (a flood cannot
 * spin the loop); each notification or wake-up serves at most
 * NET_TX_BATCH / NET_RX_BATCH frames before yielding.
 *
 * Rate limits (Firecracker's rx_rate_limiter and tx_rate_limiter; net.c,
 * "Rate limits"): a frame costs one operation and its length (the
 * Ethernet frame, the virtio-net header excluded).  A transmit chain the
 * limiter refuses goes back into the ring and the queue waits for a
 * timer; when receiving is refused the TAP's fd goes off the loop until
 * the timer, so frames wait in the kernel's TAP queue, as in
 * Firecracker.  A received frame's length is known only once it is read,
 * so receiving needs one operation and one byte of budget and the rest
 * of the frame is charged after the read (as debt if the bucket lacks
 * it).  PATCH /network-interfaces may change either limit.
 *
 * Guest input (shared/guides/guest-input.md rule 15): a transmit chain
 * shorter than the header plus an Ethernet header, longer than
 * NET_HDR_LEN + NET_FRAME_MAX, with device-writable buffers, or whose
 * header asks for an offload that was not negotiated is dropped: counted
 * (tx_malformed_frames), logged (rate-limited) and completed with length
 * 0, and the device keeps working.  A receive chain with a readable
 * buffer is a protocol violation (the device needs a reset); one shorter
 * than the header is returned unused and counted.  Nothing is allocated
 * by a guest-supplied length.
 */
#ifndef VMON_VIRTIO_NET_H
#define VMON_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/evloop.h"
#include "lib/err.h"
#include "lib/metrics.h"
#include "lib/tbucket.h"
#include "virtio/throttle.h"
#include "virtio/virtio.h"

/* An interface, as the configuration gives it. */
struct net_config {
	const char *id;		/* API iface_id; may be NULL */
	const char *tap;	/* host TAP device name */
	uint8_t mac[6];
	bool has_mac;		/* else a locally administered one is made */
	/* Firecracker's rx_rate_limiter, tx_rate_limiter; all off: none. */
	struct rate_limiter_config rx_limit, tx_limit;
};

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_GUEST_UFO		10
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_HOST_UFO		14
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16

#define VIRTIO_NET_S_LINK_UP		1

/* struct virtio_net_hdr flags and gso_type (5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_F_DATA_VALID	2
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_UDP		3
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_ECN		0x80

/* With VERSION_1 the header always has num_buffers (5.1.6). */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

#define NET_HDR_LEN		12
#define NET_ETH_HLEN		14
/* The largest frame either way: a 64 KiB packet, Ethernet + VLAN header. */
#define NET_FRAME_MAX		(65536 + 18)
#define NET_CONFIG_SIZE		10	/* mac, status, max_virtqueue_pairs */

#define NET_RXQ			0
#define NET_TXQ			1
#define NET_QUEUE_SIZE		256
/* Frames per notification or TAP wake-up before yielding the loop. */
#define NET_TX_BATCH		128
#define NET_RX_BATCH		128
/* Receive buffers held at most, in iovecs (IOV_MAX, readv's limit). */
#define NET_RX_IOV		1024

/* Per-device counters (metrics group "net_<id>"). */
enum net_counter {
	NET_M_RX_QUEUE_EVENTS,	/* receive queue notifications */
	NET_M_RX_TAP_EVENTS,	/* TAP readable wake-ups */
	NET_M_RX_PACKETS,
	NET_M_RX_BYTES,		/* frame bytes, headers excluded */
	NET_M_RX_DROPPED,	/* frames that did not fit the buffers */
	NET_M_RX_NO_BUFFER,	/* the TAP was paused for lack of buffers */
	NET_M_RX_BAD_CHAINS,	/* receive chains shorter than the header */
	NET_M_TAP_READ_FAILS,
	NET_M_TX_QUEUE_EVENTS,
	NET_M_TX_PACKETS,
	NET_M_TX_BYTES,
	NET_M_TX_MALFORMED,	/* dropped: guest-input rule 15 */
	NET_M_TAP_WRITE_FAILS,
	NET_M_RX_THROTTLED,	/* sampled from the throttles */
	NET_M_TX_THROTTLED,
	NET_M_NR,
};

/* Why a transmit chain is dropped (net_tx_build). */
enum net_tx_verdict {
	NET_TX_OK,
	NET_TX_SHORT,		/* below header + Ethernet header */
	NET_TX_LONG,		/* above NET_HDR_LEN + NET_FRAME_MAX */
	NET_TX_WRITABLE,	/* device-writable buffers in a TX chain */
	NET_TX_BAD_CSUM,	/* NEEDS_CSUM without CSUM, or out of the frame */
	NET_TX_BAD_GSO,		/* a GSO type not negotiated, or gso_size 0 */
};

struct net_rx_chain {
	uint16_t head;
	uint16_t nr_iov;
	uint32_t bytes;
};

struct virtio_net {
	struct virtio_dev vd;
	int fd;				/* TAP (or a socketpair in tests) */
	struct evloop *loop;
	struct metrics *registry;	/* where .metrics is registered */
	char tap[16];
	uint8_t mac[6];
	bool watching;			/* EPOLLIN on fd is armed */
	bool tap_gone;			/* EPOLLERR/HUP: fd is off the loop */
	/* TUNSETOFFLOAD; tests replace it. */
	int (*set_offload)(int fd, unsigned int offload);
	unsigned int offload;

	/*
	 * Receive chains popped ahead of a frame (net.c, "Receiving"):
	 * rx[] is a ring of rx_nr chains from rx_first, their buffers are
	 * rx_iov[rx_iov_first .. rx_iov_end), rx_room bytes in all, and
	 * rx_iov[rx_iov_end] the spill buffer.
	 */
	struct net_rx_chain rx[NET_QUEUE_SIZE];
	unsigned int rx_first, rx_nr;
	unsigned int rx_iov_first, rx_iov_end;
	uint64_t rx_room;
	struct iovec rx_iov[NET_RX_IOV];
	/* What does not fit the driver's buffers lands here (net.c). */
	uint8_t rx_spill[NET_HDR_LEN + NET_FRAME_MAX];

	struct iovec tx_iov[NET_QUEUE_SIZE];
	struct iovec tx_out[NET_QUEUE_SIZE + 1];

	struct metrics_group metrics;
	struct ratelimit rl;
	char id[72];			/* iface_id, or "" */
	struct throttle rx_limit, tx_limit;
};

struct virtio_net_params {
	const char *tap;		/* for messages */
	const char *metrics_name;	/* group name; NULL: "net_" + tap */
	int fd;				/* owned by the device from now on */
	uint8_t mac[6];
	struct evloop *loop;
	struct metrics *registry;	/* NULL: counters not registered */
	const char *id;			/* iface_id; may be NULL */
	/* NULL or all off: no limit. */
	const struct rate_limiter_config *rx_limit, *tx_limit;
};

/*
 * A new, unregistered device (hand &net->vd to a transport) with fd on
 * `loop`, or NULL (fd is closed then too).
 */
struct virtio_net *virtio_net_new(const struct virtio_net_params *p);

/*
 * Open cfg->tap and make the device for it: the MAC given, or a locally
 * administered one derived from the TAP name and vmon's pid.  NULL with
 * the reason in e: a usage error (the TAP cannot be used) or the host's.
 */
struct virtio_net *virtio_net_from_config(const struct net_config *cfg,
					  struct evloop *loop,
					  struct metrics *registry,
					  struct vmon_err *e);

/* vd as the network device it is, or NULL when it is another type. */
struct virtio_net *virtio_net_of(struct virtio_dev *vd);

/*
 * Change the rate limits on a running device (PATCH
 * /network-interfaces/{id}): the buckets each patch names are replaced,
 * full; rx or tx NULL changes nothing there.  VMM thread.  0 or -EINVAL.
 */
int virtio_net_set_limits(struct virtio_net *net,
			  const struct rate_limiter_patch *rx,
			  const struct rate_limiter_patch *tx);

/* 02:xx:xx:xx:xx:xx, from a hash of the TAP name and pid. */
void virtio_net_default_mac(const char *tap, unsigned long pid,
			    uint8_t mac[6]);

/*
 * Check one transmit chain (c->nr_out readable buffers, c->nr_in must be
 * 0) against the negotiated features and build what writev() sends: *hdr
 * a sanitized copy of the guest's header (only NEEDS_CSUM kept,
 * num_buffers 0), out[0] pointing at it, then the frame's bytes from the
 * chain.  out has room for c->nr_out + 1 entries.  The guest's header is
 * read once, here.
 */
enum net_tx_verdict net_tx_build(const struct virtq_chain *c,
				 uint64_t features, struct virtio_net_hdr *hdr,
				 struct iovec *out, unsigned int *nr_out);
const char *net_tx_verdict_name(enum net_tx_verdict v);

/* Snapshot ops (net_state.c): the MAC and the receive chains in hand. */
struct snap_enc;
struct snap_dec;
int virtio_net_save(struct virtio_dev *vd, struct snap_enc *enc);
int virtio_net_restore(struct virtio_dev *vd, struct snap_dec *d);

static inline uint64_t net_counter(const struct virtio_net *net,
				   enum net_counter i)
{
	return metrics_get(&net->metrics, i);
}

#endif
