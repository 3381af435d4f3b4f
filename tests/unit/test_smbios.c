// SPDX-License-Identifier: MIT
/*
 * SMBIOS tables built into buffers and a malloc'd guest RAM, then read
 * back the way Linux's dmi_scan_machine() and dmidecode do: entry points
 * found on 16-byte boundaries, checksums, the structure table walked
 * structure by structure with its strings.  Offsets are DSP0134 3.0's,
 * written out here independently of smbios.c.
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
#include "arch/x86/e820.h"
#include "arch/x86/platform.h"
#include "arch/x86/smbios.h"

#define KIB		1024ull
#define MIB		(1024 * KIB)
#define GIB		(1024 * MIB)
#define TIB		(1024 * GIB)
#define RAM_SIZE	(2 * MIB)
#define WIN		PLAT_SMBIOS_MAX
#define MAX_STRUCTS	64

static const uint8_t uuid[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
				  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
				  0xcc, 0xdd, 0xee, 0xff };

/* 3 GiB below the hole, 1 GiB above 4 GiB: a 4 GiB guest. */
static const struct smbios_ram ram2[] = {
	{ 0, 3 * GIB },
	{ 4 * GIB, 1 * GIB },
};

struct smb_struct {
	const uint8_t *p;
	uint8_t type, len;
	uint16_t handle;
	size_t total;			/* formatted area, strings, 2 NULs */
};

struct parsed {
	const uint8_t *ep3, *ep2, *table;
	uint64_t table_gpa;
	size_t table_len;
	unsigned int nr;
	size_t max_struct;
	struct smb_struct s[MAX_STRUCTS];
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

static struct smbios_config config(unsigned int nr_cpus)
{
	struct smbios_config c = {
		.nr_cpus = nr_cpus,
		.cpu_manufacturer = "AuthenticAMD",
		.cpu_version = "AMD EPYC Processor",
		.cpu_signature = 0x00830f10,
		.cpu_features = 0x178bfbff,
	};

