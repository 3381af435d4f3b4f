/* SPDX-License-Identifier: MIT */
/*
 * timer: PIT channel 0 at 100 Hz through the IOAPIC (ISA IRQ0, which the
 * MADT overrides to GSI 2), counted against the CMOS RTC: the ticks
 * between three seconds-register changes (2 s).  Exit 0 for 100..300.
 * Without an RTC (QEMU microvm has none unless rtc=on) the 2 s are
 * measured with the TSC instead.
 */
#include "apic.h"
#include "guest.h"

#define PIT_HZ		1193182u	/* 8254 input clock */
#define TICK_HZ		100u
#define VECTOR_TIMER	0x20

#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_STATUS_A	0x0a		/* bit 7: update in progress */
#define RTC_STATUS_B	0x0b		/* bit 2: binary, bit 1: 24-hour */

static volatile uint64_t ticks;

static void timer_irq(unsigned vector)
{
	ticks++;
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

/* Reads a register outside an update cycle (MC146818 datasheet: with
 * UIP clear, the next update is at least 244 us away). */
static uint8_t rtc_read(uint8_t reg)
{
	for (int i = 0; i < 100000 && (cmos_read(RTC_STATUS_A) & 0x80); i++)
		cpu_pause();
	return cmos_read(reg);
}

static unsigned rtc_value(uint8_t raw, bool binary)
{
	return binary ? raw : (raw >> 4) * 10 + (raw & 0xf);
}

static void print_rtc(void)
{
	uint8_t b = rtc_read(RTC_STATUS_B);
	bool bin = b & 0x04;
	uint8_t hraw = rtc_read(RTC_HOURS);
	unsigned hour = rtc_value(hraw & 0x7f, bin);

	if (!(b & 0x02)) {		/* 12-hour mode: bit 7 = PM */
		hour %= 12;
		if (hraw & 0x80)
			hour += 12;
	}
	printf("rtc: 20%02u-%02u-%02u %02u:%02u:%02u\n",
	       rtc_value(rtc_read(RTC_YEAR), bin), rtc_value(rtc_read(RTC_MONTH), bin),
	       rtc_value(rtc_read(RTC_DAY), bin), hour,
	       rtc_value(rtc_read(RTC_MINUTES), bin),
	       rtc_value(rtc_read(RTC_SECONDS), bin));
}

/* With no device at 0x70/0x71 every read returns all ones. */
static bool rtc_present(void)
{
	return cmos_read(RTC_STATUS_A) != 0xff || cmos_read(RTC_STATUS_B) != 0xff;
}

static uint8_t wait_second_change(uint8_t sec)
{
	uint8_t now;

	while ((now = rtc_read(RTC_SECONDS)) == sec)
		sti_hlt();		/* the next tick wakes us */
	return now;
}

/* CPL3: wait up to 2 s of TSC time for the first tick. */
static long wait_first_tick(void *arg)
{
	uint64_t end = rdtsc() + 2 * tsc_khz() * 1000;

	while (!ticks && (int64_t)(rdtsc() - end) < 0)
		cpu_pause();
	return ticks != 0;
}

int main(void)
{
	if (!x2apic_enable()) {
		printf("timer: FAIL no x2APIC\n");
		return GUEST_EXIT_FAIL;
	}
	uint64_t khz = tsc_khz();	/* may use the PIT: before we do */
	irq_set_handler(VECTOR_TIMER, timer_irq);
	uint32_t gsi = irq_route_isa(0, VECTOR_TIMER);

	/* Channel 0, lobyte/hibyte, mode 2 (rate generator), binary. */
	uint16_t div = (PIT_HZ + TICK_HZ / 2) / TICK_HZ;
	outb(0x43, 0x34);
	outb(0x40, div & 0xff);
	outb(0x40, div >> 8);
	printf("timer: pit %u Hz on isa irq 0 -> gsi %u -> vector 0x%x\n",
	       TICK_HZ, gsi, VECTOR_TIMER);

	sti();
	if (!run_user(wait_first_tick, NULL)) {
		printf("timer: FAIL no timer interrupt within 2 s\n");
		return GUEST_EXIT_FAIL;
	}

	uint64_t start, n;
	if (rtc_present()) {
		print_rtc();
		uint8_t sec = wait_second_change(rtc_read(RTC_SECONDS));
		start = ticks;
		sec = wait_second_change(sec);
		wait_second_change(sec);
	} else {
		printf("rtc: not present, timing 2 s with the TSC (%lu kHz)\n", khz);
		uint64_t end = rdtsc() + 2000 * khz;
		start = ticks;
		while ((int64_t)(rdtsc() - end) < 0)
			sti_hlt();
	}
	n = ticks - start;
	cli();

	printf("timer: %lu ticks in 2 s\n", n);
	/* min_ticks=: where the host's own clocks are emulated (the nested
	 * host of tests/nested/) only the arrival of ticks is asserted. */
	uint64_t lo = cmdline_u64("min_ticks", 100);
	return n >= lo && n <= 300 ? GUEST_EXIT_OK : GUEST_EXIT_FAIL;
}
