/* SPDX-License-Identifier: MIT */
/*
 * A vCPU: its KVM file descriptor, the shared kvm_run page and the thread
 * that runs it.  The thread only calls KVM_RUN and dispatches exits to the
 * buses; everything slow happens elsewhere.
 */
#ifndef VMON_CORE_VCPU_H
#define VMON_CORE_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include "core/bus.h"
#include "core/guest_mem.h"
#include "core/kvm.h"
#include "core/runctl.h"

/* What a vCPU thread needs of its VM; the machine fills it in once. */
struct vcpu_env {
	struct kvm *kvm;
	struct bus *pio, *mmio;
	const struct guest_mem *mem;
	struct runctl *rc;
	/* Explain an exit the run loop cannot handle (arch/x86/fault.h). */
	void (*report_fatal)(int vcpu_fd, unsigned int index,
			     const struct guest_mem *gm,
			     const struct kvm_run *run);
	bool sandbox;		/* load the vCPU seccomp filter first */
};

struct vcpu {
	const struct vcpu_env *env;
	unsigned int index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
};

int vcpu_create(struct vcpu *vcpu, const struct vcpu_env *env,
		unsigned int index);
void vcpu_destroy(struct vcpu *vcpu);

/* Start the thread.  0 or -errno. */
int vcpu_start(struct vcpu *vcpu);
/* Make a running vCPU leave KVM_RUN soon (from any thread). */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);

/* Signal used to kick vCPU threads; installed by vcpu_signal_setup(). */
#define VCPU_KICK_SIGNAL SIGUSR1
int vcpu_signal_setup(void);

#endif
