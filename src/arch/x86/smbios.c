// SPDX-License-Identifier: MIT
/*
 * SMBIOS tables for the vmon x86 platform (DMTF DSP0134 3.0.0).
 *
 * Two entry points lead to one structure table: the 64-bit "_SM3_" one
 * (sec. 5.2.2), which Linux and dmidecode look for first, and the 32-bit
 * "_SM_" one with its "_DMI_" intermediate anchor (sec. 5.2.1) for older
 * readers.  Without EFI, Linux (drivers/firmware/dmi_scan.c,
 * dmi_scan_machine) scans 0xf0000-0xfffff on 16-byte boundaries for them;
 * both sit at the start of that window, the table right after.
 *
 * The structures are those QEMU gives a PC, naming vmon: BIOS (Type 0),
 * system (1), chassis (3), processor (4), memory array, device and
 * mapped addresses (16, 17, 19), boot status (32) and end of table (127).
 * Linux prints "DMI: vmon vmon, BIOS <version> <date>" from Types 0 and 1;
 * systemd-detect-virt and cloud-init read the same strings from sysfs.
 */
#include "arch/x86/smbios.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86/acpi.h"
#include "arch/x86/platform.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "SMBIOS structures are little-endian; this code assumes the host is");

#define SMBIOS_MAJOR		3
#define SMBIOS_MINOR		0
#define SMBIOS_DOCREV		0
#define SMBIOS_BCD_REVISION	0x30

#define SMBIOS_VENDOR		"vmon"
/* The day VERSION became 0.1.0; bump the two together. */
#define SMBIOS_BIOS_DATE	"11/21/2026"	/* mm/dd/yyyy, sec. 7.1 */

/* Handles 0xfffe and 0xffff are reserved (sec. 6.1.2). */
#define HANDLE_NONE		0xffff		/* no such structure */
#define HANDLE_NOT_PROVIDED	0xfffe		/* e.g. error information */

/* ---- Layouts ---------------------------------------------------------- */

/* 64-bit entry point (sec. 5.2.2, Table 2). */
struct smbios_ep3 {
	char anchor[5];			/* "_SM3_" */
	uint8_t checksum;		/* over `length` bytes */
	uint8_t length;
	uint8_t major;
	uint8_t minor;
	uint8_t docrev;
	uint8_t revision;		/* 1: this layout */
	uint8_t reserved;
	uint32_t table_max;		/* table size, upper bound */
	uint64_t table_addr;
} __attribute__((packed));
_Static_assert(sizeof(struct smbios_ep3) == 0x18, "SMBIOS 3.0 entry point");

/* 32-bit entry point (sec. 5.2.1, Table 1). */
struct smbios_ep2 {
	char anchor[4];			/* "_SM_" */
	uint8_t checksum;		/* over `length` bytes */
	uint8_t length;
	uint8_t major;
	uint8_t minor;
	uint16_t max_struct;		/* largest structure, strings too */
	uint8_t revision;		/* 0: the formatted area is reserved */
	uint8_t formatted[5];
	char dmi_anchor[5];		/* "_DMI_" */
	uint8_t dmi_checksum;		/* over the 15 bytes from dmi_anchor */
	uint16_t table_len;
	uint32_t table_addr;
	uint16_t nr_structs;
	uint8_t bcd_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct smbios_ep2) == 0x1f, "SMBIOS 2.1 entry point");
#define EP2_DMI_OFFSET		0x10
#define EP2_DMI_LEN		15

_Static_assert(SMBIOS_EP3_OFFSET % 16 == 0 && SMBIOS_EP2_OFFSET % 16 == 0,
	       "entry points are found on 16-byte boundaries");
_Static_assert(SMBIOS_EP3_OFFSET + sizeof(struct smbios_ep3) <=
		       SMBIOS_EP2_OFFSET &&
	       SMBIOS_EP2_OFFSET + sizeof(struct smbios_ep2) <=
		       SMBIOS_TABLE_OFFSET,
	       "entry points and table do not overlap");

/* Structure header (sec. 6.1.2, Table 3). */
struct smbios_hdr {
	uint8_t type;
	uint8_t length;			/* formatted area, not the strings */
	uint16_t handle;
} __attribute__((packed));

