/* SPDX-License-Identifier: MIT */
/*
 * A polling virtio-blk driver (VIRTIO 1.2, 5.2) for the test guest's
 * virtio_blk and virtio_blk_bench programs, on guest/lib/virtio.c.  Runs
 * at CPL3, one request queue, interrupts off (VIRTQ_AVAIL_F_NO_INTERRUPT:
 * the used ring is polled).  Requests live in slots of DESC_PER_SLOT
 * descriptors each: slot s owns descriptors [s * 8, s * 8 + 8), its
 * header hdrs[s] and its status byte statuses[s].
 *
 * Command line shared by both programs:
 *   disk=N     the N-th virtio-blk function on bus 0 (default 0)
 *   qsize=N    queue size (default 256, the largest vmon offers)
 *   ecam=ADDR  where no MCFG says (QEMU microvm: 0xe0000000)
 */
#ifndef GUEST_VIRTIO_BLK_DRV_H
#define GUEST_VIRTIO_BLK_DRV_H

#include "guest.h"
#include "pci.h"
#include "virtio.h"

#define VIRTIO_ID_BLOCK		2
#define BLK_F_SEG_MAX		2
#define BLK_F_RO		5
#define BLK_F_BLK_SIZE		6
#define BLK_F_FLUSH		9
#define BLK_F_DISCARD		13
#define BLK_F_WRITE_ZEROES	14

#define BLK_T_IN		0
#define BLK_T_OUT		1
#define BLK_T_FLUSH		4
#define BLK_T_GET_ID		8
#define BLK_T_GET_LIFETIME	10
#define BLK_T_DISCARD		11
#define BLK_T_WRITE_ZEROES	13
#define BLK_S_OK		0
#define BLK_S_IOERR		1
#define BLK_S_UNSUPP		2
#define BLK_S_NONE		0xee	/* what we put there before */

#define MAX_QSIZE		256
#define DESC_PER_SLOT		8
#define MAX_SLOTS		(MAX_QSIZE / DESC_PER_SLOT)
#define TIMEOUT_MS		10000

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

/* One descriptor of a hand-made chain. */
struct dseg {
	const volatile void *p;
	uint32_t len;
	uint16_t flags;		/* VRING_DESC_F_WRITE or 0 */
};

static struct vdev dev;
static struct vq vq;
static uint8_t ring_mem[4 * 4096] __attribute__((aligned(4096)));
static struct blk_hdr hdrs[MAX_SLOTS] __attribute__((aligned(64)));
static volatile uint8_t statuses[MAX_SLOTS];
static uint64_t khz, capacity, features;
static unsigned int nslots;
static uint64_t notifies;		/* kicks that were sent */

/* The n-th virtio-blk function on bus 0: its devfn, or -1. */
static inline int blk_find(unsigned int n)
{
	uint32_t want = (uint32_t)VIRTIO_PCI_DEVICE(VIRTIO_ID_BLOCK) << 16 |
			VIRTIO_PCI_VENDOR;

	for (uint32_t d = 0; d < 32; d++)
		if (pci_read32(PCI_DEVFN(d, 0), PCI_VENDOR_ID) == want && !n--)
			return (int)PCI_DEVFN(d, 0);
	return -1;
}

static inline uint32_t cfg32(uint32_t off)
{
	return *(volatile uint32_t *)(dev.device + off);
}

/* Capacity: two 32-bit halves, re-read until the generation holds. */
static inline uint64_t read_capacity(void)
{
	uint8_t gen;
	uint64_t v;

	do {
		gen = vdev_r8(&dev, VC_CFG_GENERATION);
		v = cfg32(0) | (uint64_t)cfg32(4) << 32;
	} while (gen != vdev_r8(&dev, VC_CFG_GENERATION));
	return v;
}

/* Reset, negotiate, set up queue 0 for polling, DRIVER_OK.  0 or -1. */
static inline int blk_start(uint16_t qsize)
{
	uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			VIRTIO_BIT(BLK_F_SEG_MAX) | VIRTIO_BIT(BLK_F_RO) |
			VIRTIO_BIT(BLK_F_BLK_SIZE) | VIRTIO_BIT(BLK_F_FLUSH) |
			VIRTIO_BIT(BLK_F_DISCARD) |
			VIRTIO_BIT(BLK_F_WRITE_ZEROES);

	vdev_reset(&dev);
	if (!vdev_negotiate(&dev, want, &features)) {
		printf("virtio-blk: FAIL feature negotiation (status 0x%x)\n",
		       vdev_status(&dev));
		return -1;
	}
	if (vq_setup(&dev, &vq, 0, qsize, ring_mem, VIRTIO_MSI_NO_VECTOR)) {
		printf("virtio-blk: FAIL queue set-up (status 0x%x)\n",
		       vdev_status(&dev));
		return -1;
	}
	vq.avail->flags = 1;	/* VIRTQ_AVAIL_F_NO_INTERRUPT: we poll */
	vdev_set_status(&dev, vdev_status(&dev) | VIRTIO_DRIVER_OK);
	if ((vdev_status(&dev) & (VIRTIO_DRIVER_OK | VIRTIO_NEEDS_RESET)) !=
	    VIRTIO_DRIVER_OK) {
		printf("virtio-blk: FAIL device not running (status 0x%x)\n",
		       vdev_status(&dev));
		return -1;
	}
	nslots = vq.size / DESC_PER_SLOT;
	capacity = read_capacity();
	return 0;
}

