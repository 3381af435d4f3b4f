/* SPDX-License-Identifier: MIT */
/*
 * The floor programs' shared helpers: the fewest KVM calls that give a VM
 * with guest RAM and one vCPU.  Header-only so each floor program is one
 * file; every failure is fatal with the call that failed.
 */
#ifndef BENCH_FLOOR_KVM_H
#define BENCH_FLOOR_KVM_H

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

struct floor_vm {
	int kvm, vm, vcpu;
	uint8_t *mem;
	size_t mem_size;
	struct kvm_run *run;
};

static inline void die(const char *fmt, ...)
{
	va_list ap;
	int err = errno;

	va_start(ap, fmt);
	fputs("floor: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(2);
}

static inline int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r = ioctl(fd, req, arg);

	if (r < 0)
		die("%s", what);
	return r;
}

/* A VM with mem_size bytes of anonymous, lazily backed RAM at guest
 * physical 0 (as vmon maps it) and one vCPU with its kvm_run mapped.
 * With irqchip, also the in-kernel PIC/IOAPIC/LAPICs and PIT that vmon
 * and QEMU create (before the vCPU, as KVM requires). */
static inline void floor_vm_create(struct floor_vm *v, size_t mem_size, int irqchip)
{
	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0)
		die("open /dev/kvm");
	v->vm = xioctl(v->kvm, KVM_CREATE_VM, 0, "KVM_CREATE_VM");
	v->mem_size = mem_size;
	v->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (v->mem == MAP_FAILED)
		die("mmap guest RAM");
	struct kvm_userspace_memory_region r = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = mem_size,
		.userspace_addr = (uintptr_t)v->mem,
	};
	xioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &r, "KVM_SET_USER_MEMORY_REGION");
	if (irqchip) {
		struct kvm_pit_config pit = { .flags = 0 };

		xioctl(v->vm, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");
		xioctl(v->vm, KVM_CREATE_PIT2, &pit, "KVM_CREATE_PIT2");
	}
	v->vcpu = xioctl(v->vm, KVM_CREATE_VCPU, 0, "KVM_CREATE_VCPU");
	int sz = xioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
	v->run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED)
		die("mmap kvm_run");
}

static inline void floor_run(struct floor_vm *v)
{
	while (ioctl(v->vcpu, KVM_RUN, 0) < 0)
		if (errno != EINTR && errno != EAGAIN)
			die("KVM_RUN");
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "key=value" from argv, as the guest reads its command line. */
static inline uint64_t arg_u64(int argc, char **argv, const char *key, uint64_t def)
{
	size_t n = strlen(key);

	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], key, n) == 0 && argv[i][n] == '=')
			return strtoull(argv[i] + n + 1, NULL, 0);
	return def;
}

static inline void unexpected_exit(struct floor_vm *v)
{
	struct kvm_regs regs;

	ioctl(v->vcpu, KVM_GET_REGS, &regs);
	fprintf(stderr, "floor: unexpected exit reason %u at rip=0x%llx",
		v->run->exit_reason, (unsigned long long)regs.rip);
	if (v->run->exit_reason == KVM_EXIT_IO)
		fprintf(stderr, " (port 0x%x)", v->run->io.port);
	if (v->run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		fprintf(stderr, " (suberror %u)", v->run->internal.suberror);
	fputc('\n', stderr);
	exit(3);
}

#endif
