// SPDX-License-Identifier: MIT
/*
 * Modern virtio-pci transport (VIRTIO 1.2, 4.1).  Layout and interrupt
 * model: virtio_pci.h.  Everything here runs with the PCI device's lock
 * held (pci.c takes it around BAR and config accesses; on_kick takes it on
 * the VMM thread).
 */
#include "virtio/virtio_pci.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/le.h"

/* Offsets inside a virtio capability (4.1.4). */
#define CAP_CFG_TYPE	3
#define CAP_BAR		4
#define CAP_OFFSET	8
#define CAP_LENGTH	12
#define CAP_EXTRA	16	/* notify multiplier / pci_cfg_data */

/* ---- Interrupts and kicks (the core's transport ops) ------------------ */

static void vp_interrupt(struct virtio_dev *vd, int q)
{
	struct virtio_pci *vp = vd->t_priv;
	uint16_t vector = q < 0 ? vp->config_vector : vp->q[q].vector;

	vp->isr |= q < 0 ? VIRTIO_ISR_CONFIG : VIRTIO_ISR_QUEUE;
	if (msix_enabled(&vp->pci)) {
		if (vector != VIRTIO_MSI_NO_VECTOR)
			msix_notify(&vp->pci, vector);
		return;
	}
	pci_intx_set(&vp->pci, true);
}

