// SPDX-License-Identifier: MIT
/*
 * Unit tests for the platform devices, driven through their bus handlers
 * with no VM (nothing connected), plus the console's escape filter, CPUID
 * shaping and the emulation-failure hints.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86/cpuid.h"
#include "arch/x86/fault.h"
#include "arch/x86/platform.h"
#include "hw/acpi_pm.h"
#include "hw/debug_exit.h"
#include "hw/i8042.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "unit/hw_io.h"
#include "vmm/console.h"

/* ---- 16550 ---------------------------------------------------------- */

static void serial_tx_and_lsr(void **state)
{
	struct serial s;
	int fds[2];
	char buf[8] = { 0 };

	assert_int_equal(pipe(fds), 0);
	serial_init(&s, NULL, fds[1], NULL);
	assert_int_equal(rd(serial_io, &s, UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT),
			 UART_LSR_THRE | UART_LSR_TEMT);
	wr(serial_io, &s, UART_THR, 'h');
	wr(serial_io, &s, UART_THR, 'i');
	/* No event loop: the bytes wait in the ring for a flush. */
	assert_int_equal(counter_get(&s.tx_bytes), 0);
	assert_int_equal(serial_flush(&s, 100, 1000), 0);
	assert_int_equal(read(fds[0], buf, sizeof(buf)), 2);
	assert_string_equal(buf, "hi");
	assert_int_equal(counter_get(&s.tx_bytes), 2);
	/* DLAB: divisor latch, not data */
	wr(serial_io, &s, UART_LCR, UART_LCR_DLAB | 3);
	wr(serial_io, &s, UART_THR, 0x01);
	wr(serial_io, &s, UART_IER, 0x00);
	assert_int_equal(rd(serial_io, &s, UART_RBR), 0x01);
	assert_int_equal(counter_get(&s.tx_bytes), 2);
	wr(serial_io, &s, UART_LCR, 3);
	serial_destroy(&s);
	close(fds[0]);
	close(fds[1]);
}

static void serial_rx_and_iir(void **state)
{
	struct serial s;

	serial_init(&s, NULL, -1, NULL);
	assert_int_equal(rd(serial_io, &s, UART_IIR) & 0xf, UART_IIR_NO_INT);
	assert_int_equal(serial_rx_push(&s, (const uint8_t *)"ab", 2), 2);
	assert_true(rd(serial_io, &s, UART_LSR) & UART_LSR_DR);
	/* no interrupt until the guest enables it */
	assert_int_equal(rd(serial_io, &s, UART_IIR) & 0xf, UART_IIR_NO_INT);
	assert_int_equal(s.irq_level, 0);
	wr(serial_io, &s, UART_IER, UART_IER_RDI);
	assert_int_equal(s.irq_level, 1);
	assert_int_equal(rd(serial_io, &s, UART_IIR) & 0xf, UART_IIR_RDI);
	assert_int_equal(rd(serial_io, &s, UART_RBR), 'a');
	assert_int_equal(rd(serial_io, &s, UART_RBR), 'b');
	assert_false(rd(serial_io, &s, UART_LSR) & UART_LSR_DR);
	assert_int_equal(s.irq_level, 0);
	assert_int_equal(rd(serial_io, &s, UART_RBR), 0);	/* empty */

	/* THRI: enabling it with THR empty interrupts; reading IIR clears */
	wr(serial_io, &s, UART_IER, UART_IER_THRI);
	assert_int_equal(s.irq_level, 1);
	assert_int_equal(rd(serial_io, &s, UART_IIR) & 0xf, UART_IIR_THRI);
	assert_int_equal(s.irq_level, 0);
	wr(serial_io, &s, UART_THR, 'x');	/* discarded: out_fd -1 */
	assert_int_equal(s.irq_level, 1);
	serial_destroy(&s);
}

static void serial_rx_bounded(void **state)
{
	struct serial s;
	uint8_t big[SERIAL_RX_CAP + 100];

	serial_init(&s, NULL, -1, NULL);
	memset(big, 'z', sizeof(big));
	assert_int_equal(serial_rx_push(&s, big, sizeof(big)), SERIAL_RX_CAP);
	assert_int_equal(serial_rx_space(&s), 0);
	assert_int_equal(serial_rx_push(&s, big, 1), 0);
	/* FCR bit 1 clears the receive FIFO */
	wr(serial_io, &s, UART_FCR, 0x03);
	assert_int_equal(serial_rx_space(&s), SERIAL_RX_CAP);
	serial_destroy(&s);
}

