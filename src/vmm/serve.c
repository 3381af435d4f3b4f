// SPDX-License-Identifier: MIT
#include "vmm/serve.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/sandbox.h"
#include "hw/serial.h"
#include "lib/exit_status.h"
#include "lib/log.h"

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGINT: return "SIGINT";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "a signal";
	}
}

static void on_stop(void *opaque, uint32_t events)
{
	struct vm_serve *c = opaque;
	uint64_t n;

	evloop_assert_owner(c->vm->loop);
	/* Just drain it: the loop condition sees the stop. */
	if (read(c->vm->rc.stop_fd, &n, sizeof(n)) < 0)
		return;
}

static void on_signal(void *opaque, uint32_t events)
{
	struct vm_serve *c = opaque;
	struct signalfd_siginfo si;

	evloop_assert_owner(c->vm->loop);
	if (read(c->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("%s received: stopping the VM",
			 signal_name((int)si.ssi_signo));
		vm_request_stop(c->vm, VM_STOP_SIGNAL, VMON_EXIT_OK);
	}
}

static void on_console(void *opaque, uint32_t events)
{
	struct vm_serve *c = opaque;

	evloop_assert_owner(c->vm->loop);
	if (console_read(&c->con, c->vm->serial) == CONSOLE_QUIT) {
		log_info("console: quit requested");
		vm_request_stop(c->vm, VM_STOP_SIGNAL, VMON_EXIT_OK);
	}
}

/*
 * Watch stdin only while the guest's receive queue has room, so a paste
 * the guest is slow to read waits in the terminal, not in our memory.
 */
static void update_console_watch(struct vm_serve *c)
{
	bool want = console_poll_fd(&c->con, c->vm->serial) >= 0;

	if (c->con.in_fd < 0 || want == c->stdin_watched)
		return;
	if (c->con.eof) {
		evloop_del(c->vm->loop, c->con.in_fd);
		c->con.in_fd = -1;
		c->stdin_watched = false;
		return;
	}
	evloop_mod(c->vm->loop, c->con.in_fd, want ? EPOLLIN : 0);
	c->stdin_watched = want;
}

int vm_block_stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	return -pthread_sigmask(SIG_BLOCK, set, NULL);
}

int vm_serve_init(struct vm_serve *c, struct vm *vm)
{
	sigset_t set;
	int ret;

	*c = (struct vm_serve){ .vm = vm, .sig_fd = -1 };
	/* Handled through signalfd; blocked before threads inherit masks. */
	if ((ret = vm_block_stop_signals(&set)))
		return ret;
	c->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->sig_fd < 0)
		return -errno;

	ret = console_open(&c->con, vm->cfg.serial_mode == SERIAL_STDIO
					    ? STDIN_FILENO : -1);
	if (ret)
		goto out_sigfd;
	if ((ret = evloop_add(vm->loop, vm->rc.stop_fd, EPOLLIN, on_stop, c)))
		goto out_console;
	if ((ret = evloop_add(vm->loop, c->sig_fd, EPOLLIN, on_signal, c)))
		goto out_stop;
	if (c->con.in_fd >= 0) {
		ret = evloop_add(vm->loop, c->con.in_fd, EPOLLIN, on_console, c);
		if (ret) {
			/* stdin cannot be polled (a regular file): no input. */
			c->con.in_fd = -1;
		} else {
			c->stdin_watched = true;
		}
	}
	return 0;
out_stop:
	evloop_del(vm->loop, vm->rc.stop_fd);
out_console:
	console_close(&c->con);
out_sigfd:
	close(c->sig_fd);
	c->sig_fd = -1;
	return ret;
}

int vm_serve_once(struct vm_serve *c)
{
	struct vm *vm = c->vm;
	int ret;

	update_console_watch(c);
	/* With the guest's input queue full, look again shortly. */
	ret = evloop_run_once(vm->loop, c->con.in_fd >= 0 &&
					 !c->stdin_watched ? 10 : -1);
	if (ret < 0) {
		log_error("event loop: %s", strerror(-ret));
		vm_request_stop(vm, VM_STOP_INTERNAL, VMON_EXIT_INTERNAL);
	}
	return ret;
}

void vm_serve_fini(struct vm_serve *c)
{
	if (c->sig_fd < 0)
		return;
	if (c->con.in_fd >= 0)
		evloop_del(c->vm->loop, c->con.in_fd);
	evloop_del(c->vm->loop, c->sig_fd);
	evloop_del(c->vm->loop, c->vm->rc.stop_fd);
	console_close(&c->con);
	close(c->sig_fd);
	c->sig_fd = -1;
}

int vm_serve_sandbox(struct vm *vm)
{
	struct vmon_err e = { 0 };
	int ret;

	if (vm->cfg.no_seccomp)
		return 0;
	ret = sandbox_enter(SANDBOX_VMM, &e);
	if (ret) {
		log_error("%s", e.msg);
		vm_request_stop(vm, VM_STOP_INTERNAL, VMON_EXIT_INTERNAL);
	}
	return ret;
}

int vm_serve_run(struct vm *vm)
{
	struct vm_serve c;
	int ret;

	ret = vm_serve_init(&c, vm);
	if (ret)
		return ret;
	vm_start_vcpus(vm);
	vm_serve_sandbox(vm);
	while (!vm_stopping(vm))
		vm_serve_once(&c);
	vm_join_vcpus(vm);
	vm_serve_fini(&c);
	return 0;
}
