// SPDX-License-Identifier: MIT
/*
 * Unit tests for the modern virtio-pci transport and the entropy device,
 * without KVM: registers through the MMIO bus, notifications trapped and
 * forwarded to the event loop, interrupts observed on the INTx line
 * bookkeeping and the MSI-X eventfds.  Covers the status state machine,
 * feature negotiation and guest-input.md rules 10-12 and 17-18.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86/platform.h"
#include "core/bus.h"
#include "core/evloop.h"
#include "lib/clock.h"
#include "lib/util.h"
#include "pci/pci.h"
#include "virtio/rng.h"
#include "unit/metrics_line.h"
#include "unit/vp_fixture.h"
#include "virtio/virtio_pci.h"

#define RAM_SIZE	(1u << 20)
#define DESC		0x1000ull
#define AVAIL		0x2000ull
#define USED		0x3000ull
#define BUF		0x10000ull

struct fx {
	struct vp_fixture t;	/* buses, loop, bus 0, the device */
	uint8_t *ram;
	struct virtio_dev *vd;
	uint16_t avail_idx;
	struct metrics reg;	/* the rng's "entropy" group */
};

/* A fixture with the rng limited by lim (NULL: none, and then no loop). */
static struct fx *fx_new(const struct rate_limiter_config *lim)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_rng *rng;
	int ret;

	f->ram = calloc(1, RAM_SIZE);
	assert_int_equal(vpf_init(&f->t, f->ram, RAM_SIZE), 0);
	ret = virtio_rng_new(lim, lim ? &f->t.loop : NULL, &f->reg, &rng);
	assert_int_equal(ret, 0);
	assert_int_equal(vpf_plug(&f->t, &rng->vd), 0);
	f->vd = &rng->vd;
	return f;
}

static int setup(void **state)
{
	struct fx *f = fx_new(NULL);

	assert_int_equal(f->t.bar, PLAT_PCI_MMIO_START);
	*state = f;
	return 0;
}

/* A rate limit of 128 bytes per 100 ms. */
static int setup_limited(void **state)
{
	static const struct rate_limiter_config lim = {
		.bytes = { .size = 128, .refill_ms = 100 },
	};

	*state = fx_new(&lim);
	return 0;
}

/* 2 requests per 100 ms, whatever their size. */
static int setup_ops_limited(void **state)
{
	static const struct rate_limiter_config lim = {
		.ops = { .size = 2, .refill_ms = 100 },
	};

	*state = fx_new(&lim);
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vpf_fini(&f->t);
	free(f->ram);
	free(f);
	return 0;
}

/* ---- access helpers ------------------------------------------------------ */

static uint64_t rd(struct fx *f, uint64_t off, uint32_t len)
{
	return vpf_rd(&f->t, off, len);
}

static void wr(struct fx *f, uint64_t off, uint32_t len, uint64_t v)
{
	vpf_wr(&f->t, off, len, v);
}

static uint32_t cfg_rd(struct fx *f, uint32_t reg, uint32_t len)
{
	return pci_cfg_read(&f->t.h, f->t.vp->pci.slot, 0, reg, len);
}

static void cfg_wr(struct fx *f, uint32_t reg, uint32_t len, uint32_t v)
{
	pci_cfg_write(&f->t.h, f->t.vp->pci.slot, 0, reg, len, v);
}

static uint8_t status(struct fx *f)
{
	return vpf_status(&f->t);
}

static void set_status(struct fx *f, uint8_t s)
{
	vpf_set_status(&f->t, s);
}

static bool needs_reset(struct fx *f)
{
	return status(f) & VIRTIO_STATUS_NEEDS_RESET;
}

#define F_V1	VIRTIO_BIT(VIRTIO_F_VERSION_1)

static bool negotiate(struct fx *f, uint64_t features)
{
	return vpf_negotiate(&f->t, features) & VIRTIO_STATUS_FEATURES_OK;
}

