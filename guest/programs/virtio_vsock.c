/* SPDX-License-Identifier: MIT */
/*
 * virtio_vsock: a polling virtio-vsock driver (VIRTIO 1.2, 5.10) with one
 * stream connection at a time, checking vmon's device and its host side
 * (Firecracker's convention: CONNECT <port> on the Unix socket, PATH_<port>
 * for guest-initiated connections).  Everything runs at CPL3.
 *
 * Command line:
 *   test=listen port=P bytes=N   wait for a host-initiated connection to
 *        port P, read N bytes, answer "CRC xxxxxxxx\n" (CRC-32 of them, as
 *        zlib's) then N bytes of the pattern below, shut down
 *   test=connect port=P bytes=N  connect to host port P, send N pattern
 *        bytes, expect "CRC xxxxxxxx\n" back matching them, shut down
 *   test=bad port=P              malformed packets, each answered as vmon
 *        designs it (RST, dropped, DEVICE_NEEDS_RESET then recovered),
 *        then a normal connection to host port P still works
 *   timeout=S (default 20)
 * The pattern: byte i is (i * 7 + (i >> 10)) & 0xff.
 *
 * Prints `virtio-vsock: ...` progress lines and `virtio-vsock: OK`; exit 0,
 * or 1 with a `virtio-vsock: FAIL ...` line.
 */
#include "guest.h"
#include "pci.h"
#include "virtio.h"

#define VIRTIO_ID_VSOCK	19
#define HOST_CID	2
#define QSIZE		32
#define NRX		16
#define NTX		8
#define MAX_PAYLOAD	(64u << 10)
#define BUF_SIZE	(44 + MAX_PAYLOAD)
#define GUEST_BUF_ALLOC	(256u << 10)
#define MY_PORT		2000

enum { OP_REQUEST = 1, OP_RESPONSE, OP_RST, OP_SHUTDOWN, OP_RW,
       OP_CREDIT_UPDATE, OP_CREDIT_REQUEST };

struct vhdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

static struct vdev dev;
static struct vq rxq, txq, evq;
static uint8_t rings[3][16384] __attribute__((aligned(4096)));
static uint8_t rxbuf[NRX][BUF_SIZE] __attribute__((aligned(4096)));
static uint8_t txbuf[NTX][BUF_SIZE] __attribute__((aligned(4096)));
static uint32_t evbuf[4];
static bool tx_busy[NTX];
static uint64_t cid, khz, timeout_ms;
static uint32_t crc_table[256];

/* The one connection, and what arrived for it. */
enum cstate { C_IDLE, C_CONNECTING, C_EST, C_CLOSED };
static struct conn {
	enum cstate state;
	uint32_t my_port, peer_port;
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	uint32_t fwd_cnt, fwd_sent;
	bool need_response, need_credit, peer_shut;
	uint32_t rx_bytes, rx_crc;
	char reply[16];
	uint32_t reply_len;
} conn;
static uint32_t listen_port;		/* 0: not listening */
/* The last RST seen, for any ports. */
static volatile uint32_t rst_count, rst_src, rst_dst;

static uint32_t pattern(uint32_t i)
{
	return (i * 7 + (i >> 10)) & 0xff;
}

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

