// SPDX-License-Identifier: MIT
/*
 * Snapshot state of the legacy platform devices: each is driven into a
 * non-trivial state through its ports, saved, restored into a fresh
 * device, and must then read back the same through the ports with its
 * irq line at the same level.  Malformed payloads (truncated at every
 * offset, a trailing byte, out-of-range values) are refused naming the
 * field, and leave the fresh device as it was.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/platform.h"
#include "core/irq_line.h"
#include "hw/acpi_pm.h"
#include "hw/i8042.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "lib/clock.h"
#include "lib/err.h"
#include "lib/snapfile.h"
#include "unit/hw_io.h"

/* The line's last level and how many times it was set. */
struct irq_rec {
	unsigned int n;
	int level;
};

static void rec_set(void *opaque, unsigned int line, int level)
{
	struct irq_rec *r = opaque;

	r->n++;
	r->level = level;
}

static struct irq_line rec_line(struct irq_rec *r)
{
	memset(r, 0, sizeof(*r));
	return (struct irq_line){ .set = rec_set, .opaque = r, .line = 4 };
}

static struct snap_dec dec_of(const void *p, size_t len, struct vmon_err *e)
{
	memset(e, 0, sizeof(*e));
	return (struct snap_dec){ .file = "t.snap",
				  .section = "hw",
				  .p = p,
				  .len = len,
				  .version = 1,
				  .e = e };
}

/* ---- one table over the four devices -------------------------------- */

union any_dev {
	struct serial s;
	struct i8042 k;
	struct rtc r;
	struct acpi_pm pm;
};

struct dev_ops {
	const char *name;
	void (*init)(union any_dev *d, const struct irq_line *irq);
	void (*fini)(union any_dev *d);
	int (*save)(union any_dev *d, struct snap_enc *enc);
	int (*restore)(union any_dev *d, struct snap_dec *dec);
	void (*drive)(union any_dev *d); /* a non-trivial state */
	/* Bytes of the payload that follow a clock: [skip_at, +skip_len). */
	size_t skip_at, skip_len;
};

static time_t fixed_now(void *ctx)
{
	return *(time_t *)ctx;
}

static time_t the_time = 1700000000; /* 2023-11-14 22:13:20 UTC */

static void s_init(union any_dev *d, const struct irq_line *irq)
{
	assert_int_equal(serial_init(&d->s, irq, -1, NULL), 0);
}
static void s_fini(union any_dev *d)
{
	serial_destroy(&d->s);
}
static int s_save(union any_dev *d, struct snap_enc *e)
{
	return serial_save(&d->s, e);
}
static int s_restore(union any_dev *d, struct snap_dec *dec)
{
	return serial_restore(&d->s, dec);
}
static void s_drive(union any_dev *d)
{
	struct serial *s = &d->s;

	wr(serial_io, s, UART_LCR, UART_LCR_DLAB | 0x03);
	wr(serial_io, s, UART_THR, 0x01); /* DLL: 115200 baud */
	wr(serial_io, s, UART_IER, 0x02); /* DLM */
	wr(serial_io, s, UART_LCR, 0x1b); /* 8E1 */
	wr(serial_io, s, UART_IER, UART_IER_RDI | UART_IER_THRI);
	wr(serial_io, s, UART_MCR, 0x0b);
	wr(serial_io, s, UART_SCR, 0x5a);
	wr(serial_io, s, UART_FCR, 0xc7); /* FIFO on, both cleared */
	assert_int_equal(serial_rx_push(s, (const uint8_t *)"hello", 5), 5);
}

static void k_init(union any_dev *d, const struct irq_line *irq)
{
	assert_int_equal(i8042_init(&d->k, irq, NULL), 0);
}
static void k_fini(union any_dev *d)
{
	i8042_destroy(&d->k);
}
static int k_save(union any_dev *d, struct snap_enc *e)
{
	return i8042_save(&d->k, e);
}
static int k_restore(union any_dev *d, struct snap_dec *dec)
{
	return i8042_restore(&d->k, dec);
}
static void k_drive(union any_dev *d)
{
	static const uint8_t keys[] = { 0x1e, 0x9e };
	struct i8042 *k = &d->k;

	wr(i8042_cmd_io, k, 0, 0x60);  /* write the command byte */
	wr(i8042_data_io, k, 0, 0x45); /* KBDINT, SYS, XLATE */
	i8042_push_keys(k, keys, 2);
	wr(i8042_cmd_io, k, 0, 0xaa); /* self-test: 0x55 queued */
	wr(i8042_cmd_io, k, 0, 0xd1); /* waits for its data byte */
}