/* BIOS Information, Type 0 (sec. 7.1, Table 6; 2.4+ layout). */
struct smbios_type0 {
	struct smbios_hdr hdr;
	uint8_t vendor;
	uint8_t version;
	uint16_t start_segment;
	uint8_t release_date;
	uint8_t rom_size;		/* 64 KiB * (n + 1) */
	uint64_t characteristics;
	uint8_t ext1;
	uint8_t ext2;
	uint8_t bios_major;
	uint8_t bios_minor;
	uint8_t ec_major;
	uint8_t ec_minor;
} __attribute__((packed));
_Static_assert(sizeof(struct smbios_type0) == 0x18, "Type 0");
#define T0_CHAR_NOT_SUPPORTED	(1ull << 3)	/* Table 7 */
#define T0_EXT2_TARGETED	(1u << 2)	/* Table 9: content distrib. */
#define T0_EXT2_VM		(1u << 4)	/* Table 9: a virtual machine */
#define T0_NO_EC		0xff

/* System Information, Type 1 (sec. 7.2, Table 10; 2.4+ layout). */
struct smbios_type1 {
	struct smbios_hdr hdr;
	uint8_t manufacturer;
	uint8_t product;
	uint8_t version;
	uint8_t serial;
	uint8_t uuid[16];		/* sec. 7.2.1 byte order */
	uint8_t wakeup;
	uint8_t sku;
	uint8_t family;
} __attribute__((packed));
_Static_assert(sizeof(struct smbios_type1) == 0x1b, "Type 1");
#define T1_WAKEUP_POWER_SWITCH	0x06		/* Table 12 */

/* System Enclosure or Chassis, Type 3 (sec. 7.4, Table 16; 2.7+). */
struct smbios_type3 {
	struct smbios_hdr hdr;
	uint8_t manufacturer;
	uint8_t type;
	uint8_t version;
	uint8_t serial;
	uint8_t asset_tag;
	uint8_t bootup_state;
	uint8_t power_state;
	uint8_t thermal_state;
	uint8_t security;
	uint32_t oem;
	uint8_t height;
	uint8_t nr_cords;
	uint8_t nr_elements;
	uint8_t element_len;
	uint8_t sku;			/* after 0 contained elements */
} __attribute__((packed));
_Static_assert(sizeof(struct smbios_type3) == 0x16, "Type 3");
#define T3_TYPE_OTHER		0x01		/* Table 17 */
#define T3_STATE_SAFE		0x03		/* Table 18 */
#define T3_SECURITY_NONE	0x03		/* Table 19 */

/* Processor Information, Type 4 (sec. 7.5, Table 20; 3.0 layout). */
struct smbios_type4 {
	struct smbios_hdr hdr;
	uint8_t socket;
	uint8_t processor_type;
	uint8_t family;
	uint8_t manufacturer;
	uint32_t id[2];			/* x86: CPUID.1 EAX, EDX (7.5.3) */
	uint8_t version;
	uint8_t voltage;
	uint16_t external_clock;	/* MHz, 0: unknown */
	uint16_t max_speed;
	uint16_t current_speed;
	uint8_t status;
	uint8_t upgrade;
	uint16_t l1_handle;
	uint16_t l2_handle;
	uint16_t l3_handle;
	uint8_t serial;
	uint8_t asset_tag;
	uint8_t part;
	uint8_t core_count;
	uint8_t core_enabled;
	uint8_t thread_count;
	uint16_t characteristics;
	uint16_t family2;
	uint16_t core_count2;
	uint16_t core_enabled2;
	uint16_t thread_count2;
} __attribute__((packed));
_Static_assert(sizeof(struct smbios_type4) == 0x30, "Type 4");
#define T4_TYPE_CENTRAL		0x03		/* Table 21 */
#define T4_FAMILY_OTHER		0x01		/* Table 22 */
#define T4_STATUS_ENABLED	0x41		/* populated, enabled */
#define T4_UPGRADE_OTHER	0x01		/* Table 23 */
#define T4_CHAR_64BIT		(1u << 2)	/* Table 24 */
#define T4_CHAR_MULTI_CORE	(1u << 3)

/* Physical Memory Array, Type 16 (sec. 7.17, Table 71; 2.7+). */
struct smbios_type16 {
	struct smbios_hdr hdr;
	uint8_t location;
	uint8_t use;
	uint8_t ecc;
	uint32_t max_capacity;		/* KiB; 0x80000000: see extended */
	uint16_t error_handle;
	uint16_t nr_devices;
	uint64_t ext_max_capacity;	/* bytes */
} __attribute__((packed));
_Static_assert(sizeof(struct smbios_type16) == 0x17, "Type 16");
#define T16_LOCATION_OTHER	0x01		/* Table 72 */
#define T16_USE_SYSTEM		0x03		/* Table 73 */
#define T16_ECC_NONE		0x03		/* Table 74 */
#define T16_CAPACITY_EXTENDED	0x80000000u

