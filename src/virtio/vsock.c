// SPDX-License-Identifier: MIT
/*
 * virtio-vsock, the device side (VIRTIO 1.2, 5.10): configuration, the
 * tx queue's packets and the rx queue's deliveries.  The connections and
 * their host sockets are vsock_conn.c's.  Model and limits: vsock.h.
 */
#include "virtio/vsock.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/iov.h"
#include "lib/snapfile.h"
#include "lib/util.h"
#include "virtio/vsock_conn.h"

#define PCI_CLASS_COMM_OTHER	0x078000	/* as QEMU's vhost-vsock */

static const char *const counter_names[VSOCK_C_NR] = {
	"tx_packets", "tx_bytes", "rx_packets", "rx_bytes", "conns_opened",
	"conns_closed", "conn_limit", "connect_failed", "host_bad_line",
	"timeouts", "short_header", "bad_cid", "len_too_long", "truncated",
	"bad_type", "bad_op", "no_connection", "protocol", "credit_exceeded",
	"rst_sent", "rst_dropped", "rx_short_buffer", "host_errors",
};

static struct virtio_vsock *to_vs(struct virtio_dev *vd)
{
	return container_of(vd, struct virtio_vsock, vd);
}

/* ---- packets ----------------------------------------------------------- */

unsigned int vsock_sub_iov(const struct virtq_chain *c, bool writable,
			   size_t off, size_t len, struct iovec *out,
			   unsigned int cap)
{
	if (writable)
		return iov_slice(c->iov + c->nr_out, c->nr_in, off, len, out,
				 cap);
	return iov_slice(c->iov, c->nr_out, off, len, out, cap);
}

enum vsock_verdict vsock_parse(const struct virtq_chain *c, uint64_t guest_cid,
			       struct vsock_hdr *h)
{
	/* One copy of the header; the guest may change its buffer now. */
	if (c->out_bytes < VSOCK_HDR_SIZE ||
	    virtq_chain_read(c, 0, h, sizeof(*h)) != sizeof(*h))
		return VSOCK_PKT_SHORT;
	if (h->src_cid != guest_cid || h->dst_cid != VSOCK_HOST_CID)
		return VSOCK_PKT_BAD_CID;
	if (h->len > VSOCK_MAX_PAYLOAD)
		return VSOCK_PKT_TOO_LONG;
	if (h->len > c->out_bytes - VSOCK_HDR_SIZE)
		return VSOCK_PKT_TRUNCATED;
	if (h->type != VSOCK_TYPE_STREAM)	/* 5.10.6.6: RST */
		return VSOCK_PKT_BAD_TYPE;
	if (h->op == VSOCK_OP_INVALID || h->op > VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_PKT_BAD_OP;
	return VSOCK_PKT_OK;
}

/* ---- rx: device to driver ---------------------------------------------- */

static struct virtq *rxq(struct virtio_vsock *vs)
{
	return &vs->vd.queues[VSOCK_RX_Q].vq;
}

static bool rx_usable(struct virtio_vsock *vs)
{
	return vs->vd.queues && virtio_running(&vs->vd) &&
	       vs->vd.queues[VSOCK_RX_Q].enabled && rxq(vs)->ready;
}

/* The rx chain in hand, or false when the driver has given none. */
static bool rx_take(struct virtio_vsock *vs)
{
	struct virtq *vq = rxq(vs);

	for (unsigned int i = 0; !vs->rx_held && i < VSOCK_QUEUE_SIZE; i++) {
		if (virtq_pop(vq, &vs->rx) <= 0)
			return false;
		if (vs->rx.nr_out) {			/* rule 8 */
			virtio_fail(&vs->vd, "rx buffer %u has %u "
				    "device-readable descriptors; rx buffers "
				    "are write-only (5.10.6.6)", vs->rx.head,
				    vs->rx.nr_out);
			return false;
		}
		if (vs->rx.in_bytes < VSOCK_HDR_SIZE) {
			/* No room for a header: give it back unused. */
			vsock_count(vs, VSOCK_C_RX_SHORT_BUF, 1);
			virtq_push(vq, vs->rx.head, 0);
			continue;
		}
		vs->rx_held = true;
	}
	return vs->rx_held;
}

/* Fill the chain in hand with h (and the payload already there). */
static void rx_send(struct virtio_vsock *vs, const struct vsock_hdr *h)
{
	virtq_chain_write(&vs->rx, 0, h, sizeof(*h));
	virtq_push(rxq(vs), vs->rx.head, VSOCK_HDR_SIZE + h->len);
	vs->rx_held = false;
	vsock_count(vs, VSOCK_C_RX_PACKETS, 1);
	vsock_count(vs, VSOCK_C_RX_BYTES, h->len);
	if (h->op == VSOCK_OP_RST)
		vsock_count(vs, VSOCK_C_RST_SENT, 1);
}

static void hdr_for(const struct vsock_conn *c, uint16_t op,
		    struct vsock_hdr *h)
{
	*h = (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID,
		.dst_cid = c->vs->guest_cid,
		.src_port = c->host_port,
		.dst_port = c->guest_port,
		.type = VSOCK_TYPE_STREAM,
		.op = op,
		.buf_alloc = VSOCK_BUF_ALLOC,
		.fwd_cnt = c->fwd_cnt,
	};
}

enum emit { EMIT_NONE, EMIT_SENT, EMIT_FREED };

/* Credit piggybacks on every packet (5.10.6.3). */
static enum emit conn_send(struct vsock_conn *c, struct vsock_hdr *h)
{
	rx_send(c->vs, h);
	c->fwd_cnt_sent = c->fwd_cnt;
	c->ctrl &= ~CTRL_CREDIT;
	return EMIT_SENT;
}

/* Host bytes for the guest, read straight into the rx chain in hand. */
static enum emit conn_emit_data(struct vsock_conn *c, struct vsock_hdr *h)
{
	struct virtio_vsock *vs = c->vs;
	uint32_t room = vs->rx.in_bytes - VSOCK_HDR_SIZE;
	uint32_t want = vsock_conn_peer_free(c);
	unsigned int n;
	ssize_t r;

