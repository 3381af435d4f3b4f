// SPDX-License-Identifier: MIT
/*
 * PCI bus 0: configuration space, BAR placement and decoding, INTx.
 * See pci.h for the model; PCI Local Bus 3.0 sections are cited below.
 */
#include "pci/pci.h"

#include <errno.h>
#include <string.h>

#include "lib/le.h"
#include "lib/snapfile.h"

/* CONFIG_ADDRESS (3.2.2.3.2): enable, bus, device, function, register. */
#define CF8_ENABLE		0x80000000u
#define CF8_WRITABLE		0x80fffffcu	/* 30:24 reserved, 1:0 zero */
#define CF8_PORTS		8		/* 0xcf8 address, 0xcfc data */

/* Command bits a guest may set: memory space, bus master, parity error
 * response, SERR#, interrupt disable.  No I/O BARs, so no I/O space. */
#define COMMAND_WRITABLE	(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
				 (1u << 6) | (1u << 8) | PCI_COMMAND_INTX_DISABLE)

static bool overlaps(uint32_t reg, uint32_t len, uint32_t start, uint32_t n)
{
	return reg < start + n && start < reg + len;
}

/* ---- INTx ------------------------------------------------------------- */

/* One more or one fewer device asserting gsi; the line follows the count. */
static void line_adjust(struct pci_host *h, uint32_t gsi, bool up)
{
	unsigned int i = gsi - PLAT_PCI_GSI_BASE;
	bool before, after;

	pthread_mutex_lock(&h->lock);
	before = h->intx_count[i] > 0;
	if (up)
		h->intx_count[i]++;
	else if (h->intx_count[i] > 0)
		h->intx_count[i]--;
	after = h->intx_count[i] > 0;
	if (before != after) {
		h->gsi_level[i] = after;
		irq_line_set(&h->intx[i], after);
	}
	pthread_mutex_unlock(&h->lock);
}

/* Interrupt disable (command bit 10) keeps the line low, 6.2.2. */
static void intx_update(struct pci_dev *d)
{
	bool raise = d->intx_level &&
		     !(pci_cfg16(d, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);

	if (raise == d->intx_raised || !d->host || d->gsi < PLAT_PCI_GSI_BASE)
		return;
	d->intx_raised = raise;
	line_adjust(d->host, d->gsi, raise);
}

void pci_intx_set(struct pci_dev *d, bool level)
{
	uint16_t status = pci_cfg16(d, PCI_STATUS);

	d->intx_level = level;
	/* The status register shows the device's request either way. */
	if (level)
		status |= PCI_STATUS_INTERRUPT;
	else
		status &= (uint16_t)~PCI_STATUS_INTERRUPT;
	le_put(d->cfg + PCI_STATUS, 2, status);
	intx_update(d);
}

/* ---- BARs ------------------------------------------------------------- */

void pci_bar_access_locked(struct pci_dev *d, int bar, uint64_t off,
			   uint8_t *data, uint32_t len, bool is_write)
{
	uint64_t size = bar >= 0 && bar < PCI_NUM_BARS ? d->bar[bar].size : 0;

	if (off >= size || len > size - off) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (msix_bar_io(d, bar, off, data, len, is_write))
		return;
	if (d->ops && d->ops->bar_io)
		d->ops->bar_io(d, bar, off, data, len, is_write);
	else if (!is_write)
		memset(data, 0, len);
}

static void bar_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		   bool is_write)
{
	struct pci_bar *b = opaque;

	pci_dev_lock(b->dev);
	pci_bar_access_locked(b->dev, b->index, off, data, len, is_write);
	pci_dev_unlock(b->dev);
}

/*
 * Decode BAR i where its register and the command register say (6.2.5.1):
 * on the MMIO bus while memory space is enabled and the address is not 0.
 * An address that collides with another range stays undecoded.
 */
static void bar_update(struct pci_dev *d, int i)
{
	struct pci_bar *b = &d->bar[i];
	struct bus *mmio = d->host->mmio;
	uint64_t addr = pci_cfg32(d, PCI_BAR0 + 4 * i) & ~PCI_BAR_MEM_MASK;
	bool want = b->size && addr &&
		    (pci_cfg16(d, PCI_COMMAND) & PCI_COMMAND_MEMORY);

	if (want ? b->mapped == addr : !b->mapped)
		return;
	if (b->mapped && mmio)
		bus_unregister(mmio, b->mapped);
	b->mapped = 0;
	if (want) {
		int ret = mmio ? bus_register(mmio, addr, b->size, bar_io, b,
					      d->name) : 0;

		if (ret == 0)
			b->mapped = addr;
		else
			log_ratelimited(&d->rl, LOG_WARN,
					"%s: BAR%d at 0x%llx (%llu bytes) "
					"collides with another device; not "
					"decoded until moved", d->name, i,
					(unsigned long long)addr,
					(unsigned long long)b->size);
	}
	if (d->ops && d->ops->bar_remap)
		d->ops->bar_remap(d, i, b->mapped);
}

