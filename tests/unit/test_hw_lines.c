// SPDX-License-Identifier: MIT
/*
 * The devices' narrow interfaces with no VM behind them: serial, i8042
 * and PCI INTx drive a recording irq line; i8042, the ACPI PM block and
 * debug-exit ask a recording stop sink to stop.  What each device does
 * to its line is the whole contract between it and the board.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/platform.h"
#include "core/irq_line.h"
#include "core/stop.h"
#include "hw/acpi_pm.h"
#include "hw/debug_exit.h"
#include "hw/i8042.h"
#include "hw/serial.h"
#include "lib/exit_status.h"
#include "pci/pci.h"
#include "unit/hw_io.h"

#define REC_MAX 16

/* Every set() a device made, in order. */
struct irq_rec {
	unsigned int n;
	unsigned int line[REC_MAX];
	int level[REC_MAX];
};

static void rec_set(void *opaque, unsigned int line, int level)
{
	struct irq_rec *r = opaque;

	if (r->n < REC_MAX) {
		r->line[r->n] = line;
		r->level[r->n] = level;
	}
	r->n++;
}

static struct irq_line rec_line(struct irq_rec *r, unsigned int line)
{
	memset(r, 0, sizeof(*r));
	return (struct irq_line){ .set = rec_set, .opaque = r, .line = line };
}

struct stop_rec {
	unsigned int n;
	enum vm_stop_reason reason;
	int status;
};

static void rec_stop(void *opaque, enum vm_stop_reason reason, int status)
{
	struct stop_rec *r = opaque;

	r->n++;
	r->reason = reason;
	r->status = status;
}

static struct stop_sink rec_sink(struct stop_rec *r)
{
	memset(r, 0, sizeof(*r));
	return (struct stop_sink){ .request = rec_stop, .opaque = r };
}

static void wr16(void (*fn)(void *, uint64_t, uint8_t *, uint32_t, bool),
		 void *dev, uint64_t off, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	fn(dev, off, b, 2, true);
}

/* ---- serial ---------------------------------------------------------- */

static void serial_drives_its_line(void **state)
{
	struct irq_rec r;
	struct irq_line line = rec_line(&r, PLAT_IRQ_COM1);
	struct serial s;
	const uint8_t in[2] = { 'o', 'k' };

	assert_int_equal(serial_init(&s, &line, -1, NULL), 0);
	assert_int_equal(r.n, 0);		/* nothing pending at reset */

	/* Enabling THRI with an empty THR raises the line at once. */
	wr(serial_io, &s, UART_IER, UART_IER_THRI);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.line[0], PLAT_IRQ_COM1);
	assert_int_equal(r.level[0], 1);
	/* Reading IIR while it reports THRE clears that source: low. */
	assert_int_equal(rd(serial_io, &s, UART_IIR) & 0x0f, UART_IIR_THRI);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.level[1], 0);

	/* Input with RDI enabled: raised until the guest drains it. */
	wr(serial_io, &s, UART_IER, UART_IER_RDI);
	assert_int_equal(serial_rx_push(&s, in, sizeof(in)), sizeof(in));
	assert_int_equal(r.n, 3);
	assert_int_equal(r.level[2], 1);
	assert_int_equal(rd(serial_io, &s, UART_RBR), 'o');
	assert_int_equal(r.n, 3);		/* one byte left: still high */
	assert_int_equal(rd(serial_io, &s, UART_RBR), 'k');
	assert_int_equal(r.n, 4);
	assert_int_equal(r.level[3], 0);
	/* Only transitions reach the line. */
	rd(serial_io, &s, UART_LSR);
	assert_int_equal(r.n, 4);
	serial_destroy(&s);
}

/* ---- i8042 ----------------------------------------------------------- */

static void i8042_drives_its_line(void **state)
{
	struct irq_rec r;
	struct stop_rec sr;
	struct irq_line line = rec_line(&r, PLAT_IRQ_KEYBOARD);
	struct stop_sink sink = rec_sink(&sr);
	struct i8042 k;
	const uint8_t key = 0x1e;

	assert_int_equal(i8042_init(&k, &line, &sink), 0);
	i8042_push_keys(&k, &key, 1);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.line[0], PLAT_IRQ_KEYBOARD);
	assert_int_equal(r.level[0], 1);
	assert_int_equal(rd(i8042_data_io, &k, 0), key);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.level[1], 0);

	/* With the keyboard interrupt off in the command byte, no line. */
	wr(i8042_cmd_io, &k, 0, 0x60);
	wr(i8042_data_io, &k, 0, 0x00);
	i8042_push_keys(&k, &key, 1);
	assert_int_equal(r.n, 2);
	assert_int_equal(sr.n, 0);
	i8042_destroy(&k);
}

