// SPDX-License-Identifier: MIT
#include "machine/snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/x86/vcpu_state.h"
#include "hw/acpi_pm.h"
#include "hw/i8042.h"
#include "hw/rtc.h"
#include "hw/serial.h"
#include "lib/log.h"
#include "lib/snapfile.h"
#include "machine/devices.h"
#include "machine/vm_config_snap.h"
#include "virtio/virtio_pci.h"

#define SNAP_ARCH "x86_64"

/*
 * A part that failed without filling e (an encoder out of memory, say)
 * still gets a message naming it.
 */
static int named(struct vmon_err *e, int ret, const char *what)
{
	if (ret && !e->code)
		err_set(e, ERR_HOST, ret, "snapshot: %s: %s", what,
			strerror(-ret));
	return ret;
}

/* enc holds a part's payload (or its failure, ret): add it as name. */
static int add(struct snap_writer *w, const char *name, uint32_t version,
	       struct snap_enc *enc, int ret, struct vmon_err *e)
{
	if (ret) {
		snap_enc_free(enc);
		return named(e, ret, name);
	}
	return snap_writer_add_enc(w, name, version, enc, e);
}

static int save_parts(struct vm *vm, struct snap_writer *w,
		      struct vmon_err *e)
{
	struct snap_enc enc;
	char name[32];	/* "virtio.N", under SNAP_NAME_MAX for any real N */
	int ret;

	snap_enc_init(&enc);
	if ((ret = add(w, "config", VM_CONFIG_SNAP_VERSION, &enc,
		       vm_config_save(&vm->cfg, &enc), e)))
		return ret;
	if ((ret = add(w, "x86.vm", X86_VM_SNAP_VERSION, &enc,
		       x86_vm_state_save(vm->kvm.vm_fd, &enc, e), e)))
		return ret;
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		snprintf(name, sizeof(name), "vcpu.%u", i);
		if ((ret = add(w, name, X86_VCPU_SNAP_VERSION, &enc,
			       x86_vcpu_save(vm->kvm.kvm_fd, vm->vcpus[i].fd,
					     &enc, e), e)))
			return ret;
	}
	if ((ret = add(w, "serial", SERIAL_SNAP_VERSION, &enc,
		       serial_save(vm->serial, &enc), e)) ||
	    (ret = add(w, "i8042", I8042_SNAP_VERSION, &enc,
		       i8042_save(vm->i8042, &enc), e)) ||
	    (ret = add(w, "rtc", RTC_SNAP_VERSION, &enc,
		       rtc_save(vm->rtc, &enc), e)) ||
	    (ret = add(w, "acpi_pm", ACPI_PM_SNAP_VERSION, &enc,
		       acpi_pm_save(vm->pm, &enc), e)))
		return ret;
	for (unsigned int i = 0; vm->virtio && i < vm->virtio->nr; i++) {
		snprintf(name, sizeof(name), "virtio.%u", i);
		if ((ret = add(w, name, VIRTIO_PCI_SNAP_VERSION, &enc,
			       virtio_pci_save(vm->virtio->dev[i], &enc, e),
			       e)))
			return ret;
	}
	return 0;
}

int vm_snapshot_save(struct vm *vm, const char *state_path,
		     const char *mem_path, bool diff, struct vmon_err *e)
{
	uint64_t *dirty = NULL;
	struct snap_writer *w;
	int ret;

	if (diff && (!vm->cfg.track_dirty || vm->dirty_for_migration))
		return err_set(e, ERR_USAGE, -EINVAL, "a Diff snapshot needs "
			       "dirty page tracking: track_dirty_pages in "
			       "machine-config before boot, or "
			       "enable_diff_snapshots at load");
	if (diff && vm->diff_base_lost)
		return err_set(e, ERR_USAGE, -EINVAL, "a migration attempt took "
			       "the pages written since the last snapshot: take "
			       "a Full snapshot before the next Diff");
	if ((ret = snap_writer_new(&w, SNAP_ARCH, e)))
		return ret;
	/* Completions and their interrupts first: the LAPICs read next. */
	for (unsigned int i = 0; vm->virtio && i < vm->virtio->nr; i++)
		virtio_pci_quiesce(vm->virtio->dev[i]);
	if ((ret = save_parts(vm, w, e)))
		goto out;
	/*
	 * Tracking: every snapshot, Full or Diff, starts the next diff from
	 * here, so its pages are taken (and cleared) now, and given back if
	 * this snapshot fails.
	 */
	if (vm->cfg.track_dirty) {
		dirty = calloc((gm_pages(&vm->mem) + 63) / 64 + 1,
			       sizeof(*dirty));
		if (!dirty) {
			ret = err_set(e, ERR_HOST, -ENOMEM, "out of memory");
			goto out;
		}
		if ((ret = vm_take_dirty(vm, dirty))) {
			err_set(e, ERR_HOST, ret, "cannot read the dirty page "
				"log: %s", strerror(-ret));
			goto fail_dirty;
		}
	}
	/* RAM first: a state file then always has its memory beside it. */
	ret = diff ? snap_mem_write_diff(mem_path, vm->mem.mapping,
					 vm->mem.mapping_size, dirty, e)
		   : snap_mem_write(mem_path, vm->mem.mapping,
				    vm->mem.mapping_size, e);
	if (ret)
		goto fail_dirty;
	if ((ret = snap_writer_write(w, state_path, e))) {
		unlink(mem_path);	/* no half snapshot */
		goto fail_dirty;
	}
	if (!diff)
		vm->diff_base_lost = false;
	goto out;
fail_dirty:
	if (dirty)
		gm_return_dirty(&vm->mem, dirty);
out:
	free(dirty);
	snap_writer_free(w);
	return ret;
}

