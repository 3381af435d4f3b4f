// SPDX-License-Identifier: MIT
/* `vmon run`: a VM from the command line, served until it stops. */
#include "cli/commands.h"

#include <stdio.h>
#include <string.h>

#include "cli/options.h"
#include "core/evloop.h"
#include "lib/err.h"
#include "lib/exit_status.h"
#include "lib/log.h"
#include "machine/snapshot.h"
#include "machine/vm.h"
#include "vmm/serve.h"
#include "vmm/teardown.h"

int run_main(int argc, char **argv)
{
	struct run_options o;
	struct evloop loop;
	struct vm vm;
	struct vmon_err e = { 0 };
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
	if (o.vm.no_seccomp)
		log_warn("--no-seccomp: the threads run without their syscall "
			 "filters; for debugging only");

	ret = evloop_init(&loop);
	if (ret) {
		fprintf(stderr, "vmon: cannot create the event loop: %s\n",
			strerror(-ret));
		return VMON_EXIT_INTERNAL;
	}
	/* The exit status says whose fault a failure is (lib/err.h). */
	if (o.restore_state) {
		struct vm_restore_opts ro = {
			.serial_mode = o.vm.serial_mode,
			.serial_path = o.vm.serial_path,
			.no_seccomp = o.vm.no_seccomp,
		};

		if (vm_restore(&vm, o.restore_state, o.restore_mem, &ro, &loop,
			       &e)) {
			fprintf(stderr, "vmon: %s\n", e.msg);
			evloop_destroy(&loop);
			return err_exit_status(&e);
		}
		goto serve;
	}
	if (vm_create(&vm, &o.vm, &loop, &e)) {
		fprintf(stderr, "vmon: %s\n", e.msg);
		evloop_destroy(&loop);
		return err_exit_status(&e);
	}
	if (vm_load(&vm, &e)) {
		fprintf(stderr, "vmon: %s\n", e.msg);
		status = err_exit_status(&e);
		goto out;
	}
serve:
	ret = vm_serve_run(&vm);
	status = ret ? VMON_EXIT_INTERNAL : vm_exit_status(&vm);
	/*
	 * The guest's result is known: release everything of ours, but do
	 * not make anyone wait for KVM's own teardown (see teardown.h).
	 */
	vm.leave_kvm_open = teardown_fast_available();
out:
	vm_destroy(&vm);
	evloop_destroy(&loop);
	if (vm.leave_kvm_open)
		teardown_exit_fast(status);
	return status;
}
