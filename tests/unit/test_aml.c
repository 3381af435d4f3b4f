// SPDX-License-Identifier: MIT
/*
 * AML builder: PkgLength at every encoding boundary, names, integers,
 * blocks, resource descriptors, and the sticky error on bad input or a
 * full buffer.  Expected bytes are worked out by hand from ACPI 6.5
 * chapter 20 and section 6.4.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/aml.h"

#define MAX		(4u << 20)

#define EXPECT(a, ...)                                                   \
	do {                                                             \
		const uint8_t exp_[] = { __VA_ARGS__ };                  \
		assert_int_equal(aml_error(a), 0);                       \
		assert_int_equal((a)->len, sizeof(exp_));                \
		assert_memory_equal((a)->buf, exp_, sizeof(exp_));       \
	} while (0)

/* Decode a PkgLength; returns its byte count, stores the value. */
static size_t pkglen_decode(const uint8_t *p, uint32_t *value)
{
	size_t n = (size_t)(p[0] >> 6) + 1;

	if (n == 1) {
		*value = p[0] & 0x3f;
		return 1;
	}
	assert_int_equal(p[0] & 0x30, 0);	/* bits 4-5 reserved */
	*value = p[0] & 0x0f;
	for (size_t i = 1; i < n; i++)
		*value |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	return n;
}

static void test_pkglen_boundaries(void **state)
{
	static const struct {
		size_t body;
		size_t nbytes;		/* 0: too large */
		uint32_t value;		/* body + nbytes */
	} cases[] = {
		{ 0, 1, 1 },
		{ 62, 1, 63 },			/* largest one-byte value */
		{ 63, 2, 65 },			/* 64 needs two bytes */
		{ 4093, 2, 4095 },		/* largest 12-bit value */
		{ 4094, 3, 4097 },		/* 4096 needs three */
		{ 1048572, 3, 1048575 },	/* largest 20-bit value */
		{ 1048573, 4, 1048577 },	/* 1048576 needs four */
		{ 268435451, 4, 268435455 },	/* AML_PKGLEN_MAX */
		{ 268435452, 0, 0 },
		{ SIZE_MAX, 0, 0 },
	};
	uint8_t out[AML_PKGLEN_MAX_BYTES];
	uint32_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = aml_pkglen(out, cases[i].body);

		assert_int_equal(n, cases[i].nbytes);
		if (!n)
			continue;
		assert_int_equal(pkglen_decode(out, &v), n);
		assert_int_equal(v, cases[i].value);
	}
}

static void test_pkglen_bytes(void **state)
{
	uint8_t out[AML_PKGLEN_MAX_BYTES];

	(void)state;
	assert_int_equal(aml_pkglen(out, 62), 1);
	assert_int_equal(out[0], 0x3f);
	assert_int_equal(aml_pkglen(out, 63), 2);	/* 65 = 0x41 */
	assert_memory_equal(out, ((uint8_t[]){ 0x41, 0x04 }), 2);
	assert_int_equal(aml_pkglen(out, 4093), 2);	/* 0xfff */
	assert_memory_equal(out, ((uint8_t[]){ 0x4f, 0xff }), 2);
	assert_int_equal(aml_pkglen(out, 4094), 3);	/* 0x1001 */
	assert_memory_equal(out, ((uint8_t[]){ 0x81, 0x00, 0x01 }), 3);
	assert_int_equal(aml_pkglen(out, 1048572), 3);	/* 0xfffff */
	assert_memory_equal(out, ((uint8_t[]){ 0x8f, 0xff, 0xff }), 3);
	assert_int_equal(aml_pkglen(out, 1048573), 4);	/* 0x100001 */
	assert_memory_equal(out, ((uint8_t[]){ 0xc1, 0x00, 0x00, 0x01 }), 4);
	assert_int_equal(aml_pkglen(out, 268435451), 4);
	assert_memory_equal(out, ((uint8_t[]){ 0xcf, 0xff, 0xff, 0xff }), 4);
}

