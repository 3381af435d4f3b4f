// SPDX-License-Identifier: MIT
#include "pci/msix.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/irq_routing.h"
#include "lib/log.h"
#include "lib/snapfile.h"
#include "pci/pci.h"

/* Capability layout (PCI 3.0, 6.8.2.1): ID, next, control, table, PBA. */
#define MSIX_CAP_CTRL		2
#define MSIX_CAP_TABLE		4
#define MSIX_CAP_PBA		8
#define MSIX_CAP_LEN		12

int msix_init(struct pci_dev *d, uint16_t nr, int bar, uint32_t table_off,
	      uint32_t pba_off)
{
	struct msix *m = &d->msix;
	uint8_t cap[MSIX_CAP_LEN] = { PCI_CAP_ID_MSIX };
	uint8_t wm[MSIX_CAP_LEN] = { 0 };
	uint16_t ctrl = (uint16_t)(nr - 1);
	uint32_t t = table_off | (uint32_t)bar, p = pba_off | (uint32_t)bar;
	uint64_t bar_size;

	if (nr == 0 || nr > MSIX_MAX_VECTORS || bar < 0 || bar >= PCI_NUM_BARS)
		return -EINVAL;
	bar_size = d->bar[bar].size;
	if ((table_off | pba_off) & 7 ||
	    (uint64_t)table_off + (uint64_t)nr * MSIX_ENTRY_SIZE > bar_size ||
	    (uint64_t)pba_off + (nr + 63u) / 64 * 8 > bar_size)
		return -EINVAL;

	memset(m, 0, sizeof(*m));
	m->v = calloc(nr, sizeof(*m->v));
	m->pba = calloc((nr + 63u) / 64, sizeof(*m->pba));
	if (!m->v || !m->pba)
		goto nomem;
	for (uint16_t i = 0; i < nr; i++)
		m->v[i].efd = -1;
	for (uint16_t i = 0; i < nr; i++) {
		m->v[i].entry[MSIX_CTRL] = MSIX_VECTOR_MASKED;	/* reset value */
		m->v[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (m->v[i].efd < 0)
			goto nomem_fds;
		if (d->host->routing &&
		    irq_routing_alloc_gsi(d->host->routing, &m->v[i].gsi))
			goto nospc;
	}
	m->nr = nr;
	m->bar = bar;
	m->table_off = table_off;
	m->pba_off = pba_off;

	memcpy(cap + MSIX_CAP_CTRL, &ctrl, 2);
	memcpy(cap + MSIX_CAP_TABLE, &t, 4);
	memcpy(cap + MSIX_CAP_PBA, &p, 4);
	wm[MSIX_CAP_CTRL + 1] = (MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK) >> 8;
	m->cap = pci_dev_add_cap(d, cap, wm, sizeof(cap));
	if (!m->cap) {
		msix_destroy(d);
		return -ENOSPC;
	}
	return 0;

nospc:
	m->nr = nr;
	msix_destroy(d);
	return -ENOSPC;
nomem_fds:
	m->nr = nr;
	msix_destroy(d);
	return -ENOMEM;
nomem:
	free(m->v);
	free(m->pba);
	memset(m, 0, sizeof(*m));
	return -ENOMEM;
}

void msix_destroy(struct pci_dev *d)
{
	struct msix *m = &d->msix;

	for (uint16_t i = 0; m->v && i < m->nr; i++) {
		struct msix_vector *v = &m->v[i];

		if (v->irqfd) {
			struct kvm_irqfd fd = { .fd = (uint32_t)v->efd,
						.gsi = v->gsi,
						.flags = KVM_IRQFD_FLAG_DEASSIGN };

			ioctl(d->host->vm_fd, KVM_IRQFD, &fd);
		}
		if (v->efd >= 0)
			close(v->efd);
	}
	free(m->v);
	free(m->pba);
	memset(m, 0, sizeof(*m));
}

static uint16_t ctrl_word(const struct pci_dev *d)
{
	return pci_cfg16(d, d->msix.cap + MSIX_CAP_CTRL);
}

bool msix_enabled(const struct pci_dev *d)
{
	return d->msix.nr && (ctrl_word(d) & MSIX_CTRL_ENABLE);
}

static bool vector_masked(const struct pci_dev *d, const struct msix_vector *v)
{
	return (ctrl_word(d) & MSIX_CTRL_FMASK) || (v->entry[MSIX_CTRL] & MSIX_VECTOR_MASKED);
}

static uint64_t vector_addr(const struct msix_vector *v)
{
	return (uint64_t)v->entry[MSIX_ADDR_HI] << 32 | v->entry[MSIX_ADDR_LO];
}

/*
 * Make KVM's route for v match the table.  An address outside the LAPIC
 * window is not an interrupt on x86: such a vector stays unrouted and its
 * messages are dropped.  Returns true when v can be raised.
 */
static bool sync_route(struct pci_dev *d, struct msix_vector *v)
{
	struct pci_host *h = d->host;
	uint64_t addr = vector_addr(v);

	if ((v->entry[MSIX_ADDR_LO] & MSI_ADDR_MASK) != MSI_ADDR_BASE)
		return false;
	if (h->vm_fd < 0 || !h->routing)
		return true;		/* unit tests: the eventfd is the MSI */
	if (v->routed && v->r_addr == addr && v->r_data == v->entry[MSIX_DATA])
		return true;
	if (irq_routing_set_msi(h->routing, v->gsi, addr,
				v->entry[MSIX_DATA]))
		return false;
	v->routed = true;
	v->r_addr = addr;
	v->r_data = v->entry[MSIX_DATA];
	if (!v->irqfd) {
		struct kvm_irqfd fd = { .fd = (uint32_t)v->efd, .gsi = v->gsi };

		if (ioctl(h->vm_fd, KVM_IRQFD, &fd) < 0) {
			log_ratelimited(&d->rl, LOG_ERROR,
					"%s: KVM_IRQFD for MSI-X vector GSI %u: %s",
					d->name, v->gsi, strerror(errno));
			return false;
		}
		v->irqfd = true;
	}
	return true;
}

static void fire(struct pci_dev *d, struct msix_vector *v)
{
	uint64_t one = 1;

	if (!sync_route(d, v)) {
		counter_inc(&d->msix.dropped);
		log_ratelimited(&d->rl, LOG_WARN,
				"%s: MSI-X message to 0x%llx dropped: not a "
				"local APIC address", d->name,
				(unsigned long long)vector_addr(v));
		return;
	}
	/* A full counter (EAGAIN) already means "interrupt pending". */
	if (write(v->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		counter_inc(&d->msix.dropped);
	else
		counter_inc(&d->msix.sent);
}

static bool pending(const struct msix *m, uint16_t i)
{
	return m->pba[i / 64] & (1ull << (i % 64));
}

static void set_pending(struct msix *m, uint16_t i, bool on)
{
	if (on)
		m->pba[i / 64] |= 1ull << (i % 64);
	else
		m->pba[i / 64] &= ~(1ull << (i % 64));
}

/* Send what became deliverable; keep routes of usable vectors current. */
static void refresh(struct pci_dev *d, uint16_t first, uint16_t count)
{
	struct msix *m = &d->msix;

	if (!msix_enabled(d))
		return;
	for (uint16_t i = first; i < first + count && i < m->nr; i++) {
		struct msix_vector *v = &m->v[i];

		if (vector_masked(d, v))
			continue;
		if (pending(m, i)) {
			set_pending(m, i, false);
			fire(d, v);
		} else {
			sync_route(d, v);
		}
	}
}

int msix_notify(struct pci_dev *d, uint16_t vector)
{
	struct msix *m = &d->msix;

	if (vector >= m->nr)
		return -EINVAL;
	if (!msix_enabled(d))
		return -EAGAIN;
	if (vector_masked(d, &m->v[vector])) {
		set_pending(m, vector, true);
		counter_inc(&m->pended);
		return 0;
	}
	fire(d, &m->v[vector]);
	return 0;
}

void msix_ctrl_written(struct pci_dev *d)
{
	refresh(d, 0, d->msix.nr);
}

static void table_io(struct pci_dev *d, uint64_t off, uint8_t *data,
		     uint32_t len, bool is_write)
{
	struct msix *m = &d->msix;
	uint64_t first = off / MSIX_ENTRY_SIZE;

	for (uint32_t i = 0; i < len; i++) {
		uint64_t o = off + i;
		struct msix_vector *v = &m->v[o / MSIX_ENTRY_SIZE];
		uint32_t *w = &v->entry[(o % MSIX_ENTRY_SIZE) / 4];
		unsigned int shift = 8 * (o % 4);

		if (!is_write) {
			data[i] = (uint8_t)(*w >> shift);
			continue;
		}
		*w = (*w & ~(0xffu << shift)) | (uint32_t)data[i] << shift;
		/* Only the mask bit of vector control is writable (6.8.2.9);
		 * the address is dword aligned (6.8.2.6). */
		v->entry[MSIX_CTRL] &= MSIX_VECTOR_MASKED;
		v->entry[MSIX_ADDR_LO] &= ~3u;
	}
	if (is_write)
		refresh(d, (uint16_t)first,
			(uint16_t)((off + len - 1) / MSIX_ENTRY_SIZE - first + 1));
}

bool msix_bar_io(struct pci_dev *d, int bar, uint64_t off, uint8_t *data,
		 uint32_t len, bool is_write)
{
	struct msix *m = &d->msix;
	uint64_t table_len = (uint64_t)m->nr * MSIX_ENTRY_SIZE;
	uint64_t pba_len = (m->nr + 63u) / 64 * 8;

	if (!m->nr || bar != m->bar)
		return false;
	if (off >= m->table_off && off < m->table_off + table_len) {
		uint64_t rel = off - m->table_off;

		if (len > table_len - rel) {
			/* Past the table's end: those bytes read as zero. */
			if (!is_write)
				memset(data, 0, len);
			len = (uint32_t)(table_len - rel);
		}
		table_io(d, rel, data, len, is_write);
		return true;
	}
	if (off >= m->pba_off && off < m->pba_off + pba_len) {
		/* The PBA is read-only (6.8.2.10); writes are dropped. */
		if (!is_write) {
			uint64_t rel = off - m->pba_off;

			for (uint32_t i = 0; i < len; i++)
				data[i] = rel + i < pba_len ?
					  ((const uint8_t *)m->pba)[rel + i] : 0;
		}
		return true;
	}
	return false;
}

/* ---- Snapshot ------------------------------------------------------- */

static unsigned int pba_words(uint16_t nr)
{
	return (nr + 63u) / 64;
}

int msix_save(const struct pci_dev *d, struct snap_enc *enc)
{
	const struct msix *m = &d->msix;

	snap_put_u16(enc, m->nr);
	for (uint16_t i = 0; i < m->nr; i++)
		for (int w = 0; w < 4; w++)
			snap_put_u32(enc, m->v[i].entry[w]);
	for (unsigned int i = 0; i < pba_words(m->nr); i++)
		snap_put_u64(enc, m->pba[i]);
	return enc->err;
}

void msix_state_free(struct msix_state *s)
{
	free(s->entry);
	free(s->pba);
	memset(s, 0, sizeof(*s));
}

int msix_decode(const struct pci_dev *d, struct snap_dec *dec,
		struct msix_state *s)
{
	const struct msix *m = &d->msix;
	uint16_t nr;

	memset(s, 0, sizeof(*s));
	if (snap_get_u16(dec, "msix.nr", &nr))
		return dec->err;
	if (nr != m->nr)
		return snap_dec_fail(dec, "msix.nr", "%u vectors; this device "
				     "has %u", nr, m->nr);
	if (!nr)
		return 0;
	s->nr = nr;
	s->entry = calloc(nr, sizeof(*s->entry));
	s->pba = calloc(pba_words(nr), sizeof(*s->pba));
	if (!s->entry || !s->pba) {
		msix_state_free(s);
		return snap_dec_fail(dec, "msix.table", "out of memory");
	}
	for (uint16_t i = 0; i < nr; i++) {
		uint32_t *e = s->entry[i];

		snap_get_u32(dec, "msix.addr_lo", &e[MSIX_ADDR_LO]);
		snap_get_u32(dec, "msix.addr_hi", &e[MSIX_ADDR_HI]);
		snap_get_u32(dec, "msix.data", &e[MSIX_DATA]);
		snap_get_u32(dec, "msix.ctrl", &e[MSIX_CTRL]);
		/* What table_io lets a guest write (6.8.2.6, 6.8.2.9). */
		if (!dec->err && (e[MSIX_CTRL] & ~MSIX_VECTOR_MASKED))
			snap_dec_fail(dec, "msix.ctrl", "vector %u: 0x%x sets "
				      "reserved bits (only bit 0, the mask, "
				      "exists)", i, e[MSIX_CTRL]);
		if (!dec->err && (e[MSIX_ADDR_LO] & 3))
			snap_dec_fail(dec, "msix.addr_lo", "vector %u: 0x%x is "
				      "not dword aligned", i, e[MSIX_ADDR_LO]);
	}
	for (unsigned int i = 0; i < pba_words(nr); i++)
		snap_get_u64(dec, "msix.pba", &s->pba[i]);
	if (!dec->err && nr % 64 &&
	    (s->pba[pba_words(nr) - 1] >> (nr % 64)))
		snap_dec_fail(dec, "msix.pba", "pending bits past vector %u",
			      nr - 1);
	if (dec->err)
		msix_state_free(s);
	return dec->err;
}

void msix_apply(struct pci_dev *d, const struct msix_state *s)
{
	struct msix *m = &d->msix;

	for (uint16_t i = 0; i < s->nr && i < m->nr; i++)
		memcpy(m->v[i].entry, s->entry[i], sizeof(m->v[i].entry));
	if (s->nr == m->nr && m->nr)
		memcpy(m->pba, s->pba, pba_words(m->nr) * sizeof(*m->pba));
	/* Routes and irqfds for usable vectors, as a live unmask does. */
	refresh(d, 0, m->nr);
}

int msix_restore(struct pci_dev *d, struct snap_dec *dec)
{
	struct msix_state s;
	int ret = msix_decode(d, dec, &s);

	if (!ret)
		msix_apply(d, &s);
	msix_state_free(&s);
	return ret;
}

int msix_vector_fd(const struct pci_dev *d, uint16_t i)
{
	return i < d->msix.nr ? d->msix.v[i].efd : -1;
}
