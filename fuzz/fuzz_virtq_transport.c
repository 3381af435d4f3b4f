// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the virtio-pci transport, the device core and the
 * entropy device together (src/virtio, src/pci): a script of guest
 * actions against a fresh virtio-rng on PCI bus 0, without KVM.
 *
 * The input is a list of 12-byte operations: kind, 16-bit offset, width,
 * 64-bit value.  Kinds: BAR0 read/write, config-space read/write, a guest
 * RAM store (8 bytes, to build rings and descriptors), one turn of the
 * event loop (where notifications are served), and a shortcut that does
 * a correct device set-up with a queue at fixed addresses so the fuzzer
 * reaches the ring code quickly.  vmon must neither crash nor trip a
 * sanitizer, whatever the order.  See fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/unit/vp_fixture.h"
#include "lib/log.h"
#include "virtio/rng.h"

#define RAM_SIZE	0x10000
#define DESC		0x1000
#define AVAIL		0x2000
#define USED		0x3000
#define OP_LEN		12

enum { OP_BAR_WRITE, OP_BAR_READ, OP_CFG_WRITE, OP_CFG_READ, OP_RAM,
       OP_LOOP, OP_SETUP, OP_KINDS };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *ram;

static void bar(struct bus *mmio, uint64_t base, uint64_t off, uint32_t len,
		bool is_write, uint64_t *v)
{
	bus_dispatch(mmio, base + off, (uint8_t *)v, len, is_write, 0);
}

/* A driver doing everything right, with fuzzed features and size. */
static void good_setup(struct vp_fixture *t, uint64_t val)
{
	vpf_negotiate(t, (val & (3u << 28)) | VIRTIO_BIT(VIRTIO_F_VERSION_1));
	vpf_wr(t, VPC_Q_SELECT, 2, 0);
	vpf_wr(t, VPC_Q_SIZE, 2, 1u << (val % 9));
	vpf_wr(t, VPC_Q_DESC, 8, DESC);
	vpf_wr(t, VPC_Q_DRIVER, 8, AVAIL);
	vpf_wr(t, VPC_Q_DEVICE, 8, USED);
	vpf_wr(t, VPC_Q_MSIX, 2, (val >> 8) & 1);
	vpf_wr(t, VPC_Q_ENABLE, 2, 1);
	vpf_driver_ok(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_fixture t;
	struct virtio_rng *rng;
	struct virtio_pci *vp;

	if (!ram) {
		ram = malloc(RAM_SIZE);
		if (!ram)
			abort();
		log_set_level(LOG_ERROR);
	}
	memset(ram, 0, RAM_SIZE);
	if (vpf_init(&t, ram, RAM_SIZE))
		abort();
	/* Rate-limited, so that requests also wait and are put back. */
	if (virtio_rng_new(&(struct rate_limiter_config){ .bytes = { 8192, 0,
								     1000 } },
			   &t.loop, NULL, &rng) ||
	    vpf_plug(&t, &rng->vd))
		abort();
	vp = t.vp;

	for (size_t at = 0; at + OP_LEN <= size && at < 512 * OP_LEN;
	     at += OP_LEN) {
		const uint8_t *op = data + at;
		uint16_t off = (uint16_t)(op[1] | op[2] << 8);
		uint32_t len = 1u << (op[3] % 4);
		uint64_t val;

		memcpy(&val, op + 4, 8);
		switch (op[0] % OP_KINDS) {
		case OP_BAR_WRITE:
			bar(&t.mmio, t.bar, off % VP_BAR_SIZE, len, true, &val);
			break;
		case OP_BAR_READ:
			bar(&t.mmio, t.bar, off % VP_BAR_SIZE, len, false, &val);
			break;
		case OP_CFG_WRITE:
			pci_cfg_write(&t.h, vp->pci.slot, 0, off % 4096,
				      len > 4 ? 4 : len, (uint32_t)val);
			/* Follow the BAR if the script moved it. */
			if (vp->pci.bar[0].mapped)
				t.bar = vp->pci.bar[0].mapped;
			break;
		case OP_CFG_READ:
			pci_cfg_read(&t.h, vp->pci.slot, 0, off % 4096,
				     len > 4 ? 4 : len);
			break;
		case OP_RAM:
			memcpy(ram + (off & ~7u) % RAM_SIZE, &val, 8);
			break;
		case OP_LOOP:
			evloop_run_once(&t.loop, 0);
			break;
		case OP_SETUP:
			good_setup(&t, val);
			break;
		}
	}
	vpf_run(&t, 0);
	vpf_fini(&t);
	return 0;
}
