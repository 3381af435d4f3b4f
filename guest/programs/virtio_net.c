/* SPDX-License-Identifier: MIT */
/*
 * virtio_net: drive the virtio network device (VIRTIO 1.2, 5.1) by
 * polling, at CPL3.  Finds it on PCI bus 0 (vmon's or QEMU's
 * virtio-net-pci), negotiates VERSION_1 and MAC (plus STATUS, and
 * MRG_RXBUF / EVENT_IDX when asked), reads the MAC from the device
 * configuration, sets up the receive (0) and transmit (1) queues and runs
 * one test.  Frames are Ethernet with ethertype 0x88b5 (local
 * experimental) and a payload of "VMON", a 32-bit big-endian sequence
 * number, then bytes (seq * 31 + offset) & 0xff: tests on the host build
 * and check the same.
 *
 * Command line:
 *   test=tx      send n frames of `size` bytes to dst (default broadcast)
 *   test=rx      wait for n frames of ethertype 0x88b5 (others are
 *                counted and ignored); print the count and FNV-1a 32 of
 *                their payloads (bytes 14 on) in order of arrival
 *   test=echo    send back the next n such frames, MACs swapped
 *   test=bad     malformed transmit chains, then a good frame (vmon)
 *   test=bench   stream frames of `size` bytes, mb MiB, time with the TSC
 *   n=N (16), size=N (tx 128, bench 1514; 60 to 1514, bench to 65550),
 *   dst=MAC, mb=N (256), mrg=1, evidx=1, qsize=N (256), rxbuf=N (2048,
 *   receive buffer bytes; 64 to 2048), timeout=S (10), ecam=ADDR
 *
 * Prints `virtio-net: ...` lines (see each test); exit 0 on success.
 */
#include "guest.h"
#include "pci.h"
#include "virtio.h"

#define VIRTIO_ID_NET		1
#define F_MAC			5
#define F_MRG_RXBUF		15
#define F_STATUS		16
#define HDR			12
#define ETH_HLEN		14
#define ETHERTYPE		0x88b5
#define MAX_QSIZE		256
#define SLOT			2048
#define BIG_FRAME		65550
#define RX_Q			0
#define TX_Q			1

static struct vdev dev;
static struct vq rxq, txq;
static uint8_t rx_ring[3 * 4096] __attribute__((aligned(4096)));
static uint8_t tx_ring[3 * 4096] __attribute__((aligned(4096)));
static uint8_t rx_mem[MAX_QSIZE * SLOT] __attribute__((aligned(4096)));
static uint8_t tx_mem[MAX_QSIZE * SLOT] __attribute__((aligned(4096)));
static uint8_t big[HDR + BIG_FRAME] __attribute__((aligned(4096)));
static uint8_t frame_buf[HDR + 2048];	/* a merged receive frame */

struct opts {
	char test[16];
	uint32_t n, size, rxbuf;
	uint64_t mb;
	uint8_t dst[6];
	bool mrg, evidx;
	uint16_t qsize;
	uint64_t timeout_cycles;
};

static uint8_t mac[6];
static uint64_t khz;
static uint16_t tx_free[MAX_QSIZE], tx_nfree;
static uint32_t kicks;

/* ---- helpers --------------------------------------------------------------- */

static bool parse_mac(const char *s, uint8_t m[6])
{
	for (int i = 0; i < 6; i++, s += 3) {
		uint8_t v = 0;

		for (int j = 0; j < 2; j++) {
			char c = s[j];

			v = (uint8_t)(v << 4);
			if (c >= '0' && c <= '9')
				v |= (uint8_t)(c - '0');
			else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
				v |= (uint8_t)((c | 0x20) - 'a' + 10);
			else
				return false;
		}
		if (s[2] != (i == 5 ? 0 : ':'))
			return false;
		m[i] = v;
	}
	return true;
}

static void fmt_mac(char *out, const uint8_t *m)
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Header (zero) and frame `seq` of `size` bytes at p. */
static void make_frame(uint8_t *p, const uint8_t *dst, uint32_t size,
		       uint32_t seq)
{
	uint8_t *f = p + HDR;

	memset(p, 0, HDR);
	memcpy(f, dst, 6);
	memcpy(f + 6, mac, 6);
	f[12] = ETHERTYPE >> 8;
	f[13] = ETHERTYPE & 0xff;
	memcpy(f + 14, "VMON", 4);
	f[18] = (uint8_t)(seq >> 24);
	f[19] = (uint8_t)(seq >> 16);
	f[20] = (uint8_t)(seq >> 8);
	f[21] = (uint8_t)seq;
	for (uint32_t i = 22; i < size; i++)
		f[i] = (uint8_t)(seq * 31 + i);
}

