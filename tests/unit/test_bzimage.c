// SPDX-License-Identifier: MIT
/*
 * bzImage loader and boot_load() front end: hand-built images in a
 * malloc'd 64 MiB guest, then the real Debian kernel when it is cached.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit/debian_kernel.h"

#include "arch/x86/boot.h"
#include "arch/x86/bootparam.h"
#include "arch/x86/platform.h"

#define MIB		(1024ULL * 1024)
#define RAM_SIZE	(64 * MIB)
#define SETUP_SECTS	4
#define PM_OFF		((SETUP_SECTS + 1) * 512)
#define PM_SIZE		(64 * 1024)

#define HOFF(f)		offsetof(struct boot_params, hdr.f)

struct env {
	uint8_t *ram;
	struct guest_mem gm;
	struct e820_map e820;
	struct boot_result res;
	char err[512];
};

static struct env *g;

static int env_setup(void **state)
{
	g = calloc(1, sizeof(*g));
	g->ram = calloc(1, RAM_SIZE);
	if (!g->ram || gm_init_buffer(&g->gm, g->ram, RAM_SIZE) < 0)
		return -1;
	e820_build(&g->gm, &g->e820);
	*state = g;
	return 0;
}

static int env_teardown(void **state)
{
	free(g->ram);
	free(g);
	return 0;
}

static int test_reset(void **state)
{
	memset(g->ram, 0, RAM_SIZE);
	memset(&g->res, 0, sizeof(g->res));
	g->err[0] = '\0';
	return 0;
}

static void put8(uint8_t *b, size_t off, uint8_t v) { b[off] = v; }
static void put16(uint8_t *b, size_t off, uint16_t v) { memcpy(b + off, &v, 2); }
static void put32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }

/* A minimal modern bzImage: protocol 2.15, relocatable, 64-bit. */
static uint8_t *mk_bz(size_t *size)
{
	size_t n = PM_OFF + PM_SIZE;
	uint8_t *b = calloc(1, n);

	put8(b, HOFF(setup_sects), SETUP_SECTS);
	put16(b, HOFF(boot_flag), BP_BOOT_FLAG);
	put8(b, HOFF(jump), 0xeb);
	put8(b, HOFF(jump) + 1, 0x6a);	/* header ends at 0x26c */
	put32(b, HOFF(header), BP_HDRS_MAGIC);
	put16(b, HOFF(version), 0x020f);
	put8(b, HOFF(loadflags), BP_LOADED_HIGH);
	put32(b, HOFF(initrd_addr_max), 0x7fffffff);
	put32(b, HOFF(kernel_alignment), 0x200000);
	put8(b, HOFF(relocatable_kernel), 1);
	put16(b, HOFF(xloadflags), 0x3);
	put32(b, HOFF(cmdline_size), 0x7ff);
	put64(b, HOFF(setup_data), 0xdeadbeef);	/* must be cleared */
	put64(b, HOFF(pref_address), 0x1000000);
	put32(b, HOFF(init_size), 8 * MIB);
	for (size_t i = 0; i < PM_SIZE; i++)
		b[PM_OFF + i] = (uint8_t)(i * 7 + 1);
	*size = n;
	return b;
}

static int load(const uint8_t *k, size_t ksize, const uint8_t *initrd,
		size_t isize, const char *cmdline)
{
	struct boot_image img = {
		.kernel = k,
		.kernel_size = ksize,
		.initrd = initrd,
		.initrd_size = isize,
		.cmdline = cmdline,
		.rsdp_gpa = PLAT_ACPI_ADDR,
	};

	return boot_load_image(&g->gm, &g->e820, &img, &g->res, g->err,
			       sizeof(g->err));
}

#define assert_fails(expr, rc, text)                                     \
	do {                                                             \
		int rc_ = (expr);                                        \
		if (rc_ != (rc) || !strstr(g->err, (text)))              \
			fail_msg("rc %d (want %d), message \"%s\" (want " \
				 "\"%s\")", rc_, (rc), g->err, (text));  \
	} while (0)