/* Memory Device, Type 17 (sec. 7.18, Table 75; 2.8 layout as in 3.0). */
struct smbios_type17 {
	struct smbios_hdr hdr;
	uint16_t array_handle;
	uint16_t error_handle;
	uint16_t total_width;
	uint16_t data_width;
	uint16_t size;			/* MiB; 0x7fff: see extended */
	uint8_t form_factor;
	uint8_t device_set;
	uint8_t locator;
	uint8_t bank_locator;
	uint8_t memory_type;
	uint16_t type_detail;
	uint16_t speed;
	uint8_t manufacturer;
	uint8_t serial;
	uint8_t asset_tag;
	uint8_t part;
	uint8_t attributes;
	uint32_t ext_size;		/* MiB, bits 30:0 */
	uint16_t configured_speed;
	uint16_t min_voltage;
	uint16_t max_voltage;
	uint16_t configured_voltage;
} __attribute__((packed));
_Static_assert(sizeof(struct smbios_type17) == 0x28, "Type 17");
#define T17_WIDTH_UNKNOWN	0xffff
#define T17_SIZE_EXTENDED	0x7fff
#define T17_FORM_DIMM		0x09		/* Table 76 */
#define T17_TYPE_RAM		0x07		/* Table 77 */
#define T17_DETAIL_OTHER	0x0002		/* Table 78 */

/* Memory Array Mapped Address, Type 19 (sec. 7.20, Table 82; 2.7+). */
struct smbios_type19 {
	struct smbios_hdr hdr;
	uint32_t start_kib;		/* 0xffffffff: see extended */
	uint32_t end_kib;		/* last KiB, inclusive */
	uint16_t array_handle;
	uint8_t partition_width;
	uint64_t ext_start;		/* bytes */
	uint64_t ext_end;		/* last byte, inclusive */
} __attribute__((packed));
_Static_assert(sizeof(struct smbios_type19) == 0x1f, "Type 19");
#define T19_EXTENDED		0xffffffffu

/* System Boot Information, Type 32 (sec. 7.33, Table 99). */
struct smbios_type32 {
	struct smbios_hdr hdr;
	uint8_t reserved[6];
	uint8_t status;			/* 0: no errors detected */
} __attribute__((packed));
_Static_assert(sizeof(struct smbios_type32) == 0x0b, "Type 32");

#define TYPE_END		127	/* sec. 7.45 */

/* ---- Builder ---------------------------------------------------------- */

/*
 * The structure table being written.  Once it is full every structure
 * goes to scratch and every string is dropped, so the builders need no
 * checks; smbios_write() then says -ENOSPC.
 */
struct smb {
	uint8_t *buf;
	size_t cap, len;
	bool full;
	size_t start;			/* of the current structure */
	uint8_t nr_strings;		/* in the current structure */
	uint16_t nr;			/* structures so far: the next handle */
	size_t max_struct;
	uint8_t scratch[64];		/* the largest structure fits */
};
_Static_assert(sizeof(struct smbios_type4) <= 64 &&
		       sizeof(struct smbios_type17) <= 64,
	       "every structure fits the scratch area");

static void *smb_begin(struct smb *s, uint8_t type, size_t len,
		       uint16_t *handle)
{
	struct smbios_hdr *h;

	s->start = s->len;
	s->nr_strings = 0;
	if (s->full || len > s->cap - s->len) {
		s->full = true;
		h = (struct smbios_hdr *)s->scratch;
	} else {
		h = (struct smbios_hdr *)(s->buf + s->len);
		s->len += len;
	}
	memset(h, 0, len);
	h->type = type;
	h->length = (uint8_t)len;
	h->handle = s->nr;
	if (handle)
		*handle = s->nr;
	s->nr++;
	return h;
}

/*
 * Append a string to the current structure; its number for the field,
 * or 0 for none (sec. 6.1.3: strings are never empty, 0 means "none").
 */
static uint8_t smb_str(struct smb *s, const char *str)
{
	size_t n;

	if (!str || !*str)
		return 0;
	n = strlen(str) + 1;
	if (s->full || n > s->cap - s->len) {
		s->full = true;
		return 0;
	}
	memcpy(s->buf + s->len, str, n);
	s->len += n;
	return ++s->nr_strings;
}