static void r_init(union any_dev *d, const struct irq_line *irq)
{
	assert_int_equal(rtc_init(&d->r), 0);
	d->r.now = fixed_now;
	d->r.now_ctx = &the_time;
}
static void r_fini(union any_dev *d)
{
	rtc_destroy(&d->r);
}
static int r_save(union any_dev *d, struct snap_enc *e)
{
	return rtc_save(&d->r, e);
}
static int r_restore(union any_dev *d, struct snap_dec *dec)
{
	return rtc_restore(&d->r, dec);
}
static void r_drive(union any_dev *d)
{
	struct rtc *r = &d->r;

	wr(rtc_io, r, 0, RTC_REG_B);
	wr(rtc_io, r, 1, RTC_B_24H | RTC_B_BINARY);
	wr(rtc_io, r, 0, RTC_HOURS);
	wr(rtc_io, r, 1, 5); /* the guest sets the clock */
	wr(rtc_io, r, 0, RTC_REG_A);
	wr(rtc_io, r, 1, 0xa6); /* UIP dropped */
	wr(rtc_io, r, 0, 0x7f);
	wr(rtc_io, r, 1, 0x34);
	wr(rtc_io, r, 0, 0x40);
	wr(rtc_io, r, 1, 0x12); /* index stays at 0x40 */
}

static void p_init(union any_dev *d, const struct irq_line *irq)
{
	assert_int_equal(acpi_pm_init(&d->pm, NULL), 0);
}
static void p_fini(union any_dev *d)
{
	acpi_pm_destroy(&d->pm);
}
static int p_save(union any_dev *d, struct snap_enc *e)
{
	return acpi_pm_save(&d->pm, e);
}
static int p_restore(union any_dev *d, struct snap_dec *dec)
{
	return acpi_pm_restore(&d->pm, dec);
}
static void wr16(bus_io_fn fn, void *dev, uint64_t off, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	fn(dev, off, b, 2, true);
}
static uint16_t rd16(bus_io_fn fn, void *dev, uint64_t off)
{
	uint8_t b[2] = { 0 };

	fn(dev, off, b, 2, false);
	return (uint16_t)(b[0] | b[1] << 8);
}
static uint32_t rd32(bus_io_fn fn, void *dev, uint64_t off)
{
	uint8_t b[4] = { 0 };

	fn(dev, off, b, 4, false);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}
#define PM_STS 0
#define PM_EN  2
#define PM_CNT (PLAT_PORT_PM1A_CNT - PLAT_PORT_PM1A_EVT)
#define PM_TMR (PLAT_PORT_PM_TMR - PLAT_PORT_PM1A_EVT)
static void p_drive(union any_dev *d)
{
	struct acpi_pm *pm = &d->pm;

	/* No event sets a status bit yet: as a power button would. */
	pm->pm1_sts = 0x0101;
	wr16(acpi_pm_io, pm, PM_EN, 0x0121);
	wr16(acpi_pm_io, pm, PM_CNT, 3u << PLAT_PM1_SLP_TYP_SHIFT);
	pm->timer_base_ns -= 10 * 1000000000ULL;
}

static const struct dev_ops devs[] = {
	{ "serial", s_init, s_fini, s_save, s_restore, s_drive, 0, 0 },
	{ "i8042", k_init, k_fini, k_save, k_restore, k_drive, 0, 0 },
	{ "rtc", r_init, r_fini, r_save, r_restore, r_drive, 0, 0 },
	/* pm1_sts, pm1_en, pm1_cnt, then the timer's ns */
	{ "acpi_pm", p_init, p_fini, p_save, p_restore, p_drive, 6, 8 },
};

