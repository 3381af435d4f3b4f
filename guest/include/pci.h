/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0 for the test guest: configuration space through ECAM (the
 * ACPI MCFG table's window) or configuration mechanism #1 (ports
 * 0xcf8/0xcfc), enumeration, capabilities and memory BARs.  Everything is
 * usable at CPL3 (port I/O is open to user mode, the MMIO hole is mapped
 * user-accessible).  References: PCI Local Bus 3.0 (3.2.2.3.2, 6.1, 6.7),
 * PCI Firmware 3.0 (4.1.2, MCFG).
 */
#ifndef GUEST_PCI_H
#define GUEST_PCI_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_MEMORY	(1u << 1)
#define PCI_COMMAND_MASTER	(1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_STATUS_INTERRUPT	(1u << 3)
#define PCI_STATUS_CAP_LIST	(1u << 4)

#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11

/* A function on bus 0. */
#define PCI_DEVFN(dev, fn)	((uint32_t)(dev) << 3 | (fn))

enum pci_access { PCI_ACCESS_ECAM, PCI_ACCESS_CF8 };

/* ECAM if there is an MCFG table (or `ecam=ADDR` on the command line)
 * and `pcicfg=cf8` is not there, else mechanism #1.  Called by the
 * accessors on first use. */
void pci_init(void);
enum pci_access pci_access(void);
const char *pci_access_name(void);
/* Force one mechanism (tests compare both). */
void pci_set_access(enum pci_access a);

uint32_t pci_read32(uint32_t devfn, uint32_t reg);
uint16_t pci_read16(uint32_t devfn, uint32_t reg);
uint8_t pci_read8(uint32_t devfn, uint32_t reg);
void pci_write32(uint32_t devfn, uint32_t reg, uint32_t v);
void pci_write16(uint32_t devfn, uint32_t reg, uint16_t v);
void pci_write8(uint32_t devfn, uint32_t reg, uint8_t v);

/* First function on bus 0 with these IDs; false if there is none. */
bool pci_find(uint16_t vendor, uint16_t device, uint32_t *devfn);
/* Offset of the next capability with this ID after `after` (0: from
 * the start); 0 when there is none. */
uint8_t pci_find_cap(uint32_t devfn, uint8_t id, uint8_t after);
/* A 32-bit memory BAR's address and (sized with decoding off) size. */
uint32_t pci_bar_addr(uint32_t devfn, int bar);
uint32_t pci_bar_size(uint32_t devfn, int bar);
/* Move a memory BAR (decoding off while it changes). */
void pci_bar_move(uint32_t devfn, int bar, uint32_t addr);
/* Give every memory BAR that reads 0 an address in 0xc0000000 and up
 * (below 4 GiB), as firmware would; vmon places BARs itself, QEMU's
 * microvm leaves that to the guest.  Returns how many were placed. */
int pci_assign_bars(uint32_t devfn);

#endif
