/* SPDX-License-Identifier: MIT */
/*
 * The host side of virtio-net: a Linux TAP device (Documentation/
 * networking/tuntap.rst), opened as IFF_TAP | IFF_NO_PI | IFF_VNET_HDR so
 * every read and write carries a 12-byte virtio_net_hdr_v1 in front of
 * the Ethernet frame: the same header the guest puts on its buffers, so
 * frames go between guest memory and the TAP with readv/writev and no
 * copy.  The fd is non-blocking.
 *
 * The device (net.c) takes the fd as an int, so tests hand it one end of
 * a socketpair instead; only tap_open and tap_set_offload need a TAP.
 */
#ifndef VMON_VIRTIO_TAP_H
#define VMON_VIRTIO_TAP_H

#include <stddef.h>

#define TAP_VNET_HDR_LEN	12	/* sizeof(struct virtio_net_hdr_v1) */
#define TAP_NAME_MAX		15	/* IFNAMSIZ - 1 */

/* What the guest can receive (TUNSETOFFLOAD; TUN_F_* in linux/if_tun.h). */
#define TAP_OFFLOAD_CSUM	0x01	/* partial checksums (NEEDS_CSUM) */
#define TAP_OFFLOAD_TSO4	0x02	/* TCPv4 segmentation (needs CSUM) */
#define TAP_OFFLOAD_TSO6	0x04	/* TCPv6 segmentation (needs CSUM) */
#define TAP_OFFLOAD_TSO_ECN	0x08	/* TSO with ECN (needs TSO4/6) */

/*
 * Attach to the TAP device `name` (created beforehand, e.g. with
 * `ip tuntap add dev NAME mode tap`, in vmon's network namespace), with
 * the vnet header at 12 bytes, non-blocking, close-on-exec.  Where there
 * is no such device and the caller has CAP_NET_ADMIN, the kernel creates
 * a transient one (down, gone with the fd).  Returns the fd, or -errno
 * with a message in err saying what to do.
 */
int tap_open(const char *name, char *err, size_t errlen);

/*
 * Tell the kernel which offloads the reader handles: with 0, frames
 * reach us with full checksums and no segmentation.  0 or -errno.
 */
int tap_set_offload(int fd, unsigned int offload);

#endif
