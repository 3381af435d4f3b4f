/* SPDX-License-Identifier: MIT */
/*
 * Writing without blocking to a descriptor vmon was handed (stdout, a
 * file the operator named), without changing what its other users see.
 *
 * O_NONBLOCK belongs to the open file description, which stdout shares
 * with stderr (2>&1), with stdin on a terminal, and with the shell that
 * started vmon: setting it there would make their reads and writes fail
 * with EAGAIN, and stay set if vmon died.  So:
 *   - a pipe, FIFO or terminal is opened again through /proc/self/fd:
 *     a description of our own, non-blocking, the terminal's settings
 *     (raw mode) unchanged since they belong to the tty;
 *   - a socket gets send(MSG_DONTWAIT) per call;
 *   - a regular file or block device is written as it is: such writes do
 *     not wait for a reader (and epoll refuses those files anyway);
 *   - when the reopen fails (no /proc, a tty we may not open), O_NONBLOCK
 *     is set on the shared description and put back by outfd_close.
 */
#ifndef VMON_LIB_OUTFD_H
#define VMON_LIB_OUTFD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct outfd {
	int fd;			/* what to write to; -1: closed */
	int orig;		/* the descriptor we were handed */
	bool own;		/* fd is our reopen: outfd_close closes it */
	bool sock;		/* send(MSG_DONTWAIT) */
	int restore_flags;	/* -1, or orig's F_GETFL to put back */
};

/* Set w up for writing to fd (not taken over).  0 or -errno. */
int outfd_open(struct outfd *w, int fd);
/* Bytes written, or -errno (-EAGAIN: full, try when writable). */
ssize_t outfd_write(struct outfd *w, const void *buf, size_t n);
void outfd_close(struct outfd *w);

#endif
