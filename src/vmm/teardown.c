// SPDX-License-Identifier: MIT
#include "vmm/teardown.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Sanitizer builds tear down synchronously: LeakSanitizer and TSan's
 * exit status run at exit(), and the helper would run instrumented code
 * on vmon's sanitizer state.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TEARDOWN_SYNC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TEARDOWN_SYNC 1
#endif
#endif

#define HELPER_STACK (64 * 1024)

/*
 * Runs in the helper: shares vmon's memory and file table (CLONE_VM |
 * CLONE_FILES) but is its own process.  Raw system calls only: it must
 * not touch libc state it shares with vmon's threads.
 */
static __attribute__((unused)) int helper_main(void *arg)
{
	pid_t parent = (pid_t)(long)arg;

	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* vmon may already be gone: then we are the one to finish. */
	if (syscall(SYS_getppid) != parent)
		syscall(SYS_exit_group, 0);
	for (;;)
		syscall(SYS_pause);
	return 0;
}

bool teardown_fast_available(void)
{
#ifdef TEARDOWN_SYNC
	return false;
#else
	return true;
#endif
}

void teardown_exit_fast(int status)
{
#ifdef TEARDOWN_SYNC
	(void)status;
#else
	void *stack;
	pid_t pid;

	fflush(NULL);
	stack = mmap(NULL, HELPER_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return;
	/* No exit signal: nobody needs to reap the helper but init. */
	pid = clone(helper_main, (char *)stack + HELPER_STACK,
		    CLONE_VM | CLONE_FILES, (void *)(long)getpid());
	if (pid < 0) {
		munmap(stack, HELPER_STACK);
		return;
	}
	_exit(status);
#endif
}
