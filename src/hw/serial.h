/* SPDX-License-Identifier: MIT */
/*
 * A 16550A UART (National Semiconductor PC16550D datasheet), the guest's
 * console on COM1.  Input is queued by the main loop and raises the
 * UART's interrupt.  Output goes into a bounded ring that the VMM
 * thread's event loop drains to the host fd without blocking; while the
 * ring is (nearly) full the transmitter reads as busy, so a guest that
 * polls LSR waits for the reader as on a real line, and what is written
 * into a full ring is dropped and counted.  See docs/platform.md, "The
 * serial console".
 */
#ifndef VMON_HW_SERIAL_H
#define VMON_HW_SERIAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evloop.h"
#include "core/irq_line.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/outfd.h"
#include "lib/ring.h"

#define SERIAL_RX_CAP 1024	/* bytes of input queued for the guest */

#define SERIAL_TX_CAP	(64 * 1024)	/* guest output held for the reader */
/*
 * THRE clears when less than this is free, and sets again once twice
 * this is.  The 16550A promises room for 16 bytes (its FIFO) when THRE
 * is set, and Linux writes that many per THRE interrupt without looking
 * at LSR; a page covers string I/O too (rep outsb).
 */
#define SERIAL_TX_SLACK	4096
#define SERIAL_TX_RESUME (2 * SERIAL_TX_SLACK)
/*
 * A reader that takes nothing for this long while the transmitter is busy
 * is stalled: the UART then reads as ready and drops what does not fit,
 * so a guest polling LSR with a timeout (Linux's console waits 10 ms a
 * character) is not slowed down for as long as the stall lasts.  A pipe
 * frees room a page at a time: readers faster than 4 KiB in this long
 * lose nothing.
 */
#define SERIAL_TX_STALL_MS	5000
/* At teardown: give up on a reader idle this long, or after this in all. */
#define SERIAL_FLUSH_IDLE_MS	500
#define SERIAL_FLUSH_MAX_MS	2000

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

	/* Output, under the lock unless marked (loop): the VMM thread's. */
	struct ring tx;		/* accepted, not yet written; buf NULL: none */
	struct outfd out;	/* (loop) the non-blocking writer */
	struct evloop *loop;	/* NULL: only serial_flush writes */
	int wake_fd;		/* eventfd: the ring went non-empty */
	bool out_polled;	/* (loop) out.fd is watched by the loop */
	bool out_watching;	/* (loop) ... for EPOLLOUT, now */
	bool tx_busy;		/* THRE and TEMT read as clear */
	bool tx_stalled;	/* busy, but the reader is stalled: lossy */
	bool tx_broken;		/* the output failed: everything dropped */
	bool tx_drop_logged;
	uint64_t tx_progress_ns;	/* last write, or when busy began */
	uint64_t tx_stall_ns;	/* SERIAL_TX_STALL_MS; tests shorten it */
	struct ratelimit stall_rl;
	/* Counters, read without the lock by the metrics (atomic adds). */
	struct counter tx_bytes;	/* written to the output */
	struct counter tx_dropped;	/* lost: ring full, output failed, exit */
	struct counter tx_full;		/* times the transmitter went busy */
	struct counter tx_stalls;	/* times a stalled reader made it lossy */
};

/*
 * irq may be NULL: no interrupt line (unit tests).  out_fd (not taken
 * over; -1 for none) is written through lib/outfd.h from loop's thread;
 * loop NULL leaves the writing to serial_flush.  0 or -errno; on failure
 * there is nothing to serial_destroy, which is safe to call all the same.
 */
int serial_init(struct serial *s, const struct irq_line *irq, int out_fd,
		struct evloop *loop);
/* Leaves the loop, flushes what is left (SERIAL_FLUSH_*), frees. */
void serial_destroy(struct serial *s);

/*
 * Write what is held, waiting for the output at most idle_ms without
 * progress and max_ms in all; what is left then is dropped, counted and
 * logged.  Returns the bytes dropped.  The loop's thread (or with no
 * loop), once no vCPU writes any more.
 */
size_t serial_flush(struct serial *s, unsigned int idle_ms,
		    unsigned int max_ms);

/* Bus handler for the 8 registers. */
void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	       bool is_write);

/* Room for host input (bytes), and queueing it.  Returns bytes taken. */
size_t serial_rx_space(struct serial *s);
size_t serial_rx_push(struct serial *s, const uint8_t *buf, size_t len);

/*
 * Snapshot state (docs/snapshot.md, "Device state: the legacy platform
 * devices"): the registers and the receive FIFO, not the output ring,
 * which holds host-side bytes already sent by the guest.  Save and
 * restore take the lock; restore decodes and checks everything before
 * it changes s, then drives the line to the level the registers imply.
 */
#define SERIAL_SNAP_VERSION 1u
struct snap_enc;
struct snap_dec;
int serial_save(struct serial *s, struct snap_enc *enc);
int serial_restore(struct serial *s, struct snap_dec *d);

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
