// SPDX-License-Identifier: MIT
/* Unit tests: guest memory accessor, bus, e820 map, option parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/e820.h"
#include "arch/x86/platform.h"
#include "cli/options.h"
#include "core/bus.h"
#include "core/guest_mem.h"
#include "lib/log.h"

/* ---- guest memory --------------------------------------------------- */

static void gm_buffer_bounds(void **state)
{
	static uint8_t ram[8192];
	struct guest_mem gm;

	assert_int_equal(gm_init_buffer(&gm, ram, sizeof(ram)), 0);
	assert_ptr_equal(gm_ptr(&gm, 0, 8192), ram);
	assert_ptr_equal(gm_ptr(&gm, 8191, 1), ram + 8191);
	assert_null(gm_ptr(&gm, 8191, 2));	/* last byte past the end */
	assert_null(gm_ptr(&gm, 8192, 1));
	assert_null(gm_ptr(&gm, UINT64_MAX, 2));	/* wraps past 2^64 */
	assert_null(gm_ptr(&gm, 1, UINT64_MAX));
	assert_int_equal(gm_init_buffer(&gm, NULL, 10), -EINVAL);
	assert_int_equal(gm_init_buffer(&gm, ram, 0), -EINVAL);
}

static void gm_read_write(void **state)
{
	static uint8_t ram[4096];
	struct guest_mem gm;
	uint32_t v = 0xdeadbeef, r = 0;

	gm_init_buffer(&gm, ram, sizeof(ram));
	assert_int_equal(gm_write(&gm, 100, &v, 4), 0);
	assert_int_equal(gm_read(&gm, 100, &r, 4), 0);
	assert_int_equal(r, 0xdeadbeef);
	assert_int_equal(gm_write(&gm, 4094, &v, 4), -EFAULT);
	assert_int_equal(gm_read(&gm, 4094, &r, 4), -EFAULT);
}

/* RAM with the PC's hole, as vm_create lays it out. */
static int pc_alloc(struct guest_mem *gm, uint64_t size)
{
	return gm_alloc(gm, size, PLAT_MMIO_HOLE_START, PLAT_HIGH_MEM_START);
}

static void gm_alloc_hole(void **state)
{
	struct guest_mem gm;
	uint64_t size = PLAT_MMIO_HOLE_START + (64ULL << 20);

	/* Lazily mapped: reserving 3 GiB + 64 MiB costs nothing until touched. */
	assert_int_equal(pc_alloc(&gm, size), 0);
	assert_int_equal(gm.nr_regions, 2);
	assert_int_equal(gm_low_end(&gm), PLAT_MMIO_HOLE_START);
	assert_int_equal(gm.region[1].gpa, PLAT_HIGH_MEM_START);
	assert_int_equal(gm.region[1].size, 64ULL << 20);
	assert_non_null(gm_ptr(&gm, PLAT_MMIO_HOLE_START - 4096, 4096));
	assert_null(gm_ptr(&gm, PLAT_MMIO_HOLE_START, 1));	/* the hole */
	assert_null(gm_ptr(&gm, PLAT_MMIO_HOLE_START - 1, 2));	/* into it */
	assert_null(gm_ptr(&gm, PLAT_HIGH_MEM_START - 1, 2));	/* out of it */
	assert_non_null(gm_ptr(&gm, PLAT_HIGH_MEM_START, 64ULL << 20));
	assert_null(gm_ptr(&gm, PLAT_HIGH_MEM_START, (64ULL << 20) + 1));
	gm_free(&gm);

	assert_int_equal(pc_alloc(&gm, 0), -EINVAL);
	assert_int_equal(pc_alloc(&gm, 4097), -EINVAL);
	assert_int_equal(pc_alloc(&gm, 1ULL << 50), -EINVAL);
}

/* ---- bus ------------------------------------------------------------ */

struct probe {
	uint64_t last_off;
	uint32_t last_len;
	int writes, reads;
};

static void probe_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		     bool is_write)
{
	struct probe *p = opaque;

	p->last_off = off;
	p->last_len = len;
	if (is_write) {
		p->writes++;
	} else {
		p->reads++;
		memset(data, 0x5a, len);
	}
}