static void bars_update(struct pci_dev *d)
{
	for (int i = 0; i < PCI_NUM_BARS; i++)
		bar_update(d, i);
}

/* ---- Configuration space ------------------------------------------------ */

static uint32_t dev_cfg_read(struct pci_dev *d, uint32_t reg, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		if (reg + i < PCI_CFG_SIZE)
			v |= (uint32_t)d->cfg[reg + i] << (8 * i);
	if (d->ops && d->ops->cfg_read && reg < PCI_CFG_SIZE)
		d->ops->cfg_read(d, reg, len, &v);
	return v;
}

static void dev_cfg_write(struct pci_dev *d, uint32_t reg, uint32_t len,
			  uint32_t val)
{
	if (reg >= PCI_CFG_SIZE)
		return;		/* extended space: nothing writable */
	if (len > PCI_CFG_SIZE - reg)
		len = PCI_CFG_SIZE - reg;
	for (uint32_t i = 0; i < len; i++) {
		uint8_t m = d->wmask[reg + i], b = (uint8_t)(val >> (8 * i));

		d->cfg[reg + i] = (uint8_t)((d->cfg[reg + i] & ~m) | (b & m));
	}
	if (overlaps(reg, len, PCI_COMMAND, 2) ||
	    overlaps(reg, len, PCI_BAR0, 4 * PCI_NUM_BARS)) {
		bars_update(d);
		intx_update(d);
	}
	if (d->msix.nr && overlaps(reg, len, d->msix.cap + 2u, 2))
		msix_ctrl_written(d);
	if (d->ops && d->ops->cfg_write)
		d->ops->cfg_write(d, reg, len, val);
}

static struct pci_dev *lookup(struct pci_host *h, unsigned int dev,
			      unsigned int fn)
{
	/* Single-function devices only; slots change only before vCPUs run. */
	if (dev >= PCI_SLOTS || fn != 0)
		return NULL;
	return h->slot[dev];
}

uint32_t pci_cfg_read(struct pci_host *h, unsigned int dev, unsigned int fn,
		      uint32_t reg, uint32_t len)
{
	struct pci_dev *d = lookup(h, dev, fn);
	uint32_t v;

	if (len == 0 || len > 4)
		return 0;
	if (!d || reg >= PCI_ECAM_FN_SIZE)
		return len == 4 ? 0xffffffffu : (1u << (8 * len)) - 1;
	if (len > PCI_ECAM_FN_SIZE - reg)
		len = PCI_ECAM_FN_SIZE - reg;
	pci_dev_lock(d);
	v = dev_cfg_read(d, reg, len);
	pci_dev_unlock(d);
	return v;
}

void pci_cfg_write(struct pci_host *h, unsigned int dev, unsigned int fn,
		   uint32_t reg, uint32_t len, uint32_t val)
{
	struct pci_dev *d = lookup(h, dev, fn);

	if (!d || len == 0 || len > 4 || reg >= PCI_ECAM_FN_SIZE)
		return;
	pci_dev_lock(d);
	dev_cfg_write(d, reg, len, val);
	pci_dev_unlock(d);
}

/*
 * Configuration mechanism #1.  Only a dword access to 0xcf8 is the
 * address register; byte and word accesses there are other (absent) ISA
 * ports, as on PCs, which Linux's type-1 probe relies on.
 */
void pci_cf8_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		bool is_write)
{
	struct pci_host *h = opaque;
	uint32_t a, reg;

	if (off < 4) {
		if (off != 0 || len != 4) {
			if (!is_write)
				memset(data, 0xff, len);
			return;
		}
		pthread_mutex_lock(&h->lock);
		if (is_write)
			h->cf8 = le_get(data, 4) & CF8_WRITABLE;
		else
			le_put(data, 4, h->cf8);
		pthread_mutex_unlock(&h->lock);
		return;
	}
	pthread_mutex_lock(&h->lock);
	a = h->cf8;
	pthread_mutex_unlock(&h->lock);
	reg = (a & 0xfc) + (uint32_t)(off - 4);
	if (!(a & CF8_ENABLE) || ((a >> 16) & 0xff) != 0) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write)
		pci_cfg_write(h, (a >> 11) & 31, (a >> 8) & 7, reg, len,
			      le_get(data, len));
	else
		le_put(data, len,
		       pci_cfg_read(h, (a >> 11) & 31, (a >> 8) & 7, reg, len));
}

