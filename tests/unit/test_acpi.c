// SPDX-License-Identifier: MIT
/*
 * ACPI tables built into a malloc'd 2 MiB guest RAM, then read back the
 * way an OS would: RSDP, XSDT/RSDT, every table's checksum, the FADT's
 * fields, the MADT's entries, the DSDT's names.  Offsets are the spec's
 * (ACPI 6.5 chapter 5), written out here independently of acpi.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/acpi.h"
#include "arch/x86/platform.h"

#define RAM_SIZE	(2u << 20)
#define HDR_LEN		36
#define MAX_TABLES	16

struct env {
	uint8_t *ram;
	struct guest_mem gm;
	uint64_t rsdp;
	/* Filled by walk(): every table reachable from the RSDP. */
	uint64_t gpa[MAX_TABLES];
	unsigned int nr;
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (!e)
		return -1;
	e->ram = malloc(RAM_SIZE);
	if (!e->ram) {
		free(e);
		return -1;
	}
	/* Not zero: the builder must not rely on fresh RAM. */
	memset(e->ram, 0xa5, RAM_SIZE);
	if (gm_init_buffer(&e->gm, e->ram, RAM_SIZE) < 0)
		return -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	free(e->ram);
	free(e);
	return 0;
}

static const uint8_t *at(struct env *e, uint64_t gpa, uint64_t len)
{
	const uint8_t *p = gm_ptr(&e->gm, gpa, len);

	assert_non_null(p);
	/* Every byte of every table lies in the reserved window. */
	assert_true(gpa >= PLAT_ACPI_ADDR);
	assert_true(gpa + len <= PLAT_ACPI_ADDR + PLAT_ACPI_MAX);
	return p;
}

/* A checked table: in the window, sane length, sums to zero. */
static const uint8_t *table(struct env *e, uint64_t gpa, const char *sig)
{
	const uint8_t *h = at(e, gpa, HDR_LEN);
	uint32_t len = le32(h + 4);

	assert_true(len >= HDR_LEN);
	h = at(e, gpa, len);
	if (sig)
		assert_memory_equal(h, sig, 4);
	assert_int_equal(sum8(h, len), 0);
	assert_memory_equal(h + 10, "VMON  ", 6);
	assert_memory_equal(h + 16, "VMONVM  ", 8);
	assert_memory_equal(h + 28, "VMON", 4);
	return h;
}

static void build(struct env *e, unsigned int nr_cpus)
{
	struct acpi_config cfg = { .nr_cpus = nr_cpus };

	assert_int_equal(acpi_build(&e->gm, &cfg, &e->rsdp), 0);
}

static const uint8_t *rsdp_of(struct env *e)
{
	const uint8_t *r = at(e, e->rsdp, 36);

	assert_memory_equal(r, "RSD PTR ", 8);
	return r;
}

/* Walk the XSDT; check the RSDT lists the same tables. */
static void walk(struct env *e)
{
	const uint8_t *r = rsdp_of(e), *x, *rs;
	uint32_t xlen, rlen;

	x = table(e, le64(r + 24), "XSDT");
	rs = table(e, le32(r + 16), "RSDT");
	xlen = le32(x + 4);
	rlen = le32(rs + 4);
	assert_int_equal((xlen - HDR_LEN) % 8, 0);
	assert_int_equal((rlen - HDR_LEN) % 4, 0);
	e->nr = (xlen - HDR_LEN) / 8;
	assert_int_equal((rlen - HDR_LEN) / 4, e->nr);
	assert_true(e->nr <= MAX_TABLES);
	for (unsigned int i = 0; i < e->nr; i++) {
		e->gpa[i] = le64(x + HDR_LEN + 8 * i);
		assert_int_equal(le32(rs + HDR_LEN + 4 * i), e->gpa[i]);
		table(e, e->gpa[i], NULL);
	}
}

/* The one table with this signature in the XSDT. */
static const uint8_t *find(struct env *e, const char *sig)
{
	const uint8_t *found = NULL, *t;

	walk(e);
	for (unsigned int i = 0; i < e->nr; i++) {
		t = at(e, e->gpa[i], HDR_LEN);
		if (!memcmp(t, sig, 4)) {
			assert_null(found);
			found = table(e, e->gpa[i], sig);
		}
	}
	assert_non_null(found);
	return found;
}

