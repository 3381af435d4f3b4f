// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the legacy devices' snapshot decoders (serial,
 * i8042, rtc, acpi_pm restore): section payloads from a hostile file.
 *
 * Input: byte 0 picks the device (mod 4), the rest is the payload,
 * restored into a freshly created device.  Checked: no sanitizer report;
 * a refusal is -EINVAL with a message naming the section, and leaves the
 * device saving what a fresh one saves; an accepted payload saved again
 * is byte for byte the input (one encoding of each state), except the
 * PM timer's count, which runs on between the two.  See fuzz/README.md.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hw/acpi_pm.h"
#include "hw/i8042.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "lib/err.h"
#include "lib/snapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* acpi_pm's layout 1: three u16, then the timer's u64 at offset 6. */
#define PM_TIMER_AT  6
#define PM_TIMER_LEN 8

static union {
	struct serial s;
	struct i8042 k;
	struct rtc r;
	struct acpi_pm pm;
} dev;

static void init(unsigned int which)
{
	int ret = 0;

	switch (which) {
	case 0:
		ret = serial_init(&dev.s, NULL, -1, NULL);
		break;
	case 1:
		ret = i8042_init(&dev.k, NULL, NULL);
		break;
	case 2:
		ret = rtc_init(&dev.r);
		break;
	default:
		ret = acpi_pm_init(&dev.pm, NULL);
		break;
	}
	if (ret)
		abort();
}

static void fini(unsigned int which)
{
	switch (which) {
	case 0:
		serial_destroy(&dev.s);
		break;
	case 1:
		i8042_destroy(&dev.k);
		break;
	case 2:
		rtc_destroy(&dev.r);
		break;
	default:
		acpi_pm_destroy(&dev.pm);
		break;
	}
}

static int save(unsigned int which, struct snap_enc *enc)
{
	switch (which) {
	case 0:
		return serial_save(&dev.s, enc);
	case 1:
		return i8042_save(&dev.k, enc);
	case 2:
		return rtc_save(&dev.r, enc);
	default:
		return acpi_pm_save(&dev.pm, enc);
	}
}

static int restore(unsigned int which, struct snap_dec *d)
{
	switch (which) {
	case 0:
		return serial_restore(&dev.s, d);
	case 1:
		return i8042_restore(&dev.k, d);
	case 2:
		return rtc_restore(&dev.r, d);
	default:
		return acpi_pm_restore(&dev.pm, d);
	}
}

/* a and b equal but for the PM timer's count. */
static bool same(unsigned int which, const uint8_t *a, size_t alen,
		 const uint8_t *b, size_t blen)
{
	if (alen != blen)
		return false;
	if (which != 3 || alen < PM_TIMER_AT + PM_TIMER_LEN)
		return !memcmp(a, b, alen);
	return !memcmp(a, b, PM_TIMER_AT) &&
	       !memcmp(a + PM_TIMER_AT + PM_TIMER_LEN,
		       b + PM_TIMER_AT + PM_TIMER_LEN,
		       alen - PM_TIMER_AT - PM_TIMER_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_enc fresh, after;
	struct vmon_err e = { 0 };
	struct snap_dec d;
	unsigned int which;
	int ret;

	if (size < 1)
		return 0;
	which = data[0] % 4;
	init(which);
	snap_enc_init(&fresh);
	snap_enc_init(&after);
	if (save(which, &fresh))
		abort();
	d = (struct snap_dec){ .file = "fuzz",
			       .section = "hw",
			       .p = data + 1,
			       .len = size - 1,
			       .version = 1,
			       .e = &e };
	ret = restore(which, &d);
	if (save(which, &after))
		abort();
	if (ret) {
		/* Refused: named, and nothing changed. */
		if (ret != -EINVAL || e.code != -EINVAL || !strstr(e.msg, "hw"))
			abort();
		if (!same(which, fresh.buf, fresh.len, after.buf, after.len))
			abort();
	} else if (!same(which, data + 1, size - 1, after.buf, after.len)) {
		abort();
	}
	snap_enc_free(&fresh);
	snap_enc_free(&after);
	fini(which);
	return 0;
}