int vm_state_image(struct vm *vm, uint8_t **buf, size_t *len,
		   struct vmon_err *e)
{
	struct snap_writer *w;
	int ret;

	*buf = NULL;
	*len = 0;
	if ((ret = snap_writer_new(&w, SNAP_ARCH, e)))
		return ret;
	for (unsigned int i = 0; vm->virtio && i < vm->virtio->nr; i++)
		virtio_pci_quiesce(vm->virtio->dev[i]);
	if (!(ret = save_parts(vm, w, e)))
		ret = snap_writer_image(w, buf, len, e);
	snap_writer_free(w);
	return ret;
}

int vm_config_image(const struct vm *vm, uint8_t **buf, size_t *len,
		    struct vmon_err *e)
{
	struct snap_writer *w;
	struct snap_enc enc;
	int ret;

	*buf = NULL;
	*len = 0;
	if ((ret = snap_writer_new(&w, SNAP_ARCH, e)))
		return ret;
	snap_enc_init(&enc);
	if (!(ret = add(w, "config", VM_CONFIG_SNAP_VERSION, &enc,
			vm_config_save(&vm->cfg, &enc), e)))
		ret = snap_writer_image(w, buf, len, e);
	snap_writer_free(w);
	return ret;
}

int vm_config_from_image(const void *buf, size_t len, const char *what,
			 struct vm_config_owned *own, struct vmon_err *e)
{
	struct snap_reader *r = NULL;
	struct snap_dec d;
	int ret;

	if (!(ret = snap_reader_parse(&r, buf, len, what, SNAP_ARCH, e)) &&
	    !(ret = snap_dec_begin(r, "config", VM_CONFIG_SNAP_VERSION, &d, e)))
		ret = named(e, vm_config_restore(&d, own), "config");
	if (!ret)
		ret = snap_reader_all_used(r, e);
	snap_reader_free(r);
	return ret;
}

static int restore_vcpus(struct vm *vm, struct snap_reader *r,
			 struct vmon_err *e)
{
	struct snap_dec d;
	char name[32];	/* "virtio.N", under SNAP_NAME_MAX for any real N */
	int ret;

	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *vcpu = &vm->vcpus[i];

		snprintf(name, sizeof(name), "vcpu.%u", i);
		/* CPUID as at boot, before the registers it gives meaning to. */
		if ((ret = vm_vcpu_set_cpuid(vm, vcpu)))
			return named(e, ret, "KVM_SET_CPUID2");
		if ((ret = snap_dec_begin(r, name, X86_VCPU_SNAP_VERSION, &d,
					  e)) ||
		    (ret = x86_vcpu_restore(vm->kvm.kvm_fd, vcpu->fd, &d, e)))
			return named(e, ret, name);
	}
	return 0;
}

/* One part's section into its restore function. */
#define RESTORE(r, name, version, fn, obj, e)				\
	({								\
		struct snap_dec d_;					\
		int r_ = snap_dec_begin((r), (name), (version), &d_, (e)); \
		named((e), r_ ? r_ : fn((obj), &d_), (name));		\
	})

static int restore_parts(struct vm *vm, struct snap_reader *r,
			 struct vmon_err *e)
{
	struct snap_dec d;
	char name[32];	/* "virtio.N", under SNAP_NAME_MAX for any real N */
	int ret;

