// SPDX-License-Identifier: MIT
#include "vmm/migrate.h"
#include "vmm/vmm.h"
#include "vmm/vmm_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "machine/devices.h"
#include "virtio/balloon.h"
#include "virtio/blk.h"

/* Make (Ctrl, Alt, Del), then break in reverse: scancode set 1. */
const uint8_t vmm_ctrl_alt_del_keys[8] = {
	0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d,
};

/* *dst = copy of src (NULL stays NULL).  0 or -ENOMEM. */
int vmm_set_str(char **dst, const char *src)
{
	char *s = NULL;

	if (src && !(s = strdup(src)))
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int vmm_pre_boot(struct vmm *v, const char *what, char *err, size_t len)
{
	if (vmm_state(v) != VMM_NOT_STARTED)
		return err_say(err, len, -EPERM, "%s can only be configured "
			   "before the VM starts", what);
	return 0;
}

int vmm_post_boot(struct vmm *v, const char *what, char *err, size_t len)
{
	if (vmm_state(v) == VMM_NOT_STARTED)
		return err_say(err, len, -EPERM, "%s needs a started VM", what);
	return 0;
}

/* Opens path as the VM will, so a missing file is reported now. */
int vmm_check_file(const char *field, const char *path, int flags,
		      char *err, size_t len)
{
	/* The mode counts where flags create the file (serial_out_path). */
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd < 0)
		return err_say(err, len, -errno, "%s %s: %s", field, path,
			   strerror(errno));
	close(fd);
	return 0;
}

const char *vmm_state_name(enum vmm_state s)
{
	switch (s) {
	case VMM_NOT_STARTED: return "Not started";
	case VMM_RUNNING: return "Running";
	case VMM_PAUSED: return "Paused";
	}
	return "Unknown";
}

struct evloop *vmm_loop(struct vmm *v)
{
	return &v->loop;
}

static void on_signal(void *opaque, uint32_t events)
{
	struct vmm *v = opaque;
	struct signalfd_siginfo si;

	evloop_assert_owner(&v->loop);
	if (read(v->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u before the VM started: exiting",
			 si.ssi_signo);
		v->quit = true;
	}
}

int vmm_init(struct vmm *v, const char *id)
{
	sigset_t set;
	int ret;

	memset(v, 0, sizeof(*v));
	snprintf(v->id, sizeof(v->id), "%s", id ? id : "anonymous-instance");
	atomic_init(&v->state, VMM_NOT_STARTED);
	v->vcpus = 1;
	v->mem_mib = VMM_DEFAULT_MEM_MIB;
	v->log_level = LOG_WARN;
	v->metrics_fd = v->sig_fd = v->timer_fd = v->stopped_fd = -1;
	if ((ret = evloop_init(&v->loop)))
		return ret;
	if ((ret = vm_block_stop_signals(&set)))
		goto err_loop;
	v->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	v->stopped_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->sig_fd < 0 || v->stopped_fd < 0) {
		ret = -errno;
		goto err_fds;
	}
	if ((ret = evloop_add(&v->loop, v->sig_fd, EPOLLIN, on_signal, v)))
		goto err_fds;
	return 0;
err_fds:
	if (v->sig_fd >= 0)
		close(v->sig_fd);
	if (v->stopped_fd >= 0)
		close(v->stopped_fd);
err_loop:
	evloop_destroy(&v->loop);
	return ret;
}

void vmm_destroy(struct vmm *v)
{
	vmm_migrate_free(v);
	if (v->vm_created) {
		vm_serve_fini(&v->serve);
		vm_destroy(&v->vm);
		v->vm_created = false;
	}
	for (unsigned int i = 0; i < v->nr_drives; i++)
		vmm_free_drive(&v->drives[i]);
	for (unsigned int i = 0; i < v->nr_nets; i++)
		vmm_free_net(&v->nets[i]);
	free(v->kernel);
	free(v->initrd);
	free(v->boot_args);
	free(v->vsock_uds);
	free(v->vsock_id);
	free(v->serial_path);
	free(v->log_path);
	free(v->log_module);
	free(v->metrics_path);
	free(v->metrics_extra);
	free(v->cmdline);
	if (v->metrics_fd >= 0)
		close(v->metrics_fd);
	if (v->timer_fd >= 0)
		close(v->timer_fd);
	close(v->sig_fd);
	close(v->stopped_fd);
	evloop_destroy(&v->loop);
}

