/* SPDX-License-Identifier: MIT */
/*
 * Test-guest virtio driver library; see virtio.h.  Section numbers are
 * VIRTIO 1.2's.
 */
#include "guest.h"
#include "pci.h"
#include "virtio.h"

/* Virtio capability fields (4.1.4). */
#define CAP_CFG_TYPE	3
#define CAP_BAR		4
#define CAP_OFFSET	8
#define CAP_LENGTH	12
#define CAP_EXTRA	16
enum { LOC_COMMON, LOC_NOTIFY, LOC_ISR, LOC_DEVICE, LOC_PCI_CFG };

#define MSIX_CTRL	2
#define MSIX_TABLE	4
#define MSIX_ENABLE	(1u << 15)
#define MSIX_FMASK	(1u << 14)

static volatile uint8_t *at(struct vdev *d, int loc)
{
	uint32_t base = d->bar[d->loc[loc].bar];

	return base ? (volatile uint8_t *)(uintptr_t)(base + d->loc[loc].off) : 0;
}

void vdev_remap(struct vdev *d)
{
	for (int i = 0; i < 6; i++)
		d->bar[i] = pci_bar_addr(d->devfn, i);
	d->common = at(d, LOC_COMMON);
	d->notify = at(d, LOC_NOTIFY);
	d->isr = at(d, LOC_ISR);
	d->device = at(d, LOC_DEVICE);
	if (d->msix_cap) {
		uint32_t t = pci_read32(d->devfn, d->msix_cap + MSIX_TABLE);

		d->msix_table = (volatile uint32_t *)(uintptr_t)
			(d->bar[t & 7] + (t & ~7u));
	}
}

int vdev_open(struct vdev *d, uint16_t type)
{
	uint32_t devfn;

	if (!pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE(type), &devfn)) {
		memset(d, 0, sizeof(*d));
		return -1;
	}
	return vdev_open_at(d, devfn);
}

int vdev_open_at(struct vdev *d, uint32_t devfn)
{
	uint8_t cap = 0;
	bool seen[5] = { false };

	memset(d, 0, sizeof(*d));
	d->devfn = devfn;
	pci_assign_bars(d->devfn);
	pci_write16(d->devfn, PCI_COMMAND, pci_read16(d->devfn, PCI_COMMAND) |
		    PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	while ((cap = pci_find_cap(d->devfn, PCI_CAP_ID_VNDR, cap))) {
		uint8_t t = pci_read8(d->devfn, cap + CAP_CFG_TYPE);

		if (t < 1 || t > 5 || seen[t - 1])
			continue;	/* the first of each type is preferred */
		seen[t - 1] = true;
		d->loc[t - 1].bar = pci_read8(d->devfn, cap + CAP_BAR) % 6;
		d->loc[t - 1].off = pci_read32(d->devfn, cap + CAP_OFFSET);
		if (t - 1 == LOC_NOTIFY)
			d->notify_mult = pci_read32(d->devfn, cap + CAP_EXTRA);
		if (t - 1 == LOC_DEVICE)
			d->device_len = pci_read32(d->devfn, cap + CAP_LENGTH);
		if (t - 1 == LOC_PCI_CFG)
			d->cfg_cap = cap;
	}
	d->msix_cap = pci_find_cap(d->devfn, PCI_CAP_ID_MSIX, 0);
	if (d->msix_cap)
		d->msix_nr = (pci_read16(d->devfn, d->msix_cap + MSIX_CTRL) &
			      0x7ff) + 1;
	d->gsi = pci_read8(d->devfn, PCI_INTERRUPT_LINE);
	vdev_remap(d);
	return seen[LOC_COMMON] && seen[LOC_NOTIFY] && seen[LOC_ISR] &&
	       d->common && d->notify && d->isr ? 0 : -1;
}

uint8_t vdev_r8(struct vdev *d, uint32_t off)
{
	return *(volatile uint8_t *)(d->common + off);
}

uint16_t vdev_r16(struct vdev *d, uint32_t off)
{
	return *(volatile uint16_t *)(d->common + off);
}

uint32_t vdev_r32(struct vdev *d, uint32_t off)
{
	return *(volatile uint32_t *)(d->common + off);
}

void vdev_w8(struct vdev *d, uint32_t off, uint8_t v)
{
	*(volatile uint8_t *)(d->common + off) = v;
}

void vdev_w16(struct vdev *d, uint32_t off, uint16_t v)
{
	*(volatile uint16_t *)(d->common + off) = v;
}

void vdev_w32(struct vdev *d, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(d->common + off) = v;
}

void vdev_w64(struct vdev *d, uint32_t off, uint64_t v)
{
	vdev_w32(d, off, (uint32_t)v);
	vdev_w32(d, off + 4, (uint32_t)(v >> 32));
}

uint8_t vdev_status(struct vdev *d)
{
	return vdev_r8(d, VC_STATUS);
}

void vdev_set_status(struct vdev *d, uint8_t s)
{
	vdev_w8(d, VC_STATUS, s);
}

void vdev_reset(struct vdev *d)
{
	vdev_set_status(d, 0);
	for (int i = 0; i < 1000000 && vdev_status(d); i++)
		cpu_pause();
}

uint64_t vdev_device_features(struct vdev *d)
{
	uint64_t f;

	vdev_w32(d, VC_DFSELECT, 0);
	f = vdev_r32(d, VC_DF);
	vdev_w32(d, VC_DFSELECT, 1);
	return f | (uint64_t)vdev_r32(d, VC_DF) << 32;
}

bool vdev_negotiate(struct vdev *d, uint64_t want, uint64_t *accepted)
{
	uint64_t f;

	vdev_set_status(d, VIRTIO_ACKNOWLEDGE);
	vdev_set_status(d, VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER);
	f = vdev_device_features(d) & want;
	vdev_w32(d, VC_GFSELECT, 0);
	vdev_w32(d, VC_GF, (uint32_t)f);
	vdev_w32(d, VC_GFSELECT, 1);
	vdev_w32(d, VC_GF, (uint32_t)(f >> 32));
	vdev_set_status(d, VIRTIO_ACKNOWLEDGE | VIRTIO_DRIVER |
			   VIRTIO_FEATURES_OK);
	if (accepted)
		*accepted = f;
	return vdev_status(d) & VIRTIO_FEATURES_OK;
}

uint8_t vdev_isr(struct vdev *d)
{
	return *d->isr;
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1) & ~(a - 1);
}