	/* The irqchip and PIT before the vCPUs whose LAPICs talk to them. */
	if ((ret = snap_dec_begin(r, "x86.vm", X86_VM_SNAP_VERSION, &d, e)) ||
	    (ret = x86_vm_state_restore(vm->kvm.vm_fd, &d, e)))
		return named(e, ret, "x86.vm");
	if ((ret = restore_vcpus(vm, r, e)))
		return ret;
	if ((ret = RESTORE(r, "serial", SERIAL_SNAP_VERSION, serial_restore,
			   vm->serial, e)) ||
	    (ret = RESTORE(r, "i8042", I8042_SNAP_VERSION, i8042_restore,
			   vm->i8042, e)) ||
	    (ret = RESTORE(r, "rtc", RTC_SNAP_VERSION, rtc_restore, vm->rtc,
			   e)) ||
	    (ret = RESTORE(r, "acpi_pm", ACPI_PM_SNAP_VERSION,
			   acpi_pm_restore, vm->pm, e)))
		return ret;
	for (unsigned int i = 0; vm->virtio && i < vm->virtio->nr; i++) {
		snprintf(name, sizeof(name), "virtio.%u", i);
		if ((ret = snap_dec_begin(r, name, VIRTIO_PCI_SNAP_VERSION, &d,
					  e)) ||
		    (ret = virtio_pci_restore(vm->virtio->dev[i], &d, e)))
			return named(e, ret, name);
	}
	/* A section nobody read is state this vmon would drop: refuse. */
	return snap_reader_all_used(r, e);
}

/* The VM of reader r, its RAM from o (a memory file or a memfd). */
static int restore_from(struct vm *vm, struct snap_reader *r, const char *what,
			const char *mem_path, const struct vm_restore_opts *o,
			struct evloop *loop, struct vmon_err *e)
{
	struct vm_config_owned *own = calloc(1, sizeof(*own));
	struct snap_dec d;
	int ret;

	if (!own)
		return err_set(e, ERR_HOST, -ENOMEM, "out of memory");
	if ((ret = snap_dec_begin(r, "config", VM_CONFIG_SNAP_VERSION, &d,
				  e)) ||
	    (ret = named(e, vm_config_restore(&d, own), "config")))
		goto out;
	own->cfg.serial_mode = o->serial_mode;
	own->cfg.serial_path = o->serial_path;
	own->cfg.no_seccomp = o->no_seccomp;
	own->cfg.track_dirty = o->track_dirty;
	own->cfg.mem_file = mem_path;
	own->cfg.has_mem_fd = o->mem_fd >= 0 && !mem_path;
	own->cfg.mem_fd = o->mem_fd;
	for (unsigned int i = 0; i < own->cfg.nr_disks; i++)
		own->cfg.disks[i].defer_lock = o->defer_disk_locks;
	if ((ret = vm_create(vm, &own->cfg, loop, e)))
		goto out_cfg;
	vm->owned_cfg = own;	/* vm->cfg's strings; vm_destroy frees it */
	own = NULL;
	if ((ret = restore_parts(vm, r, e)))
		vm_destroy(vm);
	else
		log_info("restored from %s: %u vCPUs, %llu MiB", what,
			 vm->nr_vcpus,
			 (unsigned long long)(vm->cfg.mem_size >> 20));
	goto out;
out_cfg:
	vm_config_owned_free(own);
out:
	free(own);
	return ret;
}

int vm_restore(struct vm *vm, const char *state_path, const char *mem_path,
	       const struct vm_restore_opts *o, struct evloop *loop,
	       struct vmon_err *e)
{
	struct vm_restore_opts fo = *o;
	struct snap_reader *r = NULL;
	int ret;

	fo.mem_fd = -1;
	if (!(ret = snap_reader_open(&r, state_path, SNAP_ARCH, e)))
		ret = restore_from(vm, r, state_path, mem_path, &fo, loop, e);
	snap_reader_free(r);
	return ret;
}

int vm_restore_image(struct vm *vm, const void *buf, size_t len,
		     const char *what, const struct vm_restore_opts *o,
		     struct evloop *loop, struct vmon_err *e)
{
	struct snap_reader *r = NULL;
	int ret;

	if (!(ret = snap_reader_parse(&r, buf, len, what, SNAP_ARCH, e)))
		ret = restore_from(vm, r, what, NULL, o, loop, e);
	snap_reader_free(r);
	return ret;
}
