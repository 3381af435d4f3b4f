/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART (National Semiconductor PC16550D datasheet), the guest's
 * console on COM1.  Output goes straight to a host fd; input is queued by
 * the main loop and raises the UART's interrupt.
 */
#ifndef VMON_HW_SERIAL_H
#define VMON_HW_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/irq_line.h"
#include "lib/metrics.h"

#define SERIAL_RX_CAP 1024	/* bytes of input queued for the guest */

struct serial {
	struct irq_line irq;	/* COM1's ISA line */
	int out_fd;		/* -1: output discarded */
	pthread_mutex_t lock;

	/* Registers (datasheet table 2). */
	uint8_t ier, iir_thri_pending, lcr, mcr, lsr_extra, msr, scr;
	uint8_t dll, dlm, fcr;
	/* Input queue: guest-visible FIFO, larger than the chip's 16. */
	uint8_t rx[SERIAL_RX_CAP];
	size_t rx_head, rx_count;
	int irq_level;
	struct counter tx_bytes, tx_dropped;
};

/* irq may be NULL: no interrupt line (unit tests). */
int serial_init(struct serial *s, const struct irq_line *irq, int out_fd);
void serial_destroy(struct serial *s);

/* Bus handler for the 8 registers. */
void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	       bool is_write);

/* Room for host input (bytes), and queueing it.  Returns bytes taken. */
size_t serial_rx_space(struct serial *s);
size_t serial_rx_push(struct serial *s, const uint8_t *buf, size_t len);

/* UART register offsets and bits used by tests. */
#define UART_RBR 0
#define UART_THR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI	0x01
#define UART_IER_THRI	0x02
#define UART_IIR_NO_INT	0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_FIFO	0xc0
#define UART_LCR_DLAB	0x80
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10
#define UART_LSR_DR	0x01
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40

#endif
