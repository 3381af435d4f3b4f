// SPDX-License-Identifier: MIT
#include "hw/acpi_pm.h"

#include <string.h>
#include <time.h>

#include "arch/x86/platform.h"
#include "lib/clock.h"
#include "lib/exit_status.h"
#include "lib/le.h"
#include "lib/log.h"
#include "lib/snapfile.h"

/* Offsets inside the block, from platform.h's port numbers. */
#define OFF_STS		(PLAT_PORT_PM1A_EVT - PLAT_PORT_PM1A_EVT)
#define OFF_EN		(OFF_STS + 2)
#define OFF_CNT		(PLAT_PORT_PM1A_CNT - PLAT_PORT_PM1A_EVT)
#define OFF_TMR		(PLAT_PORT_PM_TMR - PLAT_PORT_PM1A_EVT)
#define OFF_RESET	(PLAT_PORT_ACPI_RESET - PLAT_PORT_PM1A_EVT)

int acpi_pm_init(struct acpi_pm *pm, const struct stop_sink *stop)
{
	memset(pm, 0, sizeof(*pm));
	if (stop)
		pm->stop = *stop;
	/* SMI_CMD is 0 in the FADT: ACPI mode is on from the start. */
	pm->pm1_cnt = PLAT_PM1_SCI_EN;
	pm->timer_base_ns = clock_mono_ns();
	return -pthread_mutex_init(&pm->lock, NULL);
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	pthread_mutex_destroy(&pm->lock);
}

static void event(struct acpi_pm *pm, enum acpi_pm_event ev)
{
	pm->last_event = ev;
	if (!stop_sink_connected(&pm->stop))
		return;
	if (ev == ACPI_PM_POWEROFF) {
		log_info("ACPI: guest entered S5 (power off)");
		stop_request(&pm->stop, VM_STOP_POWEROFF, VMON_EXIT_OK);
	} else {
		log_info("ACPI: guest wrote the reset register");
		stop_request(&pm->stop, VM_STOP_RESET, VMON_EXIT_OK);
	}
}

static void write_cnt(struct acpi_pm *pm, uint16_t v)
{
	unsigned int typ = (v >> PLAT_PM1_SLP_TYP_SHIFT) &
			   PLAT_PM1_SLP_TYP_MASK;

	/* SLP_EN is write-only; SCI_EN stays set (no legacy mode). */
	pm->pm1_cnt = (uint16_t)((v & ~PLAT_PM1_SLP_EN) | PLAT_PM1_SCI_EN);
	if ((v & PLAT_PM1_SLP_EN) && typ == PLAT_S5_SLP_TYP)
		event(pm, ACPI_PM_POWEROFF);
	/* Other sleep states are not offered in the DSDT; ignore them. */
}

/*
 * PM timer ticks in ns of running, in two parts: ns * HZ overflows 64
 * bits after 86 minutes, which made the count jump.
 */
static uint64_t timer_ticks(uint64_t ns)
{
	return ns / 1000000000ULL * ACPI_PM_TIMER_HZ +
	       ns % 1000000000ULL * ACPI_PM_TIMER_HZ / 1000000000ULL;
}

/* Read the 16-byte block as registers laid out little-endian. */
static uint8_t read_byte(struct acpi_pm *pm, uint64_t off)
{
	uint32_t tmr;

	switch (off) {
	case OFF_STS: return (uint8_t)pm->pm1_sts;
	case OFF_STS + 1: return (uint8_t)(pm->pm1_sts >> 8);
	case OFF_EN: return (uint8_t)pm->pm1_en;
	case OFF_EN + 1: return (uint8_t)(pm->pm1_en >> 8);
	case OFF_CNT: return (uint8_t)pm->pm1_cnt;
	case OFF_CNT + 1: return (uint8_t)(pm->pm1_cnt >> 8);
	case OFF_TMR:
	case OFF_TMR + 1:
	case OFF_TMR + 2:
	case OFF_TMR + 3:
		/* 32-bit counter at 3.579545 MHz (FADT TMR_VAL_EXT). */
		tmr = timer_ticks(clock_mono_ns() - pm->timer_base_ns);
		return (uint8_t)(tmr >> (8 * (off - OFF_TMR)));
	default:
		return 0;
	}
}

