// SPDX-License-Identifier: MIT
/*
 * Live migration, pre-copy (docs/migration.md).  The source sends every
 * non-zero page while the guest runs, then in rounds the pages the dirty
 * log says were written since, until what is left would go within the
 * downtime target at the bandwidth the last round measured; then it
 * pauses the VM, sends the rest and the device state (a snapshot image),
 * waits for the destination to say it has restored it (READY), tells it
 * to run (GO) and ends.  Until GO is sent, any failure leaves the guest
 * running here.
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
/* Work done per writable event before the loop serves the devices. */
#define STEP_BYTES (8u << 20)
/* The destination restores the state in this long, or it failed. */
#define READY_TIMEOUT_MS 30000

struct vmm_mig *mig_get(struct vmm *v)
{
	struct vmm_mig *m = v->mig;

	if (m)
		return m;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->done, NULL);
	m->fd = m->listen_fd = m->timer_fd = -1;
	m->v = v;
	v->mig = m;
	return m;
}

void vmm_migration_status(struct vmm *v, struct vmm_migration_status *out)
{
	struct vmm_mig *m = v->mig;

	memset(out, 0, sizeof(*out));
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	*out = m->st;
	pthread_mutex_unlock(&m->lock);
}

void mig_set_state(struct vmm_mig *m, enum vmm_mig_state s, const char *msg)
{
	pthread_mutex_lock(&m->lock);
	m->st.state = s;
	if (msg)
		snprintf(m->st.message, sizeof(m->st.message), "%s", msg);
	if (s == VMM_MIG_DONE || s == VMM_MIG_FAILED)
		m->st.total_ms = (uint32_t)((clock_mono_ns() - m->start) /
					    1000000);
	pthread_cond_broadcast(&m->done);
	pthread_mutex_unlock(&m->lock);
}

void mig_close_stream(struct vmm_mig *m)
{
	if (m->watched)
		evloop_del(&m->v->loop, m->fd);
	m->watched = false;
	if (m->timer_fd >= 0) {
		evloop_del(&m->v->loop, m->timer_fd);
		close(m->timer_fd);
		m->timer_fd = -1;
	}
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	free(m->todo);
	free(m->out);
	m->todo = NULL;
	m->out = NULL;
}

/* Best effort: tell the peer why, so its log says more than "closed". */
void mig_tell_peer(struct vmm_mig *m, const char *msg)
{
	struct vmon_err ignored = { 0 };
	size_t n = strlen(msg);

	if (m->fd >= 0)
		(void)mig_send(m->fd, MIG_ERROR, msg,
			       (uint32_t)(n < 500 ? n : 500), 1000, &ignored);
}

/* ---- source -------------------------------------------------------------- */

static void send_failed(struct vmm_mig *m, const char *msg)
{
	struct vmm *v = m->v;
	struct vmon_err e = { 0 };

	log_error("migration to %s failed: %s; the guest stays here",
		  m->st.url, msg);
	mig_tell_peer(m, msg);
	mig_close_stream(m);
	vm_dirty_log_stop(&v->vm);
	/* GO never went: the destination does not have the images. */
	if (m->disks_unlocked && vm_disks_set_locked(&v->vm, true, &e)) {
		log_error("migration: %s; the guest stays paused", e.msg);
		m->was_running = false;
	}
	m->disks_unlocked = false;
	if (m->was_running && vmm_state(v) == VMM_PAUSED) {
		if (vm_resume(&v->vm))
			log_error("migration: cannot resume the guest");
		else
			atomic_store(&v->state, VMM_RUNNING);
	}
	mig_set_state(m, VMM_MIG_FAILED, msg);
}

static bool page_set(const uint64_t *bits, uint64_t pg)
{
	return bits[pg / 64] >> (pg % 64) & 1;
}

static bool page_zero(const uint8_t *p)
{
	uint64_t head;

	memcpy(&head, p, 8);
	return !head && !memcmp(p, p + 8, MIG_PAGE_SIZE - 8);
}

static const uint8_t *page_hva(const struct vmm_mig *m, uint64_t pg)
{
	return m->v->vm.mem.region[0].hva + pg * MIG_PAGE_SIZE;
}

