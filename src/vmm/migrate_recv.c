// SPDX-License-Identifier: MIT
/*
 * Live migration, the destination (docs/migration.md): listen, then read
 * the stream on the VMM thread (no VM here yet) with a deadline on every
 * read: the config, the pages into a memfd, the state; restore it parked,
 * READY, wait for GO, take the disks' locks and run.
 */
#include "vmm/migrate.h"
#include "vmm/migrate_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/err.h"
#include "lib/exit_status.h"
#include "lib/le.h"
#include "lib/log.h"
#include "lib/migstream.h"
#include "machine/devices.h"
#include "machine/snapshot.h"
#include "machine/vm_config_snap.h"
#include "virtio/virtio_pci.h"
#include "vmm/vmm.h"
#include "vmm/vmm_priv.h"

#define ARCH "x86_64"

/* ---- destination --------------------------------------------------------- */

static int recv_pages(struct vmm_mig *m, uint8_t *ram, const uint8_t *p,
		      uint32_t len, struct vmon_err *e)
{
	const uint8_t *data;
	uint64_t first;
	uint32_t n;
	int ret;

	if ((ret = mig_pages_parse(p, len, m->npages, &first, &n, &data, e)))
		return ret;
	memcpy(ram + first * MIG_PAGE_SIZE, data, (size_t)n * MIG_PAGE_SIZE);
	pthread_mutex_lock(&m->lock);
	m->st.pages += n;
	m->st.bytes += (uint64_t)n * MIG_PAGE_SIZE;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

/* The whole receive, on the VMM thread; 0 with the guest running here. */
static int receive(struct vmm_mig *m, struct vmon_err *e)
{
	struct vmm *v = m->v;
	struct vm_config_owned own = { 0 };
	struct vm_restore_opts o = {
		.serial_mode = v->serial_path ? SERIAL_FILE : SERIAL_STDIO,
		.serial_path = v->serial_path,
		.no_seccomp = v->no_seccomp,
		.mem_fd = -1,
		.defer_disk_locks = true,
	};
	uint8_t hdr[MIG_HEADER_SIZE], *p = NULL, *ram = MAP_FAILED;
	uint64_t mem = 0, go_at;
	uint32_t type, len;
	char err[512];
	int ret, memfd = -1;
	bool resume;

	if ((ret = mig_read_full(m->fd, hdr, sizeof(hdr), VMM_MIG_TIMEOUT_MS,
				 e)) ||
	    (ret = mig_header_check(hdr, ARCH, e)) ||
	    (ret = mig_recv(m->fd, &type, &p, &len, VMM_MIG_TIMEOUT_MS, e)))
		goto out;
	if (type != MIG_CONFIG) {
		ret = err_set(e, ERR_USAGE, -EPROTO,
			      "migration stream: the "
			      "first frame is type %u, not CONFIG",
			      type);
		goto out;
	}
	if ((ret = vm_config_from_image(p, len, "migration stream", &own, e)))
		goto out;
	mem = own.cfg.mem_size;
	vm_config_owned_free(&own);
	free(p);
	p = NULL;
	m->npages = mem / MIG_PAGE_SIZE;
	/* RAM as a memfd: filled here, then the guest's, shared, no copy. */
	memfd = memfd_create("vmon-guest-ram", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)mem) < 0) {
		ret = err_set(e, ERR_HOST, -errno,
			      "cannot make %llu MiB of "
			      "guest RAM: %s",
			      (unsigned long long)(mem >> 20), strerror(errno));
		goto out;
	}
	ram = mmap(NULL, mem, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_NORESERVE, memfd, 0);
	if (ram == MAP_FAILED) {
		ret = err_set(e, ERR_HOST, -errno,
			      "cannot map the guest RAM: "
			      "%s",
			      strerror(errno));
		goto out;
	}
	for (;;) {
		if ((ret = mig_recv(m->fd, &type, &p, &len, VMM_MIG_TIMEOUT_MS,
				    e)))
			goto out;
		if (type == MIG_STATE)
			break;
		if (type == MIG_PAGES) {
			if ((ret = recv_pages(m, ram, p, len, e)))
				goto out;
		} else if (type == MIG_ROUND && len == 20) {
			pthread_mutex_lock(&m->lock);
			m->st.round = le32_get(p) + 1;
			m->st.dirty_pages = le64_get(p + 12);
			pthread_mutex_unlock(&m->lock);
		} else {
			ret = err_set(e, ERR_USAGE, -EPROTO,
				      "migration stream: "
				      "unexpected frame type %u (%u bytes) "
				      "before the state",
				      type, len);
			goto out;
		}
		free(p);
		p = NULL;
	}
	munmap(ram, mem);
	ram = MAP_FAILED;
	o.mem_fd = memfd;
	v->start_err = (struct vmon_err){ 0 };
	if ((ret = vm_restore_image(&v->vm, p, len, "migration stream", &o,
				    &v->loop, e)))
		goto out;
	free(p);
	p = NULL;
	close(memfd);		/* the guest's mapping keeps it */
	memfd = -1;
	/* Parked until GO: the source may still change its mind. */
	if ((ret = vmm_adopt_restored(v, false, err, sizeof(err)))) {
		err_set(e, ERR_HOST, ret, "%s", err);
		goto out;
	}
	if ((ret = mig_send(m->fd, MIG_READY, NULL, 0, VMM_MIG_TIMEOUT_MS, e)) ||
	    (ret = mig_recv(m->fd, &type, &p, &len, VMM_MIG_TIMEOUT_MS, e)))
		goto out_vm;
	go_at = clock_mono_ns();
	if (type != MIG_GO || len != 5) {
		ret = err_set(e, ERR_USAGE, -EPROTO,
			      "migration stream: frame "
			      "type %u where GO belongs",
			      type);
		goto out_vm;
	}
	resume = p[0] != 0;
	/* The source let go of the images before GO: ours now. */
	if ((ret = vm_disks_set_locked(&v->vm, true, e)))
		goto out;
	if (resume) {
		if ((ret = vm_resume(&v->vm))) {
			err_set(e, ERR_HOST, ret, "cannot resume the guest");
			goto out;
		}
		atomic_store(&v->state, VMM_RUNNING);
	}
	/* The guest's stop: the source's part, then ours to here. */
	pthread_mutex_lock(&m->lock);
	m->st.downtime_ms = le32_get(p + 1) +
			    (uint32_t)((clock_mono_ns() - go_at) / 1000000);
	pthread_mutex_unlock(&m->lock);
	ret = 0;
	goto out;