	memcpy(c.uuid, uuid, sizeof(uuid));
	return c;
}

/*
 * Linux's search (dmi_scan.c): a 64-bit entry point first, anywhere on a
 * 16-byte boundary, with its length in 24..32 and a zero checksum; else a
 * 32-bit one with length 30..32, its checksum and the "_DMI_" anchor
 * 16 bytes on with its own.  NULL if none.
 */
static const uint8_t *scan_ep3(const uint8_t *win, size_t len)
{
	for (size_t off = 0; off + 32 <= len; off += 16) {
		const uint8_t *p = win + off;

		if (!memcmp(p, "_SM3_", 5) && p[6] >= 24 && p[6] <= 32 &&
		    sum8(p, p[6]) == 0)
			return p;
	}
	return NULL;
}

static const uint8_t *scan_ep2(const uint8_t *win, size_t len)
{
	for (size_t off = 0; off + 32 <= len; off += 16) {
		const uint8_t *p = win + off;

		if (!memcmp(p, "_SM_", 4) && p[5] >= 30 && p[5] <= 32 &&
		    sum8(p, p[5]) == 0 && !memcmp(p + 16, "_DMI_", 5) &&
		    sum8(p + 16, 15) == 0)
			return p;
	}
	return NULL;
}

/* The idx-th string (1-based) of a structure; NULL for 0. */
static const char *str_of(const struct smb_struct *s, uint8_t idx)
{
	const char *q = (const char *)s->p + s->len;

	if (idx == 0)
		return NULL;
	for (uint8_t i = 1; i < idx; i++) {
		assert_true(*q != '\0');	/* the set ended too soon */
		q += strlen(q) + 1;
	}
	assert_true(*q != '\0');
	return q;
}

/*
 * Walk a table: every structure's formatted area and string set inside
 * it, unique handles, Type 127 last and nothing after it.
 */
static void walk(struct parsed *r, const uint8_t *t, size_t len)
{
	size_t off = 0;

	r->nr = 0;
	r->max_struct = 0;
	while (off < len) {
		struct smb_struct *s = &r->s[r->nr];
		size_t end;

		assert_true(r->nr < MAX_STRUCTS);
		assert_true(off + 4 <= len);
		s->p = t + off;
		s->type = s->p[0];
		s->len = s->p[1];
		s->handle = le16(s->p + 2);
		assert_true(s->len >= 4);
		assert_true(off + s->len + 2 <= len);
		/* Strings run to a double NUL (sec. 6.1.3). */
		end = off + s->len;
		while (t[end] != '\0' || t[end + 1] != '\0') {
			end++;
			assert_true(end + 1 < len);
		}
		s->total = end + 2 - off;
		if (s->total > r->max_struct)
			r->max_struct = s->total;
		assert_true(s->handle < 0xfffe);
		for (unsigned int i = 0; i < r->nr; i++)
			assert_int_not_equal(r->s[i].handle, s->handle);
		off = end + 2;
		r->nr++;
		if (s->type == 127)
			break;
	}
	assert_true(r->nr > 0);
	assert_int_equal(r->s[r->nr - 1].type, 127);
	assert_int_equal(r->s[r->nr - 1].len, 4);
	assert_int_equal(off, len);
}

/* Parse what smbios_write() put in win, seen by the guest at gpa. */
static void parse(struct parsed *r, const uint8_t *win, size_t win_len,
		  uint64_t gpa)
{
	const uint8_t *e3, *e2;

	memset(r, 0, sizeof(*r));
	e3 = r->ep3 = scan_ep3(win, win_len);
	e2 = r->ep2 = scan_ep2(win, win_len);
	assert_non_null(e3);
	assert_non_null(e2);

	/* 64-bit entry point (sec. 5.2.2). */
	assert_int_equal(e3[6], 0x18);
	assert_int_equal(e3[7], 3);		/* 3.0.0 */
	assert_int_equal(e3[8], 0);
	assert_int_equal(e3[9], 0);
	assert_int_equal(e3[10], 1);		/* entry point revision */
	r->table_gpa = le64(e3 + 16);
	r->table_len = le32(e3 + 12);
	assert_true(r->table_gpa >= gpa);
	assert_true(r->table_gpa - gpa + r->table_len <= win_len);
	r->table = win + (r->table_gpa - gpa);

	/* 32-bit entry point (sec. 5.2.1): the same table. */
	assert_int_equal(e2[5], 0x1f);
	assert_int_equal(e2[6], 3);
	assert_int_equal(e2[7], 0);
	assert_int_equal(e2[10], 0);		/* revision: no formatted area */
	assert_int_equal(le16(e2 + 0x16), r->table_len);
	assert_int_equal(le32(e2 + 0x18), r->table_gpa);
	assert_int_equal(e2[0x1e], 0x30);	/* BCD revision */

	walk(r, r->table, r->table_len);
	assert_int_equal(le16(e2 + 0x1c), r->nr);
	assert_int_equal(le16(e2 + 8), r->max_struct);
}

/* The only structure of this type. */
static const struct smb_struct *one(const struct parsed *r, uint8_t type)
{
	const struct smb_struct *found = NULL;

	for (unsigned int i = 0; i < r->nr; i++) {
		if (r->s[i].type == type) {
			assert_null(found);
			found = &r->s[i];
		}
	}
	assert_non_null(found);
	return found;
}

static unsigned int count(const struct parsed *r, uint8_t type)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->nr; i++)
		n += r->s[i].type == type;
	return n;
}

static uint8_t *write_ok(const struct smbios_config *cfg,
			 const struct smbios_ram *ram, unsigned int nr,
			 size_t *used)
{
	uint8_t *buf = malloc(WIN);

	assert_non_null(buf);
	memset(buf, 0xa5, WIN);
	assert_int_equal(smbios_write(buf, WIN, PLAT_SMBIOS_ADDR, cfg, ram, nr,
				      used),
			 0);
	assert_true(*used > SMBIOS_TABLE_OFFSET && *used <= WIN);
	return buf;
}