/* Find disk=N, map it, start it.  0 or -1 (said why). */
static inline int blk_open(void)
{
	unsigned int n = (unsigned int)cmdline_u64("disk", 0);
	uint16_t qsize = (uint16_t)cmdline_u64("qsize", MAX_QSIZE);
	int devfn;

	if (qsize < DESC_PER_SLOT || qsize > MAX_QSIZE || (qsize & (qsize - 1)))
		qsize = MAX_QSIZE;
	khz = tsc_khz();
	devfn = blk_find(n);
	if (devfn < 0 || vdev_open_at(&dev, (uint32_t)devfn)) {
		printf("virtio-blk: FAIL no virtio block device #%u on PCI bus 0\n",
		       n);
		return -1;
	}
	if (blk_start(qsize))
		return -1;
	printf("virtio-blk: disk %u at 00:%02x.0, %lu sectors, features 0x%lx, "
	       "queue %u, %s config access\n", n, dev.devfn >> 3, capacity,
	       features, vq.size, pci_access_name());
	return 0;
}

/* Publish a chain of n descriptors in slot s (not kicked). */
static inline void post_raw(unsigned int s, const struct dseg *d,
			    unsigned int n)
{
	uint16_t base = (uint16_t)(s * DESC_PER_SLOT);

	for (unsigned int i = 0; i < n; i++)
		vq_desc(&vq, (uint16_t)(base + i), (uintptr_t)d[i].p, d[i].len,
			d[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
			(uint16_t)(base + i + 1));
	vq_publish(&vq, base);
}

/*
 * A well-formed request in slot s: header, data (device-writable when
 * dev_writes) cut into pieces of `split` bytes (0: one piece), status.
 */
static inline void post(unsigned int s, uint32_t type, uint64_t sector,
		 const volatile void *data, uint32_t len, bool dev_writes,
		 uint32_t split)
{
	struct dseg d[DESC_PER_SLOT];
	unsigned int n = 0;
	uint32_t off = 0;

	hdrs[s] = (struct blk_hdr){ type, 0, sector };
	statuses[s] = BLK_S_NONE;
	d[n++] = (struct dseg){ &hdrs[s], sizeof(hdrs[s]), 0 };
	while (off < len) {
		uint32_t l = len - off;

		if (split && l > split && n < DESC_PER_SLOT - 2)
			l = split;
		d[n++] = (struct dseg){ (const volatile uint8_t *)data + off, l,
					dev_writes ? VRING_DESC_F_WRITE : 0 };
		off += l;
	}
	d[n++] = (struct dseg){ &statuses[s], 1, VRING_DESC_F_WRITE };
	post_raw(s, d, n);
}

/* The slot of the next used element, or -1 after TIMEOUT_MS. */
static inline int wait_used(uint32_t *len)
{
	uint64_t start = rdtsc();
	uint32_t id;

	while (!vq_get_used(&vq, &id, len)) {
		if (rdtsc() - start > (uint64_t)TIMEOUT_MS * khz)
			return -1;
		cpu_pause();
	}
	return (int)(id / DESC_PER_SLOT);
}

/*
 * Notify the device unless it said it does not need it
 * (VIRTQ_USED_F_NO_NOTIFY: it is polling the ring), as Linux does
 * without EVENT_IDX.  The fence orders our avail->idx store before the
 * flags load; the device has the mirror-image fence (2.7.13.4).
 */
static inline void blk_kick(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(__atomic_load_n(&vq.used->flags, __ATOMIC_RELAXED) & 1)) {
		*vq.notify = vq.index;
		notifies++;
	}
}

/* Post in slot 0, kick, wait: the status, or -1 on a timeout. */
static inline int wait_status(uint32_t *used_len)
{
	uint32_t len;
	int s;

	blk_kick();
	s = wait_used(&len);
	if (used_len)
		*used_len = len;
	return s < 0 ? -1 : statuses[s];
}

static inline int blk_io(uint32_t type, uint64_t sector,
			 const volatile void *data, uint32_t len,
			 uint32_t split)
{
	post(0, type, sector, data, len, type != BLK_T_OUT &&
	     type != BLK_T_DISCARD && type != BLK_T_WRITE_ZEROES, split);
	return wait_status(NULL);
}

#endif
