// SPDX-License-Identifier: MIT
#include "core/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "core/sandbox.h"
#include "lib/exit_status.h"
#include "lib/log.h"

/*
 * The kick signal's handler must reach the kvm_run of the thread it
 * interrupts; a thread-local pointer is the only way a handler can.
 */
static __thread struct kvm_run *tls_run;

static void kick_handler(int sig)
{
	(void)sig;
	/* KVM_CAP_IMMEDIATE_EXIT: the next (or current) KVM_RUN returns. */
	if (tls_run)
		tls_run->immediate_exit = 1;
}

/*
 * KVM completes an exit's port I/O or MMIO (the value of an IN, RIP past
 * an OUT) only at the next KVM_RUN, and that pending part is in no state
 * userspace can read (api.rst, "KVM_RUN", the note on KVM_EXIT_IO and
 * _MMIO): a snapshot taken now would replay an OUT after restore (a
 * console byte printed twice).  A KVM_RUN with immediate_exit finishes it
 * and returns before the next guest instruction.
 */
static void settle(void *opaque)
{
	struct vcpu *vcpu = opaque;

	vcpu->run->immediate_exit = 1;
	if (ioctl(vcpu->fd, KVM_RUN, 0) < 0 && errno != EINTR &&
	    errno != EAGAIN)
		log_warn("vCPU %u: finishing its last exit: %s", vcpu->index,
			 strerror(errno));
	vcpu->run->immediate_exit = 0;
}

int vcpu_signal_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return -errno;
	return 0;
}

int vcpu_create(struct vcpu *vcpu, const struct vcpu_env *env,
		unsigned int index)
{
	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->env = env;
	vcpu->index = index;
	vcpu->fd = ioctl(env->kvm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (vcpu->fd < 0)
		return -errno;
	vcpu->run = mmap(NULL, (size_t)env->kvm->vcpu_mmap_size,
			 PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		int ret = -errno;

		close(vcpu->fd);
		vcpu->fd = -1;
		vcpu->run = NULL;
		return ret;
	}
	return 0;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, (size_t)vcpu->env->kvm->vcpu_mmap_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}

static void handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* String I/O (rep ins/outs) arrives as `count` back-to-back items. */
	for (uint32_t i = 0; i < run->io.count; i++) {
		bus_dispatch(vcpu->env->pio, run->io.port, data, run->io.size,
			     is_write, 0xff);
		data += run->io.size;
	}
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t len = run->mmio.len;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	bus_dispatch(vcpu->env->mmio, run->mmio.phys_addr, run->mmio.data, len,
		     run->mmio.is_write, 0);
}

/* Returns false when the vCPU must stop. */
static bool handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct runctl *rc = vcpu->env->rc;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(vcpu);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			log_info("vCPU %u: guest shut down", vcpu->index);
			runctl_request_stop(rc, VM_STOP_POWEROFF, VMON_EXIT_OK);
			return false;
		case KVM_SYSTEM_EVENT_RESET:
			log_info("vCPU %u: guest reset", vcpu->index);
			runctl_request_stop(rc, VM_STOP_RESET, VMON_EXIT_OK);
			return false;
		default:
			break;
		}
		break;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; ours has one.  Be safe. */
		log_error("vCPU %u halted with no way to wake it", vcpu->index);
		runctl_request_stop(rc, VM_STOP_GUEST_FAULT, VMON_EXIT_GUEST_FAULT);
		return false;
	default:
		break;
	}
	if (vcpu->env->report_fatal)
		vcpu->env->report_fatal(vcpu->fd, vcpu->index, vcpu->env->mem,
					run);
	runctl_request_stop(rc, VM_STOP_GUEST_FAULT, VMON_EXIT_GUEST_FAULT);
	return false;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct runctl *rc = vcpu->env->rc;
	char name[16];
	sigset_t set;

	/* Named for ps, top and the seccomp report: vmon_vcpu0, ... */
	snprintf(name, sizeof(name), "vmon_vcpu%u", vcpu->index);
	prctl(PR_SET_NAME, name);
	tls_run = vcpu->run;
	/* Everything but the kick is handled by the main thread. */
	sigfillset(&set);
	sigdelset(&set, VCPU_KICK_SIGNAL);
	/* A denied system call must reach the seccomp reporter. */
	sigdelset(&set, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	/* Filtered before the guest's first instruction. */
	if (vcpu->env->sandbox) {
		struct vmon_err e = { 0 };

		if (sandbox_enter(SANDBOX_VCPU, &e)) {
			log_error("vCPU %u: %s", vcpu->index, e.msg);
			runctl_request_stop(rc, VM_STOP_INTERNAL,
					    VMON_EXIT_INTERNAL);
			return NULL;
		}
	}

	while (!runctl_stopping(rc)) {
		runctl_park_if_paused(rc, settle, vcpu);
		if (runctl_stopping(rc))
			break;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			/*
			 * EINTR: kicked.  EAGAIN: an AP left wait-for-SIPI
			 * (see host-kvm.md); both mean "run again".
			 */
			if (errno == EINTR || errno == EAGAIN) {
				vcpu->run->immediate_exit = 0;
				continue;
			}
			log_error("vCPU %u: KVM_RUN failed: %s", vcpu->index,
				  strerror(errno));
			runctl_request_stop(rc, VM_STOP_INTERNAL,
					VMON_EXIT_INTERNAL);
			break;
		}
		if (!handle_exit(vcpu))
			break;
	}
	tls_run = NULL;
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

	if (ret)
		return -ret;
	vcpu->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (vcpu->thread_started)
		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->thread_started) {
		pthread_join(vcpu->thread, NULL);
		vcpu->thread_started = false;
	}
}
