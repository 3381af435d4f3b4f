// SPDX-License-Identifier: MIT
#include "machine/board.h"
#include "machine/vm.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "arch/x86/platform.h"
#include "core/irq_routing.h"
#include "hw/acpi_pm.h"
#include "hw/debug_exit.h"
#include "hw/i8042.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "lib/err.h"
#include "lib/log.h"
#include "machine/devices.h"
#include "machine/vm.h"
#include "pci/pci.h"

/* Intel VMX needs these two pages reserved out of the guest's view. */
#define KVM_TSS_ADDR		0xfffbd000ULL
#define KVM_IDENTITY_MAP_ADDR	0xfffbc000ULL

/*
 * GSI routing for the ISA interrupts.  KVM's default sends GSI 0 (where
 * the in-kernel PIT fires) to I/O APIC pin 0, but PC firmware, QEMU and
 * our MADT say ISA IRQ 0 arrives on pin 2 (interrupt source override).
 * So: GSI 0 -> PIC 0 and IOAPIC pin 2; GSI n -> PIC n and pin n otherwise;
 * the PIC's cascade (IRQ 2) is not a source.  GSIs 16-23 (PCI INTx) go to
 * their IOAPIC pins.  vm->routing owns the table: MSI routes join later.
 */
static int set_isa_routing(struct vm *vm)
{
	int ret = 0;

	for (unsigned int gsi = 0; gsi < 16 && !ret; gsi++) {
		if (gsi == 2)
			continue;
		ret = irq_routing_add_irqchip(vm->routing, gsi,
					      gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
						      : KVM_IRQCHIP_PIC_SLAVE,
					      gsi % 8);
	}
	for (unsigned int gsi = 0; gsi < PLAT_IOAPIC_PINS && !ret; gsi++) {
		if (gsi == PLAT_GSI_PIT)
			continue;
		ret = irq_routing_add_irqchip(vm->routing, gsi,
					      KVM_IRQCHIP_IOAPIC,
					      gsi == PLAT_IRQ_PIT ? PLAT_GSI_PIT
								  : gsi);
	}
	return ret ? ret : irq_routing_commit(vm->routing);
}