/*
 * A Scope whose body is exactly `body` bytes, built through
 * aml_scope_begin()/aml_end(): the reserved PkgLength must shrink to the
 * right size and the body move down intact.
 */
static void scope_of(size_t body, size_t nbytes)
{
	struct aml a;
	size_t mark, pad = body - 4;	/* minus the NameSeg */
	uint8_t *fill = malloc(pad);
	uint32_t v;

	assert_non_null(fill);
	for (size_t i = 0; i < pad; i++)
		fill[i] = (uint8_t)(i * 7 + 1);
	aml_init(&a, MAX);
	mark = aml_scope_begin(&a, "ABCD");
	aml_bytes(&a, fill, pad);
	aml_end(&a, mark);
	assert_int_equal(aml_error(&a), 0);
	assert_int_equal(a.len, 1 + nbytes + body);
	assert_int_equal(a.buf[0], 0x10);
	assert_int_equal(pkglen_decode(a.buf + 1, &v), nbytes);
	assert_int_equal(v, body + nbytes);
	assert_memory_equal(a.buf + 1 + nbytes, "ABCD", 4);
	assert_memory_equal(a.buf + 1 + nbytes + 4, fill, pad);
	aml_free(&a);
	free(fill);
}

static void test_block_pkglen(void **state)
{
	(void)state;
	scope_of(62, 1);
	scope_of(63, 2);
	scope_of(4093, 2);
	scope_of(4094, 3);
	scope_of(1048572, 3);
	scope_of(1048573, 4);
}

static void test_integers(void **state)
{
	static const struct {
		uint64_t v;
		uint8_t len;
		uint8_t enc[9];
	} cases[] = {
		{ 0, 1, { 0x00 } },
		{ 1, 1, { 0x01 } },
		{ 2, 2, { 0x0a, 0x02 } },
		{ 0xff, 2, { 0x0a, 0xff } },
		{ 0x100, 3, { 0x0b, 0x00, 0x01 } },
		{ 0xffff, 3, { 0x0b, 0xff, 0xff } },
		{ 0x10000, 5, { 0x0c, 0x00, 0x00, 0x01, 0x00 } },
		{ 0xffffffff, 5, { 0x0c, 0xff, 0xff, 0xff, 0xff } },
		{ 0x100000000, 9, { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 } },
		{ UINT64_MAX, 9, { 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				   0xff, 0xff } },
	};
	struct aml a;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		aml_init(&a, MAX);
		aml_integer(&a, cases[i].v);
		assert_int_equal(aml_error(&a), 0);
		assert_int_equal(a.len, cases[i].len);
		assert_memory_equal(a.buf, cases[i].enc, cases[i].len);
		aml_free(&a);
	}
}

static void test_names(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a, MAX);
	aml_name_path(&a, "_HID");
	EXPECT(&a, '_', 'H', 'I', 'D');
	aml_free(&a);

	aml_init(&a, MAX);
	aml_name_path(&a, "KBD");	/* padded */
	EXPECT(&a, 'K', 'B', 'D', '_');
	aml_free(&a);

	aml_init(&a, MAX);
	aml_name_path(&a, "\\_SB.COM1");
	EXPECT(&a, 0x5c, 0x2e, '_', 'S', 'B', '_', 'C', 'O', 'M', '1');
	aml_free(&a);

	aml_init(&a, MAX);
	aml_name_path(&a, "\\_SB.PCI0.S08");
	EXPECT(&a, 0x5c, 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
	       'S', '0', '8', '_');
	aml_free(&a);

	aml_init(&a, MAX);
	aml_name_path(&a, "^^FOO");
	EXPECT(&a, 0x5e, 0x5e, 'F', 'O', 'O', '_');
	aml_free(&a);

	aml_init(&a, MAX);
	aml_name_path(&a, "\\");
	EXPECT(&a, 0x5c, 0x00);
	aml_free(&a);
}

