/* SPDX-License-Identifier: MIT */
/*
 * The management commands main() dispatches to:
 *   vmon --api-sock PATH ...   (or vmon installed as `firecracker`)
 *   vmon ctl SOCKET COMMAND    talk to a running vmon through its API
 *   vmon ps                    this user's vmon processes and sockets
 */
#ifndef VMON_API_COMMANDS_H
#define VMON_API_COMMANDS_H

#include <stdbool.h>

/* Is this command line Firecracker's (by program name or first option)? */
bool fc_invocation(int argc, char **argv);
/* Firecracker's command line; returns the process exit status. */
int fc_main(int argc, char **argv);

int ctl_main(int argc, char **argv);	/* argv[0] is "ctl" */
int ps_main(int argc, char **argv);	/* argv[0] is "ps" */

#endif
