/* SPDX-License-Identifier: MIT */
/*
 * Ports for test guests and benchmarks.
 *  - debug-exit at 0xf4, with QEMU's isa-debug-exit meaning: writing v
 *    ends the VM with exit status (v << 1) | 1.
 *  - the POST port 0x80, which counts writes and otherwise does nothing
 *    (Linux uses it as an I/O delay; benchmarks use it as a cheap exit).
 */
#ifndef VMON_HW_DEBUG_EXIT_H
#define VMON_HW_DEBUG_EXIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/stop.h"

struct debug_exit {
	struct stop_sink stop;
	int last_status;	/* -1 until written */
};

struct post_port {
	atomic_ulong writes;
	uint8_t last;
};

/* stop may be NULL: not connected (unit tests). */
void debug_exit_init(struct debug_exit *d, const struct stop_sink *stop);
void debug_exit_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		   bool is_write);

void post_port_init(struct post_port *p);
void post_port_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		  bool is_write);

/* The exit status a write of `value` asks for. */
static inline int debug_exit_status(uint32_t value)
{
	return (int)(((value << 1) | 1) & 0xff);
}

#endif
