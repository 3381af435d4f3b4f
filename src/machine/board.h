/* SPDX-License-Identifier: MIT */
/* The x86 PC platform's devices, created and wired up in one place. */
#ifndef VMON_MACHINE_BOARD_H
#define VMON_MACHINE_BOARD_H

struct vm;

/*
 * Create the in-kernel irqchip and PIT, then the platform devices of
 * platform.h on the VM's buses.  0 or -errno.
 */
int board_create(struct vm *vm, int serial_out_fd);
void board_destroy(struct vm *vm);

#endif
