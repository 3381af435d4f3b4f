// SPDX-License-Identifier: MIT
#include "hw/serial.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/snapfile.h"

/* What a register access leaves to log once the lock is dropped. */
#define NOTE_DROP	0x1u
#define NOTE_STALL	0x2u

static void on_wake(void *opaque, uint32_t events);
static void on_writable(void *opaque, uint32_t events);

int serial_init(struct serial *s, const struct irq_line *irq, int out_fd,
		struct evloop *loop)
{
	int ret;

	memset(s, 0, sizeof(*s));
	if (irq)
		s->irq = *irq;
	s->out_fd = -1;
	s->wake_fd = -1;
	s->out = (struct outfd){ .fd = -1, .orig = -1, .restore_flags = -1 };
	s->lcr = 0x03;			/* 8N1, what firmware leaves */
	s->msr = 0xb0;			/* DCD, DSR, CTS asserted */
	s->dll = 0x0c;			/* 9600 baud */
	s->tx_stall_ns = SERIAL_TX_STALL_MS * 1000000ULL;
	if ((ret = -pthread_mutex_init(&s->lock, NULL)))
		return ret;
	if (out_fd < 0)
		return 0;
	if ((ret = ring_init(&s->tx, SERIAL_TX_CAP)))
		return ret;
	if ((ret = outfd_open(&s->out, out_fd)))
		goto err_ring;
	s->out_fd = out_fd;
	if (!loop)
		return 0;
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		ret = -errno;
		goto err_out;
	}
	if ((ret = evloop_add(loop, s->wake_fd, EPOLLIN, on_wake, s)))
		goto err_wake;
	/*
	 * Watched for nothing until a write finds it full.  epoll refuses
	 * regular files and /dev/null (EPERM): they are always writable,
	 * so on_wake writes to them at once.
	 */
	ret = evloop_add(loop, s->out.fd, 0, on_writable, s);
	if (ret && ret != -EPERM)
		goto err_del;
	s->out_polled = !ret;
	s->loop = loop;
	return 0;
err_del:
	evloop_del(loop, s->wake_fd);
err_wake:
	close(s->wake_fd);
	s->wake_fd = -1;
err_out:
	outfd_close(&s->out);
	s->out_fd = -1;
err_ring:
	ring_destroy(&s->tx);
	return ret;
}

void serial_destroy(struct serial *s)
{
	if (s->tx.buf) {
		if (s->loop) {
			evloop_del(s->loop, s->wake_fd);
			if (s->out_polled)
				evloop_del(s->loop, s->out.fd);
			s->loop = NULL;
		}
		serial_flush(s, SERIAL_FLUSH_IDLE_MS, SERIAL_FLUSH_MAX_MS);
		if (s->wake_fd >= 0)
			close(s->wake_fd);
		outfd_close(&s->out);
		ring_destroy(&s->tx);
	}
	pthread_mutex_destroy(&s->lock);
}

/* Which interrupt the IIR reports now, highest priority first (table 4). */
static uint8_t pending_iir(const struct serial *s)
{
	if ((s->ier & UART_IER_RDI) && s->rx_count)
		return UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->iir_thri_pending)
		return UART_IIR_THRI;
	return UART_IIR_NO_INT;
}

/*
 * The ISA line follows the IIR.  OUT2 gates it on PCs, but Linux's 8250
 * driver probes with OUT2 clear too, so like QEMU we do not gate it.
 */
static void update_irq(struct serial *s)
{
	int level = pending_iir(s) != UART_IIR_NO_INT;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	irq_line_set(&s->irq, level);
}

/*
 * Whether the transmitter takes a byte now: LSR's THRE and TEMT (datasheet,
 * Line Status Register bits 5 and 6).  Bytes leave the chip at once here;
 * what can hold them up is the host's reader, so "empty" means the ring
 * has room.  A busy transmitter whose reader has taken nothing for
 * tx_stall_ns reads as ready again (and drops what does not fit): Linux's
 * console polls LSR for 10 ms a character and then writes anyway, so a
 * reader stalled for good would otherwise slow every printk to a crawl.
 */
