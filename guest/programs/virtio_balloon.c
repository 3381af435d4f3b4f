/* SPDX-License-Identifier: MIT */
/*
 * virtio_balloon: a polling driver for the traditional memory balloon
 * (VIRTIO 1.2, 5.5) that follows the device's target, num_pages:
 *
 *   1. waits for a target above 0, picks that many pages at the top of
 *      low RAM and touches each (the host now backs them: its RSS grows);
 *   2. after hold=MS, inflates: gives their PFNs to the device in arrays
 *      of up to 4096 and sets `actual` (the host drops them: RSS falls);
 *   3. waits up to wait=S seconds for the target to change (the API's
 *      PATCH /balloon), meanwhile answering the statistics queue;
 *   4. deflates down to the new target (to 0 if it never changed), checks
 *      the returned pages read back zero (the host really discarded
 *      them) and that they hold new data again (usable).
 *
 * With VIRTIO_BALLOON_F_STATS_VQ offered it keeps one statistics buffer
 * on the queue (total and free memory, a count, and a tag no device
 * knows), refilled each time the device uses it.  Everything runs at
 * CPL3.
 *
 * Command line: hold=MS (1000), wait=S (30), timeout=S (20).  Prints
 * `virtio-balloon: ...` progress lines; exit 0 after `virtio-balloon: OK`,
 * 1 with a `virtio-balloon: FAIL ...` line.
 */
#include "guest.h"
#include "pci.h"
#include "virtio.h"

#define VIRTIO_ID_BALLOON	5
#define F_STATS_VQ		1
#define F_DEFLATE_ON_OOM	2
#define PAGE			4096ul
#define PFNS_PER_REQ		4096
#define QSIZE			16
#define MiB			(1ul << 20)
#define MAGIC			0x5a17b0b0c0ffee00ull

struct stat_entry {
	uint16_t tag;
	uint64_t val;
} __attribute__((packed));

static struct vdev dev;
static struct vq infq, defq, statq;
static uint8_t rings[3][8192] __attribute__((aligned(4096)));
static uint32_t pfns[PFNS_PER_REQ];
static struct stat_entry stats[5];
static bool have_stats;
static uint32_t stats_sent;
static uint64_t khz, timeout_ms, ram_total;
static volatile uint32_t *cfg;		/* num_pages, actual */

static uint64_t ms_since(uint64_t t0)
{
	return (rdtsc() - t0) / khz;
}

/* The statistics buffer: always one on the queue (5.5.6.3). */
static void stats_post(uint64_t inflated)
{
	stats[0] = (struct stat_entry){ 5, ram_total };		/* MEMTOT */
	stats[1] = (struct stat_entry){ 4, ram_total - inflated }; /* MEMFREE */
	stats[2] = (struct stat_entry){ 6, ram_total - inflated }; /* AVAIL */
	stats[3] = (struct stat_entry){ 3, stats_sent };	/* MINFLT */
	stats[4] = (struct stat_entry){ 99, 1 };	/* unknown: ignored */
	vq_desc(&statq, 0, (uintptr_t)stats, sizeof(stats), 0, 0);
	vq_publish(&statq, 0);
	vq_kick(&statq);
	stats_sent++;
}

static void stats_poll(uint64_t inflated)
{
	uint32_t id, len;

	if (have_stats && vq_get_used(&statq, &id, &len))
		stats_post(inflated);
}

/* Give n PFNs to a queue and wait for the device to use them. */
static int pfn_request(struct vq *q, uint32_t n, uint64_t inflated)
{
	uint64_t t0 = rdtsc();
	uint32_t id, len;

	vq_desc(q, 0, (uintptr_t)pfns, n * 4, 0, 0);
	vq_publish(q, 0);
	vq_kick(q);
	while (!vq_get_used(q, &id, &len)) {
		stats_poll(inflated);
		if (ms_since(t0) > timeout_ms ||
		    (vdev_status(&dev) & VIRTIO_NEEDS_RESET)) {
			printf("virtio-balloon: FAIL request not used (status "
			       "0x%x)\n", vdev_status(&dev));
			return -1;
		}
		cpu_pause();
	}
	return 0;
}

/* Pages [first, first + n) through queue q. */
static int give(struct vq *q, uint64_t first, uint64_t n, uint64_t inflated)
{
	for (uint64_t done = 0; done < n; ) {
		uint32_t k = n - done < PFNS_PER_REQ ? (uint32_t)(n - done) :
			     PFNS_PER_REQ;

		for (uint32_t i = 0; i < k; i++)
			pfns[i] = (uint32_t)(first + done + i);
		if (pfn_request(q, k, inflated))
			return -1;
		done += k;
	}
	return 0;
}

/* The top of the highest RAM region below 4 GiB, above this image. */
static int pick_region(uint64_t pages, uint64_t *first_page)
{
	const struct hvm_memmap_table_entry *e =
		(const void *)(uintptr_t)start_info->memmap_paddr;
	uint64_t best_end = 0, best_start = 0;

	for (uint32_t i = 0; i < start_info->memmap_entries; i++) {
		uint64_t end = e[i].addr + e[i].size;

		if (e[i].type != XEN_HVM_MEMMAP_TYPE_RAM)
			continue;
		ram_total += e[i].size;
		if (end > 0x100000000ull)
			end = 0x100000000ull;
		if (end > best_end && e[i].addr < end) {
			best_end = end & ~(PAGE - 1);
			best_start = e[i].addr;
		}
	}
	if (best_start < (uintptr_t)__image_end)
		best_start = ((uintptr_t)__image_end + PAGE - 1) & ~(PAGE - 1);
	if (best_end < best_start + pages * PAGE) {
		printf("virtio-balloon: FAIL %lu pages do not fit in RAM "
		       "0x%lx-0x%lx\n", pages, best_start, best_end);
		return -1;
	}
	*first_page = best_end / PAGE - pages;
	return 0;
}