	if (want > room)
		want = room;
	if (want > VSOCK_MAX_PAYLOAD)
		want = VSOCK_MAX_PAYLOAD;
	if (!want) {
		/* A header-only buffer: use it up with a credit update so the
		 * next one can carry the data. */
		hdr_for(c, VSOCK_OP_CREDIT_UPDATE, h);
		return conn_send(c, h);
	}
	n = vsock_sub_iov(&vs->rx, true, VSOCK_HDR_SIZE, want, vs->sub_iov,
			  VSOCK_QUEUE_SIZE);
	r = vsock_conn_read(c, vs->sub_iov, n);
	if (r > 0) {
		hdr_for(c, VSOCK_OP_RW, h);
		h->len = (uint32_t)r;
		c->tx_cnt += (uint32_t)r;
		return conn_send(c, h);
	}
	if (r == 0) {
		/* The host will send no more: tell the guest (5.10.6.7). */
		c->host_eof = true;
		c->ctrl |= CTRL_SHUTDOWN;
		return EMIT_NONE;
	}
	if (r != -EAGAIN)
		vsock_conn_reset(c);
	return EMIT_NONE;
}

/* One packet for c into the rx chain in hand. */
static enum emit conn_emit(struct vsock_conn *c)
{
	struct vsock_hdr h;
	enum emit e;

