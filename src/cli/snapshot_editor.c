// SPDX-License-Identifier: MIT
/*
 * `vmon snapshot-editor` (also when vmon runs under the name
 * `snapshot-editor`): the part of Firecracker's snapshot-editor that a
 * diff snapshot needs, with its command line:
 *
 *   snapshot-editor edit-memory rebase --memory-path BASE --diff-path DIFF
 *
 * writes the pages of a diff memory file over the memory file it follows,
 * so BASE then goes with the diff's state file (docs/snapshot.md, "Diff
 * snapshots").  Its other commands edit Firecracker's own state format,
 * which vmon does not write.
 */
#include "cli/snapshot_editor.h"

#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/exit_status.h"
#include "lib/snapfile.h"

static const char usage[] =
	"usage: vmon snapshot-editor edit-memory rebase --memory-path BASE "
	"--diff-path DIFF\n"
	"\n"
	"Write the pages of the diff memory file DIFF (PUT /snapshot/create\n"
	"with snapshot_type Diff) over the memory file BASE of the snapshot\n"
	"it follows.  BASE is changed in place; if it fails midway, running\n"
	"it again completes it.  Load BASE with the diff's state file.\n"
	"Also as a program named `snapshot-editor`, like Firecracker's.\n";

bool snapshot_editor_invocation(const char *argv0)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;

	base = base ? base + 1 : argv0;
	return base && !strcmp(base, "snapshot-editor");
}

int snapshot_editor_main(int argc, char **argv)
{
	const char *mem = NULL, *diff = NULL;
	struct vmon_err e = { 0 };
	uint64_t copied;

	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(usage, stdout);
		return VMON_EXIT_OK;
	}
	if (argc < 3 || strcmp(argv[1], "edit-memory") ||
	    strcmp(argv[2], "rebase")) {
		fprintf(stderr, "vmon snapshot-editor: %s%s%s\n\n%s",
			argc < 2 ? "no command" : "unsupported command '",
			argc < 2 ? "" : argv[1],
			argc < 2 ? "" : "' (only edit-memory rebase: vmon's "
			"state files are not Firecracker's)", usage);
		return VMON_EXIT_USAGE;
	}
	for (int i = 3; i < argc; i++) {
		const char **dst = !strcmp(argv[i], "--memory-path") ? &mem :
				   !strcmp(argv[i], "--diff-path")   ? &diff :
								       NULL;

		if (!dst || i + 1 == argc || *dst) {
			fprintf(stderr, "vmon snapshot-editor: %s '%s'\n\n%s",
				!dst ? "unknown option" : i + 1 == argc
				? "missing value for" : "repeated option",
				argv[i], usage);
			return VMON_EXIT_USAGE;
		}
		*dst = argv[++i];
	}
	if (!mem || !diff) {
		fprintf(stderr, "vmon snapshot-editor: edit-memory rebase needs "
			"--memory-path and --diff-path\n\n%s", usage);
		return VMON_EXIT_USAGE;
	}
	if (snap_mem_rebase(mem, diff, &copied, &e)) {
		fprintf(stderr, "vmon snapshot-editor: %s\n", e.msg);
		return e.kind == ERR_USAGE ? VMON_EXIT_USAGE : VMON_EXIT_INTERNAL;
	}
	printf("rebased %s onto %s: %llu KiB written\n", diff, mem,
	       (unsigned long long)(copied >> 10));
	return VMON_EXIT_OK;
}
