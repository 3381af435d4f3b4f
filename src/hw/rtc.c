// SPDX-License-Identifier: MIT
#include "hw/rtc.h"

#include <string.h>

#include "lib/snapfile.h"

static time_t host_now(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

int rtc_init(struct rtc *r)
{
	memset(r, 0, sizeof(*r));
	r->cmos[RTC_REG_A] = 0x26;	/* 32.768 kHz base, 1.024 kHz rate */
	r->cmos[RTC_REG_B] = RTC_B_24H;	/* BCD, 24-hour: what BIOSes set */
	r->cmos[RTC_REG_D] = 0x80;	/* valid RAM and time */
	r->now = host_now;
	return -pthread_mutex_init(&r->lock, NULL);
}

void rtc_destroy(struct rtc *r)
{
	pthread_mutex_destroy(&r->lock);
}

static uint8_t to_bcd(unsigned int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static unsigned int from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static bool is_time_reg(uint8_t idx)
{
	return idx <= RTC_YEAR || idx == RTC_CENTURY;
}

/* A clock register's value in the guest's chosen format (datasheet). */
static uint8_t time_reg(struct rtc *r, uint8_t idx)
{
	time_t t = r->now(r->now_ctx) + r->offset_s;
	bool binary = r->cmos[RTC_REG_B] & RTC_B_BINARY;
	struct tm tm;
	unsigned int v;

	gmtime_r(&t, &tm);
	switch (idx) {
	case RTC_SECONDS: v = (unsigned int)tm.tm_sec; break;
	case RTC_MINUTES: v = (unsigned int)tm.tm_min; break;
	case RTC_HOURS: v = (unsigned int)tm.tm_hour; break;
	case RTC_WEEKDAY: v = (unsigned int)tm.tm_wday + 1; break;
	case RTC_DAY: v = (unsigned int)tm.tm_mday; break;
	case RTC_MONTH: v = (unsigned int)tm.tm_mon + 1; break;
	case RTC_YEAR: v = (unsigned int)(tm.tm_year % 100); break;
	case RTC_CENTURY: v = (unsigned int)(tm.tm_year + 1900) / 100; break;
	default: return r->cmos[idx];	/* alarm registers */
	}
	return binary ? (uint8_t)v : to_bcd(v);
}

/* The guest sets the clock: keep the difference from host time. */
static void set_time_reg(struct rtc *r, uint8_t idx, uint8_t val)
{
	time_t t = r->now(r->now_ctx) + r->offset_s;
	bool binary = r->cmos[RTC_REG_B] & RTC_B_BINARY;
	int v = (int)(binary ? val : from_bcd(val));
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (idx) {
	case RTC_SECONDS: tm.tm_sec = v; break;
	case RTC_MINUTES: tm.tm_min = v; break;
	case RTC_HOURS: tm.tm_hour = v; break;
	case RTC_DAY: tm.tm_mday = v; break;
	case RTC_MONTH: tm.tm_mon = v - 1; break;
	case RTC_YEAR: tm.tm_year = (tm.tm_year / 100) * 100 + v; break;
	case RTC_CENTURY: tm.tm_year = v * 100 - 1900 + tm.tm_year % 100; break;
	default: return;
	}
	r->offset_s = (int64_t)timegm(&tm) - (int64_t)r->now(r->now_ctx);
}

void rtc_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	    bool is_write)
{
	struct rtc *r = opaque;

	pthread_mutex_lock(&r->lock);
	if (offset == 0) {
		/* Index port; bit 7 is the NMI mask, which we ignore. */
		if (is_write)
			r->index = data[0] & 0x7f;
		else
			data[0] = 0xff;
	} else if (!is_write) {
		uint8_t idx = r->index;

		if (is_time_reg(idx))
			data[0] = time_reg(r, idx);
		else if (idx == RTC_REG_C)
			data[0] = 0;		/* no interrupt flags */
		else
			data[0] = r->cmos[idx];
	} else {
		uint8_t idx = r->index;

		if (is_time_reg(idx))
			set_time_reg(r, idx, data[0]);
		else if (idx == RTC_REG_A)
			r->cmos[idx] = data[0] & 0x7f;	/* UIP read-only */
		else if (idx != RTC_REG_C && idx != RTC_REG_D)
			r->cmos[idx] = data[0];
	}
	for (uint32_t i = 1; i < len; i++)
		if (!is_write)
			data[i] = 0xff;
	pthread_mutex_unlock(&r->lock);
}

/* ---- snapshot state ------------------------------------------------- */

/*
 * Layout 1: index (u8), cmos (128 bytes), offset_s (u64, two's
 * complement).  The clock itself is not saved: it is host time plus
 * offset_s, before and after.
 */
int rtc_save(struct rtc *r, struct snap_enc *enc)
{
	pthread_mutex_lock(&r->lock);
	snap_put_u8(enc, r->index);
	snap_put_bytes(enc, r->cmos, sizeof(r->cmos));
	snap_put_u64(enc, (uint64_t)r->offset_s);
	pthread_mutex_unlock(&r->lock);
	return enc->err;
}

/*
 * The bytes rtc_io() never stores must hold what rtc_init() put there:
 * the clock and alarm registers (computed, or writes ignored), C and D
 * (read-only), and A's UIP bit.
 */
static void check_cmos(struct snap_dec *d, const uint8_t *cmos)
{
	for (uint8_t i = 0; i < 128 && !d->err; i++) {
		uint8_t want = i == RTC_REG_D ? 0x80 : 0;

		if ((is_time_reg(i) || i == RTC_REG_C || i == RTC_REG_D) &&
		    cmos[i] != want)
			snap_dec_fail(d, "cmos",
				      "byte 0x%02x is 0x%02x, not the "
				      "0x%02x this RTC holds there",
				      i, cmos[i], want);
	}
	if (cmos[RTC_REG_A] & 0x80)
		snap_dec_fail(d, "cmos",
			      "register A has UIP (bit 7) set, "
			      "which is read-only");
}

int rtc_restore(struct rtc *r, struct snap_dec *d)
{
	uint8_t index, cmos[128];
	uint64_t off;
	int64_t offset;

	snap_get_u8(d, "index", &index);
	if (index >= 128)
		snap_dec_fail(d, "index", "%u is not below 128", index);
	snap_get_bytes(d, "cmos", cmos, sizeof(cmos));
	if (!d->err)
		check_cmos(d, cmos);
	snap_get_u64(d, "offset_s", &off);
	offset = (int64_t)off;
	/* gmtime_r() must be able to break host time plus this down. */
	if (offset > RTC_MAX_OFFSET_S || offset < -RTC_MAX_OFFSET_S)
		snap_dec_fail(d, "offset_s",
			      "%lld s is beyond the %lld s a "
			      "guest can set",
			      (long long)offset, (long long)RTC_MAX_OFFSET_S);
	if (snap_dec_end(d))
		return d->err;

	pthread_mutex_lock(&r->lock);
	r->index = index;
	memcpy(r->cmos, cmos, sizeof(cmos));
	r->offset_s = offset;
	pthread_mutex_unlock(&r->lock);
	return 0;
}
