// SPDX-License-Identifier: MIT
#include "lib/iov.h"

#include <stdint.h>
#include <string.h>

/* The part of iov[i] at *off, up to *left bytes; advances both. */
static size_t piece(const struct iovec *v, size_t *off, size_t left)
{
	size_t n;

	if (*off >= v->iov_len) {
		*off -= v->iov_len;
		return 0;
	}
	n = v->iov_len - *off;
	return n < left ? n : left;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t off,
		  void *dst, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t k = piece(&iov[i], &off, len - done);

		if (!k)
			continue;
		memcpy((uint8_t *)dst + done, (uint8_t *)iov[i].iov_base + off,
		       k);
		done += k;
		off = 0;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t off,
		    const void *src, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t k = piece(&iov[i], &off, len - done);

		if (!k)
			continue;
		memcpy((uint8_t *)iov[i].iov_base + off,
		       (const uint8_t *)src + done, k);
		done += k;
		off = 0;
	}
	return done;
}

unsigned int iov_slice(const struct iovec *iov, unsigned int n, size_t off,
		       size_t len, struct iovec *out, unsigned int cap)
{
	unsigned int used = 0;

	for (unsigned int i = 0; i < n && len && used < cap; i++) {
		size_t k = piece(&iov[i], &off, len);

		if (!k)
			continue;
		out[used++] = (struct iovec){
			.iov_base = (uint8_t *)iov[i].iov_base + off,
			.iov_len = k,
		};
		len -= k;
		off = 0;
	}
	return used;
}
