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

/*
 * Snapshot state (docs/snapshot.md, "Device state: the legacy platform
 * devices"): the index, the 128 CMOS bytes and the guest's offset from
 * host time, so a restored clock follows the host's and the guest sees
 * wall time move on.  Restore checks everything before it changes r.
 */
#define RTC_SNAP_VERSION 1u
/* Above any offset a guest can set (century 0xff, binary): ~34,000 years. */
#define RTC_MAX_OFFSET_S (1LL << 40)
struct snap_enc;
struct snap_dec;
int rtc_save(struct rtc *r, struct snap_enc *enc);
int rtc_restore(struct rtc *r, struct snap_dec *d);

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