static void test_bad_names(void **state)
{
	static const char *const bad[] = {
		"", "abcd", "TOOLONG", "A..B", "A.", ".A", "1ABC", "\\^A",
		"A B", "^", "\\_SB.", "\xc4\x42\x43",
	};
	struct aml a;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a, MAX);
		aml_name_path(&a, bad[i]);
		assert_int_equal(aml_error(&a), -EINVAL);
		aml_free(&a);
	}
}

static void test_string_buffer(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a, MAX);
	aml_string(&a, "ACPI0007");
	EXPECT(&a, 0x0d, 'A', 'C', 'P', 'I', '0', '0', '0', '7', 0x00);
	aml_free(&a);

	aml_init(&a, MAX);
	aml_string(&a, "\x80");
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);

	/* Buffer (3) {1, 2, 3}: BufferOp, PkgLength 6, ByteConst 3, data. */
	aml_init(&a, MAX);
	aml_buffer(&a, (uint8_t[]){ 1, 2, 3 }, 3);
	EXPECT(&a, 0x11, 0x06, 0x0a, 0x03, 1, 2, 3);
	aml_free(&a);

	/* Buffer (1): the size may be the One opcode. */
	aml_init(&a, MAX);
	aml_buffer(&a, (uint8_t[]){ 9 }, 1);
	EXPECT(&a, 0x11, 0x03, 0x01, 9);
	aml_free(&a);
}

static void test_eisaid(void **state)
{
	static const char *const bad[] = {
		"pnp0501", "PNP050", "PNP05011", "PNP050G", "PN10501", "",
		"PNP050a",
	};
	struct aml a;
	uint32_t v;

	(void)state;
	assert_int_equal(aml_eisaid("PNP0501", &v), 0);
	assert_int_equal(v, 0x0105d041);
	assert_int_equal(aml_eisaid("PNP0303", &v), 0);
	assert_int_equal(v, 0x0303d041);
	assert_int_equal(aml_eisaid("PNP0B00", &v), 0);
	assert_int_equal(v, 0x000bd041);
	assert_int_equal(aml_eisaid("PNP0A08", &v), 0);
	assert_int_equal(v, 0x080ad041);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(aml_eisaid(bad[i], &v), -EINVAL);

	aml_init(&a, MAX);
	aml_name_eisaid(&a, "_HID", "PNP0501");
	EXPECT(&a, 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01);
	aml_free(&a);

	aml_init(&a, MAX);
	aml_name_eisaid(&a, "_HID", "bad");
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);
}

static void test_blocks(void **state)
{
	struct aml a;
	size_t dev, m, pkg;

	(void)state;
	/* Device (COM1) {} */
	aml_init(&a, MAX);
	dev = aml_device_begin(&a, "COM1");
	aml_end(&a, dev);
	EXPECT(&a, 0x5b, 0x82, 0x05, 'C', 'O', 'M', '1');
	aml_free(&a);

	/* Method (_STA, 0, NotSerialized) { Return (0x0F) } */
	aml_init(&a, MAX);
	m = aml_method_begin(&a, "_STA", 0, false);
	aml_return_int(&a, 0x0f);
	aml_end(&a, m);
	EXPECT(&a, 0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f);
	aml_free(&a);

	/* Method (FOO, 2, Serialized) {} */
	aml_init(&a, MAX);
	m = aml_method_begin(&a, "FOO", 2, true);
	aml_end(&a, m);
	EXPECT(&a, 0x14, 0x06, 'F', 'O', 'O', '_', 0x0a);
	aml_free(&a);

	/* Name (\_S5, Package (4) {5, 5, 0, 0}) */
	aml_init(&a, MAX);
	aml_name(&a, "\\_S5");
	pkg = aml_package_begin(&a, 4);
	aml_integer(&a, 5);
	aml_integer(&a, 5);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_end(&a, pkg);
	EXPECT(&a, 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a,
	       0x05, 0x0a, 0x05, 0x00, 0x00);
	aml_free(&a);

	/* Nested: Scope (\_SB) { Device (RTC) {} } */
	aml_init(&a, MAX);
	m = aml_scope_begin(&a, "\\_SB");
	dev = aml_device_begin(&a, "RTC");
	aml_end(&a, dev);
	aml_end(&a, m);
	EXPECT(&a, 0x10, 0x0d, 0x5c, '_', 'S', 'B', '_', 0x5b, 0x82, 0x05,
	       'R', 'T', 'C', '_');
	aml_free(&a);
}

