/* SPDX-License-Identifier: MIT */
/*
 * Leaving quickly once the guest has stopped.
 *
 * Closing a VM file descriptor makes the kernel tear the VM down, and with
 * the in-kernel irqchip that takes several RCU grace periods (each I/O bus
 * device unregisters with synchronize_srcu): about 16 ms on our hosts,
 * more than vmon spends on everything else for a small guest.  Whoever
 * waits for vmon (a shell, an orchestrator) has the guest's result long
 * before that.  So vmon hands its file table and address space to a tiny
 * helper process, which holds the last references, and exits at once; the
 * helper is killed by the kernel when vmon is gone (PR_SET_PDEATHSIG) and
 * its exit does the teardown, unwaited-for.
 *
 * Under AddressSanitizer and ThreadSanitizer the normal, synchronous
 * teardown runs instead, so leak checking still sees every free and
 * TSan's reports still set the exit status.
 */
#ifndef VMON_VMM_TEARDOWN_H
#define VMON_VMM_TEARDOWN_H

#include <stdbool.h>

/* False in sanitizer builds: then tear down normally, synchronously. */
bool teardown_fast_available(void);

/*
 * Flush stdio and end the process with `status`, leaving what is still
 * open (the VM's file descriptor, guest RAM: see vm->leave_kvm_open) to
 * the helper.  Returns only if the helper could not be started; the
 * caller then exits normally and the kernel tears down synchronously.
 */
void teardown_exit_fast(int status);

#endif