/* The string set ends with a second NUL; with no strings, two (6.1.3). */
static void smb_end(struct smb *s)
{
	size_t n = s->nr_strings ? 1 : 2;

	if (s->full || n > s->cap - s->len) {
		s->full = true;
		return;
	}
	memset(s->buf + s->len, 0, n);
	s->len += n;
	if (s->len - s->start > s->max_struct)
		s->max_struct = s->len - s->start;
}

/* "0.1.0" -> 0, 1; 0xff where a number does not fit (sec. 7.1). */
static void version_numbers(const char *v, uint8_t *major, uint8_t *minor)
{
	unsigned int a, b;

	*major = *minor = 0xff;
	if (sscanf(v, "%u.%u", &a, &b) == 2 && a < 0xff && b < 0xff) {
		*major = (uint8_t)a;
		*minor = (uint8_t)b;
	}
}

static void build_bios(struct smb *s)
{
	struct smbios_type0 *t = smb_begin(s, 0, sizeof(*t), NULL);

	t->vendor = smb_str(s, SMBIOS_VENDOR);
	t->version = smb_str(s, VMON_VERSION);
	t->release_date = smb_str(s, SMBIOS_BIOS_DATE);
	/* No BIOS code: the firmware area is the 128 KiB of tables. */
	t->start_segment = (uint16_t)(PLAT_ACPI_ADDR >> 4);
	t->rom_size = (uint8_t)((PLAT_HIGH_RAM_START - PLAT_ACPI_ADDR) /
				0x10000 - 1);
	t->characteristics = T0_CHAR_NOT_SUPPORTED;
	t->ext2 = T0_EXT2_TARGETED | T0_EXT2_VM;
	version_numbers(VMON_VERSION, &t->bios_major, &t->bios_minor);
	t->ec_major = t->ec_minor = T0_NO_EC;
	smb_end(s);
}

static void build_system(struct smb *s, const struct smbios_config *cfg)
{
	/*
	 * Sec. 7.2.1: the first three fields little-endian, the rest as
	 * written, so the UUID prints as the RFC 4122 string it is.
	 */
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6,
					   8, 9, 10, 11, 12, 13, 14, 15 };
	struct smbios_type1 *t = smb_begin(s, 1, sizeof(*t), NULL);
	const uint8_t *u = cfg->uuid;
	char serial[37];

	snprintf(serial, sizeof(serial),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	t->manufacturer = smb_str(s, SMBIOS_VENDOR);
	t->product = smb_str(s, SMBIOS_VENDOR);
	t->version = smb_str(s, VMON_VERSION);
	t->serial = smb_str(s, serial);
	t->family = smb_str(s, SMBIOS_VENDOR);
	for (unsigned int i = 0; i < 16; i++)
		t->uuid[i] = u[order[i]];
	t->wakeup = T1_WAKEUP_POWER_SWITCH;
	smb_end(s);
}

static void build_chassis(struct smb *s)
{
	struct smbios_type3 *t = smb_begin(s, 3, sizeof(*t), NULL);

	t->manufacturer = smb_str(s, SMBIOS_VENDOR);
	t->type = T3_TYPE_OTHER;	/* DSP0134 has no "virtual machine" */
	t->bootup_state = T3_STATE_SAFE;
	t->power_state = T3_STATE_SAFE;
	t->thermal_state = T3_STATE_SAFE;
	t->security = T3_SECURITY_NONE;
	smb_end(s);
}

/*
 * One Type 4 per socket (sec. 7.5): vmon's CPUID makes every vCPU a
 * single-thread core of one package, so one structure counts them all.
 */