void acpi_pm_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		bool is_write)
{
	struct acpi_pm *pm = opaque;
	uint32_t v = 0;

	pthread_mutex_lock(&pm->lock);
	if (!is_write) {
		for (uint32_t i = 0; i < len; i++)
			data[i] = read_byte(pm, offset + i);
		goto out;
	}
	v = (uint32_t)le_get(data, len < 4 ? len : 4);

	if (offset == OFF_STS) {
		/* Status bits are write-1-to-clear (ACPI 4.8.3.1). */
		pm->pm1_sts &= (uint16_t)~v;
		if (len >= 4)
			pm->pm1_en = (uint16_t)(v >> 16);
	} else if (offset == OFF_EN) {
		pm->pm1_en = (uint16_t)v;
	} else if (offset == OFF_CNT) {
		if (len == 1)	/* a byte write keeps the high byte */
			v |= pm->pm1_cnt & 0xff00u;
		write_cnt(pm, (uint16_t)v);
	} else if (offset == OFF_CNT + 1 && len == 1) {
		write_cnt(pm, (uint16_t)((pm->pm1_cnt & 0xffu) | (v << 8)));
	} else if (offset == OFF_RESET) {
		if ((uint8_t)v == PLAT_ACPI_RESET_VALUE)
			event(pm, ACPI_PM_RESET);
	}
out:
	pthread_mutex_unlock(&pm->lock);
}

/* ---- snapshot state ------------------------------------------------- */

/*
 * PM1 status bits ACPI 6.5 table 4.16 defines: TMR, BM, GBL, PWRBTN,
 * SLPBTN, RTC, PCIEXP_WAKE, WAK.  The rest are reserved; nothing here
 * sets any status bit, and the guest can only clear them.
 */
#define PM1_STS_DEFINED	0xc731u

/*
 * Layout 1: pm1_sts, pm1_en, pm1_cnt (u16 each), then timer_ns (u64): how
 * long the PM timer had run.  The timer carries on from that count, as
 * the guest's other monotonic clocks do; last_event is the unit tests'.
 * No SCI is wired to this block (no event raises a status bit), so there
 * is no line to drive after restore.
 */
int acpi_pm_save(struct acpi_pm *pm, struct snap_enc *enc)
{
	pthread_mutex_lock(&pm->lock);
	snap_put_u16(enc, pm->pm1_sts);
	snap_put_u16(enc, pm->pm1_en);
	snap_put_u16(enc, pm->pm1_cnt);
	snap_put_u64(enc, clock_mono_ns() - pm->timer_base_ns);
	pthread_mutex_unlock(&pm->lock);
	return enc->err;
}

int acpi_pm_restore(struct acpi_pm *pm, struct snap_dec *d)
{
	uint16_t sts, en, cnt;
	uint64_t timer_ns;

	snap_get_u16(d, "pm1_sts", &sts);
	if (sts & ~PM1_STS_DEFINED)
		snap_dec_fail(d, "pm1_sts",
			      "0x%04x has reserved bits 0x%04x "
			      "set",
			      sts, sts & ~PM1_STS_DEFINED);
	/* Any value: a guest write stores all 16 bits and reads them back. */
	snap_get_u16(d, "pm1_en", &en);
	snap_get_u16(d, "pm1_cnt", &cnt);
	if (cnt & PLAT_PM1_SLP_EN)
		snap_dec_fail(d, "pm1_cnt",
			      "0x%04x has SLP_EN set, which is "
			      "write-only",
			      cnt);
	if (!d->err && !(cnt & PLAT_PM1_SCI_EN))
		snap_dec_fail(d, "pm1_cnt",
			      "0x%04x has SCI_EN clear; this "
			      "block has no legacy mode",
			      cnt);
	/* Every count is a phase of the free-running timer. */
	snap_get_u64(d, "timer_ns", &timer_ns);
	if (snap_dec_end(d))
		return d->err;

	pthread_mutex_lock(&pm->lock);
	pm->pm1_sts = sts;
	pm->pm1_en = en;
	pm->pm1_cnt = cnt;
	/* Unsigned: wraps consistently with read_byte()'s subtraction. */
	pm->timer_base_ns = clock_mono_ns() - timer_ns;
	pthread_mutex_unlock(&pm->lock);
	return 0;
}
