// SPDX-License-Identifier: MIT
/*
 * Firecracker's snapshot operations on the VMM state machine: create from
 * a paused VM, load into a fresh vmon that has been configured with
 * nothing else (docs/snapshot.md, "Through the API").
 */
#include <errno.h>
#include <string.h>

#include "lib/err.h"
#include "lib/log.h"
#include "machine/snapshot.h"
#include "vmm/serve.h"
#include "vmm/vmm.h"
#include "vmm/vmm_priv.h"

int vmm_snapshot_create(struct vmm *v, const struct vmm_snapshot_req *r,
			char *err, size_t len)
{
	struct vmon_err e = { 0 };
	int ret;

	evloop_assert_owner(&v->loop);
	if (vmm_state(v) != VMM_PAUSED)
		return err_say(err, len, -EPERM, "the VM must be paused to be "
			       "snapshotted (PATCH /vm {\"state\": \"Paused\"})");
	if ((ret = vm_snapshot_save(&v->vm, r->state_path, r->mem_path,
				    r->diff, &e)))
		return err_say(err, len, ret, "%s", e.msg);
	log_info("%s snapshot written: %s, memory %s", r->diff ? "diff" : "full",
		 r->state_path, r->mem_path);
	return 0;
}

/* Anything configured would be silently replaced by the snapshot's. */
bool vmm_configured(const struct vmm *v)
{
	return v->machine_set || v->kernel || v->nr_drives || v->nr_nets || v->has_vsock ||
	       v->has_entropy || v->balloon.enabled;
}

int vmm_snapshot_load(struct vmm *v, const struct vmm_snapshot_req *r,
		      char *err, size_t len)
{
	struct vm_restore_opts o = {
		.serial_mode = v->serial_path ? SERIAL_FILE : SERIAL_STDIO,
		.serial_path = v->serial_path,
		.no_seccomp = v->no_seccomp,
		.track_dirty = r->diff,
	};
	int ret;

	evloop_assert_owner(&v->loop);
	if (vmm_state(v) != VMM_NOT_STARTED)
		return err_say(err, len, -EPERM, "a snapshot loads only into a "
			       "vmon whose VM has not started");
	if (vmm_configured(v))
		return err_say(err, len, -EPERM, "a snapshot loads only into a "
			       "vmon with nothing configured: the snapshot "
			       "brings its own machine and devices");
	if (v->quit)
		return err_say(err, len, -ESHUTDOWN, "vmon is shutting down");
	v->start_err = (struct vmon_err){ 0 };
	if ((ret = vm_restore(&v->vm, r->state_path, r->mem_path, &o,
			      &v->loop, &v->start_err)))
		return err_say(err, len, ret, "%s", v->start_err.msg);
	v->track_dirty = r->diff;
	return vmm_adopt_restored(v, r->resume, err, len);
}

int vmm_adopt_restored(struct vmm *v, bool resume, char *err, size_t len)
{
	int ret;

	if ((ret = vm_serve_init(&v->serve, &v->vm))) {
		vm_destroy(&v->vm);
		return err_say(err, len, ret, "cannot serve the VM: %s",
			       strerror(-ret));
	}
	evloop_del(&v->loop, v->sig_fd);
	v->vm_created = true;
	/* GET /machine-config describes the machine the snapshot brought. */
	v->vcpus = v->vm.nr_vcpus;
	v->mem_mib = v->vm.cfg.mem_size >> 20;
	/* Parked before their first KVM_RUN unless asked to resume. */
	if (!resume)
		vm_pause(&v->vm);
	atomic_store(&v->state, resume ? VMM_RUNNING : VMM_PAUSED);
	if ((ret = vm_start_vcpus(&v->vm)))
		return err_say(err, len, ret, "cannot start the vCPUs: %s",
			       strerror(-ret));
	v->sandbox_pending = !v->no_seccomp;
	return 0;
}
