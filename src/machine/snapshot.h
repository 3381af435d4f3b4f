/* SPDX-License-Identifier: MIT */
/*
 * Snapshots of a whole VM (docs/snapshot.md, "The machine's sections"):
 * which sections a VM writes, in what order, and a restore that builds the
 * machine again from the config section and pours each part's state into
 * it.  Each part encodes and checks its own payload.
 */
#ifndef VMON_MACHINE_SNAPSHOT_H
#define VMON_MACHINE_SNAPSHOT_H

#include "core/evloop.h"
#include "lib/err.h"
#include "machine/vm.h"

/*
 * Write the paused VM's state to state_path and its RAM to mem_path: all
 * of it (zero pages as holes), or with diff only the pages written since
 * the last snapshot or since boot or restore (cfg.track_dirty needed;
 * docs/snapshot.md, "Diff snapshots").  Memory first, state last: a state
 * file at state_path means both are complete.  Nothing is left at either
 * path on failure, the dirty pages are kept for the next try, and the VM
 * stays paused and can resume.  VMM thread, every vCPU parked.  0 or
 * -errno.
 */
int vm_snapshot_save(struct vm *vm, const char *state_path,
		     const char *mem_path, bool diff, struct vmon_err *e);

/* What the restoring process decides for itself, not the snapshot. */
struct vm_restore_opts {
	enum serial_mode serial_mode;
	const char *serial_path;
	bool no_seccomp;
	bool track_dirty;	/* enable_diff_snapshots / track_dirty_pages */
};

/*
 * Build a VM in vm from the snapshot (RAM mapped private and lazily from
 * mem_path) with every vCPU and device in its saved state, ready for
 * vm_start_vcpus.  Everything in the file is checked before the VM is
 * built where it can be (the config), and as each part is restored after;
 * on any failure nothing is left: no vm_destroy() needed.  0 or -errno
 * with e naming the file, the section and the field.
 */
int vm_restore(struct vm *vm, const char *state_path, const char *mem_path,
	       const struct vm_restore_opts *o, struct evloop *loop,
	       struct vmon_err *e);

#endif
