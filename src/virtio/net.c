// SPDX-License-Identifier: MIT
/*
 * virtio-net on a TAP device; the design is in net.h.  Section numbers
 * are VIRTIO 1.2's, rule numbers those of shared/guides/guest-input.md.
 *
 * Receiving
 * ---------
 * A TAP read returns exactly one frame and consumes it: the buffers must
 * be in place before readv(), and a frame that does not fit is truncated,
 * the length returned capped at the buffers' size, so a truncated frame
 * looks like one that fits exactly.  Hence every readv() ends with a
 * host spill buffer as large as any frame: the guest's buffers never
 * truncate silently, and a frame that reaches the spill (n > room) is
 * dropped and counted, the chains kept for the next.  Without MRG_RXBUF
 * each chain holds a whole frame (5.1.6.3.1: the driver sizes them), so
 * one chain is popped per frame.  With MRG_RXBUF a frame may spread over
 * several chains, and how many is known only after the read; so chains
 * are popped ahead until they hold the largest frame the TAP can give
 * (NET_HDR_LEN + NET_FRAME_MAX), the frame is read into all of them, and
 * the ones it did not reach stay held for the next frame, in order.
 * Held chains are ours until used, as any popped chain is; nothing is
 * popped twice or given back.  When the ring runs dry before that much
 * is held, the frame is read into what there is: a driver that never
 * posts 64 KiB would otherwise wait forever; a frame larger than the
 * buffers is then dropped and counted, as a full NIC would.
 *
 * The kernel writes the first 10 header bytes and skips num_buffers;
 * vmon writes it (1 without MRG_RXBUF, 5.1.6.4) and clears the flags
 * when GUEST_CSUM was not negotiated (the kernel may set DATA_VALID).
 */
#include "virtio/net.h"

#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "lib/iov.h"
#include "lib/util.h"
#include "virtio/tap.h"

_Static_assert(sizeof(struct virtio_net_hdr) == NET_HDR_LEN, "header");
_Static_assert(NET_HDR_LEN == TAP_VNET_HDR_LEN, "the TAP's header is ours");
_Static_assert(NET_RX_IOV >= 2 * NET_QUEUE_SIZE, "room for a whole chain");

/* rx_iov[] entries the guest's buffers may use: the spill takes one. */
#define RX_GUEST_IOV		(NET_RX_IOV - 1)

#define PCI_CLASS_ETHERNET	0x020000
#define NET_RX_WANT		(NET_HDR_LEN + NET_FRAME_MAX)

static const char *const counter_names[NET_M_NR] = {
	[NET_M_RX_QUEUE_EVENTS] = "rx_queue_event_count",
	[NET_M_RX_TAP_EVENTS] = "rx_tap_event_count",
	[NET_M_RX_PACKETS] = "rx_packets_count",
	[NET_M_RX_BYTES] = "rx_bytes_count",
	[NET_M_RX_DROPPED] = "rx_fails",
	[NET_M_RX_NO_BUFFER] = "no_rx_avail_buffer",
	[NET_M_RX_BAD_CHAINS] = "rx_bad_buffers",
	[NET_M_TAP_READ_FAILS] = "tap_read_fails",
	[NET_M_TX_QUEUE_EVENTS] = "tx_queue_event_count",
	[NET_M_TX_PACKETS] = "tx_packets_count",
	[NET_M_TX_BYTES] = "tx_bytes_count",
	[NET_M_TX_MALFORMED] = "tx_malformed_frames",
	[NET_M_TAP_WRITE_FAILS] = "tap_write_fails",
	[NET_M_RX_THROTTLED] = "rx_rate_limiter_throttled",
	[NET_M_TX_THROTTLED] = "tx_rate_limiter_throttled",
};

static struct virtio_net *to_net(struct virtio_dev *vd)
{
	return container_of(vd, struct virtio_net, vd);
}

static void count(struct virtio_net *net, enum net_counter i, uint64_t n)
{
	metrics_add(&net->metrics, i, n);
}

/* ---- Transmit ------------------------------------------------------------ */

