// SPDX-License-Identifier: MIT
#include "core/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/log.h"

static int check_kvm(struct kvm *k, unsigned int nr_cpus, struct vmon_err *e)
{
	int v = ioctl(k->kvm_fd, KVM_GET_API_VERSION, 0);

	if (v != KVM_API_VERSION)
		return err_set(e, ERR_HOST, -ENOTSUP, "%s speaks KVM API "
			       "version %d, vmon needs %d", KVM_DEVICE, v,
			       KVM_API_VERSION);
	/* Without these the vCPU and interrupt model here cannot work. */
	static const struct {
		int cap;
		const char *name;
	} caps[] = {
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0)
			return err_set(e, ERR_HOST, -ENOTSUP,
				       "this host's KVM lacks %s", caps[i].name);
	}
	int max = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max > 0 && nr_cpus > (unsigned int)max)
		return err_set(e, ERR_USAGE, -EINVAL, "%u vCPUs are more than "
			       "this host's KVM allows (%d)", nr_cpus, max);
	/* Optional: the guest gets CPUID's TSC-deadline bit (cpuid.h). */
	k->tsc_deadline = ioctl(k->kvm_fd, KVM_CHECK_EXTENSION,
				KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	return 0;
}

int kvm_open(struct kvm *k, unsigned int nr_cpus, struct vmon_err *e)
{
	int ret;

	*k = (struct kvm){ .kvm_fd = -1, .vm_fd = -1 };
	k->kvm_fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (k->kvm_fd < 0)
		return err_set(e, ERR_HOST, -errno, "cannot open %s: %s (is KVM "
			       "available, and may this user open it?)",
			       KVM_DEVICE, strerror(errno));
	if ((ret = check_kvm(k, nr_cpus, e)))
		goto err;
	k->vm_fd = ioctl(k->kvm_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0) {
		ret = err_set(e, ERR_HOST, -errno, "KVM_CREATE_VM failed: %s",
			      strerror(errno));
		goto err;
	}
	k->vcpu_mmap_size = ioctl(k->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->vcpu_mmap_size <= 0) {
		ret = err_set(e, ERR_HOST, -EIO, "KVM_GET_VCPU_MMAP_SIZE "
			      "failed");
		goto err;
	}
	return 0;
err:
	kvm_close(k);
	return ret;
}

void kvm_close(struct kvm *k)
{
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->kvm_fd >= 0)
		close(k->kvm_fd);
	k->vm_fd = k->kvm_fd = -1;
}

int kvm_set_irq(struct kvm *k, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(k->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

static void gsi_line_set(void *opaque, unsigned int gsi, int level)
{
	struct kvm *k = opaque;
	int ret = kvm_set_irq(k, gsi, level);

	/* The device cannot do anything about it: say so, rarely. */
	if (ret)
		log_ratelimited(&k->rl, LOG_ERROR,
				"KVM_IRQ_LINE gsi %u level %d: %s", gsi, level,
				strerror(-ret));
}

struct irq_line kvm_gsi_line(struct kvm *k, unsigned int gsi)
{
	return (struct irq_line){ .set = gsi_line_set, .opaque = k,
				  .line = gsi };
}