uint32_t vq_mem_size(uint16_t n)
{
	uint32_t used = align_up(16u * n + 6 + 2u * n, 4096);

	return align_up(used + 6 + 8u * n, 4096);
}

int vq_setup(struct vdev *d, struct vq *q, uint16_t idx, uint16_t size,
	     void *mem, uint16_t vector)
{
	uint8_t *m = mem;
	uint16_t max;

	vdev_w16(d, VC_Q_SELECT, idx);
	max = vdev_r16(d, VC_Q_SIZE);
	if (max == 0)
		return -1;
	if (size > max)
		size = max;		/* a power of two too (2.7) */
	memset(q, 0, sizeof(*q));
	memset(mem, 0, vq_mem_size(size));
	q->dev = d;
	q->index = idx;
	q->size = size;
	q->desc = (struct vring_desc *)m;
	q->avail = (struct vring_avail *)(m + 16u * size);
	q->used = (struct vring_used *)(m + align_up(16u * size + 6 + 2u * size,
						      4096));
	vdev_w16(d, VC_Q_SIZE, size);
	vdev_w64(d, VC_Q_DESC, (uintptr_t)q->desc);
	vdev_w64(d, VC_Q_DRIVER, (uintptr_t)q->avail);
	vdev_w64(d, VC_Q_DEVICE, (uintptr_t)q->used);
	vdev_w16(d, VC_Q_MSIX, vector);
	if (vdev_r16(d, VC_Q_MSIX) != vector)
		return -1;
	q->notify_off = vdev_r16(d, VC_Q_NOTIFY_OFF);
	q->notify = (volatile uint16_t *)(d->notify +
					  (uint32_t)q->notify_off * d->notify_mult);
	vdev_w16(d, VC_Q_ENABLE, 1);
	return 0;
}

void vq_desc(struct vq *q, uint16_t i, uint64_t addr, uint32_t len,
	     uint16_t flags, uint16_t next)
{
	q->desc[i] = (struct vring_desc){ addr, len, flags, next };
}

void vq_publish(struct vq *q, uint16_t head)
{
	q->avail->ring[q->avail_idx % q->size] = head;
	q->avail_idx++;
	/* Ring entry and descriptors before the index (2.7.13). */
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

void vq_kick(struct vq *q)
{
	/* The index store before the notification (2.7.13.4). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	*q->notify = q->index;
}

bool vq_get_used(struct vq *q, uint32_t *id, uint32_t *len)
{
	uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	struct vring_used_elem *e;

	if (idx == q->last_used)
		return false;
	e = &q->used->ring[q->last_used % q->size];
	*id = e->id;
	*len = e->len;
	q->last_used++;
	return true;
}

void vq_want_interrupt(struct vq *q)
{
	/* used_event follows the avail ring (2.7.10). */
	__atomic_store_n(&q->avail->ring[q->size], q->last_used,
			 __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void vdev_msix_set(struct vdev *d, uint16_t i, uint64_t addr, uint32_t data,
		   bool masked)
{
	volatile uint32_t *e = d->msix_table + 4u * i;

	e[3] = 1;			/* mask while changing */
	e[0] = (uint32_t)addr;
	e[1] = (uint32_t)(addr >> 32);
	e[2] = data;
	e[3] = masked ? 1 : 0;
}

void vdev_msix_enable(struct vdev *d, bool on)
{
	uint16_t c = pci_read16(d->devfn, d->msix_cap + MSIX_CTRL);

	c &= (uint16_t)~(MSIX_ENABLE | MSIX_FMASK);
	if (on)
		c |= MSIX_ENABLE;
	pci_write16(d->devfn, d->msix_cap + MSIX_CTRL, c);
}

static void cfgwin_select(struct vdev *d, uint8_t bar, uint32_t off,
			  uint32_t len)
{
	pci_write8(d->devfn, d->cfg_cap + CAP_BAR, bar);
	pci_write32(d->devfn, d->cfg_cap + CAP_OFFSET, off);
	pci_write32(d->devfn, d->cfg_cap + CAP_LENGTH, len);
}

uint32_t vdev_cfgwin_read(struct vdev *d, uint8_t bar, uint32_t off,
			  uint32_t len)
{
	uint32_t v;

	cfgwin_select(d, bar, off, len);
	v = pci_read32(d->devfn, d->cfg_cap + CAP_EXTRA);
	return len == 4 ? v : v & ((1u << (8 * len)) - 1);
}

void vdev_cfgwin_write(struct vdev *d, uint8_t bar, uint32_t off,
		       uint32_t len, uint32_t v)
{
	cfgwin_select(d, bar, off, len);
	if (len == 1)
		pci_write8(d->devfn, d->cfg_cap + CAP_EXTRA, (uint8_t)v);
	else if (len == 2)
		pci_write16(d->devfn, d->cfg_cap + CAP_EXTRA, (uint16_t)v);
	else
		pci_write32(d->devfn, d->cfg_cap + CAP_EXTRA, v);
}
