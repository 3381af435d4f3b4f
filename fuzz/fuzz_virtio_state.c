// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-pci snapshot restore (src/virtio/
 * virtio_pci_state.c, virtio_state.c, src/pci's pci_dev and msix parts,
 * the devices' restore ops): bytes as the payload of virtio_pci_restore
 * on a fresh device of the fixture, without KVM.
 *
 * Byte 0: bit 0 picks the device (virtio-rng or virtio-balloon), bit 1
 * the mode.  Mode 0: the rest is the payload as is.  Mode 1: the target
 * first drives a device of that kind to DRIVER_OK (queues, MSI-X, a
 * served request) and saves it; the rest is a list of 3-byte edits (le16
 * offset, xor) applied to that genuine payload, whose first edit's
 * offset also cuts it when byte 0 bit 2 is set.  Either way a refused
 * payload must leave the fresh device as it was, and an accepted one
 * must give a device that serves its rings without a crash or a
 * sanitizer report.  See fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../tests/unit/vp_fixture.h"
#include "lib/log.h"
#include "lib/snapfile.h"
#include "virtio/balloon.h"
#include "virtio/rng.h"

#define RAM_SIZE	0x40000
#define QSZ		16
#define RING(q)		(0x1000ull + 0x3000ull * (q))
#define BUF		0x20000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *ram_a, *ram_b;

static struct virtio_dev *make(struct vp_fixture *t, int balloon)
{
	struct balloon_config cfg = { .enabled = true, .target_mib = 1,
				      .stats_interval_s = 1 };
	struct virtio_dev *vd;

	if (balloon) {
		struct virtio_balloon *b = virtio_balloon_new(&cfg, &t->loop,
							      NULL);

		vd = b ? &b->vd : NULL;
	} else {
		struct virtio_rng *r;

		vd = virtio_rng_new(NULL, NULL, NULL, &r) ? NULL : &r->vd;
	}
	if (!vd || vpf_plug(t, vd))
		abort();
	return vd;
}

/* A driver's set-up and one request on queue 0, then the saved state. */
static void genuine(int balloon, struct snap_enc *enc)
{
	struct vp_fixture t;
	struct virtio_dev *vd;
	struct vmon_err e = { 0 };
	struct virtq_desc *d = (struct virtq_desc *)(ram_a + RING(0));
	struct virtq_avail *a = (struct virtq_avail *)(ram_a + RING(0) + 0x1000);

	memset(ram_a, 0, RAM_SIZE);
	if (vpf_init(&t, ram_a, RAM_SIZE))
		abort();
	vd = make(&t, balloon);
	pci_cfg_write(&t.h, t.vp->pci.slot, 0, t.vp->pci.msix.cap + 2u, 2,
		      MSIX_CTRL_ENABLE);
	for (uint16_t i = 0; i < t.vp->nr_vectors; i++) {
		vpf_wr(&t, VP_MSIX_TABLE_OFF + 16ull * i, 4, MSI_ADDR_BASE);
		vpf_wr(&t, VP_MSIX_TABLE_OFF + 16ull * i + 12, 4, 0);
	}
	vpf_negotiate(&t, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			  VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	for (uint16_t q = 0; q < vd->num_queues; q++) {
		vpf_wr(&t, VPC_Q_SELECT, 2, q);
		vpf_wr(&t, VPC_Q_MSIX, 2, q + 1u);
		vpf_queue(&t, q, QSZ, RING(q), RING(q) + 0x1000,
			  RING(q) + 0x2000);
	}
	vpf_driver_ok(&t);
	/* rng: 16 bytes to fill; balloon: one PFN to inflate (outside RAM). */
	d[0] = (struct virtq_desc){ BUF, balloon ? 4 : 16,
				    balloon ? 0 : VIRTQ_DESC_F_WRITE, 0 };
	memset(ram_a + BUF, 0x7f, 4);
	a->ring[0] = 0;
	a->idx = 1;
	vpf_wr(&t, VP_NOTIFY_OFF, 2, 0);
	vpf_run(&t, 0);
	a->ring[1] = 0;		/* offered again, not yet seen */
	a->idx = 2;
	snap_enc_init(enc);
	if (virtio_pci_save(t.vp, enc, &e))
		abort();
	vpf_fini(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_fixture t;
	struct snap_enc enc = { 0 };
	struct vmon_err e = { 0 };
	struct snap_dec d = { .file = "fuzz", .section = "virtio.fuzz0",
			      .version = 1, .e = &e };
	uint8_t *payload = NULL;
	size_t len;
	int balloon;

	if (!ram_a) {
		ram_a = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ram_b = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ram_a == MAP_FAILED || ram_b == MAP_FAILED)
			abort();
		log_set_level(LOG_OFF);
	}
	if (size < 1)
		return 0;
	balloon = data[0] & 1;
	if (data[0] & 2) {
		genuine(balloon, &enc);
		memcpy(ram_b, ram_a, RAM_SIZE);
		payload = enc.buf;
		len = enc.len;
		for (size_t at = 1; at + 3 <= size; at += 3) {
			size_t off = (size_t)(data[at] | data[at + 1] << 8);

			if (at == 1 && (data[0] & 4) && off < len)
				len = off;
			if (off < len)
				payload[off] ^= data[at + 2];
		}
	} else {
		memset(ram_b, 0, RAM_SIZE);
		payload = (uint8_t *)data + 1;
		len = size - 1;
	}
	if (vpf_init(&t, ram_b, RAM_SIZE))
		abort();
	make(&t, balloon);
	d.p = payload;
	d.len = len;
	if (virtio_pci_restore(t.vp, &d, &e) == 0) {
		/* Use what was restored: kicks, register reads, the ISR. */
		vpf_run(&t, 0);
		for (uint16_t q = 0; q < t.vp->vd->num_queues; q++)
			vpf_wr(&t, VP_NOTIFY_OFF + VP_NOTIFY_MULT * q, 2, q);
		vpf_run(&t, 0);
		for (uint32_t off = 0; off < VP_COMMON_LEN; off += 2)
			vpf_rd(&t, off, 2);
		vpf_rd(&t, VP_ISR_OFF, 1);
	} else if (t.vp->vd->status || t.vp->isr) {
		abort();	/* refused, yet the device changed */
	}
	vpf_fini(&t);
	snap_enc_free(&enc);
	return 0;
}
