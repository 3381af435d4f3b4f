// SPDX-License-Identifier: MIT
/*
 * Kernel loading front end: read the kernel and initrd files with a size
 * cap, recognise the format and hand the bytes to the bzImage or PVH
 * loader.  Also the helpers both loaders share (messages, command line,
 * initrd placement).
 */
#include "arch/x86/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86/platform.h"

#define MIB		(1024ULL * 1024)
#define PAGE_SIZE	4096ULL
#define READ_CHUNK	(1ULL << 20)

int boot_error(char *err, size_t errlen, const char *name, int rc,
	       const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!err || errlen == 0)
		return rc;
	if (name)
		n = snprintf(err, errlen, "%s: ", name);
	if (n < 0 || (size_t)n >= errlen)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

int boot_cmdline_check(const struct boot_image *img, uint64_t max,
		       size_t *len, char *err, size_t errlen)
{
	const char *s = img->cmdline ? img->cmdline : "";
	size_t n = strlen(s);

	if (max > PLAT_CMDLINE_MAX)
		max = PLAT_CMDLINE_MAX;
	if (max == 0 || n > max - 1)
		return boot_error(err, errlen, img->kernel_name, -E2BIG,
				  "command line is %zu bytes but the kernel "
				  "accepts at most %llu", n,
				  (unsigned long long)(max ? max - 1 : 0));
	*len = n;
	return 0;
}

int boot_cmdline_write(const struct guest_mem *gm,
		       const struct boot_image *img, size_t len)
{
	const char *s = img->cmdline ? img->cmdline : "";
	uint8_t *p = gm_ptr(gm, PLAT_CMDLINE_ADDR, (uint64_t)len + 1);

	if (!p)
		return -EFAULT;
	memcpy(p, s, len);
	p[len] = '\0';
	return 0;
}

bool boot_range_is_ram(const struct guest_mem *gm, const struct e820_map *e820,
		       uint64_t gpa, uint64_t len)
{
	unsigned int nr = e820->nr < E820_MAX_ENTRIES ? e820->nr
						       : E820_MAX_ENTRIES;
	uint64_t end;

	if (len == 0 || __builtin_add_overflow(gpa, len, &end))
		return false;
	if (!gm_is_ram(gm, gpa, len))
		return false;
	for (unsigned int i = 0; i < nr; i++) {
		const struct e820_entry *e = &e820->entry[i];
		uint64_t e_end;

		if (e->type != E820_RAM)
			continue;
		if (__builtin_add_overflow(e->addr, e->size, &e_end))
			e_end = UINT64_MAX;
		if (gpa >= e->addr && end <= e_end)
			return true;
	}
	return false;
}

int boot_place_initrd(const struct guest_mem *gm, const struct e820_map *e820,
		      uint64_t size, uint64_t limit, uint64_t avoid_start,
		      uint64_t avoid_end, uint64_t *gpa)
{
	unsigned int nr = e820->nr < E820_MAX_ENTRIES ? e820->nr
						       : E820_MAX_ENTRIES;
	bool found = false;
	uint64_t best = 0;

	if (size == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < nr; i++) {
		const struct e820_entry *e = &e820->entry[i];
		uint64_t lo, hi;

		if (e->type != E820_RAM)
			continue;
		lo = e->addr > PLAT_HIGH_RAM_START ? e->addr
						   : PLAT_HIGH_RAM_START;
		if (__builtin_add_overflow(e->addr, e->size, &hi))
			hi = UINT64_MAX;
		if (hi > limit)
			hi = limit;
		/*
		 * Two tries: the highest spot, then the highest spot below
		 * the avoided range if the first one overlapped it.
		 */
		for (int try = 0; try < 2; try++) {
			uint64_t cand;

			if (hi < lo || hi - lo < size)
				break;
			cand = (hi - size) & ~(PAGE_SIZE - 1);
			if (cand < lo)
				break;
			/* cand + size <= hi: no overflow. */
			if (cand < avoid_end && cand + size > avoid_start) {
				hi = avoid_start;
				continue;
			}
			if (gm_is_ram(gm, cand, size) &&
			    (!found || cand > best)) {
				best = cand;
				found = true;
			}
			break;
		}
	}
	if (!found)
		return -ENOMEM;
	*gpa = best;
	return 0;
}

/*
 * Read a whole file into a malloc'd buffer, refusing anything larger than
 * cap bytes before reading it all.  Handles short reads and EINTR, and
 * files that are not regular (pipes) or that grow while being read.
 */