static bool tx_ready(struct serial *s, unsigned int *notes)
{
	if (!s->tx_busy || s->tx_stalled)
		return true;
	if (clock_mono_ns() - s->tx_progress_ns < s->tx_stall_ns)
		return false;
	s->tx_stalled = true;
	counter_add(&s->tx_stalls, 1);
	*notes |= NOTE_STALL;
	return true;
}

static void kick(struct serial *s)
{
	uint64_t one = 1;

	/* Non-blocking eventfd: a counter, it cannot fill up in practice. */
	if (s->wake_fd >= 0 && write(s->wake_fd, &one, sizeof(one)) < 0)
		return;
}

static void tx_byte(struct serial *s, uint8_t b, unsigned int *notes)
{
	if (s->mcr & UART_MCR_LOOP) {
		/* Loopback mode: what is sent comes back (datasheet 8.6). */
		if (s->rx_count < SERIAL_RX_CAP) {
			s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_CAP] = b;
			s->rx_count++;
		}
		return;
	}
	if (!s->tx.buf)
		return;		/* --serial none */
	if (s->tx_broken || !ring_push(&s->tx, &b, 1)) {
		/*
		 * Full: the guest wrote although THRE was clear (or the
		 * reader is stalled and the slack is used up).  Like an
		 * overrun on a line without flow control, the byte is lost;
		 * unlike one, it is counted.
		 */
		counter_add(&s->tx_dropped, 1);
		if (!s->tx_broken && !s->tx_drop_logged) {
			s->tx_drop_logged = true;
			*notes |= NOTE_DROP;
		}
		return;
	}
	/* Went non-empty: the loop drains it (and is not woken otherwise). */
	if (ring_len(&s->tx) == 1)
		kick(s);
	if (!s->tx_busy && ring_space(&s->tx) < SERIAL_TX_SLACK) {
		s->tx_busy = true;
		s->tx_progress_ns = clock_mono_ns();
		counter_add(&s->tx_full, 1);
	}
}

/* n bytes reached the output: make room, maybe the transmitter is free. */
static void tx_written(struct serial *s, size_t n)
{
	ring_consume(&s->tx, n);
	counter_add(&s->tx_bytes, n);
	s->tx_progress_ns = clock_mono_ns();
	s->tx_stalled = false;
	if (s->tx_busy && ring_space(&s->tx) >= SERIAL_TX_RESUME) {
		/* THR empty again: THRI, as when a byte leaves (table 4). */
		s->tx_busy = false;
		s->iir_thri_pending = 1;
	}
	update_irq(s);
}

/* The output failed for good (EPIPE, EIO): drop what is held and more. */
static void tx_fail(struct serial *s)
{
	counter_add(&s->tx_dropped, ring_len(&s->tx));
	ring_consume(&s->tx, ring_len(&s->tx));
	s->tx_broken = true;
	if (s->tx_busy) {
		s->tx_busy = s->tx_stalled = false;
		s->iir_thri_pending = 1;
	}
	update_irq(s);
}

/*
 * One write of the oldest held bytes.  The lock is not held across the
 * write: the bytes peeked stay put (only this thread consumes, pushes go
 * after them), and a vCPU never waits for the output.  Returns bytes
 * written, or -errno (-EAGAIN: full; 0 when nothing is held).
 */
static ssize_t tx_write_some(struct serial *s)
{
	const uint8_t *p;
	size_t n;
	ssize_t w;

	pthread_mutex_lock(&s->lock);
	n = s->tx_broken ? 0 : ring_peek(&s->tx, &p);
	pthread_mutex_unlock(&s->lock);
	if (!n)
		return 0;
	do
		w = outfd_write(&s->out, p, n);
	while (w == -EINTR);
	if (w == 0)
		w = -EAGAIN;	/* nothing taken: wait for writable */
	pthread_mutex_lock(&s->lock);
	if (w > 0)
		tx_written(s, (size_t)w);
	else if (w != -EAGAIN)
		tx_fail(s);
	pthread_mutex_unlock(&s->lock);
	if (w < 0 && w != -EAGAIN)
		log_warn("serial: writing guest output failed: %s; the rest "
			 "is dropped (counted in uart.tx_dropped)",
			 strerror((int)-w));
	return w;
}