static void assert_same_state(const struct dev_ops *o, const struct snap_enc *a,
			      const struct snap_enc *b)
{
	assert_int_equal(a->len, b->len);
	if (o->skip_len) {
		assert_memory_equal(a->buf, b->buf, o->skip_at);
		assert_memory_equal(a->buf + o->skip_at + o->skip_len,
				    b->buf + o->skip_at + o->skip_len,
				    a->len - o->skip_at - o->skip_len);
	} else {
		assert_memory_equal(a->buf, b->buf, a->len);
	}
}

/* A driven device's payload, and a fresh device's before any restore. */
static void payload(const struct dev_ops *o, bool driven, struct snap_enc *enc)
{
	union any_dev *d = calloc(1, sizeof(*d));
	struct irq_rec rec;
	struct irq_line line = rec_line(&rec);

	assert_non_null(d);
	o->init(d, &line);
	if (driven)
		o->drive(d);
	snap_enc_init(enc);
	assert_int_equal(o->save(d, enc), 0);
	o->fini(d);
	free(d);
}

/* Restore p into a fresh device: must fail naming field, changing nothing. */
static void refused(const struct dev_ops *o, const uint8_t *p, size_t len,
		    const char *field)
{
	union any_dev *d = calloc(1, sizeof(*d));
	struct snap_enc fresh, after;
	struct irq_rec rec;
	struct irq_line line = rec_line(&rec);
	struct vmon_err e;
	struct snap_dec dec = dec_of(p, len, &e);
	char want[64];

	assert_non_null(d);
	o->init(d, &line);
	snap_enc_init(&fresh);
	snap_enc_init(&after);
	assert_int_equal(o->save(d, &fresh), 0);
	assert_int_equal(o->restore(d, &dec), -EINVAL);
	assert_int_equal(e.code, -EINVAL);
	if (field) {
		snprintf(want, sizeof(want), "field %s:", field);
		if (!strstr(e.msg, want))
			fail_msg("%s: \"%s\" does not name %s", o->name, e.msg,
				 field);
	}
	assert_int_equal(rec.n, 0);
	assert_int_equal(o->save(d, &after), 0);
	assert_same_state(o, &fresh, &after);
	snap_enc_free(&fresh);
	snap_enc_free(&after);
	o->fini(d);
	free(d);
}

/* Every prefix and one byte more are refused; the whole is accepted. */
static void truncations(void **state)
{
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		const struct dev_ops *o = &devs[i];
		struct snap_enc enc;
		uint8_t *longer;

		payload(o, true, &enc);
		for (size_t n = 0; n < enc.len; n++)
			refused(o, enc.buf, n, NULL);
		longer = calloc(1, enc.len + 1);
		assert_non_null(longer);
		memcpy(longer, enc.buf, enc.len);
		refused(o, longer, enc.len + 1, NULL);
		free(longer);
		snap_enc_free(&enc);
	}
}

/* Each device's payload with one byte (or u16) changed must be refused. */
static void bad_byte(const struct dev_ops *o, size_t off, uint8_t v,
		     const char *field)
{
	struct snap_enc enc;

	payload(o, true, &enc);
	assert_true(off < enc.len);
	enc.buf[off] = v;
	refused(o, enc.buf, enc.len, field);
	snap_enc_free(&enc);
}