const char *net_tx_verdict_name(enum net_tx_verdict v)
{
	static const char *const names[] = {
		[NET_TX_OK] = "ok",
		[NET_TX_SHORT] = "is shorter than the virtio-net and Ethernet "
				 "headers",
		[NET_TX_LONG] = "is longer than the largest frame (64 KiB + "
				"Ethernet, VLAN and virtio-net headers)",
		[NET_TX_WRITABLE] = "has device-writable buffers",
		[NET_TX_BAD_CSUM] = "asks for a checksum offload that was not "
				    "negotiated, or outside the frame",
		[NET_TX_BAD_GSO] = "asks for a segmentation offload that was not "
				   "negotiated, or with gso_size 0",
	};

	return (unsigned int)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

/* May a driver with these features send this GSO type (5.1.6.2)? */
static bool gso_allowed(uint8_t type, uint64_t f)
{
	switch (type) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return f & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return f & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);
	default:	/* UDP, ECN and the rest were never offered */
		return false;
	}
}

enum net_tx_verdict net_tx_build(const struct virtq_chain *c,
				 uint64_t features, struct virtio_net_hdr *hdr,
				 struct iovec *out, unsigned int *nr_out)
{
	uint32_t frame, end;

	*nr_out = 0;
	if (c->nr_in)
		return NET_TX_WRITABLE;
	if (c->out_bytes < NET_HDR_LEN + NET_ETH_HLEN)
		return NET_TX_SHORT;
	if (c->out_bytes > NET_HDR_LEN + NET_FRAME_MAX)
		return NET_TX_LONG;
	frame = c->out_bytes - NET_HDR_LEN;
	/* The one read of the guest's header: a local copy, checked. */
	virtq_chain_read(c, 0, hdr, NET_HDR_LEN);
	/* 5.1.6.2.2: ignore flags we do not know (DATA_VALID is RX-only). */
	hdr->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (hdr->flags) {
		end = (uint32_t)hdr->csum_start + hdr->csum_offset + 2;
		if (!(features & VIRTIO_BIT(VIRTIO_NET_F_CSUM)) || end > frame)
			return NET_TX_BAD_CSUM;
	}
	if (!gso_allowed(hdr->gso_type, features))
		return NET_TX_BAD_GSO;
	if (hdr->gso_type != VIRTIO_NET_HDR_GSO_NONE && hdr->gso_size == 0)
		return NET_TX_BAD_GSO;
	hdr->num_buffers = 0;	/* 5.1.6.2.1: unused on transmit */

	/* The frame as the guest's buffers after the header: no copy. */
	out[0] = (struct iovec){ .iov_base = hdr, .iov_len = NET_HDR_LEN };
	*nr_out = 1 + iov_slice(c->iov, c->nr_out, NET_HDR_LEN, SIZE_MAX,
				out + 1, c->nr_out);
	return NET_TX_OK;
}

/* Send one chain's frame: its length, or 0 when it was dropped. */
static uint32_t tx_frame(struct virtio_net *net, const struct virtq_chain *c)
{
	struct virtio_net_hdr hdr;
	enum net_tx_verdict v;
	unsigned int n;
	ssize_t w;

	v = net_tx_build(c, net->vd.features, &hdr, net->tx_out, &n);
	if (v != NET_TX_OK) {
		count(net, NET_M_TX_MALFORMED, 1);
		log_ratelimited(&net->rl, LOG_WARN, "%s: dropped a transmit "
				"frame of %u bytes (header included) that %s; "
				"%llu malformed so far", net->vd.label,
				c->out_bytes + c->in_bytes, net_tx_verdict_name(v),
				(unsigned long long)net_counter(net,
							NET_M_TX_MALFORMED));
		return 0;
	}
	do
		w = writev(net->fd, net->tx_out, (int)n);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		/* EAGAIN included: like a full NIC queue, the frame is lost. */
		count(net, NET_M_TAP_WRITE_FAILS, 1);
		log_ratelimited(&net->rl, LOG_WARN, "%s: cannot send a %u-byte "
				"frame on TAP %s: %s", net->vd.label,
				c->out_bytes - NET_HDR_LEN, net->tap,
				strerror(errno));
		return 0;
	}
	return c->out_bytes - NET_HDR_LEN;
}

/* ---- Rate limits -------------------------------------------------------- */