static bool timed_out(uint64_t start, const struct opts *o)
{
	return rdtsc() - start > o->timeout_cycles;
}

/*
 * Notify after publishing entries old..avail_idx; with EVENT_IDX only if
 * the device asked to hear of one of them (2.7.10).
 */
static void notify(struct vq *q, uint16_t old, bool evidx)
{
	volatile uint16_t *avail_event = (volatile uint16_t *)&q->used->ring[q->size];

	__atomic_thread_fence(__ATOMIC_SEQ_CST);	/* idx before event */
	if (evidx && (uint16_t)(q->avail_idx - *avail_event - 1) >=
		     (uint16_t)(q->avail_idx - old))
		return;
	*q->notify = q->index;
	kicks++;
}

/* Never interrupt: we poll (flags, or a used_event far ahead). */
static void no_interrupts(struct vq *q, bool evidx)
{
	if (evidx)
		*(volatile uint16_t *)&q->avail->ring[q->size] =
			(uint16_t)(q->last_used + 0x7fff);
	else
		q->avail->flags = 1;	/* VRING_AVAIL_F_NO_INTERRUPT */
}

/* ---- transmit ---------------------------------------------------------------- */

static void tx_reclaim(void)
{
	uint32_t id, len;

	while (vq_get_used(&txq, &id, &len))
		if (id < txq.size)
			tx_free[tx_nfree++] = (uint16_t)id;
}

/* Queue one buffer of len bytes at addr; false if the ring is full. */
static bool tx_post(uint64_t addr, uint32_t len, const struct opts *o)
{
	uint16_t id, old = txq.avail_idx;

	if (!tx_nfree)
		return false;
	id = tx_free[--tx_nfree];
	vq_desc(&txq, id, addr, len, 0, 0);
	vq_publish(&txq, id);
	notify(&txq, old, o->evidx);
	return true;
}

/* Send from a slot of tx_mem; waits for room. */
static bool tx_send(const uint8_t *frame, uint32_t len, const struct opts *o)
{
	uint64_t start = rdtsc();

	for (;;) {
		tx_reclaim();
		if (tx_nfree) {
			uint16_t id = tx_free[tx_nfree - 1];
			uint8_t *slot = tx_mem + (uint32_t)id * SLOT;

			memcpy(slot, frame, len);
			return tx_post((uintptr_t)slot, len, o);
		}
		if (timed_out(start, o))
			return false;
		cpu_pause();
	}
}

static bool tx_drain(const struct opts *o)
{
	uint64_t start = rdtsc();

	while (tx_reclaim(), tx_nfree < txq.size)
		if (timed_out(start, o))
			return false;
	return true;
}

static int test_tx(const struct opts *o)
{
	static uint8_t f[HDR + 1514];

	for (uint32_t i = 0; i < o->n; i++) {
		make_frame(f, o->dst, o->size, i);
		if (!tx_send(f, HDR + o->size, o)) {
			printf("virtio-net: FAIL tx: no room after frame %u\n", i);
			return GUEST_EXIT_FAIL;
		}
	}
	if (!tx_drain(o)) {
		printf("virtio-net: FAIL tx: frames not completed\n");
		return GUEST_EXIT_FAIL;
	}
	printf("virtio-net: tx: sent %u frames of %u bytes (%u notifications)\n",
	       o->n, o->size, kicks);
	return GUEST_EXIT_OK;
}

/* ---- receive ------------------------------------------------------------------ */

static void rx_give(uint16_t id, const struct opts *o)
{
	vq_desc(&rxq, id, (uintptr_t)(rx_mem + (uint32_t)id * o->rxbuf), o->rxbuf,
		VRING_DESC_F_WRITE, 0);
	vq_publish(&rxq, id);
}

/* Next used receive buffer, or false at the timeout. */
static bool rx_used(uint64_t start, const struct opts *o, uint32_t *id,
		    uint32_t *len)
{
	while (!vq_get_used(&rxq, id, len)) {
		if (timed_out(start, o))
			return false;
		cpu_pause();
	}
	return true;
}

/*
 * One frame into frame_buf (header included), its buffers given back.
 * Returns its length, 0 on a timeout, -1 when the device misbehaved.
 */
