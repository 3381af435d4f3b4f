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
	int mem_fd;		/* vm_restore_image: RAM is this memfd, shared */
	bool defer_disk_locks;	/* disks opened unlocked (a migration) */
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

/*
 * A migration's pieces.  The state of a paused VM as a snapshot image in
 * memory (its devices quiesced first), and the config section alone as
 * one (what the destination needs to size RAM before the pages come).
 * *buf malloc'd.  0 or -errno.
 */
int vm_state_image(struct vm *vm, uint8_t **buf, size_t *len,
		   struct vmon_err *e);
int vm_config_image(const struct vm *vm, uint8_t **buf, size_t *len,
		    struct vmon_err *e);
/* The config of a vm_config_image, checked as a snapshot's; what names it. */
int vm_config_from_image(const void *buf, size_t len, const char *what,
			 struct vm_config_owned *own, struct vmon_err *e);
/*
 * vm_restore from an image in memory, RAM the memfd o->mem_fd (mapped
 * shared: the pages a migration already put there).
 */
int vm_restore_image(struct vm *vm, const void *buf, size_t len,
		     const char *what, const struct vm_restore_opts *o,
		     struct evloop *loop, struct vmon_err *e);

#endif