/* A transmit frame: one operation, its length without the header. */
static bool tx_limit_take(struct virtio_net *net, const struct virtq_chain *c)
{
	uint32_t len = c->out_bytes > NET_HDR_LEN ? c->out_bytes - NET_HDR_LEN : 0;

	return throttle_take(&net->tx_limit, len);
}

static void tx_fire(void *opaque)
{
	struct virtio_net *net = opaque;

	virtio_queue_kick(&net->vd, NET_TXQ);
}

static void rx_process(struct virtio_net *net);

static void rx_fire(void *opaque)
{
	rx_process(opaque);	/* puts the TAP back on the loop */
}

/*
 * Before a read: an operation and one byte (the length is not known yet);
 * the rest of the frame is charged once it is read (rx_limit_charge).
 */
static bool rx_limit_take(struct virtio_net *net)
{
	return throttle_take(&net->rx_limit, 1);
}

static void rx_limit_charge(struct virtio_net *net, ssize_t n)
{
	if (n > NET_HDR_LEN + 1)
		throttle_charge(&net->rx_limit, (uint64_t)n - NET_HDR_LEN - 1);
}

static int limits_init(struct virtio_net *net, const struct virtio_net_params *p)
{
	int ret = throttle_init(&net->rx_limit, p->rx_limit, p->loop, &net->vd,
				rx_fire, net);

	if (ret)
		return ret;
	ret = throttle_init(&net->tx_limit, p->tx_limit, p->loop, &net->vd,
			    tx_fire, net);
	if (ret)
		throttle_destroy(&net->rx_limit);
	return ret;
}

int virtio_net_set_limits(struct virtio_net *net,
			  const struct rate_limiter_patch *rx,
			  const struct rate_limiter_patch *tx)
{
	int ret = 0;

	virtio_lock(&net->vd);
	if (rx)
		ret = throttle_update(&net->rx_limit, rx);
	if (!ret && tx)
		ret = throttle_update(&net->tx_limit, tx);
	virtio_unlock(&net->vd);
	return ret;
}

/* ---- Transmit, continued --------------------------------------------------- */

static void tx_process(struct virtio_net *net, struct virtq *vq)
{
	struct virtq_chain c;
	unsigned int served = 0, sent = 0;
	uint64_t bytes = 0;

	count(net, NET_M_TX_QUEUE_EVENTS, 1);
	virtq_chain_init(&c, net->tx_iov, NET_QUEUE_SIZE);
	while (served < NET_TX_BATCH && !net->tx_limit.waiting &&
	       virtq_pop(vq, &c) > 0) {
		uint32_t n;

		if (!tx_limit_take(net, &c)) {
			virtq_unpop(vq);	/* the timer sends it */
			break;
		}
		n = tx_frame(net, &c);

		virtq_push(vq, c.head, 0);	/* transmit buffers: nothing written */
		served++;
		sent += n != 0;
		bytes += n;
	}
	/* Counters once per batch: each is an atomic add. */
	count(net, NET_M_TX_PACKETS, sent);
	count(net, NET_M_TX_BYTES, bytes);
	if (served)
		virtio_queue_interrupt(&net->vd, vq);
	if (served == NET_TX_BATCH)
		virtio_queue_kick(&net->vd, vq->index);	/* more may wait */
}

/* ---- Receive ---------------------------------------------------------------- */

static void watch(struct virtio_net *net, bool on)
{
	if (net->tap_gone || net->watching == on)
		return;
	if (evloop_mod(net->loop, net->fd, on ? EPOLLIN : 0) == 0)
		net->watching = on;
}

static void rx_forget(struct virtio_net *net)
{
	net->rx_first = net->rx_nr = 0;
	net->rx_iov_first = net->rx_iov_end = 0;
	net->rx_room = 0;
}

/* The receive queue, if the device is running and the driver enabled it. */
static struct virtq *rx_queue(struct virtio_net *net)
{
	struct virtio_queue *q = virtio_queue(&net->vd, NET_RXQ);

	return q && q->enabled && virtio_running(&net->vd) ? &q->vq : NULL;
}

/*
 * Pop receive chains until they hold a frame (see the top of the file).
 * *pushed counts chains returned unused.  0, or -EPROTO when the device
 * failed.
 */
