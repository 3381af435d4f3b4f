/* SPDX-License-Identifier: MIT */
/*
 * The Linux x86 zero page (struct boot_params) and its setup header, as
 * described by Documentation/arch/x86/boot.rst and zero-page.rst.  Only the
 * fields vmon reads or writes are named; the rest is padding.  The offsets
 * are the ABI, so each named field is pinned by a static assertion.
 */
#ifndef VMON_ARCH_X86_BOOTPARAM_H
#define VMON_ARCH_X86_BOOTPARAM_H

#include <stddef.h>
#include <stdint.h>

#define BP_SETUP_SECTS_DEFAULT	4	/* setup_sects == 0 means 4 */
#define BP_SECTOR_SIZE		512
#define BP_BOOT_FLAG		0xaa55
#define BP_HDRS_MAGIC		0x53726448	/* "HdrS" */
#define BP_E820_MAX		128		/* e820_table[] entries */

/* loadflags */
#define BP_LOADED_HIGH		(1u << 0)
#define BP_KEEP_SEGMENTS	(1u << 6)
#define BP_CAN_USE_HEAP		(1u << 7)

/* xloadflags (protocol 2.12) */
#define BP_XLF_KERNEL_64		(1u << 0)
#define BP_XLF_CAN_BE_LOADED_ABOVE_4G	(1u << 1)

#define BP_TYPE_OF_LOADER_UNDEF	0xff	/* no assigned loader id */
#define BP_HEAP_END_PTR		0xfe00
#define BP_INITRD_ADDR_MAX_OLD	0x37ffffffu	/* when initrd_addr_max is 0 */
#define BP_ENTRY_64_OFFSET	0x200	/* startup_64 in the pm kernel */

/* Protocol versions that added fields we use. */
#define BP_PROTO_2_08		0x0208	/* payload_offset, payload_length */
#define BP_PROTO_2_12		0x020c	/* xloadflags */
#define BP_PROTO_2_14		0x020e	/* acpi_rsdp_addr */

struct bp_setup_header {
	uint8_t setup_sects;		/* 0x1f1 */
	uint16_t root_flags;		/* 0x1f2 */
	uint32_t syssize;		/* 0x1f4 */
	uint16_t ram_size;		/* 0x1f8 */
	uint16_t vid_mode;		/* 0x1fa */
	uint16_t root_dev;		/* 0x1fc */
	uint16_t boot_flag;		/* 0x1fe */
	uint16_t jump;			/* 0x200 */
	uint32_t header;		/* 0x202 */
	uint16_t version;		/* 0x206 */
	uint32_t realmode_swtch;	/* 0x208 */
	uint16_t start_sys_seg;		/* 0x20c */
	uint16_t kernel_version;	/* 0x20e */
	uint8_t type_of_loader;		/* 0x210 */
	uint8_t loadflags;		/* 0x211 */
	uint16_t setup_move_size;	/* 0x212 */
	uint32_t code32_start;		/* 0x214 */
	uint32_t ramdisk_image;		/* 0x218 */
	uint32_t ramdisk_size;		/* 0x21c */
	uint32_t bootsect_kludge;	/* 0x220 */
	uint16_t heap_end_ptr;		/* 0x224 */
	uint8_t ext_loader_ver;		/* 0x226 */
	uint8_t ext_loader_type;	/* 0x227 */
	uint32_t cmd_line_ptr;		/* 0x228 */
	uint32_t initrd_addr_max;	/* 0x22c */
	uint32_t kernel_alignment;	/* 0x230 */
	uint8_t relocatable_kernel;	/* 0x234 */
	uint8_t min_alignment;		/* 0x235 */
	uint16_t xloadflags;		/* 0x236 */
	uint32_t cmdline_size;		/* 0x238 */
	uint32_t hardware_subarch;	/* 0x23c */
	uint64_t hardware_subarch_data;	/* 0x240 */
	uint32_t payload_offset;	/* 0x248 */
	uint32_t payload_length;	/* 0x24c */
	uint64_t setup_data;		/* 0x250 */
	uint64_t pref_address;		/* 0x258 */
	uint32_t init_size;		/* 0x260 */
	uint32_t handover_offset;	/* 0x264 */
	uint32_t kernel_info_offset;	/* 0x268 */
} __attribute__((packed));

struct bp_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct boot_params {
	uint8_t _screen_apm_tboot_ist[0x70];	/* 0x000 */
	uint64_t acpi_rsdp_addr;		/* 0x070 */
	uint8_t _pad1[0xc0 - 0x78];
	uint32_t ext_ramdisk_image;		/* 0x0c0 */
	uint32_t ext_ramdisk_size;		/* 0x0c4 */
	uint32_t ext_cmd_line_ptr;		/* 0x0c8 */
	uint8_t _pad2[0x1e8 - 0xcc];
	uint8_t e820_entries;			/* 0x1e8 */
	uint8_t _pad3[0x1ef - 0x1e9];
	uint8_t sentinel;			/* 0x1ef: must stay 0 */
	uint8_t _pad4;
	struct bp_setup_header hdr;		/* 0x1f1 */
	uint8_t _pad5[0x2d0 - 0x26c];
	struct bp_e820_entry e820_table[BP_E820_MAX];	/* 0x2d0 */
	uint8_t _pad6[0x1000 - 0xcd0];
} __attribute__((packed));

/* Offsets of the setup header inside the file and the zero page. */
#define BP_HDR_OFFSET		0x1f1
#define BP_HDR_JUMP_END		0x202	/* header length is counted from here */

#define BP_ASSERT_OFF(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #field " offset")

BP_ASSERT_OFF(struct boot_params, acpi_rsdp_addr, 0x70);
BP_ASSERT_OFF(struct boot_params, ext_ramdisk_image, 0xc0);
BP_ASSERT_OFF(struct boot_params, ext_ramdisk_size, 0xc4);
BP_ASSERT_OFF(struct boot_params, ext_cmd_line_ptr, 0xc8);
BP_ASSERT_OFF(struct boot_params, e820_entries, 0x1e8);
BP_ASSERT_OFF(struct boot_params, sentinel, 0x1ef);
BP_ASSERT_OFF(struct boot_params, hdr, BP_HDR_OFFSET);
BP_ASSERT_OFF(struct boot_params, hdr.boot_flag, 0x1fe);
BP_ASSERT_OFF(struct boot_params, hdr.header, 0x202);
BP_ASSERT_OFF(struct boot_params, hdr.type_of_loader, 0x210);
BP_ASSERT_OFF(struct boot_params, hdr.ramdisk_image, 0x218);
BP_ASSERT_OFF(struct boot_params, hdr.cmd_line_ptr, 0x228);
BP_ASSERT_OFF(struct boot_params, hdr.xloadflags, 0x236);
BP_ASSERT_OFF(struct boot_params, hdr.setup_data, 0x250);
BP_ASSERT_OFF(struct boot_params, hdr.pref_address, 0x258);
BP_ASSERT_OFF(struct boot_params, hdr.init_size, 0x260);
BP_ASSERT_OFF(struct boot_params, e820_table, 0x2d0);
_Static_assert(sizeof(struct bp_setup_header) == 0x26c - BP_HDR_OFFSET,
	       "setup header size");
_Static_assert(sizeof(struct bp_e820_entry) == 20, "e820 entry size");
_Static_assert(sizeof(struct boot_params) == 0x1000, "zero page size");

#endif