static void queue_regs(struct fx *f, uint16_t size, uint64_t desc,
		       uint64_t avail, uint64_t used)
{
	wr(f, VPC_Q_SELECT, 2, 0);
	wr(f, VPC_Q_SIZE, 2, size);
	wr(f, VPC_Q_DESC, 4, (uint32_t)desc);
	wr(f, VPC_Q_DESC + 4, 4, (uint32_t)(desc >> 32));
	wr(f, VPC_Q_DRIVER, 8, avail);		/* one 64-bit write works too */
	wr(f, VPC_Q_DEVICE, 4, (uint32_t)used);
	wr(f, VPC_Q_DEVICE + 4, 4, (uint32_t)(used >> 32));
}

/* Running device with queue 0 of 16 entries. */
static void start(struct fx *f)
{
	memset(f->ram, 0, 0x4000);
	f->avail_idx = 0;
	assert_true(negotiate(f, F_V1));
	queue_regs(f, 16, DESC, AVAIL, USED);
	wr(f, VPC_Q_ENABLE, 2, 1);
	assert_int_equal(rd(f, VPC_Q_ENABLE, 2), 1);
	set_status(f, VPF_S_OK);
	assert_int_equal(status(f), VPF_S_OK);
}

/* One chain of one buffer, made available and notified. */
static void request(struct fx *f, uint64_t addr, uint32_t len, uint16_t flags)
{
	struct virtq_desc *d = (struct virtq_desc *)(f->ram + DESC);
	struct virtq_avail *a = (struct virtq_avail *)(f->ram + AVAIL);

	d[0] = (struct virtq_desc){ addr, len, flags, 0 };
	a->ring[f->avail_idx++ % 16] = 0;
	a->idx = f->avail_idx;
	wr(f, VP_NOTIFY_OFF, 2, 0);		/* trapped: no KVM here */
	while (evloop_run_once(&f->t.loop, 0) > 0)
		;
}

static struct virtq_used *used(struct fx *f)
{
	return (struct virtq_used *)(f->ram + USED);
}

static bool intx(struct fx *f)
{
	return f->t.h.gsi_level[f->t.vp->pci.gsi - PLAT_PCI_GSI_BASE];
}

/* ---- identity and capabilities ----------------------------------------- */

