/* SPDX-License-Identifier: MIT */
/*
 * The modern virtio-pci transport (VIRTIO 1.2, 4.1): a PCI function with
 * vendor 0x1af4, device 0x1040 + type, revision 1, and one 32 KiB memory
 * BAR holding every structure:
 *
 *   BAR0 + 0x0000  common configuration (4.1.4.3), 0x3c bytes
 *   BAR0 + 0x1000  ISR status (4.1.4.5), read to clear; drives INTx
 *   BAR0 + 0x2000  device configuration (4.1.4.6), config_size bytes
 *   BAR0 + 0x3000  notifications (4.1.4.4): queue q at 0x3000 + 4 q
 *                  (queue_notify_off = q, notify_off_multiplier = 4), each
 *                  a KVM_IOEVENTFD of any length, no datamatch
 *   BAR0 + 0x4000  MSI-X table, num_queues + 1 vectors (at most 256)
 *   BAR0 + 0x5000  MSI-X pending bits
 *
 * plus the PCI configuration access capability (4.1.4.9).
 *
 * Interrupts: with MSI-X enabled, queue q raises queue_msix_vector[q] and
 * configuration changes raise config_msix_vector (VIRTIO_MSI_NO_VECTOR:
 * none).  Without MSI-X, the ISR bits are set and INTA is raised
 * (level-triggered, KVM_IRQ_LINE from whichever thread raises it) until
 * the driver reads the ISR.  KVM_IRQFD with a resample fd would let KVM
 * drop the line on EOI, but the line must follow the ISR, which only vmon
 * sees being read: the plain line is simpler and as fast where it matters
 * (INTx is the fallback; MSI-X is the fast path).
 *
 * Notifications never run device code on a vCPU thread: an ioeventfd
 * wakes the VMM thread's loop, which calls the device with its lock held.
 * A notify write that KVM does not catch (no ioeventfd) is trapped and
 * forwarded to the same eventfd.
 */
#ifndef VMON_VIRTIO_VIRTIO_PCI_H
#define VMON_VIRTIO_VIRTIO_PCI_H

#include <stdint.h>

#include "core/evloop.h"
#include "lib/err.h"
#include "pci/pci.h"
#include "virtio/virtio.h"

#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_DEVICE_BASE		0x1040	/* + device type (4.1.2.1) */
#define VIRTIO_PCI_REVISION		1

/* BAR0 layout (see above). */
#define VP_BAR				0
#define VP_BAR_SIZE			0x8000
#define VP_COMMON_OFF			0x0000
#define VP_COMMON_LEN			0x3c
#define VP_ISR_OFF			0x1000
#define VP_ISR_LEN			4
#define VP_DEVICE_OFF			0x2000
#define VP_DEVICE_MAX			0x1000
#define VP_NOTIFY_OFF			0x3000
#define VP_NOTIFY_MULT			4
#define VP_NOTIFY_MAX			0x1000
#define VP_MSIX_TABLE_OFF		0x4000
#define VP_MSIX_PBA_OFF			0x5000
#define VP_MAX_VECTORS			256

/* Capability types (4.1.4) and the capability header layout. */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_PCI_CFG		5
#define VIRTIO_PCI_CAP_LEN		16
#define VIRTIO_PCI_NOTIFY_CAP_LEN	20
#define VIRTIO_PCI_CFG_CAP_LEN		20

/* Common configuration register offsets (4.1.4.3). */
#define VPC_DFSELECT		0x00
#define VPC_DF			0x04
#define VPC_GFSELECT		0x08
#define VPC_GF			0x0c
#define VPC_MSIX_CONFIG		0x10
#define VPC_NUM_QUEUES		0x12
#define VPC_STATUS		0x14
#define VPC_CFG_GENERATION	0x15
#define VPC_Q_SELECT		0x16
#define VPC_Q_SIZE		0x18
#define VPC_Q_MSIX		0x1a
#define VPC_Q_ENABLE		0x1c
#define VPC_Q_NOTIFY_OFF	0x1e
#define VPC_Q_DESC		0x20
#define VPC_Q_DRIVER		0x28
#define VPC_Q_DEVICE		0x30
#define VPC_Q_NOTIF_DATA	0x38
#define VPC_Q_RESET		0x3a

#define VIRTIO_ISR_QUEUE	0x1
#define VIRTIO_ISR_CONFIG	0x2

struct virtio_pci;

struct virtio_pci_queue {
	struct virtio_pci *vp;
	uint16_t index;
	uint16_t vector;		/* queue_msix_vector */
	int efd;			/* the queue's notify eventfd */
	uint64_t ioeventfd_addr;	/* 0: not registered with KVM */
};

struct virtio_pci {
	struct pci_dev pci;
	struct virtio_dev *vd;
	struct evloop *loop;
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	uint16_t config_vector;
	uint16_t nr_vectors;
	uint8_t isr;
	uint8_t cfg_cap;		/* offset of the PCI_CFG capability */
	struct virtio_pci_queue *q;
	struct counter trapped_notifies, odd_accesses;
	bool ioeventfd_warned;
};

/*
 * Put vd on PCI bus h as a modern virtio-pci function.  vd must be filled
 * in (see virtio.h).  The queues' eventfds go on `loop`.  On success vd is
 * owned by the transport (virtio_pci_destroy destroys it).
 */
int virtio_pci_create(struct pci_host *h, struct virtio_dev *vd,
		      const struct guest_mem *gm, struct evloop *loop,
		      struct virtio_pci **out);
/* Reset and remove the device.  No vCPU may be running. */
void virtio_pci_destroy(struct virtio_pci *vp);

/* ---- Snapshot (virtio_pci_state.c; docs/snapshot.md) ------------------ */

struct snap_enc;
struct snap_dec;

#define VIRTIO_PCI_SNAP_VERSION 1u

/*
 * Everything of one virtio-pci function, device-specific state included,
 * as ONE section payload: PCI configuration space, MSI-X table, the
 * virtio core (identity, status, features, queues), the transport's
 * registers, then the device's own (ops->save).  Called on the VMM thread
 * with every vCPU parked and the device quiesced (no request in flight).
 * -ENOTSUP with a message naming the device if its virtio_dev_ops has no
 * save (a device without save/restore cannot be snapshotted and says so).
 */
int virtio_pci_save(struct virtio_pci *vp, struct snap_enc *enc,
		    struct vmon_err *e);
/*
 * Before any part of a VM is saved: the device finishes what is in flight
 * (ops->quiesce), so its completions and their interrupts are in the
 * guest's memory and LAPIC state that the snapshot then reads.
 */
void virtio_pci_quiesce(struct virtio_pci *vp);
/*
 * Into a freshly created, never-touched virtio_pci function of the same
 * device type and configuration (the machine recreates devices from the
 * saved config first).  Decode and validate everything, then apply;
 * afterwards the device works exactly as if the guest driver had done the
 * handshake itself: queues enabled and validated against guest RAM,
 * ioeventfds registered for the BAR, MSI-X vectors routed, INTx level,
 * BARs at their addresses on the buses (command register honoured), and
 * DRIVER_OK devices activated (ops->activate) with their queues' indices
 * at the saved positions.  A refused section leaves the function as it
 * was.  0 or -errno with e filled.
 */
int virtio_pci_restore(struct virtio_pci *vp, struct snap_dec *d,
		       struct vmon_err *e);

#endif