static const struct boot_params *zero_page(void)
{
	return (const struct boot_params *)(g->ram + PLAT_ZERO_PAGE_ADDR);
}

static void test_probe(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);

	assert_int_equal(bzimage_probe(b, n), 1);
	assert_int_equal(bzimage_probe(b, 0x205), 0);
	assert_int_equal(bzimage_probe(NULL, 0), 0);
	put16(b, HOFF(boot_flag), 0);
	assert_int_equal(bzimage_probe(b, n), 0);
	free(b);
}

static void test_load_basic(void **state)
{
	static const char cmdline[] = "console=ttyS0 root=/dev/vda";
	size_t n, isize = 3 * MIB + 123;
	uint8_t *b = mk_bz(&n), *initrd = malloc(isize);
	const struct boot_params *bp = zero_page();
	uint64_t rd, rdsz;

	memset(initrd, 0x5a, isize);
	assert_int_equal(load(b, n, initrd, isize, cmdline), 0);
	assert_int_equal(g->res.kind, BOOT_LINUX64);
	assert_int_equal(g->res.entry, 0x1000000 + 0x200);
	assert_int_equal(g->res.boot_info, PLAT_ZERO_PAGE_ADDR);
	assert_int_equal(g->res.kernel_start, 0x1000000);
	assert_int_equal(g->res.kernel_end, 0x1000000 + 8 * MIB);
	assert_memory_equal(g->ram + 0x1000000, b + PM_OFF, PM_SIZE);

	/* Zero page. */
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.loadflags, BP_LOADED_HIGH | BP_CAN_USE_HEAP);
	assert_int_equal(bp->hdr.heap_end_ptr, 0xfe00);
	assert_int_equal(bp->hdr.header, BP_HDRS_MAGIC);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.setup_data, 0);
	assert_int_equal(bp->sentinel, 0);
	assert_int_equal(bp->hdr.cmd_line_ptr, PLAT_CMDLINE_ADDR);
	assert_int_equal(bp->ext_cmd_line_ptr, 0);
	assert_string_equal((char *)g->ram + PLAT_CMDLINE_ADDR, cmdline);
	assert_int_equal(bp->acpi_rsdp_addr, PLAT_ACPI_ADDR);
	assert_int_equal(bp->e820_entries, g->e820.nr);
	for (unsigned int i = 0; i < g->e820.nr; i++) {
		assert_int_equal(bp->e820_table[i].addr, g->e820.entry[i].addr);
		assert_int_equal(bp->e820_table[i].size, g->e820.entry[i].size);
		assert_int_equal(bp->e820_table[i].type, g->e820.entry[i].type);
	}

	/* Initrd: high, page aligned, clear of the kernel, copied. */
	rd = bp->hdr.ramdisk_image | (uint64_t)bp->ext_ramdisk_image << 32;
	rdsz = bp->hdr.ramdisk_size | (uint64_t)bp->ext_ramdisk_size << 32;
	assert_int_equal(rdsz, isize);
	assert_int_equal(rd, g->res.initrd_start);
	assert_int_equal(rd % 4096, 0);
	assert_true(rd + isize <= RAM_SIZE);
	assert_true(rd + isize > RAM_SIZE - 4096);	/* as high as it goes */
	assert_true(rd >= g->res.kernel_end || rd + isize <= 0x1000000);
	assert_memory_equal(g->ram + rd, initrd, isize);
	free(initrd);
	free(b);
}

static void test_no_initrd_empty_cmdline(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);
	const struct boot_params *bp = zero_page();

	put32(b, HOFF(ramdisk_image), 0x1234);	/* stale value from file */
	assert_int_equal(load(b, n, NULL, 0, NULL), 0);
	assert_int_equal(bp->hdr.ramdisk_image, 0);
	assert_int_equal(bp->hdr.ramdisk_size, 0);
	assert_int_equal(g->ram[PLAT_CMDLINE_ADDR], 0);
	free(b);
}

