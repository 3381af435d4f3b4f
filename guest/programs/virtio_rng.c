/* SPDX-License-Identifier: MIT */
/*
 * virtio_rng: drive the virtio entropy device (VIRTIO 1.2, 5.4) end to
 * end.  Finds it on PCI bus 0, negotiates VERSION_1, sets up queue 0,
 * asks for `bytes` random bytes in 4 KiB buffers, waits for them by
 * polling the used ring or by interrupt, and checks they are not
 * constant.  Everything but interrupt set-up runs at CPL3.
 *
 * Command line:
 *   bytes=N        bytes to fetch (default 4096, at most 262144)
 *   irq=MODE       poll (default), msix (MSI-X to this CPU's x2APIC),
 *                  intx (INTA through the IOAPIC, level-triggered)
 *   indirect=1     one indirect chain per round (VIRTIO_F_INDIRECT_DESC)
 *   evidx=1        negotiate VIRTIO_F_EVENT_IDX
 *   qsize=N        queue size (default 64)
 *   bar=ADDR       move BAR0 to ADDR first (the device must follow)
 *   pcicfg=cf8     configuration mechanism #1 instead of ECAM
 *   ecam=ADDR, gsi=N  where firmware tables do not say (QEMU microvm:
 *                  ecam=0xe0000000; INTA of slot 1 is gsi=17 there)
 *
 * Prints `virtio-rng: N bytes in T us` (the TSC, calibrated against the
 * PIT, from the first request to the last byte) and `virtio-rng: got N
 * bytes, M distinct values (irq=MODE, K interrupts)`; exit 0 when the bytes vary (and, with an interrupt mode,
 * at least one interrupt came), else 1.
 */
#include "apic.h"
#include "guest.h"
#include "pci.h"
#include "virtio.h"

#define CHUNK		4096u
#define MAX_BYTES	(256u << 10)
#define MAX_QSIZE	256
#define VEC_CONFIG	0x40
#define VEC_QUEUE	0x41
#define VEC_INTX	0x42
#define TIMEOUT_MS	5000

enum mode { MODE_POLL, MODE_MSIX, MODE_INTX };
static const char *const mode_names[] = { "poll", "msix", "intx" };

static struct vdev dev;
static struct vq vq;
static uint8_t ring_mem[4 * 4096] __attribute__((aligned(4096)));
static uint8_t data[MAX_BYTES] __attribute__((aligned(4096)));
static struct vring_desc itable[16] __attribute__((aligned(16)));

static volatile uint32_t queue_irqs, config_irqs;
static uint64_t khz;

struct opts {
	uint32_t bytes;
	enum mode mode;
	bool indirect, evidx;
	uint16_t qsize;
	uint32_t bar;
	uint32_t apic_id;
};

static void on_queue_msi(unsigned vector)
{
	queue_irqs++;
}

static void on_config_msi(unsigned vector)
{
	config_irqs++;
}

/* Level-triggered: reading the ISR lowers the line before the EOI. */
static void on_intx(unsigned vector)
{
	uint8_t isr = vdev_isr(&dev);

	if (isr & 1)
		queue_irqs++;
	if (isr & 2)
		config_irqs++;
}

static bool timed_out(uint64_t start)
{
	return rdtsc() - start > (uint64_t)TIMEOUT_MS * khz;
}

