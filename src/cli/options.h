/* SPDX-License-Identifier: MIT */
/* Command-line parsing for `vmon run`, kept apart from main for tests. */
#ifndef VMON_CLI_OPTIONS_H
#define VMON_CLI_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/log.h"
#include "lib/parse.h"
#include "machine/vm.h"

#define VMON_DEFAULT_MEM	(256ULL << 20)
#define VMON_MIN_MEM		(4ULL << 20)
#define VMON_MAX_MEM		(1ULL << 40)	/* 1 TiB */

struct run_options {
	struct vm_config vm;
	enum log_level log_level;
	int help;		/* --help given: print usage, exit 0 */
	/* --restore STATE,MEM: a snapshot instead of a kernel. */
	char restore_buf[8192];
	const char *restore_state, *restore_mem;
};

/*
 * Parse `vmon run` arguments (argv[0] is "run").  Returns 0 or -EINVAL
 * with a message in err naming the option and the value.
 */
int run_options_parse(int argc, char **argv, struct run_options *o,
		      char *err, size_t errlen);

extern const char run_usage[];

#endif