static void i8042_reset_reaches_the_sink(void **state)
{
	struct stop_rec sr;
	struct stop_sink sink = rec_sink(&sr);
	struct i8042 k;

	assert_int_equal(i8042_init(&k, NULL, &sink), 0);
	wr(i8042_cmd_io, &k, 0, 0xfe);		/* pulse the reset line */
	assert_int_equal(sr.n, 1);
	assert_int_equal(sr.reason, VM_STOP_RESET);
	assert_int_equal(sr.status, VMON_EXIT_OK);
	/* Writing the output port with bit 0 clear resets too. */
	wr(i8042_cmd_io, &k, 0, 0xd1);
	wr(i8042_data_io, &k, 0, 0x00);
	assert_int_equal(sr.n, 2);
	i8042_destroy(&k);
}

/* ---- ACPI PM and debug-exit ----------------------------------------- */

static void acpi_pm_stops_through_the_sink(void **state)
{
	struct stop_rec sr;
	struct stop_sink sink = rec_sink(&sr);
	struct acpi_pm pm;
	const uint64_t cnt = PLAT_PORT_PM1A_CNT - PLAT_PORT_PM1A_EVT;
	const uint64_t reset = PLAT_PORT_ACPI_RESET - PLAT_PORT_PM1A_EVT;

	assert_int_equal(acpi_pm_init(&pm, &sink), 0);
	/* S1 is not offered: no stop. */
	wr16(acpi_pm_io, &pm, cnt, (1u << PLAT_PM1_SLP_TYP_SHIFT) |
				   PLAT_PM1_SLP_EN);
	assert_int_equal(sr.n, 0);
	wr16(acpi_pm_io, &pm, cnt, (PLAT_S5_SLP_TYP << PLAT_PM1_SLP_TYP_SHIFT) |
				   PLAT_PM1_SLP_EN);
	assert_int_equal(sr.n, 1);
	assert_int_equal(sr.reason, VM_STOP_POWEROFF);
	assert_int_equal(sr.status, VMON_EXIT_OK);
	wr(acpi_pm_io, &pm, reset, PLAT_ACPI_RESET_VALUE);
	assert_int_equal(sr.n, 2);
	assert_int_equal(sr.reason, VM_STOP_RESET);
	acpi_pm_destroy(&pm);
}

static void debug_exit_stops_with_its_status(void **state)
{
	struct stop_rec sr;
	struct stop_sink sink = rec_sink(&sr);
	struct debug_exit d;

	debug_exit_init(&d, &sink);
	wr(debug_exit_io, &d, 0, 0x10);
	assert_int_equal(sr.n, 1);
	assert_int_equal(sr.reason, VM_STOP_DEBUG_EXIT);
	assert_int_equal(sr.status, 0x21);
}

/* ---- PCI INTx --------------------------------------------------------- */

static void pci_intx_drives_the_connected_line(void **state)
{
	struct irq_rec r[PLAT_PCI_GSI_COUNT];
	struct irq_line lines[PLAT_PCI_GSI_COUNT];
	struct pci_host h;
	struct pci_dev d;
	unsigned int gi;

	for (unsigned int i = 0; i < PLAT_PCI_GSI_COUNT; i++)
		lines[i] = rec_line(&r[i], PLAT_PCI_GSI_BASE + i);
	assert_int_equal(pci_host_init(&h, -1, NULL, NULL, NULL), 0);
	pci_host_connect_intx(&h, lines);
	assert_int_equal(pci_dev_init(&h, &d, "dummy", NULL, NULL, 0x1234,
				      0x5678, 0xff0000, 0, 0x1234, 1), 0);
	assert_int_equal(pci_dev_plug(&d), 0);
	gi = d.gsi - PLAT_PCI_GSI_BASE;

	pci_dev_lock(&d);
	pci_intx_set(&d, true);
	pci_intx_set(&d, true);			/* no second transition */
	pci_intx_set(&d, false);
	pci_dev_unlock(&d);
	assert_int_equal(r[gi].n, 2);
	assert_int_equal(r[gi].line[0], d.gsi);
	assert_int_equal(r[gi].level[0], 1);
	assert_int_equal(r[gi].level[1], 0);
	for (unsigned int i = 0; i < PLAT_PCI_GSI_COUNT; i++)
		if (i != gi)
			assert_int_equal(r[i].n, 0);
	pci_dev_destroy(&d);
	pci_host_destroy(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(serial_drives_its_line),
		cmocka_unit_test(i8042_drives_its_line),
		cmocka_unit_test(i8042_reset_reaches_the_sink),
		cmocka_unit_test(acpi_pm_stops_through_the_sink),
		cmocka_unit_test(debug_exit_stops_with_its_status),
		cmocka_unit_test(pci_intx_drives_the_connected_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
