// SPDX-License-Identifier: MIT
/*
 * Snapshot of a virtio-net device's own state: the MAC the guest knows
 * (a default one is derived from the pid, so a new process would pick
 * another) and the receive chains popped ahead of a frame.  Those were
 * never used, so the restored device gives them back to the ring and
 * takes them again; transmit chains are never held.  The TAP is reopened
 * by the machine from the configuration.
 */
#include "virtio/net.h"

#include <errno.h>
#include <string.h>

#include "lib/snapfile.h"
#include "lib/util.h"

static struct virtio_net *to_net(struct virtio_dev *vd)
{
	return container_of(vd, struct virtio_net, vd);
}

int virtio_net_save(struct virtio_dev *vd, struct snap_enc *enc)
{
	struct virtio_net *net = to_net(vd);

	snap_put_bytes(enc, net->mac, sizeof(net->mac));
	snap_put_u16(enc, (uint16_t)net->rx_nr);
	return enc->err;
}

int virtio_net_restore(struct virtio_dev *vd, struct snap_dec *d)
{
	struct virtio_net *net = to_net(vd);
	struct virtio_queue *rx = virtio_queue(vd, NET_RXQ);
	uint8_t mac[6];
	uint16_t held;

	snap_get_bytes(d, "net.mac", mac, sizeof(mac));
	snap_get_u16(d, "net.rx_held", &held);
	if (d->err)
		return d->err;
	if (mac[0] & 1)
		return snap_dec_fail(d, "net.mac", "%02x:%02x:%02x:%02x:%02x:%02x "
				     "is a multicast address", mac[0], mac[1],
				     mac[2], mac[3], mac[4], mac[5]);
	if (held && (!rx->enabled || rx->vq.inflight < held))
		return snap_dec_fail(d, "net.rx_held", "%u receive chains in "
				     "hand, but %u are in flight", held,
				     rx->enabled ? rx->vq.inflight : 0);
	if (snap_dec_end(d))
		return d->err;
	memcpy(net->mac, mac, sizeof(mac));
	return virtio_queue_rewind(vd, NET_RXQ, held);
}
