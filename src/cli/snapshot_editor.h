/* SPDX-License-Identifier: MIT */
/* `vmon snapshot-editor`: Firecracker's edit-memory rebase for diffs. */
#ifndef VMON_CLI_SNAPSHOT_EDITOR_H
#define VMON_CLI_SNAPSHOT_EDITOR_H

#include <stdbool.h>

/* Is argv[0] a program named snapshot-editor? */
bool snapshot_editor_invocation(const char *argv0);
/* argv[0] is the command's own name; returns the exit status. */
int snapshot_editor_main(int argc, char **argv);

#endif
