/* SPDX-License-Identifier: MIT */
/*
 * Where unit tests find Debian's kernel (scripts/fetch-linux.sh puts it
 * under .cache/linux, relative to the repository root where tests run).
 * VMON_DEBIAN_KERNEL overrides.  NULL when there is none: tests skip.
 */
#ifndef TESTS_DEBIAN_KERNEL_H
#define TESTS_DEBIAN_KERNEL_H

#include <glob.h>
#include <stdlib.h>
#include <string.h>

static inline const char *debian_kernel_path(void)
{
	static char path[512];
	const char *env = getenv("VMON_DEBIAN_KERNEL");
	glob_t g;

	if (env && *env)
		return env;
	if (glob(".cache/linux/x/boot/vmlinuz-*", 0, NULL, &g) != 0)
		return NULL;
	strncpy(path, g.gl_pathv[0], sizeof(path) - 1);
	globfree(&g);
	return path;
}

#endif
