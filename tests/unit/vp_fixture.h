/* SPDX-License-Identifier: MIT */
/*
 * A virtio device on the modern PCI transport with no KVM, as the unit
 * tests and the fuzz targets drive it: guest RAM the caller provides,
 * the two buses, an event loop, PCI bus 0, and the device's BAR 0 read
 * and written as a vCPU would.  Header-only and free of cmocka, so a
 * fuzz target includes it too; functions return 0 or -errno.
 */
#ifndef VMON_TESTS_UNIT_VP_FIXTURE_H
#define VMON_TESTS_UNIT_VP_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bus.h"
#include "core/evloop.h"
#include "core/guest_mem.h"
#include "pci/pci.h"
#include "virtio/virtio_pci.h"

struct vp_fixture {
	struct bus pio, mmio;
	struct evloop loop;
	struct pci_host h;
	struct guest_mem gm;
	struct virtio_pci *vp;	/* NULL until vpf_plug */
	uint64_t bar;		/* BAR 0: where vpf_plug placed it, or moved */
};

/* RAM at gpa 0 (ram, size: the caller's), buses, loop, bus 0. */
static inline int vpf_init(struct vp_fixture *t, void *ram, uint64_t size)
{
	int ret;

	*t = (struct vp_fixture){ 0 };
	if ((ret = gm_init_buffer(&t->gm, ram, size)) ||
	    (ret = bus_init(&t->pio, "pio")) ||
	    (ret = bus_init(&t->mmio, "mmio")) ||
	    (ret = evloop_init(&t->loop)) ||
	    (ret = pci_host_init(&t->h, -1, &t->pio, &t->mmio, NULL)))
		return ret;
	return 0;
}

/* Put vd on bus 0; on success the transport owns it. */
static inline int vpf_plug(struct vp_fixture *t, struct virtio_dev *vd)
{
	int ret = virtio_pci_create(&t->h, vd, &t->gm, &t->loop, &t->vp);

	if (!ret)
		t->bar = t->vp->pci.bar[0].mapped;
	return ret;
}

/* Destroy the device (if plugged), then what vpf_init made. */
static inline void vpf_fini(struct vp_fixture *t)
{
	if (t->vp)
		virtio_pci_destroy(t->vp);
	t->vp = NULL;
	pci_host_destroy(&t->h);
	evloop_destroy(&t->loop);
	bus_destroy(&t->pio);
	bus_destroy(&t->mmio);
}

/* len bytes (1 to 8) at off in BAR 0. */
static inline uint64_t vpf_rd(struct vp_fixture *t, uint64_t off, uint32_t len)
{
	uint64_t v = 0;

	bus_dispatch(&t->mmio, t->bar + off, (uint8_t *)&v, len, false, 0);
	return v;
}

static inline void vpf_wr(struct vp_fixture *t, uint64_t off, uint32_t len,
			  uint64_t v)
{
	bus_dispatch(&t->mmio, t->bar + off, (uint8_t *)&v, len, true, 0);
}

/* device_status values a driver writes on its way to DRIVER_OK (3.1.1). */
#define VPF_S_AD	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)
#define VPF_S_FOK	(VPF_S_AD | VIRTIO_STATUS_FEATURES_OK)
#define VPF_S_OK	(VPF_S_FOK | VIRTIO_STATUS_DRIVER_OK)

static inline uint8_t vpf_status(struct vp_fixture *t)
{
	return (uint8_t)vpf_rd(t, VPC_STATUS, 1);
}

static inline void vpf_set_status(struct vp_fixture *t, uint8_t s)
{
	vpf_wr(t, VPC_STATUS, 1, s);
}

/* The 64 feature bits the device offers (device_feature, both halves). */
static inline uint64_t vpf_offered(struct vp_fixture *t)
{
	uint64_t lo;

	vpf_wr(t, VPC_DFSELECT, 4, 0);
	lo = vpf_rd(t, VPC_DF, 4);
	vpf_wr(t, VPC_DFSELECT, 4, 1);
	return lo | vpf_rd(t, VPC_DF, 4) << 32;
}

/*
 * A driver's first steps (3.1.1, 1 to 5): reset, ACKNOWLEDGE, DRIVER,
 * accept `features` (both halves of driver_feature), FEATURES_OK.
 * Returns device_status read back: VPF_S_FOK if the device took them.
 */
static inline uint8_t vpf_negotiate(struct vp_fixture *t, uint64_t features)
{
	vpf_set_status(t, 0);
	vpf_set_status(t, VIRTIO_STATUS_ACKNOWLEDGE);
	vpf_set_status(t, VPF_S_AD);
	vpf_wr(t, VPC_GFSELECT, 4, 0);
	vpf_wr(t, VPC_GF, 4, (uint32_t)features);
	vpf_wr(t, VPC_GFSELECT, 4, 1);
	vpf_wr(t, VPC_GF, 4, (uint32_t)(features >> 32));
	vpf_set_status(t, VPF_S_FOK);
	return vpf_status(t);
}

/* The last step (3.1.1, 8), queues set up: device_status read back. */
static inline uint8_t vpf_driver_ok(struct vp_fixture *t)
{
	vpf_set_status(t, VPF_S_OK);
	return vpf_status(t);
}

/* Run the loop until a turn finds nothing to do (timeout_ms per turn). */
static inline void vpf_run(struct vp_fixture *t, int timeout_ms)
{
	while (evloop_run_once(&t->loop, timeout_ms) > 0)
		;
}

/* The driver's set-up of queue q (4.1.4.3): size, ring addresses, enable. */
static inline void vpf_queue(struct vp_fixture *t, uint16_t q, uint16_t size,
			     uint64_t desc, uint64_t driver, uint64_t device)
{
	vpf_wr(t, VPC_Q_SELECT, 2, q);
	vpf_wr(t, VPC_Q_SIZE, 2, size);
	vpf_wr(t, VPC_Q_DESC, 8, desc);
	vpf_wr(t, VPC_Q_DRIVER, 8, driver);
	vpf_wr(t, VPC_Q_DEVICE, 8, device);
	vpf_wr(t, VPC_Q_ENABLE, 2, 1);
}

#endif
