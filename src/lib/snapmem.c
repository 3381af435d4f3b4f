// SPDX-License-Identifier: MIT
/*
 * The snapshot's memory file: guest RAM byte for byte, zero pages left
 * as holes, so a mostly idle 1 GiB guest costs the disk what it touched.
 * Restore maps it private: the guest's writes never reach the file.
 */
#include "lib/snapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/afile.h"

/* All zero: the first 8 bytes are, and every byte equals the one 8 on. */
static bool all_zero(const uint8_t *p, size_t n)
{
	uint64_t head = 0;

	if (n < 8) {
		while (n)
			if (p[--n])
				return false;
		return true;
	}
	memcpy(&head, p, 8);
	return !head && !memcmp(p, p + 8, n - 8);
}

int snap_mem_write(const char *path, const void *ram, size_t len,
		   struct vmon_err *e)
{
	const uint8_t *base = ram;
	struct afile af;
	size_t off = 0;
	int ret;

	if (len > INT64_MAX)
		return err_set(e, ERR_HOST, -EFBIG, "memory file %s: %zu bytes "
			       "is too large", path, len);
	ret = afile_open(&af, path, "memory file", e);
	if (ret)
		return ret;
	ret = 0;
	while (!ret && off < len) {
		size_t start, n = len - off < SNAP_PAGE_SIZE ? len - off
							     : SNAP_PAGE_SIZE;

		if (all_zero(base + off, n)) {
			off += n;
			continue;
		}
		/* One write for a run of non-zero pages. */
		start = off;
		do {
			off += n;
			n = len - off < SNAP_PAGE_SIZE ? len - off
						       : SNAP_PAGE_SIZE;
		} while (off < len && !all_zero(base + off, n));
		ret = afile_pwrite(&af, base + start, off - start,
				   (off_t)start, e);
	}
	/*
	 * The file's size: its last byte written (a zero, in the last page
	 * when that page is a hole) rather than ftruncate first, which the
	 * VMM thread's seccomp filter does not need then (docs/sandbox.md).
	 * What is never written stays a hole either way.
	 */
	if (!ret && len && all_zero(base + (len - 1) / SNAP_PAGE_SIZE *
				    SNAP_PAGE_SIZE,
				    len - (len - 1) / SNAP_PAGE_SIZE *
				    SNAP_PAGE_SIZE))
		ret = afile_pwrite(&af, base + len - 1, 1, (off_t)(len - 1), e);
	if (ret) {
		afile_discard(&af);
		return ret;
	}
	return afile_commit(&af, e);
}

static bool page_set(const uint64_t *pages, size_t pg)
{
	return pages[pg / 64] >> (pg % 64) & 1;
}

int snap_mem_write_diff(const char *path, const void *ram, size_t len,
			const uint64_t *pages, struct vmon_err *e)
{
	const uint8_t *base = ram;
	size_t npages = (len + SNAP_PAGE_SIZE - 1) / SNAP_PAGE_SIZE;
	struct afile af;
	int ret;

	if (len > INT64_MAX)
		return err_set(e, ERR_HOST, -EFBIG, "memory file %s: %zu bytes "
			       "is too large", path, len);
	ret = afile_open(&af, path, "diff memory file", e);
	if (ret)
		return ret;
	ret = 0;
	for (size_t pg = 0; !ret && pg < npages;) {
		size_t end = pg, off, n;

		if (!page_set(pages, pg)) {
			pg++;
			continue;
		}
		while (end < npages && page_set(pages, end))
			end++;
		/* One write per run of dirty pages. */
		off = pg * SNAP_PAGE_SIZE;
		n = (end * SNAP_PAGE_SIZE < len ? end * SNAP_PAGE_SIZE : len) - off;
		ret = afile_pwrite(&af, base + off, n, (off_t)off, e);
		pg = end;
	}
	if (ret) {
		afile_discard(&af);
		return ret;
	}
	return afile_commit(&af, e);
}

static int copy_extent(int from, int to, off_t off, off_t end, uint8_t *buf,
		       size_t bufsz, const char *diff, const char *base,
		       struct vmon_err *e)
{
	while (off < end) {
		size_t want = (size_t)(end - off) < bufsz ? (size_t)(end - off)
							  : bufsz;
		ssize_t n = pread(from, buf, want, off), w;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(e, ERR_HOST, n < 0 ? -errno : -EIO,
				       "diff memory file %s: cannot read at "
				       "%lld: %s", diff, (long long)off,
				       n < 0 ? strerror(errno) : "end of file");
		for (ssize_t done = 0; done < n; done += w) {
			w = pwrite(to, buf + done, (size_t)(n - done),
				   off + done);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0)
				return err_set(e, ERR_HOST,
					       w < 0 ? -errno : -EIO,
					       "memory file %s: cannot write "
					       "at %lld: %s", base,
					       (long long)(off + done),
					       w < 0 ? strerror(errno)
						     : "short write");
		}
		off += n;
	}
	return 0;
}