/*
 * The next PAGES frame of this round into m->out: a run of up to
 * MIG_PAGES_PER_FRAME pages to send (round 0 skips all-zero pages: the
 * destination's RAM starts zeroed).  false when the round has no more.
 */
static bool next_frame(struct vmm_mig *m)
{
	uint64_t pg = m->cursor, first;
	uint32_t n = 0;
	bool round0 = m->st.round == 0;

	while (pg < m->npages && !(page_set(m->todo, pg) &&
				   !(round0 && page_zero(page_hva(m, pg)))))
		pg++;
	if (pg >= m->npages) {
		m->cursor = pg;
		return false;
	}
	first = pg;
	while (pg < m->npages && n < MIG_PAGES_PER_FRAME &&
	       page_set(m->todo, pg) && !(round0 && page_zero(page_hva(m, pg)))) {
		pg++;
		n++;
	}
	m->cursor = pg;
	/* A copy now: the page may change after, the next round sends it. */
	le64_put(m->out + MIG_FRAME_HEADER_SIZE, first);
	memcpy(m->out + MIG_FRAME_HEADER_SIZE + 8, page_hva(m, first),
	       (size_t)n * MIG_PAGE_SIZE);
	mig_frame_header_put(m->out, MIG_PAGES, m->out + MIG_FRAME_HEADER_SIZE,
			     8 + n * MIG_PAGE_SIZE);
	m->out_len = MIG_FRAME_HEADER_SIZE + 8 + (size_t)n * MIG_PAGE_SIZE;
	m->out_off = 0;
	m->round_bytes += (uint64_t)n * MIG_PAGE_SIZE;
	pthread_mutex_lock(&m->lock);
	m->st.pages += n;
	m->st.bytes += (uint64_t)n * MIG_PAGE_SIZE;
	pthread_mutex_unlock(&m->lock);
	return true;
}