static void test_initrd_addr_max(void **state)
{
	size_t n, isize = 2 * MIB;
	uint8_t *b = mk_bz(&n), *initrd = calloc(1, isize);
	const struct boot_params *bp = zero_page();

	put32(b, HOFF(initrd_addr_max), 48 * MIB - 1);
	assert_int_equal(load(b, n, initrd, isize, NULL), 0);
	assert_true(bp->hdr.ramdisk_image + isize <= 48 * MIB);
	assert_int_equal(bp->hdr.ramdisk_image, 46 * MIB);

	/* 0 means the old default 0x37ffffff: all of our 64 MiB is below. */
	test_reset(state);
	put32(b, HOFF(initrd_addr_max), 0);
	assert_int_equal(load(b, n, initrd, isize, NULL), 0);
	assert_int_equal(bp->hdr.ramdisk_image, RAM_SIZE - isize);
	free(initrd);
	free(b);
}

static void test_initrd_below_kernel(void **state)
{
	size_t n, isize = 10 * MIB;
	uint8_t *b = mk_bz(&n), *initrd = calloc(1, isize);
	const struct boot_params *bp = zero_page();

	/* Kernel [16, 56) MiB leaves 8 MiB above: the initrd goes below. */
	put32(b, HOFF(init_size), 40 * MIB);
	assert_int_equal(load(b, n, initrd, isize, NULL), 0);
	assert_true(bp->hdr.ramdisk_image + isize <= 0x1000000);
	assert_true(bp->hdr.ramdisk_image >= PLAT_HIGH_RAM_START);
	free(initrd);
	free(b);
}

static void test_initrd_would_overlap_kernel(void **state)
{
	size_t n, isize = 16 * MIB;
	uint8_t *b = mk_bz(&n), *initrd = calloc(1, isize);

	/* 8 MiB free above the kernel and 15 below: 16 fits nowhere. */
	put32(b, HOFF(init_size), 40 * MIB);
	assert_fails(load(b, n, initrd, isize, NULL), -ENOMEM,
		     "initrd (16 MiB) does not fit in guest RAM below "
		     "0x80000000 outside the kernel at [0x1000000, 0x3800000)");
	free(initrd);
	free(b);
}

static void test_initrd_too_big(void **state)
{
	size_t n, isize = 60 * MIB;
	uint8_t *b = mk_bz(&n), *initrd = calloc(1, isize);

	assert_fails(load(b, n, initrd, isize, NULL), -ENOMEM,
		     "initrd (60 MiB) does not fit");
	assert_non_null(strstr(g->err, "guest has 64 MiB"));
	free(initrd);
	free(b);
}

static void test_relocate(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);

	/* Preferred address outside RAM: relocate to 16 MiB, aligned. */
	put64(b, HOFF(pref_address), 0x80000000);
	put32(b, HOFF(kernel_alignment), 32 * MIB);
	assert_int_equal(load(b, n, NULL, 0, NULL), 0);
	assert_int_equal(g->res.kernel_start, 32 * MIB);
	assert_int_equal(g->res.entry, 32 * MIB + 0x200);
	assert_memory_equal(g->ram + 32 * MIB, b + PM_OFF, PM_SIZE);
	assert_int_equal(zero_page()->hdr.code32_start, 32 * MIB);

	/* Below 1 MiB is never used, even if preferred. */
	test_reset(state);
	put64(b, HOFF(pref_address), 0x10000);
	assert_int_equal(load(b, n, NULL, 0, NULL), 0);
	assert_int_equal(g->res.kernel_start, 32 * MIB);

	/* A relocatable kernel at an unaligned preferred address moves. */
	test_reset(state);
	put64(b, HOFF(pref_address), 0x1100000);
	put32(b, HOFF(kernel_alignment), 0x200000);
	assert_int_equal(load(b, n, NULL, 0, NULL), 0);
	assert_int_equal(g->res.kernel_start, 0x1000000);

	test_reset(state);
	put32(b, HOFF(kernel_alignment), 3 * MIB);
	assert_fails(load(b, n, NULL, 0, NULL), -ENOEXEC,
		     "kernel_alignment 0x300000 is not a power of two");

	test_reset(state);
	put8(b, HOFF(relocatable_kernel), 0);
	put64(b, HOFF(pref_address), 0x10000);
	assert_fails(load(b, n, NULL, 0, NULL), -ENOMEM,
		     "kernel is not relocatable and needs [0x10000, 0x810000)");

	/* Not relocatable: the preferred address is used even unaligned. */
	test_reset(state);
	put64(b, HOFF(pref_address), 0x1100000);
	assert_int_equal(load(b, n, NULL, 0, NULL), 0);
	assert_int_equal(g->res.kernel_start, 0x1100000);
	free(b);
}