static void bus_register_rules(void **state)
{
	struct bus bus;
	struct probe p = { 0 };

	bus_init(&bus, "test");
	assert_int_equal(bus_register(&bus, 0x100, 0x10, probe_io, &p, "a"), 0);
	assert_int_equal(bus_register(&bus, 0x200, 0x10, probe_io, &p, "b"), 0);
	/* overlaps: inside, straddling either end, covering */
	assert_int_equal(bus_register(&bus, 0x108, 1, probe_io, &p, "x"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0xf8, 0x10, probe_io, &p, "x"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x10f, 2, probe_io, &p, "x"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x0, 0x1000, probe_io, &p, "x"), -EEXIST);
	/* zero length, wrap past 2^64, no handler */
	assert_int_equal(bus_register(&bus, 0x300, 0, probe_io, &p, "x"), -EINVAL);
	assert_int_equal(bus_register(&bus, UINT64_MAX, 2, probe_io, &p, "x"), -EINVAL);
	assert_int_equal(bus_register(&bus, 0x300, 1, NULL, &p, "x"), -EINVAL);
	/* adjacent is fine */
	assert_int_equal(bus_register(&bus, 0x110, 0x10, probe_io, &p, "c"), 0);
	assert_int_equal(bus_register(&bus, 0xf0, 0x10, probe_io, &p, "d"), 0);
	assert_string_equal(bus_find(&bus, 0x115)->name, "c");
	assert_string_equal(bus_find(&bus, 0xff)->name, "d");
	assert_null(bus_find(&bus, 0x120));
	assert_int_equal(bus_unregister(&bus, 0x110), 0);
	assert_null(bus_find(&bus, 0x115));
	assert_int_equal(bus_unregister(&bus, 0x111), -ENOENT);
	bus_destroy(&bus);
}

static void bus_dispatch_rules(void **state)
{
	struct bus bus;
	struct probe p = { 0 };
	uint8_t data[8];

	bus_init(&bus, "test");
	bus_register(&bus, 0x100, 4, probe_io, &p, "a");

	memset(data, 0, sizeof(data));
	assert_int_equal(bus_dispatch(&bus, 0x102, data, 2, false, 0xff), 0);
	assert_int_equal(p.last_off, 2);
	assert_int_equal(data[0], 0x5a);

	/* unmapped read: filled, counted, not fatal */
	assert_int_equal(bus_dispatch(&bus, 0x50, data, 4, false, 0xff), -ENOENT);
	assert_int_equal(data[0], 0xff);
	assert_int_equal(data[3], 0xff);
	assert_int_equal(bus_dispatch(&bus, 0x50, data, 4, true, 0xff), -ENOENT);
	assert_int_equal(counter_get(&bus.unhandled), 2);

	/* straddling the end: the device sees its own 1 byte only */
	memset(data, 0, sizeof(data));
	assert_int_equal(bus_dispatch(&bus, 0x103, data, 4, false, 0xee), 0);
	assert_int_equal(p.last_len, 1);
	assert_int_equal(data[0], 0x5a);
	assert_int_equal(data[1], 0xee);
	assert_int_equal(data[3], 0xee);
	bus_destroy(&bus);
}

static void bus_many_ranges(void **state)
{
	struct bus bus;
	struct probe p = { 0 };

	bus_init(&bus, "test");
	/* Insert out of order; lookups must still find each. */
	for (int i = 99; i >= 0; i--)
		assert_int_equal(bus_register(&bus, (uint64_t)i * 0x10, 8,
					      probe_io, &p, "r"), 0);
	for (int i = 0; i < 100; i++) {
		assert_non_null(bus_find(&bus, (uint64_t)i * 0x10 + 7));
		assert_null(bus_find(&bus, (uint64_t)i * 0x10 + 8));
	}
	bus_destroy(&bus);
}

/* ---- e820 ----------------------------------------------------------- */

static void e820_small_and_large(void **state)
{
	static uint8_t ram[64 << 20];
	struct guest_mem gm;
	struct e820_map map;

	gm_init_buffer(&gm, ram, sizeof(ram));
	e820_build(&gm, &map);
	assert_int_equal(map.entry[0].addr, 0);
	assert_int_equal(map.entry[0].type, E820_RAM);
	assert_int_equal(map.entry[0].size, PLAT_EBDA_START);
	assert_int_equal(map.entry[1].type, E820_RESERVED);
	assert_int_equal(map.entry[2].addr, PLAT_HIGH_RAM_START);
	assert_int_equal(map.entry[2].size, (64 << 20) - PLAT_HIGH_RAM_START);
	/* no overlaps, sorted */
	for (unsigned int i = 1; i < map.nr; i++)
		assert_true(map.entry[i - 1].addr + map.entry[i - 1].size <=
			    map.entry[i].addr);

	assert_int_equal(pc_alloc(&gm, 4ULL << 30), 0);
	e820_build(&gm, &map);
	assert_int_equal(map.entry[map.nr - 1].addr, PLAT_HIGH_MEM_START);
	assert_int_equal(map.entry[map.nr - 1].size, (4ULL << 30) - PLAT_MMIO_HOLE_START);
	assert_int_equal(map.entry[map.nr - 1].type, E820_RAM);
	gm_free(&gm);
}

/* ---- options -------------------------------------------------------- */

