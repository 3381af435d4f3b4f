// SPDX-License-Identifier: MIT
/*
 * The VMM's devices as the API configures them: drives, network
 * interfaces, vsock, entropy and the balloon, before the start (kept in
 * the VMM's own copies) and, where Firecracker allows it, at run time
 * (media change, balloon target and statistics).
 */
#include "vmm/vmm.h"
#include "vmm/vmm_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/devices.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/net.h"

void vmm_free_drive(struct vmm_drive *d)
{
	free(d->id);
	free(d->path);
	free(d->partuuid);
	memset(d, 0, sizeof(*d));
}

void vmm_free_net(struct vmm_net *n)
{
	free(n->id);
	free(n->tap);
	memset(n, 0, sizeof(*n));
}

static struct vmm_drive *find_drive(struct vmm *v, const char *id)
{
	for (unsigned int i = 0; i < v->nr_drives; i++)
		if (!strcmp(v->drives[i].id, id))
			return &v->drives[i];
	return NULL;
}

int vmm_put_drive(struct vmm *v, const struct vmm_drive_req *r, char *err,
		  size_t len)
{
	struct vmm_drive d = { 0 }, *old;
	struct vm_config c;
	unsigned int i;
	int ret;

	if ((ret = vmm_pre_boot(v, "drives", err, len)))
		return ret;
	old = find_drive(v, r->id);
	if (!old && v->nr_drives == VM_MAX_DISKS)
		return err_say(err, len, -ENOSPC, "at most %d drives",
			   VM_MAX_DISKS);
	/* The configuration with this drive in, as the VM would get it. */
	vmm_config_view(v, &c);
	i = old ? (unsigned int)(old - v->drives) : c.nr_disks++;
	c.disks[i] = (struct disk_config){ .id = r->id, .path = r->path,
					   .read_only = r->read_only,
					   .is_root = r->root,
					   .cache = r->cache,
					   .limit = r->limit };
	if ((ret = vm_config_check(&c, err, len)))
		return ret;
	if ((ret = vmm_check_file("path_on_host", r->path,
			      r->read_only ? O_RDONLY : O_RDWR, err, len)))
		return ret;
	d.root = r->root;
	d.read_only = r->read_only;
	d.cache = r->cache;
	d.limit = r->limit;
	if (vmm_set_str(&d.id, r->id) || vmm_set_str(&d.path, r->path) ||
	    vmm_set_str(&d.partuuid, r->partuuid)) {
		vmm_free_drive(&d);
		return err_say(err, len, -ENOMEM, "out of memory");
	}
	if (old) {
		vmm_free_drive(old);
		*old = d;
	} else {
		old = &v->drives[v->nr_drives++];
		*old = d;
	}
	/* Firecracker's order: the root drive first (/dev/vda). */
	if (d.root && old != &v->drives[0]) {
		memmove(&v->drives[1], &v->drives[0],
			(size_t)(old - v->drives) * sizeof(d));
		v->drives[0] = d;
	}
	return 0;
}

/* Firecracker's semantics: same drive, new file, new capacity. */
static int patch_media(struct vmm *v, struct vmm_drive *d,
		       struct virtio_blk *b, const char *path, char *err,
		       size_t len)
{
	char *copy;
	size_t i;
	int ret;

	if ((ret = vmm_check_file("path_on_host", path,
			      d->read_only ? O_RDONLY : O_RDWR, err, len)))
		return ret;
	if (!(copy = strdup(path)))
		return err_say(err, len, -ENOMEM, "out of memory");
	if ((ret = virtio_blk_set_media(b, path, err, len))) {
		free(copy);
		return ret;
	}
	i = (size_t)(d - v->drives);
	v->cfg.disks[i].path = v->vm.cfg.disks[i].path = copy;
	free(d->path);
	d->path = copy;
	return 0;
}

/* The device's limiter, then what /vm/config shows (VMM thread). */
static int patch_drive_limit(struct vmm *v, struct vmm_drive *d,
			     struct virtio_blk *b,
			     const struct rate_limiter_patch *limit, char *err,
			     size_t len)
{
	size_t i = (size_t)(d - v->drives);
	int ret;

	if ((ret = virtio_blk_set_limit(b, limit, err, len)))
		return ret;
	rate_limiter_patch_config(&d->limit, limit);
	v->cfg.disks[i].limit = v->vm.cfg.disks[i].limit = d->limit;
	return 0;
}