static void pci_identity(void **state)
{
	struct fx *f = *state;
	bool seen[6] = { false };
	uint8_t cap;

	assert_int_equal(cfg_rd(f, PCI_VENDOR_ID, 4), 0x10441af4);
	assert_int_equal(cfg_rd(f, PCI_REVISION_ID, 1), 1);
	assert_int_equal(cfg_rd(f, PCI_CLASS_PROG, 4) & 0xffffff, 0x00ff00);
	assert_int_equal(cfg_rd(f, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(cfg_rd(f, PCI_SUBSYSTEM_ID, 2), VIRTIO_ID_ENTROPY);
	assert_int_equal(cfg_rd(f, PCI_INTERRUPT_PIN, 1), 1);
	for (cap = (uint8_t)cfg_rd(f, PCI_CAPABILITY_LIST, 1); cap;
	     cap = (uint8_t)cfg_rd(f, cap + 1u, 1)) {
		uint8_t id = (uint8_t)cfg_rd(f, cap, 1), type;

		if (id == PCI_CAP_ID_MSIX) {
			assert_int_equal(cfg_rd(f, cap + 2u, 2) & 0x7ff, 1);
			assert_int_equal(cfg_rd(f, cap + 4u, 4), VP_MSIX_TABLE_OFF);
			continue;
		}
		assert_int_equal(id, PCI_CAP_ID_VNDR);
		type = (uint8_t)cfg_rd(f, cap + 3u, 1);
		assert_true(type >= 1 && type <= 5);
		seen[type] = true;
		assert_int_equal(cfg_rd(f, cap + 4u, 1), 0);	/* BAR 0 */
		if (type == VIRTIO_PCI_CAP_COMMON_CFG)
			assert_int_equal(cfg_rd(f, cap + 12u, 4), VP_COMMON_LEN);
		if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
			assert_int_equal(cfg_rd(f, cap + 8u, 4), VP_NOTIFY_OFF);
			assert_int_equal(cfg_rd(f, cap + 16u, 4), 4);
		}
	}
	assert_true(seen[1] && seen[2] && seen[3] && seen[5]);
	assert_false(seen[4]);		/* the entropy device has no config */
	assert_int_equal(rd(f, VPC_NUM_QUEUES, 2), 1);
}

/* ---- features and status ---------------------------------------------- */

static void features(void **state)
{
	struct fx *f = *state;

	wr(f, VPC_DFSELECT, 4, 0);
	assert_int_equal(rd(f, VPC_DF, 4),
			 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
				 VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	wr(f, VPC_DFSELECT, 4, 1);
	assert_int_equal(rd(f, VPC_DF, 4), 1);		/* VERSION_1 */
	wr(f, VPC_DFSELECT, 4, 2);
	assert_int_equal(rd(f, VPC_DF, 4), 0);

	/* A legacy driver (no VERSION_1) is refused, not failed. */
	assert_false(negotiate(f, VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)));
	assert_false(needs_reset(f));
	/* So are features never offered. */
	assert_false(negotiate(f, F_V1 | VIRTIO_BIT(5)));
	assert_false(negotiate(f, F_V1 | VIRTIO_BIT(40)));
	assert_true(negotiate(f, F_V1 | VIRTIO_BIT(VIRTIO_F_EVENT_IDX)));
	wr(f, VPC_GFSELECT, 4, 1);
	assert_int_equal(rd(f, VPC_GF, 4), 1);
	wr(f, VPC_GFSELECT, 4, 0);
	assert_int_equal(rd(f, VPC_GF, 4), VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
}

static void features_outside_phase(void **state)
{
	struct fx *f = *state;

	/* Before DRIVER. */
	set_status(f, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(f, VPC_GF, 4, 0);
	assert_true(needs_reset(f));
	/* After FEATURES_OK. */
	assert_true(negotiate(f, F_V1));
	assert_false(needs_reset(f));
	wr(f, VPC_GFSELECT, 4, 1);
	wr(f, VPC_GF, 4, 1);
	assert_true(needs_reset(f));
	assert_int_equal(counter_get(&f->vd->violations), 2);
}

static void status_rules(void **state)
{
	struct fx *f = *state;

	/* Bits cleared without a reset. */
	start(f);
	set_status(f, VPF_S_AD);
	assert_true(needs_reset(f));
	assert_int_equal(status(f), VPF_S_OK | VIRTIO_STATUS_NEEDS_RESET);
	/* Once broken, only FAILED sticks; the driver cannot clear 0x40. */
	set_status(f, VPF_S_OK);
	assert_int_equal(status(f), VPF_S_OK | VIRTIO_STATUS_NEEDS_RESET);
	set_status(f, VPF_S_OK | VIRTIO_STATUS_FAILED);
	assert_true(status(f) & VIRTIO_STATUS_FAILED);
	/* Reset clears everything. */
	set_status(f, 0);
	assert_int_equal(status(f), 0);
	assert_int_equal(rd(f, VPC_Q_ENABLE, 2), 0);
	assert_int_equal(rd(f, VPC_Q_SIZE, 2), RNG_QUEUE_SIZE);
	assert_int_equal(rd(f, VPC_Q_DESC, 8), 0);
	/* DRIVER_OK without FEATURES_OK. */
	set_status(f, VPF_S_AD);
	set_status(f, VPF_S_AD | VIRTIO_STATUS_DRIVER_OK);
	assert_true(needs_reset(f));
	/* The driver cannot set NEEDS_RESET itself. */
	set_status(f, 0);
	set_status(f, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE);
}

/* ---- queue registers ----------------------------------------------------- */

static void queue_select_out_of_range(void **state)
{
	struct fx *f = *state;

	assert_true(negotiate(f, F_V1));
	wr(f, VPC_Q_SELECT, 2, 1);
	assert_int_equal(rd(f, VPC_Q_SELECT, 2), 1);
	wr(f, VPC_Q_SIZE, 2, 8);
	wr(f, VPC_Q_MSIX, 2, 0);
	wr(f, VPC_Q_DESC, 8, DESC);
	wr(f, VPC_Q_ENABLE, 2, 1);
	assert_int_equal(rd(f, VPC_Q_SIZE, 2), 0);
	assert_int_equal(rd(f, VPC_Q_MSIX, 2), 0);
	assert_int_equal(rd(f, VPC_Q_ENABLE, 2), 0);
	assert_int_equal(rd(f, VPC_Q_NOTIFY_OFF, 2), 0);
	assert_int_equal(rd(f, VPC_Q_DESC, 8), 0);
	wr(f, VPC_Q_SELECT, 2, 0xffff);
	wr(f, VPC_Q_MSIX, 2, 1);
	assert_int_equal(rd(f, VPC_Q_MSIX, 2), 0);
	assert_false(needs_reset(f));
	/* Queue 0 untouched. */
	wr(f, VPC_Q_SELECT, 2, 0);
	assert_int_equal(rd(f, VPC_Q_SIZE, 2), RNG_QUEUE_SIZE);
	assert_int_equal(rd(f, VPC_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(rd(f, VPC_Q_DESC, 8), 0);
}

static void msix_vector_values(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rd(f, VPC_MSIX_CONFIG, 2), VIRTIO_MSI_NO_VECTOR);
	wr(f, VPC_MSIX_CONFIG, 2, 1);
	assert_int_equal(rd(f, VPC_MSIX_CONFIG, 2), 1);
	wr(f, VPC_MSIX_CONFIG, 2, 2);		/* only 2 vectors: 0 and 1 */
	assert_int_equal(rd(f, VPC_MSIX_CONFIG, 2), VIRTIO_MSI_NO_VECTOR);
	wr(f, VPC_Q_SELECT, 2, 0);
	wr(f, VPC_Q_MSIX, 2, 0);
	assert_int_equal(rd(f, VPC_Q_MSIX, 2), 0);
	wr(f, VPC_Q_MSIX, 2, 0x7fff);
	assert_int_equal(rd(f, VPC_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	wr(f, VPC_Q_MSIX, 2, 1);
	wr(f, VPC_MSIX_CONFIG, 2, 0);
	/* A device reset forgets them. */
	set_status(f, 0);
	assert_int_equal(rd(f, VPC_MSIX_CONFIG, 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(rd(f, VPC_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	assert_false(needs_reset(f));
}

static void queue_validation(void **state)
{
	struct fx *f = *state;
	static const struct {
		uint16_t size;
		uint64_t desc, avail, used;
	} bad[] = {
		{ 100, DESC, AVAIL, USED },		/* not a power of two */
		{ 0, DESC, AVAIL, USED },
		{ 512, DESC, AVAIL, USED },		/* above the maximum */
		{ 16, DESC + 4, AVAIL, USED },		/* misaligned */
		{ 16, RAM_SIZE, AVAIL, USED },		/* outside RAM */
		{ 16, DESC, AVAIL, PLAT_PCI_MMIO_START },	/* the BAR */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(negotiate(f, F_V1));
		queue_regs(f, bad[i].size, bad[i].desc, bad[i].avail, bad[i].used);
		wr(f, VPC_Q_ENABLE, 2, 1);
		if (!needs_reset(f))
			fail_msg("case %zu accepted", i);
		assert_int_equal(rd(f, VPC_Q_ENABLE, 2), 0);
	}
	/* Enabling before FEATURES_OK. */
	set_status(f, 0);
	set_status(f, VPF_S_AD);
	queue_regs(f, 16, DESC, AVAIL, USED);
	wr(f, VPC_Q_ENABLE, 2, 1);
	assert_true(needs_reset(f));
	/* Writing 0 to queue_enable is ignored. */
	start(f);
	set_status(f, 0);
	assert_true(negotiate(f, F_V1));
	queue_regs(f, 16, DESC, AVAIL, USED);
	wr(f, VPC_Q_ENABLE, 2, 0);
	assert_int_equal(rd(f, VPC_Q_ENABLE, 2), 0);
	assert_false(needs_reset(f));
}

static void queue_frozen(void **state)
{
	struct fx *f = *state;
	static const uint32_t regs[] = { VPC_Q_SIZE, VPC_Q_DESC, VPC_Q_DRIVER,
					 VPC_Q_DEVICE, VPC_Q_ENABLE };

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		/* After DRIVER_OK (rule 10). */
		start(f);
		wr(f, regs[i], regs[i] >= VPC_Q_DESC ? 4 : 2, 1);
		if (!needs_reset(f))
			fail_msg("register 0x%x accepted after DRIVER_OK", regs[i]);
		/* The validated copy is what the device uses: unchanged. */
		assert_int_equal(f->vd->queues[0].vq.desc_gpa, DESC);
	}
	/* Enabled but before DRIVER_OK. */
	assert_true(negotiate(f, F_V1));
	queue_regs(f, 16, DESC, AVAIL, USED);
	wr(f, VPC_Q_ENABLE, 2, 1);
	wr(f, VPC_Q_SIZE, 2, 8);
	assert_true(needs_reset(f));
	/* queue_msix_vector may change any time. */
	start(f);
	wr(f, VPC_Q_MSIX, 2, 1);
	assert_false(needs_reset(f));
}

/* ---- requests and interrupts ----------------------------------------------- */

static void rng_request_intx(void **state)
{
	struct fx *f = *state;
	uint8_t zero[64] = { 0 };

	start(f);
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 1);
	assert_int_equal(used(f)->ring[0].id, 0);
	assert_int_equal(used(f)->ring[0].len, 64);
	assert_memory_not_equal(f->ram + BUF, zero, 64);
	/* INTx raised until the ISR is read; reading clears both. */
	assert_true(intx(f));
	assert_true(cfg_rd(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	assert_int_equal(rd(f, VP_ISR_OFF, 1), VIRTIO_ISR_QUEUE);
	assert_false(intx(f));
	assert_int_equal(rd(f, VP_ISR_OFF, 1), 0);
	assert_int_equal(counter_get(&f->t.vp->trapped_notifies), 1);
	/* Interrupt disable in the command register keeps the line low. */
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_false(intx(f));
	assert_int_equal(rd(f, VP_ISR_OFF, 1), VIRTIO_ISR_QUEUE);
}

static void rng_request_msix(void **state)
{
	struct fx *f = *state;
	uint8_t cap = f->t.vp->pci.msix.cap;
	uint64_t n = 0;

	start(f);
	cfg_wr(f, cap + 2u, 2, 0x8000);			/* MSI-X on */
	wr(f, VP_MSIX_TABLE_OFF + 16, 4, 0xfee00000u);	/* vector 1 */
	wr(f, VP_MSIX_TABLE_OFF + 24, 4, 0x41);
	wr(f, VP_MSIX_TABLE_OFF + 28, 4, 0);		/* unmask */
	wr(f, VPC_Q_MSIX, 2, 1);
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 1);
	assert_int_equal(read(msix_vector_fd(&f->t.vp->pci, 1), &n, 8), 8);
	assert_int_equal(n, 1);
	assert_false(intx(f));				/* no INTx with MSI-X */
	/* NO_VECTOR: no interrupt at all. */
	wr(f, VPC_Q_MSIX, 2, VIRTIO_MSI_NO_VECTOR);
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 2);
	assert_int_equal(read(msix_vector_fd(&f->t.vp->pci, 1), &n, 8), -1);
	assert_false(intx(f));
}

static void rng_caps_request(void **state)
{
	struct fx *f = *state;

	start(f);
	/* A 512 KiB buffer gets RNG_MAX_REQUEST bytes (rule 17). */
	request(f, BUF, 512u << 10, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->ring[0].len, RNG_MAX_REQUEST);
	assert_false(needs_reset(f));
}

static void rng_readable_buffer(void **state)
{
	struct fx *f = *state;

	start(f);
	rd(f, VP_ISR_OFF, 1);
	request(f, BUF, 64, 0);
	assert_true(needs_reset(f));
	assert_int_equal(used(f)->idx, 0);
	/* After DRIVER_OK the driver hears about it: config interrupt. */
	assert_true(intx(f));
	assert_int_equal(rd(f, VP_ISR_OFF, 1), VIRTIO_ISR_CONFIG);
	/* Broken: further requests are not served... */
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 0);
	/* ...until a reset. */
	start(f);
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 1);
}

static void notify_rules(void **state)
{
	struct fx *f = *state;

	/* A kick before DRIVER_OK is not served (rule 12). */
	assert_true(negotiate(f, F_V1));
	queue_regs(f, 16, DESC, AVAIL, USED);
	wr(f, VPC_Q_ENABLE, 2, 1);
	((struct virtq_avail *)(f->ram + AVAIL))->idx = 1;
	wr(f, VP_NOTIFY_OFF, 2, 0);
	while (evloop_run_once(&f->t.loop, 0) > 0)
		;
	assert_int_equal(counter_get(&f->vd->spurious_notifies), 1);
	assert_false(needs_reset(f));
	/* A queue that does not exist (rule 12). */
	start(f);
	wr(f, VP_NOTIFY_OFF + 4, 2, 1);
	assert_true(needs_reset(f));
	start(f);
	wr(f, VP_NOTIFY_OFF + VP_NOTIFY_MAX - 4, 4, 0);
	assert_true(needs_reset(f));
}

static void odd_accesses(void **state)
{
	struct fx *f = *state;

	start(f);
	/* Wrong widths, read-only fields, unused space: all ignored. */
	wr(f, VPC_STATUS, 4, 0);
	wr(f, VPC_Q_SELECT, 4, 0x12345678);
	wr(f, VPC_NUM_QUEUES, 2, 9);
	wr(f, VPC_CFG_GENERATION, 1, 9);
	wr(f, VPC_Q_NOTIFY_OFF, 2, 9);
	wr(f, VPC_DF, 4, 0);
	wr(f, VPC_Q_DESC + 2, 2, 0);
	wr(f, 0x800, 4, 1);
	wr(f, VP_ISR_OFF, 1, 0xff);
	wr(f, VP_DEVICE_OFF, 4, 1);	/* no device config */
	assert_int_equal(rd(f, VP_DEVICE_OFF, 4), 0);
	assert_int_equal(rd(f, 0x7ff8, 8), 0);
	assert_int_equal(status(f), VPF_S_OK);
	assert_int_equal(rd(f, VPC_NUM_QUEUES, 2), 1);
	/* Unaligned and odd-width reads see the register file. */
	assert_int_equal(rd(f, VPC_NUM_QUEUES, 4),
			 1u | (uint32_t)VPF_S_OK << 16);
	assert_int_equal(rd(f, VPC_Q_DESC + 1, 1), DESC >> 8);
	assert_true(counter_get(&f->t.vp->odd_accesses) >= 8);
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 1);
}

static void pci_cfg_window(void **state)
{
	struct fx *f = *state;
	uint8_t cap = f->t.vp->cfg_cap;

	assert_int_not_equal(cap, 0);
	assert_int_equal(cfg_rd(f, cap + 3u, 1), VIRTIO_PCI_CAP_PCI_CFG);
	/* Read num_queues through config space. */
	cfg_wr(f, cap + 4u, 1, 0);
	cfg_wr(f, cap + 8u, 4, VPC_NUM_QUEUES);
	cfg_wr(f, cap + 12u, 4, 2);
	assert_int_equal(cfg_rd(f, cap + 16u, 4) & 0xffff, 1);
	/* Write the status. */
	cfg_wr(f, cap + 8u, 4, VPC_STATUS);
	cfg_wr(f, cap + 12u, 4, 1);
	cfg_wr(f, cap + 16u, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	/* Bad windows do nothing: length 3, misaligned, other BARs, far. */
	cfg_wr(f, cap + 12u, 4, 3);
	cfg_wr(f, cap + 16u, 1, 0);
	cfg_wr(f, cap + 12u, 4, 2);
	cfg_wr(f, cap + 8u, 4, VPC_STATUS + 1);
	cfg_wr(f, cap + 16u, 2, 0);
	cfg_wr(f, cap + 8u, 4, VPC_STATUS);
	cfg_wr(f, cap + 12u, 4, 1);
	cfg_wr(f, cap + 4u, 1, 3);
	cfg_wr(f, cap + 16u, 1, 0);
	cfg_wr(f, cap + 4u, 1, 0);
	cfg_wr(f, cap + 8u, 4, 0xfffffff0u);
	cfg_wr(f, cap + 16u, 1, 0);
	assert_int_equal(status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	/* A notify through the window is a trapped notify. */
	start(f);
	cfg_wr(f, cap + 8u, 4, VP_NOTIFY_OFF + 8);
	cfg_wr(f, cap + 12u, 4, 2);
	cfg_wr(f, cap + 16u, 2, 2);
	assert_true(needs_reset(f));
}

static void bar_move(void **state)
{
	struct fx *f = *state;
	uint64_t old = f->t.bar;

	cfg_wr(f, PCI_COMMAND, 2, 0);
	cfg_wr(f, PCI_BAR0, 4, 0xd0000000u);
	cfg_wr(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	f->t.bar = 0xd0000000u;
	assert_null(bus_find(&f->t.mmio, old));
	start(f);
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 1);
}

static void reset_mid_flight(void **state)
{
	struct fx *f = *state;
	struct virtq_avail *a = (struct virtq_avail *)(f->ram + AVAIL);

	start(f);
	/* Buffers offered, kicked, then a reset before the loop runs. */
	((struct virtq_desc *)(f->ram + DESC))[0] =
		(struct virtq_desc){ BUF, 64, VIRTQ_DESC_F_WRITE, 0 };
	a->ring[0] = 0;
	a->idx = 1;
	wr(f, VP_NOTIFY_OFF, 2, 0);
	set_status(f, 0);
	while (evloop_run_once(&f->t.loop, 0) > 0)
		;
	assert_int_equal(used(f)->idx, 0);
	assert_false(intx(f));
	start(f);
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 1);
}

static void buffers_before_driver_ok(void **state)
{
	struct fx *f = *state;
	struct virtq_avail *a = (struct virtq_avail *)(f->ram + AVAIL);

	/* Offered during set-up, served once DRIVER_OK is written. */
	memset(f->ram, 0, 0x4000);
	assert_true(negotiate(f, F_V1));
	queue_regs(f, 16, DESC, AVAIL, USED);
	wr(f, VPC_Q_ENABLE, 2, 1);
	((struct virtq_desc *)(f->ram + DESC))[0] =
		(struct virtq_desc){ BUF, 64, VIRTQ_DESC_F_WRITE, 0 };
	a->ring[0] = 0;
	a->idx = 1;
	set_status(f, VPF_S_OK);
	while (evloop_run_once(&f->t.loop, 0) > 0)
		;
	assert_int_equal(used(f)->idx, 1);
}

/*
 * A request the limiter does not allow yet waits in the ring, untouched,
 * and the loop's timer serves it once the bucket has refilled; a reset
 * meanwhile drops it and the timer then finds nothing to do.
 */
static void rng_rate_limited(void **state)
{
	struct fx *f = *state;
	struct virtio_rng *rng = container_of(f->vd, struct virtio_rng, vd);
	uint64_t t0, waited;

	start(f);
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 2);	/* the full bucket's 128 bytes */
	t0 = clock_mono_ns();
	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 2);	/* waits: not dropped, not used */
	assert_int_equal(counter_get(&rng->limit.throttled), 1);
	/* A notification meanwhile changes nothing. */
	wr(f, VP_NOTIFY_OFF, 2, 0);
	while (evloop_run_once(&f->t.loop, 0) > 0)
		;
	assert_int_equal(used(f)->idx, 2);
	while (used(f)->idx < 3 && clock_mono_ns() - t0 < 2000000000ULL)
		evloop_run_once(&f->t.loop, 100);
	waited = clock_mono_ns() - t0;
	assert_int_equal(used(f)->idx, 3);
	assert_int_equal(used(f)->ring[2].len, 64);
	/* 64 bytes at 1280 bytes/s: 50 ms (less the time since the take). */
	assert_true(waited >= 40000000ULL);
	assert_int_equal(metrics_get(&rng->metrics, RNG_M_BYTES), 192);
	assert_int_equal(metrics_flush_counter(&f->reg, "entropy",
					       "entropy_bytes"),
			 192);

	request(f, BUF, 64, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 3);
	set_status(f, 0);
	t0 = clock_mono_ns();
	while (clock_mono_ns() - t0 < 150000000ULL)
		evloop_run_once(&f->t.loop, 50);
	assert_int_equal(used(f)->idx, 3);
	assert_int_equal(metrics_get(&rng->metrics, RNG_M_BYTES), 192);
}

/*
 * A request is one op, however many bytes: the third of three 64 KiB
 * requests waits for the ops bucket alone, and the timer, not a
 * notification, serves it.
 */
static void rng_ops_limited(void **state)
{
	struct fx *f = *state;
	struct virtio_rng *rng = container_of(f->vd, struct virtio_rng, vd);
	uint64_t t0, kicks;

	start(f);
	request(f, BUF, RNG_MAX_REQUEST, VIRTQ_DESC_F_WRITE);
	request(f, BUF, RNG_MAX_REQUEST, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 2);
	t0 = clock_mono_ns();
	request(f, BUF, RNG_MAX_REQUEST, VIRTQ_DESC_F_WRITE);
	assert_int_equal(used(f)->idx, 2);
	assert_true(rng->limit.waiting);
	assert_int_equal(counter_get(&rng->limit.throttled), 1);
	assert_int_equal(evloop_run_once(&f->t.loop, 0), 0);	/* no spin */
	kicks = counter_get(&f->t.vp->trapped_notifies);
	while (used(f)->idx < 3 && clock_mono_ns() - t0 < 2000000000ULL)
		evloop_run_once(&f->t.loop, 100);
	assert_int_equal(used(f)->idx, 3);
	assert_int_equal(used(f)->ring[2].len, RNG_MAX_REQUEST);
	/* One op at 20 per second: 50 ms (less the time since the take). */
	assert_true(clock_mono_ns() - t0 >= 40000000ULL);
	assert_int_equal(counter_get(&f->t.vp->trapped_notifies), kicks);
	assert_false(rng->limit.waiting);
	assert_int_equal(metrics_get(&rng->metrics, RNG_M_REQUESTS), 3);
	/* The flush line, in Firecracker's names. */
	assert_int_equal(metrics_flush_counter(&f->reg, "entropy",
					       "entropy_rate_limiter_throttled"),
			 1);
	assert_int_equal(metrics_flush_counter(&f->reg, "entropy",
					       "entropy_rate_limiter_throttled"),
			 0);	/* a delta: nothing since */
}

/* A limit no timer could serve is refused, never silently dropped. */
static void rng_limit_needs_loop(void **state)
{
	static const struct rate_limiter_config lim = { .ops = { 1, 0, 100 } };
	static const struct rate_limiter_config off;
	struct virtio_rng *rng = NULL;

	assert_int_equal(virtio_rng_new(&lim, NULL, NULL, &rng), -EINVAL);
	assert_null(rng);
	/* All off is no limit: no loop needed. */
	assert_int_equal(virtio_rng_new(&off, NULL, NULL, &rng), 0);
	assert_false(rng->limit.on);
	rng->vd.ops->destroy(&rng->vd);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(pci_identity),
		T(features),
		T(features_outside_phase),
		T(status_rules),
		T(queue_select_out_of_range),
		T(msix_vector_values),
		T(queue_validation),
		T(queue_frozen),
		T(rng_request_intx),
		T(rng_request_msix),
		T(rng_caps_request),
		T(rng_readable_buffer),
		T(notify_rules),
		T(odd_accesses),
		T(pci_cfg_window),
		T(bar_move),
		T(reset_mid_flight),
		T(buffers_before_driver_ok),
		cmocka_unit_test_setup_teardown(rng_rate_limited, setup_limited,
						teardown),
		cmocka_unit_test_setup_teardown(rng_ops_limited,
						setup_ops_limited, teardown),
		cmocka_unit_test(rng_limit_needs_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