static int read_file(const char *path, uint64_t cap, uint8_t **out,
		     size_t *outlen, char *err, size_t errlen)
{
	uint8_t *buf = NULL;
	size_t alloc, got = 0;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return boot_error(err, errlen, path, -errno, "cannot open: %s",
				  strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = boot_error(err, errlen, path, -errno, "cannot stat: %s",
				strerror(errno));
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = boot_error(err, errlen, path, -EISDIR,
				"is a directory, not a file");
		goto out_close;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > cap) {
		rc = boot_error(err, errlen, path, -EFBIG,
				"file is %llu MiB but guest RAM is only %llu "
				"MiB; give the guest more memory",
				(unsigned long long)(st.st_size + MIB - 1) / MIB,
				(unsigned long long)(cap / MIB));
		goto out_close;
	}
	/* One byte more than expected, to see EOF (or growth) in one go. */
	alloc = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : READ_CHUNK;
	buf = malloc(alloc);
	if (!buf) {
		rc = boot_error(err, errlen, path, -ENOMEM,
				"cannot allocate %zu bytes to read it", alloc);
		goto out_close;
	}
	for (;;) {
		ssize_t n;

		if (got == alloc) {
			size_t want = alloc + READ_CHUNK;
			uint8_t *nb;

			if ((uint64_t)want > cap + 1)
				want = (size_t)cap + 1;
			nb = realloc(buf, want);
			if (!nb) {
				rc = boot_error(err, errlen, path, -ENOMEM,
						"cannot allocate %zu bytes to "
						"read it", want);
				goto out_free;
			}
			buf = nb;
			alloc = want;
		}
		n = read(fd, buf + got, alloc - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = boot_error(err, errlen, path, -errno,
					"read failed: %s", strerror(errno));
			goto out_free;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if ((uint64_t)got > cap) {
			rc = boot_error(err, errlen, path, -EFBIG,
					"file is larger than guest RAM (%llu "
					"MiB); give the guest more memory",
					(unsigned long long)(cap / MIB));
			goto out_free;
		}
	}
	if (got == 0) {
		rc = boot_error(err, errlen, path, -ENOEXEC, "file is empty");
		goto out_free;
	}
	close(fd);
	*out = buf;
	*outlen = got;
	return 0;

out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}

int boot_load(const struct guest_mem *gm, const struct e820_map *e820,
	      const struct boot_config *cfg, struct boot_result *res,
	      char *err, size_t errlen)
{
	struct boot_image img = {
		.cmdline = cfg->cmdline,
		.rsdp_gpa = cfg->rsdp_gpa,
		.kernel_name = cfg->kernel_path,
		.initrd_name = cfg->initrd_path,
		.guest_decompress = cfg->guest_decompress,
	};
	uint8_t *kernel = NULL, *initrd = NULL;
	int rc;

	if (!cfg->kernel_path)
		return boot_error(err, errlen, NULL, -EINVAL,
				  "no kernel given");
	rc = read_file(cfg->kernel_path, gm->ram_size, &kernel,
		       &img.kernel_size, err, errlen);
	if (rc < 0)
		return rc;
	img.kernel = kernel;
	if (cfg->initrd_path) {
		rc = read_file(cfg->initrd_path, gm->ram_size, &initrd,
			       &img.initrd_size, err, errlen);
		if (rc < 0)
			goto out;
		img.initrd = initrd;
	}
	rc = boot_load_image(gm, e820, &img, res, err, errlen);
out:
	free(initrd);
	free(kernel);
	return rc;
}

int boot_load_image(const struct guest_mem *gm, const struct e820_map *e820,
		    const struct boot_image *img, struct boot_result *res,
		    char *err, size_t errlen)
{
	const uint8_t *k = img->kernel;

	if (!k || img->kernel_size == 0)
		return boot_error(err, errlen, img->kernel_name, -ENOEXEC,
				  "kernel image is empty");
	if (bzimage_probe(k, img->kernel_size))
		return bzimage_load(gm, e820, img, res, err, errlen);
	if (pvh_probe(k, img->kernel_size))
		return pvh_load(gm, e820, img, res, err, errlen);
	if (img->kernel_size < 4)
		return boot_error(err, errlen, img->kernel_name, -ENOEXEC,
				  "not a bzImage or PVH ELF kernel (only %zu "
				  "bytes)", img->kernel_size);
	return boot_error(err, errlen, img->kernel_name, -ENOEXEC,
			  "not a bzImage or PVH ELF kernel (starts with "
			  "%02x %02x %02x %02x)", k[0], k[1], k[2], k[3]);
}