static void test_entry_points(void **state)
{
	struct smbios_config cfg = config(4);
	struct parsed r;
	size_t used;
	uint8_t *buf = write_ok(&cfg, ram2, 2, &used);

	parse(&r, buf, WIN, PLAT_SMBIOS_ADDR);
	/* Where smbios.h says, first thing in the window. */
	assert_ptr_equal(r.ep3, buf + SMBIOS_EP3_OFFSET);
	assert_ptr_equal(r.ep2, buf + SMBIOS_EP2_OFFSET);
	assert_int_equal(r.table_gpa, PLAT_SMBIOS_ADDR + SMBIOS_TABLE_OFFSET);
	assert_int_equal(r.table_len, used - SMBIOS_TABLE_OFFSET);
	assert_int_equal(sum8(r.ep3, 0x18), 0);
	assert_int_equal(sum8(r.ep2, 0x1f), 0);
	assert_int_equal(sum8(r.ep2 + 16, 15), 0);
	free(buf);
}

static void test_structures(void **state)
{
	static const uint8_t order[] = { 0, 1, 3, 4, 16, 17, 19, 19, 32, 127 };
	struct smbios_config cfg = config(4);
	struct parsed r;
	size_t used;
	uint8_t *buf = write_ok(&cfg, ram2, 2, &used);

	parse(&r, buf, WIN, PLAT_SMBIOS_ADDR);
	assert_int_equal(r.nr, sizeof(order));
	for (unsigned int i = 0; i < r.nr; i++)
		assert_int_equal(r.s[i].type, order[i]);
	/* Formatted-area lengths of the 3.0 layouts. */
	assert_int_equal(one(&r, 0)->len, 0x18);
	assert_int_equal(one(&r, 1)->len, 0x1b);
	assert_int_equal(one(&r, 3)->len, 0x16);
	assert_int_equal(one(&r, 4)->len, 0x30);
	assert_int_equal(one(&r, 16)->len, 0x17);
	assert_int_equal(one(&r, 17)->len, 0x28);
	assert_int_equal(r.s[6].len, 0x1f);
	assert_int_equal(one(&r, 32)->len, 0x0b);
	/* Nothing past the table in the window but what was there. */
	for (size_t i = used; i < WIN; i++)
		assert_int_equal(buf[i], 0xa5);
	free(buf);
}

static void test_bios_system_chassis(void **state)
{
	struct smbios_config cfg = config(1);
	const struct smb_struct *s;
	const uint8_t *p;
	struct parsed r;
	size_t used;
	uint8_t *buf = write_ok(&cfg, ram2, 1, &used);
	unsigned int major, minor;

	parse(&r, buf, WIN, PLAT_SMBIOS_ADDR);

	s = one(&r, 0);
	p = s->p;
	assert_string_equal(str_of(s, p[4]), "vmon");
	assert_string_equal(str_of(s, p[5]), VMON_VERSION);
	/* Release date mm/dd/yyyy (sec. 7.1). */
	assert_int_equal(strlen(str_of(s, p[8])), 10);
	assert_int_equal(str_of(s, p[8])[2], '/');
	assert_int_equal(str_of(s, p[8])[5], '/');
	assert_true(p[0x13] & (1u << 4));	/* a virtual machine */
	assert_int_equal(sscanf(VMON_VERSION, "%u.%u", &major, &minor), 2);
	assert_int_equal(p[0x14], major);
	assert_int_equal(p[0x15], minor);
	assert_int_equal(p[0x16], 0xff);	/* no embedded controller */

	s = one(&r, 1);
	p = s->p;
	assert_string_equal(str_of(s, p[4]), "vmon");	/* manufacturer */
	assert_string_equal(str_of(s, p[5]), "vmon");	/* product */
	assert_string_equal(str_of(s, p[6]), VMON_VERSION);
	assert_string_equal(str_of(s, p[7]),
			    "00112233-4455-6677-8899-aabbccddeeff");
	assert_string_equal(str_of(s, p[0x1a]), "vmon");	/* family */
	/* Sec. 7.2.1: time_low, time_mid, time_hi little-endian. */
	static const uint8_t wire[16] = { 0x33, 0x22, 0x11, 0x00, 0x55, 0x44,
					  0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb,
					  0xcc, 0xdd, 0xee, 0xff };
	assert_memory_equal(p + 8, wire, 16);
	assert_int_equal(p[0x18], 0x06);	/* wake-up: power switch */

	s = one(&r, 3);
	p = s->p;
	assert_string_equal(str_of(s, p[4]), "vmon");
	assert_int_equal(p[5], 0x01);		/* chassis type: other */
	assert_int_equal(p[6], 0);		/* no version string */
	assert_int_equal(p[9], 0x03);		/* boot-up state: safe */

	assert_int_equal(one(&r, 32)->p[10], 0);	/* no boot errors */
	free(buf);
}

