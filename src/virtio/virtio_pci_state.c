// SPDX-License-Identifier: MIT
/*
 * Snapshot of a virtio-pci function (virtio_pci.h): one section payload,
 * in this fixed order:
 *
 *   the device's identity (type, queues...)  virtio_dev_save_id
 *   PCI configuration space and INTx level   pci_dev_save (pci.c)
 *   MSI-X table and pending bits             msix_save (msix.c)
 *   virtio core: status, features, queues and ring positions
 *                                            virtio_dev_save (virtio_state.c)
 *   transport registers: feature selectors, queue_select, ISR, vectors
 *   the device's own state                   ops->save
 *
 * Restore decodes and validates the first four parts without touching
 * the function, applies them, then hands the rest to ops->restore; if the
 * device refuses its part, the function is put back as it was created.
 */
#include "virtio/virtio_pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/snapfile.h"

struct vp_transport_state {
	uint32_t dfselect, gfselect;
	uint16_t queue_select, config_vector;
	uint8_t isr;
	uint16_t *vector;	/* per queue */
};

static void put_transport(const struct virtio_pci *vp, struct snap_enc *enc)
{
	snap_put_u32(enc, vp->dfselect);
	snap_put_u32(enc, vp->gfselect);
	snap_put_u16(enc, vp->queue_select);
	snap_put_u16(enc, vp->config_vector);
	snap_put_u8(enc, vp->isr);
	for (uint16_t i = 0; i < vp->vd->num_queues; i++)
		snap_put_u16(enc, vp->q[i].vector);
}

void virtio_pci_quiesce(struct virtio_pci *vp)
{
	if (!vp->vd->ops->quiesce)
		return;
	pci_dev_lock(&vp->pci);
	vp->vd->ops->quiesce(vp->vd);
	pci_dev_unlock(&vp->pci);
}

int virtio_pci_save(struct virtio_pci *vp, struct snap_enc *enc,
		    struct vmon_err *e)
{
	struct virtio_dev *vd = vp->vd;
	int ret;

	if (!vd->ops->save || !vd->ops->restore)
		return err_set(e, ERR_USAGE, -ENOTSUP, "%s cannot be saved: the "
			       "%s device has no snapshot support", vd->label,
			       virtio_type_name(vd->type));
	pci_dev_lock(&vp->pci);
	virtio_dev_save_id(vd, enc);
	pci_dev_save(&vp->pci, enc);
	msix_save(&vp->pci, enc);
	virtio_dev_save(vd, enc);
	put_transport(vp, enc);
	ret = enc->err ? enc->err : vd->ops->save(vd, enc);
	if (!ret)
		ret = enc->err;
	pci_dev_unlock(&vp->pci);
	if (ret == -EBUSY)
		return err_set(e, ERR_HOST, ret, "%s cannot be saved now: a "
			       "request is in flight (the device is not "
			       "quiesced)", vd->label);
	if (ret)
		return err_set(e, ERR_HOST, ret, "%s: cannot save its state: %s",
			       vd->label, strerror(-ret));
	return 0;
}

/* 4.1.5.1.2.1: a live write of an unusable vector reads NO_VECTOR. */
static int check_vector(const struct virtio_pci *vp, struct snap_dec *d,
			const char *field, uint16_t v)
{
	if (v != VIRTIO_MSI_NO_VECTOR && v >= vp->nr_vectors)
		return snap_dec_fail(d, field, "vector %u: this function has %u "
				     "(or 0x%x for none)", v, vp->nr_vectors,
				     VIRTIO_MSI_NO_VECTOR);
	return 0;
}

static int decode_transport(const struct virtio_pci *vp, struct snap_dec *d,
			    struct vp_transport_state *t)
{
	uint16_t nq = vp->vd->num_queues;

	snap_get_u32(d, "dfselect", &t->dfselect);
	snap_get_u32(d, "gfselect", &t->gfselect);
	snap_get_u16(d, "queue_select", &t->queue_select);
	snap_get_u16(d, "config_vector", &t->config_vector);
	snap_get_u8(d, "isr", &t->isr);
	if (d->err)
		return d->err;
	if (t->queue_select >= nq)
		return snap_dec_fail(d, "queue_select", "%u, but the device has "
				     "%u queues", t->queue_select, nq);
	if (check_vector(vp, d, "config_vector", t->config_vector))
		return d->err;
	if (t->isr & ~(VIRTIO_ISR_QUEUE | VIRTIO_ISR_CONFIG))
		return snap_dec_fail(d, "isr", "0x%02x sets reserved bits",
				     t->isr);
	t->vector = calloc(nq, sizeof(*t->vector));
	if (!t->vector)
		return snap_dec_fail(d, "queue_vector", "out of memory");
	for (uint16_t i = 0; i < nq; i++)
		if (snap_get_u16(d, "queue_vector", &t->vector[i]) ||
		    check_vector(vp, d, "queue_vector", t->vector[i]))
			break;
	return d->err;
}