static long rx_frame(uint64_t start, const struct opts *o)
{
	uint32_t id, len, total = 0, nbuf;
	uint16_t old = rxq.avail_idx;

	if (!rx_used(start, o, &id, &len))
		return 0;
	nbuf = 1;
	for (uint32_t i = 0; i < nbuf; i++) {
		if (i && !rx_used(start, o, &id, &len))
			return -1;
		if (id >= rxq.size || len > o->rxbuf ||
		    total + len > sizeof(frame_buf)) {
			printf("virtio-net: FAIL rx: used id %u len %u\n", id, len);
			return -1;
		}
		memcpy(frame_buf + total, rx_mem + id * o->rxbuf, len);
		/* Without MRG_RXBUF num_buffers must be 1 (5.1.6.4), but
		 * QEMU 7.2 leaves 0 there: like Linux, ignore it then. */
		if (i == 0 && o->mrg) {
			nbuf = (uint32_t)(frame_buf[10] | frame_buf[11] << 8);
			if (nbuf == 0 || nbuf > rxq.size) {
				printf("virtio-net: FAIL rx: num_buffers %u\n", nbuf);
				return -1;
			}
		}
		total += len;
		rx_give((uint16_t)id, o);
	}
	notify(&rxq, old, o->evidx);
	return total;
}

static bool ours(const uint8_t *f, long len)
{
	return len >= HDR + 22 && f[HDR + 12] == (ETHERTYPE >> 8) &&
	       f[HDR + 13] == (ETHERTYPE & 0xff) && !memcmp(f + HDR + 14, "VMON", 4);
}

static int test_rx(const struct opts *o, bool echo)
{
	uint32_t got = 0, other = 0, h = 2166136261u;
	uint64_t bytes = 0, start = rdtsc();

	printf("virtio-net: %s: ready\n", echo ? "echo" : "rx");
	while (got < o->n) {
		long len = rx_frame(start, o);

		if (len < 0)
			return GUEST_EXIT_FAIL;
		if (len == 0) {
			printf("virtio-net: FAIL %s: %u of %u frames after %u s "
			       "(%u others)\n", echo ? "echo" : "rx", got, o->n,
			       (unsigned)(o->timeout_cycles / khz / 1000), other);
			return GUEST_EXIT_FAIL;
		}
		if (!ours(frame_buf, len)) {
			other++;
			continue;
		}
		got++;
		bytes += (uint64_t)len - HDR - ETH_HLEN;
		h = fnv1a(h, frame_buf + HDR + ETH_HLEN,
			  (uint32_t)len - HDR - ETH_HLEN);
		if (echo) {
			uint8_t *f = frame_buf + HDR;

			memcpy(f, f + 6, 6);
			memcpy(f + 6, mac, 6);
			memset(frame_buf, 0, HDR);
			if (!tx_send(frame_buf, (uint32_t)len, o)) {
				printf("virtio-net: FAIL echo: no transmit room\n");
				return GUEST_EXIT_FAIL;
			}
		}
	}
	if (echo && !tx_drain(o)) {
		printf("virtio-net: FAIL echo: frames not completed\n");
		return GUEST_EXIT_FAIL;
	}
	if (echo)
		printf("virtio-net: echo: reflected %u frames (%u others "
		       "ignored)\n", got, other);
	else
		printf("virtio-net: rx: received %u frames, %lu payload bytes, "
		       "checksum 0x%08x (%u others ignored)\n", got,
		       (unsigned long)bytes, h, other);
	return GUEST_EXIT_OK;
}

/* ---- malformed transmit chains (vmon; QEMU fails the device instead) ---- */

