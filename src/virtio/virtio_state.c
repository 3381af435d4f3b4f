// SPDX-License-Identifier: MIT
/*
 * Snapshot of the transport-independent half of a virtio device: its
 * identity, status, features and queues (virtio.h).  A restored value is
 * checked as a live driver write would be (guest-input.md 26-27): the
 * status must be one the state machine in virtio.c can reach, and an
 * enabled queue goes through virtq_configure like a live queue_enable.
 */
#include "virtio/virtio.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/snapfile.h"

const char *virtio_type_name(uint16_t type)
{
	switch (type) {
	case VIRTIO_ID_NET:	return "net";
	case VIRTIO_ID_BLOCK:	return "block";
	case VIRTIO_ID_CONSOLE:	return "console";
	case VIRTIO_ID_ENTROPY:	return "entropy";
	case VIRTIO_ID_BALLOON:	return "balloon";
	case VIRTIO_ID_VSOCK:	return "vsock";
	default:		return "unknown";
	}
}

int virtio_dev_save_id(const struct virtio_dev *vd, struct snap_enc *enc)
{
	snap_put_u16(enc, vd->type);
	snap_put_u16(enc, vd->num_queues);
	snap_put_u16(enc, vd->queue_max_size);
	snap_put_u64(enc, vd->features_offered);
	return snap_put_u32(enc, vd->config_size);
}

int virtio_dev_save(const struct virtio_dev *vd, struct snap_enc *enc)
{
	snap_put_u64(enc, vd->features);
	snap_put_bool(enc, vd->features_beyond_64);
	snap_put_u8(enc, vd->status);
	snap_put_u8(enc, vd->config_generation);
	for (uint16_t i = 0; i < vd->num_queues; i++) {
		const struct virtio_queue *q = &vd->queues[i];
		const struct virtq *vq = &q->vq;

		snap_put_u16(enc, q->size);
		snap_put_u64(enc, q->desc);
		snap_put_u64(enc, q->driver);
		snap_put_u64(enc, q->device);
		snap_put_bool(enc, q->enabled);
		/*
		 * Where the walker is: the next avail entry to take, the next
		 * used entry to fill, the event-idx shadow, and the chains
		 * taken but not returned.  The rings are in guest RAM.
		 */
		snap_put_bool(enc, vq->broken);
		snap_put_u16(enc, vq->last_avail);
		snap_put_u16(enc, vq->used_idx);
		snap_put_u16(enc, vq->signalled_used);
		snap_put_bool(enc, vq->signalled_valid);
		snap_put_u16(enc, vq->inflight);
	}
	return enc->err;
}

void virtio_dev_state_free(struct virtio_dev_state *s)
{
	free(s->q);
	s->q = NULL;
}

static struct virtq_config queue_config(const struct virtio_dev *vd,
					const struct virtio_queue_state *q,
					uint64_t features)
{
	return (struct virtq_config){
		.size = q->size,
		.max_size = vd->queue_max_size,
		.desc = q->desc,
		.avail = q->driver,
		.used = q->device,
		.indirect = features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC),
		.event_idx = features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
	};
}

/* A field name for queue i ("q3.size"), kept in s while it is in use. */
static const char *qfield(struct virtio_dev_state *s, uint16_t i,
			  const char *name)
{
	snprintf(s->field, sizeof(s->field), "q%u.%s", i, name);
	return s->field;
}

static const char *article(const char *name)
{
	return strchr("aeiou", name[0]) ? "an" : "a";
}

int virtio_dev_check_id(const struct virtio_dev *vd, struct snap_dec *d)
{
	uint16_t type, nq, qmax;
	uint64_t offered;
	uint32_t cfg_size;

	snap_get_u16(d, "type", &type);
	snap_get_u16(d, "num_queues", &nq);
	snap_get_u16(d, "queue_max_size", &qmax);
	snap_get_u64(d, "features_offered", &offered);
	snap_get_u32(d, "config_size", &cfg_size);
	if (d->err)
		return d->err;
	if (type != vd->type)
		return snap_dec_fail(d, "type", "%s %s device in the snapshot, "
				     "%s %s device here",
				     article(virtio_type_name(type)),
				     virtio_type_name(type),
				     article(virtio_type_name(vd->type)),
				     virtio_type_name(vd->type));
	if (nq != vd->num_queues)
		return snap_dec_fail(d, "num_queues", "%u queues in the "
				     "snapshot, %u here", nq, vd->num_queues);
	if (qmax != vd->queue_max_size)
		return snap_dec_fail(d, "queue_max_size", "%u in the snapshot, "
				     "%u here", qmax, vd->queue_max_size);
	if (offered != vd->features_offered)
		return snap_dec_fail(d, "features_offered", "0x%llx in the "
				     "snapshot, 0x%llx here: not the same "
				     "device configuration",
				     (unsigned long long)offered,
				     (unsigned long long)vd->features_offered);
	if (cfg_size != vd->config_size)
		return snap_dec_fail(d, "config_size", "%u in the snapshot, %u "
				     "here", cfg_size, vd->config_size);
	return 0;
}