int snap_mem_rebase(const char *base_path, const char *diff_path,
		    uint64_t *copied, struct vmon_err *e)
{
	enum { BUF = 1 << 20 };
	struct stat bs, ds;
	uint8_t *buf = NULL;
	int from, to = -1, ret;
	off_t off = 0;

	*copied = 0;
	from = open(diff_path, O_RDONLY | O_CLOEXEC);
	if (from < 0)
		return err_set(e, ERR_USAGE, -errno, "diff memory file %s: "
			       "cannot open: %s", diff_path, strerror(errno));
	to = open(base_path, O_WRONLY | O_CLOEXEC);
	if (to < 0) {
		ret = err_set(e, ERR_USAGE, -errno, "memory file %s: cannot "
			      "open: %s", base_path, strerror(errno));
		goto out;
	}
	if (fstat(from, &ds) < 0 || fstat(to, &bs) < 0) {
		ret = err_set(e, ERR_HOST, -errno, "cannot stat the memory "
			      "files: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(ds.st_mode) || !S_ISREG(bs.st_mode)) {
		ret = err_set(e, ERR_USAGE, -EINVAL, "%s: not a regular file",
			      S_ISREG(ds.st_mode) ? base_path : diff_path);
		goto out;
	}
	if (ds.st_size > bs.st_size) {
		ret = err_set(e, ERR_USAGE, -EINVAL, "diff memory file %s is "
			      "%lld bytes, longer than the memory file %s "
			      "(%lld): not a diff of it", diff_path,
			      (long long)ds.st_size, base_path,
			      (long long)bs.st_size);
		goto out;
	}
	if (!(buf = malloc(BUF))) {
		ret = err_set(e, ERR_HOST, -ENOMEM, "out of memory");
		goto out;
	}
	ret = 0;
	while (!ret && off < ds.st_size) {
		off_t data = lseek(from, off, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;		/* only a hole is left */
		if (data < 0 || (hole = lseek(from, data, SEEK_HOLE)) < 0) {
			ret = err_set(e, ERR_HOST, -errno, "diff memory file "
				      "%s: cannot find its data: %s", diff_path,
				      strerror(errno));
			break;
		}
		ret = copy_extent(from, to, data, hole, buf, BUF, diff_path,
				  base_path, e);
		*copied += (uint64_t)(hole - data);
		off = hole;
	}
	if (!ret && fdatasync(to) < 0)
		ret = err_set(e, ERR_HOST, -errno, "memory file %s: fdatasync: "
			      "%s", base_path, strerror(errno));
out:
	free(buf);
	if (to >= 0)
		close(to);
	close(from);
	return ret;
}

int snap_mem_open(const char *path, uint64_t size, int *fd,
		  struct vmon_err *e)
{
	struct stat st;
	int f, ret;

	*fd = -1;
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return err_set(e, ERR_USAGE, -errno, "memory file %s: cannot "
			       "open: %s", path, strerror(errno));
	if (fstat(f, &st) < 0) {
		ret = -errno;
		err_set(e, ERR_USAGE, ret, "memory file %s: cannot stat: %s",
			path, strerror(-ret));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = err_set(e, ERR_USAGE, -EINVAL, "memory file %s: not a "
			      "regular file", path);
		goto fail;
	}
	/* Shorter would fault the guest later; longer is another file. */
	if ((uint64_t)st.st_size != size) {
		ret = err_set(e, ERR_USAGE, -EINVAL, "memory file %s: %lld "
			      "bytes, but the snapshot's RAM is %llu: %s", path,
			      (long long)st.st_size, (unsigned long long)size,
			      (uint64_t)st.st_size < size
				      ? "truncated, or not this snapshot's"
				      : "not this snapshot's memory file");
		goto fail;
	}
	*fd = f;
	return 0;
fail:
	close(f);
	return ret;
}

int snap_mem_map(int fd, uint64_t size, void **out, struct vmon_err *e)
{
	void *p;

	*out = NULL;
	if (size == 0 || size > SIZE_MAX)
		return err_set(e, ERR_USAGE, -EINVAL, "memory file: cannot map "
			       "%llu bytes", (unsigned long long)size);
	/* NORESERVE: only pages the guest writes cost swap, as with RAM. */
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_NORESERVE, fd, 0);
	if (p == MAP_FAILED)
		return err_set(e, ERR_HOST, -errno, "memory file: cannot map "
			       "%llu bytes: %s", (unsigned long long)size,
			       strerror(errno));
	*out = p;
	return 0;
}