/* Ask for EPOLLOUT only while bytes wait for room (loop thread). */
static void watch_out(struct serial *s, bool want)
{
	if (!s->out_polled || want == s->out_watching)
		return;
	if (!evloop_mod(s->loop, s->out.fd, want ? EPOLLOUT : 0))
		s->out_watching = want;
}

static void stop_watching(struct serial *s)
{
	if (!s->out_polled)
		return;
	evloop_del(s->loop, s->out.fd);
	s->out_polled = s->out_watching = false;
}

/*
 * Write until the output is full or the ring empty, then watch for
 * EPOLLOUT if bytes remain.  At most a ring's worth per call, so a fast
 * guest writing to a fast file cannot keep the loop here: a regular file
 * (not polled) is woken again instead.
 */
static void tx_drain(struct serial *s)
{
	size_t budget = SERIAL_TX_CAP;
	ssize_t w = 0;

	while (budget) {
		w = tx_write_some(s);
		if (w <= 0)
			break;
		budget = (size_t)w < budget ? budget - (size_t)w : 0;
	}
	if (w < 0 && w != -EAGAIN) {
		stop_watching(s);
		return;
	}
	if (!budget && !s->out_polled) {
		kick(s);
		return;
	}
	watch_out(s, w == -EAGAIN || !budget);
}

static void on_wake(void *opaque, uint32_t events)
{
	struct serial *s = opaque;
	uint64_t n;

	if (read(s->wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	tx_drain(s);
}

static void on_writable(void *opaque, uint32_t events)
{
	struct serial *s = opaque;

	tx_drain(s);
	/*
	 * The reader is gone (EPOLLERR on a pipe, EPOLLHUP on a terminal)
	 * and nothing was left to find out by writing: epoll reports these
	 * whatever we ask for, so stop watching rather than spin.
	 */
	if (s->out_polled && (events & (EPOLLERR | EPOLLHUP))) {
		pthread_mutex_lock(&s->lock);
		tx_fail(s);
		pthread_mutex_unlock(&s->lock);
		log_warn("serial: the output's reader is gone; guest output "
			 "is dropped from now on");
		stop_watching(s);
	}
}

size_t serial_flush(struct serial *s, unsigned int idle_ms,
		    unsigned int max_ms)
{
	uint64_t start = clock_mono_ms(), last = start;
	size_t left;

	if (!s->tx.buf)
		return 0;
	for (;;) {
		ssize_t w = tx_write_some(s);
		uint64_t now = clock_mono_ms();
		uint64_t wait_idle = last + idle_ms, wait_max = start + max_ms;
		struct pollfd p = { .fd = s->out.fd, .events = POLLOUT };

		if (w > 0) {
			last = now;
			if (now < wait_max)
				continue;
		}
		if (w == 0 || (w < 0 && w != -EAGAIN))
			break;
		if (now >= wait_idle || now >= wait_max)
			break;
		poll(&p, 1, (int)((wait_idle < wait_max ? wait_idle : wait_max)
				  - now));
	}
	pthread_mutex_lock(&s->lock);
	left = ring_len(&s->tx);
	counter_add(&s->tx_dropped, left);
	ring_consume(&s->tx, left);
	pthread_mutex_unlock(&s->lock);
	if (left)
		log_warn("serial: %zu bytes of guest output dropped: the "
			 "output took nothing for %u ms (or not all of it in "
			 "%u ms)", left, idle_ms, max_ms);
	return left;
}

static uint8_t reg_read(struct serial *s, unsigned int reg,
			unsigned int *notes)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR:
		if (s->lcr & UART_LCR_DLAB)
			return s->dll;
		if (!s->rx_count)
			return 0;
		v = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % SERIAL_RX_CAP;
		s->rx_count--;
		return v;
	case UART_IER:
		return (s->lcr & UART_LCR_DLAB) ? s->dlm : s->ier;
	case UART_IIR:
		v = pending_iir(s);
		/* Reading IIR while it reports THRE clears that source. */
		if (v == UART_IIR_THRI)
			s->iir_thri_pending = 0;
		return v | ((s->fcr & 1) ? UART_IIR_FIFO : 0);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		v = s->lsr_extra;
		if (tx_ready(s, notes))
			v |= UART_LSR_THRE | UART_LSR_TEMT;
		if (s->rx_count)
			v |= UART_LSR_DR;
		return v;
	case UART_MSR:
		if (s->mcr & UART_MCR_LOOP) {
			/* Loopback wires MCR bits 0-3 to MSR bits 4-7. */
			uint8_t m = s->mcr;

			return (uint8_t)(((m & 0x1) << 5) | ((m & 0x2) << 3) |
					 ((m & 0x4) << 4) | ((m & 0x8) << 4));
		}
		return s->msr;
	default:
		return s->scr;
	}
}