/* What virtio_set_status and virtio_set_driver_features let a driver reach. */
static int check_status(const struct virtio_dev *vd, struct snap_dec *d,
			uint8_t st, uint64_t features, bool beyond)
{
	if (st & ~VIRTIO_STATUS_KNOWN)
		return snap_dec_fail(d, "status", "0x%02x sets reserved bits",
				     st);
	if ((st & VIRTIO_STATUS_DRIVER_OK) && !(st & VIRTIO_STATUS_FEATURES_OK))
		return snap_dec_fail(d, "status", "0x%02x: DRIVER_OK without "
				     "FEATURES_OK", st);
	if ((st & VIRTIO_STATUS_FEATURES_OK) && !(st & VIRTIO_STATUS_DRIVER))
		return snap_dec_fail(d, "status", "0x%02x: FEATURES_OK without "
				     "DRIVER", st);
	if (beyond)
		return snap_dec_fail(d, "features_beyond_64", "feature bits "
				     "past 63 are never offered");
	if (features & ~vd->features_offered)
		return snap_dec_fail(d, "features", "0x%llx has bits this device "
				     "does not offer (0x%llx)",
				     (unsigned long long)features,
				     (unsigned long long)vd->features_offered);
	if (features && !(st & VIRTIO_STATUS_DRIVER))
		return snap_dec_fail(d, "features", "0x%llx accepted in status "
				     "0x%02x, before DRIVER",
				     (unsigned long long)features, st);
	if ((st & VIRTIO_STATUS_FEATURES_OK) &&
	    !(features & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
		return snap_dec_fail(d, "features", "FEATURES_OK without "
				     "VERSION_1 (6.1)");
	return 0;
}

static int decode_queue(struct virtio_dev *vd, struct snap_dec *d,
			struct virtio_dev_state *s, uint16_t i)
{
	struct virtio_queue_state *q = &s->q[i];
	uint16_t max = vd->queue_max_size;

	/* A driver may write any size to a disabled queue (checked when it
	 * enables it, virtio_queue_set_size): only an enabled one's size is
	 * held to the live rule below. */
	snap_get_u16(d, qfield(s, i, "size"), &q->size);
	snap_get_u64(d, qfield(s, i, "desc"), &q->desc);
	snap_get_u64(d, qfield(s, i, "driver"), &q->driver);
	snap_get_u64(d, qfield(s, i, "device"), &q->device);
	snap_get_bool(d, qfield(s, i, "enabled"), &q->enabled);
	snap_get_bool(d, qfield(s, i, "broken"), &q->broken);
	snap_get_u16(d, qfield(s, i, "last_avail"), &q->last_avail);
	snap_get_u16(d, qfield(s, i, "used_idx"), &q->used_idx);
	snap_get_u16(d, qfield(s, i, "signalled_used"), &q->signalled_used);
	snap_get_bool(d, qfield(s, i, "signalled_valid"), &q->signalled_valid);
	snap_get_u16(d, qfield(s, i, "inflight"), &q->inflight);
	if (d->err)
		return d->err;
	if (!q->enabled) {
		/* A disabled queue's walker is reset (virtq_init). */
		if (q->broken || q->last_avail || q->used_idx ||
		    q->signalled_used || q->signalled_valid || q->inflight)
			return snap_dec_fail(d, qfield(s, i, "enabled"), "queue "
					     "%u is disabled but has ring "
					     "positions", i);
		return 0;
	}
	if (q->size == 0 || (q->size & (q->size - 1)) || q->size > max)
		return snap_dec_fail(d, qfield(s, i, "size"),
				     "%u is not a power of two from 1 to %u",
				     q->size, max);
	if (!(s->status & VIRTIO_STATUS_FEATURES_OK))
		return snap_dec_fail(d, qfield(s, i, "enabled"), "queue %u "
				     "enabled in status 0x%02x, before "
				     "FEATURES_OK", i, s->status);
	if (q->broken && !(s->status & VIRTIO_STATUS_NEEDS_RESET))
		return snap_dec_fail(d, qfield(s, i, "broken"), "queue %u is "
				     "broken but the device is not marked "
				     "NEEDS_RESET", i);
	/* Every pop advances last_avail, every push used_idx (mod 2^16). */
	if (q->inflight > q->size ||
	    (uint16_t)(q->last_avail - q->used_idx) != q->inflight)
		return snap_dec_fail(d, qfield(s, i, "inflight"), "%u chains "
				     "in flight, but last_avail %u and used_idx "
				     "%u with queue size %u say otherwise",
				     q->inflight, q->last_avail, q->used_idx,
				     q->size);
	{
		struct virtq tmp;
		struct virtq_config cfg = queue_config(vd, q, s->features);
		char why[192];

		virtq_init(&tmp, i, NULL, NULL);
		if (virtq_configure(&tmp, vd->gm, &cfg, why, sizeof(why)))
			return snap_dec_fail(d, qfield(s, i, "desc"), "%s", why);
	}
	return 0;
}

int virtio_dev_decode(struct virtio_dev *vd, struct snap_dec *d,
		      struct virtio_dev_state *s)
{
	bool beyond;

	memset(s, 0, sizeof(*s));
	snap_get_u64(d, "features", &s->features);
	snap_get_bool(d, "features_beyond_64", &beyond);
	snap_get_u8(d, "status", &s->status);
	snap_get_u8(d, "config_generation", &s->config_generation);
	if (d->err || check_status(vd, d, s->status, s->features, beyond))
		return d->err;
	s->q = calloc(vd->num_queues, sizeof(*s->q));
	if (!s->q)
		return snap_dec_fail(d, "queues", "out of memory");
	for (uint16_t i = 0; i < vd->num_queues; i++)
		if (decode_queue(vd, d, s, i))
			break;
	if (d->err)
		virtio_dev_state_free(s);
	return d->err;
}

void virtio_dev_apply(struct virtio_dev *vd, const struct virtio_dev_state *s)
{
	vd->features = s->features;
	vd->features_beyond_64 = false;
	vd->status = s->status;
	vd->config_generation = s->config_generation;
	for (uint16_t i = 0; i < vd->num_queues; i++) {
		const struct virtio_queue_state *qs = &s->q[i];
		struct virtio_queue *q = &vd->queues[i];
		struct virtq *vq = &q->vq;
		struct virtq_config cfg = queue_config(vd, qs, s->features);
		char why[192];

		q->size = qs->size;
		q->desc = qs->desc;
		q->driver = qs->driver;
		q->device = qs->device;
		q->enabled = false;
		virtq_reset(vq);
		if (!qs->enabled)
			continue;
		/* Validated by virtio_dev_decode on the same RAM. */
		if (virtq_configure(vq, vd->gm, &cfg, why, sizeof(why)))
			continue;
		q->enabled = true;
		vq->broken = qs->broken;
		vq->last_avail = qs->last_avail;
		vq->used_idx = qs->used_idx;
		vq->signalled_used = qs->signalled_used;
		vq->signalled_valid = qs->signalled_valid;
		vq->inflight = qs->inflight;
		/*
		 * virtq_should_notify tells "never pushed" from "nothing new"
		 * by the counter; any push makes used_idx or signalled_valid
		 * non-zero (short of exactly 2^16 pushes, never checked).
		 */
		vq->popped = qs->inflight;
		vq->pushed = qs->used_idx || qs->signalled_valid;
	}
}

int virtio_dev_resume(struct virtio_dev *vd)
{
	int ret;

	if (!virtio_running(vd))
		return 0;
	ret = vd->ops->activate ? vd->ops->activate(vd) : 0;
	if (ret)
		return ret;
	/* Buffers made available while the VM was saved are served now. */
	for (uint16_t i = 0; i < vd->num_queues; i++)
		if (vd->queues[i].enabled && vd->t)
			vd->t->kick(vd, i);
	return 0;
}

int virtio_queue_rewind(struct virtio_dev *vd, uint16_t q, uint16_t n)
{
	struct virtio_queue *vq = virtio_queue(vd, q);

	if (!vq || (n && !vq->enabled) || vq->vq.inflight < n)
		return -EINVAL;
	vq->vq.last_avail = (uint16_t)(vq->vq.last_avail - n);
	vq->vq.inflight = (uint16_t)(vq->vq.inflight - n);
	return 0;
}