static void test_processor(void **state)
{
	struct smbios_config cfg = config(4);
	const struct smb_struct *s;
	const uint8_t *p;
	struct parsed r;
	size_t used;
	uint8_t *buf = write_ok(&cfg, ram2, 2, &used);

	parse(&r, buf, WIN, PLAT_SMBIOS_ADDR);
	/* One package of 4 single-thread cores, as CPUID says. */
	assert_int_equal(count(&r, 4), 1);
	s = one(&r, 4);
	p = s->p;
	assert_string_equal(str_of(s, p[4]), "CPU 0");
	assert_int_equal(p[5], 0x03);		/* central processor */
	assert_string_equal(str_of(s, p[7]), "AuthenticAMD");
	assert_int_equal(le32(p + 8), 0x00830f10);	/* CPUID.1 EAX */
	assert_int_equal(le32(p + 12), 0x178bfbff);	/* CPUID.1 EDX */
	assert_string_equal(str_of(s, p[0x10]), "AMD EPYC Processor");
	assert_int_equal(p[0x18], 0x41);	/* populated, enabled */
	assert_int_equal(le16(p + 0x1a), 0xffff);	/* no cache info */
	assert_int_equal(p[0x23], 4);		/* cores */
	assert_int_equal(p[0x24], 4);		/* enabled */
	assert_int_equal(p[0x25], 4);		/* threads */
	assert_int_equal(le16(p + 0x26), 0x0c);	/* 64-bit, multi-core */
	assert_int_equal(le16(p + 0x2a), 4);	/* core count 2 */
	assert_int_equal(le16(p + 0x2e), 4);	/* thread count 2 */
	free(buf);

	/* Without CPUID strings: vmon names the maker, no version. */
	cfg = config(1);
	cfg.cpu_manufacturer = NULL;
	cfg.cpu_version = "";
	buf = write_ok(&cfg, ram2, 2, &used);
	parse(&r, buf, WIN, PLAT_SMBIOS_ADDR);
	s = one(&r, 4);
	assert_string_equal(str_of(s, s->p[7]), "vmon");
	assert_int_equal(s->p[0x10], 0);
	assert_int_equal(le16(s->p + 0x26), 0x04);	/* one core */
	free(buf);
}