/* zlib's crc32(): start with 0. */
static uint32_t crc32(uint32_t crc, const uint8_t *p, uint32_t n)
{
	crc = ~crc;
	while (n--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static uint64_t ms_since(uint64_t t0)
{
	return (rdtsc() - t0) / khz;
}

/* ---- the device -------------------------------------------------------- */

static int dev_init(void)
{
	volatile uint32_t *cfg;

	vdev_reset(&dev);
	if (!vdev_negotiate(&dev, VIRTIO_BIT(VIRTIO_F_VERSION_1), NULL)) {
		printf("virtio-vsock: FAIL feature negotiation\n");
		return -1;
	}
	if (vq_setup(&dev, &rxq, 0, QSIZE, rings[0], VIRTIO_MSI_NO_VECTOR) ||
	    vq_setup(&dev, &txq, 1, QSIZE, rings[1], VIRTIO_MSI_NO_VECTOR) ||
	    vq_setup(&dev, &evq, 2, 4, rings[2], VIRTIO_MSI_NO_VECTOR)) {
		printf("virtio-vsock: FAIL queue set-up\n");
		return -1;
	}
	cfg = (volatile uint32_t *)dev.device;
	cid = cfg[0] | (uint64_t)cfg[1] << 32;	/* le64 guest_cid */
	for (uint16_t i = 0; i < 4; i++) {
		vq_desc(&evq, i, (uintptr_t)&evbuf[i], 4, VRING_DESC_F_WRITE, 0);
		vq_publish(&evq, i);
	}
	for (uint16_t i = 0; i < NRX; i++) {
		vq_desc(&rxq, i, (uintptr_t)rxbuf[i], BUF_SIZE,
			VRING_DESC_F_WRITE, 0);
		vq_publish(&rxq, i);
	}
	for (int i = 0; i < NTX; i++)
		tx_busy[i] = false;
	vdev_set_status(&dev, vdev_status(&dev) | VIRTIO_DRIVER_OK);
	vq_kick(&rxq);
	vq_kick(&evq);
	if (vdev_status(&dev) & VIRTIO_NEEDS_RESET) {
		printf("virtio-vsock: FAIL device not running\n");
		return -1;
	}
	return 0;
}

static void hdr_init(struct vhdr *h, uint16_t op, uint32_t len)
{
	*h = (struct vhdr){
		.src_cid = cid, .dst_cid = HOST_CID,
		.src_port = conn.my_port, .dst_port = conn.peer_port,
		.len = len, .type = 1, .op = op,
		.buf_alloc = GUEST_BUF_ALLOC, .fwd_cnt = conn.fwd_cnt,
	};
	conn.fwd_sent = conn.fwd_cnt;
}

/* One received packet: bookkeeping only (sending happens in the main
 * flow, never from here). */
static void on_packet(const struct vhdr *h, const uint8_t *data,
		      uint32_t got)
{
	bool mine = h->src_cid == HOST_CID && h->dst_cid == cid &&
		    h->dst_port == conn.my_port && h->src_port == conn.peer_port;

	if (h->op == OP_RST) {
		rst_count++;
		rst_src = h->src_port;
		rst_dst = h->dst_port;
		if (mine)
			conn.state = C_CLOSED;
		return;
	}
	if (h->op == OP_REQUEST && listen_port && h->dst_port == listen_port &&
	    conn.state == C_IDLE) {
		conn = (struct conn){ .state = C_EST, .my_port = listen_port,
				      .peer_port = h->src_port,
				      .need_response = true };
		mine = true;
	}
	if (!mine)
		return;
	conn.peer_buf_alloc = h->buf_alloc;
	conn.peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case OP_RESPONSE:
		if (conn.state == C_CONNECTING)
			conn.state = C_EST;
		break;
	case OP_RW: {
		uint32_t n = h->len < got ? h->len : got;

		if (conn.reply_len < sizeof(conn.reply) - 1) {
			uint32_t k = sizeof(conn.reply) - 1 - conn.reply_len;

			k = k < n ? k : n;
			memcpy(conn.reply + conn.reply_len, data, k);
			conn.reply_len += k;
		}
		conn.rx_crc = crc32(conn.rx_crc, data, n);
		conn.rx_bytes += n;
		conn.fwd_cnt += n;	/* consumed at once */
		if (conn.fwd_cnt - conn.fwd_sent >= GUEST_BUF_ALLOC / 4)
			conn.need_credit = true;
		break;
	}
	case OP_SHUTDOWN:
		conn.peer_shut = true;
		break;
	case OP_CREDIT_REQUEST:
		conn.need_credit = true;
		break;
	}
}

/* Take what the device returned: rx packets, tx buffers. */
static void poll_queues(void)
{
	uint32_t id, len;
	bool reposted = false;

	while (vq_get_used(&rxq, &id, &len)) {
		if (id < NRX && len >= sizeof(struct vhdr))
			on_packet((const struct vhdr *)rxbuf[id],
				  rxbuf[id] + sizeof(struct vhdr),
				  len - (uint32_t)sizeof(struct vhdr));
		if (id < NRX) {
			vq_publish(&rxq, (uint16_t)id);
			reposted = true;
		}
	}
	if (reposted)
		vq_kick(&rxq);
	while (vq_get_used(&txq, &id, &len))
		if (id < NTX)
			tx_busy[id] = false;
}

static bool broken(void)
{
	return vdev_status(&dev) & VIRTIO_NEEDS_RESET;
}

/* A free tx buffer, waiting for one if need be; -1 on timeout. */
static int tx_slot(void)
{
	uint64_t t0 = rdtsc();

	for (;;) {
		for (int i = 0; i < NTX; i++)
			if (!tx_busy[i])
				return i;
		poll_queues();
		if (ms_since(t0) > timeout_ms || broken())
			return -1;
		cpu_pause();
	}
}

/* Post buffer `slot` as one descriptor of `len` bytes (flags extra). */
static void tx_post(int slot, uint32_t len, uint16_t flags)
{
	tx_busy[slot] = true;
	vq_desc(&txq, (uint16_t)slot, (uintptr_t)txbuf[slot], len, flags, 0);
	vq_publish(&txq, (uint16_t)slot);
	vq_kick(&txq);
}

static int send_ctrl(uint16_t op, uint32_t flags)
{
	int s = tx_slot();

	if (s < 0)
		return -1;
	hdr_init((struct vhdr *)txbuf[s], op, 0);
	((struct vhdr *)txbuf[s])->flags = flags;
	tx_post(s, sizeof(struct vhdr), 0);
	return 0;
}

/* What the flow owes the device, sent from the main loop. */
static int flush_ctrl(void)
{
	if (conn.need_response) {
		conn.need_response = false;
		if (send_ctrl(OP_RESPONSE, 0))
			return -1;
	}
	if (conn.need_credit) {
		conn.need_credit = false;
		if (send_ctrl(OP_CREDIT_UPDATE, 0))
			return -1;
	}
	return 0;
}

/* Spin until cond(), answering what must be answered; false on timeout. */
static bool wait_for(bool (*cond)(void), uint64_t ms)
{
	uint64_t t0 = rdtsc();

	while (!cond()) {
		poll_queues();
		if (flush_ctrl() || broken() || ms_since(t0) > ms)
			return cond();
		cpu_pause();
	}
	return true;
}

static uint32_t peer_free(void)
{
	uint32_t used = conn.tx_cnt - conn.peer_fwd_cnt;

	return used >= conn.peer_buf_alloc ? 0 : conn.peer_buf_alloc - used;
}

static bool have_credit(void)
{
	return peer_free() > 0 || conn.state != C_EST;
}

/* n bytes: `src` if given, else the pattern from offset `at`. */
static int send_data(const uint8_t *src, uint32_t at, uint32_t n)
{
	while (n) {
		uint32_t chunk;
		int s;

		if (!wait_for(have_credit, timeout_ms) || conn.state != C_EST) {
			printf("virtio-vsock: FAIL no credit to send (state %d, "
			       "peer buf_alloc %u fwd_cnt %u, tx_cnt %u)\n",
			       conn.state, conn.peer_buf_alloc,
			       conn.peer_fwd_cnt, conn.tx_cnt);
			return -1;
		}
		chunk = peer_free();
		chunk = chunk < n ? chunk : n;
		chunk = chunk < MAX_PAYLOAD ? chunk : MAX_PAYLOAD;
		if ((s = tx_slot()) < 0)
			return -1;
		hdr_init((struct vhdr *)txbuf[s], OP_RW, chunk);
		uint8_t *d = txbuf[s] + sizeof(struct vhdr);
		if (src) {
			memcpy(d, src, chunk);
			src += chunk;
		} else {
			for (uint32_t i = 0; i < chunk; i++)
				d[i] = (uint8_t)pattern(at + i);
		}
		tx_post(s, sizeof(struct vhdr) + chunk, 0);
		conn.tx_cnt += chunk;
		at += chunk;
		n -= chunk;
	}
	return 0;
}

static bool closed(void)
{
	return conn.state == C_CLOSED;
}

/* Clean disconnect (5.10.6.7): SHUTDOWN both ways, the peer's RST. */
static int close_conn(void)
{
	if (send_ctrl(OP_SHUTDOWN, 3) || !wait_for(closed, timeout_ms)) {
		printf("virtio-vsock: FAIL no RST after SHUTDOWN\n");
		return -1;
	}
	printf("virtio-vsock: closed (shutdown, rst)\n");
	return 0;
}

/* ---- the tests --------------------------------------------------------- */

static uint32_t want_bytes;

static bool accepted(void)
{
	return conn.state == C_EST;
}

static bool all_received(void)
{
	return conn.rx_bytes >= want_bytes || conn.state != C_EST;
}

static bool connect_done(void)
{
	return conn.state != C_CONNECTING;
}

static bool reply_done(void)
{
	return conn.reply_len >= 13 || conn.state != C_EST;
}

static void rate(const char *what, uint32_t bytes, uint64_t ms)
{
	uint64_t kib_s = ms ? (uint64_t)bytes * 1000 / 1024 / ms : 0;

	printf("virtio-vsock: %s %u bytes in %lu ms (%lu KiB/s)\n", what, bytes,
	       ms, kib_s);
}

static long test_listen(uint32_t port, uint32_t bytes)
{
	char line[16];
	uint64_t t0;

	conn = (struct conn){ .state = C_IDLE };
	listen_port = port;
	printf("virtio-vsock: cid %lu listening on port %u\n", cid, port);
	if (!wait_for(accepted, 3 * timeout_ms) || flush_ctrl()) {
		printf("virtio-vsock: FAIL no connection came\n");
		return GUEST_EXIT_FAIL;
	}
	printf("virtio-vsock: accepted host port %u\n", conn.peer_port);
	want_bytes = bytes;
	t0 = rdtsc();
	if (!wait_for(all_received, timeout_ms) || conn.rx_bytes != bytes) {
		printf("virtio-vsock: FAIL received %u of %u bytes\n",
		       conn.rx_bytes, bytes);
		return GUEST_EXIT_FAIL;
	}
	rate("received", bytes, ms_since(t0));
	printf("virtio-vsock: crc32 0x%08x\n", conn.rx_crc);
	snprintf(line, sizeof(line), "CRC %08x\n", conn.rx_crc);
	t0 = rdtsc();
	if (send_data((const uint8_t *)line, 0, 13) || send_data(NULL, 0, bytes))
		return GUEST_EXIT_FAIL;
	rate("sent", bytes, ms_since(t0));
	return close_conn() ? GUEST_EXIT_FAIL : GUEST_EXIT_OK;
}

static long test_connect(uint32_t port, uint32_t bytes)
{
	char want[16];
	uint64_t t0;
	uint32_t crc = 0;

	conn = (struct conn){ .state = C_CONNECTING, .my_port = MY_PORT,
			      .peer_port = port };
	if (send_ctrl(OP_REQUEST, 0) || !wait_for(connect_done, timeout_ms) ||
	    conn.state != C_EST) {
		printf("virtio-vsock: FAIL connection to host port %u refused "
		       "(state %d)\n", port, conn.state);
		return GUEST_EXIT_FAIL;
	}
	printf("virtio-vsock: connected to host port %u\n", port);
	t0 = rdtsc();
	if (send_data(NULL, 0, bytes))
		return GUEST_EXIT_FAIL;
	if (!wait_for(reply_done, timeout_ms) || conn.reply_len < 13) {
		printf("virtio-vsock: FAIL no CRC line from the host\n");
		return GUEST_EXIT_FAIL;
	}
	rate("sent", bytes, ms_since(t0));
	for (uint32_t i = 0; i < bytes; i++) {
		uint8_t b = (uint8_t)pattern(i);

		crc = crc32(crc, &b, 1);
	}
	snprintf(want, sizeof(want), "CRC %08x\n", crc);
	conn.reply[13] = 0;
	if (memcmp(conn.reply, want, 13)) {
		printf("virtio-vsock: FAIL host says %s, want %s", conn.reply,
		       want);
		return GUEST_EXIT_FAIL;
	}
	printf("virtio-vsock: host crc32 0x%08x matches\n", crc);
	return close_conn() ? GUEST_EXIT_FAIL : GUEST_EXIT_OK;
}

/* ---- test=bad ---------------------------------------------------------- */

static uint32_t rst_before;

static bool rst_came(void)
{
	return rst_count != rst_before;
}

/* Send a packet as given (header bytes `hlen`, descriptor length `dlen`,
 * extra descriptor flags), expect a RST from `src` to `dst`, or none. */
static bool bad_packet(const char *name, const struct vhdr *h, uint32_t dlen,
		       bool expect_rst)
{
	int s = tx_slot();
	bool got;

	if (s < 0)
		return false;
	rst_before = rst_count;
	memcpy(txbuf[s], h, sizeof(*h));
	tx_post(s, dlen, 0);
	got = wait_for(rst_came, expect_rst ? timeout_ms : 300);
	if (broken()) {
		printf("virtio-vsock: FAIL %s: the device needs a reset\n",
		       name);
		return false;
	}
	if (got != expect_rst || (got && (rst_src != h->dst_port ||
					  rst_dst != h->src_port))) {
		printf("virtio-vsock: FAIL %s: %s (rst %u -> %u)\n", name,
		       got ? "unexpected RST" : "no RST", rst_src, rst_dst);
		return false;
	}
	printf("virtio-vsock: bad %s: %s\n", name, got ? "rst" : "dropped");
	return true;
}

static bool tx_done(void)
{
	for (int i = 0; i < NTX; i++)
		if (tx_busy[i])
			return false;
	return true;
}

static long test_bad(uint32_t port)
{
	struct vhdr h = {
		.src_cid = cid, .dst_cid = HOST_CID, .src_port = 5000,
		.dst_port = 6000, .type = 1, .op = OP_RW,
		.buf_alloc = GUEST_BUF_ALLOC,
	};
	struct vhdr t;
	int s;

	/* 16: len above 64 KiB; len beyond the chain; unknown op and type;
	 * data for no connection; a REQUEST nobody listens to. */
	t = h, t.len = MAX_PAYLOAD + 1;
	if (!bad_packet("len>64KiB", &t, sizeof(t), true))
		return GUEST_EXIT_FAIL;
	t = h, t.len = 100;
	if (!bad_packet("len>chain", &t, sizeof(t) + 10, true))
		return GUEST_EXIT_FAIL;
	t = h, t.op = 42;
	if (!bad_packet("unknown-op", &t, sizeof(t), true))
		return GUEST_EXIT_FAIL;
	t = h, t.op = OP_REQUEST, t.type = 9;
	if (!bad_packet("unknown-type", &t, sizeof(t), true))
		return GUEST_EXIT_FAIL;
	t = h, t.len = 4;
	if (!bad_packet("no-connection", &t, sizeof(t) + 4, true))
		return GUEST_EXIT_FAIL;
	t = h, t.op = OP_REQUEST, t.dst_port = port + 1;
	if (!bad_packet("no-listener", &t, sizeof(t), true))
		return GUEST_EXIT_FAIL;
	/* Answering a RST with a RST would ping-pong: nothing. */
	t = h, t.op = OP_RST;
	if (!bad_packet("rst-for-nothing", &t, sizeof(t), false))
		return GUEST_EXIT_FAIL;
	/* A chain shorter than the header: dropped, buffer returned. */
	if (!bad_packet("short-chain", &h, 20, false) ||
	    !wait_for(tx_done, timeout_ms)) {
		printf("virtio-vsock: FAIL short-chain buffer not returned\n");
		return GUEST_EXIT_FAIL;
	}
	/* Rule 8: a writable tx descriptor breaks the queue: NEEDS_RESET. */
	if ((s = tx_slot()) < 0)
		return GUEST_EXIT_FAIL;
	memcpy(txbuf[s], &h, sizeof(h));
	tx_post(s, sizeof(h), VRING_DESC_F_WRITE);
	{
		uint64_t t0 = rdtsc();

		while (!broken() && ms_since(t0) < timeout_ms)
			cpu_pause();
	}
	if (!broken()) {
		printf("virtio-vsock: FAIL writable tx buffer accepted\n");
		return GUEST_EXIT_FAIL;
	}
	if (dev_init())
		return GUEST_EXIT_FAIL;
	printf("virtio-vsock: bad writable-tx: needs-reset, recovered\n");
	/* And a normal connection still works. */
	return test_connect(port, 4096);
}

/* ---- main -------------------------------------------------------------- */

struct opts {
	char test[16];
	uint32_t port, bytes;
};

static long body(void *arg)
{
	const struct opts *o = arg;
	long ret;

	crc_init();
	if (vdev_open(&dev, VIRTIO_ID_VSOCK)) {
		printf("virtio-vsock: FAIL no virtio vsock device on PCI bus 0\n");
		return GUEST_EXIT_FAIL;
	}
	if (dev_init())
		return GUEST_EXIT_FAIL;
	printf("virtio-vsock: device at 00:%02x.0, guest cid %lu\n",
	       dev.devfn >> 3, cid);
	if (!strcmp(o->test, "listen"))
		ret = test_listen(o->port, o->bytes);
	else if (!strcmp(o->test, "connect"))
		ret = test_connect(o->port, o->bytes);
	else if (!strcmp(o->test, "bad"))
		ret = test_bad(o->port);
	else {
		printf("virtio-vsock: FAIL test=%s: expected listen, connect or "
		       "bad\n", o->test);
		return GUEST_EXIT_FAIL;
	}
	vdev_reset(&dev);
	if (ret == GUEST_EXIT_OK)
		printf("virtio-vsock: OK\n");
	return ret;
}

int main(void)
{
	struct opts o = { .test = "listen" };

	cmdline_get("test", o.test, sizeof(o.test));
	o.port = (uint32_t)cmdline_u64("port", 1234);
	o.bytes = (uint32_t)cmdline_u64("bytes", 65536);
	timeout_ms = cmdline_u64("timeout", 20) * 1000;
	khz = tsc_khz();
	return (int)run_user(body, &o);
}