/* ECAM (PCIe 6.0, 7.2.2): bus 0 only, offset = dev << 15 | fn << 12 | reg. */
void pci_ecam_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		 bool is_write)
{
	struct pci_host *h = opaque;

	while (len) {
		unsigned int dev = (unsigned int)(off >> 15) & 31;
		unsigned int fn = (unsigned int)(off >> 12) & 7;
		uint32_t reg = (uint32_t)off & (PCI_ECAM_FN_SIZE - 1);
		uint32_t n = len < 4 ? len : 4;

		if (n > PCI_ECAM_FN_SIZE - reg)
			n = PCI_ECAM_FN_SIZE - reg;
		if (off >> 20) {	/* beyond bus 0 (not registered) */
			if (!is_write)
				memset(data, 0xff, len);
			return;
		}
		if (is_write)
			pci_cfg_write(h, dev, fn, reg, n, le_get(data, n));
		else
			le_put(data, n, pci_cfg_read(h, dev, fn, reg, n));
		off += n;
		data += n;
		len -= n;
	}
}

/* ---- Devices -------------------------------------------------------------- */

int pci_dev_init(struct pci_host *h, struct pci_dev *d, const char *name,
		 const struct pci_dev_ops *ops, void *opaque, uint16_t vendor,
		 uint16_t device, uint32_t class_code, uint8_t revision,
		 uint16_t subsys_vendor, uint16_t subsys_id)
{
	int ret;

	memset(d, 0, sizeof(*d));
	if ((ret = -pthread_mutex_init(&d->lock, NULL)))
		return ret;
	d->host = h;
	d->name = name;
	d->ops = ops;
	d->opaque = opaque;
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		d->bar[i].dev = d;
		d->bar[i].index = i;
	}
	le_put(d->cfg + PCI_VENDOR_ID, 2, vendor);
	le_put(d->cfg + PCI_DEVICE_ID, 2, device);
	d->cfg[PCI_REVISION_ID] = revision;
	le_put(d->cfg + PCI_CLASS_PROG, 3, class_code);
	d->cfg[PCI_HEADER_TYPE] = 0;		/* type 0, single function */
	le_put(d->cfg + PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor);
	le_put(d->cfg + PCI_SUBSYSTEM_ID, 2, subsys_id);
	le_put(d->wmask + PCI_COMMAND, 2, COMMAND_WRITABLE);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	return 0;
}

int pci_dev_add_bar(struct pci_dev *d, int bar, uint64_t size)
{
	if (bar < 0 || bar >= PCI_NUM_BARS || size < 4096 ||
	    size > PLAT_PCI_MMIO_SIZE || (size & (size - 1)))
		return -EINVAL;
	d->bar[bar].size = size;
	/* Address bits above the size are writable; the flags (32-bit,
	 * non-prefetchable memory: all zero) are not (6.2.5.1). */
	le_put(d->wmask + PCI_BAR0 + 4 * (uint32_t)bar, 4,
	       (uint32_t)~(size - 1));
	return 0;
}

uint8_t pci_dev_add_cap(struct pci_dev *d, const void *cap,
			const void *wmask, size_t len)
{
	uint32_t off = d->cap_end ? (d->cap_end + 3u) & ~3u : PCI_CAP_START;

	if (len < 2 || off + len > PCI_CFG_SIZE)
		return 0;
	memcpy(d->cfg + off, cap, len);
	d->cfg[off + 1] = 0;			/* end of the list */
	if (wmask)
		memcpy(d->wmask + off, wmask, len);
	d->wmask[off] = d->wmask[off + 1] = 0;
	if (d->last_cap)
		d->cfg[d->last_cap + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	le_put(d->cfg + PCI_STATUS, 2,
	       pci_cfg16(d, PCI_STATUS) | PCI_STATUS_CAP_LIST);
	d->last_cap = (uint8_t)off;
	d->cap_end = (uint8_t)(off + len);
	return (uint8_t)off;
}

/* Place every BAR in the 32-bit window, naturally aligned.  Host lock. */
static int place_bars(struct pci_host *h, struct pci_dev *d)
{
	uint64_t next = h->next_mmio;

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t size = d->bar[i].size, at;

		if (!size)
			continue;
		at = (next + size - 1) & ~(size - 1);
		if (at + size > PLAT_PCI_MMIO_START + PLAT_PCI_MMIO_SIZE)
			return -ENOSPC;
		le_put(d->cfg + PCI_BAR0 + 4 * (uint32_t)i, 4, (uint32_t)at);
		next = at + size;
	}
	h->next_mmio = next;
	return 0;
}