static void test_empty(void **state)
{
	assert_fails(load(NULL, 0, NULL, 0, NULL), -ENOEXEC,
		     "kernel image is empty");
}

static void test_not_a_kernel(void **state)
{
	uint8_t junk[600] = { 'M', 'Z', 0x90, 0 };
	size_t n;
	uint8_t *b = mk_bz(&n);
	struct boot_image img = { .kernel = b, .kernel_size = n };

	assert_fails(load(junk, sizeof(junk), NULL, 0, NULL), -ENOEXEC,
		     "not a bzImage or PVH ELF kernel (starts with 4d 5a 90 00)");
	/* Header cut before the magic. */
	assert_fails(load(b, 0x203, NULL, 0, NULL), -ENOEXEC,
		     "not a bzImage or PVH ELF kernel");
	assert_fails(load(b, 3, NULL, 0, NULL), -ENOEXEC,
		     "not a bzImage or PVH ELF kernel (only 3 bytes)");
	/* Wrong magic, straight into the bzImage loader. */
	put32(b, HOFF(header), 0x53726449);
	assert_fails(bzimage_load(&g->gm, &g->e820, &img, &g->res, g->err,
				  sizeof(g->err)),
		     -ENOEXEC, "not a bzImage");
	free(b);
}

static void test_truncated(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);

	put8(b, HOFF(setup_sects), 27);
	assert_fails(load(b, 4096, NULL, 0, NULL), -ENOEXEC,
		     "truncated: setup header says 27 sectors but the file "
		     "has 4096 bytes");
	/* setup_sects 0 means 4: exactly the setup area, no kernel. */
	put8(b, HOFF(setup_sects), 0);
	assert_fails(load(b, PM_OFF, NULL, 0, NULL), -ENOEXEC,
		     "setup header says 4 sectors but the file has 2560 bytes");
	assert_int_equal(load(b, n, NULL, 0, NULL), 0);
	free(b);
}

static void test_short_header(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);

	put8(b, HOFF(jump) + 1, 0x20);
	assert_fails(load(b, n, NULL, 0, NULL), -ENOEXEC,
		     "setup header ends at 0x222");
	free(b);
}

static void test_protocol_too_old(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);

	put16(b, HOFF(version), 0x0206);
	assert_fails(load(b, n, NULL, 0, NULL), -ENOTSUP,
		     "boot protocol 2.06 is too old: vmon needs 2.12");
	free(b);
}

static void test_protocol_2_12_no_rsdp(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);

	put16(b, HOFF(version), 0x020c);
	assert_int_equal(load(b, n, NULL, 0, NULL), 0);
	assert_int_equal(zero_page()->acpi_rsdp_addr, 0);
	free(b);
}

static void test_no_64bit_entry(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);

	put16(b, HOFF(xloadflags), 0x2);
	assert_fails(load(b, n, NULL, 0, NULL), -ENOTSUP,
		     "kernel has no 64-bit entry point (XLF_KERNEL_64 clear "
		     "in xloadflags 0x2)");
	free(b);
}

static void test_not_loaded_high(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);

	put8(b, HOFF(loadflags), 0);
	assert_fails(load(b, n, NULL, 0, NULL), -ENOEXEC,
		     "zImage is not supported");
	free(b);
}

static void test_kernel_too_big(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);

	put32(b, HOFF(init_size), 100 * MIB);
	assert_fails(load(b, n, NULL, 0, NULL), -ENOMEM,
		     "kernel needs 116 MiB (loaded at 16 MiB, init_size 100 "
		     "MiB), guest has 64 MiB");
	free(b);
}

