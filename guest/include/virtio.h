/* SPDX-License-Identifier: MIT */
/*
 * A small virtio 1.x driver library for the test guest: modern virtio-pci
 * (VIRTIO 1.2, 4.1) and split virtqueues (2.7).  All of it runs at CPL3:
 * BARs and rings are plain memory accesses on the identity map.  It gives
 * tests direct access to every register and ring field, so a program can
 * also break the rules on purpose (virtio_bad).
 */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE(t)	(0x1040 + (t))
#define VIRTIO_ID_ENTROPY	4

/* Device status (2.1). */
#define VIRTIO_ACKNOWLEDGE	0x01
#define VIRTIO_DRIVER		0x02
#define VIRTIO_DRIVER_OK	0x04
#define VIRTIO_FEATURES_OK	0x08
#define VIRTIO_NEEDS_RESET	0x40
#define VIRTIO_FAILED		0x80

/* Feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_EVENT_IDX	29
#define VIRTIO_F_VERSION_1	32
#define VIRTIO_BIT(b)		(1ull << (b))

#define VIRTIO_MSI_NO_VECTOR	0xffff

/* Common configuration offsets (4.1.4.3). */
#define VC_DFSELECT		0x00
#define VC_DF			0x04
#define VC_GFSELECT		0x08
#define VC_GF			0x0c
#define VC_MSIX_CONFIG		0x10
#define VC_NUM_QUEUES		0x12
#define VC_STATUS		0x14
#define VC_CFG_GENERATION	0x15
#define VC_Q_SELECT		0x16
#define VC_Q_SIZE		0x18
#define VC_Q_MSIX		0x1a
#define VC_Q_ENABLE		0x1c
#define VC_Q_NOTIFY_OFF		0x1e
#define VC_Q_DESC		0x20
#define VC_Q_DRIVER		0x28
#define VC_Q_DEVICE		0x30

/* Split ring (2.7). */
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];	/* then used_event */
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];	/* then avail_event */
};

struct vdev {
	uint32_t devfn;
	uint32_t bar[6];		/* BAR addresses when mapped */
	volatile uint8_t *common, *isr, *device, *notify;
	uint32_t notify_mult;
	uint32_t device_len;
	uint8_t cfg_cap;		/* PCI configuration access capability */
	uint8_t msix_cap;
	uint16_t msix_nr;
	volatile uint32_t *msix_table;
	uint8_t gsi;			/* Interrupt Line: INTx's GSI */
	/* Where each structure is: BAR index and offset, for remapping. */
	struct { uint8_t bar; uint32_t off; } loc[5];
};

struct vq {
	struct vdev *dev;
	uint16_t index, size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;		/* next avail index to publish */
	uint16_t last_used;		/* next used entry to read */
	volatile uint16_t *notify;
	uint16_t notify_off;
};

/* Find the first device of this type, enable memory decoding and bus
 * mastering, parse its capabilities.  0, or -1 when absent/unusable. */
int vdev_open(struct vdev *d, uint16_t type);
/* The same for the virtio function at devfn (a second device of a type). */
int vdev_open_at(struct vdev *d, uint32_t devfn);
/* Recompute the structures' addresses after a BAR moved. */
void vdev_remap(struct vdev *d);

/* Common configuration registers, natural widths. */
uint8_t vdev_r8(struct vdev *d, uint32_t off);
uint16_t vdev_r16(struct vdev *d, uint32_t off);
uint32_t vdev_r32(struct vdev *d, uint32_t off);
void vdev_w8(struct vdev *d, uint32_t off, uint8_t v);
void vdev_w16(struct vdev *d, uint32_t off, uint16_t v);
void vdev_w32(struct vdev *d, uint32_t off, uint32_t v);
void vdev_w64(struct vdev *d, uint32_t off, uint64_t v);	/* two halves */

uint8_t vdev_status(struct vdev *d);
void vdev_set_status(struct vdev *d, uint8_t s);
/* Write 0 and wait until it reads back 0 (4.1.4.3.2). */
void vdev_reset(struct vdev *d);
uint64_t vdev_device_features(struct vdev *d);
/* ACKNOWLEDGE, DRIVER, accept `want` (what the device offers of it),
 * FEATURES_OK; true when the device kept FEATURES_OK. */
bool vdev_negotiate(struct vdev *d, uint64_t want, uint64_t *accepted);
/* Read the ISR (clears it and lowers INTx). */
uint8_t vdev_isr(struct vdev *d);

/* Bytes a queue of n entries needs in vq_setup's memory (4 KiB-aligned). */
uint32_t vq_mem_size(uint16_t n);
/* Select queue idx, set its size (at most the device's maximum: see
 * q->size), rings in mem (zeroed here), MSI-X vector (VIRTIO_MSI_NO_VECTOR
 * for none) and enable it.  0, or -1 if the queue does not exist or the
 * vector read back wrong. */
int vq_setup(struct vdev *d, struct vq *q, uint16_t idx, uint16_t size,
	     void *mem, uint16_t vector);
/* Put descriptor i, make chain `head` available (release), notify. */
void vq_desc(struct vq *q, uint16_t i, uint64_t addr, uint32_t len,
	     uint16_t flags, uint16_t next);
void vq_publish(struct vq *q, uint16_t head);
void vq_kick(struct vq *q);
/* Take one used element; false when none is there. */
bool vq_get_used(struct vq *q, uint32_t *id, uint32_t *len);
/* With EVENT_IDX: interrupt when the next buffer is used. */
void vq_want_interrupt(struct vq *q);

/* MSI-X (PCI 3.0, 6.8.2): program table entry i, then enable. */
void vdev_msix_set(struct vdev *d, uint16_t i, uint64_t addr, uint32_t data,
		   bool masked);
void vdev_msix_enable(struct vdev *d, bool on);

/* The PCI configuration access window (4.1.4.9): BAR access through
 * config space. */
uint32_t vdev_cfgwin_read(struct vdev *d, uint8_t bar, uint32_t off,
			  uint32_t len);
void vdev_cfgwin_write(struct vdev *d, uint8_t bar, uint32_t off,
		       uint32_t len, uint32_t v);

#endif