static void test_rsdp(void **state)
{
	struct env *e = *state;
	const uint8_t *r;

	build(e, 1);
	assert_int_equal(e->rsdp, PLAT_ACPI_ADDR);
	/* Legacy OSes scan 0xe0000-0xfffff on 16-byte boundaries. */
	assert_int_equal(e->rsdp % 16, 0);
	assert_true(e->rsdp >= 0xe0000 && e->rsdp < 0x100000);
	r = rsdp_of(e);
	assert_int_equal(sum8(r, 20), 0);
	assert_int_equal(sum8(r, 36), 0);
	assert_memory_equal(r + 9, "VMON  ", 6);
	assert_int_equal(r[15], 2);			/* revision */
	assert_int_equal(le32(r + 20), 36);		/* length */
	assert_int_not_equal(le64(r + 24), 0);		/* XSDT */
	assert_int_equal(r[33] | r[34] | r[35], 0);	/* reserved */
}

static void test_every_table(void **state)
{
	struct env *e = *state;
	const uint8_t *t;
	bool facp = false, apic = false;

	build(e, 4);
	walk(e);
	assert_int_equal(e->nr, 2);
	for (unsigned int i = 0; i < e->nr; i++) {
		t = table(e, e->gpa[i], NULL);
		if (!memcmp(t, "FACP", 4))
			facp = true;
		if (!memcmp(t, "APIC", 4))
			apic = true;
	}
	assert_true(facp && apic);
}

static void test_fadt(void **state)
{
	struct env *e = *state;
	const uint8_t *f, *dsdt, *facs;
	uint32_t flags;

	build(e, 2);
	f = find(e, "FACP");
	assert_int_equal(le32(f + 4), 276);
	assert_int_equal(f[8], 6);			/* revision */
	assert_int_equal(f[131] & 0xf, 5);		/* minor: 6.5 */

	assert_int_equal(le16(f + 46), PLAT_IRQ_SCI);
	assert_int_equal(le32(f + 48), 0);		/* SMI_CMD */
	assert_int_equal(f[52] | f[53], 0);		/* ACPI_EN/DISABLE */
	assert_int_equal(le32(f + 56), PLAT_PORT_PM1A_EVT);
	assert_int_equal(le32(f + 60), 0);		/* PM1b_EVT */
	assert_int_equal(le32(f + 64), PLAT_PORT_PM1A_CNT);
	assert_int_equal(le32(f + 68), 0);		/* PM1b_CNT */
	assert_int_equal(le32(f + 76), PLAT_PORT_PM_TMR);
	assert_int_equal(f[88], 4);			/* PM1_EVT_LEN */
	assert_int_equal(f[89], 2);			/* PM1_CNT_LEN */
	assert_int_equal(f[91], 4);			/* PM_TMR_LEN */
	assert_true(le16(f + 96) > 100);		/* no C2 */
	assert_true(le16(f + 98) > 1000);		/* no C3 */

	/* IAPC_BOOT_ARCH: 8042, no VGA, MSI allowed, CMOS RTC present. */
	assert_true(le16(f + 109) & (1u << 1));
	assert_true(le16(f + 109) & (1u << 2));
	assert_false(le16(f + 109) & (1u << 3));
	assert_false(le16(f + 109) & (1u << 5));

	flags = le32(f + 112);
	assert_true(flags & (1u << 0));			/* WBINVD */
	assert_true(flags & (1u << 2));			/* PROC_C1 */
	assert_true(flags & (1u << 4));			/* no PWR_BUTTON */
	assert_true(flags & (1u << 5));			/* no SLP_BUTTON */
	assert_true(flags & (1u << 8));			/* TMR_VAL_EXT */
	assert_true(flags & (1u << 10));		/* RESET_REG_SUP */
	assert_false(flags & (1u << 20));		/* HW_REDUCED_ACPI */

	/* RESET_REG: SystemIO, 8 bits, byte access. */
	assert_memory_equal(f + 116, ((uint8_t[]){ 1, 8, 0, 1 }), 4);
	assert_int_equal(le64(f + 120), PLAT_PORT_ACPI_RESET);
	assert_int_equal(f[128], PLAT_ACPI_RESET_VALUE);

	/* X_ blocks agree with the 32-bit ones. */
	assert_int_equal(f[148], 1);
	assert_int_equal(f[149], 32);
	assert_int_equal(le64(f + 152), PLAT_PORT_PM1A_EVT);
	assert_int_equal(f[172], 1);
	assert_int_equal(f[173], 16);
	assert_int_equal(le64(f + 176), PLAT_PORT_PM1A_CNT);
	assert_int_equal(f[208], 1);
	assert_int_equal(f[209], 32);
	assert_int_equal(le64(f + 212), PLAT_PORT_PM_TMR);
	assert_int_equal(le64(f + 164), 0);		/* X_PM1b_EVT */

	/* DSDT in both fields, equal. */
	assert_int_not_equal(le32(f + 40), 0);
	assert_int_equal(le64(f + 140), le32(f + 40));
	dsdt = table(e, le64(f + 140), "DSDT");
	assert_int_equal(dsdt[8], 2);

	/* FACS: 32-bit field only (both set is not allowed), 64-aligned. */
	assert_int_equal(le64(f + 132), 0);
	assert_int_equal(le32(f + 36) % 64, 0);
	facs = at(e, le32(f + 36), 64);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(le32(facs + 4), 64);
	assert_int_equal(facs[32], 2);			/* version */
}