static int rx_fill(struct virtio_net *net, struct virtq *vq,
		   unsigned int *pushed)
{
	unsigned int max = virtio_has_feature(&net->vd, VIRTIO_NET_F_MRG_RXBUF) ?
			   NET_QUEUE_SIZE : 1;
	struct virtq_chain c;
	int r;

	while (net->rx_nr < max && (net->rx_nr == 0 || net->rx_room < NET_RX_WANT)) {
		struct net_rx_chain *slot;

		/* Any valid chain fits: it has at most vq->size buffers. */
		if (net->rx_iov_end + vq->size > RX_GUEST_IOV) {
			unsigned int n = net->rx_iov_end - net->rx_iov_first;

			memmove(net->rx_iov, net->rx_iov + net->rx_iov_first,
				n * sizeof(net->rx_iov[0]));
			net->rx_iov_first = 0;
			net->rx_iov_end = n;
			if (n + vq->size > RX_GUEST_IOV)
				return 0;	/* enough held */
		}
		virtq_chain_init(&c, net->rx_iov + net->rx_iov_end,
				 RX_GUEST_IOV - net->rx_iov_end);
		r = virtq_pop(vq, &c);
		if (r <= 0)
			return r == 0 ? 0 : -EPROTO;
		if (c.nr_out) {					/* rule 8 */
			virtio_fail(&net->vd, "receive chain %u has %u "
				    "device-readable buffers", c.head, c.nr_out);
			return -EPROTO;
		}
		if (c.in_bytes < NET_HDR_LEN) {		/* 5.1.6.3.1 */
			count(net, NET_M_RX_BAD_CHAINS, 1);
			log_ratelimited(&net->rl, LOG_WARN, "%s: receive chain "
					"%u of %u bytes cannot hold the %d-byte "
					"header; returned unused", net->vd.label,
					c.head, c.in_bytes, NET_HDR_LEN);
			virtq_push(vq, c.head, 0);
			(*pushed)++;
			continue;
		}
		slot = &net->rx[(net->rx_first + net->rx_nr) % NET_QUEUE_SIZE];
		*slot = (struct net_rx_chain){ c.head, c.nr_in, c.in_bytes };
		net->rx_nr++;
		net->rx_iov_end += c.nr_in;
		net->rx_room += c.in_bytes;
	}
	return 0;
}

/* Hand a frame of n bytes (header included) over the held chains. */
static void rx_complete(struct virtio_net *net, struct virtq *vq, size_t n)
{
	struct net_rx_chain *first = &net->rx[net->rx_first];
	size_t left = n;
	uint16_t used = 0;

	/* How many chains the frame reached: num_buffers (5.1.6.4). */
	for (size_t l = n; l; used++) {
		uint32_t b = net->rx[(net->rx_first + used) % NET_QUEUE_SIZE].bytes;

		l -= l < b ? l : b;
	}
	iov_from_buf(net->rx_iov + net->rx_iov_first, first->nr_iov,
		offsetof(struct virtio_net_hdr, num_buffers), &used, 2);
	if (!virtio_has_feature(&net->vd, VIRTIO_NET_F_GUEST_CSUM)) {
		uint8_t zero = 0;	/* 5.1.6.4.1: flags 0 */

		iov_from_buf(net->rx_iov + net->rx_iov_first, first->nr_iov, 0,
			&zero, 1);
	}
	for (uint16_t i = 0; i < used; i++) {
		struct net_rx_chain *ch = &net->rx[net->rx_first];
		uint32_t take = left < ch->bytes ? (uint32_t)left : ch->bytes;

		virtq_push(vq, ch->head, take);
		left -= take;
		net->rx_iov_first += ch->nr_iov;
		net->rx_room -= ch->bytes;
		net->rx_first = (net->rx_first + 1) % NET_QUEUE_SIZE;
		net->rx_nr--;
	}
	if (net->rx_nr == 0)
		net->rx_iov_first = net->rx_iov_end = 0;
	count(net, NET_M_RX_PACKETS, 1);
	count(net, NET_M_RX_BYTES, n - NET_HDR_LEN);
}

/*
 * Read one frame into the held chains: the bytes read (> 0), 0 nothing to
 * read, -1 stop.
 */