static void build_processor(struct smb *s, const struct smbios_config *cfg)
{
	struct smbios_type4 *t = smb_begin(s, 4, sizeof(*t), NULL);
	unsigned int n = cfg->nr_cpus;
	/* Counts above 255 go in the 16-bit fields only (sec. 7.5.6-7.5.8). */
	uint8_t n8 = n > 0xff ? 0xff : (uint8_t)n;

	t->socket = smb_str(s, "CPU 0");
	t->manufacturer = smb_str(s, cfg->cpu_manufacturer ?
					     cfg->cpu_manufacturer :
					     SMBIOS_VENDOR);
	t->version = smb_str(s, cfg->cpu_version);
	t->processor_type = T4_TYPE_CENTRAL;
	t->family = T4_FAMILY_OTHER;
	t->family2 = T4_FAMILY_OTHER;
	t->id[0] = cfg->cpu_signature;
	t->id[1] = cfg->cpu_features;
	t->status = T4_STATUS_ENABLED;
	t->upgrade = T4_UPGRADE_OTHER;
	t->l1_handle = t->l2_handle = t->l3_handle = HANDLE_NONE;
	t->core_count = t->core_enabled = t->thread_count = n8;
	t->core_count2 = t->core_enabled2 = t->thread_count2 = (uint16_t)n;
	t->characteristics = T4_CHAR_64BIT | (n > 1 ? T4_CHAR_MULTI_CORE : 0);
	smb_end(s);
}

static uint64_t ram_total(const struct smbios_ram *ram, unsigned int nr)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < nr; i++)
		total += ram[i].size;
	return total;
}

/* All of RAM as one array holding one DIMM, as QEMU does below 16 GiB. */
static void build_memory(struct smb *s, const struct smbios_ram *ram,
			 unsigned int nr)
{
	uint64_t total = ram_total(ram, nr), mib = total >> 20;
	struct smbios_type16 *a;
	struct smbios_type17 *d;
	struct smbios_type19 *m;
	uint16_t array;

	a = smb_begin(s, 16, sizeof(*a), &array);
	a->location = T16_LOCATION_OTHER;
	a->use = T16_USE_SYSTEM;
	a->ecc = T16_ECC_NONE;
	if ((total >> 10) < T16_CAPACITY_EXTENDED) {
		a->max_capacity = (uint32_t)(total >> 10);
	} else {
		a->max_capacity = T16_CAPACITY_EXTENDED;
		a->ext_max_capacity = total;
	}
	a->error_handle = HANDLE_NOT_PROVIDED;
	a->nr_devices = 1;
	smb_end(s);

	d = smb_begin(s, 17, sizeof(*d), NULL);
	d->array_handle = array;
	d->error_handle = HANDLE_NOT_PROVIDED;
	d->total_width = d->data_width = T17_WIDTH_UNKNOWN;
	if (mib < T17_SIZE_EXTENDED) {
		d->size = (uint16_t)mib;
	} else {
		d->size = T17_SIZE_EXTENDED;
		d->ext_size = (uint32_t)(mib & 0x7fffffff);
	}
	d->form_factor = T17_FORM_DIMM;
	d->locator = smb_str(s, "DIMM 0");
	d->manufacturer = smb_str(s, SMBIOS_VENDOR);
	d->memory_type = T17_TYPE_RAM;
	d->type_detail = T17_DETAIL_OTHER;
	smb_end(s);

	/* One mapped range per RAM region: below 3 GiB, above 4 GiB. */
	for (unsigned int i = 0; i < nr; i++) {
		uint64_t start = ram[i].gpa, last = ram[i].gpa + ram[i].size - 1;

		m = smb_begin(s, 19, sizeof(*m), NULL);
		if ((last >> 10) < T19_EXTENDED) {
			m->start_kib = (uint32_t)(start >> 10);
			m->end_kib = (uint32_t)(last >> 10);
		} else {
			m->start_kib = m->end_kib = T19_EXTENDED;
			m->ext_start = start;
			m->ext_end = last;
		}
		m->array_handle = array;
		m->partition_width = 1;
		smb_end(s);
	}
}

static void build_boot_and_end(struct smb *s)
{
	struct smbios_type32 *b = smb_begin(s, 32, sizeof(*b), NULL);

	b->status = 0;
	smb_end(s);
	smb_begin(s, TYPE_END, sizeof(struct smbios_hdr), NULL);
	smb_end(s);
}

static int check_config(const struct smbios_config *cfg,
			const struct smbios_ram *ram, unsigned int nr_ram)
{
	uint64_t end, total = 0;

	if (!cfg || cfg->nr_cpus == 0 || cfg->nr_cpus > PLAT_MAX_VCPUS ||
	    !ram || nr_ram == 0 || nr_ram > SMBIOS_MAX_RAM)
		return -EINVAL;
	for (unsigned int i = 0; i < nr_ram; i++) {
		if (ram[i].size == 0 ||
		    __builtin_add_overflow(ram[i].gpa, ram[i].size, &end) ||
		    __builtin_add_overflow(total, ram[i].size, &total))
			return -EINVAL;
	}
	return 0;
}