static int test_bad(const struct opts *o)
{
	static const char *const names[] = {
		"short (8 bytes, less than the header)",
		"oversized (17 x 4 KiB chain)", "gso (TCPv4 not negotiated)",
		"csum (NEEDS_CSUM not negotiated)", "good",
	};
	uint16_t heads[5], old = txq.avail_idx, d = 0;
	uint32_t id, len, ok = 0;
	uint64_t start;

	if (txq.size < 32) {
		printf("virtio-net: FAIL bad: needs qsize of 32 or more\n");
		return GUEST_EXIT_FAIL;
	}
	make_frame(tx_mem, o->dst, 100, 0);
	heads[0] = d;
	vq_desc(&txq, d++, (uintptr_t)tx_mem, 8, 0, 0);
	heads[1] = d;
	memset(big, 0, sizeof(big));
	for (int i = 0; i < 17; i++, d++)
		vq_desc(&txq, d, (uintptr_t)big, 4096,
			i < 16 ? VRING_DESC_F_NEXT : 0, (uint16_t)(d + 1));
	make_frame(tx_mem + SLOT, o->dst, 100, 1);
	tx_mem[SLOT + 1] = 1;			/* gso_type TCPv4 */
	tx_mem[SLOT + 4] = 0xe8;		/* gso_size 1000 */
	tx_mem[SLOT + 5] = 0x03;
	heads[2] = d;
	vq_desc(&txq, d++, (uintptr_t)(tx_mem + SLOT), HDR + 100, 0, 0);
	make_frame(tx_mem + 2 * SLOT, o->dst, 100, 2);
	tx_mem[2 * SLOT] = 1;			/* NEEDS_CSUM */
	tx_mem[2 * SLOT + 6] = 14;		/* csum_start */
	tx_mem[2 * SLOT + 8] = 16;		/* csum_offset */
	heads[3] = d;
	vq_desc(&txq, d++, (uintptr_t)(tx_mem + 2 * SLOT), HDR + 100, 0, 0);
	make_frame(tx_mem + 3 * SLOT, o->dst, 100, 1000);
	heads[4] = d;
	vq_desc(&txq, d++, (uintptr_t)(tx_mem + 3 * SLOT), HDR + 100, 0, 0);
	for (int i = 0; i < 5; i++)
		vq_publish(&txq, heads[i]);
	notify(&txq, old, o->evidx);
	start = rdtsc();
	for (int i = 0; i < 5; i++) {
		while (!vq_get_used(&txq, &id, &len)) {
			if (timed_out(start, o)) {
				printf("virtio-net: FAIL bad: %d of 5 chains back "
				       "(status 0x%x)\n", i, vdev_status(&dev));
				return GUEST_EXIT_FAIL;
			}
			cpu_pause();
		}
		for (int k = 0; k < 5; k++) {
			if (heads[k] != id)
				continue;
			printf("virtio-net: bad: %s: completed, len %u\n",
			       names[k], len);
			ok += len == 0;
		}
	}
	printf("virtio-net: bad: status 0x%x%s\n", vdev_status(&dev),
	       vdev_status(&dev) & VIRTIO_NEEDS_RESET ? " (needs reset)" :
	       ", still running");
	return ok == 5 && !(vdev_status(&dev) & VIRTIO_NEEDS_RESET) ?
	       GUEST_EXIT_OK : GUEST_EXIT_FAIL;
}

/* ---- throughput ---------------------------------------------------------- */

static int test_bench(const struct opts *o)
{
	uint64_t frames = ((o->mb << 20) + o->size - 1) / o->size;
	uint64_t sent = 0, start, cycles, bytes, kbps;

	make_frame(big, o->dst, o->size, 0);
	no_interrupts(&txq, o->evidx);
	start = rdtsc();
	while (sent < frames || tx_nfree < txq.size) {
		uint16_t old = txq.avail_idx;

		tx_reclaim();
		no_interrupts(&txq, o->evidx);	/* used_event moves on */
		while (sent < frames && tx_nfree) {
			uint16_t id = tx_free[--tx_nfree];

			vq_desc(&txq, id, (uintptr_t)big, HDR + o->size, 0, 0);
			vq_publish(&txq, id);
			sent++;
		}
		if (txq.avail_idx != old)
			notify(&txq, old, o->evidx);
		else
			cpu_pause();
		if (timed_out(start, o)) {
			printf("virtio-net: FAIL bench: %lu of %lu frames after "
			       "the timeout\n", (unsigned long)(sent - (txq.size - tx_nfree)),
			       (unsigned long)frames);
			return GUEST_EXIT_FAIL;
		}
	}
	cycles = rdtsc() - start;
	bytes = frames * o->size;
	kbps = cycles ? bytes * khz / cycles : 0;	/* bytes per ms: kB/s */
	printf("virtio-net: bench: %lu frames of %u bytes, %lu bytes in %lu "
	       "cycles (%lu kHz), %lu notifications\n", (unsigned long)frames,
	       o->size, (unsigned long)bytes, (unsigned long)cycles,
	       (unsigned long)khz, (unsigned long)kicks);
	printf("virtio-net: frames=%lu size=%u bytes=%lu cycles=%lu kicks=%lu\n",
	       (unsigned long)frames, o->size, (unsigned long)bytes,
	       (unsigned long)cycles, (unsigned long)kicks);
	printf("virtio-net: bench: %lu.%03lu MB/s, %lu frames/s\n",
	       (unsigned long)(kbps / 1000), (unsigned long)(kbps % 1000),
	       (unsigned long)(cycles ? frames * khz * 1000 / cycles : 0));
	return GUEST_EXIT_OK;
}

/* ---- set-up --------------------------------------------------------------- */

