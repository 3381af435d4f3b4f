// SPDX-License-Identifier: MIT
/*
 * smbios_dump NR_CPUS OUTDIR
 *
 * Build vmon's SMBIOS tables as `dmidecode --dump-bin` lays out a dump
 * (entry point at offset 0, table addresses being file offsets), for
 * `dmidecode --from-dump`: OUTDIR/smbios3.bin starts with the 64-bit
 * "_SM3_" entry point, OUTDIR/smbios2.bin with the 32-bit "_SM_" one.
 * The guest is fixed: 3 GiB below the MMIO hole and 1 GiB above 4 GiB,
 * an AMD EPYC CPUID, UUID 00112233-4455-6677-8899-aabbccddeeff.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/platform.h"
#include "arch/x86/smbios.h"

#define GIB		(1ull << 30)

static int write_file(const char *dir, const char *name, const void *data,
		      size_t len)
{
	char path[PATH_MAX];
	FILE *f;
	size_t n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		fprintf(stderr, "smbios_dump: output path too long\n");
		return -1;
	}
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "smbios_dump: cannot create %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	n = fwrite(data, 1, len, f);
	if (fclose(f) != 0 || n != len) {
		fprintf(stderr, "smbios_dump: short write to %s\n", path);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct smbios_ram ram[] = {
		{ 0, 3 * GIB },
		{ PLAT_HIGH_MEM_START, 1 * GIB },
	};
	static const uint8_t uuid[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
					  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
					  0xcc, 0xdd, 0xee, 0xff };
	struct smbios_config cfg = {
		.cpu_manufacturer = "AuthenticAMD",
		.cpu_version = "AMD EPYC Processor",
		.cpu_signature = 0x00830f10,	/* family 0x17 model 0x31 */
		.cpu_features = 0x178bfbff,
	};
	uint8_t *buf;
	size_t used;
	unsigned long n;
	char *end;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: smbios_dump NR_CPUS OUTDIR\n");
		return 2;
	}
	errno = 0;
	n = strtoul(argv[1], &end, 0);
	if (errno || *end || end == argv[1] || n > UINT_MAX) {
		fprintf(stderr, "smbios_dump: bad NR_CPUS '%s'\n", argv[1]);
		return 2;
	}
	cfg.nr_cpus = (unsigned int)n;
	memcpy(cfg.uuid, uuid, sizeof(uuid));

	buf = calloc(1, PLAT_SMBIOS_MAX);
	if (!buf) {
		fprintf(stderr, "smbios_dump: out of memory\n");
		return 1;
	}
	/* Seen at address 0, the table's address is its offset in the file. */
	ret = smbios_write(buf, PLAT_SMBIOS_MAX, 0, &cfg, ram, 2, &used);
	if (ret < 0) {
		fprintf(stderr, "smbios_dump: smbios_write(%u cpus): %s\n",
			cfg.nr_cpus, strerror(-ret));
		free(buf);
		return 1;
	}
	ret = 1;
	if (write_file(argv[2], "smbios3.bin", buf, used) < 0)
		goto out;
	/* The 32-bit entry point moved to offset 0; its table stays put. */
	memmove(buf + SMBIOS_EP3_OFFSET, buf + SMBIOS_EP2_OFFSET,
		SMBIOS_TABLE_OFFSET - SMBIOS_EP2_OFFSET);
	memset(buf + SMBIOS_EP2_OFFSET, 0,
	       SMBIOS_TABLE_OFFSET - SMBIOS_EP2_OFFSET);
	if (write_file(argv[2], "smbios2.bin", buf, used) < 0)
		goto out;
	ret = 0;
out:
	free(buf);
	return ret;
}
