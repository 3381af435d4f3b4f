// SPDX-License-Identifier: MIT
#include "hw/serial.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int serial_init(struct serial *s, const struct irq_line *irq, int out_fd)
{
	memset(s, 0, sizeof(*s));
	if (irq)
		s->irq = *irq;
	s->out_fd = out_fd;
	s->lcr = 0x03;			/* 8N1, what firmware leaves */
	s->msr = 0xb0;			/* DCD, DSR, CTS asserted */
	s->dll = 0x0c;			/* 9600 baud */
	return -pthread_mutex_init(&s->lock, NULL);
}

void serial_destroy(struct serial *s)
{
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

static void tx_byte(struct serial *s, uint8_t b)
{
	if (s->mcr & UART_MCR_LOOP) {
		/* Loopback mode: what is sent comes back (datasheet 8.6). */
		if (s->rx_count < SERIAL_RX_CAP) {
			s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_CAP] = b;
			s->rx_count++;
		}
		return;
	}
	if (s->out_fd < 0)
		return;
	/*
	 * A blocking write from the vCPU thread: a slow reader slows the
	 * guest instead of growing a buffer without bound.
	 */
	for (;;) {
		ssize_t n = write(s->out_fd, &b, 1);

		if (n == 1) {
			counter_inc(&s->tx_bytes);
			return;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* EPIPE, EIO: the console is gone. */
		counter_inc(&s->tx_dropped);
		return;
	}
}

static uint8_t reg_read(struct serial *s, unsigned int reg)
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
		/* Transmission is instant: THR and the shifter are empty. */
		v = UART_LSR_THRE | UART_LSR_TEMT | s->lsr_extra;
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

static void reg_write(struct serial *s, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case UART_THR:
		if (s->lcr & UART_LCR_DLAB) {
			s->dll = v;
			return;
		}
		tx_byte(s, v);
		s->iir_thri_pending = 1;	/* the byte left at once */
		return;
	case UART_IER:
		if (s->lcr & UART_LCR_DLAB) {
			s->dlm = v;
			return;
		}
		/* Enabling THRI with an empty THR interrupts right away. */
		if (!(s->ier & UART_IER_THRI) && (v & UART_IER_THRI))
			s->iir_thri_pending = 1;
		s->ier = v & 0x0f;
		return;
	case UART_FCR:
		s->fcr = v & 0xc9;
		if (v & 0x02) {		/* clear the receive FIFO */
			s->rx_head = 0;
			s->rx_count = 0;
		}
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

	pthread_mutex_lock(&s->lock);
	/* A wider access touches consecutive registers, one byte each. */
	for (uint32_t i = 0; i < len; i++) {
		unsigned int reg = (unsigned int)((offset + i) & 7);

		if (is_write)
			reg_write(s, reg, data[i]);
		else
			data[i] = reg_read(s, reg);
	}
	update_irq(s);
	pthread_mutex_unlock(&s->lock);
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