int smbios_write(void *buf, size_t size, uint64_t gpa,
		 const struct smbios_config *cfg, const struct smbios_ram *ram,
		 unsigned int nr_ram, size_t *used)
{
	uint8_t *p = buf;
	struct smb s = { 0 };
	struct smbios_ep3 *ep3;
	struct smbios_ep2 *ep2;
	uint64_t table;

	if (!buf || !used || check_config(cfg, ram, nr_ram) < 0)
		return -EINVAL;
	/* The 32-bit entry point holds a 32-bit address, a 16-bit length. */
	if (__builtin_add_overflow(gpa, SMBIOS_TABLE_OFFSET, &table) ||
	    table > UINT32_MAX - 0xffff)
		return -EINVAL;
	if (size < SMBIOS_TABLE_OFFSET)
		return -ENOSPC;

	memset(p, 0, SMBIOS_TABLE_OFFSET);
	s.buf = p + SMBIOS_TABLE_OFFSET;
	s.cap = size - SMBIOS_TABLE_OFFSET;
	if (s.cap > 0xffff)
		s.cap = 0xffff;
	build_bios(&s);
	build_system(&s, cfg);
	build_chassis(&s);
	build_processor(&s, cfg);
	build_memory(&s, ram, nr_ram);
	build_boot_and_end(&s);
	if (s.full)
		return -ENOSPC;

	ep3 = (struct smbios_ep3 *)(p + SMBIOS_EP3_OFFSET);
	memcpy(ep3->anchor, "_SM3_", 5);
	ep3->length = sizeof(*ep3);
	ep3->major = SMBIOS_MAJOR;
	ep3->minor = SMBIOS_MINOR;
	ep3->docrev = SMBIOS_DOCREV;
	ep3->revision = 1;
	ep3->table_max = (uint32_t)s.len;
	ep3->table_addr = table;
	ep3->checksum = acpi_checksum(ep3, sizeof(*ep3));

	ep2 = (struct smbios_ep2 *)(p + SMBIOS_EP2_OFFSET);
	memcpy(ep2->anchor, "_SM_", 4);
	ep2->length = sizeof(*ep2);
	ep2->major = SMBIOS_MAJOR;
	ep2->minor = SMBIOS_MINOR;
	ep2->max_struct = (uint16_t)s.max_struct;
	memcpy(ep2->dmi_anchor, "_DMI_", 5);
	ep2->table_len = (uint16_t)s.len;
	ep2->table_addr = (uint32_t)table;
	ep2->nr_structs = s.nr;
	ep2->bcd_revision = SMBIOS_BCD_REVISION;
	/* The intermediate checksum first: the outer one covers it. */
	ep2->dmi_checksum = acpi_checksum((uint8_t *)ep2 + EP2_DMI_OFFSET,
					  EP2_DMI_LEN);
	ep2->checksum = acpi_checksum(ep2, sizeof(*ep2));

	*used = SMBIOS_TABLE_OFFSET + s.len;
	return 0;
}

_Static_assert(PLAT_ACPI_ADDR + PLAT_ACPI_MAX <= PLAT_SMBIOS_ADDR,
	       "the SMBIOS window follows the ACPI one");
_Static_assert(PLAT_SMBIOS_ADDR >= PLAT_BIOS_START &&
		       PLAT_SMBIOS_ADDR + PLAT_SMBIOS_MAX <= PLAT_HIGH_RAM_START,
	       "the window lies in the BIOS area e820 reserves");
_Static_assert(GM_MAX_REGIONS <= SMBIOS_MAX_RAM, "one Type 19 per region");

int smbios_build(const struct guest_mem *gm, const struct smbios_config *cfg)
{
	struct smbios_ram ram[SMBIOS_MAX_RAM];
	unsigned int nr = 0;
	uint8_t *win;
	size_t used;

	if (!gm)
		return -EINVAL;
	win = gm_ptr(gm, PLAT_SMBIOS_ADDR, PLAT_SMBIOS_MAX);
	if (!win)
		return -EFAULT;
	for (unsigned int i = 0; i < gm->nr_regions; i++)
		ram[nr++] = (struct smbios_ram){ gm->region[i].gpa,
						 gm->region[i].size };
	memset(win, 0, PLAT_SMBIOS_MAX);
	return smbios_write(win, PLAT_SMBIOS_MAX, PLAT_SMBIOS_ADDR, cfg, ram,
			    nr, &used);
}