static int open_device(const struct opts *o)
{
	uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(F_MAC) |
			VIRTIO_BIT(F_STATUS), got;
	char m[18];
	uint16_t st;

	if (vdev_open(&dev, VIRTIO_ID_NET)) {
		printf("virtio-net: FAIL no virtio network device on PCI bus 0\n");
		return -1;
	}
	if (o->mrg)
		want |= VIRTIO_BIT(F_MRG_RXBUF);
	if (o->evidx)
		want |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	vdev_reset(&dev);
	if (!vdev_negotiate(&dev, want, &got) || got != want) {
		printf("virtio-net: FAIL feature negotiation (status 0x%x, "
		       "offered 0x%lx)\n", vdev_status(&dev),
		       (unsigned long)vdev_device_features(&dev));
		return -1;
	}
	if (!dev.device || dev.device_len < 8) {
		printf("virtio-net: FAIL no device configuration\n");
		return -1;
	}
	for (int i = 0; i < 6; i++)
		mac[i] = dev.device[i];
	st = *(volatile uint16_t *)(dev.device + 6);
	if (vq_setup(&dev, &rxq, RX_Q, o->qsize, rx_ring, VIRTIO_MSI_NO_VECTOR) ||
	    vq_setup(&dev, &txq, TX_Q, o->qsize, tx_ring, VIRTIO_MSI_NO_VECTOR)) {
		printf("virtio-net: FAIL queue set-up (status 0x%x)\n",
		       vdev_status(&dev));
		return -1;
	}
	vdev_set_status(&dev, vdev_status(&dev) | VIRTIO_DRIVER_OK);
	if ((vdev_status(&dev) & (VIRTIO_DRIVER_OK | VIRTIO_NEEDS_RESET)) !=
	    VIRTIO_DRIVER_OK) {
		printf("virtio-net: FAIL device not running (status 0x%x)\n",
		       vdev_status(&dev));
		return -1;
	}
	fmt_mac(m, mac);
	printf("virtio-net: device at 00:%02x.0, mac %s, link %s, queue size %u, "
	       "features 0x%lx\n", dev.devfn >> 3, m, st & 1 ? "up" : "down",
	       rxq.size, (unsigned long)got);
	tx_nfree = 0;
	for (uint16_t i = txq.size; i-- > 0;)
		tx_free[tx_nfree++] = i;
	no_interrupts(&rxq, o->evidx);
	no_interrupts(&txq, o->evidx);
	for (uint16_t i = 0; i < rxq.size; i++)
		rx_give(i, o);
	notify(&rxq, 0, false);
	return 0;
}

static long body(void *arg)
{
	const struct opts *o = arg;

	if (open_device(o))
		return GUEST_EXIT_FAIL;
	if (!strcmp(o->test, "tx"))
		return test_tx(o);
	if (!strcmp(o->test, "rx"))
		return test_rx(o, false);
	if (!strcmp(o->test, "echo"))
		return test_rx(o, true);
	if (!strcmp(o->test, "bad"))
		return test_bad(o);
	if (!strcmp(o->test, "bench"))
		return test_bench(o);
	printf("virtio-net: FAIL unknown test=%s\n", o->test);
	return GUEST_EXIT_FAIL;
}

int main(void)
{
	static struct opts o;
	char buf[24];
	bool bench;

	memcpy(o.test, "tx", 3);
	cmdline_get("test", o.test, sizeof(o.test));
	bench = !strcmp(o.test, "bench");
	o.n = (uint32_t)cmdline_u64("n", 16);
	o.size = (uint32_t)cmdline_u64("size", bench ? 1514 : 128);
	if (o.size < 60 || o.size > (bench ? BIG_FRAME : 1514u))
		o.size = bench ? 1514 : 128;
	o.mb = cmdline_u64("mb", 256);
	o.mrg = cmdline_u64("mrg", 0);
	o.evidx = cmdline_u64("evidx", bench);
	o.qsize = (uint16_t)cmdline_u64("qsize", MAX_QSIZE);
	if (o.qsize < 2 || o.qsize > MAX_QSIZE || (o.qsize & (o.qsize - 1)))
		o.qsize = MAX_QSIZE;
	o.rxbuf = (uint32_t)cmdline_u64("rxbuf", SLOT);
	if (o.rxbuf < 64 || o.rxbuf > SLOT)
		o.rxbuf = SLOT;
	memset(o.dst, 0xff, 6);
	if (cmdline_get("dst", buf, sizeof(buf)) && !parse_mac(buf, o.dst)) {
		printf("virtio-net: FAIL dst=%s is not a MAC address\n", buf);
		return GUEST_EXIT_FAIL;
	}
	khz = tsc_khz();
	o.timeout_cycles = cmdline_u64("timeout", bench ? 120 : 10) * 1000 * khz;
	return (int)run_user(body, &o);
}
