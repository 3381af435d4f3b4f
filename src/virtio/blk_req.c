// SPDX-License-Identifier: MIT
/*
 * virtio-blk request parsing and validation (VIRTIO 1.2, 5.2.6): a chain
 * from virtq_pop becomes a struct blk_req the device can hand to its
 * backend, or a status to report at once.  No I/O here, no allocation,
 * and every guest field is copied once before it is checked (the header
 * and discard/write-zeroes segments).  The rules and the status each bad
 * request gets are listed in blk.h.
 */
#include "virtio/blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <string.h>

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;	/* ioprio in legacy drivers; ignored */
	uint64_t sector;
};

struct blk_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

_Static_assert(sizeof(struct blk_hdr) == BLK_HDR_SIZE, "request header");
_Static_assert(sizeof(struct blk_seg) == BLK_SEG_SIZE, "segment");

/* Complete at once with this status. */
static int now(struct blk_req *r, uint8_t status)
{
	r->op = BLK_OP_NONE;
	r->result = status;
	return 0;
}

/* [sector, sector + nsect) inside the disk, without overflow. */
static bool in_range(const struct blk_disk *d, uint64_t sector, uint64_t nsect)
{
	return sector <= d->capacity && nsect <= d->capacity - sector;
}

/* Data = the device-writable buffers less the status byte at the end. */
static void data_in(struct blk_req *r, const struct virtq_chain *c)
{
	unsigned int n = c->nr_in;

	r->data = c->iov + c->nr_out;
	if (r->data[n - 1].iov_len == 1)
		n--;
	else
		r->data[n - 1].iov_len--;
	r->nr_data = n;
}

/* Data = the device-readable buffers after the 16-byte header. */
static void data_out(struct blk_req *r, const struct virtq_chain *c)
{
	size_t skip = BLK_HDR_SIZE;
	unsigned int i = 0;

	while (i < c->nr_out && skip >= c->iov[i].iov_len)
		skip -= c->iov[i++].iov_len;
	r->data = c->iov + i;
	r->nr_data = c->nr_out - i;
	if (r->nr_data) {
		r->data[0].iov_base = (uint8_t *)r->data[0].iov_base + skip;
		r->data[0].iov_len -= skip;
	}
}

/* IN and OUT: data in one direction only, whole sectors, on the disk. */
static int parse_rw(struct blk_req *r, const struct virtq_chain *c,
		    const struct blk_disk *d, const struct blk_hdr *h,
		    uint32_t out_data, uint32_t in_data)
{
	bool write = h->type == VIRTIO_BLK_T_OUT;
	uint32_t len = write ? out_data : in_data;

	r->kind = write ? BLK_K_WRITE : BLK_K_READ;
	if (write && d->read_only)
		return now(r, VIRTIO_BLK_S_IOERR);	/* 5.2.6.2 */
	if ((write ? in_data : out_data) != 0 || len % BLK_SECTOR_SIZE ||
	    !in_range(d, h->sector, len >> BLK_SECTOR_SHIFT))
		return now(r, VIRTIO_BLK_S_IOERR);
	if (len == 0)
		return now(r, VIRTIO_BLK_S_OK);
	if (write)
		data_out(r, c);
	else
		data_in(r, c);
	r->op = write ? BLK_OP_WRITE : BLK_OP_READ;
	r->off = h->sector << BLK_SECTOR_SHIFT;
	r->len = len;
	r->written = write ? 1 : len + 1;
	return 0;
}

/* DISCARD and WRITE_ZEROES: exactly one segment (max_*_seg = 1). */
static int parse_range(struct blk_req *r, const struct virtq_chain *c,
		       const struct blk_disk *d, const struct blk_hdr *h,
		       uint32_t out_data, uint32_t in_data)
{
	bool discard = h->type == VIRTIO_BLK_T_DISCARD;
	uint32_t max = discard ? BLK_MAX_DISCARD_SECTORS : BLK_MAX_WZ_SECTORS;
	struct blk_seg seg;

	r->kind = discard ? BLK_K_DISCARD : BLK_K_WRITE_ZEROES;
	if (d->read_only)
		return now(r, VIRTIO_BLK_S_IOERR);
	if (in_data != 0 || out_data != BLK_SEG_SIZE)
		return now(r, VIRTIO_BLK_S_IOERR);
	virtq_chain_read(c, BLK_HDR_SIZE, &seg, sizeof(seg));
	/* 5.2.6.2: unknown flags, and unmap on a discard, are UNSUPP. */
	if ((seg.flags & ~VIRTIO_BLK_WZ_UNMAP) ||
	    (discard && (seg.flags & VIRTIO_BLK_WZ_UNMAP)))
		return now(r, VIRTIO_BLK_S_UNSUPP);
	if (seg.num_sectors > max || !in_range(d, seg.sector, seg.num_sectors))
		return now(r, VIRTIO_BLK_S_IOERR);
	if (seg.num_sectors == 0)
		return now(r, VIRTIO_BLK_S_OK);
	r->op = BLK_OP_FALLOCATE;
	r->off = seg.sector << BLK_SECTOR_SHIFT;
	r->len = (uint64_t)seg.num_sectors << BLK_SECTOR_SHIFT;
	r->unmap = seg.flags & VIRTIO_BLK_WZ_UNMAP;
	r->fa_mode = FALLOC_FL_KEEP_SIZE |
		     (discard || r->unmap ? FALLOC_FL_PUNCH_HOLE :
		      FALLOC_FL_ZERO_RANGE);
	return 0;
}