static void serial_loopback_and_wide(void **state)
{
	struct serial s;
	uint8_t data[4] = { 0 };

	serial_init(&s, NULL, -1, NULL);
	wr(serial_io, &s, UART_MCR, UART_MCR_LOOP | 0x0f);
	assert_int_equal(rd(serial_io, &s, UART_MSR) & 0xf0, 0xf0);
	wr(serial_io, &s, UART_THR, 'L');
	assert_int_equal(rd(serial_io, &s, UART_RBR), 'L');
	wr(serial_io, &s, UART_MCR, 0);
	/* a 4-byte read at offset 6 wraps within the 8 registers safely */
	serial_io(&s, 6, data, 4, false);
	serial_destroy(&s);
}

/* ---- i8042 ---------------------------------------------------------- */

static void i8042_probe_and_reset(void **state)
{
	struct i8042 k;

	i8042_init(&k, NULL, NULL);
	assert_int_equal(rd(i8042_cmd_io, &k, 0) & I8042_STATUS_OBF, 0);
	wr(i8042_cmd_io, &k, 0, 0xaa);		/* self test */
	assert_true(rd(i8042_cmd_io, &k, 0) & I8042_STATUS_OBF);
	assert_int_equal(rd(i8042_data_io, &k, 0), 0x55);
	wr(i8042_cmd_io, &k, 0, 0x20);		/* read CTR */
	assert_int_equal(rd(i8042_data_io, &k, 0), I8042_CTR_KBDINT | I8042_CTR_XLATE);
	wr(i8042_cmd_io, &k, 0, 0x60);		/* write CTR */
	wr(i8042_data_io, &k, 0, 0x45);
	wr(i8042_cmd_io, &k, 0, 0x20);
	assert_int_equal(rd(i8042_data_io, &k, 0), 0x45);
	wr(i8042_data_io, &k, 0, 0xff);		/* keyboard reset */
	assert_int_equal(rd(i8042_data_io, &k, 0), 0xfa);
	assert_int_equal(rd(i8042_data_io, &k, 0), 0xaa);
	/* flood the output queue: bounded */
	for (int i = 0; i < 100; i++)
		wr(i8042_data_io, &k, 0, 0xf4);
	assert_int_equal(k.out_count, I8042_OUTQ);
	assert_false(k.reset_requested);
	wr(i8042_cmd_io, &k, 0, 0xfe);		/* pulse reset */
	assert_true(k.reset_requested);
	i8042_destroy(&k);

	i8042_init(&k, NULL, NULL);
	wr(i8042_cmd_io, &k, 0, 0xd1);		/* write output port */
	wr(i8042_data_io, &k, 0, 0x00);		/* bit 0 clear: reset */
	assert_true(k.reset_requested);
	i8042_destroy(&k);
}

/*
 * The status byte (port 0x64) as Linux's i8042 driver reads it: bit 2
 * (system flag) and bit 4 (I8042_STR_KEYLOCK, "not inhibited") always set,
 * so i8042_controller_init() does not warn "Keylock active".
 */
static void i8042_status_byte(void **state)
{
	struct i8042 k;

	i8042_init(&k, NULL, NULL);
	assert_int_equal(I8042_STATUS_UNLOCKED, 0x10);
	assert_int_equal(rd(i8042_cmd_io, &k, 0), 0x14);	/* idle */
	wr(i8042_cmd_io, &k, 0, 0x60);		/* write CTR: data pending */
	assert_int_equal(rd(i8042_cmd_io, &k, 0), 0x1c);	/* + CMD */
	wr(i8042_data_io, &k, 0, 0x47);
	assert_int_equal(rd(i8042_cmd_io, &k, 0), 0x14);
	wr(i8042_cmd_io, &k, 0, 0xaa);		/* self test: a byte out */
	assert_int_equal(rd(i8042_cmd_io, &k, 0), 0x15);	/* + OBF */
	assert_int_equal(rd(i8042_data_io, &k, 0), 0x55);
	wr(i8042_cmd_io, &k, 0, 0xd3);		/* write AUX output buffer */
	wr(i8042_data_io, &k, 0, 0x5a);
	assert_int_equal(rd(i8042_cmd_io, &k, 0), 0x35);	/* + AUXDATA */
	assert_int_equal(rd(i8042_data_io, &k, 0), 0x5a);
	wr(i8042_cmd_io, &k, 0, 0xad);		/* keyboard disabled: still */
	assert_int_equal(rd(i8042_cmd_io, &k, 0), 0x14);	/* unlocked */
	i8042_destroy(&k);
}