static uint64_t popcount(const uint64_t *bits, size_t words)
{
	uint64_t n = 0;

	for (size_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(bits[i]);
	return n;
}

/* The last stop: pause, the rest of RAM, the state, READY, GO. */
static void finish(struct vmm_mig *m)
{
	struct vmm *v = m->v;
	struct vmon_err e = { 0 };
	uint8_t *img = NULL, *reply = NULL, go[5];
	uint64_t t0 = clock_mono_ns();
	uint32_t type, rlen;
	size_t ilen = 0;
	int ret;

	/* Blocking from here: the guest is stopped, the loop has nothing
	 * to serve that cannot wait. */
	if (m->watched)
		evloop_del(&v->loop, m->fd);
	m->watched = false;
	if (m->was_running) {
		if (vm_pause(&v->vm)) {
			send_failed(m, "cannot pause the guest");
			return;
		}
		atomic_store(&v->state, VMM_PAUSED);
	}
	/*
	 * The last round's dirty pages (round_done took them into todo)
	 * and whatever was written since, OR'd in: nothing dropped.  The
	 * devices quiesce first, so their last completions are in it too.
	 */
	for (unsigned int i = 0; v->vm.virtio && i < v->vm.virtio->nr; i++)
		virtio_pci_quiesce(v->vm.virtio->dev[i]);
	if ((ret = vm_take_dirty(&v->vm, m->todo))) {
		send_failed(m, "cannot read the dirty page log");
		return;
	}
	m->st.round++;
	m->cursor = 0;
	while (next_frame(m))
		if ((ret = mig_write_full(m->fd, m->out, m->out_len,
					  VMM_MIG_TIMEOUT_MS, &e)))
			goto fail;
	if ((ret = vm_state_image(&v->vm, &img, &ilen, &e)) ||
	    (ret = mig_send(m->fd, MIG_STATE, img, (uint32_t)ilen,
			    VMM_MIG_TIMEOUT_MS, &e)))
		goto fail;
	free(img);
	img = NULL;
	if ((ret = mig_recv(m->fd, &type, &reply, &rlen, READY_TIMEOUT_MS, &e)))
		goto fail;
	free(reply);
	if (type != MIG_READY) {
		err_set(&e, ERR_HOST, -EPROTO, "the destination answered a "
			"frame of type %u, not READY", type);
		goto fail;
	}
	/* The images go with the guest: the destination locks them at GO. */
	if ((ret = vm_disks_set_locked(&v->vm, false, &e)))
		goto fail;
	m->disks_unlocked = true;
	/* The point of no return: once GO is out, the guest is there. */
	pthread_mutex_lock(&m->lock);
	m->st.downtime_ms = (uint32_t)((clock_mono_ns() - t0) / 1000000);
	pthread_mutex_unlock(&m->lock);
	go[0] = m->was_running;
	le32_put(go + 1, m->st.downtime_ms);
	if ((ret = mig_send(m->fd, MIG_GO, go, sizeof(go), VMM_MIG_TIMEOUT_MS,
			    &e)))
		goto fail;
	mig_close_stream(m);
	log_info("migrated to %s: %u rounds, %llu pages, stopped for %u ms",
		 m->st.url, m->st.round, (unsigned long long)m->st.pages,
		 m->st.downtime_ms);
	mig_set_state(m, VMM_MIG_DONE, NULL);
	vm_request_stop(&v->vm, VM_STOP_MIGRATED, VMON_EXIT_OK);
	return;
fail:
	free(img);
	send_failed(m, e.msg[0] ? e.msg : strerror(-ret));
}

/* A round is done: decide on another or the stop. */
static void round_done(struct vmm_mig *m)
{
	struct vmm *v = m->v;
	struct vmon_err e = { 0 };
	uint64_t now = clock_mono_ns(), dt = now - m->round_start, left;
	uint8_t r[20];
	uint64_t expected;

	if (dt && m->round_bytes >= (1u << 20))
		m->bandwidth = m->round_bytes * 1000000000ull / dt;
	memset(m->todo, 0, m->words * sizeof(*m->todo));
	if (vm_take_dirty(&v->vm, m->todo)) {
		send_failed(m, "cannot read the dirty page log");
		return;
	}
	left = popcount(m->todo, m->words);
	expected = m->bandwidth ? left * MIG_PAGE_SIZE * 1000 / m->bandwidth
				: 0;
	pthread_mutex_lock(&m->lock);
	m->st.dirty_pages = left;
	m->st.bandwidth = m->bandwidth;
	m->st.dirty_rate = dt ? left * MIG_PAGE_SIZE * 1000000000ull / dt : 0;
	m->st.expected_downtime_ms = (uint32_t)(expected < UINT32_MAX ?
						expected : UINT32_MAX);
	pthread_mutex_unlock(&m->lock);
	le32_put(r, m->st.round);
	le64_put(r + 4, m->st.pages);
	le64_put(r + 12, left);
	if (mig_send(m->fd, MIG_ROUND, r, sizeof(r), VMM_MIG_TIMEOUT_MS, &e)) {
		send_failed(m, e.msg);
		return;
	}
	log_info("migration round %u: %llu MiB sent, %llu pages dirty, "
		 "%llu MiB/s, expected downtime %llu ms", m->st.round,
		 (unsigned long long)(m->st.bytes >> 20),
		 (unsigned long long)left,
		 (unsigned long long)(m->bandwidth >> 20),
		 (unsigned long long)expected);
	if (expected <= m->downtime_ms || left == 0) {
		finish(m);
		return;
	}
	if (m->st.round + 1 >= VMM_MIG_MAX_ROUNDS) {
		char msg[256];

		snprintf(msg, sizeof(msg), "did not converge in %u rounds: the "
			 "guest writes %llu MiB/s and the link carries %llu "
			 "MiB/s, so the stop would take %llu ms, more than "
			 "downtime_ms %u", VMM_MIG_MAX_ROUNDS,
			 (unsigned long long)(m->st.dirty_rate >> 20),
			 (unsigned long long)(m->bandwidth >> 20),
			 (unsigned long long)expected, m->downtime_ms);
		send_failed(m, msg);
		return;
	}
	pthread_mutex_lock(&m->lock);
	m->st.round++;
	pthread_mutex_unlock(&m->lock);
	m->cursor = 0;
	m->round_bytes = 0;
	m->round_start = clock_mono_ns();
}

/* The socket is writable (or the peer spoke): the next piece of a round. */
static void on_stream(void *opaque, uint32_t events)
{
	struct vmm_mig *m = opaque;
	size_t budget = STEP_BYTES;

	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
		/* The destination speaks only to give up (or it went away). */
		struct vmon_err e = { 0 };
		uint8_t *p = NULL;
		uint32_t type, len;

		if (!mig_recv(m->fd, &type, &p, &len, 100, &e))
			err_set(&e, ERR_HOST, -EPROTO, "the destination sent "
				"an unexpected frame (type %u)", type);
		free(p);
		send_failed(m, e.msg);
		return;
	}
	while (budget) {
		if (m->out_off < m->out_len) {
			ssize_t w = send(m->fd, m->out + m->out_off,
					 m->out_len - m->out_off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w < 0 && (errno == EAGAIN || errno == EINTR))
				return;		/* the next EPOLLOUT */
			if (w <= 0) {
				char msg[128];

				snprintf(msg, sizeof(msg), "send: %s",
					 w < 0 ? strerror(errno) : "closed");
				send_failed(m, msg);
				return;
			}
			m->out_off += (size_t)w;
			m->progress_at = clock_mono_ns();
			budget = (size_t)w < budget ? budget - (size_t)w : 0;
			continue;
		}
		if (!next_frame(m)) {
			round_done(m);
			if (m->st.state != VMM_MIG_SENDING || !m->watched)
				return;
		}
	}
}