static void reg_write(struct serial *s, unsigned int reg, uint8_t v,
		      unsigned int *notes)
{
	switch (reg) {
	case UART_THR:
		if (s->lcr & UART_LCR_DLAB) {
			s->dll = v;
			return;
		}
		tx_byte(s, v, notes);
		/*
		 * Writing THR clears a THRE interrupt (table 4); the byte
		 * leaves at once and sets it again, unless the ring is now
		 * too full: then tx_written() does, once there is room.
		 */
		s->iir_thri_pending = !s->tx_busy || s->tx_stalled;
		return;
	case UART_IER:
		if (s->lcr & UART_LCR_DLAB) {
			s->dlm = v;
			return;
		}
		/* Enabling THRI with an empty THR interrupts right away. */
		if (!(s->ier & UART_IER_THRI) && (v & UART_IER_THRI) &&
		    (!s->tx_busy || s->tx_stalled))
			s->iir_thri_pending = 1;
		s->ier = v & 0x0f;
		return;
	case UART_FCR:
		s->fcr = v & 0xc9;
		if (v & 0x02) {		/* clear the receive FIFO */
			s->rx_head = 0;
			s->rx_count = 0;
		}
		/*
		 * Bit 2 clears the transmit FIFO; ours is always empty.  The
		 * ring holds bytes that have left the chip, on their way to
		 * the reader: Linux clears both FIFOs as its driver starts,
		 * and the boot messages before that must not be lost.
		 */
		return;
	case UART_LCR:
		s->lcr = v;
		return;
	case UART_MCR:
		s->mcr = v & 0x1f;
		return;
	case UART_LSR:
	case UART_MSR:
		return;		/* read-only here */
	default:
		s->scr = v;
		return;
	}
}