int vmm_patch_drive(struct vmm *v, const char *id, const char *path,
		    const struct rate_limiter_patch *limit, char *err,
		    size_t len)
{
	struct vmm_drive *d;
	struct virtio_blk *b;
	int ret;

	if ((ret = vmm_post_boot(v, "PATCH /drives", err, len)))
		return ret;
	d = find_drive(v, id);
	if (!d)
		return err_say(err, len, -ENOENT, "no drive '%s'", id);
	if (!path && !limit)
		return 0;
	b = vm_blk_by_id(&v->vm, id);
	if (!b)
		return err_say(err, len, -ENODEV, "drive '%s' has no virtio-block "
			   "device", id);
	if (path && (ret = patch_media(v, d, b, path, err, len)))
		return ret;
	if (limit)
		return patch_drive_limit(v, d, b, limit, err, len);
	return 0;
}

static struct vmm_net *find_net(struct vmm *v, const char *id)
{
	for (unsigned int i = 0; i < v->nr_nets; i++)
		if (!strcmp(v->nets[i].id, id))
			return &v->nets[i];
	return NULL;
}

int vmm_put_net(struct vmm *v, const struct vmm_net_req *r, char *err,
		size_t len)
{
	struct vmm_net n = { 0 }, *old;
	struct vm_config c;
	unsigned int i;
	int ret;

	if ((ret = vmm_pre_boot(v, "network interfaces", err, len)))
		return ret;
	old = find_net(v, r->id);
	if (!old && v->nr_nets == VM_MAX_NETS)
		return err_say(err, len, -ENOSPC, "at most %d network interfaces",
			   VM_MAX_NETS);
	vmm_config_view(v, &c);
	i = old ? (unsigned int)(old - v->nets) : c.nr_nets++;
	c.nets[i] = (struct net_config){ .id = r->id, .tap = r->tap,
					 .has_mac = r->has_mac,
					 .rx_limit = r->rx_limit,
					 .tx_limit = r->tx_limit };
	memcpy(c.nets[i].mac, r->mac, 6);
	if ((ret = vm_config_check(&c, err, len)))
		return ret;
	memcpy(n.mac, r->mac, 6);
	n.has_mac = r->has_mac;
	n.rx_limit = r->rx_limit;
	n.tx_limit = r->tx_limit;
	if (vmm_set_str(&n.id, r->id) || vmm_set_str(&n.tap, r->tap)) {
		vmm_free_net(&n);
		return err_say(err, len, -ENOMEM, "out of memory");
	}
	if (old)
		vmm_free_net(old);
	else
		old = &v->nets[v->nr_nets++];
	*old = n;
	return 0;
}

int vmm_patch_net(struct vmm *v, const char *id,
		  const struct rate_limiter_patch *rx,
		  const struct rate_limiter_patch *tx, char *err, size_t len)
{
	struct vmm_net *n;
	struct virtio_net *dev;
	size_t i;
	int ret;

	if ((ret = vmm_post_boot(v, "PATCH /network-interfaces", err, len)))
		return ret;
	if (!(n = find_net(v, id)))
		return err_say(err, len, -ENOENT, "no network interface '%s'", id);
	if (!rx && !tx)
		return 0;
	if (!(dev = vm_net_by_id(&v->vm, id)))
		return err_say(err, len, -ENODEV, "network interface '%s' has no "
			       "virtio-net device", id);
	if ((ret = virtio_net_set_limits(dev, rx, tx)))
		return err_say(err, len, ret, "network interface '%s': no event "
			       "loop for a rate limiter", id);
	if (rx)
		rate_limiter_patch_config(&n->rx_limit, rx);
	if (tx)
		rate_limiter_patch_config(&n->tx_limit, tx);
	i = (size_t)(n - v->nets);
	v->cfg.nets[i].rx_limit = v->vm.cfg.nets[i].rx_limit = n->rx_limit;
	v->cfg.nets[i].tx_limit = v->vm.cfg.nets[i].tx_limit = n->tx_limit;
	return 0;
}