static void out_of_range(void **state)
{
	const struct dev_ops *s = &devs[0], *k = &devs[1], *r = &devs[2],
			     *p = &devs[3];

	bad_byte(s, 0, 0x10, "ier");
	bad_byte(s, 1, 2, "thri");
	bad_byte(s, 3, 0x20, "mcr");
	bad_byte(s, 4, 0x01, "lsr");
	bad_byte(s, 9, 0x02, "fcr");
	bad_byte(s, 11, 0x04, "rx_count"); /* 1029 */
	bad_byte(k, 2, 0x20, "pending_cmd");
	bad_byte(k, 3, 2, "out_is_aux");
	bad_byte(k, 4, I8042_OUTQ + 1, "out_count");
	bad_byte(r, 0, 0x80, "index");
	bad_byte(r, 1 + RTC_SECONDS, 0x01, "cmos");
	bad_byte(r, 1 + RTC_REG_A, 0xa6, "cmos");
	bad_byte(r, 1 + RTC_REG_C, 0x80, "cmos");
	bad_byte(r, 1 + RTC_REG_D, 0x00, "cmos");
	bad_byte(r, 1 + 128 + 5, 0x01, "offset_s"); /* 2^40 + ... */
	bad_byte(p, 1, 0x08, "pm1_sts");	    /* bit 11: reserved */
	bad_byte(p, 5, 0x20, "pm1_cnt");	    /* SLP_EN */
	bad_byte(p, 4, 0x00, "pm1_cnt");	    /* SCI_EN clear */
}

/* What a fresh device saves is accepted by a fresh device, unchanged. */
static void fresh_roundtrip(void **state)
{
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		const struct dev_ops *o = &devs[i];
		union any_dev *d = calloc(1, sizeof(*d));
		struct snap_enc a, b;
		struct irq_rec rec;
		struct irq_line line = rec_line(&rec);
		struct vmon_err e;
		struct snap_dec dec;

		payload(o, false, &a);
		assert_non_null(d);
		o->init(d, &line);
		dec = dec_of(a.buf, a.len, &e);
		assert_int_equal(o->restore(d, &dec), 0);
		snap_enc_init(&b);
		assert_int_equal(o->save(d, &b), 0);
		assert_same_state(o, &a, &b);
		snap_enc_free(&a);
		snap_enc_free(&b);
		o->fini(d);
		free(d);
	}
}

/* Drive a, save it, restore into a fresh b; both are left for checks. */
static void save_restore(const struct dev_ops *o, union any_dev *a,
			 struct irq_rec *ra, union any_dev *b,
			 struct irq_rec *rb)
{
	struct irq_line la = rec_line(ra), lb = rec_line(rb);
	struct snap_enc enc, again;
	struct vmon_err e;
	struct snap_dec dec;

	o->init(a, &la);
	o->init(b, &lb);
	o->drive(a);
	snap_enc_init(&enc);
	assert_int_equal(o->save(a, &enc), 0);
	dec = dec_of(enc.buf, enc.len, &e);
	assert_int_equal(o->restore(b, &dec), 0);
	assert_int_equal(e.code, 0);
	/* Restored, it saves the same bytes. */
	snap_enc_init(&again);
	assert_int_equal(o->save(b, &again), 0);
	assert_same_state(o, &enc, &again);
	snap_enc_free(&enc);
	snap_enc_free(&again);
}

static void serial_state(void **state)
{
	union any_dev *a = calloc(2, sizeof(*a)), *b = a + 1;
	struct irq_rec ra, rb;

	assert_non_null(a);
	save_restore(&devs[0], a, &ra, b, &rb);
	/* RX data with RDI enabled: the line is up on both. */
	assert_int_equal(ra.level, 1);
	assert_true(rb.n >= 1);
	assert_int_equal(rb.level, 1);
	for (unsigned int reg = UART_IER; reg <= UART_SCR; reg++)
		assert_int_equal(rd(serial_io, &b->s, reg),
				 rd(serial_io, &a->s, reg));
	assert_int_equal(rd(serial_io, &b->s, UART_IIR),
			 UART_IIR_RDI | UART_IIR_FIFO);
	for (unsigned int i = 0; i < 6; i++)
		assert_int_equal(rd(serial_io, &b->s, UART_RBR),
				 rd(serial_io, &a->s, UART_RBR));
	/* FIFO empty: THRE is next, then nothing, on both. */
	for (unsigned int i = 0; i < 2; i++)
		assert_int_equal(rd(serial_io, &b->s, UART_IIR),
				 rd(serial_io, &a->s, UART_IIR));
	assert_int_equal(rb.level, ra.level);
	assert_int_equal(rb.level, 0);
	wr(serial_io, &a->s, UART_LCR, 0x9b);
	wr(serial_io, &b->s, UART_LCR, 0x9b);
	assert_int_equal(rd(serial_io, &b->s, UART_RBR), 0x01);
	assert_int_equal(rd(serial_io, &b->s, UART_IER), 0x02);
	serial_destroy(&a->s);
	serial_destroy(&b->s);
	free(a);
}

