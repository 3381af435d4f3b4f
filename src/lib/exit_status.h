/* SPDX-License-Identifier: MIT */
/*
 * vmon's process exit statuses (documented in README and `vmon --help`).
 * All are even so they never collide with isa-debug-exit's (v << 1) | 1.
 */
#ifndef VMON_LIB_EXIT_STATUS_H
#define VMON_LIB_EXIT_STATUS_H

enum vmon_exit {
	VMON_EXIT_OK = 0,		/* power-off, reboot, SIGINT/SIGTERM */
	VMON_EXIT_USAGE = 2,		/* bad arguments, unreadable files */
	VMON_EXIT_GUEST_FAULT = 4,	/* triple fault, emulation failure */
	VMON_EXIT_INTERNAL = 6,		/* a host-side failure */
	/* A thread made a call its seccomp filter denies (core/sandbox.h);
	 * Firecracker's status for the same. */
	VMON_EXIT_SECCOMP = 148,
};

#endif
