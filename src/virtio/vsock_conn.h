/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock connections and their host sockets (internal to
 * vsock.c and vsock_conn.c).  Everything runs on the VMM thread with the
 * device lock held: device callbacks hold it already, socket and timer
 * handlers take it.
 *
 * A connection's life:
 *
 *   LINE        accepted on uds_path, reading "CONNECT <port>\n"
 *   REQUEST     REQUEST owed or sent to the guest, waiting for RESPONSE
 *   ESTABLISHED bytes flow both ways (a guest-initiated connection starts
 *               here, with RESPONSE owed)
 *   CLOSING     host socket closed, a RST owed to the guest; freed once
 *               it is sent
 *
 * Packets owed to the guest are bits in `ctrl` (never a queue that could
 * grow), and a connection with something to send sits once on the
 * device's `ready` list until an rx buffer takes it.
 */
#ifndef VMON_VIRTIO_VSOCK_CONN_H
#define VMON_VIRTIO_VSOCK_CONN_H

#include "virtio/vsock.h"

enum vsock_state {
	VSOCK_LINE,
	VSOCK_REQUEST,
	VSOCK_ESTABLISHED,
	VSOCK_CLOSING,
};

/* Packets owed to the guest. */
#define CTRL_REQUEST	0x01
#define CTRL_RESPONSE	0x02
#define CTRL_SHUTDOWN	0x04
#define CTRL_CREDIT	0x08
#define CTRL_RST	0x10

/* The lists a connection is on: links indexed by these. */
enum { VSOCK_L_ALL, VSOCK_L_READY, VSOCK_L_HASH, VSOCK_L_NR };

struct vsock_conn {
	struct virtio_vsock *vs;
	struct vsock_link link[VSOCK_L_NR];
	bool on_ready, in_hash;
	enum vsock_state state;
	int fd;
	bool registered;	/* fd is on the event loop */
	uint32_t events;	/* what it is watched for */
	bool readable;		/* may have bytes: read until EAGAIN */
	uint32_t guest_port, host_port;
	unsigned int ctrl;
	uint64_t deadline_ms;	/* LINE and REQUEST: 0 none */

	/* The guest's receive buffer (5.10.6.3): what we may send. */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* Ours: bytes the guest sent, and those the host socket took. */
	uint32_t rx_cnt, fwd_cnt, fwd_cnt_sent;
	/* Guest bytes the host socket has not taken yet: a ring. */
	uint8_t *pend;
	uint32_t pend_head, pend_len;

	uint8_t guest_shut;	/* SHUTDOWN flags the guest sent */
	bool host_eof;		/* the host socket said EOF */
	bool host_wr_shut;	/* shutdown(SHUT_WR) done */

	char line[VSOCK_LINE_MAX];
	unsigned int line_len;
};

static inline void vsock_count(struct virtio_vsock *vs, enum vsock_counter c,
			       uint64_t n)
{
	metrics_add(&vs->metrics, c, n);
}

/* ---- vsock_conn.c ------------------------------------------------------ */

int vsock_listen(struct virtio_vsock *vs);
void vsock_unlisten(struct virtio_vsock *vs);

struct vsock_conn *vsock_conn_find(struct virtio_vsock *vs,
				   uint32_t guest_port, uint32_t host_port);
/* The guest asks for host port `port`: connect to <uds_path>_<port>.
 * NULL (counted) when that fails or the table is full. */
struct vsock_conn *vsock_conn_connect(struct virtio_vsock *vs,
				      const struct vsock_hdr *h);
/* The guest answered our REQUEST: tell the host client "OK <port>". */
int vsock_conn_established(struct vsock_conn *c);
/* Guest payload for the host socket; -errno when the connection must be
 * reset (host socket gone, credit exceeded). */
int vsock_conn_write(struct vsock_conn *c, const struct virtq_chain *ch,
		     uint32_t len);
/* Guest SHUTDOWN flags. */
void vsock_conn_shutdown(struct vsock_conn *c, uint32_t flags);
/* Read host bytes into iov (the rx buffer): > 0 bytes, 0 EOF, -EAGAIN,
 * or -errno. */
ssize_t vsock_conn_read(struct vsock_conn *c, const struct iovec *iov,
			unsigned int n);

/* Host socket closed, RST owed to the guest. */
void vsock_conn_reset(struct vsock_conn *c);
/* Gone without a word (the guest sent RST, or device reset). */
void vsock_conn_free(struct vsock_conn *c);
void vsock_conn_free_all(struct virtio_vsock *vs, bool keep_unknown);

/* Credit the guest has for host bytes: how many we may send now. */
uint32_t vsock_conn_peer_free(const struct vsock_conn *c);
/* Should host bytes be read for the guest now? */
bool vsock_conn_wants_read(const struct vsock_conn *c);
/* Put on (or leave off) the ready list and fix the epoll events, after
 * anything changed. */
void vsock_conn_update(struct vsock_conn *c);

void vsock_list_add(struct vsock_list *l, struct vsock_conn *c, int k);
void vsock_list_del(struct vsock_list *l, struct vsock_conn *c, int k);

/* ---- vsock.c ----------------------------------------------------------- */

/* Send what can be sent to the guest (rx queue), if the device runs. */
void vsock_rx_pump(struct virtio_vsock *vs);

#endif
