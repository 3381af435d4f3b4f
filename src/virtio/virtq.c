// SPDX-License-Identifier: MIT
/*
 * Split virtqueue walker.  Section numbers are VIRTIO 1.2's; rule numbers
 * are those of shared/guides/guest-input.md (see virtq.h).
 *
 * Memory ordering.  The driver and the device share the rings without a
 * lock, so the order in which each side's loads and stores become visible
 * matters (2.7.13, 2.7.14).  Each fence or atomic below says what it
 * orders.  On x86 most of them cost nothing but the compiler barrier; they
 * are written with C11 semantics so they stay right elsewhere.
 */
#include "virtio/virtq.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/iov.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "virtio 1.x rings are little-endian; so must the host be");
_Static_assert(sizeof(struct virtq_desc) == VIRTQ_DESC_SIZE, "descriptor");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "used element");

void virtq_init(struct virtq *vq, uint16_t index, virtq_fail_fn fail,
		void *opaque)
{
	memset(vq, 0, sizeof(*vq));
	vq->index = index;
	vq->fail = fail;
	vq->fail_opaque = opaque;
}

void virtq_reset(struct virtq *vq)
{
	virtq_init(vq, vq->index, vq->fail, vq->fail_opaque);
}

int virtq_configure(struct virtq *vq, const struct guest_mem *gm,
		    const struct virtq_config *cfg, char *why, size_t whylen)
{
	uint16_t n = cfg->size;
	/* used_event / avail_event exist only with EVENT_IDX (2.7.6, 2.7.8). */
	uint64_t avail_len = VIRTQ_AVAIL_BYTES(n) - (cfg->event_idx ? 0 : 2);
	uint64_t used_len = VIRTQ_USED_BYTES(n) - (cfg->event_idx ? 0 : 2);
	const void *desc;
	void *avail, *used;

	virtq_reset(vq);
	if (n == 0 || (n & (n - 1)) || n > cfg->max_size ||
	    n > VIRTQ_MAX_SIZE) {
		snprintf(why, whylen, "queue %u: size %u is not a power of two "
			 "from 1 to %u", vq->index, n, cfg->max_size);
		return -EINVAL;
	}
	/* Alignment (2.7, table "Virtqueue Part Alignment"). */
	if ((cfg->desc & 15) || (cfg->avail & 1) || (cfg->used & 3)) {
		snprintf(why, whylen, "queue %u: rings misaligned (descriptors "
			 "0x%llx need 16, driver area 0x%llx 2, device area "
			 "0x%llx 4)", vq->index, (unsigned long long)cfg->desc,
			 (unsigned long long)cfg->avail,
			 (unsigned long long)cfg->used);
		return -EINVAL;
	}
	desc = gm_ptr(gm, cfg->desc, VIRTQ_DESC_BYTES(n));
	avail = gm_ptr(gm, cfg->avail, avail_len);
	used = gm_ptr(gm, cfg->used, used_len);
	if (!desc || !avail || !used) {
		snprintf(why, whylen, "queue %u: %s area at 0x%llx is not guest "
			 "RAM", vq->index,
			 !desc ? "descriptor" : !avail ? "driver" : "device",
			 (unsigned long long)(!desc ? cfg->desc : !avail ?
					      cfg->avail : cfg->used));
		return -EINVAL;
	}
	vq->size = n;
	vq->indirect = cfg->indirect;
	vq->event_idx = cfg->event_idx;
	vq->desc_gpa = cfg->desc;
	vq->avail_gpa = cfg->avail;
	vq->used_gpa = cfg->used;
	vq->gm = gm;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->ready = true;
	return 0;
}

void virtq_chain_init(struct virtq_chain *c, struct iovec *iov,
		      unsigned int cap)
{
	memset(c, 0, sizeof(*c));
	c->iov = iov;
	c->cap = cap;
}

__attribute__((format(printf, 2, 3)))
static int violation(struct virtq *vq, const char *fmt, ...)
{
	char why[192];
	int n;
	va_list ap;

	n = snprintf(why, sizeof(why), "queue %u: ", vq->index);
	va_start(ap, fmt);
	vsnprintf(why + n, sizeof(why) - (size_t)n, fmt, ap);
	va_end(ap);
	vq->broken = true;
	if (vq->fail)
		vq->fail(vq->fail_opaque, vq, why);
	return -EPROTO;
}

/* The used ring is written by the device: its pages are VMM-dirty. */
static void mark_used(struct virtq *vq)
{
	if (vq->gm->dirty)
		gm_mark_dirty(vq->gm, vq->used_gpa, VIRTQ_USED_BYTES(vq->size));
}

