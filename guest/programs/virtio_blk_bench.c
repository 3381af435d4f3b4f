/* SPDX-License-Identifier: MIT */
/*
 * virtio_blk_bench: virtio-blk throughput and IOPS as the guest sees
 * them, timed with the TSC, through the polling driver in
 * virtio_blk_drv.h (CPL3, no interrupts).  The same image runs under vmon
 * and QEMU, so the difference is the VMM.
 *
 * Jobs, in this order (seqwrite first, so reads find data, not holes):
 *   seqwrite1m  1 MiB writes, sequential, `seqqd` in flight (default 1)
 *   seqread1m   1 MiB reads, sequential, `seqqd` in flight
 *   randread4k  4 KiB reads at random 4 KiB-aligned offsets, qd 1
 *   randread4k  the same with 32 in flight (one notification per batch
 *               of completions)
 * each for `ms` milliseconds (default 1000), then until what is in
 * flight is back.  `jobs=` limits them: a bitmask, 1 seqwrite, 2 seqread,
 * 4 randread qd 1, 8 randread qd 32 (default 15).
 *
 * Prints per job: `virtio-blk-bench: NAME qd=Q ops=N us=T iops=I
 * mbps=M.D kicks=K` (MB = 10^6 bytes; K notifications were sent, the
 * rest the device said it did not need), then `virtio-blk-bench: OK`;
 * exit 0, or
 * 1 after a FAIL line (an error status, a timeout).
 */
#include "virtio_blk_drv.h"

#define SEQ_BS		(1u << 20)
#define RAND_BS		4096u
#define MAX_SEQ_QD	4

static uint8_t seqbuf[MAX_SEQ_QD * SEQ_BS] __attribute__((aligned(4096)));
static uint8_t randbuf[MAX_SLOTS * RAND_BS] __attribute__((aligned(4096)));

struct job {
	const char *name;
	uint32_t type;
	uint32_t bs;
	unsigned int qd;
	bool random;
	uint8_t *buf;
};

struct cursor {
	uint64_t pos;		/* next block, sequential jobs */
	uint64_t rnd;		/* xorshift64 state, random jobs */
	uint64_t blocks;
};

static uint64_t next_sector(const struct job *j, struct cursor *c)
{
	uint64_t b;

	if (j->random) {
		c->rnd ^= c->rnd << 13;
		c->rnd ^= c->rnd >> 7;
		c->rnd ^= c->rnd << 17;
		b = c->rnd % c->blocks;
	} else {
		b = c->pos++ % c->blocks;
	}
	return b * (j->bs / 512);
}

static void submit(const struct job *j, struct cursor *c, unsigned int s)
{
	post(s, j->type, next_sector(j, c), j->buf + (uint64_t)s * j->bs, j->bs,
	     j->type == BLK_T_IN, 0);
}

static int run_job(const struct job *j, uint64_t ms)
{
	struct cursor c = { 0, 0x9e3779b97f4a7c15ull, capacity / (j->bs / 512) };
	unsigned int qd = j->qd < nslots ? j->qd : nslots, inflight = 0;
	uint64_t ops = 0, start, end, last, us, iops, mbps10;

	if (c.blocks == 0) {
		printf("virtio-blk-bench: FAIL the disk is smaller than %u bytes\n",
		       j->bs);
		return -1;
	}
	notifies = 0;
	start = rdtsc();
	end = start + ms * khz;
	for (unsigned int s = 0; s < qd; s++, inflight++)
		submit(j, &c, s);
	blk_kick();
	last = start;
	while (inflight) {
		bool again = false;
		uint32_t id, len;

		/* Every completion there is, then one notification. */
		while (vq_get_used(&vq, &id, &len)) {
			unsigned int s = id / DESC_PER_SLOT;

			if (statuses[s] != BLK_S_OK) {
				printf("virtio-blk-bench: FAIL %s: status %u\n",
				       j->name, statuses[s]);
				return -1;
			}
			ops++;
			last = rdtsc();
			if (last < end) {
				submit(j, &c, s);
				again = true;
			} else {
				inflight--;
			}
		}
		if (again)
			blk_kick();
		else if (rdtsc() - last > (uint64_t)TIMEOUT_MS * khz) {
			printf("virtio-blk-bench: FAIL %s: timeout, %u in flight\n",
			       j->name, inflight);
			return -1;
		}
	}
	us = (last - start) * 1000 / khz;
	if (us == 0)
		us = 1;
	iops = ops * 1000000 / us;
	mbps10 = ops * j->bs * 10 / us;		/* bytes/us = MB/s */
	printf("virtio-blk-bench: %s qd=%u ops=%lu us=%lu iops=%lu mbps=%lu.%lu "
	       "kicks=%lu\n", j->name, qd, ops, us, iops, mbps10 / 10,
	       mbps10 % 10, notifies);
	return 0;
}

static long body(void *arg)
{
	uint64_t ms = cmdline_u64("ms", 1000);
	uint64_t mask = cmdline_u64("jobs", 15);
	unsigned int seqqd = (unsigned int)cmdline_u64("seqqd", 1);
	struct job jobs[] = {
		{ "seqwrite1m", BLK_T_OUT, SEQ_BS, 1, false, seqbuf },
		{ "seqread1m", BLK_T_IN, SEQ_BS, 1, false, seqbuf },
		{ "randread4k", BLK_T_IN, RAND_BS, 1, true, randbuf },
		{ "randread4k", BLK_T_IN, RAND_BS, 32, true, randbuf },
	};

	if (seqqd < 1 || seqqd > MAX_SEQ_QD)
		seqqd = 1;
	jobs[0].qd = jobs[1].qd = seqqd;
	if (blk_open())
		return GUEST_EXIT_FAIL;
	for (uint32_t i = 0; i < sizeof(seqbuf); i++)
		seqbuf[i] = (uint8_t)(i * 7 + (i >> 12));
	for (unsigned int i = 0; i < 4; i++)
		if ((mask >> i & 1) && run_job(&jobs[i], ms))
			return GUEST_EXIT_FAIL;
	vdev_reset(&dev);
	printf("virtio-blk-bench: OK\n");
	return GUEST_EXIT_OK;
}

int main(void)
{
	return (int)run_user(body, NULL);
}
