/* SPDX-License-Identifier: MIT */
/* The x86 PC platform's devices, created and wired up in one place. */
#ifndef VMON_MACHINE_BOARD_H
#define VMON_MACHINE_BOARD_H

#include "lib/err.h"

struct vm;

/*
 * Create the in-kernel irqchip and PIT, the platform devices of
 * platform.h on the VM's buses, PCI bus 0 and the virtio devices.  0, or
 * -errno with e filled in and nothing left to board_destroy().
 */
int board_create(struct vm *vm, int serial_out_fd, struct vmon_err *e);
void board_destroy(struct vm *vm);

#endif