static void test_bad_blocks(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a, MAX);
	aml_method_begin(&a, "FOO", 8, false);
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);

	aml_init(&a, MAX);
	aml_package_begin(&a, 256);
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);

	/* A mark past the end, or without room for its PkgLength. */
	aml_init(&a, MAX);
	aml_bytes(&a, "xx", 2);
	aml_end(&a, 1);
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);

	aml_init(&a, MAX);
	aml_end(&a, 100);
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static void test_restemplate_legacy(void **state)
{
	struct aml a, rt;

	(void)state;
	aml_init(&rt, 256);
	aml_res_io(&rt, 0x3f8, 8);
	aml_res_irq(&rt, 4);
	aml_init(&a, MAX);
	aml_name_restemplate(&a, "_CRS", &rt);
	assert_int_equal(aml_error(&a), 0);
	/* NameOp, name, BufferOp, PkgLength 16, ByteConst 13, 13 bytes. */
	assert_int_equal(a.len, 1 + 4 + 1 + 1 + 2 + 13);
	assert_memory_equal(a.buf,
			    ((uint8_t[]){ 0x08, '_', 'C', 'R', 'S', 0x11, 0x10,
					  0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03,
					  0xf8, 0x03, 0x01, 0x08, 0x22, 0x10,
					  0x00, 0x79 }),
			    21);
	/* The EndTag checksum makes the whole template sum to zero. */
	assert_int_equal(sum(a.buf + 9, 13), 0);
	aml_free(&a);
	aml_free(&rt);
}

static void test_restemplate_large(void **state)
{
	const struct aml_space qw = {
		.type = AML_SPACE_MEM,
		.flags = AML_SPACE_MIN_FIXED | AML_SPACE_MAX_FIXED,
		.type_flags = AML_MEM_RW | AML_MEM_CACHEABLE,
		.min = 0x100000000ULL,
		.max = 0x1ffffffffULL,
		.len = 0x100000000ULL,
	};
	const struct aml_space dw = {
		.type = AML_SPACE_MEM,
		.flags = AML_SPACE_MIN_FIXED | AML_SPACE_MAX_FIXED,
		.type_flags = AML_MEM_RW,
		.min = 0xc0000000,
		.max = 0xdfffffff,
		.len = 0x20000000,
	};
	const struct aml_space bus = {
		.type = AML_SPACE_BUS,
		.flags = AML_SPACE_MIN_FIXED | AML_SPACE_MAX_FIXED,
		.min = 0,
		.max = 0,
		.len = 1,
	};
	struct aml rt;

	(void)state;
	aml_init(&rt, 256);
	aml_res_ext_irq(&rt, AML_INT_CONSUMER | AML_INT_EDGE, 5);
	EXPECT(&rt, 0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0, 0, 0);
	aml_free(&rt);

	aml_init(&rt, 256);
	aml_res_mem32_fixed(&rt, true, 0xfec00000, 0x1000);
	EXPECT(&rt, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xc0, 0xfe, 0x00,
	       0x10, 0x00, 0x00);
	aml_free(&rt);

	aml_init(&rt, 256);
	aml_res_word_space(&rt, &bus);
	EXPECT(&rt, 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0, 0, 0, 0,
	       0, 0, 1, 0);
	aml_free(&rt);

	aml_init(&rt, 256);
	aml_res_dword_space(&rt, &dw);
	assert_int_equal(aml_error(&rt), 0);
	assert_int_equal(rt.len, 26);
	assert_memory_equal(rt.buf, ((uint8_t[]){ 0x87, 23, 0, 0, 0x0c, 1 }),
			    6);
	assert_memory_equal(rt.buf + 10, ((uint8_t[]){ 0, 0, 0, 0xc0 }), 4);
	assert_memory_equal(rt.buf + 22, ((uint8_t[]){ 0, 0, 0, 0x20 }), 4);
	aml_free(&rt);

	aml_init(&rt, 256);
	aml_res_qword_space(&rt, &qw);
	assert_int_equal(aml_error(&rt), 0);
	assert_int_equal(rt.len, 46);
	assert_memory_equal(rt.buf, ((uint8_t[]){ 0x8a, 43, 0, 0, 0x0c, 3 }),
			    6);
	assert_memory_equal(rt.buf + 14,
			    ((uint8_t[]){ 0, 0, 0, 0, 1, 0, 0, 0 }), 8);
	aml_free(&rt);

	/* A QWord range does not fit a DWord descriptor. */
	aml_init(&rt, 256);
	aml_res_dword_space(&rt, &qw);
	assert_int_equal(aml_error(&rt), -EINVAL);
	aml_free(&rt);
}

