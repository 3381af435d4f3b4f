// SPDX-License-Identifier: MIT
#include "machine/devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/log.h"
#include "machine/vm.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "virtio/virtio_pci.h"
#include "virtio/vsock.h"

/*
 * Every virtio device type vmon has, in PCI slot order: how many the
 * configuration asks for and how to make one.  `make` fills *out with a
 * new struct virtio_dev (see virtio.h), which the transport then owns,
 * or returns -errno with e filled in.
 */
struct device_kind {
	const char *name;
	unsigned int (*count)(const struct vm_config *cfg);
	int (*make)(struct vm *vm, unsigned int index, struct virtio_dev **out,
		    struct vmon_err *e);
};

static int no_memory(struct vmon_err *e, const char *name)
{
	return err_set(e, ERR_HOST, -ENOMEM, "cannot create %s: out of memory",
		       name);
}

static unsigned int rng_count(const struct vm_config *cfg)
{
	return cfg->rng ? 1 : 0;
}

static int rng_make(struct vm *vm, unsigned int index, struct virtio_dev **out,
		    struct vmon_err *e)
{
	struct virtio_rng *rng;
	int ret = virtio_rng_new(&vm->cfg.rng_limit, vm->loop, &vm->metrics,
				 &rng);

	if (ret == -ENOMEM)
		return no_memory(e, "virtio-rng");
	/* The machine always has a loop: no -EINVAL for the limit. */
	if (ret)
		return err_set(e, ERR_HOST, ret,
			       "cannot create virtio-rng's rate limit timer: %s",
			       strerror(-ret));
	*out = &rng->vd;
	return 0;
}

static unsigned int net_count(const struct vm_config *cfg)
{
	return cfg->nr_nets;
}

static int net_make(struct vm *vm, unsigned int index, struct virtio_dev **out,
		    struct vmon_err *e)
{
	struct virtio_net *net = virtio_net_from_config(&vm->cfg.nets[index],
							vm->loop, &vm->metrics,
							e);

	if (!net)
		return e && e->code ? e->code : no_memory(e, "virtio-net");
	*out = &net->vd;
	return 0;
}

static unsigned int blk_count(const struct vm_config *cfg)
{
	return cfg->nr_disks;
}

/* A disk that cannot be used is the operator's to fix. */
static int blk_make(struct vm *vm, unsigned int index, struct virtio_dev **out,
		    struct vmon_err *e)
{
	const struct blk_params p = {
		.disk = &vm->cfg.disks[index], .index = index,
		.loop = vm->loop, .registry = &vm->metrics,
	};
	struct virtio_blk *b;
	char why[512];
	int ret = virtio_blk_new(&p, &b, why, sizeof(why));

	if (ret)
		return err_set(e, ret == -ENOMEM ? ERR_HOST : ERR_USAGE, ret,
			       "%s", why);
	*out = &b->vd;
	return 0;
}

static unsigned int vsock_count(const struct vm_config *cfg)
{
	return cfg->vsock.enabled ? 1 : 0;
}

/* A socket path that cannot be listened on is the operator's to fix. */
static int vsock_make(struct vm *vm, unsigned int index,
		      struct virtio_dev **out, struct vmon_err *e)
{
	struct virtio_vsock *vs = virtio_vsock_new(&vm->cfg.vsock, vm->loop,
						   &vm->metrics);

	if (!vs)
		return err_set(e, ERR_USAGE, -EINVAL, "virtio-vsock: cannot "
			       "serve uds_path %s (vmon's log says why)",
			       vm->cfg.vsock.uds_path);
	*out = &vs->vd;
	return 0;
}

static unsigned int balloon_count(const struct vm_config *cfg)
{
	return cfg->balloon.enabled ? 1 : 0;
}

static int balloon_make(struct vm *vm, unsigned int index,
			struct virtio_dev **out, struct vmon_err *e)
{
	struct virtio_balloon *b = virtio_balloon_new(&vm->cfg.balloon,
						      vm->loop, &vm->metrics);

	if (!b)
		return no_memory(e, "virtio-balloon");
	*out = &b->vd;
	return 0;
}

static const struct device_kind kinds[] = {
	{ "virtio-rng", rng_count, rng_make },
	{ "virtio-net", net_count, net_make },
	{ "virtio-blk", blk_count, blk_make },
	{ "virtio-vsock", vsock_count, vsock_make },
	{ "virtio-balloon", balloon_count, balloon_make },
};

int virtio_devices_create(struct vm *vm, struct vmon_err *e)
{
	struct virtio_devices *vds = vm->virtio;
	int ret;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		unsigned int n = kinds[k].count(&vm->cfg);

		for (unsigned int i = 0; i < n; i++) {
			struct virtio_dev *vd;

			if (vds->nr == VIRTIO_MAX_DEVICES)
				return err_set(e, ERR_USAGE, -ENOSPC, "too many "
					       "virtio devices: at most %d",
					       VIRTIO_MAX_DEVICES);
			if ((ret = kinds[k].make(vm, i, &vd, e)))
				return ret;
			ret = virtio_pci_create(vm->pci, vd, &vm->mem, vm->loop,
						&vds->dev[vds->nr]);
			if (ret) {
				if (vd->ops->destroy)
					vd->ops->destroy(vd);
				return err_set(e, ERR_HOST, ret, "cannot put %s "
					       "#%u on PCI: %s", kinds[k].name,
					       i, strerror(-ret));
			}
			log_info("%s: virtio-pci at 00:%02x.0",
				 kinds[k].name, vds->dev[vds->nr]->pci.slot);
			vds->nr++;
		}
	}
	return 0;
}

struct virtio_dev *virtio_devices_find(struct vm *vm, uint16_t type)
{
	struct virtio_devices *vds = vm->virtio;

	for (unsigned int i = 0; vds && i < vds->nr; i++)
		if (vds->dev[i]->vd->type == type)
			return vds->dev[i]->vd;
	return NULL;
}

struct virtio_blk *vm_blk_by_id(struct vm *vm, const char *id)
{
	struct virtio_devices *vds = vm->virtio;

	for (unsigned int i = 0; vds && id && i < vds->nr; i++) {
		struct virtio_blk *b = virtio_blk_of(vds->dev[i]->vd);

		if (b && b->id && !strcmp(b->id, id))
			return b;
	}
	return NULL;
}

int vm_disks_set_locked(struct vm *vm, bool locked, struct vmon_err *e)
{
	struct virtio_devices *vds = vm->virtio;
	char err[300];

	for (unsigned int i = 0; vds && i < vds->nr; i++) {
		struct virtio_blk *b = virtio_blk_of(vds->dev[i]->vd);

		if (b && virtio_blk_set_locked(b, locked, err, sizeof(err)))
			return err_set(e, ERR_HOST, -EINVAL, "%s", err);
	}
	return 0;
}

struct virtio_net *vm_net_by_id(struct vm *vm, const char *id)
{
	struct virtio_devices *vds = vm->virtio;

	for (unsigned int i = 0; vds && id && i < vds->nr; i++) {
		struct virtio_net *n = virtio_net_of(vds->dev[i]->vd);

		if (n && !strcmp(n->id, id))
			return n;
	}
	return NULL;
}

struct virtio_balloon *vm_balloon(struct vm *vm)
{
	return virtio_balloon_of(virtio_devices_find(vm, VIRTIO_ID_BALLOON));
}

void virtio_devices_destroy(struct vm *vm)
{
	struct virtio_devices *vds = vm->virtio;

	if (!vds)
		return;
	while (vds->nr)
		virtio_pci_destroy(vds->dev[--vds->nr]);
}