int vmm_put_vsock(struct vmm *v, const struct vmm_vsock_req *r, char *err,
		  size_t len)
{
	struct vm_config c;
	int ret;

	if ((ret = vmm_pre_boot(v, "vsock", err, len)))
		return ret;
	vmm_config_view(v, &c);
	c.vsock = (struct vsock_config){ .enabled = true, .guest_cid = r->cid,
					 .uds_path = r->uds_path };
	if ((ret = vm_config_check(&c, err, len)))
		return ret;
	if (vmm_set_str(&v->vsock_uds, r->uds_path) ||
	    vmm_set_str(&v->vsock_id, r->vsock_id))
		return err_say(err, len, -ENOMEM, "out of memory");
	v->vsock_cid = r->cid;
	v->has_vsock = true;
	return 0;
}

int vmm_put_entropy(struct vmm *v, const struct rate_limiter_config *limit,
		    char *err, size_t len)
{
	int ret = vmm_pre_boot(v, "the entropy device", err, len);

	if (!ret) {
		v->has_entropy = true;
		v->entropy_limit = *limit;
	}
	return ret;
}

int vmm_put_balloon(struct vmm *v, const struct balloon_config *r, char *err,
		    size_t len)
{
	struct vm_config c;
	int ret;

	if ((ret = vmm_pre_boot(v, "the balloon (PUT)", err, len)))
		return ret;
	vmm_config_view(v, &c);
	c.balloon = *r;
	c.balloon.enabled = true;
	if ((ret = vm_config_check(&c, err, len)))
		return ret;
	v->balloon = *r;
	v->balloon.enabled = true;
	return 0;
}

/* The started VM's balloon device (VMM thread). */
static struct virtio_balloon *running_balloon(struct vmm *v)
{
	return v->vm_created ? vm_balloon(&v->vm) : NULL;
}

int vmm_patch_balloon(struct vmm *v, uint32_t amount_mib, char *err,
		      size_t len)
{
	struct virtio_balloon *b;
	struct vm_config c;
	int ret;

	if (!v->balloon.enabled)
		return err_say(err, len, -ENOENT, "no balloon device is configured");
	vmm_config_view(v, &c);
	c.balloon.target_mib = amount_mib;
	if ((ret = vm_config_check(&c, err, len)))
		return ret;
	if (vmm_state(v) == VMM_NOT_STARTED) {
		v->balloon.target_mib = amount_mib;
		return 0;
	}
	if (!(b = running_balloon(v)))
		return err_say(err, len, -ENODEV, "the VM has no balloon device");
	virtio_balloon_set_target(b, amount_mib);
	v->balloon.target_mib = amount_mib;
	return 0;
}

int vmm_patch_balloon_stats(struct vmm *v, uint32_t interval_s, char *err,
			    size_t len)
{
	struct virtio_balloon *b;

	if (!v->balloon.enabled)
		return err_say(err, len, -ENOENT, "no balloon device is configured");
	if (vmm_state(v) == VMM_NOT_STARTED) {
		v->balloon.stats_interval_s = interval_s;
		return 0;
	}
	if (!v->balloon.stats_interval_s != !interval_s)
		return err_say(err, len, -EINVAL, "balloon statistics cannot be "
			   "turned on or off after the VM starts");
	if (!(b = running_balloon(v)))
		return err_say(err, len, -ENODEV, "the VM has no balloon device");
	if (virtio_balloon_set_stats_interval(b, interval_s))
		return err_say(err, len, -EINVAL, "cannot change the statistics "
			   "interval to %u s", interval_s);
	v->balloon.stats_interval_s = interval_s;
	return 0;
}

int vmm_balloon_stats(struct vmm *v, struct balloon_stats *out, char *err,
		      size_t len)
{
	struct virtio_balloon *b;

	if (!v->balloon.enabled)
		return err_say(err, len, -ENOENT, "no balloon device is configured");
	if (!v->balloon.stats_interval_s)
		return err_say(err, len, -EINVAL, "balloon statistics are not "
			   "enabled (stats_polling_interval_s is 0)");
	if (vmm_state(v) == VMM_NOT_STARTED)
		return err_say(err, len, -EPERM, "balloon statistics need a "
			   "started VM");
	if (!(b = running_balloon(v)))
		return err_say(err, len, -ENODEV, "the VM has no balloon device");
	virtio_balloon_get_stats(b, out);
	return 0;
}
