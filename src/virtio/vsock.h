/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock, the socket device (VIRTIO 1.2, 5.10), with Firecracker's
 * host side: guest AF_VSOCK stream sockets meet host AF_UNIX sockets.
 *
 *   host-initiated   the host connects to the Unix socket at uds_path and
 *                    writes "CONNECT <port>\n"; vmon sends the guest a
 *                    REQUEST for that port from a local port of its own
 *                    (VSOCK_LOCAL_PORT_BASE and up) and, once the guest
 *                    answers RESPONSE, writes "OK <local port>\n" back;
 *                    then the bytes flow.  A RST instead closes it.
 *   guest-initiated  a REQUEST from the guest to CID 2, port P, becomes a
 *                    connect(2) to "<uds_path>_P"; RESPONSE on success,
 *                    RST when nobody listens there.
 *
 * Queues: 0 rx (device to driver), 1 tx (driver to device), 2 event
 * (only TRANSPORT_RESET, once after a snapshot restore).  Configuration: le64 guest_cid.  No
 * feature bits: stream sockets only (5.10.3).
 *
 * Flow control is the spec's credit scheme (5.10.6.3) both ways, and the
 * host side never buffers without bound:
 *   - host to guest: a host socket is read only while the guest has
 *     credit for the bytes and an rx buffer is in hand, straight into that
 *     buffer; otherwise its EPOLLIN is switched off (evloop_mod);
 *   - guest to host: payload goes straight to the host socket; what the
 *     socket does not take waits in a per-connection buffer of
 *     VSOCK_BUF_ALLOC bytes, the credit vmon advertises, so a guest that
 *     respects credit never overflows it (one that does not is reset).
 *
 * Bad guest packets (guest-input.md 16), each counted:
 *   header len above VSOCK_MAX_PAYLOAD, or above the bytes the chain
 *   carries, a type other than STREAM, an unknown op, a packet for no
 *   connection, more connections than VSOCK_MAX_CONNS, or data beyond the
 *   credit vmon gave: RST to the sender (never in answer to a RST);
 *   a tx chain shorter than the header: dropped, the buffer returned.
 *   5.10.6.6 defines a packet as header then data and says nothing of a
 *   shorter one; without a whole header there is no address to answer
 *   to, and one bad buffer should not take every other connection of
 *   the device down, so vmon drops it as Linux's vhost-vsock does.
 *   Wrong source or destination CID: dropped (vhost-vsock does too).
 *   A device-writable tx buffer or a device-readable rx buffer breaks
 *   the queue's contract (rule 8): DEVICE_NEEDS_RESET.
 */
#ifndef VMON_VIRTIO_VSOCK_H
#define VMON_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/evloop.h"
#include "lib/metrics.h"
#include "virtio/virtio.h"

/* The device, as the configuration gives it. */
struct vsock_config {
	bool enabled;
	uint32_t guest_cid;	/* >= 3 */
	const char *uds_path;	/* host side, Firecracker's convention */
};

#define VSOCK_HOST_CID		2
#define VSOCK_QUEUE_SIZE	256
#define VSOCK_RX_Q		0
#define VSOCK_TX_Q		1
#define VSOCK_EVENT_Q		2

/* Limits (guest-input.md 16). */
#define VSOCK_MAX_PAYLOAD	(64u << 10)	/* header len */
#define VSOCK_MAX_CONNS		1024
#define VSOCK_BUF_ALLOC		(256u << 10)	/* credit per connection */
#define VSOCK_RST_BACKLOG	64		/* RSTs waiting for rx buffers */
#define VSOCK_BATCH		VSOCK_QUEUE_SIZE /* per notification */
#define VSOCK_LOCAL_PORT_BASE	(1u << 30)
/* A host client must send its CONNECT line, and the guest answer a
 * REQUEST, within these. */
#define VSOCK_LINE_TIMEOUT_MS	10000
#define VSOCK_REQUEST_TIMEOUT_MS 2000
#define VSOCK_LINE_MAX		32

/* The packet header (5.10.6), little-endian like the host. */
struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));
#define VSOCK_HDR_SIZE		44

#define VSOCK_TYPE_STREAM	1

enum vsock_op {
	VSOCK_OP_INVALID,
	VSOCK_OP_REQUEST,
	VSOCK_OP_RESPONSE,
	VSOCK_OP_RST,
	VSOCK_OP_SHUTDOWN,
	VSOCK_OP_RW,
	VSOCK_OP_CREDIT_UPDATE,
	VSOCK_OP_CREDIT_REQUEST,
};

#define VSOCK_SHUTDOWN_RCV	1
#define VSOCK_SHUTDOWN_SEND	2

