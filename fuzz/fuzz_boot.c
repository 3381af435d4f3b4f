// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the kernel loaders: the input is a kernel image
 * (bzImage, ELF or anything else) handed to boot_load_image() with a small
 * guest.  The first two bytes pick the initrd size and the command line
 * length so placement and limits get exercised too.  See fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "arch/x86/platform.h"
#include "core/guest_mem.h"

#define RAM_SIZE	(32ULL << 20)
#define INITRD_UNIT	(128ULL << 10)	/* byte 0 * 128 KiB: up to ~32 MiB */
#define CMDLINE_UNIT	300		/* byte 1 * 300 bytes: up to 76 KB */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *ram;
static uint8_t *initrd;
static char *cmdline;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem gm;
	struct e820_map e820;
	struct boot_result res;
	struct boot_image img;
	char err[256];
	size_t initrd_size, cmdline_len;

	if (!ram) {
		ram = malloc(RAM_SIZE);
		initrd = calloc(1, 255 * INITRD_UNIT);
		cmdline = malloc(255 * CMDLINE_UNIT + 1);
		if (!ram || !initrd || !cmdline)
			abort();
		memset(cmdline, 'c', 255 * CMDLINE_UNIT);
	}
	if (size < 2)
		return 0;
	initrd_size = data[0] * INITRD_UNIT;
	cmdline_len = data[1] * CMDLINE_UNIT;
	cmdline[cmdline_len] = '\0';

	if (gm_init_buffer(&gm, ram, RAM_SIZE) < 0)
		abort();
	e820_build(&gm, &e820);
	img = (struct boot_image){
		.kernel = data + 2,
		.kernel_size = size - 2,
		.initrd = initrd_size ? initrd : NULL,
		.initrd_size = initrd_size,
		.cmdline = cmdline,
		.rsdp_gpa = PLAT_ACPI_ADDR,
	};
	err[0] = '\0';
	if (boot_load_image(&gm, &e820, &img, &res, err, sizeof(err)) == 0) {
		/* A success must describe something inside guest RAM. */
		if (!gm_is_ram(&gm, res.boot_info, 1) ||
		    res.kernel_start >= res.kernel_end ||
		    !gm_is_ram(&gm, res.kernel_start,
			       res.kernel_end - res.kernel_start) ||
		    (res.initrd_size &&
		     !gm_is_ram(&gm, res.initrd_start, res.initrd_size)) ||
		    (res.initrd_size &&
		     res.initrd_start < res.kernel_end &&
		     res.initrd_start + res.initrd_size > res.kernel_start))
			abort();
	} else if (err[0] == '\0') {
		abort();	/* every failure explains itself */
	}
	cmdline[cmdline_len] = 'c';
	return 0;
}
