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
 * Under AddressSanitizer the normal, synchronous teardown runs instead,
 * so leak checking still sees every free.
 */
#ifndef VMON_CORE_TEARDOWN_H
#define VMON_CORE_TEARDOWN_H

/*
 * Flush stdio and end the process with `status`, leaving the release of
 * KVM objects and guest RAM to the helper.  Returns only if the helper
 * could not be started (or in sanitizer builds): the caller then tears
 * down normally.
 */
void teardown_exit_fast(int status);

#endif