/* One round: `n` bytes into data + off; returns bytes received. */
static uint32_t round_trip(const struct opts *o, uint32_t off, uint32_t n)
{
	uint32_t bufs = (n + CHUNK - 1) / CHUNK, got = 0, done = 0;
	uint32_t irqs_before = queue_irqs;
	uint64_t start;

	if (o->indirect) {
		for (uint32_t i = 0; i < bufs; i++) {
			uint32_t len = n - i * CHUNK < CHUNK ? n - i * CHUNK : CHUNK;

			itable[i] = (struct vring_desc){
				(uintptr_t)(data + off + i * CHUNK), len,
				VRING_DESC_F_WRITE |
					(i + 1 < bufs ? VRING_DESC_F_NEXT : 0),
				(uint16_t)(i + 1) };
		}
		vq_desc(&vq, 0, (uintptr_t)itable, bufs * sizeof(itable[0]),
			VRING_DESC_F_INDIRECT, 0);
		vq_publish(&vq, 0);
		bufs = 1;
	} else {
		for (uint32_t i = 0; i < bufs; i++) {
			uint32_t len = n - i * CHUNK < CHUNK ? n - i * CHUNK : CHUNK;

			vq_desc(&vq, (uint16_t)i, (uintptr_t)(data + off + i * CHUNK),
				len, VRING_DESC_F_WRITE, 0);
			vq_publish(&vq, (uint16_t)i);
		}
	}
	if (o->evidx)
		vq_want_interrupt(&vq);
	vq_kick(&vq);
	start = rdtsc();
	while (done < bufs) {
		uint32_t id, len;

		if (vq_get_used(&vq, &id, &len)) {
			done++;
			got += len;
			continue;
		}
		if (timed_out(start)) {
			printf("virtio-rng: FAIL %u of %u buffers back after %u ms "
			       "(status 0x%x)\n", done, bufs, TIMEOUT_MS,
			       vdev_status(&dev));
			return got;
		}
		/* Interrupt modes: the used ring is only looked at again once
		 * an interrupt said so. */
		if (o->mode != MODE_POLL)
			while (queue_irqs == irqs_before && !timed_out(start))
				cpu_pause();
		irqs_before = queue_irqs;
	}
	return got;
}

static int setup_irq(const struct opts *o)
{
	if (o->mode == MODE_MSIX) {
		uint64_t addr = 0xfee00000u | o->apic_id << 12;

		if (dev.msix_nr < 2 || !dev.msix_table) {
			printf("virtio-rng: FAIL no MSI-X table\n");
			return -1;
		}
		vdev_msix_set(&dev, 0, addr, VEC_CONFIG, false);
		vdev_msix_set(&dev, 1, addr, VEC_QUEUE, false);
		vdev_msix_enable(&dev, true);
		vdev_w16(&dev, VC_MSIX_CONFIG, 0);
		if (vdev_r16(&dev, VC_MSIX_CONFIG) != 0) {
			printf("virtio-rng: FAIL config vector not accepted\n");
			return -1;
		}
	} else if (o->mode == MODE_INTX) {
		/* The Interrupt Line, or gsi=N where no firmware filled it
		 * (QEMU microvm).  Level-triggered, active high as KVM's
		 * IOAPIC drives it. */
		uint8_t gsi = (uint8_t)cmdline_u64("gsi", dev.gsi);

		ioapic_route(gsi, VEC_INTX, 0xd, o->apic_id);
		pci_write16(dev.devfn, PCI_COMMAND,
			    pci_read16(dev.devfn, PCI_COMMAND) &
			    ~PCI_COMMAND_INTX_DISABLE);
	}
	return 0;
}