static void test_memory(void **state)
{
	struct smbios_config cfg = config(2);
	const struct smb_struct *a, *d;
	struct parsed r;
	size_t used;
	uint8_t *buf = write_ok(&cfg, ram2, 2, &used);

	parse(&r, buf, WIN, PLAT_SMBIOS_ADDR);
	a = one(&r, 16);
	assert_int_equal(a->p[5], 0x03);		/* system memory */
	assert_int_equal(le32(a->p + 7), 4 * GIB / KIB);
	assert_int_equal(le16(a->p + 13), 1);		/* devices */
	d = one(&r, 17);
	assert_int_equal(le16(d->p + 4), a->handle);
	assert_int_equal(le16(d->p + 12), 4096);	/* MiB */
	assert_int_equal(d->p[14], 0x09);		/* DIMM */
	assert_string_equal(str_of(d, d->p[16]), "DIMM 0");
	assert_int_equal(d->p[18], 0x07);		/* RAM */
	assert_int_equal(count(&r, 19), 2);
	/* Below 3 GiB and 4-5 GiB, in KiB, ends inclusive. */
	assert_int_equal(le32(r.s[6].p + 4), 0);
	assert_int_equal(le32(r.s[6].p + 8), 3 * GIB / KIB - 1);
	assert_int_equal(le16(r.s[6].p + 12), a->handle);
	assert_int_equal(le32(r.s[7].p + 4), 4 * GIB / KIB);
	assert_int_equal(le32(r.s[7].p + 8), 5 * GIB / KIB - 1);
	free(buf);
}

/* Past the 32-bit and 16-bit fields: the extended ones (sec. 7.17-7.20). */
static void test_large(void **state)
{
	const struct smbios_ram big[] = {
		{ 0, 3 * GIB },
		{ 4 * GIB, 8 * TIB },
	};
	struct smbios_config cfg = config(PLAT_MAX_VCPUS);
	const struct smb_struct *s;
	struct parsed r;
	size_t used;
	uint8_t *buf = write_ok(&cfg, big, 2, &used);

	parse(&r, buf, WIN, PLAT_SMBIOS_ADDR);
	s = one(&r, 4);
	assert_int_equal(s->p[0x23], PLAT_MAX_VCPUS);
	assert_int_equal(le16(s->p + 0x2a), PLAT_MAX_VCPUS);
	s = one(&r, 16);
	assert_int_equal(le32(s->p + 7), 0x80000000u);
	assert_int_equal(le64(s->p + 15), 8 * TIB + 3 * GIB);
	s = one(&r, 17);
	assert_int_equal(le16(s->p + 12), 0x7fff);
	assert_int_equal(le32(s->p + 0x1c), (8 * TIB + 3 * GIB) / MIB);
	/* The low range still fits 32 bits of KiB; the high one not. */
	assert_int_equal(le32(r.s[6].p + 8), 3 * GIB / KIB - 1);
	assert_int_equal(le32(r.s[7].p + 4), 0xffffffffu);
	assert_int_equal(le32(r.s[7].p + 8), 0xffffffffu);
	assert_int_equal(le64(r.s[7].p + 15), 4 * GIB);
	assert_int_equal(le64(r.s[7].p + 23), 4 * GIB + 8 * TIB - 1);
	free(buf);
}

static void test_no_space(void **state)
{
	struct smbios_config cfg = config(8);
	size_t used, n;
	uint8_t *buf = write_ok(&cfg, ram2, 2, &used), *small;
	const size_t sizes[] = { 0, 1, SMBIOS_TABLE_OFFSET - 1,
				 SMBIOS_TABLE_OFFSET,
				 SMBIOS_TABLE_OFFSET + 10, used / 2,
				 used - 2, used - 1 };

	free(buf);
	small = malloc(used + 64);
	assert_non_null(small);
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(small, 0x5a, used + 64);
		n = 12345;
		assert_int_equal(smbios_write(small, sizes[i], PLAT_SMBIOS_ADDR,
					      &cfg, ram2, 2, &n),
				 -ENOSPC);
		assert_int_equal(n, 12345);
		/* Not a byte written past the buffer. */
		for (size_t j = sizes[i]; j < used + 64; j++)
			assert_int_equal(small[j], 0x5a);
	}
	memset(small, 0x5a, used + 64);
	assert_int_equal(smbios_write(small, used, PLAT_SMBIOS_ADDR, &cfg,
				      ram2, 2, &n),
			 0);
	assert_int_equal(n, used);
	for (size_t j = used; j < used + 64; j++)
		assert_int_equal(small[j], 0x5a);
	free(small);
}

