/* SPDX-License-Identifier: MIT */
/*
 * A virtual machine: the KVM VM file descriptor, guest RAM, the two buses,
 * the vCPUs and the platform devices.  Nothing lives in globals, so a test
 * can build several VMs in one process.
 */
#ifndef VMON_MACHINE_VM_H
#define VMON_MACHINE_VM_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "core/bus.h"
#include "core/evloop.h"
#include "core/guest_mem.h"
#include "lib/metrics.h"
#include "machine/vm_config.h"

struct vcpu;
struct serial;
struct i8042;
struct rtc;
struct acpi_pm;
struct debug_exit;
struct post_port;
struct irq_routing;
struct pci_host;
struct virtio_devices;
struct kvm_cpuid2;

/* Why the VM stopped; the first reason recorded wins. */
enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_POWEROFF,
	VM_STOP_RESET,
	VM_STOP_DEBUG_EXIT,
	VM_STOP_SIGNAL,
	VM_STOP_GUEST_FAULT,
	VM_STOP_INTERNAL,
};

struct vm {
	struct vm_config cfg;
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	struct guest_mem mem;
	struct e820_map e820;
	struct boot_result boot;
	uint64_t rsdp_gpa;
	struct bus pio;
	struct bus mmio;
	struct kvm_cpuid2 *supported_cpuid;	/* KVM's + cpuid_apply_host */
	bool tsc_deadline;	/* KVM_CAP_TSC_DEADLINE_TIMER */

	unsigned int nr_vcpus;
	struct vcpu *vcpus;

	/* Platform devices (src/hw). */
	struct serial *serial;
	struct i8042 *i8042;
	struct rtc *rtc;
	struct acpi_pm *pm;
	struct debug_exit *debug_exit;
	struct post_port *post;

	/* Interrupt routing, PCI bus 0 and the virtio devices on it. */
	struct irq_routing *routing;
	struct pci_host *pci;
	struct virtio_devices *virtio;

	/* The VMM thread's loop: signals, console, devices, API calls. */
	struct evloop loop;

	/* Devices register their counter groups here (core/metrics.h). */
	struct metrics metrics;
	struct metrics_group uart_metrics, pio_metrics, mmio_metrics;

	/* Stop protocol: vm_request_stop() records, then wakes stop_fd. */
	atomic_int stop_reason;
	int exit_status;
	int stop_fd;		/* eventfd the main loop polls */

	/* Pause protocol: vCPU threads park on run_cond while paused. */
	pthread_mutex_t run_lock;
	pthread_cond_t run_cond;
	bool paused;
	unsigned int nr_parked;
	unsigned int nr_started;

	/* vm_destroy() leaves the VM fd and guest RAM to the exit helper. */
	bool leave_kvm_open;
};

/* Open /dev/kvm, create the VM, RAM, irqchip, PIT, buses and devices. */
int vm_create(struct vm *vm, const struct vm_config *cfg);
/* Build ACPI tables, load the kernel, set up every vCPU. */
int vm_load(struct vm *vm, char *err, size_t errlen);
/* Start the vCPU threads; stop (they must be stopping) and join them. */
int vm_start_vcpus(struct vm *vm);
void vm_join_vcpus(struct vm *vm);

/*
 * Park every vCPU outside KVM_RUN and wait until they all are, or let
 * them run again.  Called from the VMM thread.  0 or -errno.
 */
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);

/* Called by a vCPU thread before each KVM_RUN: waits while paused. */
void vm_vcpu_park_if_paused(struct vm *vm);
void vm_destroy(struct vm *vm);

/*
 * Ask the VM to stop with this reason and process exit status.  Safe from
 * any thread and from device handlers; only the first call has effect.
 */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason, int status);

static inline bool vm_stopping(struct vm *vm)
{
	return atomic_load_explicit(&vm->stop_reason, memory_order_acquire) !=
	       VM_RUNNING;
}

/* Drive an ISA/IOAPIC interrupt line of the in-kernel irqchip. */
int vm_set_irq_line(struct vm *vm, unsigned int gsi, int level);

#endif
