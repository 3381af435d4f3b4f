/* SPDX-License-Identifier: MIT */
/*
 * Byte ranges of an iovec array: copying into and out of them at an
 * offset, and describing a sub-range as iovecs of its own (a packet's
 * payload after its header) without copying.  The one place that walks
 * iovecs by offset.
 */
#ifndef VMON_LIB_IOV_H
#define VMON_LIB_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* Copy up to len bytes from offset off of iov[0 .. n) to dst: bytes. */
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off,
		  void *dst, size_t len);
/* Copy up to len bytes of src to offset off of iov[0 .. n): bytes. */
size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off,
		    const void *src, size_t len);
/*
 * Bytes [off, off + len) of iov[0 .. n) (len may be SIZE_MAX: to the end)
 * as at most cap iovecs in out, pointing into the same buffers.  Returns
 * how many were used.
 */
unsigned int iov_slice(const struct iovec *iov, unsigned int n, size_t off,
		       size_t len, struct iovec *out, unsigned int cap);

#endif
