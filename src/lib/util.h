/* SPDX-License-Identifier: MIT */
/* Small language helpers every layer uses. */
#ifndef VMON_LIB_UTIL_H
#define VMON_LIB_UTIL_H

#include <stddef.h>

/* The struct of `type` whose `member` ptr points at (type-checked). */
#define container_of(ptr, type, member)                                    \
	({                                                                 \
		const __typeof__(((type *)0)->member) *mptr_ = (ptr);      \
		(type *)((char *)mptr_ - offsetof(type, member));          \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