static void test_bad_config(void **state)
{
	const struct smbios_ram zero[] = { { 0, 0 } };
	const struct smbios_ram wraps[] = { { UINT64_MAX - 4095, 8192 } };
	const struct smbios_ram many[SMBIOS_MAX_RAM + 1] = { { 0, MIB } };
	struct smbios_config cfg = config(1);
	uint8_t *buf = malloc(WIN);
	size_t used;

	assert_non_null(buf);
	assert_int_equal(smbios_write(buf, WIN, 0, NULL, ram2, 2, &used),
			 -EINVAL);
	assert_int_equal(smbios_write(NULL, WIN, 0, &cfg, ram2, 2, &used),
			 -EINVAL);
	assert_int_equal(smbios_write(buf, WIN, 0, &cfg, ram2, 2, NULL),
			 -EINVAL);
	assert_int_equal(smbios_write(buf, WIN, 0, &cfg, NULL, 2, &used),
			 -EINVAL);
	assert_int_equal(smbios_write(buf, WIN, 0, &cfg, ram2, 0, &used),
			 -EINVAL);
	assert_int_equal(smbios_write(buf, WIN, 0, &cfg, many,
				      SMBIOS_MAX_RAM + 1, &used),
			 -EINVAL);
	assert_int_equal(smbios_write(buf, WIN, 0, &cfg, zero, 1, &used),
			 -EINVAL);
	assert_int_equal(smbios_write(buf, WIN, 0, &cfg, wraps, 1, &used),
			 -EINVAL);
	/* The 32-bit entry point cannot point above 4 GiB. */
	assert_int_equal(smbios_write(buf, WIN, 0xffff0000, &cfg, ram2, 2,
				      &used),
			 -EINVAL);
	assert_int_equal(smbios_write(buf, WIN, UINT64_MAX - 8, &cfg, ram2, 2,
				      &used),
			 -EINVAL);
	cfg.nr_cpus = 0;
	assert_int_equal(smbios_write(buf, WIN, 0, &cfg, ram2, 2, &used),
			 -EINVAL);
	cfg.nr_cpus = PLAT_MAX_VCPUS + 1;
	assert_int_equal(smbios_write(buf, WIN, 0, &cfg, ram2, 2, &used),
			 -EINVAL);
	assert_int_equal(smbios_build(NULL, &cfg), -EINVAL);
	free(buf);
}

/* ---- In guest RAM, next to the ACPI tables ------------------------------ */

struct env {
	uint8_t *ram;
	struct guest_mem gm;
};

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
	/* Not zero: the builders must not rely on fresh RAM. */
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

static bool same_outside(const uint8_t *a, const uint8_t *b, uint64_t from,
			 uint64_t len)
{
	return !memcmp(a, b, from) &&
	       !memcmp(a + from + len, b + from + len, RAM_SIZE - from - len);
}

static void test_in_guest_ram(void **state)
{
	struct env *e = *state;
	struct smbios_config cfg = config(2);
	struct acpi_config acfg = { .nr_cpus = 2, .pci = true };
	const struct smb_struct *s;
	uint8_t *before = malloc(RAM_SIZE);
	unsigned int rsdps = 0;
	uint64_t rsdp;
	struct parsed r;

	assert_non_null(before);
	assert_int_equal(acpi_build(&e->gm, &acfg, &rsdp), 0);
	memcpy(before, e->ram, RAM_SIZE);
	assert_int_equal(smbios_build(&e->gm, &cfg), 0);
	/* SMBIOS wrote its window only: the ACPI tables are intact. */
	assert_true(same_outside(before, e->ram, PLAT_SMBIOS_ADDR, WIN));
	/* ... and ACPI rewrites only its own. */
	memcpy(before, e->ram, RAM_SIZE);
	assert_int_equal(acpi_build(&e->gm, &acfg, &rsdp), 0);
	assert_true(same_outside(before, e->ram, PLAT_ACPI_ADDR,
				 PLAT_ACPI_MAX));
	assert_true(PLAT_ACPI_ADDR + PLAT_ACPI_MAX <= PLAT_SMBIOS_ADDR);

	/* Linux finds the entry points in 0xf0000-0xfffff ... */
	parse(&r, e->ram + 0xf0000, 0x10000, 0xf0000);
	assert_int_equal(r.ep3 - e->ram, PLAT_SMBIOS_ADDR);
	assert_true(r.table_gpa >= 0xf0000 &&
		    r.table_gpa + r.table_len <= 0x100000);
	/* ... the RAM regions of the guest in Type 19 ... */
	assert_int_equal(count(&r, 19), 1);
	s = &r.s[6];
	assert_int_equal(s->type, 19);
	assert_int_equal(le32(s->p + 8), RAM_SIZE / KIB - 1);
	/* ... and the ACPI RSDP scan 0xe0000-0xfffff still one RSDP. */
	for (uint64_t pa = 0xe0000; pa < 0x100000; pa += 16)
		rsdps += !memcmp(e->ram + pa, "RSD PTR ", 8);
	assert_int_equal(rsdps, 1);
	assert_int_equal(rsdp, PLAT_ACPI_ADDR);
	free(before);
}