	if (!(c->ctrl & (CTRL_RST | CTRL_REQUEST | CTRL_RESPONSE)) &&
	    vsock_conn_wants_read(c) && c->readable) {
		e = conn_emit_data(c, &h);
		if (e != EMIT_NONE)
			return e;
	}
	if (c->ctrl & CTRL_RST) {
		hdr_for(c, VSOCK_OP_RST, &h);
		rx_send(c->vs, &h);
		vsock_conn_free(c);
		return EMIT_FREED;
	}
	if (c->ctrl & CTRL_REQUEST) {
		c->ctrl &= ~CTRL_REQUEST;
		hdr_for(c, VSOCK_OP_REQUEST, &h);
		return conn_send(c, &h);
	}
	if (c->ctrl & CTRL_RESPONSE) {
		c->ctrl &= ~CTRL_RESPONSE;
		hdr_for(c, VSOCK_OP_RESPONSE, &h);
		return conn_send(c, &h);
	}
	if (c->ctrl & CTRL_SHUTDOWN) {
		c->ctrl &= ~CTRL_SHUTDOWN;
		hdr_for(c, VSOCK_OP_SHUTDOWN, &h);
		h.flags = VSOCK_SHUTDOWN_SEND;
		return conn_send(c, &h);
	}
	if (c->ctrl & CTRL_CREDIT) {
		hdr_for(c, VSOCK_OP_CREDIT_UPDATE, &h);
		return conn_send(c, &h);
	}
	return EMIT_NONE;
}

static void rst_push(struct virtio_vsock *vs, const struct vsock_hdr *to)
{
	if (to->op == VSOCK_OP_RST)
		return;				/* never answer a RST */
	if (vs->rst_nr == VSOCK_RST_BACKLOG) {
		vsock_count(vs, VSOCK_C_RST_DROPPED, 1);
		return;
	}
	vs->rst[(vs->rst_head + vs->rst_nr++) % VSOCK_RST_BACKLOG] =
		(struct vsock_rst){ to->src_port, to->dst_port };
}

static void rst_emit(struct virtio_vsock *vs)
{
	struct vsock_rst r = vs->rst[vs->rst_head];
	struct vsock_hdr h = {
		.src_cid = VSOCK_HOST_CID, .dst_cid = vs->guest_cid,
		.src_port = r.host_port, .dst_port = r.guest_port,
		.type = VSOCK_TYPE_STREAM, .op = VSOCK_OP_RST,
	};

	vs->rst_head = (vs->rst_head + 1) % VSOCK_RST_BACKLOG;
	vs->rst_nr--;
	rx_send(vs, &h);
}

void vsock_rx_pump(struct virtio_vsock *vs)
{
	struct virtq *vq;
	uint64_t pushed;
	unsigned int turns = 0;

	if (!rx_usable(vs))
		return;
	vq = rxq(vs);
	pushed = vq->pushed;
	while ((vs->rst_nr || vs->ready.head) && turns++ < VSOCK_BATCH) {
		struct vsock_conn *c;

		if (!rx_take(vs))
			break;			/* the driver will notify */
		if (vs->rst_nr) {
			rst_emit(vs);
			continue;
		}
		c = vs->ready.head;
		vsock_list_del(&vs->ready, c, VSOCK_L_READY);
		c->on_ready = false;
		if (conn_emit(c) != EMIT_FREED)
			vsock_conn_update(c);	/* back on the list if more */
	}
	if (vq->pushed != pushed)
		virtio_queue_interrupt(&vs->vd, vq);
	if (turns > VSOCK_BATCH && virtio_running(&vs->vd))
		virtio_queue_kick(&vs->vd, VSOCK_RX_Q);	/* more later */
}

/* ---- tx: driver to device ---------------------------------------------- */

static void tx_no_conn(struct virtio_vsock *vs, const struct vsock_hdr *h)
{
	if (h->op == VSOCK_OP_RST)
		return;
	if (h->op == VSOCK_OP_REQUEST) {
		struct vsock_conn *c = vsock_conn_connect(vs, h);

		if (c)
			vsock_conn_update(c);
		else
			rst_push(vs, h);	/* 5.10.6.7: nobody listens */
		return;
	}
	vsock_count(vs, VSOCK_C_NO_CONN, 1);
	rst_push(vs, h);
}

/* An op this connection's state does not allow: reset it. */
static void tx_refuse(struct vsock_conn *c)
{
	vsock_count(c->vs, VSOCK_C_PROTOCOL, 1);
	vsock_conn_reset(c);
}

static void tx_packet(struct virtio_vsock *vs, const struct virtq_chain *ch)
{
	static const enum vsock_counter bad[] = {
		[VSOCK_PKT_SHORT] = VSOCK_C_SHORT_HDR,
		[VSOCK_PKT_BAD_CID] = VSOCK_C_BAD_CID,
		[VSOCK_PKT_TOO_LONG] = VSOCK_C_TOO_LONG,
		[VSOCK_PKT_TRUNCATED] = VSOCK_C_TRUNCATED,
		[VSOCK_PKT_BAD_TYPE] = VSOCK_C_BAD_TYPE,
		[VSOCK_PKT_BAD_OP] = VSOCK_C_BAD_OP,
	};
	struct vsock_hdr h;
	enum vsock_verdict v = vsock_parse(ch, vs->guest_cid, &h);
	struct vsock_conn *c;

	vsock_count(vs, VSOCK_C_TX_PACKETS, 1);
	if (v != VSOCK_PKT_OK) {
		vsock_count(vs, bad[v], 1);
		if (v == VSOCK_PKT_SHORT || v == VSOCK_PKT_BAD_CID)
			return;			/* nobody to answer */
		c = vsock_conn_find(vs, h.src_port, h.dst_port);
		if (c && h.op != VSOCK_OP_RST)
			vsock_conn_reset(c);
		else if (!c)
			rst_push(vs, &h);
		return;
	}
	c = vsock_conn_find(vs, h.src_port, h.dst_port);
	if (!c) {
		tx_no_conn(vs, &h);
		return;
	}
	if (c->state == VSOCK_CLOSING)
		return;				/* its RST is on the way */
	if (h.op == VSOCK_OP_RST) {
		vsock_conn_free(c);
		return;
	}
	if (c->state == VSOCK_REQUEST && (c->ctrl & CTRL_REQUEST)) {
		tx_refuse(c);		/* it never heard of this one */
		return;
	}
	c->peer_buf_alloc = h.buf_alloc;
	c->peer_fwd_cnt = h.fwd_cnt;
	switch (h.op) {
	case VSOCK_OP_RESPONSE:
		if (c->state != VSOCK_REQUEST) {
			tx_refuse(c);
			return;
		}
		if (vsock_conn_established(c)) {
			vsock_conn_reset(c);
			return;
		}
		break;
	case VSOCK_OP_RW:
		if (c->state != VSOCK_ESTABLISHED ||
		    (c->guest_shut & VSOCK_SHUTDOWN_SEND)) {
			tx_refuse(c);
			return;
		}
		vsock_count(vs, VSOCK_C_TX_BYTES, h.len);
		if (vsock_conn_write(c, ch, h.len)) {
			vsock_conn_reset(c);
			return;
		}
		break;
	case VSOCK_OP_SHUTDOWN:
		if (c->state != VSOCK_ESTABLISHED) {
			tx_refuse(c);
			return;
		}
		vsock_conn_shutdown(c, h.flags);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break;				/* taken above */
	case VSOCK_OP_CREDIT_REQUEST:
		c->ctrl |= CTRL_CREDIT;
		break;
	default:				/* REQUEST again */
		tx_refuse(c);
		return;
	}
	vsock_conn_update(c);
}

static void tx_notify(struct virtio_vsock *vs, struct virtq *vq)
{
	struct virtq_chain c;
	unsigned int served = 0;

	virtq_chain_init(&c, vs->tx_iov, VSOCK_QUEUE_SIZE);
	while (served < VSOCK_BATCH && virtq_pop(vq, &c) > 0) {
		if (c.nr_in) {				/* rule 8 */
			virtio_fail(&vs->vd, "tx packet %u has %u "
				    "device-writable descriptors; tx buffers "
				    "are read-only (5.10.6.6)", c.head, c.nr_in);
			return;
		}
		tx_packet(vs, &c);
		virtq_push(vq, c.head, 0);
		served++;
	}
	if (served)
		virtio_queue_interrupt(&vs->vd, vq);
	if (served == VSOCK_BATCH)
		virtio_queue_kick(&vs->vd, vq->index);	/* more may wait */
}

/* ---- virtio device ops ------------------------------------------------- */

/*
 * 5.10.6.6: after a restore the host's connections are gone (as in
 * Firecracker, "Vsock device reset"): tell the driver with a
 * VIRTIO_VSOCK_EVENT_TRANSPORT_RESET on the event queue, so it drops its
 * own.  If the driver has given no event buffer yet, the event waits for
 * one (vsock_notify on the event queue).
 */
#define VSOCK_EVENT_TRANSPORT_RESET	0u

static void send_reset_event(struct virtio_vsock *vs)
{
	struct virtio_queue *q = virtio_queue(&vs->vd, VSOCK_EVENT_Q);
	struct iovec iov[VSOCK_QUEUE_SIZE];
	struct virtq_chain c;
	uint32_t id = VSOCK_EVENT_TRANSPORT_RESET;	/* le32 id (5.10.6.6) */

	if (!vs->reset_event || !q || !q->enabled || !virtio_running(&vs->vd))
		return;
	virtq_chain_init(&c, iov, VSOCK_QUEUE_SIZE);
	if (virtq_pop(&q->vq, &c) <= 0)
		return;
	vs->reset_event = false;
	if (c.nr_out || c.in_bytes < sizeof(id)) {
		virtio_fail(&vs->vd, "event buffer %u: %u readable descriptors, "
			    "%u writable bytes; an event needs 4 writable",
			    c.head, c.nr_out, c.in_bytes);
		return;
	}
	virtq_chain_write(&c, 0, &id, sizeof(id));
	virtq_push(&q->vq, c.head, sizeof(id));
	virtio_queue_interrupt(&vs->vd, &q->vq);
}

static void vsock_notify(struct virtio_dev *vd, struct virtq *vq)
{
	struct virtio_vsock *vs = to_vs(vd);

	if (vq->index == VSOCK_EVENT_Q)
		send_reset_event(vs);

	/* Event buffers wait for the one event vmon sends (restore). */
	if (vq->index == VSOCK_TX_Q)
		tx_notify(vs, vq);
	/* New rx buffers, or replies the tx packets left owed. */
	vsock_rx_pump(vs);
}

static void vsock_config_read(struct virtio_dev *vd, uint32_t off, void *buf,
			      uint32_t len)
{
	uint64_t cid = to_vs(vd)->guest_cid;	/* le64 guest_cid (5.10.4) */

	memcpy(buf, (uint8_t *)&cid + off, len);
}

static void vsock_reset(struct virtio_dev *vd)
{
	struct virtio_vsock *vs = to_vs(vd);

	/* The driver forgets every connection; host clients still waiting
	 * for their REQUEST to go out keep waiting. */
	vsock_conn_free_all(vs, true);
	vs->rst_nr = vs->rst_head = 0;
	vs->rx_held = false;
	vs->reset_event = false;
}

static void vsock_destroy(struct virtio_dev *vd)
{
	struct virtio_vsock *vs = to_vs(vd);
	const struct metrics_group *m = &vs->metrics;

	log_info("%s: %llu packets from the guest, %llu to it, %llu "
		 "connections, %llu RSTs sent",
		 vd->label,
		 (unsigned long long)metrics_get(m, VSOCK_C_TX_PACKETS),
		 (unsigned long long)metrics_get(m, VSOCK_C_RX_PACKETS),
		 (unsigned long long)metrics_get(m, VSOCK_C_CONNS_OPENED),
		 (unsigned long long)metrics_get(m, VSOCK_C_RST_SENT));
	vsock_conn_free_all(vs, false);
	vsock_unlisten(vs);
	if (vs->registry)
		metrics_unregister(vs->registry, &vs->metrics);
	free(vs->uds_path);
	free(vs);
}

/*
 * Snapshot: the guest CID, which the restored device must have too, and
 * whether an rx chain was in hand (given back on restore).  Connections
 * do not survive: the driver hears TRANSPORT_RESET.
 */
static int vsock_save(struct virtio_dev *vd, struct snap_enc *enc)
{
	struct virtio_vsock *vs = to_vs(vd);

	snap_put_u64(enc, vs->guest_cid);
	snap_put_bool(enc, vs->rx_held);
	return enc->err;
}

static int vsock_restore(struct virtio_dev *vd, struct snap_dec *d)
{
	struct virtio_vsock *vs = to_vs(vd);
	uint64_t cid;
	bool held;

	snap_get_u64(d, "vsock.guest_cid", &cid);
	snap_get_bool(d, "vsock.rx_held", &held);
	if (d->err)
		return d->err;
	if (cid != vs->guest_cid)
		return snap_dec_fail(d, "vsock.guest_cid", "the snapshot's guest "
				     "CID was %llu, this device has %llu",
				     (unsigned long long)cid,
				     (unsigned long long)vs->guest_cid);
	if (held && (!vd->queues[VSOCK_RX_Q].enabled ||
		     !vd->queues[VSOCK_RX_Q].vq.inflight))
		return snap_dec_fail(d, "vsock.rx_held", "an rx buffer in hand, "
				     "but none is in flight");
	if (snap_dec_end(d))
		return d->err;
	vs->rx_held = false;
	if (held)
		virtio_queue_rewind(vd, VSOCK_RX_Q, 1);
	vs->reset_event = true;
	send_reset_event(vs);
	return 0;
}

static const struct virtio_dev_ops vsock_ops = {
	.save = vsock_save,
	.restore = vsock_restore,
	.config_read = vsock_config_read,
	.queue_notify = vsock_notify,
	.reset = vsock_reset,
	.destroy = vsock_destroy,
};

struct virtio_vsock *virtio_vsock_new(const struct vsock_config *cfg,
				      struct evloop *loop,
				      struct metrics *registry)
{
	struct virtio_vsock *vs;

