// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the split-virtqueue walker (src/virtio/virtq.c):
 * random ring contents and descriptor tables in a small guest RAM.
 *
 * Input: byte 0 picks the queue size (1 << (b % 9): 1 to 256), byte 1
 * the negotiated features (bit 0 INDIRECT_DESC, bit 1 EVENT_IDX) and
 * whether completions are pushed (bit 2).  The rest fills, in this
 * order, the avail ring (flags, idx, entries, used_event), the
 * descriptor table, then guest RAM from BUFS on (indirect tables and
 * buffers); short inputs leave the remainder zero.  Every chain the
 * walker accepts has the first and last byte of each buffer read or
 * written: ASan catches any iovec that reaches outside the RAM buffer.
 * See fuzz/README.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/guest_mem.h"
#include "virtio/virtq.h"

#define RAM_SIZE	0x10000
#define AVAIL		0x0
#define USED		0x1000
#define DESC		0x2000
#define BUFS		0x3000
#define MAX_SIZE	256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *ram;
static struct iovec iov[MAX_SIZE];
static int failures;
static volatile uint8_t sink;

static void on_fail(void *opaque, struct virtq *vq, const char *why)
{
	failures++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem gm;
	struct virtq vq;
	struct virtq_chain c;
	struct virtq_config cfg;
	char why[256];

	if (size < 2)
		return 0;
	if (!ram && !(ram = malloc(RAM_SIZE)))
		abort();
	memset(ram, 0, RAM_SIZE);
	if (gm_init_buffer(&gm, ram, RAM_SIZE))
		abort();
	cfg = (struct virtq_config){
		.size = (uint16_t)(1u << (data[0] % 9)),
		.max_size = MAX_SIZE,
		.desc = DESC, .avail = AVAIL, .used = USED,
		.indirect = data[1] & 1,
		.event_idx = data[1] & 2,
	};
	{
		/* Avail ring, descriptor table, then the rest of RAM. */
		const struct { uint64_t at, len; } part[] = {
			{ AVAIL, VIRTQ_AVAIL_BYTES(cfg.size) },
			{ DESC, VIRTQ_DESC_BYTES(cfg.size) },
			{ BUFS, RAM_SIZE - BUFS },
		};
		size_t left = size - 2;
		const uint8_t *p = data + 2;

		for (int i = 0; i < 3 && left; i++) {
			size_t n = left < part[i].len ? left : part[i].len;

			memcpy(ram + part[i].at, p, n);
			p += n;
			left -= n;
		}
	}
	failures = 0;
	virtq_init(&vq, 0, on_fail, NULL);
	if (virtq_configure(&vq, &gm, &cfg, why, sizeof(why)))
		abort();	/* the layout above is always valid */
	virtq_chain_init(&c, iov, MAX_SIZE);

	/* At most one pass over the ring and then some. */
	for (int n = 0; n < 2 * MAX_SIZE + 2; n++) {
		int r = virtq_pop(&vq, &c);

		if (r <= 0) {
			if (r < 0 && failures != 1)
				abort();	/* exactly one report */
			break;
		}
		if (c.nr_out + c.nr_in > MAX_SIZE || c.head >= cfg.size)
			abort();
		/* First and last byte of each buffer: a contiguous range is
		 * inside RAM when both ends are (ASan checks each access). */
		for (unsigned int i = 0; i < (unsigned int)c.nr_out + c.nr_in;
		     i++) {
			uint8_t *p = c.iov[i].iov_base;
			size_t len = c.iov[i].iov_len;

			if (i < c.nr_out) {
				sink ^= p[0] ^ p[len - 1];
			} else {
				p[0] = sink;
				p[len - 1] = sink;
			}
		}
		if ((data[1] & 4) && virtq_push(&vq, c.head, c.in_bytes))
			abort();
		virtq_should_notify(&vq);
	}
	return 0;
}