/* The e820 map (and so the PVH memory map, its copy) reserves both. */
static void test_e820_reserves(void **state)
{
	struct env *e = *state;
	struct e820_map map;
	bool smbios = false, acpi = false;

	e820_build(&e->gm, &map);
	for (unsigned int i = 0; i < map.nr; i++) {
		const struct e820_entry *m = &map.entry[i];
		uint64_t end = m->addr + m->size;

		if (m->type == E820_RAM) {
			assert_true(end <= PLAT_ACPI_ADDR ||
				    m->addr >= PLAT_SMBIOS_ADDR + WIN);
			continue;
		}
		if (m->type == E820_RESERVED && m->addr <= PLAT_SMBIOS_ADDR &&
		    end >= PLAT_SMBIOS_ADDR + WIN)
			smbios = true;
		if (m->type == E820_RESERVED && m->addr <= PLAT_ACPI_ADDR &&
		    end >= PLAT_ACPI_ADDR + PLAT_ACPI_MAX)
			acpi = true;
	}
	assert_true(smbios);
	assert_true(acpi);
}

static void test_ram_too_small(void **state)
{
	struct env *e = *state;
	struct smbios_config cfg = config(1);
	struct guest_mem gm;

	assert_int_equal(gm_init_buffer(&gm, e->ram,
					PLAT_SMBIOS_ADDR + WIN - 1), 0);
	assert_int_equal(smbios_build(&gm, &cfg), -EFAULT);
	assert_int_equal(gm_init_buffer(&gm, e->ram, 640 * KIB), 0);
	assert_int_equal(smbios_build(&gm, &cfg), -EFAULT);
	assert_int_equal(gm_init_buffer(&gm, e->ram, PLAT_SMBIOS_ADDR + WIN),
			 0);
	assert_int_equal(smbios_build(&gm, &cfg), 0);
}

static void test_deterministic(void **state)
{
	struct env *e = *state;
	struct smbios_config cfg = config(3);
	uint8_t *copy = malloc(WIN);

	assert_non_null(copy);
	assert_int_equal(smbios_build(&e->gm, &cfg), 0);
	memcpy(copy, e->ram + PLAT_SMBIOS_ADDR, WIN);
	cfg = config(200);
	assert_int_equal(smbios_build(&e->gm, &cfg), 0);
	memset(e->ram + PLAT_SMBIOS_ADDR, 0x3c, WIN);
	cfg = config(3);
	assert_int_equal(smbios_build(&e->gm, &cfg), 0);
	assert_memory_equal(copy, e->ram + PLAT_SMBIOS_ADDR, WIN);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_points),
		cmocka_unit_test(test_structures),
		cmocka_unit_test(test_bios_system_chassis),
		cmocka_unit_test(test_processor),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_no_space),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test_setup_teardown(test_in_guest_ram, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_e820_reserves, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ram_too_small, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deterministic, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
