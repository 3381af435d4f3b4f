/* SPDX-License-Identifier: MIT */
/*
 * PCI bus 0: a host bridge at 00:00.0 and up to 31 single-function
 * devices, with type-0 configuration headers (PCI Local Bus 3.0, 6.1),
 * reached through configuration mechanism #1 (ports 0xcf8/0xcfc, 3.2.2.3.2)
 * and through PCIe ECAM (PLAT_PCI_ECAM_START, one 4 KiB page per function).
 *
 * BARs are 32-bit memory BARs placed by vmon in the 32-bit MMIO window at
 * creation (decoding enabled, as firmware would leave them); the guest may
 * size and move them.  A BAR is on vm->mmio while the command register's
 * memory-space bit is set and its address is non-zero; every move is
 * reported to the device (ops->bar_remap) so it can re-register its
 * ioeventfds.
 *
 * INTx: every device uses pin INTA, routed to GSI PLAT_PCI_GSI_BASE +
 * (slot + pin) % PLAT_PCI_GSI_COUNT (the DSDT's _PRT says the same),
 * level-triggered.  Lines are shared: the host counts the devices that
 * assert each GSI and raises or lowers it on the transitions, through the
 * irq lines the board connects (pci_host_connect_intx).
 *
 * Locking: each device has one mutex, taken around every config-space
 * access, BAR access and MSI-X access; device code reached from the VMM
 * thread takes it too (pci_dev_lock).  The host's own mutex (the 0xcf8
 * latch, INTx counts) nests inside it.
 */
#ifndef VMON_PCI_PCI_H
#define VMON_PCI_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86/platform.h"
#include "core/bus.h"
#include "core/irq_line.h"
#include "lib/le.h"
#include "lib/log.h"
#include "pci/msix.h"

#define PCI_SLOTS		32
#define PCI_NUM_BARS		6
#define PCI_CFG_SIZE		256	/* conventional header + capabilities */
#define PCI_ECAM_FN_SIZE	4096	/* one function's ECAM page */

/* Type-0 header offsets (PCI 3.0, 6.1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_CACHE_LINE_SIZE	0x0c
#define PCI_LATENCY_TIMER	0x0d
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d
#define PCI_CAP_START		0x40

#define PCI_COMMAND_IO		(1u << 0)
#define PCI_COMMAND_MEMORY	(1u << 1)
#define PCI_COMMAND_MASTER	(1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_STATUS_INTERRUPT	(1u << 3)
#define PCI_STATUS_CAP_LIST	(1u << 4)
#define PCI_BAR_MEM_MASK	0xfu	/* low bits of a memory BAR: flags */

#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11

/* The host bridge: Red Hat's "QEMU PCIe host bridge" ID, class 06/00/00. */
#define PCI_VENDOR_REDHAT	0x1b36
#define PCI_DEVICE_REDHAT_HOST	0x0008
#define PCI_CLASS_HOST_BRIDGE	0x060000

struct irq_routing;
struct pci_host;
struct pci_dev;
struct snap_enc;
struct snap_dec;

/* Device hooks; each runs with the device's lock held.  All optional. */
struct pci_dev_ops {
	/* A read or write of [off, off + len) of BAR `bar` (not MSI-X). */
	void (*bar_io)(struct pci_dev *d, int bar, uint64_t off,
		       uint8_t *data, uint32_t len, bool is_write);
	/* BAR `bar` is now decoded at addr (0: not decoded anywhere). */
	void (*bar_remap)(struct pci_dev *d, int bar, uint64_t addr);
	/* After the generic handling of a config write / before a read is
	 * returned (the device may patch *val). */
	void (*cfg_write)(struct pci_dev *d, uint32_t reg, uint32_t len,
			  uint32_t val);
	void (*cfg_read)(struct pci_dev *d, uint32_t reg, uint32_t len,
			 uint32_t *val);
};

struct pci_bar {
	struct pci_dev *dev;
	int index;
	uint64_t size;		/* power of two >= 4 KiB; 0: no BAR */
	uint64_t mapped;	/* address on the MMIO bus; 0: not mapped */
};

struct pci_dev {
	struct pci_host *host;
	const struct pci_dev_ops *ops;
	void *opaque;
	const char *name;
	unsigned int slot;
	pthread_mutex_t lock;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];	/* guest-writable bits */
	uint8_t cap_end;		/* next free capability offset */
	uint8_t last_cap;		/* 0: none yet */
	struct pci_bar bar[PCI_NUM_BARS];
	struct msix msix;		/* msix.nr == 0: no MSI-X */
	uint32_t gsi;			/* INTA's GSI */
	bool intx_level;		/* what the device asks for */
	bool intx_raised;		/* what it counts for on the line */
	struct ratelimit rl;
};

struct pci_host {
	int vm_fd;			/* MSI-X irqfds; -1: no KVM (tests) */
	struct bus *pio, *mmio;		/* may be NULL in unit tests */
	struct irq_routing *routing;
	pthread_mutex_t lock;		/* cf8, intx_count, next_mmio */
	uint32_t cf8;
	struct pci_dev *slot[PCI_SLOTS];
	struct pci_dev bridge;
	unsigned int intx_count[PLAT_PCI_GSI_COUNT];
	struct irq_line intx[PLAT_PCI_GSI_COUNT];	/* unset: not wired */
	uint64_t next_mmio;		/* BAR allocator */
	bool ecam_registered, cf8_registered;
	/* GSI levels as last set (for tests and diagnostics). */
	bool gsi_level[PLAT_PCI_GSI_COUNT];
	struct ratelimit rl;
};