/* ---- configuration ------------------------------------------------- */

int vmm_set_boot_source(struct vmm *v, const struct vmm_boot_source *r,
			char *err, size_t len)
{
	int ret;

	if ((ret = vmm_pre_boot(v, "the boot source", err, len)) ||
	    (ret = vmm_check_file("kernel_image_path", r->kernel, O_RDONLY, err,
			      len)))
		return ret;
	if (r->initrd &&
	    (ret = vmm_check_file("initrd_path", r->initrd, O_RDONLY, err, len)))
		return ret;
	if (vmm_set_str(&v->kernel, r->kernel) || vmm_set_str(&v->initrd, r->initrd) ||
	    vmm_set_str(&v->boot_args, r->boot_args))
		return err_say(err, len, -ENOMEM, "out of memory");
	return 0;
}

int vmm_set_machine(struct vmm *v, const struct vmm_machine *r, char *err,
		    size_t len)
{
	unsigned int vcpus = r->has_vcpus ? r->vcpus : v->vcpus;
	uint64_t mem = r->has_mem ? r->mem_mib : v->mem_mib;
	struct vm_config c;
	int ret;

	if ((ret = vmm_pre_boot(v, "the machine configuration", err, len)))
		return ret;
	if (vcpus < 1 || vcpus > VMM_MAX_VCPUS)
		return err_say(err, len, -EINVAL, "vcpu_count %u: expected 1 to %d",
			   vcpus, VMM_MAX_VCPUS);
	/* The bound also keeps mem << 20 far from overflowing. */
	if (mem < VMM_MIN_MEM_MIB || mem > VMM_MAX_MEM_MIB)
		return err_say(err, len, -EINVAL,
			   "mem_size_mib %llu: expected %d to %llu",
			   (unsigned long long)mem, VMM_MIN_MEM_MIB,
			   (unsigned long long)VMM_MAX_MEM_MIB);
	vmm_config_view(v, &c);
	c.nr_cpus = vcpus;
	c.mem_size = mem << 20;
	if ((ret = vm_config_check(&c, err, len)))
		return ret;
	v->vcpus = vcpus;
	v->mem_mib = mem;
	if (r->has_track)
		v->track_dirty = r->track_dirty;
	v->machine_set = true;
	return 0;
}

int vmm_put_serial(struct vmm *v, const char *path, char *err, size_t len)
{
	int ret;

	if ((ret = vmm_pre_boot(v, "the serial console", err, len)) ||
	    (ret = vmm_check_file("serial_out_path", path,
			      O_WRONLY | O_CREAT | O_APPEND, err, len)))
		return ret;
	return vmm_set_str(&v->serial_path, path) ?
		err_say(err, len, -ENOMEM, "out of memory") : 0;
}

/* A log or metrics destination: a FIFO (opened so it never blocks) or a file. */
static int open_sink(const char *field, const char *path, char *err,
		     size_t len)
{
	struct stat st;
	int flags = O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC;
	int fd;

	/* O_RDWR: a FIFO with no reader yet opens without ENXIO. */
	if (!stat(path, &st) && S_ISFIFO(st.st_mode))
		flags = O_RDWR | O_NONBLOCK | O_CLOEXEC;
	fd = open(path, flags, 0644);
	if (fd < 0)
		return err_say(err, len, -errno, "%s %s: %s", field, path,
			   strerror(errno));
	return fd;
}