static void sizes(void **state)
{
	uint64_t b;

	assert_int_equal(parse_size("256M", &b), 0);
	assert_int_equal(b, 256ULL << 20);
	assert_int_equal(parse_size("1G", &b), 0);
	assert_int_equal(b, 1ULL << 30);
	assert_int_equal(parse_size("2GiB", &b), 0);
	assert_int_equal(b, 2ULL << 30);
	assert_int_equal(parse_size("4096k", &b), 0);
	assert_int_equal(b, 4ULL << 20);
	assert_int_equal(parse_size("128", &b), 0);	/* MiB */
	assert_int_equal(b, 128ULL << 20);
	assert_int_equal(parse_size("4096B", &b), 0);
	assert_int_equal(b, 4096);
	assert_int_equal(parse_size("", &b), -EINVAL);
	assert_int_equal(parse_size("-1", &b), -EINVAL);
	assert_int_equal(parse_size("12Q", &b), -EINVAL);
	assert_int_equal(parse_size("1MX", &b), -EINVAL);
	assert_int_equal(parse_size(" 1", &b), -EINVAL);
	assert_int_equal(parse_size("18446744073709551616", &b), -ERANGE);
	assert_int_equal(parse_size("17592186044416M", &b), -ERANGE);
}

static int parse(struct run_options *o, char *err, const char *a1,
		 const char *a2, const char *a3)
{
	char *argv[] = { "run", "--kernel", "k", (char *)a1, (char *)a2,
			 (char *)a3, NULL };
	int argc = 3 + (a1 != NULL) + (a2 != NULL) + (a3 != NULL);

	return run_options_parse(argc, argv, o, err, 256);
}

static void run_options(void **state)
{
	struct run_options o;
	char err[256];

	assert_int_equal(parse(&o, err, NULL, NULL, NULL), 0);
	assert_int_equal(o.vm.nr_cpus, 1);
	assert_int_equal(o.vm.mem_size, 256ULL << 20);
	assert_int_equal(o.vm.serial_mode, SERIAL_STDIO);
	assert_false(o.vm.debug_exit);

	assert_int_equal(parse(&o, err, "--cpus", "4", "--debug-exit"), 0);
	assert_int_equal(o.vm.nr_cpus, 4);
	assert_true(o.vm.debug_exit);
	assert_int_equal(parse(&o, err, "--serial", "file:/tmp/x", NULL), 0);
	assert_int_equal(o.vm.serial_mode, SERIAL_FILE);
	assert_string_equal(o.vm.serial_path, "/tmp/x");

	assert_int_equal(parse(&o, err, "--cpus", "0", NULL), -EINVAL);
	assert_non_null(strstr(err, "--cpus 0"));
	assert_int_equal(parse(&o, err, "--cpus", "255", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--cpus", "two", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--mem", "0", NULL), -EINVAL);
	assert_non_null(strstr(err, "--mem 0"));
	assert_int_equal(parse(&o, err, "--mem", "1K", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--mem", "2T", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--mem", "5000001B", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--serial", "tcp", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--serial", "file:", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--bogus", NULL, NULL), -EINVAL);
	assert_non_null(strstr(err, "--bogus"));
	assert_int_equal(parse(&o, err, "extra", NULL, NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--cpus", NULL, NULL), -EINVAL);
	assert_non_null(strstr(err, "needs a value"));

	char *noker[] = { "run", "--cpus", "2", NULL };
	assert_int_equal(run_options_parse(3, noker, &o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--kernel"));
	char *help[] = { "run", "--help", NULL };
	assert_int_equal(run_options_parse(2, help, &o, err, sizeof(err)), 0);
	assert_true(o.help);
}

/* A burst of RATELIMIT_BURST lines, then silence for the rest of the
 * interval: a guest that repeats one bad request 100 times in a row gets
 * ten lines, not a hundred (the run is far shorter than the 5 s window). */
static void ratelimit_burst(void **state)
{
	(void)state;
	struct ratelimit rl = { 0 };
	int allowed = 0;

	for (int i = 0; i < 100; i++)
		allowed += ratelimit_allow(&rl);
	assert_int_equal(allowed, RATELIMIT_BURST);
	assert_int_equal(atomic_load(&rl.suppressed), 100 - RATELIMIT_BURST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gm_buffer_bounds),
		cmocka_unit_test(gm_read_write),
		cmocka_unit_test(gm_alloc_hole),
		cmocka_unit_test(bus_register_rules),
		cmocka_unit_test(bus_dispatch_rules),
		cmocka_unit_test(bus_many_ranges),
		cmocka_unit_test(e820_small_and_large),
		cmocka_unit_test(sizes),
		cmocka_unit_test(run_options),
		cmocka_unit_test(ratelimit_burst),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