static int create_irqchip(struct vm *vm, struct vmon_err *e)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = KVM_IDENTITY_MAP_ADDR;

	if (ioctl(vm->kvm.vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		log_debug("KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	if (ioctl(vm->kvm.vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_ADDR) < 0)
		log_debug("KVM_SET_TSS_ADDR: %s", strerror(errno));
	/* 8259 PICs, IOAPIC and local APICs in the kernel. */
	if (ioctl(vm->kvm.vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return err_set(e, ERR_HOST, -errno, "KVM_CREATE_IRQCHIP failed: "
			       "%s", strerror(errno));
	if (ioctl(vm->kvm.vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return err_set(e, ERR_HOST, -errno, "KVM_CREATE_PIT2 failed: %s",
			       strerror(errno));
	return set_isa_routing(vm);
}

int board_create(struct vm *vm, int serial_out_fd, struct vmon_err *e)
{
	int ret;

	vm->routing = calloc(1, sizeof(*vm->routing));
	if (!vm->routing)
		return err_set(e, ERR_HOST, -ENOMEM, "out of memory");
	ret = irq_routing_init(vm->routing, vm->kvm.vm_fd, PLAT_MSI_GSI_BASE);
	if (ret) {
		free(vm->routing);
		vm->routing = NULL;
		return err_set(e, ERR_HOST, ret, "cannot set up interrupt "
			       "routing: %s", strerror(-ret));
	}
	if ((ret = create_irqchip(vm, e)))
		goto fail;

	vm->serial = calloc(1, sizeof(*vm->serial));
	vm->i8042 = calloc(1, sizeof(*vm->i8042));
	vm->rtc = calloc(1, sizeof(*vm->rtc));
	vm->pm = calloc(1, sizeof(*vm->pm));
	vm->debug_exit = calloc(1, sizeof(*vm->debug_exit));
	vm->post = calloc(1, sizeof(*vm->post));
	if (!vm->serial || !vm->i8042 || !vm->rtc || !vm->pm ||
	    !vm->debug_exit || !vm->post) {
		ret = -ENOMEM;
		goto fail;
	}

	/* Devices get their lines and the stop sink, never the VM. */
	const struct irq_line com1 = kvm_gsi_line(&vm->kvm, PLAT_IRQ_COM1);
	const struct irq_line kbd = kvm_gsi_line(&vm->kvm, PLAT_IRQ_KEYBOARD);
	const struct stop_sink stop = runctl_stop_sink(&vm->rc);

	if ((ret = serial_init(vm->serial, &com1, serial_out_fd,
				 vm->loop)) ||
	    (ret = i8042_init(vm->i8042, &kbd, &stop)) ||
	    (ret = rtc_init(vm->rtc)) ||
	    (ret = acpi_pm_init(vm->pm, &stop)))
		goto fail;
	debug_exit_init(vm->debug_exit, &stop);
	post_port_init(vm->post);

	/* The platform's port map: one table, mirrored in docs/platform.md. */
	const struct {
		uint64_t port, len;
		bus_io_fn fn;
		void *dev;
		const char *name;
		bool enabled;
	} ports[] = {
		{ PLAT_PORT_COM1, 8, serial_io, vm->serial, "com1", true },
		{ PLAT_PORT_I8042_DATA, 1, i8042_data_io, vm->i8042,
		  "i8042-data", true },
		{ PLAT_PORT_I8042_CMD, 1, i8042_cmd_io, vm->i8042,
		  "i8042-cmd", true },
		{ PLAT_PORT_RTC, 2, rtc_io, vm->rtc, "rtc", true },
		{ PLAT_PORT_PM1A_EVT, ACPI_PM_BLOCK_LEN, acpi_pm_io, vm->pm,
		  "acpi-pm", true },
		{ 0x80, 1, post_port_io, vm->post, "post", true },
		{ PLAT_PORT_DEBUG_EXIT, 4, debug_exit_io, vm->debug_exit,
		  "debug-exit", vm->cfg.debug_exit },
	};

	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		if (!ports[i].enabled)
			continue;
		ret = bus_register(&vm->pio, ports[i].port, ports[i].len,
				   ports[i].fn, ports[i].dev, ports[i].name);
		if (ret) {
			err_set(e, ERR_HOST, ret, "cannot register %s at port "
				"0x%llx: %s", ports[i].name,
				(unsigned long long)ports[i].port,
				strerror(-ret));
			goto fail;
		}
	}

	/* PCI bus 0 (config ports 0xcf8-0xcff, ECAM) and its devices. */
	vm->pci = calloc(1, sizeof(*vm->pci));
	vm->virtio = calloc(1, sizeof(*vm->virtio));
	if (!vm->pci || !vm->virtio) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = pci_host_init(vm->pci, vm->kvm.vm_fd, &vm->pio, &vm->mmio,
			    vm->routing);
	if (ret) {
		free(vm->pci);
		vm->pci = NULL;
		goto fail;
	}
	struct irq_line intx[PLAT_PCI_GSI_COUNT];

	for (unsigned int i = 0; i < PLAT_PCI_GSI_COUNT; i++)
		intx[i] = kvm_gsi_line(&vm->kvm, PLAT_PCI_GSI_BASE + i);
	pci_host_connect_intx(vm->pci, intx);
	if ((ret = virtio_devices_create(vm, e)))
		goto fail;
	return 0;
fail:
	/* board_destroy takes a half-built board apart, in reverse. */
	board_destroy(vm);
	return err_set(e, ERR_HOST, ret, "cannot create the board: %s",
		       strerror(-ret));
}

void vm_push_keys(struct vm *vm, const uint8_t *codes, unsigned int n)
{
	i8042_push_keys(vm->i8042, codes, n);
}

void board_destroy(struct vm *vm)
{
	virtio_devices_destroy(vm);
	free(vm->virtio);
	vm->virtio = NULL;
	if (vm->pci) {
		pci_host_destroy(vm->pci);
		free(vm->pci);
		vm->pci = NULL;
	}
	if (vm->serial) {
		serial_destroy(vm->serial);
		free(vm->serial);
	}
	if (vm->i8042) {
		i8042_destroy(vm->i8042);
		free(vm->i8042);
	}
	if (vm->rtc) {
		rtc_destroy(vm->rtc);
		free(vm->rtc);
	}
	if (vm->pm) {
		acpi_pm_destroy(vm->pm);
		free(vm->pm);
	}
	free(vm->debug_exit);
	free(vm->post);
	vm->serial = NULL;
	vm->i8042 = NULL;
	vm->rtc = NULL;
	vm->pm = NULL;
	vm->debug_exit = NULL;
	vm->post = NULL;
	if (vm->routing) {
		irq_routing_destroy(vm->routing);
		free(vm->routing);
		vm->routing = NULL;
	}
}