static void test_cmdline_limits(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);
	char *big;

	put32(b, HOFF(cmdline_size), 16);
	assert_int_equal(load(b, n, NULL, 0, "0123456789abcdef"), 0);
	assert_string_equal((char *)g->ram + PLAT_CMDLINE_ADDR,
			    "0123456789abcdef");
	assert_fails(load(b, n, NULL, 0, "0123456789abcdefg"), -E2BIG,
		     "command line is 17 bytes but the kernel accepts at "
		     "most 16");

	/* A huge cmdline_size is capped by vmon's 64 KiB area. */
	put32(b, HOFF(cmdline_size), 0xffffffff);
	big = malloc(PLAT_CMDLINE_MAX + 1);
	memset(big, 'x', PLAT_CMDLINE_MAX);
	big[PLAT_CMDLINE_MAX] = '\0';
	assert_fails(load(b, n, NULL, 0, big), -E2BIG,
		     "command line is 65536 bytes but the kernel accepts at "
		     "most 65535");
	big[PLAT_CMDLINE_MAX - 1] = '\0';
	assert_int_equal(load(b, n, NULL, 0, big), 0);
	free(big);
	free(b);
}

static void test_e820_many_entries(void **state)
{
	size_t n;
	uint8_t *b = mk_bz(&n);
	struct e820_map saved = g->e820;

	g->e820.nr = E820_MAX_ENTRIES;
	for (unsigned int i = saved.nr; i < E820_MAX_ENTRIES; i++)
		g->e820.entry[i] = (struct e820_entry){
			0x200000000ULL + i * 0x1000, 0x1000, E820_RESERVED };
	assert_int_equal(load(b, n, NULL, 0, NULL), 0);
	assert_int_equal(zero_page()->e820_entries, E820_MAX_ENTRIES);
	assert_int_equal(zero_page()->e820_table[15].addr,
			 0x200000000ULL + 15 * 0x1000);
	g->e820 = saved;
	free(b);
}

/* ---- boot_load() on files ---------------------------------------------- */

