/* SPDX-License-Identifier: MIT */
/* `vmon jailer`: Firecracker's jailer for vmon (jailer.c, docs/sandbox.md). */
#ifndef VMON_CLI_JAILER_H
#define VMON_CLI_JAILER_H

#include <stdbool.h>

/* argv[0] is "jailer" (or `vmon jailer`'s "jailer").  The exit status,
 * or it does not return: it execs the VMM. */
int jailer_main(int argc, char **argv);
/* vmon runs under the name `jailer`. */
bool jailer_invocation(const char *argv0);

#endif