int vmm_put_logger(struct vmm *v, const struct vmm_logger_req *r, char *err,
		   size_t len)
{
	int fd = -1;

	if (v->has_logger)
		return err_say(err, len, -EPERM, "the logger is already configured");
	if (r->path && (fd = open_sink("log_path", r->path, err, len)) < 0)
		return fd;
	if (vmm_set_str(&v->log_path, r->path) ||
	    vmm_set_str(&v->log_module, r->module)) {
		if (fd >= 0)
			close(fd);
		return err_say(err, len, -ENOMEM, "out of memory");
	}
	v->log_level = r->level;
	v->log_show_level = r->show_level;
	v->log_show_origin = r->show_origin;
	v->has_logger = true;
	log_set_level(r->level);
	if (fd >= 0)
		log_set_sink(fd, (r->show_level ? LOG_SHOW_LEVEL : 0) |
				 (r->show_origin ? LOG_SHOW_ORIGIN : 0),
			     v->id, r->module);
	return 0;
}

static void on_metrics_timer(void *opaque, uint32_t events)
{
	struct vmm *v = opaque;
	uint64_t n;
	char err[128];

	evloop_assert_owner(&v->loop);
	if (read(v->timer_fd, &n, sizeof(n)) != sizeof(n))
		return;
	if (vmm_flush_metrics(v, err, sizeof(err)))
		log_warn("metrics: %s", err);
}

int vmm_put_metrics(struct vmm *v, const struct vmm_metrics_req *r, char *err,
		    size_t len)
{
	struct itimerspec its = {
		.it_interval.tv_sec = VMM_METRICS_PERIOD_S,
		.it_value.tv_sec = VMM_METRICS_PERIOD_S,
	};
	char *extra = NULL;
	int fd, ret;

	if (v->has_metrics)
		return err_say(err, len, -EPERM, "the metrics system is already "
			   "configured");
	if ((fd = open_sink("metrics_path", r->path, err, len)) < 0)
		return fd;
	/* The id is [A-Za-z0-9-] (front ends check), safe in JSON as is. */
	if (asprintf(&extra, "%s%s%s%s", r->emit_id ? "\"id\":\"" : "",
		     r->emit_id ? v->id : "", r->emit_id ? "\"," : "",
		     r->extra_json ? r->extra_json : "") < 0 ||
	    vmm_set_str(&v->metrics_path, r->path)) {
		ret = err_say(err, len, -ENOMEM, "out of memory");
		goto err;
	}
	v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (v->timer_fd < 0 || timerfd_settime(v->timer_fd, 0, &its, NULL) ||
	    (ret = evloop_add(vmm_loop(v), v->timer_fd, EPOLLIN,
			      on_metrics_timer, v))) {
		ret = err_say(err, len, -errno, "metrics timer: %s",
			  strerror(errno));
		goto err;
	}
	free(v->metrics_extra);
	v->metrics_extra = extra;
	v->metrics_emit_id = r->emit_id;
	v->metrics_fd = fd;
	v->has_metrics = true;
	return 0;
err:
	if (v->timer_fd >= 0)
		close(v->timer_fd);
	v->timer_fd = -1;
	free(extra);
	close(fd);
	return ret;
}

/* ---- actions --------------------------------------------------------- */

void vmm_config_view(struct vmm *v, struct vm_config *c)
{
	memset(c, 0, sizeof(*c));
	c->kernel = v->kernel;
	c->initrd = v->initrd;
	c->cmdline = v->boot_args;
	c->nr_cpus = v->vcpus;
	c->mem_size = v->mem_mib << 20;
	c->serial_mode = v->serial_path ? SERIAL_FILE : SERIAL_STDIO;
	c->serial_path = v->serial_path;
	c->no_seccomp = v->no_seccomp;
	c->debug_exit = v->debug_exit;
	c->track_dirty = v->track_dirty;
	for (unsigned int i = 0; i < v->nr_drives; i++) {
		const struct vmm_drive *d = &v->drives[i];

		c->disks[i] = (struct disk_config){
			.id = d->id, .path = d->path, .read_only = d->read_only,
			.is_root = d->root, .cache = d->cache,
			.limit = d->limit,
		};
	}
	c->nr_disks = v->nr_drives;
	for (unsigned int i = 0; i < v->nr_nets; i++) {
		c->nets[i] = (struct net_config){
			.id = v->nets[i].id, .tap = v->nets[i].tap,
			.has_mac = v->nets[i].has_mac,
			.rx_limit = v->nets[i].rx_limit,
			.tx_limit = v->nets[i].tx_limit,
		};
		memcpy(c->nets[i].mac, v->nets[i].mac, 6);
	}
	c->nr_nets = v->nr_nets;
	c->vsock = (struct vsock_config){ .enabled = v->has_vsock,
					  .guest_cid = v->vsock_cid,
					  .uds_path = v->vsock_uds };
	c->rng = v->has_entropy;
	c->rng_limit = v->entropy_limit;
	c->balloon = v->balloon;
}