/*
 * Set up bus 0 with its host bridge; register 0xcf8-0xcff on pio and the
 * ECAM window on mmio when they are given.  0 or -errno.
 */
int pci_host_init(struct pci_host *h, int vm_fd, struct bus *pio,
		  struct bus *mmio, struct irq_routing *routing);
/* Wire GSI PLAT_PCI_GSI_BASE + i to lines[i] (PLAT_PCI_GSI_COUNT lines). */
void pci_host_connect_intx(struct pci_host *h, const struct irq_line *lines);
/* Unregister everything; devices must have been destroyed first. */
void pci_host_destroy(struct pci_host *h);

/*
 * Prepare d as a single-function device with these IDs (class is the
 * 24-bit class code).  Add BARs and capabilities, then pci_dev_plug().
 */
int pci_dev_init(struct pci_host *h, struct pci_dev *d, const char *name,
		 const struct pci_dev_ops *ops, void *opaque, uint16_t vendor,
		 uint16_t device, uint32_t class_code, uint8_t revision,
		 uint16_t subsys_vendor, uint16_t subsys_id);
/* A 32-bit non-prefetchable memory BAR of `size` bytes (power of two). */
int pci_dev_add_bar(struct pci_dev *d, int bar, uint64_t size);
/*
 * Append a capability: cap[0] is the ID, cap[1] (next) is filled in.
 * Returns its config-space offset, or 0 if it does not fit.  wmask
 * (may be NULL) gives the guest-writable bits of the capability.
 */
uint8_t pci_dev_add_cap(struct pci_dev *d, const void *cap,
			const void *wmask, size_t len);
/* Take the first free slot, place and map the BARs.  0 or -errno. */
int pci_dev_plug(struct pci_dev *d);
/*
 * Leave the slot (BARs undecoded, INTx low), free MSI-X.  No vCPU may be
 * running.  The caller frees d.
 */
void pci_dev_destroy(struct pci_dev *d);

static inline void pci_dev_lock(struct pci_dev *d)
{
	pthread_mutex_lock(&d->lock);
}

static inline void pci_dev_unlock(struct pci_dev *d)
{
	pthread_mutex_unlock(&d->lock);
}

/* Assert or deassert INTA.  Device lock held. */
void pci_intx_set(struct pci_dev *d, bool level);

/*
 * Access BAR `bar` as the guest would, MSI-X table included.  Device lock
 * held (used by virtio's PCI-configuration access window).
 */
void pci_bar_access_locked(struct pci_dev *d, int bar, uint64_t off,
			   uint8_t *data, uint32_t len, bool is_write);

/*
 * Configuration access to 00:dev.fn, register reg (0-4095), len 1 to 4
 * bytes at any alignment; bytes past the function's 4 KiB are dropped.
 * Absent functions read all ones; the extended space (256-4095) of
 * present ones reads 0 (no extended capabilities).
 */
uint32_t pci_cfg_read(struct pci_host *h, unsigned int dev, unsigned int fn,
		      uint32_t reg, uint32_t len);
void pci_cfg_write(struct pci_host *h, unsigned int dev, unsigned int fn,
		   uint32_t reg, uint32_t len, uint32_t val);

/* Bus handlers (exposed for unit tests). */
void pci_cf8_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		bool is_write);
void pci_ecam_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		 bool is_write);

/* ---- Snapshot (docs/snapshot.md, "Device state: virtio-pci functions") --- */

#define PCI_DEV_SNAP_VERSION	1u

/* A function's configuration space as decoded, not yet applied. */
struct pci_dev_state {
	uint8_t cfg[PCI_CFG_SIZE];
	bool intx_level;
};

/*
 * The configuration space and the INTx level of d, as part of its owner's
 * section (a virtio-pci function puts it first).  Device lock held.
 * 0 or enc->err.
 */
int pci_dev_save(const struct pci_dev *d, struct snap_enc *enc);
/*
 * Decode and validate what pci_dev_save put into *s, changing nothing:
 * the slot must be d's, every read-only bit d's own (only guest-writable
 * bits may differ, so BARs are aligned to their size and reserved bits
 * zero), and a decoded BAR must not collide with another device's range.
 * 0 or -errno (dec->err, the field named).
 */
int pci_dev_decode(struct pci_dev *d, struct snap_dec *dec,
		   struct pci_dev_state *s);
/* Apply a decoded state: BARs decoded where it says, INTx at its level. */
void pci_dev_apply(struct pci_dev *d, const struct pci_dev_state *s);
/*
 * Both, for a caller that has nothing else to decode first.  A part of a
 * section, so the caller ends it (snap_dec_end).  Device lock held.
 */
int pci_dev_restore(struct pci_dev *d, struct snap_dec *dec);

/* Little-endian config-space helpers. */
static inline uint16_t pci_cfg16(const struct pci_dev *d, uint32_t off)
{
	return le16_get(d->cfg + off);
}

static inline uint32_t pci_cfg32(const struct pci_dev *d, uint32_t off)
{
	return le32_get(d->cfg + off);
}

#endif