	if (cfg->guest_cid < 3 || cfg->guest_cid == UINT32_MAX ||
	    !cfg->uds_path || !cfg->uds_path[0]) {
		log_error("vsock: guest CID %u or socket path '%s' refused "
			  "(the CID must be 3 to 4294967294, 5.10.4)",
			  cfg->guest_cid, cfg->uds_path ? cfg->uds_path : "");
		return NULL;
	}
	vs = calloc(1, sizeof(*vs));
	if (!vs || !(vs->uds_path = strdup(cfg->uds_path))) {
		free(vs);
		return NULL;
	}
	vs->guest_cid = cfg->guest_cid;
	vs->loop = loop;
	vs->listen_fd = vs->timer_fd = -1;
	vs->next_port = VSOCK_LOCAL_PORT_BASE;
	metrics_group_init(&vs->metrics, "vsock", counter_names, VSOCK_C_NR);
	virtq_chain_init(&vs->rx, vs->rx_iov, VSOCK_QUEUE_SIZE);
	vs->vd = (struct virtio_dev){
		.name = "virtio-vsock",
		.type = VIRTIO_ID_VSOCK,
		.pci_class = PCI_CLASS_COMM_OTHER,
		.num_queues = 3,
		.queue_max_size = VSOCK_QUEUE_SIZE,
		.config_size = sizeof(uint64_t),
		.ops = &vsock_ops,
	};
	if (vsock_listen(vs)) {
		free(vs->uds_path);
		free(vs);
		return NULL;
	}
	if (registry) {
		vs->registry = registry;
		metrics_register(registry, &vs->metrics);
	}
	return vs;
}
