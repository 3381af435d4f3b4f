// SPDX-License-Identifier: MIT
/*
 * TAP backend for virtio-net: open, vnet header size, offloads.  See
 * tap.h.
 */
#include "virtio/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TUN_DEVICE	"/dev/net/tun"

_Static_assert(TAP_OFFLOAD_CSUM == TUN_F_CSUM && TAP_OFFLOAD_TSO4 == TUN_F_TSO4 &&
	       TAP_OFFLOAD_TSO6 == TUN_F_TSO6 &&
	       TAP_OFFLOAD_TSO_ECN == TUN_F_TSO_ECN,
	       "TAP_OFFLOAD_* are the kernel's TUN_F_* values");

int tap_open(const char *name, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd, ret, hdr = TAP_VNET_HDR_LEN;
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > TAP_NAME_MAX) {
		snprintf(err, errlen, "TAP name '%s': expected 1 to %d characters",
			 name ? name : "", TAP_NAME_MAX);
		return -EINVAL;
	}
	fd = open(TUN_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s (is the tun module "
			 "loaded, and may this user open it?)", TUN_DEVICE,
			 strerror(errno));
		return ret;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, len);
	/* No packet-info prefix; a virtio-net header instead (tuntap.rst). */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot attach to TAP device %s: %s%s", name,
			 strerror(errno), errno == EBUSY ?
			 " (another process has it open)" : errno == EPERM ?
			 " (the device belongs to another user; needs "
			 "CAP_NET_ADMIN or `ip tuntap add ... user UID`)" :
			 errno == EINVAL ? " (is it a TUN or multi-queue "
			 "device? vmon needs `ip tuntap add dev NAME mode tap`)" :
			 "");
		close(fd);
		return ret;
	}
	/* 12 bytes: struct virtio_net_hdr_v1, num_buffers included. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		ret = -errno;
		snprintf(err, errlen, "TAP %s: TUNSETVNETHDRSZ %d: %s", name, hdr,
			 strerror(errno));
		close(fd);
		return ret;
	}
	/* Until the guest says otherwise: full checksums, no GSO. */
	if ((ret = tap_set_offload(fd, 0))) {
		snprintf(err, errlen, "TAP %s: TUNSETOFFLOAD 0: %s", name,
			 strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

int tap_set_offload(int fd, unsigned int offload)
{
	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)offload) < 0 ? -errno : 0;
}
