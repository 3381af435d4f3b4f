/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues (VIRTIO 1.2, 2.7): the one walker every device uses.
 *
 * The guest's queue registers are validated once, when the queue is
 * enabled, into a private copy (virtq_configure); the walker then reads
 * each descriptor exactly once into a local and checks it before use.
 * Every rule of shared/guides/guest-input.md 1-13 is enforced here:
 *
 *   1  avail-ring head >= queue size
 *   2  next >= queue size, or >= the indirect table's entry count
 *   3  loops: at most `size` descriptors per chain (table entries when
 *      indirect)
 *   4  avail.idx - last_avail > size
 *   5  indirect: feature not negotiated, len 0 or not a multiple of 16,
 *      more entries than the queue size, nested, INDIRECT with NEXT, or
 *      anywhere but the head of the chain
 *   6  len 0; chain total above VIRTQ_MAX_CHAIN_BYTES (so 0xffffffff and
 *      32-bit overflow are refused)
 *   7  addr + len wrapping, outside RAM, crossing a hole, or on a device's
 *      MMIO (gm_ptr() says NULL)
 *   8  a device-readable buffer after a device-writable one
 *   9  size 0, not a power of two, above the maximum; misaligned or
 *      non-RAM rings (virtq_configure)
 *   13 more chains in flight than the queue size
 *
 * 10-12 (register writes in the wrong phase, queue_select and notify of
 * absent queues) are the transport's (virtio.c, virtio_pci.c).
 *
 * A violation marks the queue broken, calls vq->fail once with a one-line
 * reason, and makes virtq_pop return -EPROTO (then -EIO); the transport
 * turns that into DEVICE_NEEDS_RESET.  The queue works again only after
 * a device reset and a new virtq_configure.
 *
 * Not thread-safe: the owner serializes (the device lock).
 */
#ifndef VMON_VIRTIO_VIRTQ_H
#define VMON_VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/guest_mem.h"

/* Descriptor flags (2.7.5). */
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4
/* Ring flags (2.7.6, 2.7.8). */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	1

#define VIRTQ_MAX_SIZE		32768	/* split rings (2.7) */
#define VIRTQ_DESC_SIZE		16
/* The largest request any device takes: 2 GiB. */
#define VIRTQ_MAX_CHAIN_BYTES	(1ull << 31)

/* Ring layouts (2.7.5, 2.7.6, 2.7.8), little-endian like the host. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];	/* size entries, then used_event */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];	/* size entries, then avail_event */
};

/* Ring sizes in bytes for a queue of n entries (2.7.2, with event idx). */
#define VIRTQ_DESC_BYTES(n)	((uint64_t)(n) * VIRTQ_DESC_SIZE)
#define VIRTQ_AVAIL_BYTES(n)	(6 + 2 * (uint64_t)(n))
#define VIRTQ_USED_BYTES(n)	(6 + 8 * (uint64_t)(n))

/* What the driver asked for, checked by virtq_configure. */
struct virtq_config {
	uint16_t size;
	uint16_t max_size;
	uint64_t desc, avail, used;	/* guest-physical */
	bool indirect;			/* VIRTIO_F_INDIRECT_DESC negotiated */
	bool event_idx;			/* VIRTIO_F_EVENT_IDX negotiated */
};

/*
 * One request.  The caller provides the iovec storage: readable buffers
 * come first (iov[0 .. nr_out)), then writable ones (iov[nr_out ..
 * nr_out + nr_in)).  Give it the queue's maximum size in entries and no
 * valid chain is ever too long (rule 3).
 */
struct virtq_chain {
	uint16_t head;
	uint16_t nr_out, nr_in;
	uint32_t out_bytes, in_bytes;
	unsigned int cap;
	struct iovec *iov;
};

struct virtq;
typedef void (*virtq_fail_fn)(void *opaque, struct virtq *vq,
			      const char *why);

struct virtq {
	uint16_t index;			/* queue number, for messages */
	bool ready;			/* configured and not reset */
	bool broken;			/* a violation was seen */
	/* The validated copy of the guest's configuration. */
	uint16_t size;
	bool indirect, event_idx;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	const struct guest_mem *gm;
	const struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	/* Device-side indices. */
	uint16_t last_avail;		/* next avail entry to take */
	uint16_t used_idx;		/* next used entry to fill */
	uint16_t signalled_used;	/* used_idx at the last notify check */
	bool signalled_valid;
	uint16_t inflight;		/* popped, not yet pushed */
	/* Failure report. */
	virtq_fail_fn fail;
	void *fail_opaque;
	/* Counters. */
	uint64_t popped, pushed, interrupts, suppressed;
};

/* A queue that is not ready; fail is called on violations. */
void virtq_init(struct virtq *vq, uint16_t index, virtq_fail_fn fail,
		void *opaque);

/*
 * Validate cfg against gm (rule 9) and, if it is sound, make the queue
 * ready with fresh indices.  On -EINVAL the queue stays not ready and
 * `why` says what was wrong (fail is not called: the caller decides).
 */
int virtq_configure(struct virtq *vq, const struct guest_mem *gm,
		    const struct virtq_config *cfg, char *why, size_t whylen);

/* Forget the configuration (device reset). */
void virtq_reset(struct virtq *vq);

void virtq_chain_init(struct virtq_chain *c, struct iovec *iov,
		      unsigned int cap);

/*
 * Take the next available chain: 1 and *c filled, 0 when the ring is
 * empty, -EPROTO on a violation (reported through vq->fail), -EIO when
 * the queue is broken or not ready.  With EVENT_IDX, finding the ring
 * empty re-arms guest notifications (avail_event) before saying so.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);

/*
 * Put back the chain the last virtq_pop returned, untouched, so that the
 * next pop takes it again (a rate-limited device that may not serve it
 * yet).  Only right after that pop: the driver may not change an entry it
 * made available until the device uses it (2.7.13), so it reads the same.
 */
void virtq_unpop(struct virtq *vq);

/*
 * Return chain `head` to the driver with `written` bytes written into
 * its writable buffers.  0, or -EINVAL when nothing is in flight or head
 * is out of range (a device bug), -EIO when the queue is not usable.
 */
int virtq_push(struct virtq *vq, uint16_t head, uint32_t written);

/*
 * After one or more pushes: does the driver want an interrupt now?
 * Honours VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX
 * (2.7.7.2, 2.7.10).
 */
bool virtq_should_notify(struct virtq *vq);

/* Is a chain waiting?  Unlike virtq_pop, never re-arms notifications. */
bool virtq_avail_pending(struct virtq *vq);

/*
 * Ask the driver to notify us of new buffers, or not to (a device that
 * polls the ring meanwhile): VIRTQ_USED_F_NO_NOTIFY, or with EVENT_IDX
 * avail_event (2.7.7, 2.7.10).  A hint the driver may ignore.  After
 * enabling, check virtq_avail_pending() again: a buffer made available
 * before the driver saw the change brings no notification.
 */
void virtq_set_notification(struct virtq *vq, bool enable);

/* Copy helpers over a chain's buffers: bytes copied. */
size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst,
			size_t len);
size_t virtq_chain_write(const struct virtq_chain *c, size_t off,
			 const void *src, size_t len);

#endif
