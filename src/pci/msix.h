/* SPDX-License-Identifier: MIT */
/*
 * MSI-X for PCI devices (PCI Local Bus 3.0, 6.8.2): the capability in
 * config space, the vector table and the pending-bit array in a memory
 * BAR, and delivery through KVM.
 *
 * Each vector owns an eventfd and a GSI.  While the vector is usable
 * (MSI-X enabled, function and vector unmasked) its GSI is routed to the
 * guest-written MSI message (irq_routing_set_msi) and the eventfd is bound
 * to the GSI with KVM_IRQFD, so raising it is one eventfd write that KVM
 * turns into the MSI.  Routes follow the table: an address/data write to
 * an unmasked vector, or unmasking one, re-installs the routing table.
 * A masked vector collects its message in the PBA; unmasking sends it.
 *
 * Everything here runs with the device's lock held (pci.h).
 */
#ifndef VMON_PCI_MSIX_H
#define VMON_PCI_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/metrics.h"

struct pci_dev;
struct irq_routing;
struct snap_enc;
struct snap_dec;

#define MSIX_MAX_VECTORS	2048	/* table size field: 11 bits */
#define MSIX_ENTRY_SIZE		16
#define MSIX_CTRL_ENABLE	(1u << 15)
#define MSIX_CTRL_FMASK		(1u << 14)
#define MSIX_CTRL_SIZE_MASK	0x7ffu
#define MSIX_VECTOR_MASKED	(1u << 0)
/* x86 MSI address window (Intel SDM vol. 3, 11.11.1). */
#define MSI_ADDR_BASE		0xfee00000u
#define MSI_ADDR_MASK		0xfff00000u

/* Words of a table entry (6.8.2.6 - 6.8.2.9). */
enum { MSIX_ADDR_LO, MSIX_ADDR_HI, MSIX_DATA, MSIX_CTRL };

struct msix_vector {
	uint32_t entry[4];			/* the guest's table entry */
	int efd;				/* -1 until created */
	uint32_t gsi;
	bool routed;				/* KVM routes gsi to r_addr */
	bool irqfd;				/* efd bound to gsi */
	uint64_t r_addr;
	uint32_t r_data;
};

struct msix {
	uint16_t nr;			/* 0: the device has no MSI-X */
	uint8_t cap;			/* config offset of the capability */
	int bar;
	uint32_t table_off, pba_off;
	struct msix_vector *v;
	uint64_t *pba;
	struct counter sent, pended, dropped;
};

/*
 * Give d (not yet plugged) an MSI-X capability with nr vectors whose
 * table and PBA live in BAR `bar` at the given offsets (8-byte aligned,
 * inside the BAR).  0 or -errno.
 */
int msix_init(struct pci_dev *d, uint16_t nr, int bar, uint32_t table_off,
	      uint32_t pba_off);
void msix_destroy(struct pci_dev *d);

bool msix_enabled(const struct pci_dev *d);

/*
 * Signal vector `vector`.  0 when sent or left pending in the PBA,
 * -EINVAL for a vector out of range, -EAGAIN when MSI-X is disabled (the
 * caller then uses INTx).
 */
int msix_notify(struct pci_dev *d, uint16_t vector);

/* The guest wrote the capability's message control word. */
void msix_ctrl_written(struct pci_dev *d);

/*
 * A BAR access: handles it and returns true when it falls on the table or
 * the PBA, else returns false.
 */
bool msix_bar_io(struct pci_dev *d, int bar, uint64_t off, uint8_t *data,
		 uint32_t len, bool is_write);

/* ---- Snapshot ------------------------------------------------------- */

#define MSIX_SNAP_VERSION	1u

/* A decoded table and PBA, not yet applied (msix_state_free it). */
struct msix_state {
	uint16_t nr;
	uint32_t (*entry)[4];
	uint64_t *pba;
};

/*
 * The vector table and the pending bits, as part of the owner's section
 * (after pci_dev_save; the enable and function-mask bits are in config
 * space).  Device lock held.  0 or enc->err.
 */
int msix_save(const struct pci_dev *d, struct snap_enc *enc);
/*
 * Decode and validate into *s, changing nothing: the vector count must
 * be d's, vector control only its mask bit, message addresses dword
 * aligned (what a live table write keeps), no pending bit past the last
 * vector.  An address outside the MSI window is kept as a live write
 * would keep it (its messages are dropped).  0 or -errno.
 */
int msix_decode(const struct pci_dev *d, struct snap_dec *dec,
		struct msix_state *s);
/* Apply: the table and PBA, then KVM routes for every usable vector. */
void msix_apply(struct pci_dev *d, const struct msix_state *s);
void msix_state_free(struct msix_state *s);
/* Decode and apply (a part of a section: the caller ends it). */
int msix_restore(struct pci_dev *d, struct snap_dec *dec);

/* Vector `i`'s eventfd (unit tests watch it). */
int msix_vector_fd(const struct pci_dev *d, uint16_t i);

#endif