/* The THRE interrupt a full output ring holds back is pending restored. */
static void serial_busy_thri(void **state)
{
	union any_dev *a = calloc(2, sizeof(*a)), *b = a + 1;
	struct irq_rec ra, rb;
	struct irq_line la = rec_line(&ra), lb = rec_line(&rb);
	struct snap_enc enc;
	struct vmon_err e;
	struct snap_dec dec;

	assert_non_null(a);
	s_init(a, &la);
	s_init(b, &lb);
	a->s.ier = UART_IER_THRI;
	a->s.tx_busy = true; /* as a nearly full ring leaves it */
	snap_enc_init(&enc);
	assert_int_equal(serial_save(&a->s, &enc), 0);
	assert_int_equal(enc.buf[1], 1);
	dec = dec_of(enc.buf, enc.len, &e);
	assert_int_equal(serial_restore(&b->s, &dec), 0);
	assert_int_equal(rb.level, 1);
	assert_int_equal(rd(serial_io, &b->s, UART_IIR), UART_IIR_THRI);
	assert_int_equal(rd(serial_io, &b->s, UART_LSR) & UART_LSR_THRE,
			 UART_LSR_THRE);
	snap_enc_free(&enc);
	serial_destroy(&a->s);
	serial_destroy(&b->s);
	free(a);
}

static void i8042_state(void **state)
{
	union any_dev *a = calloc(2, sizeof(*a)), *b = a + 1;
	struct irq_rec ra, rb;

	assert_non_null(a);
	save_restore(&devs[1], a, &ra, b, &rb);
	assert_int_equal(ra.level, 1);
	assert_int_equal(rb.level, 1);
	assert_int_equal(rd(i8042_cmd_io, &b->k, 0),
			 I8042_STATUS_OBF | I8042_STATUS_SYS |
				 I8042_STATUS_CMD | I8042_STATUS_UNLOCKED);
	assert_int_equal(rd(i8042_cmd_io, &b->k, 0), rd(i8042_cmd_io, &a->k, 0));
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(rd(i8042_data_io, &b->k, 0),
				 rd(i8042_data_io, &a->k, 0));
		assert_int_equal(rb.level, ra.level);
	}
	assert_int_equal(rb.level, 0);
	/* The pending 0xd1 takes its data byte on the restored one too. */
	wr(i8042_data_io, &a->k, 0, 0x03);
	wr(i8042_data_io, &b->k, 0, 0x03);
	wr(i8042_cmd_io, &a->k, 0, 0xd0);
	wr(i8042_cmd_io, &b->k, 0, 0xd0);
	assert_int_equal(rd(i8042_data_io, &b->k, 0), 0x03);
	assert_int_equal(rd(i8042_data_io, &a->k, 0), 0x03);
	wr(i8042_cmd_io, &b->k, 0, 0x20);
	assert_int_equal(rd(i8042_data_io, &b->k, 0), 0x45);
	i8042_destroy(&a->k);
	i8042_destroy(&b->k);
	free(a);
}

/* An aux byte at the head keeps IRQ 1 low after restore. */
static void i8042_aux_low(void **state)
{
	union any_dev *a = calloc(2, sizeof(*a)), *b = a + 1;
	struct irq_rec ra, rb;
	struct irq_line la = rec_line(&ra), lb = rec_line(&rb);
	struct snap_enc enc;
	struct vmon_err e;
	struct snap_dec dec;

	assert_non_null(a);
	k_init(a, &la);
	k_init(b, &lb);
	wr(i8042_cmd_io, &a->k, 0, 0xd3);
	wr(i8042_data_io, &a->k, 0, 0x77);
	assert_int_equal(ra.n, 0);
	snap_enc_init(&enc);
	assert_int_equal(i8042_save(&a->k, &enc), 0);
	dec = dec_of(enc.buf, enc.len, &e);
	assert_int_equal(i8042_restore(&b->k, &dec), 0);
	assert_int_equal(rb.n, 1);
	assert_int_equal(rb.level, 0);
	assert_int_equal(rd(i8042_cmd_io, &b->k, 0) & I8042_STATUS_AUXDATA,
			 I8042_STATUS_AUXDATA);
	snap_enc_free(&enc);
	i8042_destroy(&a->k);
	i8042_destroy(&b->k);
	free(a);
}

