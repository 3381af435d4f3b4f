// SPDX-License-Identifier: MIT
/*
 * vmon: a virtual machine monitor on Linux KVM.  Commands:
 *   vmon run ...      boot a guest (see run_usage)
 *   vmon --api-sock PATH ...   Firecracker's command line and API; also
 *                     when vmon runs under the name `firecracker`
 *   vmon ctl SOCKET COMMAND, vmon ps
 *   vmon jailer ...   Firecracker's jailer; also as a program named `jailer`
 *   vmon --version
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/commands.h"
#include "cli/commands.h"
#include "cli/jailer.h"
#include "cli/snapshot_editor.h"
#include "core/sandbox.h"
#include "lib/exit_status.h"

static const char usage[] =
	"Usage: vmon COMMAND [options]\n"
	"\n"
	"Commands:\n"
	"  run        boot a guest kernel (vmon run --help)\n"
	"  --api-sock PATH [options]\n"
	"             serve the Firecracker API (vmon --api-sock P --help);\n"
	"             vmon installed as `firecracker` behaves the same\n"
	"  ctl SOCKET COMMAND\n"
	"             talk to a running vmon (vmon ctl --help)\n"
	"  ps         list this user's vmon processes and their API sockets\n"
	"  jailer ... run vmon jailed, Firecracker's jailer (vmon jailer --help);\n"
	"             vmon installed as `jailer` behaves the same\n"
	"  snapshot-editor edit-memory rebase --memory-path BASE --diff-path DIFF\n"
	"             put a diff snapshot's pages onto the memory file it\n"
	"             follows (also as a program named `snapshot-editor`)\n"
	"\n"
	"Options:\n"
	"  -h, --help     this text\n"
	"  -V, --version  print the version\n";

/*
 * A standard descriptor the caller closed (`vmon ... >&-`) would be handed
 * to the first file vmon opens, the event loop's epoll or /dev/kvm, and
 * the guest's console written there: /dev/null takes its place instead.
 * open() returns the lowest free descriptor, the one being filled.
 */
static void keep_std_fds(void)
{
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", O_RDWR) < 0)
			return;
}

int main(int argc, char **argv)
{
	keep_std_fds();
	/* Before any thread loads a filter: a denied call is then named. */
	if (sandbox_reporter_install()) {
		perror("vmon: cannot install the SIGSYS handler");
		return VMON_EXIT_INTERNAL;
	}
	/*
	 * glibc's gmtime_r (log lines, the RTC) reads /etc/localtime on first
	 * use: here, not on a thread whose filter denies openat.
	 */
	tzset();
	/*
	 * One malloc arena for all threads: glibc makes a thread its own
	 * arena by reading /sys/devices/system/cpu/online, and shrinks one
	 * after reading /proc/sys/vm/overcommit_memory, opens the filters of
	 * the vCPU and API threads deny.  vmon allocates little once running.
	 */
	mallopt(M_ARENA_MAX, 1);
	if (jailer_invocation(argv[0]))
		return jailer_main(argc, argv);
	if (snapshot_editor_invocation(argv[0]))
		return snapshot_editor_main(argc, argv);
	if (fc_invocation(argc, argv))
		return fc_main(argc, argv);
	if (argc < 2) {
		fputs(usage, stderr);
		return VMON_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return VMON_EXIT_OK;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("vmon %s (commit %s)\n", VMON_VERSION, VMON_GITREV);
		return VMON_EXIT_OK;
	}
	if (!strcmp(argv[1], "run"))
		return run_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "jailer"))
		return jailer_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "snapshot-editor"))
		return snapshot_editor_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ps"))
		return ps_main(argc - 1, argv + 1);
	fprintf(stderr, "vmon: unknown command '%s'\n\n%s", argv[1], usage);
	return VMON_EXIT_USAGE;
}
