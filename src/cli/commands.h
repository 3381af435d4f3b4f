/* SPDX-License-Identifier: MIT */
/* The command-line front end's commands, called by main(). */
#ifndef VMON_CLI_COMMANDS_H
#define VMON_CLI_COMMANDS_H

/* `vmon run ...` (argv[0] is "run").  Returns the process exit status. */
int run_main(int argc, char **argv);

#endif
