// SPDX-License-Identifier: MIT
#include "machine/devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
 * configuration asks for and how to make one.  `make` returns a filled-in
 * struct virtio_dev (see virtio.h) or NULL; the transport owns it then.
 */
struct device_kind {
	const char *name;
	unsigned int (*count)(const struct vm_config *cfg);
	struct virtio_dev *(*make)(struct vm *vm, unsigned int index);
};

static unsigned int rng_count(const struct vm_config *cfg)
{
	return cfg->rng ? 1 : 0;
}

static struct virtio_dev *rng_make(struct vm *vm, unsigned int index)
{
	struct virtio_rng *rng = virtio_rng_new();

	return rng ? &rng->vd : NULL;
}

static unsigned int net_count(const struct vm_config *cfg)
{
	return cfg->nr_nets;
}

static struct virtio_dev *net_make(struct vm *vm, unsigned int index)
{
	struct virtio_net *net = virtio_net_from_config(&vm->cfg.nets[index],
							vm->loop, &vm->metrics);

	return net ? &net->vd : NULL;
}

static unsigned int blk_count(const struct vm_config *cfg)
{
	return cfg->nr_disks;
}

/* A disk that cannot be used sets errno to EINVAL (exit status 2). */
static struct virtio_dev *blk_make(struct vm *vm, unsigned int index)
{
	const struct blk_params p = {
		.disk = &vm->cfg.disks[index], .index = index,
		.loop = vm->loop, .registry = &vm->metrics,
	};
	struct virtio_blk *b;
	char err[512];
	int ret = virtio_blk_new(&p, &b, err, sizeof(err));

	if (ret) {
		log_error("%s", err);
		errno = -ret;
		return NULL;
	}
	return &b->vd;
}

static unsigned int vsock_count(const struct vm_config *cfg)
{
	return cfg->vsock.enabled ? 1 : 0;
}

/* A socket path that cannot be listened on is a bad argument: EINVAL. */
static struct virtio_dev *vsock_make(struct vm *vm, unsigned int index)
{
	struct virtio_vsock *vs = virtio_vsock_new(&vm->cfg.vsock, vm->loop,
						   &vm->metrics);

	if (!vs)
		errno = EINVAL;
	return vs ? &vs->vd : NULL;
}

static unsigned int balloon_count(const struct vm_config *cfg)
{
	return cfg->balloon.enabled ? 1 : 0;
}

static struct virtio_dev *balloon_make(struct vm *vm, unsigned int index)
{
	struct virtio_balloon *b = virtio_balloon_new(&vm->cfg.balloon,
						      vm->loop, &vm->metrics);

	return b ? &b->vd : NULL;
}

static const struct device_kind kinds[] = {
	{ "virtio-rng", rng_count, rng_make },
	{ "virtio-net", net_count, net_make },
	{ "virtio-blk", blk_count, blk_make },
	{ "virtio-vsock", vsock_count, vsock_make },
	{ "virtio-balloon", balloon_count, balloon_make },
	/* Next: virtio-blk (cfg->disks), virtio-net (cfg->nets), vsock,
	 * balloon. */
};

int virtio_devices_create(struct vm *vm)
{
	struct virtio_devices *vds = vm->virtio;
	int ret;

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		unsigned int n = kinds[k].count(&vm->cfg);

		for (unsigned int i = 0; i < n; i++) {
			struct virtio_dev *vd;

			if (vds->nr == VIRTIO_MAX_DEVICES) {
				log_error("too many virtio devices: at most %d",
					  VIRTIO_MAX_DEVICES);
				return -ENOSPC;
			}
			errno = 0;
			vd = kinds[k].make(vm, i);
			if (!vd) {
				log_error("cannot create %s #%u", kinds[k].name, i);
				return errno ? -errno : -ENOMEM;
			}
			ret = virtio_pci_create(vm->pci, vd, &vm->mem, vm->loop,
						&vds->dev[vds->nr]);
			if (ret) {
				if (vd->ops->destroy)
					vd->ops->destroy(vd);
				return ret;
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