/* Once a second during the rounds: a peer that takes nothing fails it. */
static void on_tick(void *opaque, uint32_t events)
{
	struct vmm_mig *m = opaque;
	uint64_t n, idle;
	char msg[128];

	if (read(m->timer_fd, &n, sizeof(n)) < 0 ||
	    m->st.state != VMM_MIG_SENDING)
		return;
	idle = (clock_mono_ns() - m->progress_at) / 1000000;
	if (idle < VMM_MIG_TIMEOUT_MS)
		return;
	snprintf(msg, sizeof(msg), "migration: the peer took nothing for "
		 "%llu ms", (unsigned long long)idle);
	send_failed(m, msg);
}

int vmm_migrate_send(struct vmm *v, const struct vmm_migration_req *r,
		     char *err, size_t len)
{
	const struct itimerspec tick = { .it_interval = { 1, 0 },
					 .it_value = { 1, 0 } };
	struct vmm_mig *m;
	struct mig_addr a;
	struct vmon_err e = { 0 };
	uint8_t hdr[MIG_HEADER_SIZE], *cfg = NULL;
	size_t clen = 0;
	int ret, fd = -1;

	evloop_assert_owner(&v->loop);
	if (vmm_state(v) == VMM_NOT_STARTED)
		return err_say(err, len, -EPERM, "there is no VM to migrate");
	if (vm_stopping(&v->vm))
		return err_say(err, len, -ESHUTDOWN, "the VM is stopping");
	if (!(m = mig_get(v)))
		return err_say(err, len, -ENOMEM, "out of memory");
	if (m->st.state == VMM_MIG_SENDING || m->st.state == VMM_MIG_RECEIVING)
		return err_say(err, len, -EBUSY, "a migration is in progress");
	if ((ret = mig_addr_parse(r->url, &a, err, len)))
		return ret;
	m->npages = v->vm.mem.mapping_size / MIG_PAGE_SIZE;
	m->words = (size_t)((m->npages + 63) / 64);
	m->todo = calloc(m->words + 1, sizeof(*m->todo));
	m->out = malloc(MIG_FRAME_HEADER_SIZE + 8 +
			MIG_PAGES_PER_FRAME * MIG_PAGE_SIZE);
	if (!m->todo || !m->out) {
		mig_close_stream(m);
		return err_say(err, len, -ENOMEM, "out of memory");
	}
	if ((ret = mig_connect(&a, 5000, &fd, &e)))
		goto fail;
	m->fd = fd;
	mig_header_put(hdr, ARCH);
	if ((ret = mig_write_full(fd, hdr, sizeof(hdr), VMM_MIG_TIMEOUT_MS,
				  &e)) ||
	    (ret = vm_config_image(&v->vm, &cfg, &clen, &e)) ||
	    (ret = mig_send(fd, MIG_CONFIG, cfg, (uint32_t)clen,
			    VMM_MIG_TIMEOUT_MS, &e)))
		goto fail;
	free(cfg);
	cfg = NULL;
	/* Tracking on with the vCPUs still, so no write goes unseen. */
	m->was_running = vmm_state(v) == VMM_RUNNING;
	if (m->was_running && (ret = vm_pause(&v->vm))) {
		err_set(&e, ERR_HOST, ret, "cannot pause the guest");
		goto fail;
	}
	ret = vm_dirty_log_start(&v->vm);
	if (!ret) {
		/* Round 0 sends everything: start the log afresh under it. */
		memset(m->todo, 0, m->words * sizeof(*m->todo));
		ret = vm_take_dirty(&v->vm, m->todo);
	}
	if (m->was_running && vm_resume(&v->vm))
		log_error("migration: cannot resume the guest");
	if (ret) {
		err_set(&e, ERR_HOST, ret, "cannot track dirty pages: %s",
			strerror(-ret));
		goto fail;
	}
	memset(m->todo, 0xff, m->words * sizeof(*m->todo));
	if ((ret = evloop_add(&v->loop, fd, EPOLLOUT | EPOLLIN, on_stream, m))) {
		err_set(&e, ERR_HOST, ret, "cannot watch the connection");
		goto fail;
	}
	m->watched = true;
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (m->timer_fd < 0 || timerfd_settime(m->timer_fd, 0, &tick, NULL) ||
	    (ret = evloop_add(&v->loop, m->timer_fd, EPOLLIN, on_tick, m))) {
		ret = m->timer_fd < 0 || !ret ? -errno : ret;
		err_set(&e, ERR_HOST, ret, "cannot arm the migration's timer");
		goto fail;
	}
	m->progress_at = clock_mono_ns();
	m->downtime_ms = r->downtime_ms ? r->downtime_ms : VMM_MIG_DOWNTIME_MS;
	m->cursor = 0;
	m->out_len = m->out_off = 0;
	m->bandwidth = 0;
	m->round_bytes = 0;
	m->start = m->round_start = clock_mono_ns();
	pthread_mutex_lock(&m->lock);
	memset(&m->st, 0, sizeof(m->st));
	m->st.state = VMM_MIG_SENDING;
	m->st.source = true;
	snprintf(m->st.url, sizeof(m->st.url), "%s", a.text);
	pthread_mutex_unlock(&m->lock);
	log_info("migrating to %s: %llu MiB of RAM, downtime target %u ms",
		 a.text, (unsigned long long)(m->npages * MIG_PAGE_SIZE >> 20),
		 m->downtime_ms);
	return 0;
fail:
	free(cfg);
	vm_dirty_log_stop(&v->vm);
	mig_tell_peer(m, e.msg);
	mig_close_stream(m);
	return err_say(err, len, ret, "%s", e.msg);
}

