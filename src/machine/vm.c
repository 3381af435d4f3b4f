// SPDX-License-Identifier: MIT
#include "machine/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "arch/x86/acpi.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/fault.h"
#include "arch/x86/platform.h"
#include "arch/x86/regs.h"
#include "arch/x86/smbios.h"
#include "core/vcpu.h"
#include "hw/serial.h"
#include "lib/err.h"
#include "lib/exit_status.h"
#include "lib/log.h"
#include "lib/snapfile.h"
#include "machine/vm_config_snap.h"
#include "machine/board.h"

static int open_serial_out(const struct vm_config *cfg, struct vmon_err *e)
{
	int fd;

	switch (cfg->serial_mode) {
	case SERIAL_STDIO:
		return STDOUT_FILENO;
	case SERIAL_FILE:
		fd = open(cfg->serial_path,
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return err_set(e, ERR_USAGE, -errno, "cannot open serial "
				       "output file %s: %s", cfg->serial_path,
				       strerror(errno));
		return fd;
	default:
		return -1;
	}
}

/* KVM's CPUID, plus what the host offers beyond it (cpuid_apply_host). */
static int get_cpuid(struct vm *vm, struct vmon_err *e)
{
	struct cpuid_host host = { .tsc_deadline = vm->kvm.tsc_deadline };
	int ret = cpuid_get_supported(vm->kvm.kvm_fd, &vm->supported_cpuid);

	if (ret)
		return err_set(e, ERR_HOST, ret, "KVM_GET_SUPPORTED_CPUID: %s",
			       strerror(-ret));
	cpuid_host_brand(host.brand);
	ret = cpuid_apply_host(&vm->supported_cpuid, &host);
	if (ret)
		return err_set(e, ERR_HOST, ret, "cannot extend the CPUID "
			       "table: %s", strerror(-ret));
	char brand[49];

	cpuid_brand_string(vm->supported_cpuid, brand);
	log_info("cpuid: \"%s\", TSC-deadline timer %s", brand,
		 vm->kvm.tsc_deadline ? "offered" : "not emulated by KVM");
	return 0;
}

static int map_memory(struct vm *vm, struct vmon_err *e)
{
	int fd = -1, ret;

	if (vm->cfg.mem_file &&
	    (ret = snap_mem_open(vm->cfg.mem_file, vm->cfg.mem_size, &fd, e)))
		return ret;
	if (vm->cfg.has_mem_fd)
		ret = gm_alloc_shared(&vm->mem, vm->cfg.mem_size,
				      PLAT_MMIO_HOLE_START, PLAT_HIGH_MEM_START,
				      vm->cfg.mem_fd);
	else
		ret = gm_alloc_fd(&vm->mem, vm->cfg.mem_size,
				  PLAT_MMIO_HOLE_START, PLAT_HIGH_MEM_START, fd);
	if (fd >= 0)
		close(fd);	/* the mapping keeps the file */
	if (ret)
		return err_set(e, ERR_HOST, ret, "cannot reserve %llu MiB of "
			       "guest RAM: %s",
			       (unsigned long long)(vm->cfg.mem_size >> 20),
			       strerror(-ret));
	if (vm->cfg.track_dirty && (ret = gm_track_dirty(&vm->mem))) {
		gm_free(&vm->mem);
		return err_set(e, ERR_HOST, ret, "cannot track dirty pages: %s",
			       strerror(-ret));
	}
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		const struct gm_region *r = &vm->mem.region[i];
		struct kvm_userspace_memory_region kr = {
			.slot = i,
			.flags = vm->cfg.track_dirty ? KVM_MEM_LOG_DIRTY_PAGES : 0,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)r->hva,
		};

		if (ioctl(vm->kvm.vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0) {
			ret = err_set(e, ERR_HOST, -errno, "KVM_SET_USER_MEMORY_"
				      "REGION slot %u: %s", i, strerror(errno));
			gm_free(&vm->mem);
			return ret;
		}
	}
	return 0;
}

/* Each RAM slot registered again with flags: dirty logging on or off. */
static int set_slot_flags(struct vm *vm, uint32_t flags)
{
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		const struct gm_region *r = &vm->mem.region[i];
		struct kvm_userspace_memory_region kr = {
			.slot = i,
			.flags = flags,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)r->hva,
		};

		if (ioctl(vm->kvm.vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
			return -errno;
	}
	return 0;
}

int vm_dirty_log_start(struct vm *vm)
{
	int ret;

	if (vm->cfg.track_dirty) {
		/* A diff after this would lack what the migration takes. */
		vm->diff_base_lost = true;
		return 0;
	}
	if ((ret = gm_track_dirty(&vm->mem)) ||
	    (ret = set_slot_flags(vm, KVM_MEM_LOG_DIRTY_PAGES)))
		return ret;
	vm->cfg.track_dirty = true;
	vm->dirty_for_migration = true;
	return 0;
}

