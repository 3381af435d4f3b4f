/* SPDX-License-Identifier: MIT */
/*
 * The VMM thread's serving of a running VM, shared by `vmon run` and the
 * API: the stop eventfd, the stop signals (through a signalfd) and the
 * operator's console, all on the VM's event loop.
 */
#ifndef VMON_VMM_SERVE_H
#define VMON_VMM_SERVE_H

#include <signal.h>
#include <stdbool.h>

#include "machine/vm.h"
#include "vmm/console.h"

/*
 * The VMM thread's serving of a VM, as vm_serve_run does it: init blocks the
 * stop signals and watches them, the stop eventfd and the console on
 * vm->loop; once dispatches one round of the loop; fini undoes init.
 */
struct vm_serve {
	struct vm *vm;
	struct console con;
	int sig_fd;
	bool stdin_watched;
};
int vm_serve_init(struct vm_serve *s, struct vm *vm);
int vm_serve_once(struct vm_serve *s);
void vm_serve_fini(struct vm_serve *s);

/*
 * Block SIGINT, SIGTERM and SIGHUP (vmon takes them through a signalfd)
 * and ignore SIGPIPE.  Before creating any thread, which inherits the mask.
 */
int vm_block_stop_signals(sigset_t *set);

/*
 * Load the VMM thread's seccomp filter (core/sandbox.h) unless the VM was
 * configured without: once the vCPUs run and the VMM thread only serves.
 * On failure the VM is asked to stop.  0 or -errno.
 */
int vm_serve_sandbox(struct vm *vm);

/* Start the vCPUs and serve the VM until it stops.  0 or -errno. */
int vm_serve_run(struct vm *vm);

#endif