static void vp_kick(struct virtio_dev *vd, uint16_t q)
{
	struct virtio_pci *vp = vd->t_priv;
	uint64_t one = 1;

	/* Full counter (EAGAIN): a kick is pending anyway. */
	if (write(vp->q[q].efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_ratelimited(&vd->rl, LOG_ERROR, "%s: cannot kick queue %u: "
				"%s", vd->label, q, strerror(errno));
}

static void vp_reset(struct virtio_dev *vd)
{
	struct virtio_pci *vp = vd->t_priv;

	vp->isr = 0;
	pci_intx_set(&vp->pci, false);
	/* 4.1.5.1.2: vectors go back to NO_VECTOR with the device. */
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	for (uint16_t i = 0; i < vd->num_queues; i++)
		vp->q[i].vector = VIRTIO_MSI_NO_VECTOR;
	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
}

static const struct virtio_transport_ops vp_transport = {
	.interrupt = vp_interrupt,
	.kick = vp_kick,
	.reset = vp_reset,
};

/* Notify eventfd -> VMM thread. */
static void on_kick(void *opaque, uint32_t events)
{
	struct virtio_pci_queue *q = opaque;
	struct virtio_pci *vp = q->vp;
	uint64_t n;

	evloop_assert_owner(vp->loop);
	if (read(q->efd, &n, sizeof(n)) < 0)
		return;		/* EAGAIN: someone else drained it */
	pci_dev_lock(&vp->pci);
	virtio_process_queue(vp->vd, q->index);
	pci_dev_unlock(&vp->pci);
}

/* ---- Common configuration (4.1.4.3) ------------------------------------ */

static uint16_t checked_vector(const struct virtio_pci *vp, uint16_t v)
{
	/* 4.1.5.1.2.1: a vector that cannot be used reads back NO_VECTOR. */
	return v < vp->nr_vectors ? v : VIRTIO_MSI_NO_VECTOR;
}

static void common_image(struct virtio_pci *vp, uint8_t img[VP_COMMON_LEN])
{
	struct virtio_dev *vd = vp->vd;
	struct virtio_queue *q = virtio_queue(vd, vp->queue_select);

	memset(img, 0, VP_COMMON_LEN);
	le_put(img + VPC_DFSELECT, 4, vp->dfselect);
	le_put(img + VPC_DF, 4, virtio_device_features(vd, vp->dfselect));
	le_put(img + VPC_GFSELECT, 4, vp->gfselect);
	le_put(img + VPC_GF, 4, virtio_driver_features(vd, vp->gfselect));
	le_put(img + VPC_MSIX_CONFIG, 2, vp->config_vector);
	le_put(img + VPC_NUM_QUEUES, 2, vd->num_queues);
	img[VPC_STATUS] = vd->status;
	img[VPC_CFG_GENERATION] = vd->config_generation;
	le_put(img + VPC_Q_SELECT, 2, vp->queue_select);
	if (!q)
		return;		/* rule 11: an absent queue reads 0 */
	le_put(img + VPC_Q_SIZE, 2, q->size);
	le_put(img + VPC_Q_MSIX, 2, vp->q[vp->queue_select].vector);
	le_put(img + VPC_Q_ENABLE, 2, q->enabled);
	le_put(img + VPC_Q_NOTIFY_OFF, 2, vp->queue_select);
	le_put(img + VPC_Q_DESC, 8, q->desc);
	le_put(img + VPC_Q_DRIVER, 8, q->driver);
	le_put(img + VPC_Q_DEVICE, 8, q->device);
}

static void odd_access(struct virtio_pci *vp, const char *what, uint64_t off,
		       uint32_t len)
{
	counter_inc(&vp->odd_accesses);
	log_ratelimited(&vp->pci.rl, LOG_DEBUG,
			"%s: ignored %u-byte write to %s offset 0x%llx",
			vp->vd->label, len, what, (unsigned long long)off);
}

/* queue_desc/driver/device: one 64-bit write or two 32-bit halves. */
static bool addr_write(struct virtio_pci *vp, uint64_t off, uint32_t len,
		       uint64_t v)
{
	struct virtio_dev *vd = vp->vd;
	struct virtio_queue *q = virtio_queue(vd, vp->queue_select);
	uint32_t rel = (uint32_t)(off - VPC_Q_DESC);
	enum virtio_queue_reg reg = (enum virtio_queue_reg)(rel / 8);
	uint64_t cur;

	if (!((len == 8 && rel % 8 == 0) || (len == 4 && rel % 4 == 0)))
		return false;
	if (!q)
		return true;	/* rule 11 */
	cur = reg == VQ_REG_DESC ? q->desc :
	      reg == VQ_REG_DRIVER ? q->driver : q->device;
	if (len == 4 && rel % 8)
		v = (cur & 0xffffffffull) | v << 32;
	else if (len == 4)
		v = (cur & ~0xffffffffull) | v;
	virtio_queue_set_addr(vd, vp->queue_select, reg, v);
	return true;
}

static void common_write(struct virtio_pci *vp, uint64_t off,
			 const uint8_t *data, uint32_t len)
{
	struct virtio_dev *vd = vp->vd;
	uint64_t v = le_get(data, len);
	uint16_t sel = vp->queue_select;
	bool ok = true;

	/* Drivers use each field's natural width (4.1.3.1). */
	switch (off) {
	case VPC_DFSELECT:
		if ((ok = len == 4))
			vp->dfselect = (uint32_t)v;
		break;
	case VPC_GFSELECT:
		if ((ok = len == 4))
			vp->gfselect = (uint32_t)v;
		break;
	case VPC_GF:
		if ((ok = len == 4))
			virtio_set_driver_features(vd, vp->gfselect, (uint32_t)v);
		break;
	case VPC_MSIX_CONFIG:
		if ((ok = len == 2))
			vp->config_vector = checked_vector(vp, (uint16_t)v);
		break;
	case VPC_STATUS:
		if ((ok = len == 1))
			virtio_set_status(vd, (uint8_t)v);
		break;
	case VPC_Q_SELECT:
		if ((ok = len == 2))
			vp->queue_select = (uint16_t)v;
		break;
	case VPC_Q_SIZE:
		if ((ok = len == 2))
			virtio_queue_set_size(vd, sel, (uint16_t)v);
		break;
	case VPC_Q_MSIX:
		if ((ok = len == 2) && virtio_queue(vd, sel))
			vp->q[sel].vector = checked_vector(vp, (uint16_t)v);
		break;
	case VPC_Q_ENABLE:
		if ((ok = len == 2))
			virtio_queue_set_enable(vd, sel, (uint16_t)v);
		break;
	default:
		if (off >= VPC_Q_DESC && off < VPC_Q_NOTIF_DATA)
			ok = addr_write(vp, off, len, v);
		else
			ok = false;	/* read-only or not a register */
		break;
	}
	if (!ok)
		odd_access(vp, "common configuration", off, len);
}

/* ---- BAR0 ------------------------------------------------------------- */

static void notify_trapped(struct virtio_pci *vp, uint64_t off)
{
	struct virtio_dev *vd = vp->vd;
	uint64_t q = off / VP_NOTIFY_MULT;

	counter_inc(&vp->trapped_notifies);
	if (q >= vd->num_queues) {			/* rule 12 */
		virtio_fail(vd, "notification for queue %llu of a device "
			    "with %u queues", (unsigned long long)q,
			    vd->num_queues);
		return;
	}
	/* Device work belongs to the VMM thread, never a vCPU's. */
	vp_kick(vd, (uint16_t)q);
}

static void vp_bar_io(struct pci_dev *d, int bar, uint64_t off,
		      uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_pci *vp = d->opaque;
	struct virtio_dev *vd = vp->vd;

	if (!is_write)
		memset(data, 0, len);
	if (off < VP_COMMON_OFF + VP_COMMON_LEN) {
		uint8_t img[VP_COMMON_LEN];

		if (is_write) {
			common_write(vp, off, data, len);
			return;
		}
		common_image(vp, img);
		for (uint32_t i = 0; i < len && off + i < VP_COMMON_LEN; i++)
			data[i] = img[off + i];
	} else if (off >= VP_ISR_OFF && off < VP_ISR_OFF + VP_ISR_LEN) {
		/* 4.1.4.5: reading clears the ISR and de-asserts INTx. */
		if (!is_write && off == VP_ISR_OFF) {
			data[0] = vp->isr;
			vp->isr = 0;
			pci_intx_set(&vp->pci, false);
		}
	} else if (off >= VP_DEVICE_OFF && off < VP_DEVICE_OFF + vd->config_size) {
		uint32_t rel = (uint32_t)(off - VP_DEVICE_OFF);
		uint32_t n = len < vd->config_size - rel ?
			     len : vd->config_size - rel;

		/* Bytes past the end read 0 and are dropped (rule 18). */
		if (is_write && vd->ops->config_write)
			vd->ops->config_write(vd, rel, data, n);
		else if (!is_write && vd->ops->config_read)
			vd->ops->config_read(vd, rel, data, n);
	} else if (off >= VP_NOTIFY_OFF && off < VP_NOTIFY_OFF + VP_NOTIFY_MAX) {
		if (is_write)
			notify_trapped(vp, off - VP_NOTIFY_OFF);
	} else if (is_write) {
		odd_access(vp, "BAR0", off, len);
	}
}

/* Each queue's notify address is its own ioeventfd (4.1.4.4). */
static void set_ioeventfd(struct virtio_pci *vp, struct virtio_pci_queue *q,
			  uint64_t addr)
{
	int vm_fd = vp->pci.host->vm_fd;
	struct kvm_ioeventfd io = { .len = 0, .fd = q->efd };

	if (q->ioeventfd_addr == addr)
		return;
	if (q->ioeventfd_addr) {
		io.addr = q->ioeventfd_addr;
		io.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
		if (ioctl(vm_fd, KVM_IOEVENTFD, &io) < 0)
			log_warn("%s: cannot remove the ioeventfd of queue %u at "
				 "0x%llx: %s", vp->vd->label, q->index,
				 (unsigned long long)io.addr, strerror(errno));
		q->ioeventfd_addr = 0;
	}
	if (!addr || vm_fd < 0)
		return;
	io.addr = addr;
	io.flags = 0;		/* MMIO, any length (len 0), no datamatch */
	if (ioctl(vm_fd, KVM_IOEVENTFD, &io) < 0) {
		/* Still correct, only slower: the write is trapped instead. */
		if (!vp->ioeventfd_warned)
			log_warn("%s: KVM_IOEVENTFD at 0x%llx: %s; queue "
				 "notifications will exit to vmon",
				 vp->vd->label, (unsigned long long)addr,
				 strerror(errno));
		vp->ioeventfd_warned = true;
		return;
	}
	q->ioeventfd_addr = addr;
}

static void vp_bar_remap(struct pci_dev *d, int bar, uint64_t addr)
{
	struct virtio_pci *vp = d->opaque;

	if (bar != VP_BAR)
		return;
	for (uint16_t i = 0; i < vp->vd->num_queues; i++)
		set_ioeventfd(vp, &vp->q[i],
			      addr ? addr + VP_NOTIFY_OFF + VP_NOTIFY_MULT * i : 0);
}

/* ---- PCI configuration access capability (4.1.4.9) ---------------------- */

/* The window's target, if the driver set a valid one. */
static bool cfg_window(const struct virtio_pci *vp, uint32_t *off,
		       uint32_t *len)
{
	const struct pci_dev *d = &vp->pci;
	uint8_t bar = d->cfg[vp->cfg_cap + CAP_BAR];

	*off = pci_cfg32(d, vp->cfg_cap + CAP_OFFSET);
	*len = pci_cfg32(d, vp->cfg_cap + CAP_LENGTH);
	return bar == VP_BAR && (*len == 1 || *len == 2 || *len == 4) &&
	       *off % *len == 0 && *off < VP_BAR_SIZE;
}

static void vp_cfg_write(struct pci_dev *d, uint32_t reg, uint32_t len,
			 uint32_t val)
{
	struct virtio_pci *vp = d->opaque;
	uint32_t data = vp->cfg_cap + CAP_EXTRA, off, n;

	if (reg >= data + 4 || reg + len <= data || !cfg_window(vp, &off, &n))
		return;
	pci_bar_access_locked(d, VP_BAR, off, d->cfg + data, n, true);
}

static void vp_cfg_read(struct pci_dev *d, uint32_t reg, uint32_t len,
			uint32_t *val)
{
	struct virtio_pci *vp = d->opaque;
	uint32_t data = vp->cfg_cap + CAP_EXTRA, off, n;

	if (reg >= data + 4 || reg + len <= data || !cfg_window(vp, &off, &n))
		return;
	memset(d->cfg + data, 0, 4);
	pci_bar_access_locked(d, VP_BAR, off, d->cfg + data, n, false);
	*val = 0;
	for (uint32_t i = 0; i < len && reg + i < PCI_CFG_SIZE; i++)
		*val |= (uint32_t)d->cfg[reg + i] << (8 * i);
}

static const struct pci_dev_ops vp_pci_ops = {
	.bar_io = vp_bar_io,
	.bar_remap = vp_bar_remap,
	.cfg_write = vp_cfg_write,
	.cfg_read = vp_cfg_read,
};

/* ---- Creation ------------------------------------------------------------- */

static int add_virtio_cap(struct pci_dev *d, uint8_t type, uint32_t off,
			  uint32_t len, uint32_t extra, size_t cap_len,
			  const uint8_t *wmask)
{
	uint8_t cap[VIRTIO_PCI_CFG_CAP_LEN] = { PCI_CAP_ID_VNDR };

	cap[2] = (uint8_t)cap_len;
	cap[CAP_CFG_TYPE] = type;
	cap[CAP_BAR] = VP_BAR;
	le_put(cap + CAP_OFFSET, 4, off);
	le_put(cap + CAP_LENGTH, 4, len);
	if (cap_len > CAP_EXTRA)
		le_put(cap + CAP_EXTRA, 4, extra);
	return pci_dev_add_cap(d, cap, wmask, cap_len);
}

static int add_caps(struct virtio_pci *vp)
{
	struct virtio_dev *vd = vp->vd;
	struct pci_dev *d = &vp->pci;
	uint8_t wm[VIRTIO_PCI_CFG_CAP_LEN] = { 0 };
	int ret;

	ret = msix_init(d, vp->nr_vectors, VP_BAR, VP_MSIX_TABLE_OFF,
			VP_MSIX_PBA_OFF);
	if (ret)
		return ret;
	if (!add_virtio_cap(d, VIRTIO_PCI_CAP_COMMON_CFG, VP_COMMON_OFF,
			    VP_COMMON_LEN, 0, VIRTIO_PCI_CAP_LEN, NULL) ||
	    !add_virtio_cap(d, VIRTIO_PCI_CAP_NOTIFY_CFG, VP_NOTIFY_OFF,
			    VP_NOTIFY_MULT * vd->num_queues, VP_NOTIFY_MULT,
			    VIRTIO_PCI_NOTIFY_CAP_LEN, NULL) ||
	    !add_virtio_cap(d, VIRTIO_PCI_CAP_ISR_CFG, VP_ISR_OFF, VP_ISR_LEN,
			    0, VIRTIO_PCI_CAP_LEN, NULL))
		return -ENOSPC;
	if (vd->config_size &&
	    !add_virtio_cap(d, VIRTIO_PCI_CAP_DEVICE_CFG, VP_DEVICE_OFF,
			    vd->config_size, 0, VIRTIO_PCI_CAP_LEN, NULL))
		return -ENOSPC;
	/* The access window: bar, offset, length and data are writable. */
	wm[CAP_BAR] = 0xff;
	memset(wm + CAP_OFFSET, 0xff, 12);
	vp->cfg_cap = (uint8_t)add_virtio_cap(d, VIRTIO_PCI_CAP_PCI_CFG, 0, 0,
					      0, VIRTIO_PCI_CFG_CAP_LEN, wm);
	return vp->cfg_cap ? 0 : -ENOSPC;
}

int virtio_pci_create(struct pci_host *h, struct virtio_dev *vd,
		      const struct guest_mem *gm, struct evloop *loop,
		      struct virtio_pci **out)
{
	struct virtio_pci *vp;
	int ret;

	if (vd->num_queues == 0 || vd->num_queues > VP_NOTIFY_MAX / VP_NOTIFY_MULT ||
	    vd->config_size > VP_DEVICE_MAX)
		return -EINVAL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->vd = vd;
	vp->loop = loop;
	vp->nr_vectors = vd->num_queues + 1u > VP_MAX_VECTORS ?
			 VP_MAX_VECTORS : vd->num_queues + 1u;
	vp->q = calloc(vd->num_queues, sizeof(*vp->q));
	if (!vp->q) {
		free(vp);
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < vd->num_queues; i++)
		vp->q[i] = (struct virtio_pci_queue){ vp, i,
						      VIRTIO_MSI_NO_VECTOR, -1, 0 };
	ret = pci_dev_init(h, &vp->pci, vd->name, &vp_pci_ops, vp,
			   VIRTIO_PCI_VENDOR, VIRTIO_PCI_DEVICE_BASE + vd->type,
			   vd->pci_class, VIRTIO_PCI_REVISION,
			   VIRTIO_PCI_VENDOR, vd->type);
	if (ret)
		goto err_free;
	if ((ret = pci_dev_add_bar(&vp->pci, VP_BAR, VP_BAR_SIZE)) ||
	    (ret = add_caps(vp)) ||
	    (ret = virtio_dev_setup(vd, gm, &vp->pci.lock, &vp_transport, vp)))
		goto err_pci;
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	for (uint16_t i = 0; i < vd->num_queues; i++) {
		struct virtio_pci_queue *q = &vp->q[i];

		q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (q->efd < 0) {
			ret = -errno;
			goto err_queues;
		}
		if ((ret = evloop_add(loop, q->efd, EPOLLIN, on_kick, q))) {
			close(q->efd);
			q->efd = -1;
			goto err_queues;
		}
	}
	ret = pci_dev_plug(&vp->pci);
	if (ret)
		goto err_queues;
	snprintf(vd->label, sizeof(vd->label), "%s 00:%02x.0", vd->name,
		 vp->pci.slot);
	*out = vp;
	return 0;

err_queues:
	for (uint16_t i = 0; i < vd->num_queues; i++) {
		if (vp->q[i].efd >= 0) {
			evloop_del(loop, vp->q[i].efd);
			close(vp->q[i].efd);
		}
	}
	virtio_dev_cleanup(vd);
err_pci:
	pci_dev_destroy(&vp->pci);
err_free:
	free(vp->q);
	free(vp);
	log_error("cannot create %s on PCI: %s", vd->name, strerror(-ret));
	return ret;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	struct virtio_dev *vd = vp->vd;

	log_info("%s: %llu protocol violations, %llu notifications trapped "
		 "(not caught by an ioeventfd), %llu spurious, %llu MSI-X "
		 "messages",
		 vd->label, (unsigned long long)counter_get(&vd->violations),
		 (unsigned long long)counter_get(&vp->trapped_notifies),
		 (unsigned long long)counter_get(&vd->spurious_notifies),
		 (unsigned long long)counter_get(&vp->pci.msix.sent));
	pci_dev_lock(&vp->pci);
	virtio_reset(vd);
	pci_dev_unlock(&vp->pci);
	pci_dev_destroy(&vp->pci);	/* removes the ioeventfds too */
	for (uint16_t i = 0; i < vd->num_queues; i++) {
		if (vp->q[i].efd >= 0) {
			evloop_del(vp->loop, vp->q[i].efd);
			close(vp->q[i].efd);
		}
	}
	virtio_dev_cleanup(vd);
	if (vd->ops->destroy)
		vd->ops->destroy(vd);
	free(vp->q);
	free(vp);
}