/* ---- RTC ------------------------------------------------------------ */

static time_t fixed_time(void *ctx)
{
	return *(time_t *)ctx;
}

static void rtc_reads_time(void **state)
{
	struct rtc r;
	time_t t = 1795226096;	/* 2026-11-21 01:54:56 UTC */

	rtc_init(&r);
	r.now = fixed_time;
	r.now_ctx = &t;
	wr(rtc_io, &r, 0, RTC_SECONDS);
	assert_int_equal(rd(rtc_io, &r, 1), 0x56);	/* BCD */
	wr(rtc_io, &r, 0, RTC_MINUTES);
	assert_int_equal(rd(rtc_io, &r, 1), 0x54);
	wr(rtc_io, &r, 0, RTC_HOURS);
	assert_int_equal(rd(rtc_io, &r, 1), 0x01);
	wr(rtc_io, &r, 0, RTC_DAY);
	assert_int_equal(rd(rtc_io, &r, 1), 0x21);
	wr(rtc_io, &r, 0, RTC_MONTH);
	assert_int_equal(rd(rtc_io, &r, 1), 0x11);
	wr(rtc_io, &r, 0, RTC_YEAR);
	assert_int_equal(rd(rtc_io, &r, 1), 0x26);
	wr(rtc_io, &r, 0, RTC_CENTURY | 0x80);	/* NMI mask bit ignored */
	assert_int_equal(rd(rtc_io, &r, 1), 0x20);
	wr(rtc_io, &r, 0, RTC_REG_D);
	assert_int_equal(rd(rtc_io, &r, 1), 0x80);

	/* binary mode */
	wr(rtc_io, &r, 0, RTC_REG_B);
	wr(rtc_io, &r, 1, RTC_B_24H | RTC_B_BINARY);
	wr(rtc_io, &r, 0, RTC_SECONDS);
	assert_int_equal(rd(rtc_io, &r, 1), 56);
	/* the guest sets the clock one hour ahead */
	wr(rtc_io, &r, 0, RTC_HOURS);
	wr(rtc_io, &r, 1, 2);
	assert_int_equal(r.offset_s, 3600);
	assert_int_equal(rd(rtc_io, &r, 1), 2);
	/* CMOS RAM */
	wr(rtc_io, &r, 0, 0x40);
	wr(rtc_io, &r, 1, 0x99);
	assert_int_equal(rd(rtc_io, &r, 1), 0x99);
	rtc_destroy(&r);
}

/* ---- ACPI PM, debug exit ------------------------------------------- */

static void pm_poweroff_reset_timer(void **state)
{
	struct acpi_pm pm;
	uint8_t d[4];
	uint32_t t1, t2;
	uint64_t cnt_off = PLAT_PORT_PM1A_CNT - PLAT_PORT_PM1A_EVT;
	uint64_t tmr_off = PLAT_PORT_PM_TMR - PLAT_PORT_PM1A_EVT;
	uint64_t rst_off = PLAT_PORT_ACPI_RESET - PLAT_PORT_PM1A_EVT;

	acpi_pm_init(&pm, NULL);
	acpi_pm_io(&pm, cnt_off, d, 2, false);
	assert_true(d[0] & PLAT_PM1_SCI_EN);
	/* S1 with SLP_EN: not offered, ignored */
	uint16_t v = (1 << PLAT_PM1_SLP_TYP_SHIFT) | PLAT_PM1_SLP_EN;
	memcpy(d, &v, 2);
	acpi_pm_io(&pm, cnt_off, d, 2, true);
	assert_int_equal(pm.last_event, ACPI_PM_NONE);
	/* S5 without SLP_EN: nothing yet */
	v = PLAT_S5_SLP_TYP << PLAT_PM1_SLP_TYP_SHIFT;
	memcpy(d, &v, 2);
	acpi_pm_io(&pm, cnt_off, d, 2, true);
	assert_int_equal(pm.last_event, ACPI_PM_NONE);
	v |= PLAT_PM1_SLP_EN;
	memcpy(d, &v, 2);
	acpi_pm_io(&pm, cnt_off, d, 2, true);
	assert_int_equal(pm.last_event, ACPI_PM_POWEROFF);

	pm.last_event = ACPI_PM_NONE;
	wr(acpi_pm_io, &pm, rst_off, 0x01);	/* wrong value */
	assert_int_equal(pm.last_event, ACPI_PM_NONE);
	wr(acpi_pm_io, &pm, rst_off, PLAT_ACPI_RESET_VALUE);
	assert_int_equal(pm.last_event, ACPI_PM_RESET);

	acpi_pm_io(&pm, tmr_off, d, 4, false);
	memcpy(&t1, d, 4);
	usleep(2000);
	acpi_pm_io(&pm, tmr_off, d, 4, false);
	memcpy(&t2, d, 4);
	assert_true(t2 - t1 >= 7000);		/* >= 2 ms at 3.58 MHz */
	acpi_pm_destroy(&pm);
}