void vm_dirty_log_stop(struct vm *vm)
{
	if (!vm->dirty_for_migration)
		return;
	if (set_slot_flags(vm, 0))
		log_warn("cannot turn dirty page logging off: %s",
			 strerror(errno));
	vm->cfg.track_dirty = false;
	vm->dirty_for_migration = false;
}

int vm_take_dirty(struct vm *vm, uint64_t *bitmap)
{
	uint64_t *log = NULL;
	size_t cap = 0;
	int ret = 0;

	if (!vm->cfg.track_dirty)
		return -ENOTSUP;
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		const struct gm_region *r = &vm->mem.region[i];
		uint64_t pages = r->size / GM_PAGE_SIZE;
		/* The region's first page in the host block (the file). */
		uint64_t base = (uint64_t)(r->hva - vm->mem.region[0].hva) /
				GM_PAGE_SIZE;
		size_t words = (size_t)((pages + 63) / 64);
		struct kvm_dirty_log dl = { .slot = i };

		if (words > cap) {
			uint64_t *n = realloc(log, words * sizeof(*log));

			if (!n) {
				ret = -ENOMEM;
				break;
			}
			log = n;
			cap = words;
		}
		memset(log, 0, words * sizeof(*log));
		dl.dirty_bitmap = log;
		/* Returns the slot's bits and clears them (no manual protect). */
		if (ioctl(vm->kvm.vm_fd, KVM_GET_DIRTY_LOG, &dl) < 0) {
			ret = -errno;
			break;
		}
		for (size_t w = 0; w < words; w++)
			for (uint64_t bits = log[w]; bits; bits &= bits - 1) {
				uint64_t pg = base + w * 64 +
					      (uint64_t)__builtin_ctzll(bits);

				bitmap[pg / 64] |= 1ULL << (pg % 64);
			}
	}
	free(log);
	gm_take_dirty(&vm->mem, bitmap);
	return ret;
}

static const char *const uart_metric_names[] = {
	"tx_bytes", "tx_dropped", "tx_full", "tx_stalls",
};
static const char *const bus_metric_names[] = { "unhandled_accesses" };

static void sample_uart(struct metrics_group *g, void *opaque)
{
	struct serial *s = opaque;

	/* Not under the UART's lock: atomic counters, one may lag another. */
	metrics_store(g, 0, counter_get(&s->tx_bytes));
	metrics_store(g, 1, counter_get(&s->tx_dropped));
	metrics_store(g, 2, counter_get(&s->tx_full));
	metrics_store(g, 3, counter_get(&s->tx_stalls));
}

static void sample_bus(struct metrics_group *g, void *opaque)
{
	struct bus *bus = opaque;

	metrics_store(g, 0, counter_get(&bus->unhandled));
}

/* The platform's own counters: the console and accesses that hit nothing. */
static void register_platform_metrics(struct vm *vm)
{
	metrics_group_init(&vm->uart_metrics, "uart", uart_metric_names, 4);
	metrics_group_set_sample(&vm->uart_metrics, sample_uart, vm->serial);
	metrics_group_init(&vm->pio_metrics, "pio_bus", bus_metric_names, 1);
	metrics_group_set_sample(&vm->pio_metrics, sample_bus, &vm->pio);
	metrics_group_init(&vm->mmio_metrics, "mmio_bus", bus_metric_names, 1);
	metrics_group_set_sample(&vm->mmio_metrics, sample_bus, &vm->mmio);
	metrics_register(&vm->metrics, &vm->uart_metrics);
	metrics_register(&vm->metrics, &vm->pio_metrics);
	metrics_register(&vm->metrics, &vm->mmio_metrics);
}

int vm_create(struct vm *vm, const struct vm_config *cfg,
	      struct evloop *loop, struct vmon_err *e)
{
	int ret, serial_fd;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = *cfg;
	vm->loop = loop;
	vm->kvm = (struct kvm){ .kvm_fd = -1, .vm_fd = -1 };
	if ((ret = runctl_init(&vm->rc)))
		return err_set(e, ERR_HOST, ret, "cannot create the stop "
			       "eventfd: %s", strerror(-ret));
	if ((ret = bus_init(&vm->pio, "pio")))
		goto out_rc;
	if ((ret = bus_init(&vm->mmio, "mmio")))
		goto out_pio;
	if ((ret = kvm_open(&vm->kvm, cfg->nr_cpus, e)))
		goto out_mmio;
	if ((ret = map_memory(vm, e)))
		goto out_kvm;
	if ((ret = get_cpuid(vm, e)))
		goto out_mem;
	serial_fd = open_serial_out(cfg, e);
	if (serial_fd < -1) {
		ret = serial_fd;
		goto out_cpuid;
	}
	/* The irqchip must exist before vCPUs are created (api.rst 4.24). */
	if ((ret = board_create(vm, serial_fd, e)))
		goto out_serial;
	register_platform_metrics(vm);

