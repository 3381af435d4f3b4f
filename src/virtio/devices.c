// SPDX-License-Identifier: MIT
#include "virtio/devices.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/vm.h"
#include "virtio/rng.h"
#include "virtio/virtio_pci.h"

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

static const struct device_kind kinds[] = {
	{ "virtio-rng", rng_count, rng_make },
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
			vd = kinds[k].make(vm, i);
			if (!vd) {
				log_error("cannot create %s #%u", kinds[k].name, i);
				return -ENOMEM;
			}
			ret = virtio_pci_create(vm->pci, vd, &vm->mem, &vm->loop,
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

void virtio_devices_destroy(struct vm *vm)
{
	struct virtio_devices *vds = vm->virtio;

	if (!vds)
		return;
	while (vds->nr)
		virtio_pci_destroy(vds->dev[--vds->nr]);
}
