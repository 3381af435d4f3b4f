// SPDX-License-Identifier: MIT
/*
 * The seccomp filters of core/sandbox.c, each in a child process: the
 * calls a thread kind needs pass, a call it does not need (execve) ends
 * the process with VMON_EXIT_SECCOMP and a report naming the kind and
 * the call; each kind allows fewer system calls than Firecracker's
 * filter for the same thread (docs/sandbox.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/sandbox.h"
#include "lib/exit_status.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZERS 1
#endif

/* Runs body in a child under kind's filter; its stderr into err. */
static int in_child(enum sandbox_kind kind, int (*body)(void), char *err,
		    size_t len)
{
	int pipefd[2], status;
	pid_t pid;
	ssize_t n;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vmon_err e = { 0 };

		dup2(pipefd[1], STDERR_FILENO);
		if (sandbox_reporter_install() || sandbox_enter(kind, &e))
			_exit(99);
		_exit(body());
	}
	close(pipefd[1]);
	n = read(pipefd[0], err, len - 1);
	err[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int allowed_calls(void)
{
	char b = 'x';
	void *p;

	if (write(STDERR_FILENO, &b, 0) < 0)	/* every kind writes */
		return 1;
	p = malloc(1 << 20);			/* mmap, no PROT_EXEC */
	free(p);
	return p ? 0 : 1;
}

static int denied_exec(void)
{
	/* No thread of vmon's runs programs (not even under sanitizers). */
	static char *const argv[] = { "true", NULL };

	syscall(SYS_execve, "/bin/true", argv, NULL);
	return 0;
}

static int exec_mapping(void)
{
	/* Nothing in vmon maps code; the filter refuses PROT_EXEC. */
	syscall(SYS_mmap, NULL, 4096, 7 /* RWX */, 0x22, -1, 0);
	return 0;
}

static void kinds_allow_what_they_need(void **state)
{
	char err[512];

	for (int k = 0; k < SANDBOX_KINDS; k++)
		assert_int_equal(in_child(k, allowed_calls, err, sizeof(err)), 0);
}

static void denied_call_is_named(void **state)
{
	char err[512], want[64];

	for (int k = 0; k < SANDBOX_KINDS; k++) {
		assert_int_equal(in_child(k, denied_exec, err, sizeof(err)),
				 VMON_EXIT_SECCOMP);
		snprintf(want, sizeof(want), "the %s thread made system call",
			 sandbox_kind_name(k));
		assert_non_null(strstr(err, want));
		assert_non_null(strstr(err, "(execve)"));
	}
}

static void executable_mappings_refused(void **state)
{
	char err[512];

#ifdef SANITIZERS
	skip();	/* the sanitizers' runtime gets mmap unconditioned */
#endif
	for (int k = 0; k < SANDBOX_KINDS; k++) {
		assert_int_equal(in_child(k, exec_mapping, err, sizeof(err)),
				 VMON_EXIT_SECCOMP);
		assert_non_null(strstr(err, "(mmap)"));
	}
}

static void fewer_calls_than_firecracker(void **state)
{
#ifdef SANITIZERS
	skip();	/* the sanitizer rows are not part of the release lists */
#endif
	/* Bounds of issue 12: Firecracker's filters allow 27 to 50. */
	assert_true(sandbox_allowed_count(SANDBOX_VCPU) <= 27);
	assert_true(sandbox_allowed_count(SANDBOX_API) <= 27);
	assert_true(sandbox_allowed_count(SANDBOX_VMM) <= 50);
	assert_string_equal(sandbox_kind_name(SANDBOX_VCPU), "vcpu");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kinds_allow_what_they_need),
		cmocka_unit_test(denied_call_is_named),
		cmocka_unit_test(executable_mappings_refused),
		cmocka_unit_test(fewer_calls_than_firecracker),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