/* What vsock_parse() found in a tx chain. */
enum vsock_verdict {
	VSOCK_PKT_OK,
	VSOCK_PKT_SHORT,	/* no whole header: drop */
	VSOCK_PKT_BAD_CID,	/* not from guest_cid to the host: drop */
	VSOCK_PKT_TOO_LONG,	/* len > VSOCK_MAX_PAYLOAD: RST */
	VSOCK_PKT_TRUNCATED,	/* len > the chain's payload bytes: RST */
	VSOCK_PKT_BAD_TYPE,	/* not STREAM: RST */
	VSOCK_PKT_BAD_OP,	/* unknown op: RST */
};

/* Counters, exported as the "vsock" metrics group. */
enum vsock_counter {
	VSOCK_C_TX_PACKETS,	/* from the guest */
	VSOCK_C_TX_BYTES,
	VSOCK_C_RX_PACKETS,	/* to the guest */
	VSOCK_C_RX_BYTES,
	VSOCK_C_CONNS_OPENED,
	VSOCK_C_CONNS_CLOSED,
	VSOCK_C_CONN_LIMIT,	/* refused: VSOCK_MAX_CONNS */
	VSOCK_C_CONNECT_FAILED,	/* nobody at <uds_path>_P */
	VSOCK_C_HOST_BAD_LINE,	/* a host client's bad CONNECT line */
	VSOCK_C_TIMEOUTS,
	VSOCK_C_SHORT_HDR,
	VSOCK_C_BAD_CID,
	VSOCK_C_TOO_LONG,
	VSOCK_C_TRUNCATED,
	VSOCK_C_BAD_TYPE,
	VSOCK_C_BAD_OP,
	VSOCK_C_NO_CONN,	/* a packet for no connection */
	VSOCK_C_PROTOCOL,	/* an op the connection's state refuses */
	VSOCK_C_CREDIT,		/* data beyond the credit given */
	VSOCK_C_RST_SENT,
	VSOCK_C_RST_DROPPED,	/* backlog full */
	VSOCK_C_RX_SHORT_BUF,	/* rx buffer smaller than a header */
	VSOCK_C_HOST_ERRORS,	/* host socket I/O errors */
	VSOCK_C_NR,
};

struct vsock_conn;

/* An intrusive doubly linked list. */
struct vsock_link {
	struct vsock_conn *prev, *next;
};

struct vsock_list {
	struct vsock_conn *head, *tail;
	unsigned int nr;
};

#define VSOCK_HASH_SIZE		256

/* A RST owed to the guest for a packet that has no connection. */
struct vsock_rst {
	uint32_t guest_port, host_port;
};

struct virtio_vsock {
	struct virtio_dev vd;
	uint64_t guest_cid;
	char *uds_path;
	struct evloop *loop;
	struct metrics *registry;	/* NULL: not registered */
	struct metrics_group metrics;	/* enum vsock_counter */

	int listen_fd;
	int timer_fd;
	bool timer_armed;
	uint32_t next_port;		/* for host-initiated connections */

	struct vsock_list all;		/* every connection */
	struct vsock_list ready;	/* connections with rx work */
	struct vsock_list hash[VSOCK_HASH_SIZE];

	struct vsock_rst rst[VSOCK_RST_BACKLOG];
	unsigned int rst_head, rst_nr;

	/* A restored device owes the driver a TRANSPORT_RESET event. */
	bool reset_event;

	/* The rx chain in hand, popped but not yet filled. */
	bool rx_held;
	struct virtq_chain rx;
	struct iovec rx_iov[VSOCK_QUEUE_SIZE];
	struct iovec tx_iov[VSOCK_QUEUE_SIZE];
	struct iovec sub_iov[VSOCK_QUEUE_SIZE];
};

/*
 * A new, unregistered device (hand &vs->vd to a transport) listening on
 * cfg->uds_path on `loop`, or NULL with the reason logged.  A stale
 * socket file (nobody accepting) is replaced; anything else there is an
 * error.  `registry` (may be NULL) gets the "vsock" counters.
 */
struct virtio_vsock *virtio_vsock_new(const struct vsock_config *cfg,
				      struct evloop *loop,
				      struct metrics *registry);

/*
 * Check a tx chain's header into *h (copied once; only the copy is used
 * afterwards).  Returns what to do with it; *h is filled whenever the
 * header is whole (anything but VSOCK_PKT_SHORT).
 */
enum vsock_verdict vsock_parse(const struct virtq_chain *c, uint64_t guest_cid,
			       struct vsock_hdr *h);

/* Bytes of the chain's readable (out) or writable (in) part from off on,
 * up to len, as iovecs into out[cap].  Returns how many were used. */
unsigned int vsock_sub_iov(const struct virtq_chain *c, bool writable,
			   size_t off, size_t len, struct iovec *out,
			   unsigned int cap);

#endif