	vm->vcpu_env = (struct vcpu_env){
		.kvm = &vm->kvm, .pio = &vm->pio, .mmio = &vm->mmio,
		.mem = &vm->mem, .rc = &vm->rc,
		.report_fatal = x86_report_fatal_exit,
		.sandbox = !cfg->no_seccomp,
	};
	vm->vcpus = calloc(cfg->nr_cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		ret = -ENOMEM;
		goto out_board;
	}
	for (unsigned int i = 0; i < cfg->nr_cpus; i++) {
		ret = vcpu_create(&vm->vcpus[i], &vm->vcpu_env, i);
		if (ret) {
			err_set(e, ERR_HOST, ret, "cannot create vCPU %u: %s", i,
				strerror(-ret));
			goto out_vcpus;
		}
		vm->nr_vcpus++;
	}
	return 0;
out_vcpus:
	while (vm->nr_vcpus)
		vcpu_destroy(&vm->vcpus[--vm->nr_vcpus]);
	free(vm->vcpus);
	vm->vcpus = NULL;
out_board:
	board_destroy(vm);
out_serial:
	if (serial_fd > STDERR_FILENO)
		close(serial_fd);
out_cpuid:
	free(vm->supported_cpuid);
	vm->supported_cpuid = NULL;
out_mem:
	gm_free(&vm->mem);
out_kvm:
	kvm_close(&vm->kvm);
out_mmio:
	bus_destroy(&vm->mmio);
out_pio:
	bus_destroy(&vm->pio);
out_rc:
	runctl_destroy(&vm->rc);
	/* A failure with no message of its own is the host's. */
	return err_set(e, ERR_HOST, ret, "cannot create the VM: %s",
		       strerror(-ret));
}

int vm_vcpu_set_cpuid(struct vm *vm, struct vcpu *vcpu)
{
	struct kvm_cpuid2 *cpuid = NULL;
	int ret;

	ret = cpuid_for_vcpu(vm->supported_cpuid, vcpu->index, vm->nr_vcpus,
			     &cpuid);
	if (ret)
		return ret;
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0) {
		ret = -errno;
		free(cpuid);
		return ret;
	}
	free(cpuid);
	return 0;
}

static int setup_vcpu(struct vm *vm, struct vcpu *vcpu)
{
	int ret;

	if ((ret = vm_vcpu_set_cpuid(vm, vcpu)))
		return ret;
	if ((ret = x86_setup_vcpu_common(vcpu->fd)))
		return ret;
	/* The BSP starts at the kernel; APs wait for the guest's SIPI. */
	if (vcpu->index == 0)
		return x86_setup_boot_regs(vcpu->fd, &vm->boot);
	return 0;
}

/*
 * SMBIOS (smbios.h): a random RFC 4122 version 4 UUID per VM, and the
 * processor as the guest's CPUID shows it.
 */
static int build_smbios(struct vm *vm)
{
	struct smbios_config scfg = { .nr_cpus = vm->nr_vcpus };
	const struct kvm_cpuid_entry2 *leaf1;
	char vendor[13], brand[49];

	if (getrandom(scfg.uuid, sizeof(scfg.uuid), 0) !=
	    (ssize_t)sizeof(scfg.uuid)) {
		/* All zeros: "not present but settable" (DSP0134 7.2.1). */
		log_warn("no random UUID for SMBIOS: %s", strerror(errno));
		memset(scfg.uuid, 0, sizeof(scfg.uuid));
	} else {
		scfg.uuid[6] = (uint8_t)((scfg.uuid[6] & 0x0f) | 0x40);
		scfg.uuid[8] = (uint8_t)((scfg.uuid[8] & 0x3f) | 0x80);
	}
	cpuid_vendor_string(vm->supported_cpuid, vendor);
	cpuid_brand_string(vm->supported_cpuid, brand);
	scfg.cpu_manufacturer = vendor[0] ? vendor : NULL;
	scfg.cpu_version = brand[0] ? brand : NULL;
	leaf1 = cpuid_find(vm->supported_cpuid, 0x1, 0);
	if (leaf1) {
		scfg.cpu_signature = leaf1->eax;
		scfg.cpu_features = leaf1->edx;
	}
	return smbios_build(&vm->mem, &scfg);
}