int vmm_migrate_wait(struct vmm *v, char *err, size_t len)
{
	struct vmm_mig *m = v->mig;
	int ret = 0;

	if (!m)
		return err_say(err, len, -EINVAL, "no migration was started");
	pthread_mutex_lock(&m->lock);
	while (m->st.state == VMM_MIG_SENDING)
		pthread_cond_wait(&m->done, &m->lock);
	if (m->st.state != VMM_MIG_DONE)
		ret = err_say(err, len, -ECONNABORTED, "migration failed: %s",
			      m->st.message);
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void vmm_migrate_abort(struct vmm *v, const char *why)
{
	struct vmm_mig *m = v->mig;

	if (!m)
		return;
	if (m->listen_fd >= 0) {
		evloop_del(&v->loop, m->listen_fd);
		close(m->listen_fd);
		m->listen_fd = -1;
	}
	if (m->st.state == VMM_MIG_SENDING || m->st.state == VMM_MIG_RECEIVING) {
		mig_tell_peer(m, why);
		mig_close_stream(m);
		mig_set_state(m, VMM_MIG_FAILED, why);
	}
}

void vmm_migrate_free(struct vmm *v)
{
	struct vmm_mig *m = v->mig;

	if (!m)
		return;
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	if (m->fd >= 0)
		close(m->fd);
	free(m->todo);
	free(m->out);
	pthread_cond_destroy(&m->done);
	pthread_mutex_destroy(&m->lock);
	free(m);
	v->mig = NULL;
}