static ssize_t rx_frame(struct virtio_net *net, struct virtq *vq)
{
	ssize_t n;

	net->rx_iov[net->rx_iov_end] = (struct iovec){
		.iov_base = net->rx_spill, .iov_len = sizeof(net->rx_spill) };
	do
		n = readv(net->fd, net->rx_iov + net->rx_iov_first,
			  (int)(net->rx_iov_end - net->rx_iov_first + 1));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN)
			return 0;
		count(net, NET_M_TAP_READ_FAILS, 1);
		log_ratelimited(&net->rl, LOG_WARN, "%s: cannot read from TAP %s: "
				"%s", net->vd.label, net->tap, strerror(errno));
		return -1;
	}
	if (n == 0) {			/* only a socket backend: its peer left */
		log_ratelimited(&net->rl, LOG_WARN, "%s: the backend of %s "
				"closed; no more receiving", net->vd.label,
				net->tap);
		watch(net, false);
		return -1;
	}
	if ((uint64_t)n > net->rx_room || n < NET_HDR_LEN) {
		/* Into the spill: too large for the driver's buffers. */
		count(net, NET_M_RX_DROPPED, 1);
		log_ratelimited(&net->rl, LOG_WARN, "%s: dropped a received "
				"frame of %zd bytes (header included): the "
				"driver's buffers hold %llu; %llu dropped so far",
				net->vd.label, n,
				(unsigned long long)net->rx_room,
				(unsigned long long)net_counter(net,
							NET_M_RX_DROPPED));
		return n;
	}
	rx_complete(net, vq, (size_t)n);
	return n;
}

static void rx_process(struct virtio_net *net)
{
	struct virtq *vq = rx_queue(net);
	unsigned int frames = 0, pushed = 0;
	ssize_t n;

	if (!vq || net->tap_gone || net->rx_limit.waiting) {
		watch(net, false);	/* throttled: until the timer */
		return;
	}
	while (frames < NET_RX_BATCH) {
		if (rx_fill(net, vq, &pushed)) {
			watch(net, false);	/* failed: needs a reset */
			return;
		}
		if (net->rx_nr == 0) {
			/* Off the loop until the driver adds buffers. */
			if (net->watching)
				count(net, NET_M_RX_NO_BUFFER, 1);
			watch(net, false);
			break;
		}
		if (!rx_limit_take(net)) {
			/* Frames wait in the TAP's queue, not dropped here. */
			watch(net, false);
			break;
		}
		watch(net, true);
		if ((n = rx_frame(net, vq)) <= 0) {
			throttle_give_back(&net->rx_limit, 1);
			break;
		}
		rx_limit_charge(net, n);
		frames++;
	}
	if (frames || pushed)
		virtio_queue_interrupt(&net->vd, vq);
	/* A full batch: the fd is still readable, level-triggered epoll
	 * calls again on the next turn of the loop. */
}

static void on_tap(void *opaque, uint32_t events)
{
	struct virtio_net *net = opaque;

	evloop_assert_owner(net->loop);
	virtio_lock(&net->vd);
	if (events & (EPOLLERR | EPOLLHUP)) {
		/* The TAP device was deleted (or the socket peer closed). */
		log_warn("%s: TAP %s reports %s; the device stops receiving",
			 net->vd.label, net->tap,
			 events & EPOLLERR ? "an error" : "a hang-up");
		evloop_del(net->loop, net->fd);
		net->tap_gone = true;
		net->watching = false;
	} else {
		count(net, NET_M_RX_TAP_EVENTS, 1);
		rx_process(net);
	}
	virtio_unlock(&net->vd);
}

/* ---- Device ops ------------------------------------------------------------- */

static void net_notify(struct virtio_dev *vd, struct virtq *vq)
{
	struct virtio_net *net = to_net(vd);

	if (vq->index == NET_TXQ) {
		tx_process(net, vq);
		return;
	}
	count(net, NET_M_RX_QUEUE_EVENTS, 1);
	rx_process(net);	/* new buffers: resumes the TAP */
}

static void net_config_read(struct virtio_dev *vd, uint32_t off, void *buf,
			    uint32_t len)
{
	struct virtio_net *net = to_net(vd);
	uint8_t cfg[NET_CONFIG_SIZE] = { 0 };

	/* 5.1.4: mac, status (le16), max_virtqueue_pairs (le16). */
	memcpy(cfg, net->mac, 6);
	cfg[6] = VIRTIO_NET_S_LINK_UP;
	cfg[8] = 1;
	memcpy(buf, cfg + off, len);	/* the transport checked off + len */
}