out_vm:
	/* READY went out but no GO came: the source still has the guest
	 * (on_accept stops this copy). */
out:
	free(p);
	if (ram != MAP_FAILED)
		munmap(ram, mem);
	if (memfd >= 0)
		close(memfd);
	return ret;
}

static void on_accept(void *opaque, uint32_t events)
{
	struct vmm_mig *m = opaque;
	struct vmm *v = m->v;
	struct vmon_err e = { 0 };
	int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;		/* spurious, or the peer gave up: keep waiting */
	evloop_del(&v->loop, m->listen_fd);
	close(m->listen_fd);
	m->listen_fd = -1;
	mig_tune(fd);
	m->fd = fd;
	log_info("migration: receiving from a peer on %s", m->st.url);
	if (receive(m, &e)) {
		log_error("migration from %s failed: %s", m->st.url, e.msg);
		mig_tell_peer(m, e.msg);
		mig_close_stream(m);
		mig_set_state(m, VMM_MIG_FAILED, e.msg);
		/* The guest is still the source's: this vmon has no more to do. */
		if (v->vm_created)
			vm_request_stop(&v->vm, VM_STOP_INTERNAL,
					VMON_EXIT_USAGE);
		v->quit = true;
		v->quit_status = VMON_EXIT_USAGE;
		return;
	}
	mig_close_stream(m);
	log_info("migration: the guest runs here (%llu pages received)",
		 (unsigned long long)m->st.pages);
	mig_set_state(m, VMM_MIG_DONE, NULL);
}

int vmm_migrate_receive(struct vmm *v, const struct vmm_migration_req *r,
			char *err, size_t len)
{
	struct vmm_mig *m;
	struct mig_addr a;
	struct vmon_err e = { 0 };
	int ret, fd;

	evloop_assert_owner(&v->loop);
	if (vmm_state(v) != VMM_NOT_STARTED || vmm_configured(v))
		return err_say(err, len, -EPERM,
			       "a migration arrives only in "
			       "a vmon with nothing configured and no VM: the "
			       "source brings its machine and devices");
	if (v->quit)
		return err_say(err, len, -ESHUTDOWN, "vmon is shutting down");
	if (!(m = mig_get(v)))
		return err_say(err, len, -ENOMEM, "out of memory");
	if (m->st.state == VMM_MIG_RECEIVING)
		return err_say(err, len, -EBUSY,
			       "already waiting for a "
			       "migration on %s",
			       m->st.url);
	if ((ret = mig_addr_parse(r->url, &a, err, len)))
		return ret;
	if ((ret = mig_listen(&a, &fd, &e)))
		return err_say(err, len, ret, "%s", e.msg);
	if ((ret = evloop_add(&v->loop, fd, EPOLLIN, on_accept, m))) {
		close(fd);
		return err_say(err, len, ret, "cannot watch %s", a.text);
	}
	m->listen_fd = fd;
	m->start = clock_mono_ns();
	pthread_mutex_lock(&m->lock);
	memset(&m->st, 0, sizeof(m->st));
	m->st.state = VMM_MIG_RECEIVING;
	snprintf(m->st.url, sizeof(m->st.url), "%s", a.text);
	pthread_mutex_unlock(&m->lock);
	log_info("migration: listening on %s", a.text);
	return 0;
}
