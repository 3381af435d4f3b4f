/* SPDX-License-Identifier: MIT */
/* Numbers and sizes as the command lines and the control command take them. */
#ifndef VMON_LIB_PARSE_H
#define VMON_LIB_PARSE_H

#include <stdint.h>

/*
 * "256M", "1G", "131072K", "268435456B" or a plain number of MiB.
 * 0 or -EINVAL (syntax) or -ERANGE (overflow).
 */
int parse_size(const char *s, uint64_t *bytes);

/* Decimal unsigned in [min, max].  0, -EINVAL or -ERANGE. */
int parse_uint(const char *s, unsigned long min, unsigned long max,
	       unsigned long *out);

#endif