static long body(void *arg)
{
	const struct opts *o = arg;
	uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1), got_f;
	uint32_t got = 0, distinct = 0;
	bool seen[256] = { false };

	if (vdev_open(&dev, VIRTIO_ID_ENTROPY)) {
		printf("virtio-rng: FAIL no virtio entropy device on PCI bus 0\n");
		return GUEST_EXIT_FAIL;
	}
	if (o->bar) {
		pci_bar_move(dev.devfn, 0, o->bar);
		vdev_remap(&dev);
	}
	printf("virtio-rng: device at 00:%02x.0, bar0 0x%x, gsi %u, %u msi-x "
	       "vectors, %s config access\n", dev.devfn >> 3, dev.bar[0],
	       dev.gsi, dev.msix_nr, pci_access_name());
	vdev_reset(&dev);
	if (o->indirect)
		want |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (o->evidx)
		want |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	if (!vdev_negotiate(&dev, want, &got_f) || got_f != want) {
		printf("virtio-rng: FAIL feature negotiation (status 0x%x, "
		       "offered 0x%lx)\n", vdev_status(&dev),
		       vdev_device_features(&dev));
		return GUEST_EXIT_FAIL;
	}
	if (setup_irq(o))
		return GUEST_EXIT_FAIL;
	if (vq_setup(&dev, &vq, 0, o->qsize, ring_mem,
		     o->mode == MODE_MSIX ? 1 : VIRTIO_MSI_NO_VECTOR)) {
		printf("virtio-rng: FAIL queue 0 set-up (size %u, status 0x%x)\n",
		       o->qsize, vdev_status(&dev));
		return GUEST_EXIT_FAIL;
	}
	vdev_set_status(&dev, vdev_status(&dev) | VIRTIO_DRIVER_OK);
	if (!(vdev_status(&dev) & VIRTIO_DRIVER_OK) ||
	    (vdev_status(&dev) & VIRTIO_NEEDS_RESET)) {
		printf("virtio-rng: FAIL device not running (status 0x%x)\n",
		       vdev_status(&dev));
		return GUEST_EXIT_FAIL;
	}

	/* A round fills at most half the queue or the indirect table. */
	uint32_t per_round = (o->indirect ? 16u : (vq.size + 1u) / 2u) * CHUNK;

	memset(data, 0, o->bytes);
	uint64_t t0 = rdtsc();
	while (got < o->bytes) {
		uint32_t n = o->bytes - got < per_round ? o->bytes - got : per_round;
		uint32_t r = round_trip(o, got, n);

		if (r != n) {
			printf("virtio-rng: FAIL asked for %u bytes, got %u\n", n, r);
			return GUEST_EXIT_FAIL;
		}
		got += r;
	}
	/* The rate this driver saw, for a rate-limited device's test. */
	printf("virtio-rng: %u bytes in %lu us\n", got,
	       (unsigned long)((rdtsc() - t0) * 1000 / khz));
	for (uint32_t i = 0; i < got; i++) {
		if (!seen[data[i]])
			distinct++;
		seen[data[i]] = true;
	}
	printf("virtio-rng: got %u bytes, %u distinct values (irq=%s, %u "
	       "interrupts)\n", got, distinct, mode_names[o->mode], queue_irqs);
	vdev_reset(&dev);
	if (o->mode == MODE_MSIX)
		vdev_msix_enable(&dev, false);
	if (distinct < 2 || (got >= 1024 && distinct < 200)) {
		printf("virtio-rng: FAIL the bytes are not random\n");
		return GUEST_EXIT_FAIL;
	}
	if (o->mode != MODE_POLL && queue_irqs == 0) {
		printf("virtio-rng: FAIL no queue interrupt\n");
		return GUEST_EXIT_FAIL;
	}
	printf("virtio-rng: OK\n");
	return GUEST_EXIT_OK;
}

int main(void)
{
	struct opts o = { .qsize = 64 };
	char buf[16] = "poll";
	long ret;

	o.bytes = (uint32_t)cmdline_u64("bytes", 4096);
	if (o.bytes == 0 || o.bytes > MAX_BYTES)
		o.bytes = 4096;
	o.indirect = cmdline_u64("indirect", 0);
	o.evidx = cmdline_u64("evidx", 0);
	o.qsize = (uint16_t)cmdline_u64("qsize", 64);
	if (o.qsize < 2 || o.qsize > MAX_QSIZE || (o.qsize & (o.qsize - 1)))
		o.qsize = 64;
	o.bar = (uint32_t)cmdline_u64("bar", 0);
	cmdline_get("irq", buf, sizeof(buf));
	for (int m = 0; m < 3; m++)
		if (!strcmp(buf, mode_names[m]))
			o.mode = (enum mode)m;
	khz = tsc_khz();
	if (o.mode != MODE_POLL) {
		if (!x2apic_enable()) {
			printf("virtio-rng: FAIL no x2APIC\n");
			return GUEST_EXIT_FAIL;
		}
		o.apic_id = lapic_id();
		irq_set_handler(VEC_CONFIG, on_config_msi);
		irq_set_handler(VEC_QUEUE, on_queue_msi);
		irq_set_handler(VEC_INTX, on_intx);
		sti();
	}
	ret = run_user(body, &o);
	cli();
	return (int)ret;
}
