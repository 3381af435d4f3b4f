/* SPDX-License-Identifier: MIT */
/*
 * Host-side decompression of a bzImage's payload (the compressed vmlinux
 * ELF that the kernel's own decompressor would unpack in the guest).
 * Doing it on the host skips the decompressor entirely: on hosts whose
 * KVM emulates guest kernel code that is most of the boot time, and on
 * every host it is a share of it.  Formats: gzip, xz, lz4 (legacy
 * frames), zstd — what Linux's "compressed/Makefile" produces; every
 * payload ends with the 32-bit little-endian uncompressed size.
 */
#ifndef VMON_ARCH_X86_KUNPACK_H
#define VMON_ARCH_X86_KUNPACK_H

#include <stddef.h>
#include <stdint.h>

enum kunpack_format {
	KUNPACK_UNKNOWN,
	KUNPACK_GZIP,
	KUNPACK_XZ,
	KUNPACK_LZ4,
	KUNPACK_ZSTD,
};

enum kunpack_format kunpack_detect(const uint8_t *p, size_t len);
const char *kunpack_format_name(enum kunpack_format f);

/*
 * Decompress payload[0..len) into a malloc'd buffer of at most max_out
 * bytes.  0 on success; -ENOTSUP for a format we do not handle (the
 * caller falls back to the guest's decompressor); -EINVAL, -EFBIG or
 * -ENOMEM with a message in err otherwise.
 */
int kunpack(const uint8_t *payload, size_t len, size_t max_out, uint8_t **out,
	    size_t *out_len, char *err, size_t errlen);

#endif
