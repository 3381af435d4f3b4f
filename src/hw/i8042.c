// SPDX-License-Identifier: MIT
/*
 * Command numbers follow the IBM PC/AT technical reference and Linux's
 * drivers/input/serio/i8042.h; unknown commands are ignored.
 */
#include "hw/i8042.h"

#include <string.h>

#include "lib/exit_status.h"
#include "lib/log.h"
#include "lib/snapfile.h"

#define CMD_READ_CTR	0x20
#define CMD_WRITE_CTR	0x60
#define CMD_AUX_DISABLE	0xa7
#define CMD_AUX_ENABLE	0xa8
#define CMD_AUX_TEST	0xa9
#define CMD_SELF_TEST	0xaa
#define CMD_KBD_TEST	0xab
#define CMD_KBD_DISABLE	0xad
#define CMD_KBD_ENABLE	0xae
#define CMD_READ_OUTP	0xd0
#define CMD_WRITE_OUTP	0xd1
#define CMD_WRITE_KBD_OUT 0xd2
#define CMD_WRITE_AUX_OUT 0xd3
#define CMD_WRITE_AUX	0xd4
#define CMD_PULSE_RESET	0xfe

#define KBD_ACK		0xfa

int i8042_init(struct i8042 *k, const struct irq_line *irq,
	       const struct stop_sink *stop)
{
	memset(k, 0, sizeof(*k));
	if (irq)
		k->irq = *irq;
	if (stop)
		k->stop = *stop;
	k->ctr = I8042_CTR_KBDINT | I8042_CTR_XLATE;
	k->outport = 0x01;	/* reset line not asserted */
	return -pthread_mutex_init(&k->lock, NULL);
}

void i8042_destroy(struct i8042 *k)
{
	pthread_mutex_destroy(&k->lock);
}

static int irq_level(const struct i8042 *k)
{
	return k->out_count && !k->out_is_aux && (k->ctr & I8042_CTR_KBDINT);
}

static void update_irq(struct i8042 *k)
{
	int level = irq_level(k);

	if (level == k->irq_level)
		return;
	k->irq_level = level;
	irq_line_set(&k->irq, level);
}

static void push(struct i8042 *k, uint8_t v, bool aux)
{
	if (k->out_count == I8042_OUTQ)
		return;		/* a real controller would drop it too */
	k->outq[(k->out_head + k->out_count) % I8042_OUTQ] = v;
	k->out_count++;
	k->out_is_aux = aux;
}

static void request_reset(struct i8042 *k)
{
	k->reset_requested = true;
	if (stop_sink_connected(&k->stop)) {
		log_info("i8042: guest pulsed the reset line");
		stop_request(&k->stop, VM_STOP_RESET, VMON_EXIT_OK);
	}
}

static void command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CTR:
		push(k, k->ctr, false);
		break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTP:
	case CMD_WRITE_KBD_OUT:
	case CMD_WRITE_AUX_OUT:
	case CMD_WRITE_AUX:
		k->pending_cmd = cmd;
		break;
	case CMD_AUX_TEST:
		push(k, 0x00, false);	/* interface OK */
		break;
	case CMD_SELF_TEST:
		push(k, 0x55, false);	/* controller OK */
		break;
	case CMD_KBD_TEST:
		push(k, 0x00, false);
		break;
	case CMD_READ_OUTP:
		push(k, k->outport, false);
		break;
	case CMD_AUX_DISABLE:
		k->ctr |= 0x20;
		break;
	case CMD_AUX_ENABLE:
		k->ctr &= (uint8_t)~0x20;
		break;
	case CMD_KBD_DISABLE:
		k->ctr |= 0x10;
		break;
	case CMD_KBD_ENABLE:
		k->ctr &= (uint8_t)~0x10;
		break;
	case CMD_PULSE_RESET:
		request_reset(k);
		break;
	default:
		/* 0xf0-0xff pulse output lines; bit 0 clear pulses reset. */
		if (cmd >= 0xf0 && !(cmd & 1))
			request_reset(k);
		break;
	}
}

/* A byte for the keyboard itself (no controller command pending). */
static void keyboard_write(struct i8042 *k, uint8_t v)
{
	switch (v) {
	case 0xff:		/* reset: ACK, then self-test passed */
		push(k, KBD_ACK, false);
		push(k, 0xaa, false);
		break;
	case 0xf2:		/* identify: MF2 keyboard */
		push(k, KBD_ACK, false);
		push(k, 0xab, false);
		push(k, 0x83, false);
		break;
	case 0xee:		/* echo */
		push(k, 0xee, false);
		break;
	default:
		push(k, KBD_ACK, false);
		break;
	}
}