static int plug_at(struct pci_host *h, struct pci_dev *d, unsigned int slot)
{
	bool has_bar = false;
	int ret;

	pthread_mutex_lock(&h->lock);
	ret = place_bars(h, d);
	pthread_mutex_unlock(&h->lock);
	if (ret)
		return ret;
	d->slot = slot;
	if (slot) {
		/* INTA (pin 1); the _PRT's swizzle gives its GSI. */
		d->gsi = PLAT_PCI_GSI_BASE + slot % PLAT_PCI_GSI_COUNT;
		d->cfg[PCI_INTERRUPT_PIN] = 1;
		d->cfg[PCI_INTERRUPT_LINE] = (uint8_t)d->gsi;
	}
	for (int i = 0; i < PCI_NUM_BARS; i++)
		has_bar |= d->bar[i].size != 0;
	pci_dev_lock(d);
	/* Decoding on, as firmware leaves devices it has placed. */
	if (has_bar)
		le_put(d->cfg + PCI_COMMAND, 2,
		       pci_cfg16(d, PCI_COMMAND) | PCI_COMMAND_MEMORY);
	bars_update(d);
	pci_dev_unlock(d);
	h->slot[slot] = d;
	return 0;
}

int pci_dev_plug(struct pci_dev *d)
{
	struct pci_host *h = d->host;

	for (unsigned int s = 1; s < PCI_SLOTS; s++)
		if (!h->slot[s])
			return plug_at(h, d, s);
	return -ENOSPC;
}

void pci_dev_destroy(struct pci_dev *d)
{
	struct pci_host *h = d->host;

	if (!h)
		return;
	if (h->slot[d->slot] == d) {
		h->slot[d->slot] = NULL;
		pci_dev_lock(d);
		pci_intx_set(d, false);
		le_put(d->cfg + PCI_COMMAND, 2, 0);
		bars_update(d);
		pci_dev_unlock(d);
	}
	msix_destroy(d);
	pthread_mutex_destroy(&d->lock);
	d->host = NULL;
}

/* ---- Snapshot ------------------------------------------------------------- */

int pci_dev_save(const struct pci_dev *d, struct snap_enc *enc)
{
	snap_put_u8(enc, (uint8_t)d->slot);
	snap_put_bytes(enc, d->cfg, PCI_CFG_SIZE);
	return snap_put_bool(enc, d->intx_level);
}

/* Would BAR i at addr overlap a range on the MMIO bus that is not its own? */
static bool bar_collides(struct pci_dev *d, int i, uint64_t addr)
{
	struct bus *mmio = d->host->mmio;
	uint64_t size = d->bar[i].size;
	bool hit = false;

	if (!mmio)
		return false;
	pthread_rwlock_rdlock(&mmio->lock);
	for (unsigned int r = 0; !hit && r < mmio->nr; r++) {
		const struct bus_range *b = &mmio->range[r];

		hit = b->opaque != &d->bar[i] && addr < b->base + b->len &&
		      b->base < addr + size;
	}
	pthread_rwlock_unlock(&mmio->lock);
	return hit;
}

int pci_dev_decode(struct pci_dev *d, struct snap_dec *dec,
		   struct pci_dev_state *s)
{
	uint8_t slot;
	uint16_t status;

