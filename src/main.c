// SPDX-License-Identifier: MIT
/*
 * vmon: a virtual machine monitor on Linux KVM.  Commands:
 *   vmon run ...      boot a guest (see run_usage)
 *   vmon --api-sock PATH ...   Firecracker's command line and API; also
 *                     when vmon runs under the name `firecracker`
 *   vmon ctl SOCKET COMMAND, vmon ps
 *   vmon --version
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/commands.h"
#include "core/exit_status.h"
#include "core/log.h"
#include "core/options.h"
#include "core/teardown.h"
#include "core/vm.h"

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
	"\n"
	"Options:\n"
	"  -h, --help     this text\n"
	"  -V, --version  print the version\n";

static int cmd_run(int argc, char **argv)
{
	struct run_options o;
	struct vm vm;
	char err[512] = "";
	int ret, status;

	if (run_options_parse(argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "vmon run: %s\nTry 'vmon run --help'.\n", err);
		return VMON_EXIT_USAGE;
	}
	if (o.help) {
		fputs(run_usage, stdout);
		return VMON_EXIT_OK;
	}
	log_set_level(o.log_level);

	ret = vm_create(&vm, &o.vm);
	if (ret) {
		status = ret == -EINVAL ? VMON_EXIT_USAGE : VMON_EXIT_INTERNAL;
		/* The serial file is the one file vm_create opens for us. */
		if (o.vm.serial_mode == SERIAL_FILE && vm.kvm_fd >= 0 &&
		    ret == -ENOENT)
			status = VMON_EXIT_USAGE;
		goto out;
	}
	ret = vm_load(&vm, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmon: %s\n", err);
		status = VMON_EXIT_USAGE;
		goto out;
	}
	ret = vm_run(&vm);
	status = ret ? VMON_EXIT_INTERNAL : vm.exit_status;
	/*
	 * The guest's result is known: release everything of ours, but do
	 * not make anyone wait for KVM's own teardown (see teardown.h).
	 */
	vm.leave_kvm_open = teardown_fast_available();
out:
	vm_destroy(&vm);
	if (vm.leave_kvm_open)
		teardown_exit_fast(status);
	return status;
}

int main(int argc, char **argv)
{
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
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "ps"))
		return ps_main(argc - 1, argv + 1);
	fprintf(stderr, "vmon: unknown command '%s'\n\n%s", argv[1], usage);
	return VMON_EXIT_USAGE;
}