static uint32_t target(void)
{
	return cfg[0];		/* le32 num_pages */
}

static void set_actual(uint32_t n)
{
	cfg[1] = n;		/* le32 actual, one 32-bit write */
}

static long body(void *arg)
{
	uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			VIRTIO_BIT(F_STATS_VQ) | VIRTIO_BIT(F_DEFLATE_ON_OOM);
	uint64_t got, first, n, keep, t0, hold_ms = cmdline_u64("hold", 1000);
	uint64_t wait_ms = cmdline_u64("wait", 30) * 1000, zero = 0;
	uint32_t t;

	if (vdev_open(&dev, VIRTIO_ID_BALLOON)) {
		printf("virtio-balloon: FAIL no virtio balloon device on PCI "
		       "bus 0\n");
		return GUEST_EXIT_FAIL;
	}
	vdev_reset(&dev);
	if (!vdev_negotiate(&dev, want, &got)) {
		printf("virtio-balloon: FAIL feature negotiation\n");
		return GUEST_EXIT_FAIL;
	}
	have_stats = got & VIRTIO_BIT(F_STATS_VQ);
	if (vq_setup(&dev, &infq, 0, QSIZE, rings[0], VIRTIO_MSI_NO_VECTOR) ||
	    vq_setup(&dev, &defq, 1, QSIZE, rings[1], VIRTIO_MSI_NO_VECTOR) ||
	    (have_stats && vq_setup(&dev, &statq, 2, QSIZE, rings[2],
				    VIRTIO_MSI_NO_VECTOR))) {
		printf("virtio-balloon: FAIL queue set-up\n");
		return GUEST_EXIT_FAIL;
	}
	cfg = (volatile uint32_t *)dev.device;
	vdev_set_status(&dev, vdev_status(&dev) | VIRTIO_DRIVER_OK);
	printf("virtio-balloon: device at 00:%02x.0, stats %s, "
	       "deflate-on-oom %s, target %u pages\n", dev.devfn >> 3,
	       have_stats ? "on" : "off",
	       got & VIRTIO_BIT(F_DEFLATE_ON_OOM) ? "on" : "off", target());
	if (have_stats)
		stats_post(0);		/* after DRIVER_OK (5.5.5) */

	/* 1. A target, and that many resident pages. */
	t0 = rdtsc();
	while (!(t = target()) && ms_since(t0) < wait_ms)
		cpu_pause();
	if (!t) {
		printf("virtio-balloon: FAIL the target stayed 0\n");
		return GUEST_EXIT_FAIL;
	}
	n = t;
	if (pick_region(n, &first))
		return GUEST_EXIT_FAIL;
	for (uint64_t p = 0; p < n; p++)
		*(volatile uint64_t *)((first + p) * PAGE) = MAGIC ^ (first + p);
	printf("virtio-balloon: touched %lu MiB at 0x%lx-0x%lx\n",
	       n * PAGE / MiB, first * PAGE, (first + n) * PAGE);
	t0 = rdtsc();
	while (ms_since(t0) < hold_ms)
		stats_poll(0);

	/* 2. Inflate. */
	t0 = rdtsc();
	if (give(&infq, first, n, 0))
		return GUEST_EXIT_FAIL;
	set_actual((uint32_t)n);
	printf("virtio-balloon: inflated %lu pages (%lu MiB) in %lu ms, actual "
	       "%u\n", n, n * PAGE / MiB, ms_since(t0), cfg[1]);

	/* 3. Wait for a new target. */
	t0 = rdtsc();
	while ((t = target()) == n && ms_since(t0) < wait_ms)
		stats_poll(n * PAGE);
	if (t == n) {
		printf("virtio-balloon: target unchanged after %lu s: "
		       "deflating all\n", wait_ms / 1000);
		t = 0;
	} else {
		printf("virtio-balloon: target now %u pages\n", t);
	}
	if (t > n) {
		printf("virtio-balloon: FAIL can only shrink in this test\n");
		return GUEST_EXIT_FAIL;
	}

	/* 4. Deflate down to it: the pages at the bottom come back. */
	keep = t;
	if (give(&defq, first, n - keep, n * PAGE))
		return GUEST_EXIT_FAIL;
	set_actual((uint32_t)keep);
	for (uint64_t p = 0; p < n - keep; p++) {
		volatile uint64_t *q = (volatile uint64_t *)((first + p) * PAGE);

		zero += *q == 0;
		*q = ~MAGIC ^ p;
	}
	printf("virtio-balloon: deflated %lu pages, actual %u; %lu of them "
	       "read back zero\n", n - keep, cfg[1], zero);
	for (uint64_t p = 0; p < n - keep; p++) {
		if (*(volatile uint64_t *)((first + p) * PAGE) != (~MAGIC ^ p)) {
			printf("virtio-balloon: FAIL page 0x%lx lost a write\n",
			       (first + p) * PAGE);
			return GUEST_EXIT_FAIL;
		}
	}
	printf("virtio-balloon: %lu returned pages usable again\n", n - keep);
	if (have_stats)
		printf("virtio-balloon: %u statistics buffers sent\n",
		       stats_sent);
	/* Pages still in the balloon stay there: the device keeps them. */
	if (zero != n - keep) {
		printf("virtio-balloon: FAIL the host did not drop every "
		       "inflated page\n");
		return GUEST_EXIT_FAIL;
	}
	printf("virtio-balloon: OK\n");
	return GUEST_EXIT_OK;
}

int main(void)
{
	timeout_ms = cmdline_u64("timeout", 20) * 1000;
	khz = tsc_khz();
	return (int)run_user(body, NULL);
}
