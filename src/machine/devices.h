/* SPDX-License-Identifier: MIT */
/*
 * The virtio devices of a VM, made from its vm_config by one explicit
 * table in devices.c: the only place a new device type is registered.
 */
#ifndef VMON_MACHINE_DEVICES_H
#define VMON_MACHINE_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"

struct vm;
struct virtio_balloon;
struct virtio_blk;
struct virtio_net;
struct virtio_pci;

#define VIRTIO_MAX_DEVICES	31	/* PCI slots 1-31 */

struct virtio_devices {
	unsigned int nr;
	struct virtio_pci *dev[VIRTIO_MAX_DEVICES];
};

/* Create every device vm->cfg asks for on vm->pci.  0, or -errno and e. */
int virtio_devices_create(struct vm *vm, struct vmon_err *e);
/* The first device of this type (VIRTIO_ID_*), or NULL. */
struct virtio_dev *virtio_devices_find(struct vm *vm, uint16_t type);
/*
 * The devices front ends act on at run time (VMM thread), or NULL: the
 * block device with this drive id, the balloon.
 */
struct virtio_blk *vm_blk_by_id(struct vm *vm, const char *id);
struct virtio_net *vm_net_by_id(struct vm *vm, const char *id);
struct virtio_balloon *vm_balloon(struct vm *vm);
/*
 * Every disk's image lock let go (locked false) or taken again: a
 * migration hands the images to the destination.  0, or -EINVAL with e
 * naming the disk.
 */
int vm_disks_set_locked(struct vm *vm, bool locked, struct vmon_err *e);
/* Reset and free them.  No vCPU may be running. */
void virtio_devices_destroy(struct vm *vm);

#endif
