/* SPDX-License-Identifier: MIT */
/*
 * A virtual machine: its KVM file descriptors, guest RAM, the two buses,
 * the vCPUs, run control and the devices.  Nothing lives in globals, so
 * a test can build several VMs in one process.
 */
#ifndef VMON_MACHINE_VM_H
#define VMON_MACHINE_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86/boot.h"
#include "arch/x86/e820.h"
#include "core/bus.h"
#include "core/evloop.h"
#include "core/guest_mem.h"
#include "core/kvm.h"
#include "core/runctl.h"
#include "core/vcpu.h"
#include "lib/err.h"
#include "lib/metrics.h"
#include "machine/vm_config.h"

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
struct vm_config_owned;

struct vm {
	struct vm_config cfg;
	struct kvm kvm;
	struct guest_mem mem;
	struct e820_map e820;
	struct boot_result boot;
	uint64_t rsdp_gpa;
	struct bus pio;
	struct bus mmio;
	struct kvm_cpuid2 *supported_cpuid;	/* KVM's + cpuid_apply_host */

	unsigned int nr_vcpus;
	unsigned int nr_started;	/* threads running */
	struct vcpu *vcpus;
	struct vcpu_env vcpu_env;	/* what they all share */

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

	/* The front end's loop (VMM thread): devices add their fds to it. */
	struct evloop *loop;

	/* Devices register their counter groups here (core/metrics.h). */
	struct metrics metrics;
	struct metrics_group uart_metrics, pio_metrics, mmio_metrics;

	/* Stopping and pausing (core/runctl.h); devices get its stop sink. */
	struct runctl rc;

	bool dirty_for_migration;	/* tracking on for a migration only */
	bool diff_base_lost;	/* a migration took the diff's pages */
	/* A restored VM's config (cfg's strings); vm_destroy frees it. */
	struct vm_config_owned *owned_cfg;

	/* vm_destroy() leaves the VM fd and guest RAM to the exit helper. */
	bool leave_kvm_open;
};

/*
 * Open /dev/kvm, create the VM, RAM, irqchip, PIT, buses and devices.
 * loop is the front end's (it outlives the VM); devices watch their fds
 * there.  0, or -errno with e filled in (may be NULL) and everything
 * made so far released again: then there is nothing to vm_destroy().
 */
int vm_create(struct vm *vm, const struct vm_config *cfg,
	      struct evloop *loop, struct vmon_err *e);
/* Build ACPI tables, load the kernel, set up every vCPU.  0 or -errno. */
int vm_load(struct vm *vm, struct vmon_err *e);
/* The guest's CPUID on vcpu, as at boot (and before a restore).  -errno. */
int vm_vcpu_set_cpuid(struct vm *vm, struct vcpu *vcpu);
/* Start the vCPU threads; stop (they must be stopping) and join them. */
int vm_start_vcpus(struct vm *vm);
void vm_join_vcpus(struct vm *vm);

/*
 * Park every vCPU outside KVM_RUN and wait until they all are, or let
 * them run again.  Called from the VMM thread.  0 or -errno.
 */
int vm_pause(struct vm *vm);
int vm_resume(struct vm *vm);
void vm_destroy(struct vm *vm);

/*
 * With cfg.track_dirty: OR into bitmap (gm_pages() bits, indexed by page
 * of the memory file) every page written since the last call, by the
 * guest (KVM's dirty log, read and cleared per memory slot) or by the VMM
 * (gm_take_dirty), and start over.  0, -ENOTSUP without tracking, or
 * -errno with bitmap partly filled (the caller gives it back).
 */
int vm_take_dirty(struct vm *vm, uint64_t *bitmap);

/*
 * A migration's dirty tracking: on (KVM's log on every RAM slot and the
 * VMM's bitmap) unless the VM already tracks for diff snapshots, and off
 * again after.  Call with the vCPUs paused (the VMM's bitmap appears
 * under their feet otherwise).  0 or -errno.
 */
int vm_dirty_log_start(struct vm *vm);
void vm_dirty_log_stop(struct vm *vm);

/*
 * Ask the VM to stop with this reason and process exit status.  Safe from
 * any thread; only the first call has effect.
 */
static inline void vm_request_stop(struct vm *vm, enum vm_stop_reason reason,
				   int status)
{
	runctl_request_stop(&vm->rc, reason, status);
}

static inline bool vm_stopping(struct vm *vm)
{
	return runctl_stopping(&vm->rc);
}

/* Type scancodes (set 1) on the board's keyboard (board.c).  Any thread. */
void vm_push_keys(struct vm *vm, const uint8_t *codes, unsigned int n);

/* The process exit status the stop asked for. */
static inline int vm_exit_status(const struct vm *vm)
{
	return vm->rc.exit_status;
}

#endif