static void debug_exit_codes(void **state)
{
	struct debug_exit d;
	uint8_t b[4] = { 0 };

	debug_exit_init(&d, NULL);
	assert_int_equal(d.last_status, -1);
	wr(debug_exit_io, &d, 0, 0);
	assert_int_equal(d.last_status, 1);
	wr(debug_exit_io, &d, 0, 7);
	assert_int_equal(d.last_status, 15);
	b[0] = 0x80;
	debug_exit_io(&d, 0, b, 4, true);	/* 32-bit write of 0x80 */
	assert_int_equal(d.last_status, 1);	/* (0x80 << 1 | 1) & 0xff */
	assert_int_equal(rd(debug_exit_io, &d, 0), 0xff);
	assert_int_equal(debug_exit_status(127), 255);
}

/* ---- console escapes ------------------------------------------------ */

static void console_escapes(void **state)
{
	struct console c = { .in_fd = -1, .raw = true };
	uint8_t out[16];
	size_t n;

	assert_int_equal(console_filter(&c, (const uint8_t *)"ab", 2, out, &n),
			 CONSOLE_CONTINUE);
	assert_int_equal(n, 2);
	/* Ctrl-A Ctrl-A sends one Ctrl-A; unknown escapes vanish */
	assert_int_equal(console_filter(&c, (const uint8_t *)"\x01\x01z\x01q", 5,
					out, &n), CONSOLE_CONTINUE);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 0x01);
	assert_int_equal(out[1], 'z');
	/* an escape split across reads still works */
	assert_int_equal(console_filter(&c, (const uint8_t *)"k\x01", 2, out, &n),
			 CONSOLE_CONTINUE);
	assert_int_equal(n, 1);
	assert_int_equal(console_filter(&c, (const uint8_t *)"x", 1, out, &n),
			 CONSOLE_QUIT);
	/* not a terminal: bytes pass untouched */
	c.raw = false;
	c.escape = false;
	assert_int_equal(console_filter(&c, (const uint8_t *)"\x01x", 2, out, &n),
			 CONSOLE_CONTINUE);
	assert_int_equal(n, 2);
}

/* ---- CPUID ---------------------------------------------------------- */

