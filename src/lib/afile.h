/* SPDX-License-Identifier: MIT */
/*
 * A file that appears at its path complete or not at all: written to a
 * new temporary beside it, then fsync, rename over the path, fsync of
 * the directory.  Until the rename the path keeps whatever it had, and
 * every failure unlinks the temporary, so nothing half-written is ever
 * left to be mistaken for a good file.  A crash leaves at most a
 * PATH.tmp-XXXXXX behind, never a short PATH.
 */
#ifndef VMON_LIB_AFILE_H
#define VMON_LIB_AFILE_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

struct afile {
	int fd;			/* the temporary, open for writing */
	char *path;		/* where it goes */
	char *tmp;		/* where it is until then */
	const char *what;	/* "snapshot", "memory file": for messages */
};

/* Create the temporary (mode 0600) for path. */
int afile_open(struct afile *af, const char *path, const char *what,
	       struct vmon_err *e);
/* All of buf at the current position, or at off; retried when short. */
int afile_write(struct afile *af, const void *buf, size_t len,
		struct vmon_err *e);
int afile_pwrite(struct afile *af, const void *buf, size_t len, off_t off,
		 struct vmon_err *e);
/*
 * Make it the file at path.  Releases af either way: on failure before
 * the rename the temporary is gone and path untouched; a failed fsync of
 * the directory afterwards is reported, the complete file stays.
 */
int afile_commit(struct afile *af, struct vmon_err *e);
/* Give up: unlink the temporary and release af. */
void afile_discard(struct afile *af);

#endif
