// SPDX-License-Identifier: MIT
/*
 * The transport-independent half of a virtio device: device status
 * (2.1), feature bits (2.2), queue set-up (3.1.1, 4.1.5.1.3) and failure.
 * Rules from shared/guides/guest-input.md are cited as "rule N".
 */
#include "virtio/virtio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void vq_failed(void *opaque, struct virtq *vq, const char *why)
{
	virtio_fail(opaque, "%s", why);
}

int virtio_dev_setup(struct virtio_dev *vd, const struct guest_mem *gm,
		     pthread_mutex_t *lock,
		     const struct virtio_transport_ops *t, void *t_priv)
{
	uint16_t max = vd->queue_max_size;

	if (!vd->ops || !vd->name || vd->num_queues == 0 ||
	    vd->num_queues > VIRTIO_MAX_QUEUES || max == 0 ||
	    (max & (max - 1)) || max > VIRTQ_MAX_SIZE)
		return -EINVAL;
	vd->queues = calloc(vd->num_queues, sizeof(*vd->queues));
	if (!vd->queues)
		return -ENOMEM;
	vd->gm = gm;
	vd->lock = lock;
	vd->t = t;
	vd->t_priv = t_priv;
	vd->features_offered |= VIRTIO_TRANSPORT_FEATURES;
	if (!vd->label[0])
		snprintf(vd->label, sizeof(vd->label), "%s", vd->name);
	for (uint16_t i = 0; i < vd->num_queues; i++) {
		virtq_init(&vd->queues[i].vq, i, vq_failed, vd);
		vd->queues[i].size = max;
	}
	return 0;
}

void virtio_dev_cleanup(struct virtio_dev *vd)
{
	free(vd->queues);
	vd->queues = NULL;
}

bool virtio_running(const struct virtio_dev *vd)
{
	return (vd->status & (VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED |
			      VIRTIO_STATUS_NEEDS_RESET)) ==
	       VIRTIO_STATUS_DRIVER_OK;
}