static char *write_tmp(const void *data, size_t len)
{
	char *path = strdup("/tmp/vmon-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static int load_files(const char *kernel, const char *initrd,
		      const char *cmdline)
{
	struct boot_config cfg = {
		.kernel_path = kernel,
		.initrd_path = initrd,
		.cmdline = cmdline,
	};

	return boot_load(&g->gm, &g->e820, &cfg, &g->res, g->err,
			 sizeof(g->err));
}

static void test_files(void **state)
{
	size_t n, isize = 60 * MIB;
	uint8_t *b = mk_bz(&n), *big = calloc(1, isize);
	char *kpath = write_tmp(b, n), *ipath = write_tmp(big, 1000);
	char *empty = write_tmp("", 0), *bigpath = write_tmp(big, isize);
	char want[256];

	assert_int_equal(load_files(kpath, ipath, "quiet"), 0);
	assert_int_equal(g->res.initrd_size, 1000);
	assert_string_equal((char *)g->ram + PLAT_CMDLINE_ADDR, "quiet");

	snprintf(want, sizeof(want), "%s: file is empty", empty);
	assert_fails(load_files(empty, NULL, NULL), -ENOEXEC, want);
	assert_fails(load_files(kpath, empty, NULL), -ENOEXEC, want);

	assert_fails(load_files("/nonexistent/vmlinuz", NULL, NULL), -ENOENT,
		     "/nonexistent/vmlinuz: cannot open: No such file");
	assert_fails(load_files("/tmp", NULL, NULL), -EISDIR,
		     "/tmp: is a directory");

	/* Initrd messages name the initrd, kernel messages the kernel. */
	snprintf(want, sizeof(want), "%s: initrd (60 MiB) does not fit",
		 bigpath);
	assert_fails(load_files(kpath, bigpath, NULL), -ENOMEM, want);

	put8(b, HOFF(setup_sects), 200);
	unlink(kpath);
	free(kpath);
	kpath = write_tmp(b, 4096);
	snprintf(want, sizeof(want),
		 "%s: truncated: setup header says 200 sectors but the file "
		 "has 4096 bytes", kpath);
	assert_fails(load_files(kpath, NULL, NULL), -ENOEXEC, want);
	unlink(kpath);
	free(kpath);

	/* A file bigger than guest RAM is refused before it is read. */
	free(big);
	isize = RAM_SIZE + 1;
	big = calloc(1, isize);
	unlink(bigpath);
	free(bigpath);
	bigpath = write_tmp(big, isize);
	snprintf(want, sizeof(want),
		 "%s: file is 65 MiB but guest RAM is only 64 MiB", bigpath);
	assert_fails(load_files(bigpath, NULL, NULL), -EFBIG, want);

	unlink(ipath);
	unlink(empty);
	unlink(bigpath);
	free(ipath);
	free(empty);
	free(bigpath);
	free(big);
	free(b);
}

/* Feed data into a pipe from a child; return the read end's path. */
static pid_t pipe_feed(const uint8_t *data, size_t n, int *rfd, char *path,
		       size_t pathlen)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		for (size_t off = 0; off < n;) {
			ssize_t w = write(p[1], data + off, n - off);

			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(p[1]);
	*rfd = p[0];
	snprintf(path, pathlen, "/proc/self/fd/%d", p[0]);
	return pid;
}

static void test_file_not_regular(void **state)
{
	char path[64], want[128];
	size_t n;
	uint8_t *b = mk_bz(&n), *small_ram = calloc(1, MIB);
	uint8_t *junk = calloc(1, 2 * MIB);
	struct guest_mem gm;
	struct e820_map e820;
	struct boot_config cfg = { .kernel_path = path };
	int fd;
	pid_t pid;

	/* A kernel read from a pipe (no size known up front) still loads. */
	pid = pipe_feed(b, n, &fd, path, sizeof(path));
	assert_int_equal(load_files(path, NULL, NULL), 0);
	assert_int_equal(g->res.kind, BOOT_LINUX64);
	close(fd);
	waitpid(pid, NULL, 0);

	/* ... and reading stops once it is past the size of guest RAM. */
	assert_int_equal(gm_init_buffer(&gm, small_ram, MIB), 0);
	e820_build(&gm, &e820);
	pid = pipe_feed(junk, 2 * MIB, &fd, path, sizeof(path));
	snprintf(want, sizeof(want),
		 "%s: file is larger than guest RAM (1 MiB)", path);
	assert_fails(boot_load(&gm, &e820, &cfg, &g->res, g->err,
			       sizeof(g->err)), -EFBIG, want);
	close(fd);
	waitpid(pid, NULL, 0);
	free(junk);
	free(small_ram);
	free(b);
}

/* ---- The real Debian kernel --------------------------------------------- */

static void test_debian_kernel(void **state)
{
	struct guest_mem gm;
	struct e820_map e820;
	const char *kpath = debian_kernel_path();
	struct boot_config cfg = {
		.cmdline = "console=ttyS0 panic=-1",
		.rsdp_gpa = PLAT_ACPI_ADDR,
	};
	uint8_t *ram, head[1024];
	const struct boot_params *bp;
	char *ipath;
	uint8_t initrd[8192];
	FILE *f;

	if (!kpath) {
		skip();
		return;
	}
	cfg.kernel_path = kpath;
	f = fopen(kpath, "rb");
	if (!f) {
		skip();
		return;
	}
	assert_int_equal(fread(head, 1, sizeof(head), f), sizeof(head));
	fclose(f);
	assert_int_equal(bzimage_probe(head, sizeof(head)), 1);

	ram = calloc(1, 256 * MIB);
	assert_non_null(ram);
	assert_int_equal(gm_init_buffer(&gm, ram, 256 * MIB), 0);
	e820_build(&gm, &e820);
	memset(initrd, 0x11, sizeof(initrd));
	ipath = write_tmp(initrd, sizeof(initrd));
	cfg.initrd_path = ipath;

	/* Default: the lz4 payload is unpacked on the host, the ELF loaded
	 * where it was linked and startup_64 entered directly. */
	assert_int_equal(boot_load(&gm, &e820, &cfg, &g->res, g->err,
				   sizeof(g->err)), 0);
	bp = (const struct boot_params *)(ram + PLAT_ZERO_PAGE_ADDR);
	assert_true(g->res.unpacked);
	assert_int_equal(g->res.kernel_start, 0x1000000);	/* p_paddr */
	assert_int_equal(g->res.entry, 0x1000000);		/* e_entry */
	assert_true(g->res.initrd_start >= g->res.kernel_end);
	assert_int_equal(bp->hdr.ramdisk_image, g->res.initrd_start);
	assert_int_equal(bp->hdr.cmd_line_ptr, PLAT_CMDLINE_ADDR);
	assert_int_equal(bp->acpi_rsdp_addr, PLAT_ACPI_ADDR);
	assert_int_equal(bp->e820_entries, e820.nr);
	assert_memory_equal(ram + g->res.initrd_start, initrd, sizeof(initrd));
	/* ELF headers are not loaded: the entry holds startup_64's code. */
	assert_int_not_equal(ram[g->res.entry], 0);

	/* --guest-decompress: the classic bzImage path. */
	memset(ram, 0, 256 * MIB);
	cfg.guest_decompress = true;
	assert_int_equal(boot_load(&gm, &e820, &cfg, &g->res, g->err,
				   sizeof(g->err)), 0);
	assert_false(g->res.unpacked);
	assert_int_equal(g->res.kind, BOOT_LINUX64);
	assert_int_equal(g->res.kernel_start, bp->hdr.pref_address);
	assert_int_equal(g->res.entry, bp->hdr.pref_address + 0x200);
	assert_int_equal(g->res.kernel_end,
			 bp->hdr.pref_address + bp->hdr.init_size);
	assert_true(g->res.kernel_end <= 256 * MIB);
	assert_true(bp->hdr.version >= 0x020c);
	assert_true(g->res.initrd_start >= g->res.kernel_end);
	assert_int_equal(g->res.initrd_start + sizeof(initrd), 256 * MIB);
	assert_int_equal(bp->acpi_rsdp_addr, PLAT_ACPI_ADDR);
	assert_memory_equal(ram + g->res.initrd_start, initrd, sizeof(initrd));
	/* The 64-bit entry (startup_64) begins with cld; cli (fc fa). */
	assert_int_equal(ram[g->res.entry], 0xfc);
	unlink(ipath);
	free(ipath);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_probe, test_reset),
		cmocka_unit_test_setup(test_load_basic, test_reset),
		cmocka_unit_test_setup(test_no_initrd_empty_cmdline, test_reset),
		cmocka_unit_test_setup(test_initrd_addr_max, test_reset),
		cmocka_unit_test_setup(test_initrd_below_kernel, test_reset),
		cmocka_unit_test_setup(test_initrd_would_overlap_kernel,
				       test_reset),
		cmocka_unit_test_setup(test_initrd_too_big, test_reset),
		cmocka_unit_test_setup(test_relocate, test_reset),
		cmocka_unit_test_setup(test_empty, test_reset),
		cmocka_unit_test_setup(test_not_a_kernel, test_reset),
		cmocka_unit_test_setup(test_truncated, test_reset),
		cmocka_unit_test_setup(test_short_header, test_reset),
		cmocka_unit_test_setup(test_protocol_too_old, test_reset),
		cmocka_unit_test_setup(test_protocol_2_12_no_rsdp, test_reset),
		cmocka_unit_test_setup(test_no_64bit_entry, test_reset),
		cmocka_unit_test_setup(test_not_loaded_high, test_reset),
		cmocka_unit_test_setup(test_kernel_too_big, test_reset),
		cmocka_unit_test_setup(test_cmdline_limits, test_reset),
		cmocka_unit_test_setup(test_e820_many_entries, test_reset),
		cmocka_unit_test_setup(test_files, test_reset),
		cmocka_unit_test_setup(test_file_not_regular, test_reset),
		cmocka_unit_test_setup(test_debian_kernel, test_reset),
	};

	return cmocka_run_group_tests(tests, env_setup, env_teardown);
}
