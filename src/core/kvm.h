/* SPDX-License-Identifier: MIT */
/*
 * The KVM file descriptors of one VM and what vmon asks of the host's
 * KVM: the API version, the capabilities the vCPU and interrupt model
 * cannot do without, and the optional ones it uses when offered.
 */
#ifndef VMON_CORE_KVM_H
#define VMON_CORE_KVM_H

#include <stdbool.h>

#include "core/irq_line.h"
#include "lib/err.h"
#include "lib/log.h"

#define KVM_DEVICE "/dev/kvm"

struct kvm {
	int kvm_fd;		/* /dev/kvm */
	int vm_fd;		/* KVM_CREATE_VM */
	int vcpu_mmap_size;	/* the kvm_run area of each vCPU */
	bool tsc_deadline;	/* KVM_CAP_TSC_DEADLINE_TIMER */
	struct ratelimit rl;	/* failed irq line changes */
};

/*
 * Open /dev/kvm, check it can run nr_cpus vCPUs the way vmon needs, and
 * create the VM.  0, or -errno with what is missing in e (more vCPUs than
 * KVM allows is a usage error, the rest the host's); nothing stays open.
 */
int kvm_open(struct kvm *k, unsigned int nr_cpus, struct vmon_err *e);
void kvm_close(struct kvm *k);

/* Drive GSI gsi of the in-kernel irqchip (KVM_IRQ_LINE).  0 or -errno. */
int kvm_set_irq(struct kvm *k, unsigned int gsi, int level);

/* GSI gsi as a device's irq line; k must outlive the device. */
struct irq_line kvm_gsi_line(struct kvm *k, unsigned int gsi);

#endif
