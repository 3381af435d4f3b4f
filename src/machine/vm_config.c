// SPDX-License-Identifier: MIT
#include "machine/vm_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

/* How the messages name an interface: its id, else its TAP device. */
static const char *net_name(const struct net_config *n)
{
	return n->id ? n->id : n->tap;
}

static int check_disks(const struct vm_config *c, char *err, size_t len)
{
	const struct disk_config *root = NULL;

	for (unsigned int i = 0; i < c->nr_disks; i++) {
		const struct disk_config *d = &c->disks[i];

		if (d->is_root && root)
			return err_say(err, len, -EEXIST, "drive '%s' is "
				       "already the root device: only one "
				       "drive can be",
				       root->id ? root->id : root->path);
		if (d->is_root)
			root = d;
		for (unsigned int j = 0; d->id && j < i; j++)
			if (c->disks[j].id && !strcmp(c->disks[j].id, d->id))
				return err_say(err, len, -EEXIST,
					       "disk id=%s given twice", d->id);
	}
	return 0;
}

static int check_nets(const struct vm_config *c, char *err, size_t len)
{
	for (unsigned int i = 0; i < c->nr_nets; i++) {
		const struct net_config *n = &c->nets[i];

		for (unsigned int j = 0; j < i; j++) {
			const struct net_config *o = &c->nets[j];

			if (n->id && o->id && !strcmp(n->id, o->id))
				return err_say(err, len, -EEXIST,
					       "interface id %s given twice",
					       n->id);
			if (!strcmp(n->tap, o->tap))
				return err_say(err, len, -EEXIST,
					       "TAP device %s is already used "
					       "by interface '%s'", n->tap,
					       net_name(o));
			if (n->has_mac && o->has_mac &&
			    !memcmp(n->mac, o->mac, 6))
				return err_say(err, len, -EEXIST,
					       "guest MAC %02x:%02x:%02x:%02x:"
					       "%02x:%02x is already used by "
					       "interface '%s'", n->mac[0],
					       n->mac[1], n->mac[2], n->mac[3],
					       n->mac[4], n->mac[5],
					       net_name(o));
		}
	}
	return 0;
}

int vm_config_check(const struct vm_config *c, char *err, size_t len)
{
	int ret;

	if ((ret = check_disks(c, err, len)) || (ret = check_nets(c, err, len)))
		return ret;
	/* 0-2 are the hypervisor, local and host; -1U means any. */
	if (c->vsock.enabled &&
	    (c->vsock.guest_cid < 3 || c->vsock.guest_cid == UINT32_MAX))
		return err_say(err, len, -EINVAL, "vsock guest_cid %u: "
			       "expected 3 to %u (0-2 are reserved)",
			       c->vsock.guest_cid, UINT32_MAX - 1);
	if (c->vsock.enabled && (!c->vsock.uds_path || !c->vsock.uds_path[0]))
		return err_say(err, len, -EINVAL, "vsock needs the host "
			       "side's Unix socket path");
	if (c->balloon.enabled &&
	    ((uint64_t)c->balloon.target_mib << 20) > c->mem_size)
		return err_say(err, len, -EINVAL, "balloon amount_mib %u is "
			       "more than the VM's memory (%llu MiB)",
			       c->balloon.target_mib,
			       (unsigned long long)(c->mem_size >> 20));
	return 0;
}
