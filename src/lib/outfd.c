// SPDX-License-Identifier: MIT
#include "lib/outfd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int outfd_open(struct outfd *w, int fd)
{
	char path[32];
	struct stat st;
	int fl;

	*w = (struct outfd){ .fd = fd, .orig = fd, .restore_flags = -1 };
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return 0;
	if (S_ISSOCK(st.st_mode)) {
		w->sock = true;
		return 0;
	}
	/* O_NOCTTY: a terminal opened again must not become our ctty. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	w->fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (w->fd >= 0) {
		w->own = true;
		return 0;
	}
	w->fd = fd;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK)) {
		if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
			return -errno;
		w->restore_flags = fl;
	}
	return 0;
}

ssize_t outfd_write(struct outfd *w, const void *buf, size_t n)
{
	ssize_t r;

	if (w->fd < 0)
		return -EBADF;
	/* SIGPIPE is ignored by vmon; MSG_NOSIGNAL keeps it so anyway. */
	r = w->sock ? send(w->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL)
		    : write(w->fd, buf, n);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return r;
}

void outfd_close(struct outfd *w)
{
	if (w->fd < 0)
		return;
	if (w->own)
		close(w->fd);
	if (w->restore_flags >= 0)
		fcntl(w->orig, F_SETFL, w->restore_flags);
	*w = (struct outfd){ .fd = -1, .orig = -1, .restore_flags = -1 };
}