static int build_config(struct vmm *v)
{
	struct vm_config *c = &v->cfg;
	const struct vmm_drive *root = v->nr_drives && v->drives[0].root ?
				       &v->drives[0] : NULL;
	int n;

	free(v->cmdline);
	/* Firecracker's boot arguments for a root drive: root=, ro or rw. */
	if (root && root->partuuid)
		n = asprintf(&v->cmdline, "%s root=PARTUUID=%s %s",
			     v->boot_args ? v->boot_args : VMM_DEFAULT_CMDLINE,
			     root->partuuid, root->read_only ? "ro" : "rw");
	else if (root)
		n = asprintf(&v->cmdline, "%s root=/dev/vda %s",
			     v->boot_args ? v->boot_args : VMM_DEFAULT_CMDLINE,
			     root->read_only ? "ro" : "rw");
	else
		n = asprintf(&v->cmdline, "%s",
			     v->boot_args ? v->boot_args : VMM_DEFAULT_CMDLINE);
	if (n < 0) {
		v->cmdline = NULL;
		return -ENOMEM;
	}
	vmm_config_view(v, c);
	c->cmdline = v->cmdline;
	return 0;
}

int vmm_start(struct vmm *v, char *err, size_t len)
{
	int ret;

	evloop_assert_owner(&v->loop);
	if (vmm_state(v) != VMM_NOT_STARTED)
		return err_say(err, len, -EPERM, "the VM is already started");
	if (v->quit)
		return err_say(err, len, -ESHUTDOWN, "vmon is shutting down");
	if (!v->kernel)
		return err_say(err, len, -EINVAL, "no boot source: PUT /boot-source "
			   "with a kernel_image_path first");
	if (build_config(v))
		return err_say(err, len, -ENOMEM, "out of memory");
	v->start_err = (struct vmon_err){ 0 };
	if ((ret = vm_create(&v->vm, &v->cfg, &v->loop, &v->start_err)))
		return err_say(err, len, ret, "%s", v->start_err.msg);
	if ((ret = vm_load(&v->vm, &v->start_err))) {
		err_say(err, len, ret, "%s", v->start_err.msg);
		goto err_vm;
	}
	if ((ret = vm_serve_init(&v->serve, &v->vm))) {
		err_set(&v->start_err, ERR_HOST, ret, "cannot serve the VM: %s",
			strerror(-ret));
		err_say(err, len, ret, "%s", v->start_err.msg);
		goto err_vm;
	}
	/* The VM's serving takes the stop signals from here on. */
	evloop_del(&v->loop, v->sig_fd);
	v->vm_created = true;
	atomic_store(&v->state, VMM_RUNNING);
	if ((ret = vm_start_vcpus(&v->vm)))
		return err_say(err, len, ret, "cannot start the vCPUs: %s",
			   strerror(-ret));
	/*
	 * Everything is built: the VMM thread only serves from here, under
	 * its filter, loaded before it next dispatches (serve_once): after
	 * the front end has created its threads, whose creation the filter
	 * would refuse (threads are created with every signal blocked, so
	 * not even the SIGSYS report would get out).
	 */
	v->sandbox_pending = !v->no_seccomp;
	return 0;
err_vm:
	vm_destroy(&v->vm);
	return ret;
}