int vm_load(struct vm *vm, struct vmon_err *err)
{
	char why[512];
	struct acpi_config acfg = { .nr_cpus = vm->nr_vcpus,
				    .pci = vm->pci != NULL };
	struct boot_config bcfg;
	int ret;

	e820_build(&vm->mem, &vm->e820);
	for (unsigned int i = 0; i < vm->e820.nr; i++) {
		const struct e820_entry *e = &vm->e820.entry[i];

		/* Linux's own format, so tests can compare the two maps. */
		log_info("e820: [mem 0x%016llx-0x%016llx] %s",
			 (unsigned long long)e->addr,
			 (unsigned long long)(e->addr + e->size - 1),
			 e->type == E820_RAM ? "usable" : "reserved");
	}
	ret = acpi_build(&vm->mem, &acfg, &vm->rsdp_gpa);
	if (ret)
		return err_set(err, ERR_HOST, ret, "cannot build ACPI tables: "
			       "%s", strerror(-ret));
	ret = build_smbios(vm);
	if (ret)
		return err_set(err, ERR_HOST, ret, "cannot build SMBIOS tables: "
			       "%s", strerror(-ret));
	bcfg = (struct boot_config){
		.kernel_path = vm->cfg.kernel,
		.initrd_path = vm->cfg.initrd,
		.cmdline = vm->cfg.cmdline,
		.rsdp_gpa = vm->rsdp_gpa,
		.guest_decompress = vm->cfg.guest_decompress,
	};
	/* What the kernel, initrd or command line are: the operator's. */
	ret = boot_load(&vm->mem, &vm->e820, &bcfg, &vm->boot, why, sizeof(why));
	if (ret)
		return err_set(err, ERR_USAGE, ret, "%s", why);
	log_info("kernel: %s at [0x%llx, 0x%llx), entry 0x%llx%s",
		 vm->boot.kind == BOOT_PVH ? "PVH ELF" : "Linux 64-bit",
		 (unsigned long long)vm->boot.kernel_start,
		 (unsigned long long)vm->boot.kernel_end,
		 (unsigned long long)vm->boot.entry,
		 vm->boot.unpacked ? " (payload unpacked on the host)" : "");
	ret = x86_write_boot_tables(&vm->mem, vm->boot.kind);
	if (ret)
		return err_set(err, ERR_HOST, ret, "cannot write boot page "
			       "tables: %s", strerror(-ret));
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		ret = setup_vcpu(vm, &vm->vcpus[i]);
		if (ret)
			return err_set(err, ERR_HOST, ret, "cannot set up vCPU "
				       "%u: %s", i, strerror(-ret));
	}
	return 0;
}

int vm_start_vcpus(struct vm *vm)
{
	int ret = vcpu_signal_setup();

	if (ret)
		return ret;
	for (; vm->nr_started < vm->nr_vcpus; vm->nr_started++) {
		ret = vcpu_start(&vm->vcpus[vm->nr_started]);
		if (ret) {
			log_error("cannot start vCPU %u: %s", vm->nr_started,
				  strerror(-ret));
			vm_request_stop(vm, VM_STOP_INTERNAL, VMON_EXIT_INTERNAL);
			return ret;
		}
	}
	return 0;
}

void vm_join_vcpus(struct vm *vm)
{
	/* Wake parked vCPUs too: they must see the stop and leave. */
	runctl_resume(&vm->rc);
	for (unsigned int i = 0; i < vm->nr_started; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned int i = 0; i < vm->nr_started; i++)
		vcpu_join(&vm->vcpus[i]);
	vm->nr_started = 0;
}

static void kick_all(void *opaque)
{
	struct vm *vm = opaque;

	for (unsigned int i = 0; i < vm->nr_started; i++)
		vcpu_kick(&vm->vcpus[i]);
}

int vm_pause(struct vm *vm)
{
	return runctl_pause(&vm->rc, vm->nr_started, kick_all, vm);
}

int vm_resume(struct vm *vm)
{
	runctl_resume(&vm->rc);
	return 0;
}

void vm_destroy(struct vm *vm)
{
	int serial_fd;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpus = 0;
	/* The UART flushes what it holds to its fd first (serial_destroy). */
	serial_fd = vm->serial ? vm->serial->out_fd : -1;
	board_destroy(vm);
	if (serial_fd > STDERR_FILENO)
		close(serial_fd);
	free(vm->supported_cpuid);
	vm->supported_cpuid = NULL;
	/*
	 * The slow part of a teardown (the VM's last close, unmapping touched
	 * RAM) may be left to teardown_exit_fast()'s helper.
	 */
	if (!vm->leave_kvm_open) {
		gm_free(&vm->mem);
		kvm_close(&vm->kvm);
	}
	vm->kvm.vm_fd = vm->kvm.kvm_fd = -1;
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	runctl_destroy(&vm->rc);
	if (vm->owned_cfg) {
		vm_config_owned_free(vm->owned_cfg);
		free(vm->owned_cfg);
		vm->owned_cfg = NULL;
	}
}