void virtio_fail(struct virtio_dev *vd, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	counter_inc(&vd->violations);
	log_ratelimited(&vd->rl, LOG_WARN, "%s: %s; the device needs a reset",
			vd->label, why);
	if (vd->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vd->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* 2.1.2: after DRIVER_OK the driver hears of it at once. */
	if ((vd->status & VIRTIO_STATUS_DRIVER_OK) && vd->t)
		vd->t->interrupt(vd, -1);
}

void virtio_reset(struct virtio_dev *vd)
{
	for (uint16_t i = 0; i < vd->num_queues; i++) {
		struct virtio_queue *q = &vd->queues[i];

		virtq_reset(&q->vq);
		q->size = vd->queue_max_size;
		q->desc = q->driver = q->device = 0;
		q->enabled = false;
	}
	vd->features = 0;
	vd->features_beyond_64 = false;
	vd->status = 0;
	if (vd->ops->reset)
		vd->ops->reset(vd);
	if (vd->t && vd->t->reset)
		vd->t->reset(vd);
}

/* 3.1.1 step 5 and 6.1: what the device accepts at FEATURES_OK. */
static bool features_acceptable(const struct virtio_dev *vd)
{
	if (vd->features_beyond_64 || (vd->features & ~vd->features_offered))
		return false;
	/* A modern-only device: legacy drivers are refused (6.1). */
	return vd->features & VIRTIO_BIT(VIRTIO_F_VERSION_1);
}

void virtio_set_status(struct virtio_dev *vd, uint8_t status)
{
	uint8_t cur = vd->status & ~VIRTIO_STATUS_NEEDS_RESET, added;
	int ret;

	if (status == 0) {
		virtio_reset(vd);
		return;
	}
	if (vd->status & VIRTIO_STATUS_NEEDS_RESET) {
		/* Broken: the driver may only give up (FAILED) or reset. */
		vd->status |= status & VIRTIO_STATUS_FAILED;
		return;
	}
	/* NEEDS_RESET is device-owned; bits 4 and 5 are reserved (2.1). */
	status &= (uint8_t)(VIRTIO_STATUS_KNOWN & ~VIRTIO_STATUS_NEEDS_RESET);
	if (cur & ~status) {				/* rule 10 */
		virtio_fail(vd, "status 0x%02x clears bits of 0x%02x without a "
			    "reset", status, cur);
		return;
	}
	added = status & ~cur;
	if ((added & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(vd)) {
		/* Not an error: the driver reads FEATURES_OK back (3.1.1). */
		log_ratelimited(&vd->rl, LOG_INFO,
				"%s: driver features 0x%llx refused (offered "
				"0x%llx; VERSION_1 is required)", vd->label,
				(unsigned long long)vd->features,
				(unsigned long long)vd->features_offered);
		status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		added &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
	}
	if ((added & VIRTIO_STATUS_DRIVER_OK) &&
	    !(status & VIRTIO_STATUS_FEATURES_OK)) {
		virtio_fail(vd, "DRIVER_OK set without FEATURES_OK (status "
			    "0x%02x)", status);
		return;
	}
	vd->status = status;
	if (!(added & VIRTIO_STATUS_DRIVER_OK) ||
	    (status & VIRTIO_STATUS_FAILED))
		return;
	ret = vd->ops->activate ? vd->ops->activate(vd) : 0;
	if (ret) {
		virtio_fail(vd, "cannot start the device: %s", strerror(-ret));
		return;
	}
	/* Buffers made available before DRIVER_OK are served now. */
	for (uint16_t i = 0; i < vd->num_queues; i++)
		if (vd->queues[i].enabled && vd->t)
			vd->t->kick(vd, i);
}

uint32_t virtio_device_features(const struct virtio_dev *vd, uint32_t sel)
{
	return sel < 2 ? (uint32_t)(vd->features_offered >> (32 * sel)) : 0;
}

uint32_t virtio_driver_features(const struct virtio_dev *vd, uint32_t sel)
{
	return sel < 2 ? (uint32_t)(vd->features >> (32 * sel)) : 0;
}

void virtio_set_driver_features(struct virtio_dev *vd, uint32_t sel,
				uint32_t val)
{
	/* Only between DRIVER and FEATURES_OK (3.1.1 step 4; rule 10). */
	if (!(vd->status & VIRTIO_STATUS_DRIVER) ||
	    (vd->status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_NEEDS_RESET))) {
		virtio_fail(vd, "driver features written in status 0x%02x, "
			    "outside feature negotiation", vd->status);
		return;
	}
	if (sel >= 2) {
		vd->features_beyond_64 |= val != 0;
		return;
	}
	vd->features &= ~(0xffffffffull << (32 * sel));
	vd->features |= (uint64_t)val << (32 * sel);
}

struct virtio_queue *virtio_queue(struct virtio_dev *vd, uint32_t q)
{
	return q < vd->num_queues ? &vd->queues[q] : NULL;
}

/* Queue registers change only before DRIVER_OK, on a disabled queue. */
static struct virtio_queue *writable_queue(struct virtio_dev *vd, uint16_t q,
					   const char *what)
{
	struct virtio_queue *vq = virtio_queue(vd, q);

	if (!vq)
		return NULL;	/* rule 11: absent queues ignore writes */
	if (vd->status & VIRTIO_STATUS_NEEDS_RESET)
		return NULL;
	if (vd->status & VIRTIO_STATUS_DRIVER_OK) {	/* rule 10 */
		virtio_fail(vd, "queue %u: %s written after DRIVER_OK", q, what);
		return NULL;
	}
	if (vq->enabled) {
		virtio_fail(vd, "queue %u: %s written while the queue is "
			    "enabled", q, what);
		return NULL;
	}
	return vq;
}

void virtio_queue_set_size(struct virtio_dev *vd, uint16_t q, uint16_t size)
{
	struct virtio_queue *vq = writable_queue(vd, q, "queue_size");

	/* Checked when the queue is enabled (rule 9). */
	if (vq)
		vq->size = size;
}

void virtio_queue_set_addr(struct virtio_dev *vd, uint16_t q,
			   enum virtio_queue_reg reg, uint64_t addr)
{
	static const char *const names[] = { "queue_desc", "queue_driver",
					     "queue_device" };
	struct virtio_queue *vq = writable_queue(vd, q, names[reg]);

	if (!vq)
		return;
	if (reg == VQ_REG_DESC)
		vq->desc = addr;
	else if (reg == VQ_REG_DRIVER)
		vq->driver = addr;
	else
		vq->device = addr;
}

void virtio_queue_set_enable(struct virtio_dev *vd, uint16_t q, uint16_t v)
{
	struct virtio_queue *vq;
	struct virtq_config cfg;
	char why[192];

	if (v != 1) {
		/* 4.1.4.3.2: drivers never write 0; ignore it. */
		return;
	}
	vq = writable_queue(vd, q, "queue_enable");
	if (!vq)
		return;
	if (!(vd->status & VIRTIO_STATUS_FEATURES_OK)) {
		/* The ring format depends on the features (3.1.1 step 7). */
		virtio_fail(vd, "queue %u enabled before FEATURES_OK", q);
		return;
	}
	cfg = (struct virtq_config){
		.size = vq->size,
		.max_size = vd->queue_max_size,
		.desc = vq->desc,
		.avail = vq->driver,
		.used = vq->device,
		.indirect = virtio_has_feature(vd, VIRTIO_F_INDIRECT_DESC),
		.event_idx = virtio_has_feature(vd, VIRTIO_F_EVENT_IDX),
	};
	/* The frozen copy: later register writes cannot reach the ring. */
	if (virtq_configure(&vq->vq, vd->gm, &cfg, why, sizeof(why))) {
		virtio_fail(vd, "%s", why);		/* rule 9 */
		return;
	}
	vq->enabled = true;
}

void virtio_process_queue(struct virtio_dev *vd, uint16_t q)
{
	struct virtio_queue *vq = virtio_queue(vd, q);

	/* Rule 12: a queue that is not ready is not served. */
	if (!vq || !vq->enabled || !virtio_running(vd)) {
		counter_inc(&vd->spurious_notifies);
		return;
	}
	if (vd->ops->queue_notify)
		vd->ops->queue_notify(vd, &vq->vq);
}

void virtio_queue_interrupt(struct virtio_dev *vd, struct virtq *vq)
{
	if (virtio_running(vd) && virtq_should_notify(vq) && vd->t)
		vd->t->interrupt(vd, vq->index);
}

void virtio_config_changed(struct virtio_dev *vd)
{
	vd->config_generation++;
	if ((vd->status & VIRTIO_STATUS_DRIVER_OK) && vd->t)
		vd->t->interrupt(vd, -1);
}

void virtio_queue_kick(struct virtio_dev *vd, uint16_t q)
{
	if (q < vd->num_queues && vd->t)
		vd->t->kick(vd, q);
}