static void test_bad_resources(void **state)
{
	const struct aml_space inverted = { .min = 2, .max = 1, .len = 0 };
	struct aml a, rt;

	(void)state;
	aml_init(&rt, 256);
	aml_res_irq(&rt, 16);
	assert_int_equal(aml_error(&rt), -EINVAL);
	/* The template's error reaches the table that uses it. */
	aml_init(&a, MAX);
	aml_name_restemplate(&a, "_CRS", &rt);
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);
	aml_free(&rt);

	aml_init(&rt, 256);
	aml_res_ext_irq(&rt, 0x20, 5);
	assert_int_equal(aml_error(&rt), -EINVAL);
	aml_free(&rt);

	aml_init(&rt, 256);
	aml_res_qword_space(&rt, &inverted);
	assert_int_equal(aml_error(&rt), -EINVAL);
	aml_free(&rt);
}

static void test_cap_is_sticky(void **state)
{
	struct aml a;

	(void)state;
	aml_init(&a, 8);
	aml_bytes(&a, "12345678", 8);
	assert_int_equal(aml_error(&a), 0);
	aml_integer(&a, 0);		/* one byte too many */
	assert_int_equal(aml_error(&a), -ENOSPC);
	assert_int_equal(a.len, 8);
	aml_free(&a);
	/* Later calls change nothing, and the first error stays. */
	aml_init(&a, 8);
	aml_bytes(&a, "12345678", 8);
	aml_integer(&a, 0);
	aml_name_path(&a, "bad");
	assert_int_equal(aml_error(&a), -ENOSPC);
	assert_int_equal(a.len, 8);
	aml_free(&a);

	/* Growth past the first allocation up to the cap exactly. */
	aml_init(&a, 1000);
	for (int i = 0; i < 1000; i++)
		aml_integer(&a, 1);
	assert_int_equal(aml_error(&a), 0);
	assert_int_equal(a.len, 1000);
	aml_integer(&a, 1);
	assert_int_equal(aml_error(&a), -ENOSPC);
	aml_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglen_boundaries),
		cmocka_unit_test(test_pkglen_bytes),
		cmocka_unit_test(test_block_pkglen),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_string_buffer),
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_bad_blocks),
		cmocka_unit_test(test_restemplate_legacy),
		cmocka_unit_test(test_restemplate_large),
		cmocka_unit_test(test_bad_resources),
		cmocka_unit_test(test_cap_is_sticky),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
