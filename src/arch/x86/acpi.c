// SPDX-License-Identifier: MIT
/*
 * ACPI tables for the vmon x86 platform (ACPI 6.5 chapter 5).
 *
 * Everything lives in the window [PLAT_ACPI_ADDR, +PLAT_ACPI_MAX), which
 * the e820 map reserves.  The RSDP comes first, at the window's start (a
 * 16-byte boundary in 0xe0000-0xfffff, where legacy OSes scan for it,
 * sec. 5.2.5.1); the other tables follow, leaves before the tables that
 * point at them:
 *
 *   RSDP -> XSDT (and RSDT) -> FADT -> FACS, DSDT
 *                           -> MADT
 *
 * A full PC-style (not hardware-reduced) FADT: PM1a event/control blocks,
 * a 32-bit PM timer and a reset register in I/O space, SCI on ISA IRQ 9,
 * no SMI command port (ACPI is always enabled: PM1_CNT.SCI_EN reads 1).
 */
#include "arch/x86/acpi.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/aml.h"
#include "arch/x86/dsdt.h"
#include "arch/x86/platform.h"

/* The packed structs below are the little-endian table layouts. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "ACPI tables are little-endian; this code assumes the host is");

#define ARRAY_SIZE(x)		(sizeof(x) / sizeof((x)[0]))

#define ACPI_OEM_ID		"VMON  "	/* 6 bytes */
#define ACPI_OEM_TABLE_ID	"VMONVM  "	/* 8 bytes */
#define ACPI_OEM_REVISION	1
#define ACPI_CREATOR_ID		"VMON"
#define ACPI_CREATOR_REVISION	1

/* Table revisions (ACPI 6.5). */
#define RSDP_REVISION		2	/* ACPI 2.0+: has the XSDT */
#define RSDT_REVISION		1
#define XSDT_REVISION		1
#define FADT_REVISION		6
#define FADT_MINOR_REVISION	5	/* 6.5 */
#define FACS_VERSION		2
#define MADT_REVISION		6
#define DSDT_REVISION		2	/* 2+: 64-bit AML integers */

/* ---- Table layouts ------------------------------------------------------ */

/* System Description Table Header (sec. 5.2.6, Table 5.4). */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header");

/* Root System Description Pointer (sec. 5.2.5.3, Table 5.3). */
struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;		/* of this structure: 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* over all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
#define RSDP_V1_LEN		20

/* Generic Address Structure (sec. 5.2.3.2, Table 5.1). */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");
#define GAS_SPACE_SYSTEM_IO	1
#define GAS_ACCESS_BYTE		1
#define GAS_ACCESS_WORD		2
#define GAS_ACCESS_DWORD	3

/* Fixed ACPI Description Table (sec. 5.2.9, Table 5.9). */
struct acpi_fadt {
	struct acpi_header hdr;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;		/* ACPI 1.0 INT_MODEL */
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_fadt, pm1a_evt_blk) == 56, "FADT");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT");

/* Fixed feature flags (Table 5.10). */
#define FADT_F_WBINVD		(1u << 0)
#define FADT_F_PROC_C1		(1u << 2)
#define FADT_F_PWR_BUTTON	(1u << 4)	/* 1: no fixed power button */
#define FADT_F_SLP_BUTTON	(1u << 5)	/* 1: no fixed sleep button */
#define FADT_F_FIX_RTC		(1u << 6)	/* 1: no RTC_STS in PM1 */
#define FADT_F_TMR_VAL_EXT	(1u << 8)	/* 32-bit PM timer */
#define FADT_F_RESET_REG_SUP	(1u << 10)

/* IA-PC boot architecture flags (sec. 5.2.9.3, Table 5.11). */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042		(1u << 1)
#define FADT_BOOT_NO_VGA	(1u << 2)

/* P_LVLx_LAT above 100 / 1000 us: C2 / C3 not supported (Table 5.9). */
#define FADT_NO_C2_LAT		101
#define FADT_NO_C3_LAT		1001

/* PM block lengths in bytes (sec. 4.8.3). */
#define PM1_EVT_LEN		4	/* PM1_STS + PM1_EN, 16 bits each */
#define PM1_CNT_LEN		2
#define PM_TMR_LEN		4