	memset(s, 0, sizeof(*s));
	snap_get_u8(dec, "pci.slot", &slot);
	snap_get_bytes(dec, "pci.cfg", s->cfg, PCI_CFG_SIZE);
	if (snap_get_bool(dec, "pci.intx_level", &s->intx_level))
		return dec->err;
	if (slot != d->slot)
		return snap_dec_fail(dec, "pci.slot", "the function was in slot "
				     "%u, this one is in slot %u", slot, d->slot);
	/* The device sets the interrupt status bit; it must say the level. */
	status = le16_get(s->cfg + PCI_STATUS);
	if (!!(status & PCI_STATUS_INTERRUPT) != s->intx_level)
		return snap_dec_fail(dec, "pci.cfg", "status 0x%04x disagrees "
				     "with the INTx level %d", status,
				     s->intx_level);
	for (uint32_t i = 0; i < PCI_CFG_SIZE; i++) {
		uint8_t ro = (uint8_t)~d->wmask[i], want = d->cfg[i];

		if (i == PCI_STATUS) {
			ro &= (uint8_t)~PCI_STATUS_INTERRUPT;
		}
		if ((s->cfg[i] ^ want) & ro)
			return snap_dec_fail(dec, "pci.cfg", "byte 0x%02x is "
					     "0x%02x; its read-only bits (0x%02x) "
					     "are 0x%02x in this device", i,
					     s->cfg[i], ro, want & ro);
	}
	/* As bar_update would decode them, minus the collision (6.2.5.1). */
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		uint64_t addr = le32_get(s->cfg + PCI_BAR0 + 4 * i) &
				~PCI_BAR_MEM_MASK;

		if (!d->bar[i].size || !addr ||
		    !(le16_get(s->cfg + PCI_COMMAND) & PCI_COMMAND_MEMORY))
			continue;
		if (bar_collides(d, i, addr))
			return snap_dec_fail(dec, "pci.cfg", "BAR%d at 0x%llx "
					     "(%llu bytes) collides with another "
					     "device", i,
					     (unsigned long long)addr,
					     (unsigned long long)d->bar[i].size);
	}
	return 0;
}

void pci_dev_apply(struct pci_dev *d, const struct pci_dev_state *s)
{
	memcpy(d->cfg, s->cfg, PCI_CFG_SIZE);
	bars_update(d);
	pci_intx_set(d, s->intx_level);
	if (d->msix.nr)
		msix_ctrl_written(d);
}

int pci_dev_restore(struct pci_dev *d, struct snap_dec *dec)
{
	struct pci_dev_state s;
	int ret = pci_dev_decode(d, dec, &s);

	if (!ret)
		pci_dev_apply(d, &s);
	return ret;
}

/* ---- Host ----------------------------------------------------------------- */

void pci_host_connect_intx(struct pci_host *h, const struct irq_line *lines)
{
	pthread_mutex_lock(&h->lock);
	for (unsigned int i = 0; i < PLAT_PCI_GSI_COUNT; i++)
		h->intx[i] = lines[i];
	pthread_mutex_unlock(&h->lock);
}

int pci_host_init(struct pci_host *h, int vm_fd, struct bus *pio,
		  struct bus *mmio, struct irq_routing *routing)
{
	int ret;

	memset(h, 0, sizeof(*h));
	h->vm_fd = vm_fd;
	h->pio = pio;
	h->mmio = mmio;
	h->routing = routing;
	h->next_mmio = PLAT_PCI_MMIO_START;
	if ((ret = -pthread_mutex_init(&h->lock, NULL)))
		return ret;
	ret = pci_dev_init(h, &h->bridge, "pci-host", NULL, NULL,
			   PCI_VENDOR_REDHAT, PCI_DEVICE_REDHAT_HOST,
			   PCI_CLASS_HOST_BRIDGE, 0, PCI_VENDOR_REDHAT,
			   PCI_DEVICE_REDHAT_HOST);
	if (ret || (ret = plug_at(h, &h->bridge, 0)))
		goto err;
	if (pio) {
		ret = bus_register(pio, PLAT_PORT_PCI_CONFIG, CF8_PORTS,
				   pci_cf8_io, h, "pci-cf8");
		if (ret)
			goto err;
		h->cf8_registered = true;
	}
	if (mmio) {
		ret = bus_register(mmio, PLAT_PCI_ECAM_START,
				   PLAT_PCI_ECAM_SIZE, pci_ecam_io, h,
				   "pci-ecam");
		if (ret)
			goto err;
		h->ecam_registered = true;
	}
	return 0;
err:
	log_error("cannot create the PCI host bridge: %s", strerror(-ret));
	pci_host_destroy(h);
	return ret;
}

void pci_host_destroy(struct pci_host *h)
{
	if (h->cf8_registered)
		bus_unregister(h->pio, PLAT_PORT_PCI_CONFIG);
	if (h->ecam_registered)
		bus_unregister(h->mmio, PLAT_PCI_ECAM_START);
	h->cf8_registered = h->ecam_registered = false;
	if (h->slot[0] == &h->bridge) {
		h->slot[0] = NULL;
		pthread_mutex_destroy(&h->bridge.lock);
	}
	pthread_mutex_destroy(&h->lock);
}