static uint16_t *used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *avail_event(struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

/*
 * avail->idx, read once per call.  Acquire: the ring entries and the
 * descriptors the driver wrote before publishing this index (it issues a
 * write barrier first, 2.7.13) must not be read earlier than the index.
 */
static uint16_t load_avail_idx(struct virtq *vq)
{
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
}

/* Walk the chain starting at head into c.  0 or a violation. */
static int walk(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	/* Bytes: an indirect table need not be aligned (2.7.5.3). */
	const uint8_t *table = (const uint8_t *)vq->desc;
	uint32_t entries = vq->size;	/* of the table being walked */
	uint32_t budget = vq->size;	/* descriptors it may still give */
	uint64_t total = 0;
	bool indirect = false, writable = false, first = true;
	uint16_t i = head;

	c->head = head;
	c->nr_out = c->nr_in = 0;
	c->out_bytes = c->in_bytes = 0;
	for (;;) {
		struct virtq_desc d;
		void *hva;

		if (budget-- == 0)		/* rule 3 */
			return violation(vq, "chain at head %u has more than "
					 "%u descriptors (a loop?)", head,
					 entries);
		/* The only read of this descriptor: from here on only d. */
		memcpy(&d, table + (size_t)i * VIRTQ_DESC_SIZE, sizeof(d));

		if (d.flags & VIRTQ_DESC_F_INDIRECT) {	/* rule 5, 2.7.5.3 */
			if (!vq->indirect)
				return violation(vq, "descriptor %u is indirect "
						 "but VIRTIO_F_INDIRECT_DESC "
						 "was not negotiated", i);
			if (indirect)
				return violation(vq, "nested indirect "
						 "descriptor %u", i);
			if (!first)
				return violation(vq, "indirect descriptor %u is "
						 "not the head of its chain", i);
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return violation(vq, "descriptor %u has both "
						 "INDIRECT and NEXT", i);
			if (d.len == 0 || d.len % VIRTQ_DESC_SIZE ||
			    d.len / VIRTQ_DESC_SIZE > vq->size)
				return violation(vq, "indirect table of %u bytes: "
						 "want 1 to %u descriptors of "
						 "16 bytes", d.len, vq->size);
			table = gm_ptr(vq->gm, d.addr, d.len);
			if (!table)		/* rule 7 */
				return violation(vq, "indirect table at 0x%llx "
						 "(%u bytes) is not guest RAM",
						 (unsigned long long)d.addr,
						 d.len);
			entries = budget = d.len / VIRTQ_DESC_SIZE;
			indirect = true;
			first = false;
			i = 0;
			continue;
		}
		first = false;
		if (d.len == 0)			/* rule 6 */
			return violation(vq, "descriptor %u has length 0", i);
		total += d.len;
		if (total > VIRTQ_MAX_CHAIN_BYTES)
			return violation(vq, "chain at head %u is longer than "
					 "%llu bytes", head,
					 (unsigned long long)VIRTQ_MAX_CHAIN_BYTES);
		hva = gm_ptr(vq->gm, d.addr, d.len);
		if (!hva)			/* rule 7, 21 */
			return violation(vq, "descriptor %u: buffer 0x%llx+%u "
					 "is not guest RAM", i,
					 (unsigned long long)d.addr, d.len);
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			writable = true;
			/*
			 * Dirty now, for a diff snapshot: a snapshot has no
			 * chain in flight (a device with one refuses it), so
			 * the write lands before the bitmap is read.
			 */
			gm_mark_dirty(vq->gm, d.addr, d.len);
		} else if (writable) {		/* rule 8, 2.7.4 */
			return violation(vq, "descriptor %u is device-readable "
					 "after a device-writable one", i);
		}
		if ((unsigned int)c->nr_out + c->nr_in >= c->cap)
			return violation(vq, "chain at head %u has more than %u "
					 "buffers", head, c->cap);
		c->iov[c->nr_out + c->nr_in] =
			(struct iovec){ .iov_base = hva, .iov_len = d.len };
		if (writable) {
			c->nr_in++;
			c->in_bytes += d.len;
		} else {
			c->nr_out++;
			c->out_bytes += d.len;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= entries)		/* rule 2 */
			return violation(vq, "descriptor %u: next %u is beyond "
					 "the %s of %u entries", i, d.next,
					 indirect ? "indirect table" : "queue",
					 entries);
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	uint16_t avail_idx, pending, head;
	int ret;

	if (!vq->ready || vq->broken)
		return -EIO;
	avail_idx = load_avail_idx(vq);
	if (avail_idx == vq->last_avail) {
		if (!vq->event_idx)
			return 0;
		/*
		 * Ask for a notification when the driver makes the next
		 * buffer available (2.7.10), then look again: the driver may
		 * have published one after our first read but before it could
		 * see the new avail_event.  The store must be visible before
		 * the second load of avail->idx (store -> load ordering needs
		 * a full fence; the driver has the mirror-image fence).
		 */
		__atomic_store_n(avail_event(vq), vq->last_avail,
				 __ATOMIC_RELAXED);
		mark_used(vq);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = load_avail_idx(vq);
		if (avail_idx == vq->last_avail)
			return 0;
	}
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (pending > vq->size)			/* rule 4 */
		return violation(vq, "avail.idx %u is %u entries ahead of the "
				 "device's %u, more than the queue size %u",
				 avail_idx, pending, vq->last_avail, vq->size);
	if ((uint32_t)vq->inflight + pending > vq->size)	/* rule 13 */
		return violation(vq, "%u chains in flight and %u more offered: "
				 "more than the queue size %u", vq->inflight,
				 pending, vq->size);
	/* One read of the ring slot; ordered after avail->idx (acquire). */
	head = __atomic_load_n(&vq->avail->ring[vq->last_avail & (vq->size - 1)],
			       __ATOMIC_RELAXED);
	if (head >= vq->size)			/* rule 1 */
		return violation(vq, "avail ring entry %u holds head %u, queue "
				 "size %u", vq->last_avail, head, vq->size);
	ret = walk(vq, head, c);
	if (ret)
		return ret;
	vq->last_avail++;
	vq->inflight++;
	vq->popped++;
	return 1;
}

void virtq_unpop(struct virtq *vq)
{
	if (!vq->inflight)
		return;
	vq->last_avail--;
	vq->inflight--;
	vq->popped--;
}

int virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	struct virtq_used_elem *e;

	if (!vq->ready || vq->broken)
		return -EIO;
	if (vq->inflight == 0 || head >= vq->size)
		return -EINVAL;
	e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, written, __ATOMIC_RELAXED);
	vq->used_idx++;
	/*
	 * Release: the element above (and the data written into the
	 * buffers before this call) must be visible to the driver before
	 * the index that hands them over (2.7.14).
	 */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	mark_used(vq);
	vq->inflight--;
	vq->pushed++;
	return 0;
}