/* What the driver accepted for receive, as TAP offloads (5.1.3.1 deps). */
static unsigned int rx_offload(uint64_t f)
{
	unsigned int o = 0;

	if (!(f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	o |= TAP_OFFLOAD_CSUM;
	if (f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4))
		o |= TAP_OFFLOAD_TSO4;
	if (f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6))
		o |= TAP_OFFLOAD_TSO6;
	return o;
}

static int net_activate(struct virtio_dev *vd)
{
	struct virtio_net *net = to_net(vd);
	unsigned int o = rx_offload(vd->features);
	int ret;

	ret = net->set_offload(net->fd, o);
	if (ret) {
		log_error("%s: TUNSETOFFLOAD 0x%x on TAP %s: %s", vd->label, o,
			  net->tap, strerror(-ret));
		return ret;
	}
	net->offload = o;
	rx_forget(net);
	log_info("%s: TAP %s, features 0x%llx, receive offloads 0x%x", vd->label,
		 net->tap, (unsigned long long)vd->features, o);
	return 0;
}

static void net_reset(struct virtio_dev *vd)
{
	/*
	 * The held chains went with the rings.  The fd stays as it is: this
	 * may run on a vCPU thread, and the loop's thread turns it off when
	 * it next fires and finds no queue (rx_process).  What waited for a
	 * limiter's timer went with the rings too.
	 */
	rx_forget(to_net(vd));
	throttle_forget(&to_net(vd)->rx_limit);
	throttle_forget(&to_net(vd)->tx_limit);
}

static void net_destroy(struct virtio_dev *vd)
{
	struct virtio_net *net = to_net(vd);

	log_info("%s: TAP %s: sent %llu frames (%llu bytes), received %llu "
		 "(%llu bytes); dropped %llu malformed transmit frames, %llu "
		 "received frames that did not fit; %llu TAP write and %llu read "
		 "errors", vd->label, net->tap,
		 (unsigned long long)net_counter(net, NET_M_TX_PACKETS),
		 (unsigned long long)net_counter(net, NET_M_TX_BYTES),
		 (unsigned long long)net_counter(net, NET_M_RX_PACKETS),
		 (unsigned long long)net_counter(net, NET_M_RX_BYTES),
		 (unsigned long long)net_counter(net, NET_M_TX_MALFORMED),
		 (unsigned long long)net_counter(net, NET_M_RX_DROPPED),
		 (unsigned long long)net_counter(net, NET_M_TAP_WRITE_FAILS),
		 (unsigned long long)net_counter(net, NET_M_TAP_READ_FAILS));
	if (!net->tap_gone)
		evloop_del(net->loop, net->fd);
	close(net->fd);
	throttle_destroy(&net->rx_limit);
	throttle_destroy(&net->tx_limit);
	if (net->registry)
		metrics_unregister(net->registry, &net->metrics);
	free(net);
}

/* Before a flush: the throttles keep their own counts. */
static void net_sample(struct metrics_group *g, void *opaque)
{
	struct virtio_net *net = opaque;

	throttle_sample(&net->rx_limit, g, NET_M_RX_THROTTLED);
	throttle_sample(&net->tx_limit, g, NET_M_TX_THROTTLED);
}

static const struct virtio_dev_ops net_ops = {
	.config_read = net_config_read,
	.activate = net_activate,
	.queue_notify = net_notify,
	.reset = net_reset,
	.destroy = net_destroy,
	.save = virtio_net_save,
	.restore = virtio_net_restore,
};

/* ---- Creation ------------------------------------------------------------- */

struct virtio_net *virtio_net_new(const struct virtio_net_params *p)
{
	struct virtio_net *net = calloc(1, sizeof(*net));
	char name[METRICS_NAME_MAX];
	int ret;