/*
 * GET_ID: the driver MUST give 20 bytes of data (5.2.6.1); fewer get
 * IOERR and nothing is written.  With more, the 20-byte NUL-padded serial
 * goes in the first 20 and the rest is left alone.
 */
static int parse_get_id(struct blk_req *r, const struct virtq_chain *c,
			const struct blk_disk *d, uint32_t out_data,
			uint32_t in_data)
{
	r->kind = BLK_K_GET_ID;
	if (out_data != 0 || in_data < BLK_ID_BYTES)
		return now(r, VIRTIO_BLK_S_IOERR);
	virtq_chain_write(c, 0, d->serial, BLK_ID_BYTES);
	r->written = BLK_ID_BYTES + 1;
	return now(r, VIRTIO_BLK_S_OK);
}

int blk_parse(struct blk_req *r, const struct virtq_chain *c,
	      const struct blk_disk *d, const char **why)
{
	const struct iovec *st;
	struct blk_hdr h;
	uint32_t out_data, in_data;

	r->head = c->head;
	r->op = BLK_OP_NONE;
	r->kind = BLK_K_OTHER;
	r->result = VIRTIO_BLK_S_IOERR;
	r->step = 0;
	r->unmap = false;
	r->written = 1;
	r->off = r->len = 0;
	r->fa_mode = r->rw_flags = 0;
	r->nr_data = 0;
	r->data = NULL;
	r->status = NULL;

	/*
	 * The status byte is the last device-writable byte.  Without one
	 * (no writable buffer: missing, or the last buffer is readable) the
	 * device cannot answer at all: a protocol violation (rule 14, 8).
	 */
	if (c->nr_in == 0) {
		*why = c->nr_out ? "no device-writable status byte (the last "
				   "buffer is device-readable)" :
				   "an empty chain";
		return -EPROTO;
	}
	st = &c->iov[c->nr_out + c->nr_in - 1];
	r->status = (uint8_t *)st->iov_base + st->iov_len - 1;
	in_data = c->in_bytes - 1;
	if (c->out_bytes < BLK_HDR_SIZE)
		return now(r, VIRTIO_BLK_S_IOERR);	/* no whole header */
	out_data = c->out_bytes - BLK_HDR_SIZE;
	/* The one read of the header: from here on only h. */
	virtq_chain_read(c, 0, &h, sizeof(h));

	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return parse_rw(r, c, d, &h, out_data, in_data);
	case VIRTIO_BLK_T_FLUSH:
		/* Data and a non-zero sector are the driver's mistakes
		 * (5.2.6.1: SHOULD NOT, MUST); flushing is still right. */
		r->kind = BLK_K_FLUSH;
		r->op = BLK_OP_FLUSH;
		return 0;
	case VIRTIO_BLK_T_GET_ID:
		return parse_get_id(r, c, d, out_data, in_data);
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return parse_range(r, c, d, &h, out_data, in_data);
	default:
		/* GET_LIFETIME, SECURE_ERASE, zoned, legacy SCSI, unknown. */
		return now(r, VIRTIO_BLK_S_UNSUPP);
	}
}

void blk_req_advance(struct blk_req *r, uint64_t n)
{
	uint64_t left = n < r->len ? n : r->len;

	r->off += left;
	r->len -= left;
	while (left && r->nr_data) {
		if (left < r->data->iov_len) {
			r->data->iov_base = (uint8_t *)r->data->iov_base + left;
			r->data->iov_len -= left;
			break;
		}
		left -= r->data->iov_len;
		r->data++;
		r->nr_data--;
	}
}