/* Firmware ACPI Control Structure (sec. 5.2.10, Table 5.14). */
struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");
#define FACS_ALIGN		64

/* Multiple APIC Description Table (sec. 5.2.12, Table 5.19). */
struct acpi_madt {
	struct acpi_header hdr;
	uint32_t lapic_address;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");
#define MADT_PCAT_COMPAT	(1u << 0)

/* Processor Local APIC Structure (sec. 5.2.12.2, Table 5.22). */
struct madt_lapic {
	uint8_t type;
	uint8_t length;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT LAPIC");
#define MADT_TYPE_LAPIC		0
#define MADT_LAPIC_ENABLED	(1u << 0)

/* I/O APIC Structure (sec. 5.2.12.3, Table 5.24). */
struct madt_ioapic {
	uint8_t type;
	uint8_t length;
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT IOAPIC");
#define MADT_TYPE_IOAPIC	1

/* Interrupt Source Override Structure (sec. 5.2.12.5, Table 5.25). */
struct madt_iso {
	uint8_t type;
	uint8_t length;
	uint8_t bus;			/* 0: ISA */
	uint8_t source;			/* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;			/* MPS INTI flags, Table 5.26 */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_iso) == 10, "MADT ISO");
#define MADT_TYPE_ISO		2

/* Local APIC NMI Structure (sec. 5.2.12.7, Table 5.28). */
struct madt_lapic_nmi {
	uint8_t type;
	uint8_t length;
	uint8_t processor_uid;		/* 0xff: all processors */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT LAPIC NMI");
#define MADT_TYPE_LAPIC_NMI	4
#define MADT_ALL_PROCESSORS	0xff

/* PCI Express memory-mapped configuration (PCI Firmware 3.0, 4.1.2). */
struct acpi_mcfg {
	struct acpi_header hdr;
	uint8_t reserved[8];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG");

struct mcfg_allocation {
	uint64_t base;			/* ECAM base of bus start_bus */
	uint16_t segment;
	uint8_t start_bus;
	uint8_t end_bus;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct mcfg_allocation) == 16, "MCFG allocation");
#define MCFG_REVISION		1

/* MPS INTI flags (Table 5.26): polarity bits 0-1, trigger mode bits 2-3. */
#define MPS_INTI_CONFORMS	0x0
#define MPS_INTI_ACTIVE_HIGH	0x1
#define MPS_INTI_LEVEL		(0x3 << 2)

/* The longest XSDT we build; room for MCFG and friends later. */
#define ACPI_MAX_TABLES		8

_Static_assert(PLAT_ACPI_ADDR % FACS_ALIGN == 0,
	       "window offsets must keep the gpa's alignment");
_Static_assert(PLAT_ACPI_ADDR + PLAT_ACPI_MAX <= 0x100000000ULL,
	       "the RSDT holds 32-bit table addresses");

/* ---- Builder ------------------------------------------------------------ */

struct acpi_ctx {
	uint8_t *win;			/* host view of the whole window */
	size_t used;			/* bytes of it handed out */
	uint64_t tables[ACPI_MAX_TABLES];	/* gpas for the XSDT */
	unsigned int nr_tables;
};

uint8_t acpi_checksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

/* Carve len bytes, aligned, out of the window; zeroed.  NULL if full. */
static void *ctx_alloc(struct acpi_ctx *c, size_t len, size_t align,
		       uint64_t *gpa)
{
	size_t off = (c->used + align - 1) & ~(align - 1);

	if (off > PLAT_ACPI_MAX || len > PLAT_ACPI_MAX - off)
		return NULL;
	c->used = off + len;
	*gpa = PLAT_ACPI_ADDR + off;
	memset(c->win + off, 0, len);
	return c->win + off;
}

static void header_init(struct acpi_header *h, const char *sig, size_t len,
			uint8_t revision)
{
	memcpy(h->signature, sig, sizeof(h->signature));
	h->length = (uint32_t)len;
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = ACPI_CREATOR_REVISION;
}

/* Last step for every table: the whole table sums to zero. */
static void table_finish(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
}

static void add_table(struct acpi_ctx *c, uint64_t gpa)
{
	/* Callers add a fixed set, well under ACPI_MAX_TABLES. */
	if (c->nr_tables < ACPI_MAX_TABLES)
		c->tables[c->nr_tables++] = gpa;
}

/* FACS (sec. 5.2.10): no checksum; waking vector and global lock unused. */
static int build_facs(struct acpi_ctx *c, uint64_t *gpa)
{
	struct acpi_facs *f = ctx_alloc(c, sizeof(*f), FACS_ALIGN, gpa);

	if (!f)
		return -ENOSPC;
	memcpy(f->signature, "FACS", 4);
	f->length = sizeof(*f);
	f->version = FACS_VERSION;
	return 0;
}

static int build_dsdt(struct acpi_ctx *c, const struct acpi_config *cfg,
		      uint64_t *gpa)
{
	struct acpi_header *h;
	struct aml a;
	int ret = 0;

	aml_init(&a, PLAT_ACPI_MAX);
	dsdt_build_aml(&a, cfg);
	ret = aml_error(&a);
	if (ret < 0)
		goto out;
	h = ctx_alloc(c, sizeof(*h) + a.len, 16, gpa);
	if (!h) {
		ret = -ENOSPC;
		goto out;
	}
	header_init(h, "DSDT", sizeof(*h) + a.len, DSDT_REVISION);
	memcpy(h + 1, a.buf, a.len);
	table_finish(h);
out:
	aml_free(&a);
	return ret;
}

static struct acpi_gas gas_io(uint16_t port, unsigned int len,
			      uint8_t access_size)
{
	return (struct acpi_gas){
		.space_id = GAS_SPACE_SYSTEM_IO,
		.bit_width = (uint8_t)(len * 8),
		.access_size = access_size,
		.address = port,
	};
}

static int build_fadt(struct acpi_ctx *c, const struct acpi_config *cfg,
		      uint64_t facs, uint64_t dsdt)
{
	struct acpi_fadt *f;
	uint64_t gpa;

	f = ctx_alloc(c, sizeof(*f), 16, &gpa);
	if (!f)
		return -ENOSPC;
	header_init(&f->hdr, "FACP", sizeof(*f), FADT_REVISION);
	f->minor_version = FADT_MINOR_REVISION;

	/*
	 * FIRMWARE_CTRL and X_FIRMWARE_CTRL must not both be non-zero; the
	 * 64-bit field is for a FACS above 4 GiB (Table 5.9).  The DSDT may
	 * be given in both, and they must agree.
	 */
	f->firmware_ctrl = (uint32_t)facs;
	f->x_firmware_ctrl = 0;
	f->dsdt = (uint32_t)dsdt;
	f->x_dsdt = dsdt;

	f->sci_int = PLAT_IRQ_SCI;
	/* SMI_CMD 0: no SMM; ACPI_ENABLE/ACPI_DISABLE must then be 0. */
	f->smi_cmd = 0;

	f->pm1a_evt_blk = PLAT_PORT_PM1A_EVT;
	f->pm1_evt_len = PM1_EVT_LEN;
	f->x_pm1a_evt_blk = gas_io(PLAT_PORT_PM1A_EVT, PM1_EVT_LEN,
				   GAS_ACCESS_WORD);
	f->pm1a_cnt_blk = PLAT_PORT_PM1A_CNT;
	f->pm1_cnt_len = PM1_CNT_LEN;
	f->x_pm1a_cnt_blk = gas_io(PLAT_PORT_PM1A_CNT, PM1_CNT_LEN,
				   GAS_ACCESS_WORD);
	f->pm_tmr_blk = PLAT_PORT_PM_TMR;
	f->pm_tmr_len = PM_TMR_LEN;
	f->x_pm_tmr_blk = gas_io(PLAT_PORT_PM_TMR, PM_TMR_LEN,
				 GAS_ACCESS_DWORD);
	/* No PM1b, PM2 or GPE blocks. */

	f->p_lvl2_lat = FADT_NO_C2_LAT;
	f->p_lvl3_lat = FADT_NO_C3_LAT;
	/* The RTC keeps the century in CMOS 0x32 (hw/rtc.h); no alarms. */
	f->century = 0x32;

	f->iapc_boot_arch = FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_8042 |
			    FADT_BOOT_NO_VGA;
	f->flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
		   FADT_F_FIX_RTC | FADT_F_TMR_VAL_EXT | FADT_F_RESET_REG_SUP;
	if (!cfg->power_button)
		f->flags |= FADT_F_PWR_BUTTON;

	/* Reset: write RESET_VALUE to one I/O port (sec. 4.8.3.6). */
	f->reset_reg = gas_io(PLAT_PORT_ACPI_RESET, 1, GAS_ACCESS_BYTE);
	f->reset_value = PLAT_ACPI_RESET_VALUE;

	table_finish(&f->hdr);
	add_table(c, gpa);
	return 0;
}

static int build_madt(struct acpi_ctx *c, const struct acpi_config *cfg)
{
	const struct madt_iso isos[] = {
		/* The PIT's IRQ0 is wired to IOAPIC pin 2 (as on PCs). */
		{ MADT_TYPE_ISO, sizeof(struct madt_iso), 0, PLAT_IRQ_PIT,
		  PLAT_GSI_PIT, MPS_INTI_CONFORMS },
		/* SCI: level-triggered, active high (sec. 5.2.12.5). */
		{ MADT_TYPE_ISO, sizeof(struct madt_iso), 0, PLAT_IRQ_SCI,
		  PLAT_IRQ_SCI, MPS_INTI_LEVEL | MPS_INTI_ACTIVE_HIGH },
	};
	size_t len = sizeof(struct acpi_madt) +
		     cfg->nr_cpus * sizeof(struct madt_lapic) +
		     sizeof(struct madt_ioapic) + sizeof(isos) +
		     sizeof(struct madt_lapic_nmi);
	struct acpi_madt *m;
	struct madt_lapic *lapic;
	struct madt_ioapic *ioapic;
	struct madt_lapic_nmi *nmi;
	uint8_t *p;
	uint64_t gpa;

	m = ctx_alloc(c, len, 16, &gpa);
	if (!m)
		return -ENOSPC;
	header_init(&m->hdr, "APIC", len, MADT_REVISION);
	m->lapic_address = (uint32_t)PLAT_LAPIC_ADDR;
	/* KVM's in-kernel irqchip also has the two 8259s. */
	m->flags = MADT_PCAT_COMPAT;
	p = (uint8_t *)(m + 1);

	/* Boot processor first (sec. 5.2.12.1): APIC ID 0 is the BSP. */
	for (unsigned int i = 0; i < cfg->nr_cpus; i++) {
		lapic = (struct madt_lapic *)p;
		lapic->type = MADT_TYPE_LAPIC;
		lapic->length = sizeof(*lapic);
		lapic->processor_uid = (uint8_t)i;
		lapic->apic_id = (uint8_t)i;
		lapic->flags = MADT_LAPIC_ENABLED;
		p += sizeof(*lapic);
	}

	ioapic = (struct madt_ioapic *)p;
	ioapic->type = MADT_TYPE_IOAPIC;
	ioapic->length = sizeof(*ioapic);
	ioapic->ioapic_id = PLAT_IOAPIC_ID;
	ioapic->address = (uint32_t)PLAT_IOAPIC_ADDR;
	ioapic->gsi_base = 0;
	p += sizeof(*ioapic);

	memcpy(p, isos, sizeof(isos));
	p += sizeof(isos);

	/* LINT1 of every local APIC is the NMI input (virtual wire). */
	nmi = (struct madt_lapic_nmi *)p;
	nmi->type = MADT_TYPE_LAPIC_NMI;
	nmi->length = sizeof(*nmi);
	nmi->processor_uid = MADT_ALL_PROCESSORS;
	nmi->flags = MPS_INTI_CONFORMS;
	nmi->lint = 1;

	table_finish(&m->hdr);
	add_table(c, gpa);
	return 0;
}

/* MCFG: one ECAM window, segment 0, bus 0 only. */
static int build_mcfg(struct acpi_ctx *c)
{
	size_t len = sizeof(struct acpi_mcfg) + sizeof(struct mcfg_allocation);
	struct acpi_mcfg *m;
	struct mcfg_allocation *alloc;
	uint64_t gpa;

	m = ctx_alloc(c, len, 16, &gpa);
	if (!m)
		return -ENOSPC;
	header_init(&m->hdr, "MCFG", len, MCFG_REVISION);
	alloc = (struct mcfg_allocation *)(m + 1);
	alloc->base = PLAT_PCI_ECAM_START;
	alloc->segment = 0;
	alloc->start_bus = 0;
	alloc->end_bus = (uint8_t)(PLAT_PCI_ECAM_SIZE / (1u << 20) - 1);
	table_finish(&m->hdr);
	add_table(c, gpa);
	return 0;
}

/* XSDT (sec. 5.2.8): 64-bit pointers, unaligned after the 36-byte header. */
static int build_xsdt(struct acpi_ctx *c, uint64_t *gpa)
{
	size_t len = sizeof(struct acpi_header) + 8 * c->nr_tables;
	struct acpi_header *h = ctx_alloc(c, len, 16, gpa);

	if (!h)
		return -ENOSPC;
	header_init(h, "XSDT", len, XSDT_REVISION);
	memcpy(h + 1, c->tables, 8 * c->nr_tables);
	table_finish(h);
	return 0;
}

/* RSDT (sec. 5.2.7): the same list in 32 bits, for ACPI 1.0 readers. */
static int build_rsdt(struct acpi_ctx *c, uint64_t *gpa)
{
	size_t len = sizeof(struct acpi_header) + 4 * c->nr_tables;
	struct acpi_header *h = ctx_alloc(c, len, 16, gpa);
	uint8_t *p = (uint8_t *)(h + 1);
	uint32_t addr;

	if (!h)
		return -ENOSPC;
	header_init(h, "RSDT", len, RSDT_REVISION);
	for (unsigned int i = 0; i < c->nr_tables; i++) {
		addr = (uint32_t)c->tables[i];
		memcpy(p + 4 * i, &addr, 4);
	}
	table_finish(h);
	return 0;
}

static int check_config(const struct acpi_config *cfg)
{
	if (!cfg || cfg->nr_cpus == 0 || cfg->nr_cpus > PLAT_MAX_VCPUS)
		return -EINVAL;
	return 0;
}

int acpi_build(const struct guest_mem *gm, const struct acpi_config *cfg,
	       uint64_t *rsdp_gpa)
{
	struct acpi_ctx c = { 0 };
	struct acpi_rsdp *rsdp;
	uint64_t rsdp_at, facs, dsdt, xsdt, rsdt;
	int ret;

	ret = check_config(cfg);
	if (ret < 0 || !rsdp_gpa)
		return -EINVAL;
	c.win = gm_ptr(gm, PLAT_ACPI_ADDR, PLAT_ACPI_MAX);
	if (!c.win)
		return -EFAULT;
	memset(c.win, 0, PLAT_ACPI_MAX);

	rsdp = ctx_alloc(&c, sizeof(*rsdp), 16, &rsdp_at);
	if (!rsdp)
		return -ENOSPC;
	ret = build_facs(&c, &facs);
	if (ret < 0)
		return ret;
	ret = build_dsdt(&c, cfg, &dsdt);
	if (ret < 0)
		return ret;
	ret = build_fadt(&c, cfg, facs, dsdt);
	if (ret < 0)
		return ret;
	ret = build_madt(&c, cfg);
	if (ret < 0)
		return ret;
	if (cfg->pci && (ret = build_mcfg(&c)) < 0)
		return ret;
	ret = build_xsdt(&c, &xsdt);
	if (ret < 0)
		return ret;
	ret = build_rsdt(&c, &rsdt);
	if (ret < 0)
		return ret;

	/* RSDP (sec. 5.2.5.3): two checksums, the first over 20 bytes. */
	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, sizeof(rsdp->oem_id));
	rsdp->revision = RSDP_REVISION;
	rsdp->rsdt_address = (uint32_t)rsdt;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt;
	rsdp->checksum = acpi_checksum(rsdp, RSDP_V1_LEN);
	rsdp->extended_checksum = acpi_checksum(rsdp, sizeof(*rsdp));

	*rsdp_gpa = rsdp_at;
	return 0;
}
