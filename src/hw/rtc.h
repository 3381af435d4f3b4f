/* SPDX-License-Identifier: MIT */
/*
 * The CMOS real-time clock (MC146818A) at ports 0x70/0x71, reading the
 * host's UTC time.  Periodic and alarm interrupts are not emulated: Linux
 * and the test guest only read the time.
 */
#ifndef VMON_HW_RTC_H
#define VMON_HW_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct rtc {
	pthread_mutex_t lock;
	uint8_t index;
	uint8_t cmos[128];
	/* Offset of guest time from host time, set by guest writes. */
	int64_t offset_s;
	/* Clock source, replaceable by unit tests. */
	time_t (*now)(void *ctx);
	void *now_ctx;
};

int rtc_init(struct rtc *r);
void rtc_destroy(struct rtc *r);
void rtc_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
	    bool is_write);

#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_WEEKDAY	0x06
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32
#define RTC_B_24H	0x02
#define RTC_B_BINARY	0x04
#define RTC_B_SET	0x80

#endif