static void rtc_state(void **state)
{
	union any_dev *a = calloc(2, sizeof(*a)), *b = a + 1;
	struct irq_rec ra, rb;

	assert_non_null(a);
	save_restore(&devs[2], a, &ra, b, &rb);
	/* The index came back: a data read without writing it first. */
	assert_int_equal(rd(rtc_io, &b->r, 1), 0x12);
	for (unsigned int i = 0; i < 128; i++) {
		wr(rtc_io, &a->r, 0, (uint8_t)i);
		wr(rtc_io, &b->r, 0, (uint8_t)i);
		assert_int_equal(rd(rtc_io, &b->r, 1), rd(rtc_io, &a->r, 1));
	}
	wr(rtc_io, &b->r, 0, RTC_HOURS);
	assert_int_equal(rd(rtc_io, &b->r, 1), 5);
	/* Host time moves on, and the restored clock with it. */
	the_time += 3600;
	assert_int_equal(rd(rtc_io, &b->r, 1), 6);
	the_time -= 3600;
	rtc_destroy(&a->r);
	rtc_destroy(&b->r);
	free(a);
}

static void acpi_pm_state(void **state)
{
	union any_dev *a = calloc(2, sizeof(*a)), *b = a + 1;
	struct irq_rec ra, rb;
	uint64_t lo = 10 * ACPI_PM_TIMER_HZ, t;

	assert_non_null(a);
	save_restore(&devs[3], a, &ra, b, &rb);
	assert_int_equal(rd16(acpi_pm_io, &b->pm, PM_STS), 0x0101);
	assert_int_equal(rd16(acpi_pm_io, &b->pm, PM_EN), 0x0121);
	assert_int_equal(rd16(acpi_pm_io, &b->pm, PM_CNT),
			 (3u << PLAT_PM1_SLP_TYP_SHIFT) | PLAT_PM1_SCI_EN);
	/* The timer carries on from the 10 s it had run, within a second. */
	t = rd32(acpi_pm_io, &b->pm, PM_TMR);
	assert_true(t >= lo && t < lo + ACPI_PM_TIMER_HZ);
	/* W1C still works on the restored status. */
	wr16(acpi_pm_io, &b->pm, PM_STS, 0x0100);
	assert_int_equal(rd16(acpi_pm_io, &b->pm, PM_STS), 0x0001);
	acpi_pm_destroy(&a->pm);
	acpi_pm_destroy(&b->pm);
	free(a);
}

/* Past 86 minutes ns * HZ overflowed 64 bits and the count jumped. */
static void acpi_pm_timer_long(void **state)
{
	struct acpi_pm pm;
	uint64_t secs = 5200, want;
	uint32_t t;

	assert_int_equal(acpi_pm_init(&pm, NULL), 0);
	pm.timer_base_ns = clock_mono_ns() - secs * 1000000000ULL;
	want = (uint32_t)(secs * ACPI_PM_TIMER_HZ);
	t = rd32(acpi_pm_io, &pm, PM_TMR);
	assert_true((uint32_t)(t - want) < ACPI_PM_TIMER_HZ);
	acpi_pm_destroy(&pm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serial_state),
		cmocka_unit_test(serial_busy_thri),
		cmocka_unit_test(i8042_state),
		cmocka_unit_test(i8042_aux_low),
		cmocka_unit_test(rtc_state),
		cmocka_unit_test(acpi_pm_state),
		cmocka_unit_test(acpi_pm_timer_long),
		cmocka_unit_test(fresh_roundtrip),
		cmocka_unit_test(truncations),
		cmocka_unit_test(out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
