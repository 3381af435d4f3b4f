/* SPDX-License-Identifier: MIT */
/*
 * The i8042 keyboard controller, as far as Linux's probe and the reset
 * line need: controller self-tests, the command byte, keyboard
 * acknowledgements and the CPU reset pulse (command 0xfe) that Linux's
 * `reboot=k` (its default fallback) uses.
 */
#ifndef VMON_HW_I8042_H
#define VMON_HW_I8042_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/irq_line.h"
#include "core/stop.h"

#define I8042_OUTQ 16

struct i8042 {
	struct irq_line irq;	/* the keyboard's ISA line (IRQ 1) */
	struct stop_sink stop;	/* the CPU reset line */
	pthread_mutex_t lock;
	uint8_t ctr;		/* controller command byte */
	uint8_t pending_cmd;	/* command waiting for its data byte */
	uint8_t outport;
	uint8_t outq[I8042_OUTQ];
	unsigned int out_head, out_count;
	bool out_is_aux;
	int irq_level;
	bool reset_requested;	/* for unit tests */
};

/* irq and stop may be NULL: not connected (unit tests). */
int i8042_init(struct i8042 *k, const struct irq_line *irq,
	       const struct stop_sink *stop);
void i8042_destroy(struct i8042 *k);

/* Handlers for port 0x60 (data) and 0x64 (status/command). */
void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		   bool is_write);
void i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		  bool is_write);

/* Queue keyboard scancodes (set 1 after translation) for the guest. */
void i8042_push_keys(struct i8042 *k, const uint8_t *codes, unsigned int n);

/*
 * Snapshot state (docs/snapshot.md, "Device state: the legacy platform
 * devices"): command byte, output port, the command waiting for its data
 * byte and the output queue.  Restore checks everything before it
 * changes k, then drives IRQ 1 to the level the state implies.
 */
#define I8042_SNAP_VERSION 1u
struct snap_enc;
struct snap_dec;
int i8042_save(struct i8042 *k, struct snap_enc *enc);
int i8042_restore(struct i8042 *k, struct snap_dec *d);

#define I8042_STATUS_OBF	0x01
#define I8042_STATUS_SYS	0x04
#define I8042_STATUS_CMD	0x08
#define I8042_STATUS_UNLOCKED	0x10	/* Linux: I8042_STR_KEYLOCK */
#define I8042_STATUS_AUXDATA	0x20
#define I8042_CTR_KBDINT	0x01
#define I8042_CTR_XLATE		0x40

#endif