static struct kvm_cpuid2 *fake_supported(void)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 8 * sizeof(c->entries[0]));

	c->nent = 4;
	c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0x1,
						  .ebx = 0xffffffff };
	c->entries[1] = (struct kvm_cpuid_entry2){
		.function = 0xb, .index = 0,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	c->entries[2] = (struct kvm_cpuid_entry2){
		.function = 0xb, .index = 1,
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	c->entries[3] = (struct kvm_cpuid_entry2){
		.function = 0x4, .index = 3, .eax = 0x163,	/* L3 unified */
		.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX };
	return c;
}

static void cpuid_per_vcpu(void **state)
{
	struct kvm_cpuid2 *sup = fake_supported(), *c = NULL;
	struct kvm_cpuid_entry2 *e;

	assert_int_equal(cpuid_for_vcpu(sup, 2, 4, &c), 0);
	e = cpuid_find(c, 1, 0);
	assert_int_equal(e->ebx >> 24, 2);		/* APIC ID */
	assert_int_equal((e->ebx >> 16) & 0xff, 4);	/* logical CPUs */
	assert_true(e->ecx & (1u << 31));		/* hypervisor */
	assert_true(e->edx & (1u << 28));		/* HTT */
	e = cpuid_find(c, 0xb, 1);
	assert_int_equal(e->edx, 2);
	assert_int_equal(e->ebx, 4);
	assert_int_equal(e->eax, 2);			/* log2(4) */
	assert_int_equal((e->ecx >> 8) & 0xff, 2);	/* core level */
	e = cpuid_find(c, 0xb, 0);
	assert_int_equal(e->ebx, 1);
	e = cpuid_find(c, 0x4, 3);
	assert_int_equal(e->eax >> 26, 3);		/* cores - 1 */
	e = cpuid_find(c, CPUID_KVM_SIGNATURE, 0);	/* added */
	assert_non_null(e);
	assert_memory_equal(&e->ebx, "KVMK", 4);
	assert_memory_equal(&e->ecx, "VMKV", 4);
	assert_memory_equal(&e->edx, "M\0\0\0", 4);
	free(c);

	assert_int_equal(cpuid_for_vcpu(sup, 0, 1, &c), 0);
	assert_false(cpuid_find(c, 1, 0)->edx & (1u << 28));
	free(c);
	assert_int_equal(cpuid_for_vcpu(sup, 4, 4, &c), -EINVAL);
	assert_int_equal(cpuid_for_vcpu(sup, 0, 0, &c), -EINVAL);
	assert_int_equal(cpuid_for_vcpu(NULL, 0, 1, &c), -EINVAL);
	free(sup);
}

/* A table of exactly n entries, so growing it must reallocate. */
static struct kvm_cpuid2 *table_of(const struct kvm_cpuid_entry2 *e,
				   unsigned int n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	assert_non_null(c);
	c->nent = n;
	memcpy(c->entries, e, n * sizeof(*e));
	return c;
}

static void pack_brand(uint32_t out[12], const char *s)
{
	memset(out, 0, 12 * sizeof(out[0]));
	memcpy(out, s, strlen(s));
}

static void cpuid_host_patches(void **state)
{
	/* Leaf 0 "AuthenticAMD"; brand leaves present but empty (as KVM
	 * gave them on the Debian 6.1 host), max extended leaf too low. */
	const struct kvm_cpuid_entry2 empty_brand[] = {
		{ .function = 0x0, .eax = 0x10, .ebx = 0x68747541,
		  .ecx = 0x444d4163, .edx = 0x69746e65 },
		{ .function = 0x1, .eax = 0x830f10, .ecx = 0x80000000 },
		{ .function = 0x80000000, .eax = 0x80000001 },
		{ .function = 0x80000001, .edx = 1u << 29 },
		{ .function = 0x80000002 },
		{ .function = 0x80000003 },
		{ .function = 0x80000004 },
	};
	struct cpuid_host host = { .tsc_deadline = true };
	struct kvm_cpuid2 *c = table_of(empty_brand, 7), *v = NULL;
	char brand[49], vendor[13];

	pack_brand(host.brand, "AMD EPYC Processor");
	assert_int_equal(cpuid_apply_host(&c, &host), 0);
	assert_int_equal(c->nent, 7);				/* none added */
	assert_true(cpuid_find(c, 1, 0)->ecx & CPUID1_ECX_TSC_DEADLINE);
	assert_true(cpuid_find(c, 1, 0)->ecx & (1u << 31));	/* kept */
	assert_int_equal(cpuid_find(c, 0x80000000, 0)->eax, 0x80000004);
	assert_int_equal(cpuid_find(c, 0x80000002, 0)->eax, 0x20444d41);
	cpuid_brand_string(c, brand);
	assert_string_equal(brand, "AMD EPYC Processor");
	cpuid_vendor_string(c, vendor);
	assert_string_equal(vendor, "AuthenticAMD");
	/* Every vCPU's table carries it. */
	assert_int_equal(cpuid_for_vcpu(c, 1, 2, &v), 0);
	cpuid_brand_string(v, brand);
	assert_string_equal(brand, "AMD EPYC Processor");
	assert_true(cpuid_find(v, 1, 0)->ecx & CPUID1_ECX_TSC_DEADLINE);
	free(v);
	/* Applying twice changes nothing: the brand is no longer empty. */
	pack_brand(host.brand, "other");
	assert_int_equal(cpuid_apply_host(&c, &host), 0);
	cpuid_brand_string(c, brand);
	assert_string_equal(brand, "AMD EPYC Processor");
	free(c);

	/* Leaves missing altogether and no host brand: vmon's, leaves
	 * added (the table must grow), max extended leaf created. */
	c = table_of(empty_brand, 2);
	memset(&host, 0, sizeof(host));
	assert_int_equal(cpuid_apply_host(&c, &host), 0);
	assert_int_equal(c->nent, 6);
	assert_false(cpuid_find(c, 1, 0)->ecx & CPUID1_ECX_TSC_DEADLINE);
	assert_int_equal(cpuid_find(c, 0x80000000, 0)->eax, 0x80000004);
	assert_non_null(cpuid_find(c, 0x80000004, 0));
	cpuid_brand_string(c, brand);
	assert_string_equal(brand, CPUID_VMON_BRAND);
	free(c);

	/* KVM's own brand wins; spaces around it are trimmed for display;
	 * TSC-deadline already set stays set without the capability. */
	c = table_of(empty_brand, 7);
	c->entries[1].ecx |= CPUID1_ECX_TSC_DEADLINE;
	{
		uint32_t kvm[12];

		pack_brand(kvm, "   Intel(R) Xeon(R) CPU  ");
		for (unsigned int i = 0; i < 3; i++) {
			struct kvm_cpuid_entry2 *e = &c->entries[4 + i];

			e->eax = kvm[4 * i];
			e->ebx = kvm[4 * i + 1];
			e->ecx = kvm[4 * i + 2];
			e->edx = kvm[4 * i + 3];
		}
	}
	pack_brand(host.brand, "AMD EPYC Processor");
	assert_int_equal(cpuid_apply_host(&c, &host), 0);
	cpuid_brand_string(c, brand);
	assert_string_equal(brand, "Intel(R) Xeon(R) CPU");
	assert_int_equal(cpuid_find(c, 0x80000000, 0)->eax, 0x80000001);
	assert_true(cpuid_find(c, 1, 0)->ecx & CPUID1_ECX_TSC_DEADLINE);
	free(c);

	/* No leaves: empty strings.  Bad arguments: -EINVAL. */
	c = table_of(empty_brand, 0);
	cpuid_brand_string(c, brand);
	cpuid_vendor_string(c, vendor);
	assert_string_equal(brand, "");
	assert_string_equal(vendor, "");
	assert_int_equal(cpuid_apply_host(NULL, &host), -EINVAL);
	assert_int_equal(cpuid_apply_host(&c, NULL), -EINVAL);
	free(c);
	c = NULL;
	assert_int_equal(cpuid_apply_host(&c, &host), -EINVAL);
}

static void fault_hints(void **state)
{
	static const uint8_t cx16[] = { 0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20 };
	static const uint8_t xrstor[] = { 0x48, 0x0f, 0xae, 0x2f };
	static const uint8_t int3[] = { 0xcc };
	static const uint8_t nop[] = { 0x90 };

	assert_non_null(strstr(x86_insn_hint(cx16, sizeof(cx16)), "clearcpuid=cx16"));
	assert_non_null(strstr(x86_insn_hint(xrstor, sizeof(xrstor)), "noxsave"));
	assert_non_null(strstr(x86_insn_hint(int3, 1), "INT3"));
	assert_null(x86_insn_hint(nop, 1));
	assert_null(x86_insn_hint(cx16, 0));
	assert_null(x86_insn_hint(cx16, 3));	/* truncated */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serial_tx_and_lsr),
		cmocka_unit_test(serial_rx_and_iir),
		cmocka_unit_test(serial_rx_bounded),
		cmocka_unit_test(serial_loopback_and_wide),
		cmocka_unit_test(i8042_probe_and_reset),
		cmocka_unit_test(i8042_status_byte),
		cmocka_unit_test(rtc_reads_time),
		cmocka_unit_test(pm_poweroff_reset_timer),
		cmocka_unit_test(debug_exit_codes),
		cmocka_unit_test(console_escapes),
		cmocka_unit_test(cpuid_per_vcpu),
		cmocka_unit_test(cpuid_host_patches),
		cmocka_unit_test(fault_hints),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