int vmm_pause(struct vmm *v, char *err, size_t len)
{
	int ret;

	evloop_assert_owner(&v->loop);
	if (vmm_state(v) == VMM_NOT_STARTED)
		return err_say(err, len, -EPERM, "the VM is not started");
	if ((ret = vm_pause(&v->vm)))
		return err_say(err, len, ret, "cannot pause: %s", ret == -ESHUTDOWN ?
			   "the VM is stopping" : strerror(-ret));
	atomic_store(&v->state, VMM_PAUSED);
	return 0;
}

int vmm_resume(struct vmm *v, char *err, size_t len)
{
	int ret;

	evloop_assert_owner(&v->loop);
	if (vmm_state(v) == VMM_NOT_STARTED)
		return err_say(err, len, -EPERM, "the VM is not started");
	if ((ret = vm_resume(&v->vm)))
		return err_say(err, len, ret, "cannot resume: %s", strerror(-ret));
	atomic_store(&v->state, VMM_RUNNING);
	return 0;
}

int vmm_send_ctrl_alt_del(struct vmm *v, char *err, size_t len)
{
	evloop_assert_owner(&v->loop);
	if (vmm_state(v) == VMM_NOT_STARTED)
		return err_say(err, len, -EPERM, "SendCtrlAltDel needs a started VM");
	vm_push_keys(&v->vm, vmm_ctrl_alt_del_keys,
		     sizeof(vmm_ctrl_alt_del_keys));
	return 0;
}

int vmm_flush_metrics(struct vmm *v, char *err, size_t len)
{
	struct metrics *regs[2] = { &v->metrics, NULL };
	size_t n;
	char *line;
	ssize_t w;

	evloop_assert_owner(&v->loop);
	if (!v->has_metrics)
		return err_say(err, len, -EPERM, "the metrics system is not "
			   "configured: PUT /metrics first");
	if (v->vm_created)
		regs[1] = &v->vm.metrics;
	line = metrics_flush_json(regs, 2, v->metrics_extra, &n);
	if (!line)
		return err_say(err, len, -ENOMEM, "out of memory");
	w = write(v->metrics_fd, line, n);
	free(line);
	if (w != (ssize_t)n)
		return err_say(err, len, w < 0 ? -errno : -EIO, "cannot write to "
			   "%s: %s", v->metrics_path,
			   w < 0 ? strerror(errno) : "short write");
	return 0;
}

/* ---- the VMM thread -------------------------------------------------- */

void vmm_attach(struct vmm *v)
{
	v->nr_frontends++;
}

int vmm_detach(void *vmm)
{
	struct vmm *v = vmm;

	if (v->nr_frontends)
		v->nr_frontends--;
	return 0;
}

static void serve_once(struct vmm *v)
{
	int ret;

	if (v->vm_created) {
		if (v->sandbox_pending) {
			v->sandbox_pending = false;
			if (vm_serve_sandbox(&v->vm))
				return;
		}
		vm_serve_once(&v->serve);
		return;
	}
	ret = evloop_run_once(&v->loop, -1);
	if (ret < 0) {
		log_error("event loop: %s", strerror(-ret));
		v->quit = true;
	}
}

int vmm_run(struct vmm *v)
{
	uint64_t one = 1;
	char err[256];
	int status = 0;

	while (!v->vm_created && !v->quit)
		serve_once(v);
	while (v->vm_created && !vm_stopping(&v->vm))
		serve_once(v);
	/* A migration still going ends here, and its waiter learns why. */
	vmm_migrate_abort(v, "vmon is stopping");
	status = v->quit_status;
	if (v->vm_created) {
		vm_join_vcpus(&v->vm);
		status = vm_exit_status(&v->vm);
	}
	/* Front ends finish what they are doing, through this loop. */
	if (write(v->stopped_fd, &one, sizeof(one)) < 0)
		log_error("cannot tell the front ends: %s", strerror(errno));
	while (v->nr_frontends)
		serve_once(v);
	if (v->has_metrics && vmm_flush_metrics(v, err, sizeof(err)))
		log_warn("metrics: %s", err);
	return status;
}