/* 2.7.10: notify if new_idx passed event since old (all mod 2^16). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool virtq_should_notify(struct virtq *vq)
{
	bool notify;

	if (!vq->ready || vq->broken)
		return false;
	/* Nothing used since the last check (or ever): nothing to say. */
	if (vq->signalled_used == vq->used_idx &&
	    (vq->signalled_valid || vq->pushed == 0))
		return false;
	/*
	 * The used->idx store (release) must be visible before we read
	 * the driver's used_event or flags: otherwise the driver could
	 * check used->idx, see nothing new, re-arm with an event we never
	 * read, and sleep forever.  Store -> load: a full fence.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		uint16_t event = __atomic_load_n(used_event(vq), __ATOMIC_RELAXED);
		uint16_t old = vq->signalled_used;
		bool valid = vq->signalled_valid;

		vq->signalled_used = vq->used_idx;
		vq->signalled_valid = true;
		notify = !valid || need_event(event, vq->used_idx, old);
	} else {
		uint16_t flags = __atomic_load_n(&vq->avail->flags,
						 __ATOMIC_RELAXED);

		vq->signalled_used = vq->used_idx;
		vq->signalled_valid = true;
		notify = !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	if (notify)
		vq->interrupts++;
	else
		vq->suppressed++;
	return notify;
}

bool virtq_avail_pending(struct virtq *vq)
{
	return vq->ready && !vq->broken && load_avail_idx(vq) != vq->last_avail;
}

void virtq_set_notification(struct virtq *vq, bool enable)
{
	if (!vq->ready || vq->broken)
		return;
	if (vq->event_idx) {
		/*
		 * The driver notifies when avail->idx passes avail_event.
		 * One behind what we have taken: only after 2^16 more
		 * buffers, in effect never.  Enabling (or virtq_pop finding
		 * the ring empty) puts it back at last_avail.
		 */
		__atomic_store_n(avail_event(vq),
				 (uint16_t)(vq->last_avail - (enable ? 0 : 1)),
				 __ATOMIC_RELAXED);
	} else {
		uint16_t f = __atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED);

		f = enable ? f & (uint16_t)~VIRTQ_USED_F_NO_NOTIFY :
			     f | VIRTQ_USED_F_NO_NOTIFY;
		__atomic_store_n(&vq->used->flags, f, __ATOMIC_RELAXED);
	}
	mark_used(vq);
	/*
	 * Store -> load: the driver must see notifications back on before
	 * our caller's next look at avail->idx, or a buffer published in
	 * between would be missed by both (the driver has the mirror fence
	 * between its avail->idx store and its flags/avail_event load).
	 */
	if (enable)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

size_t virtq_chain_read(const struct virtq_chain *c, size_t off, void *dst,
			size_t len)
{
	return iov_to_buf(c->iov, c->nr_out, off, dst, len);
}

size_t virtq_chain_write(const struct virtq_chain *c, size_t off,
			 const void *src, size_t len)
{
	return iov_from_buf(c->iov + c->nr_out, c->nr_in, off, src, len);
}
