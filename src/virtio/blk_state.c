// SPDX-License-Identifier: MIT
/*
 * Snapshot of a virtio-blk device's own state.  Nothing is in flight by
 * contract (the VM is paused and the device quiesced before a save), so
 * all there is to save is the identity of the disk the guest saw, which
 * the restored device's disk must match: the guest keeps its capacity,
 * read-only flag and serial (GET_ID) from before.
 */
#include "virtio/blk.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "lib/snapfile.h"
#include "lib/util.h"

static struct virtio_blk *to_blk(struct virtio_dev *vd)
{
	return container_of(vd, struct virtio_blk, vd);
}

static const char *drive(const struct virtio_blk *b)
{
	return b->id ? b->id : b->name;
}

int virtio_blk_save(struct virtio_dev *vd, struct snap_enc *enc)
{
	struct virtio_blk *b = to_blk(vd);

	if (b->nr_free != BLK_QUEUE_SIZE || vd->queues[0].vq.inflight) {
		log_error("drive %s: cannot be saved with %u requests in flight",
			  drive(b), BLK_QUEUE_SIZE - b->nr_free);
		return -EBUSY;
	}
	snap_put_u64(enc, b->disk.capacity);
	snap_put_bool(enc, b->disk.read_only);
	snap_put_bytes(enc, b->disk.serial, BLK_ID_BYTES);
	return enc->err;
}

int virtio_blk_restore(struct virtio_dev *vd, struct snap_dec *d)
{
	struct virtio_blk *b = to_blk(vd);
	char serial[BLK_ID_BYTES];
	uint64_t capacity;
	bool ro;

	snap_get_u64(d, "blk.capacity", &capacity);
	snap_get_bool(d, "blk.read_only", &ro);
	snap_get_bytes(d, "blk.serial", serial, sizeof(serial));
	if (d->err)
		return d->err;
	if (capacity != b->disk.capacity)
		return snap_dec_fail(d, "blk.capacity", "drive %s: the "
				     "snapshot's disk had %llu sectors, this "
				     "one has %llu", drive(b),
				     (unsigned long long)capacity,
				     (unsigned long long)b->disk.capacity);
	if (ro != b->disk.read_only)
		return snap_dec_fail(d, "blk.read_only", "drive %s: the "
				     "snapshot's disk was %s, this one is %s",
				     drive(b), ro ? "read-only" : "read-write",
				     b->disk.read_only ? "read-only" :
							 "read-write");
	if (memcmp(serial, b->disk.serial, sizeof(serial)))
		return snap_dec_fail(d, "blk.serial", "drive %s: the snapshot's "
				     "disk had serial \"%.20s\", this one "
				     "\"%.20s\"", drive(b), serial,
				     b->disk.serial);
	/* In flight at save: nothing, so a fresh device has it all. */
	return snap_dec_end(d);
}