static void test_fadt_power_button(void **state)
{
	struct env *e = *state;
	struct acpi_config cfg = { .nr_cpus = 1, .power_button = true };

	assert_int_equal(acpi_build(&e->gm, &cfg, &e->rsdp), 0);
	assert_false(le32(find(e, "FACP") + 112) & (1u << 4));
}

static void check_madt(struct env *e, unsigned int nr_cpus)
{
	const uint8_t *m, *p, *end;
	unsigned int entries = 0, lapics = 0, ioapics = 0, isos = 0, nmis = 0;
	bool irq0 = false, sci = false;

	build(e, nr_cpus);
	m = find(e, "APIC");
	assert_int_equal(m[8], 6);			/* revision */
	assert_int_equal(le32(m + 36), PLAT_LAPIC_ADDR);
	assert_int_equal(le32(m + 40), 1);		/* PCAT_COMPAT */
	end = m + le32(m + 4);
	for (p = m + 44; p < end; p += p[1]) {
		assert_true(p + 2 <= end && p[1] >= 2 && p + p[1] <= end);
		entries++;
		switch (p[0]) {
		case 0:					/* local APIC */
			assert_int_equal(p[1], 8);
			/* UID = APIC ID = index, in order, enabled. */
			assert_int_equal(p[2], lapics);
			assert_int_equal(p[3], lapics);
			assert_int_equal(le32(p + 4), 1);
			lapics++;
			break;
		case 1:					/* I/O APIC */
			assert_int_equal(p[1], 12);
			assert_int_equal(p[2], PLAT_IOAPIC_ID);
			assert_int_equal(le32(p + 4), PLAT_IOAPIC_ADDR);
			assert_int_equal(le32(p + 8), 0);
			ioapics++;
			break;
		case 2:					/* override */
			assert_int_equal(p[1], 10);
			assert_int_equal(p[2], 0);	/* ISA */
			if (p[3] == PLAT_IRQ_PIT) {
				assert_int_equal(le32(p + 4), PLAT_GSI_PIT);
				assert_int_equal(le16(p + 8), 0);
				irq0 = true;
			} else if (p[3] == PLAT_IRQ_SCI) {
				assert_int_equal(le32(p + 4), PLAT_IRQ_SCI);
				/* level (3 << 2), active high (1) */
				assert_int_equal(le16(p + 8), 0xd);
				sci = true;
			} else {
				fail_msg("unexpected override of IRQ %u", p[3]);
			}
			isos++;
			break;
		case 4:					/* local APIC NMI */
			assert_int_equal(p[1], 6);
			assert_int_equal(p[2], 0xff);
			assert_int_equal(p[5], 1);	/* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, end);
	assert_int_equal(lapics, nr_cpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_true(irq0 && sci);
	assert_int_equal(nmis, 1);
	assert_int_equal(entries, nr_cpus + 1 + 2 + 1);
}

static void test_madt(void **state)
{
	check_madt(*state, 1);
	check_madt(*state, 4);
	check_madt(*state, PLAT_MAX_VCPUS);
	/* Smaller again: nothing left over from the bigger build. */
	check_madt(*state, 2);
}

static const uint8_t *memfind(const uint8_t *hay, size_t n, const void *needle,
			      size_t m)
{
	for (size_t i = 0; m <= n && i <= n - m; i++)
		if (!memcmp(hay + i, needle, m))
			return hay + i;
	return NULL;
}

static unsigned int count(const uint8_t *hay, size_t n, const void *needle,
			  size_t m)
{
	unsigned int c = 0;
	const uint8_t *p = hay;

	while ((p = memfind(p, n - (size_t)(p - hay), needle, m))) {
		c++;
		p++;
	}
	return c;
}

static const uint8_t *dsdt_of(struct env *e, size_t *len)
{
	const uint8_t *f = find(e, "FACP");
	const uint8_t *d = table(e, le64(f + 140), "DSDT");

	*len = le32(d + 4);
	return d;
}

static void check_dsdt(struct env *e, unsigned int nr_cpus)
{
	/* Name (\_S5, Package (4) {5, 5, 0, 0}) */
	const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 4,
			       0x0a, PLAT_S5_SLP_TYP, 0x0a, PLAT_S5_SLP_TYP,
			       0, 0 };
	/* Name (_HID, EisaId (...)) as DWord constants. */
	const uint8_t com1[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0,
				 0x05, 0x01 };
	const uint8_t kbd[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0,
				0x03, 0x03 };
	const uint8_t rtc[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0,
				0x0b, 0x00 };
	const uint8_t mb[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0,
			       0x0c, 0x02 };
	/* IO (Decode16, 0x3F8, 0x3F8, 1, 8) and IRQNoFlags () {4} */
	const uint8_t com1_crs[] = { 0x47, 1, 0xf8, 0x03, 0xf8, 0x03, 1, 8,
				     0x22, 0x10, 0x00 };
	const uint8_t pm_crs[] = { 0x47, 1, 0x00, 0x06, 0x00, 0x06, 1, 16 };
	char name[16];
	const uint8_t *d;
	size_t len;

	build(e, nr_cpus);
	d = dsdt_of(e, &len);
	assert_non_null(memfind(d, len, s5, sizeof(s5)));
	assert_non_null(memfind(d, len, "\\_SB_", 5));
	assert_non_null(memfind(d, len, "COM1", 4));
	assert_int_equal(count(d, len, com1, sizeof(com1)), 1);
	assert_int_equal(count(d, len, kbd, sizeof(kbd)), 1);
	assert_int_equal(count(d, len, rtc, sizeof(rtc)), 1);
	assert_int_equal(count(d, len, mb, sizeof(mb)), 1);
	assert_non_null(memfind(d, len, com1_crs, sizeof(com1_crs)));
	assert_non_null(memfind(d, len, pm_crs, sizeof(pm_crs)));
	assert_int_equal(count(d, len, "ACPI0007", 8), nr_cpus);
	for (unsigned int i = 0; i < nr_cpus; i++) {
		snprintf(name, sizeof(name), "C%03X", i);
		assert_int_equal(count(d, len, name, 4), 1);
	}
	snprintf(name, sizeof(name), "C%03X", nr_cpus);
	assert_null(memfind(d, len, name, 4));
}

static void test_dsdt(void **state)
{
	check_dsdt(*state, 1);
	check_dsdt(*state, 8);
	check_dsdt(*state, PLAT_MAX_VCPUS);
}

static void test_deterministic(void **state)
{
	struct env *e = *state;
	uint8_t *copy = malloc(PLAT_ACPI_MAX);

	assert_non_null(copy);
	build(e, 3);
	memcpy(copy, e->ram + PLAT_ACPI_ADDR, PLAT_ACPI_MAX);
	build(e, 200);
	build(e, 3);
	assert_memory_equal(copy, e->ram + PLAT_ACPI_ADDR, PLAT_ACPI_MAX);
	free(copy);
}

static void test_bad_config(void **state)
{
	struct env *e = *state;
	struct acpi_config cfg = { 0 };
	uint64_t rsdp = 0x1234;

	cfg.nr_cpus = 0;
	assert_int_equal(acpi_build(&e->gm, &cfg, &rsdp), -EINVAL);
	cfg.nr_cpus = PLAT_MAX_VCPUS + 1;
	assert_int_equal(acpi_build(&e->gm, &cfg, &rsdp), -EINVAL);
	cfg.nr_cpus = 1000000;
	assert_int_equal(acpi_build(&e->gm, &cfg, &rsdp), -EINVAL);
	cfg.nr_cpus = 1;
	assert_int_equal(acpi_build(&e->gm, NULL, &rsdp), -EINVAL);
	assert_int_equal(acpi_build(&e->gm, &cfg, NULL), -EINVAL);
	assert_int_equal(rsdp, 0x1234);
	assert_int_equal(acpi_build(&e->gm, &cfg, &rsdp), 0);
	assert_int_equal(rsdp, PLAT_ACPI_ADDR);
}

/* PCI bus 0: an MCFG for the ECAM window, the root and its _PRT. */
static void test_pci(void **state)
{
	struct env *e = *state;
	struct acpi_config cfg = { .nr_cpus = 2, .pci = true };
	const uint8_t *m, *d;
	uint8_t hid[4] = { 0x41, 0xd0, 0x0a, 0x08 };	/* EisaId PNP0A08 */
	size_t len;

	assert_int_equal(acpi_build(&e->gm, &cfg, &e->rsdp), 0);
	m = find(e, "MCFG");
	assert_int_equal(le32(m + 4), 60);
	assert_int_equal(le64(m + 44), PLAT_PCI_ECAM_START);
	assert_int_equal(le16(m + 52), 0);		/* segment */
	assert_int_equal(m[54], 0);			/* buses 0-0 */
	assert_int_equal(m[55], 0);
	d = dsdt_of(e, &len);
	assert_non_null(memfind(d, len, "PCI0", 4));
	assert_non_null(memfind(d, len, "_PRT", 4));
	assert_non_null(memfind(d, len, hid, 4));
	/* Without PCI: neither. */
	build(e, 2);
	d = dsdt_of(e, &len);
	assert_null(memfind(d, len, "PCI0", 4));
	walk(e);
	for (unsigned int i = 0; i < e->nr; i++)
		assert_memory_not_equal(at(e, e->gpa[i], 4), "MCFG", 4);
}

static void test_ram_too_small(void **state)
{
	struct env *e = *state;
	struct acpi_config cfg = { .nr_cpus = 1 };
	struct guest_mem gm;
	uint64_t rsdp = 0;

	/* The window ends one byte past RAM. */
	assert_int_equal(gm_init_buffer(&gm, e->ram,
					PLAT_ACPI_ADDR + PLAT_ACPI_MAX - 1),
			 0);
	assert_int_equal(acpi_build(&gm, &cfg, &rsdp), -EFAULT);
	assert_int_equal(gm_init_buffer(&gm, e->ram, 640 * 1024), 0);
	assert_int_equal(acpi_build(&gm, &cfg, &rsdp), -EFAULT);
	assert_int_equal(rsdp, 0);
	/* RAM that ends with the window holds it. */
	assert_int_equal(gm_init_buffer(&gm, e->ram,
					PLAT_ACPI_ADDR + PLAT_ACPI_MAX),
			 0);
	assert_int_equal(acpi_build(&gm, &cfg, &rsdp), 0);
}

static void test_checksum(void **state)
{
	const uint8_t buf[] = { 1, 2, 3, 0xff };

	(void)state;
	assert_int_equal(acpi_checksum(buf, sizeof(buf)), 0xfb);
	assert_int_equal(acpi_checksum(buf, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rsdp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fadt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fadt_power_button, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_madt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dsdt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ram_too_small, setup,
						teardown),
		cmocka_unit_test(test_checksum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
