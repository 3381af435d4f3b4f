// SPDX-License-Identifier: MIT
/*
 * acpi_dump NR_CPUS OUTDIR
 *
 * Build vmon's ACPI tables into a scratch guest RAM and write each one,
 * found by walking the pointers from the RSDP the way an OS would, to
 * OUTDIR/<SIG>.dat (RSDP.dat, XSDT.dat, RSDT.dat, FACP.dat, FACS.dat,
 * DSDT.dat, APIC.dat, ...): raw binary tables, as acpixtract writes them,
 * for `iasl -d`.  A second table with the same signature gets <SIG>2.dat.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi.h"
#include "core/guest_mem.h"

#define RAM_SIZE	(2u << 20)
#define HDR_LEN		36
#define RSDP_LEN	36
#define MAX_TABLES	64

struct dumper {
	const struct guest_mem *gm;
	const char *outdir;
	char seen[MAX_TABLES][4];
	unsigned int nr_seen;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int write_file(struct dumper *d, const char *sig, const void *data,
		      size_t len)
{
	char path[PATH_MAX], name[5];
	unsigned int dup = 1;
	FILE *f;
	size_t n;

	for (int i = 0; i < 4; i++) {
		char c = sig[i];

		/* Signatures are A-Z0-9 (and ' ' in "RSD PTR "); be strict. */
		name[i] = ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ?
				  c : '_';
	}
	name[4] = '\0';
	for (unsigned int i = 0; i < d->nr_seen; i++)
		if (!memcmp(d->seen[i], name, 4))
			dup++;
	if (d->nr_seen == MAX_TABLES) {
		fprintf(stderr, "acpi_dump: more than %d tables\n", MAX_TABLES);
		return -1;
	}
	memcpy(d->seen[d->nr_seen++], name, 4);

	if (dup > 1)
		n = (size_t)snprintf(path, sizeof(path), "%s/%s%u.dat",
				     d->outdir, name, dup);
	else
		n = (size_t)snprintf(path, sizeof(path), "%s/%s.dat",
				     d->outdir, name);
	if (n >= sizeof(path)) {
		fprintf(stderr, "acpi_dump: output path too long\n");
		return -1;
	}
	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "acpi_dump: cannot create %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	n = fwrite(data, 1, len, f);
	if (fclose(f) != 0 || n != len) {
		fprintf(stderr, "acpi_dump: short write to %s\n", path);
		return -1;
	}
	return 0;
}

/* The table at gpa, its length taken from its header (offset 4). */
static const uint8_t *table_at(struct dumper *d, uint64_t gpa, uint32_t *len)
{
	const uint8_t *p = gm_ptr(d->gm, gpa, 8);

	if (!p) {
		fprintf(stderr, "acpi_dump: no RAM at table gpa %#llx\n",
			(unsigned long long)gpa);
		return NULL;
	}
	*len = le32(p + 4);
	p = *len >= 8 ? gm_ptr(d->gm, gpa, *len) : NULL;
	if (!p)
		fprintf(stderr, "acpi_dump: bad table length %u at %#llx\n",
			*len, (unsigned long long)gpa);
	return p;
}

static int dump_table(struct dumper *d, uint64_t gpa);

/* FADT: its DSDT and FACS are not in the XSDT (sec. 5.2.9). */
static int dump_fadt_children(struct dumper *d, const uint8_t *fadt,
			      uint32_t len)
{
	uint64_t facs, dsdt;

	if (len < 148) {
		fprintf(stderr, "acpi_dump: FADT too short (%u)\n", len);
		return -1;
	}
	facs = le64(fadt + 132) ? le64(fadt + 132) : le32(fadt + 36);
	dsdt = le64(fadt + 140) ? le64(fadt + 140) : le32(fadt + 40);
	if (facs && dump_table(d, facs) < 0)
		return -1;
	if (dsdt && dump_table(d, dsdt) < 0)
		return -1;
	return 0;
}

static int dump_table(struct dumper *d, uint64_t gpa)
{
	const uint8_t *t;
	uint32_t len;

	t = table_at(d, gpa, &len);
	if (!t || write_file(d, (const char *)t, t, len) < 0)
		return -1;
	if (!memcmp(t, "FACP", 4))
		return dump_fadt_children(d, t, len);
	return 0;
}

/* XSDT (entry 8 bytes) or RSDT (4 bytes): dump it, then, if asked, its
 * entries. */
static int dump_sdt(struct dumper *d, uint64_t gpa, unsigned int entry,
		    int follow)
{
	const uint8_t *t;
	uint32_t len;

	t = table_at(d, gpa, &len);
	if (!t || len < HDR_LEN ||
	    write_file(d, (const char *)t, t, len) < 0)
		return -1;
	if (!follow)
		return 0;
	for (uint32_t off = HDR_LEN; off + entry <= len; off += entry) {
		uint64_t addr = entry == 8 ? le64(t + off) : le32(t + off);

		if (dump_table(d, addr) < 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct acpi_config cfg = { 0 };
	struct guest_mem gm;
	struct dumper d = { .gm = &gm };
	const uint8_t *rsdp;
	uint64_t rsdp_gpa, xsdt;
	uint32_t rsdt;
	unsigned long n;
	char *end;
	void *ram;
	int ret;

	if (argc != 3 && !(argc == 4 && !strcmp(argv[3], "pci"))) {
		fprintf(stderr, "usage: acpi_dump NR_CPUS OUTDIR [pci]\n");
		return 2;
	}
	cfg.pci = argc == 4;	/* PCI root, MCFG, ECAM reservation */
	errno = 0;
	n = strtoul(argv[1], &end, 0);
	if (errno || *end || end == argv[1] || n > UINT_MAX) {
		fprintf(stderr, "acpi_dump: bad NR_CPUS '%s'\n", argv[1]);
		return 2;
	}
	cfg.nr_cpus = (unsigned int)n;
	d.outdir = argv[2];

	ram = calloc(1, RAM_SIZE);
	if (!ram || gm_init_buffer(&gm, ram, RAM_SIZE) < 0) {
		fprintf(stderr, "acpi_dump: out of memory\n");
		return 1;
	}
	ret = acpi_build(&gm, &cfg, &rsdp_gpa);
	if (ret < 0) {
		fprintf(stderr, "acpi_dump: acpi_build(%u cpus): %s\n",
			cfg.nr_cpus, strerror(-ret));
		free(ram);
		return 1;
	}

	ret = 1;
	rsdp = gm_ptr(&gm, rsdp_gpa, RSDP_LEN);
	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8)) {
		fprintf(stderr, "acpi_dump: no RSDP at %#llx\n",
			(unsigned long long)rsdp_gpa);
		goto out;
	}
	if (write_file(&d, "RSDP", rsdp, RSDP_LEN) < 0)
		goto out;
	rsdt = le32(rsdp + 16);
	xsdt = le64(rsdp + 24);
	/* Follow the XSDT as an ACPI 2.0+ OS does; dump the RSDT alone. */
	if (xsdt && dump_sdt(&d, xsdt, 8, 1) < 0)
		goto out;
	if (rsdt && dump_sdt(&d, rsdt, 4, !xsdt) < 0)
		goto out;
	ret = 0;
out:
	free(ram);
	return ret;
}
