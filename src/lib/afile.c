// SPDX-License-Identifier: MIT
#include "lib/afile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>

static void afile_release(struct afile *af)
{
	if (af->fd >= 0)
		close(af->fd);
	free(af->path);
	free(af->tmp);
	af->fd = -1;
	af->path = NULL;
	af->tmp = NULL;
}

int afile_open(struct afile *af, const char *path, const char *what,
	       struct vmon_err *e)
{
	int ret;

	*af = (struct afile){ .fd = -1, .what = what };
	if (!path || !*path)
		return err_set(e, ERR_USAGE, -EINVAL, "%s: no path given",
			       what);
	af->path = strdup(path);
	/* mkostemp's unique name: two writers of one path cannot collide. */
	if (!af->path || asprintf(&af->tmp, "%s.tmp-XXXXXX", path) < 0) {
		af->tmp = NULL;
		ret = err_set(e, ERR_HOST, -ENOMEM, "%s %s: out of memory",
			      what, path);
		goto fail;
	}
	af->fd = mkostemp(af->tmp, O_CLOEXEC);
	if (af->fd < 0) {
		ret = -errno;
		err_set(e, ERR_USAGE, ret, "cannot create %s %s (temporary %s): "
			"%s", what, path, af->tmp, strerror(-ret));
		goto fail;
	}
	return 0;
fail:
	afile_release(af);
	return ret;
}

static int write_failed(struct afile *af, int ret, struct vmon_err *e)
{
	return err_set(e, ERR_HOST, ret, "cannot write %s %s: %s", af->what,
		       af->path, strerror(-ret));
}

int afile_pwrite(struct afile *af, const void *buf, size_t len, off_t off,
		 struct vmon_err *e)
{
	const char *p = buf;

	while (len) {
		struct iovec iov = { (void *)p, len };
		/* pwritev2, not pwrite: the one the VMM thread's filter has. */
		ssize_t n = off < 0 ? write(af->fd, p, len)
				    : pwritev2(af->fd, &iov, 1, off, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return write_failed(af, -errno, e);
		if (n == 0)	/* a zero write makes no progress: say full */
			return write_failed(af, -ENOSPC, e);
		p += n;
		len -= (size_t)n;
		if (off >= 0)
			off += n;
	}
	return 0;
}

int afile_write(struct afile *af, const void *buf, size_t len,
		struct vmon_err *e)
{
	return afile_pwrite(af, buf, len, -1, e);
}

/* fsync the directory path is in, so the rename itself is durable. */
static int sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, ret = 0;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fdatasync(fd) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(dir);
	return ret;
}

int afile_commit(struct afile *af, struct vmon_err *e)
{
	int ret, fd = af->fd;

	/*
	 * Delayed allocation reports ENOSPC or EIO here, not at write.
	 * fdatasync: the data and the size, all a reader needs (and the
	 * call the VMM thread's filter already has for guest flushes).
	 */
	if (fdatasync(fd) < 0) {
		ret = write_failed(af, -errno, e);
		goto fail;
	}
	af->fd = -1;
	if (close(fd) < 0) {	/* network file systems report late too */
		ret = write_failed(af, -errno, e);
		goto fail;
	}
	if (rename(af->tmp, af->path) < 0) {
		ret = -errno;
		err_set(e, ERR_USAGE, ret, "cannot put %s in place at %s: %s",
			af->what, af->path, strerror(-ret));
		goto fail;
	}
	ret = sync_dir(af->path);
	if (ret)
		err_set(e, ERR_HOST, ret, "%s %s is written, but its directory "
			"could not be synced: %s", af->what, af->path,
			strerror(-ret));
	afile_release(af);
	return ret;
fail:
	afile_discard(af);
	return ret;
}

void afile_discard(struct afile *af)
{
	if (af->tmp)
		unlink(af->tmp);
	afile_release(af);
}
