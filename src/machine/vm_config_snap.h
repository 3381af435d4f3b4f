/* SPDX-License-Identifier: MIT */
/*
 * The snapshot's "config" section: the shape of the machine (vCPUs, RAM,
 * every device and its backend's path or name), written when a snapshot
 * is taken and read first when one is loaded, so a fresh process builds
 * the same machine before the state of each part is restored into it.
 */
#ifndef VMON_MACHINE_VM_CONFIG_SNAP_H
#define VMON_MACHINE_VM_CONFIG_SNAP_H

#include "lib/snapfile.h"
#include "machine/vm_config.h"

#define VM_CONFIG_SNAP_VERSION 1u

/* A vm_config that owns its strings (paths, ids, TAP names). */
#define VM_CONFIG_MAX_STRS (2 * VM_MAX_DISKS + 2 * VM_MAX_NETS + 1)
struct vm_config_owned {
	struct vm_config cfg;
	unsigned int nr_strs;
	char *strs[VM_CONFIG_MAX_STRS];
};

/* The section's payload.  0 or enc->err. */
int vm_config_save(const struct vm_config *cfg, struct snap_enc *enc);
/*
 * Decode and check it as strictly as a front end checks its input (the
 * same vm_config_check for the rules between devices).  0 with o filled
 * (free it with vm_config_owned_free), or -errno with nothing to free.
 */
int vm_config_restore(struct snap_dec *d, struct vm_config_owned *o);
void vm_config_owned_free(struct vm_config_owned *o);

#endif