void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	       bool is_write)
{
	struct serial *s = opaque;
	unsigned int notes = 0;

	pthread_mutex_lock(&s->lock);
	/* A wider access touches consecutive registers, one byte each. */
	for (uint32_t i = 0; i < len; i++) {
		unsigned int reg = (unsigned int)((offset + i) & 7);

		if (is_write)
			reg_write(s, reg, data[i], &notes);
		else
			data[i] = reg_read(s, reg, &notes);
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	/* Logged without the lock: stderr may be as slow as the output. */
	if (notes & NOTE_DROP)
		log_warn("serial: guest output dropped, the output buffer is "
			 "full (counted in uart.tx_dropped; logged once)");
	if (notes & NOTE_STALL)
		log_ratelimited(&s->stall_rl, LOG_WARN, "serial: the output's "
				"reader has taken nothing for %llu ms: guest "
				"output is dropped until it reads again",
				(unsigned long long)(s->tx_stall_ns / 1000000));
}

size_t serial_rx_space(struct serial *s)
{
	size_t space;

	pthread_mutex_lock(&s->lock);
	space = SERIAL_RX_CAP - s->rx_count;
	pthread_mutex_unlock(&s->lock);
	return space;
}

size_t serial_rx_push(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	while (n < len && s->rx_count < SERIAL_RX_CAP) {
		s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_CAP] = buf[n++];
		s->rx_count++;
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ---- snapshot state ------------------------------------------------- */

/* Bits the register writes above keep; the rest reads as zero. */
#define IER_MASK	0x0fu
#define MCR_MASK	0x1fu
#define FCR_MASK	0xc9u
/* LSR bits stored rather than computed: OE, PE, FE, BI (bits 1-4). */
#define LSR_ERR_MASK	0x1eu

/*
 * Layout 1: ier, thri, lcr, mcr, lsr, msr, scr, dll, dlm, fcr (u8 each;
 * thri a bool), then rx_count (u16) and that many FIFO bytes, oldest
 * first.  The output ring is the host's: bytes in it have left the chip
 * as far as the guest can tell, and a restored UART starts with an empty
 * transmitter.  A THRE interrupt that waits only for the ring to drain
 * (tx_busy) is therefore saved as pending, as tx_written() would make it.
 */
int serial_save(struct serial *s, struct snap_enc *enc)
{
	pthread_mutex_lock(&s->lock);
	snap_put_u8(enc, s->ier);
	snap_put_bool(enc, s->iir_thri_pending || s->tx_busy);
	snap_put_u8(enc, s->lcr);
	snap_put_u8(enc, s->mcr);
	snap_put_u8(enc, s->lsr_extra);
	snap_put_u8(enc, s->msr);
	snap_put_u8(enc, s->scr);
	snap_put_u8(enc, s->dll);
	snap_put_u8(enc, s->dlm);
	snap_put_u8(enc, s->fcr);
	snap_put_u16(enc, (uint16_t)s->rx_count);
	for (size_t i = 0; i < s->rx_count; i++)
		snap_put_u8(enc, s->rx[(s->rx_head + i) % SERIAL_RX_CAP]);
	pthread_mutex_unlock(&s->lock);
	return enc->err;
}

static int check_mask(struct snap_dec *d, const char *field, uint8_t v,
		      uint8_t mask)
{
	if (v & ~mask)
		return snap_dec_fail(d, field,
				     "0x%02x has reserved bits "
				     "0x%02x set",
				     v, v & ~mask);
	return 0;
}

int serial_restore(struct serial *s, struct snap_dec *d)
{
	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm, fcr;
	uint8_t rx[SERIAL_RX_CAP];
	uint16_t rx_count;
	bool thri;
	int level;

	snap_get_u8(d, "ier", &ier);
	check_mask(d, "ier", ier, IER_MASK);
	snap_get_bool(d, "thri", &thri);
	snap_get_u8(d, "lcr", &lcr);
	snap_get_u8(d, "mcr", &mcr);
	check_mask(d, "mcr", mcr, MCR_MASK);
	snap_get_u8(d, "lsr", &lsr);
	check_mask(d, "lsr", lsr, LSR_ERR_MASK);
	snap_get_u8(d, "msr", &msr);
	snap_get_u8(d, "scr", &scr);
	snap_get_u8(d, "dll", &dll);
	snap_get_u8(d, "dlm", &dlm);
	snap_get_u8(d, "fcr", &fcr);
	check_mask(d, "fcr", fcr, FCR_MASK);
	snap_get_u16(d, "rx_count", &rx_count);
	if (rx_count > SERIAL_RX_CAP)
		snap_dec_fail(d, "rx_count", "%u is above the FIFO's %u bytes",
			      rx_count, SERIAL_RX_CAP);
	snap_get_bytes(d, "rx", rx, d->err ? 0 : rx_count);
	if (snap_dec_end(d))
		return d->err;

	pthread_mutex_lock(&s->lock);
	s->ier = ier;
	s->iir_thri_pending = thri;
	s->lcr = lcr;
	s->mcr = mcr;
	s->lsr_extra = lsr;
	s->msr = msr;
	s->scr = scr;
	s->dll = dll;
	s->dlm = dlm;
	s->fcr = fcr;
	memcpy(s->rx, rx, rx_count);
	s->rx_head = 0;
	s->rx_count = rx_count;
	/* Set even if unchanged: the line must agree with these registers. */
	level = pending_iir(s) != UART_IIR_NO_INT;
	s->irq_level = level;
	irq_line_set(&s->irq, level);
	pthread_mutex_unlock(&s->lock);
	return 0;
}