	if (!net) {
		close(p->fd);
		return NULL;
	}
	net->vd = (struct virtio_dev){
		.name = "virtio-net",
		.type = VIRTIO_ID_NET,
		.pci_class = PCI_CLASS_ETHERNET,
		.num_queues = 2,
		.queue_max_size = NET_QUEUE_SIZE,
		.features_offered =
			VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
			VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
			VIRTIO_BIT(VIRTIO_NET_F_MAC) |
			VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
			VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
			VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |
			VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |
			VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
			VIRTIO_BIT(VIRTIO_NET_F_STATUS),
		.config_size = NET_CONFIG_SIZE,
		.ops = &net_ops,
	};
	net->fd = p->fd;
	net->loop = p->loop;
	snprintf(net->id, sizeof(net->id), "%s", p->id ? p->id : "");
	if ((ret = limits_init(net, p))) {
		log_error("TAP %s: rate limiter: %s", p->tap ? p->tap : "?",
			  strerror(-ret));
		close(p->fd);
		free(net);
		return NULL;
	}
	net->set_offload = tap_set_offload;
	memcpy(net->mac, p->mac, 6);
	snprintf(net->tap, sizeof(net->tap), "%s", p->tap ? p->tap : "?");
	snprintf(name, sizeof(name), "%s", p->metrics_name ? p->metrics_name : "");
	if (!p->metrics_name)
		snprintf(name, sizeof(name), "net_%s", net->tap);
	metrics_group_init(&net->metrics, name, counter_names, NET_M_NR);
	metrics_group_set_sample(&net->metrics, net_sample, net);
	/* Off until the driver gives receive buffers (EPOLLERR still comes). */
	if ((ret = evloop_add(p->loop, p->fd, 0, on_tap, net))) {
		log_error("cannot watch TAP %s: %s", net->tap, strerror(-ret));
		throttle_destroy(&net->rx_limit);
		throttle_destroy(&net->tx_limit);
		close(p->fd);
		free(net);
		return NULL;
	}
	if (p->registry) {
		net->registry = p->registry;
		metrics_register(p->registry, &net->metrics);
	}
	return net;
}

struct virtio_net *virtio_net_of(struct virtio_dev *vd)
{
	return vd && vd->ops == &net_ops ? to_net(vd) : NULL;
}

void virtio_net_default_mac(const char *tap, unsigned long pid, uint8_t mac[6])
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a, 64 bits */

	for (const char *s = tap; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(pid >> (8 * i))) * 0x100000001b3ull;
	mac[0] = 0x02;		/* locally administered, unicast */
	for (int i = 1; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
}

struct virtio_net *virtio_net_from_config(const struct net_config *cfg,
					  struct evloop *loop,
					  struct metrics *registry,
					  struct vmon_err *e)
{
	struct virtio_net_params p = { .tap = cfg->tap, .loop = loop,
				       .registry = registry, .id = cfg->id,
				       .rx_limit = &cfg->rx_limit,
				       .tx_limit = &cfg->tx_limit };
	char err[256], name[METRICS_NAME_MAX];
	struct virtio_net *net;
	bool existed = cfg->tap && if_nametoindex(cfg->tap) != 0;

	p.fd = tap_open(cfg->tap, err, sizeof(err));
	if (p.fd < 0) {
		/* The TAP device is the operator's to provide. */
		err_set(e, ERR_USAGE, p.fd, "--net tap=%s: %s",
			cfg->tap ? cfg->tap : "", err);
		return NULL;
	}
	if (!existed)	/* TUNSETIFF made one: vmon had CAP_NET_ADMIN */
		log_warn("--net tap=%s: there was no such device in this network "
			 "namespace; the kernel created a transient one, down, "
			 "gone when vmon exits (create and configure it first: "
			 "ip tuntap add dev %s mode tap)", cfg->tap, cfg->tap);
	if (cfg->has_mac)
		memcpy(p.mac, cfg->mac, 6);
	else
		virtio_net_default_mac(cfg->tap, (unsigned long)getpid(), p.mac);
	/* Firecracker's naming: net_<iface_id>. */
	snprintf(name, sizeof(name), "net_%s", cfg->id ? cfg->id : cfg->tap);
	p.metrics_name = name;
	net = virtio_net_new(&p);
	if (!net)
		err_set(e, ERR_HOST, -ENOMEM, "virtio-net: out of memory");
	else
		log_info("virtio-net: TAP %s, MAC %02x:%02x:%02x:%02x:%02x:%02x",
			 net->tap, net->mac[0], net->mac[1], net->mac[2],
			 net->mac[3], net->mac[4], net->mac[5]);
	return net;
}