static void apply_transport(struct virtio_pci *vp,
			    const struct vp_transport_state *t)
{
	vp->dfselect = t->dfselect;
	vp->gfselect = t->gfselect;
	vp->queue_select = t->queue_select;
	vp->config_vector = t->config_vector;
	vp->isr = t->isr;
	for (uint16_t i = 0; i < vp->vd->num_queues; i++)
		vp->q[i].vector = t->vector[i];
}

/* The function as virtio_pci_create left it, to go back to on refusal. */
struct vp_fresh {
	struct pci_dev_state pci;
	struct msix_state msix;
};

static int keep_fresh(const struct virtio_pci *vp, struct vp_fresh *f)
{
	const struct msix *m = &vp->pci.msix;

	memcpy(f->pci.cfg, vp->pci.cfg, PCI_CFG_SIZE);
	f->pci.intx_level = vp->pci.intx_level;
	f->msix = (struct msix_state){ .nr = m->nr };
	if (!m->nr)
		return 0;
	f->msix.entry = calloc(m->nr, sizeof(*f->msix.entry));
	f->msix.pba = calloc((m->nr + 63u) / 64, sizeof(*f->msix.pba));
	if (!f->msix.entry || !f->msix.pba) {
		msix_state_free(&f->msix);
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < m->nr; i++)
		memcpy(f->msix.entry[i], m->v[i].entry, sizeof(m->v[i].entry));
	memcpy(f->msix.pba, m->pba, (m->nr + 63u) / 64 * sizeof(*m->pba));
	return 0;
}

static void back_to_fresh(struct virtio_pci *vp, const struct vp_fresh *f)
{
	virtio_reset(vp->vd);		/* core, device and transport state */
	pci_dev_apply(&vp->pci, &f->pci);
	msix_apply(&vp->pci, &f->msix);
}

/* The decoder's message into e (they may be one and the same). */
static int dec_error(struct snap_dec *d, struct vmon_err *e)
{
	if (e && d->e && d->e != e)
		*e = *d->e;
	else if (e && !d->e)
		err_set(e, ERR_USAGE, d->err, "section %s: invalid",
			d->section ? d->section : "?");
	return d->err;
}

int virtio_pci_restore(struct virtio_pci *vp, struct snap_dec *d,
		       struct vmon_err *e)
{
	struct virtio_dev *vd = vp->vd;
	struct pci_dev_state ps;
	struct msix_state ms = { 0 };
	struct virtio_dev_state cs = { 0 };
	struct vp_transport_state ts = { 0 };
	struct vp_fresh fresh = { 0 };
	int ret;

	if (!vd->ops->restore)
		return err_set(e, ERR_USAGE, -ENOTSUP, "%s cannot be restored: "
			       "the %s device has no snapshot support",
			       vd->label, virtio_type_name(vd->type));
	pci_dev_lock(&vp->pci);
	if (vd->status) {
		ret = err_set(e, ERR_HOST, -EBUSY, "%s: restore needs a freshly "
			      "created device, this one has status 0x%02x",
			      vd->label, vd->status);
		goto out;
	}
	if (virtio_dev_check_id(vd, d) ||
	    pci_dev_decode(&vp->pci, d, &ps) ||
	    msix_decode(&vp->pci, d, &ms) ||
	    virtio_dev_decode(vd, d, &cs) ||
	    decode_transport(vp, d, &ts)) {
		ret = dec_error(d, e);
		goto out;
	}
	if ((ret = keep_fresh(vp, &fresh))) {
		err_set(e, ERR_HOST, ret, "%s: cannot restore: out of memory",
			vd->label);
		goto out;
	}
	/* Config space first: BARs decoded, MSI-X enabled, then the table. */
	pci_dev_apply(&vp->pci, &ps);
	msix_apply(&vp->pci, &ms);
	virtio_dev_apply(vd, &cs);
	apply_transport(vp, &ts);
	if (vd->ops->restore(vd, d) || snap_dec_end(d)) {
		if (!d->err)	/* a device that did not say why */
			snap_dec_fail(d, "device", "refused by %s", vd->label);
		back_to_fresh(vp, &fresh);
		ret = dec_error(d, e);
		goto out;
	}
	if ((ret = virtio_dev_resume(vd))) {
		err_set(e, ERR_HOST, ret, "%s: cannot start the restored device: "
			"%s", vd->label, strerror(-ret));
		back_to_fresh(vp, &fresh);
	}
out:
	pci_dev_unlock(&vp->pci);
	msix_state_free(&ms);
	msix_state_free(&fresh.msix);
	virtio_dev_state_free(&cs);
	free(ts.vector);
	return ret;
}