static void data_write(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = v;
		break;
	case CMD_WRITE_OUTP:
		k->outport = v;
		if (!(v & 1))
			request_reset(k);
		break;
	case CMD_WRITE_KBD_OUT:
		push(k, v, false);
		break;
	case CMD_WRITE_AUX_OUT:
		push(k, v, true);
		break;
	case CMD_WRITE_AUX:
		/* No mouse: answer like an absent device so probing moves on. */
		push(k, 0xfe, true);
		break;
	default:
		keyboard_write(k, v);
		break;
	}
}

void i8042_data_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		   bool is_write)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	if (is_write) {
		data_write(k, data[0]);
	} else {
		memset(data, 0, len);
		if (k->out_count) {
			data[0] = k->outq[k->out_head];
			k->out_head = (k->out_head + 1) % I8042_OUTQ;
			k->out_count--;
		}
	}
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

void i8042_cmd_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		  bool is_write)
{
	struct i8042 *k = opaque;

	pthread_mutex_lock(&k->lock);
	if (is_write) {
		command(k, data[0]);
	} else {
		/*
		 * Bit 4 set: the keyboard is not inhibited (no keylock).
		 * Linux's i8042_controller_init() warns "Keylock active"
		 * when it reads 0; QEMU's pckbd sets it too.
		 */
		uint8_t st = I8042_STATUS_SYS | I8042_STATUS_UNLOCKED;

		if (k->out_count)
			st |= I8042_STATUS_OBF |
			      (k->out_is_aux ? I8042_STATUS_AUXDATA : 0);
		if (k->pending_cmd)
			st |= I8042_STATUS_CMD;
		memset(data, 0, len);
		data[0] = st;
	}
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

void i8042_push_keys(struct i8042 *k, const uint8_t *codes, unsigned int n)
{
	pthread_mutex_lock(&k->lock);
	for (unsigned int i = 0; i < n; i++)
		push(k, codes[i], false);
	update_irq(k);
	pthread_mutex_unlock(&k->lock);
}

/* ---- snapshot state ------------------------------------------------- */

/* The commands command() leaves pending for a data byte. */
static bool is_data_cmd(uint8_t cmd)
{
	return cmd == CMD_WRITE_CTR || cmd == CMD_WRITE_OUTP ||
	       cmd == CMD_WRITE_KBD_OUT || cmd == CMD_WRITE_AUX_OUT ||
	       cmd == CMD_WRITE_AUX;
}

/*
 * Layout 1: ctr, outport, pending_cmd (u8), out_is_aux (bool), out_count
 * (u8) and that many queued bytes, oldest first.  reset_requested is the
 * unit tests' record of a reset already asked for, not device state.
 */
int i8042_save(struct i8042 *k, struct snap_enc *enc)
{
	pthread_mutex_lock(&k->lock);
	snap_put_u8(enc, k->ctr);
	snap_put_u8(enc, k->outport);
	snap_put_u8(enc, k->pending_cmd);
	snap_put_bool(enc, k->out_is_aux);
	snap_put_u8(enc, (uint8_t)k->out_count);
	for (unsigned int i = 0; i < k->out_count; i++)
		snap_put_u8(enc, k->outq[(k->out_head + i) % I8042_OUTQ]);
	pthread_mutex_unlock(&k->lock);
	return enc->err;
}

int i8042_restore(struct i8042 *k, struct snap_dec *d)
{
	uint8_t ctr, outport, pending, count, q[I8042_OUTQ];
	bool aux;
	int level;

	snap_get_u8(d, "ctr", &ctr);
	/* Any byte: the guest writes the command byte and port whole. */
	snap_get_u8(d, "outport", &outport);
	snap_get_u8(d, "pending_cmd", &pending);
	if (pending && !is_data_cmd(pending))
		snap_dec_fail(d, "pending_cmd",
			      "0x%02x is not a command "
			      "that takes a data byte",
			      pending);
	snap_get_bool(d, "out_is_aux", &aux);
	snap_get_u8(d, "out_count", &count);
	if (count > I8042_OUTQ)
		snap_dec_fail(d, "out_count",
			      "%u is above the queue's %u "
			      "bytes",
			      count, I8042_OUTQ);
	snap_get_bytes(d, "outq", q, d->err ? 0 : count);
	if (snap_dec_end(d))
		return d->err;

	pthread_mutex_lock(&k->lock);
	k->ctr = ctr;
	k->outport = outport;
	k->pending_cmd = pending;
	k->out_is_aux = aux;
	memcpy(k->outq, q, count);
	k->out_head = 0;
	k->out_count = count;
	/* Set even if unchanged: the line must agree with the queue. */
	level = irq_level(k);
	k->irq_level = level;
	irq_line_set(&k->irq, level);
	pthread_mutex_unlock(&k->lock);
	return 0;
}
