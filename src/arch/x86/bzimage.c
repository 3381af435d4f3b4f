// SPDX-License-Identifier: MIT
/*
 * Linux bzImage loader for the 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol").
 *
 * The file is the real-mode setup (setup_sects + 1 sectors) followed by
 * the protected-mode kernel.  vmon skips the setup code: it copies the
 * protected-mode kernel to its load address, builds the zero page itself
 * and enters startup_64 at load address + 0x200 in long mode.
 *
 * Everything in the file is untrusted: all checks happen on a host copy of
 * the header before the first byte goes into guest RAM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/boot.h"
#include "arch/x86/bootparam.h"
#include "arch/x86/kunpack.h"
#include "arch/x86/platform.h"
#include "lib/le.h"
#include "lib/log.h"

#define MIB		(1024ULL * 1024)
#define RELOC_ADDR	(16 * MIB)	/* where a relocatable kernel goes */
#define MAX_ALIGN	(1ULL << 30)	/* sanity cap on kernel_alignment */
/* Setup header fields up to init_size, the last one vmon needs. */
#define HDR_MIN_END	(offsetof(struct boot_params, hdr.init_size) + 4)
#define HDR_MAX_END	(BP_HDR_OFFSET + sizeof(struct bp_setup_header))

static unsigned long long mib_up(uint64_t bytes)
{
	return bytes / MIB + (bytes % MIB != 0);
}

int bzimage_probe(const uint8_t *kernel, size_t size)
{
	if (!kernel || size < BP_HDR_JUMP_END + 4)
		return 0;
	return le16_get(kernel + offsetof(struct boot_params, hdr.boot_flag)) ==
		       BP_BOOT_FLAG &&
	       le32_get(kernel + offsetof(struct boot_params, hdr.header)) ==
		       BP_HDRS_MAGIC;
}

/*
 * Pick the load address of the protected-mode kernel: its preferred
 * address when [pref, pref + need) is RAM (and, for a relocatable kernel,
 * aligned: startup_64 would otherwise round its own address up and run
 * past init_size), else 16 MiB rounded up to kernel_alignment.
 */
static int choose_load_addr(const struct guest_mem *gm,
			    const struct e820_map *e820,
			    const struct boot_image *img,
			    const struct bp_setup_header *hdr, uint64_t need,
			    uint64_t *load, char *err, size_t errlen)
{
	uint64_t pref = hdr->pref_address, align = hdr->kernel_alignment;
	uint64_t addr;

	if (hdr->relocatable_kernel &&
	    (align == 0 || (align & (align - 1)) || align > MAX_ALIGN))
		return boot_error(err, errlen, img->kernel_name, -ENOEXEC,
				  "kernel_alignment %#llx is not a power of "
				  "two up to 1 GiB",
				  (unsigned long long)align);
	if (pref >= PLAT_HIGH_RAM_START &&
	    (!hdr->relocatable_kernel || (pref & (align - 1)) == 0) &&
	    boot_range_is_ram(gm, e820, pref, need)) {
		*load = pref;
		return 0;
	}
	if (!hdr->relocatable_kernel) {
		uint64_t end;

		if (__builtin_add_overflow(pref, need, &end))
			end = UINT64_MAX;
		return boot_error(err, errlen, img->kernel_name, -ENOMEM,
				  "kernel is not relocatable and needs "
				  "[%#llx, %#llx), which is not guest RAM "
				  "(guest has %llu MiB)",
				  (unsigned long long)pref,
				  (unsigned long long)end,
				  mib_up(gm_low_end(gm)));
	}
	addr = (RELOC_ADDR + align - 1) & ~(align - 1);
	if (!boot_range_is_ram(gm, e820, addr, need))
		return boot_error(err, errlen, img->kernel_name, -ENOMEM,
				  "kernel needs %llu MiB (loaded at %llu MiB, "
				  "init_size %llu MiB), guest has %llu MiB; "
				  "give the guest more memory",
				  mib_up(addr + need), addr / MIB,
				  mib_up(need), mib_up(gm_low_end(gm)));
	*load = addr;
	return 0;
}

/*
 * Put the initrd as high as the kernel allows (initrd_addr_max), clear of
 * the kernel at [kstart, kend).  No initrd: *gpa = *size = 0.
 */
static int place_initrd(const struct guest_mem *gm, const struct e820_map *e820,
			const struct boot_image *img,
			const struct bp_setup_header *hdr, uint64_t kstart,
			uint64_t kend, uint64_t *gpa, uint64_t *size,
			char *err, size_t errlen)
{
	uint64_t max = hdr->initrd_addr_max ? hdr->initrd_addr_max
					    : BP_INITRD_ADDR_MAX_OLD;

	*gpa = *size = 0;
	if (!img->initrd || !img->initrd_size)
		return 0;
	*size = img->initrd_size;
	if (boot_place_initrd(gm, e820, *size, max + 1, kstart, kend, gpa) < 0)
		return boot_error(err, errlen,
				  img->initrd_name ? img->initrd_name
						   : img->kernel_name,
				  -ENOMEM,
				  "initrd (%llu MiB) does not fit in guest RAM "
				  "below %#llx outside the kernel at [%#llx, "
				  "%#llx); guest has %llu MiB, give it more "
				  "memory", mib_up(*size),
				  (unsigned long long)max + 1,
				  (unsigned long long)kstart,
				  (unsigned long long)kend,
				  mib_up(gm_low_end(gm)));
	return 0;
}

/* Fill the rest of the zero page and write it to PLAT_ZERO_PAGE_ADDR. */
static int write_zero_page(const struct guest_mem *gm,
			   const struct e820_map *e820,
			   const struct boot_image *img, struct boot_params *bp,
			   unsigned int version, uint64_t load,
			   uint64_t initrd_gpa, uint64_t initrd_size, char *err,
			   size_t errlen)
{
	struct bp_setup_header *hdr = &bp->hdr;
	const char *kn = img->kernel_name;
	unsigned int nr;

	hdr->type_of_loader = BP_TYPE_OF_LOADER_UNDEF;
	hdr->ext_loader_ver = 0;
	hdr->ext_loader_type = 0;
	hdr->loadflags |= BP_CAN_USE_HEAP;
	hdr->heap_end_ptr = BP_HEAP_END_PTR;
	hdr->cmd_line_ptr = (uint32_t)PLAT_CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = (uint32_t)(PLAT_CMDLINE_ADDR >> 32);
	hdr->ramdisk_image = (uint32_t)initrd_gpa;
	bp->ext_ramdisk_image = (uint32_t)(initrd_gpa >> 32);
	hdr->ramdisk_size = (uint32_t)initrd_size;
	bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	hdr->code32_start = (uint32_t)load;
	/* Nothing in the file may point us at its own setup_data list. */
	hdr->setup_data = 0;
	if (version >= BP_PROTO_2_14)
		bp->acpi_rsdp_addr = img->rsdp_gpa;

	nr = e820->nr < E820_MAX_ENTRIES ? e820->nr : E820_MAX_ENTRIES;
	if (nr > BP_E820_MAX)
		nr = BP_E820_MAX;
	for (unsigned int i = 0; i < nr; i++) {
		bp->e820_table[i].addr = e820->entry[i].addr;
		bp->e820_table[i].size = e820->entry[i].size;
		bp->e820_table[i].type = e820->entry[i].type;
	}
	bp->e820_entries = (uint8_t)nr;

	if (gm_write(gm, PLAT_ZERO_PAGE_ADDR, bp, sizeof(*bp)) < 0)
		return boot_error(err, errlen, kn, -EFAULT,
				  "guest RAM too small for the zero page");
	return 0;
}

/*
 * The fast path: unpack the compressed vmlinux on the host, load its
 * segments where it was linked to run (LOAD_PHYSICAL_ADDR, so no
 * relocation is needed) and enter startup_64 directly with the same zero
 * page.  This is what the kernel's own decompressor would do, minus KASLR,
 * and skips it: on hosts that emulate guest kernel code it is most of the
 * boot.  Returns -ENOTSUP (after a warning if something looked wrong) when
 * the caller should take the classic path instead.
 */
static int load_unpacked(const struct guest_mem *gm,
			 const struct e820_map *e820,
			 const struct boot_image *img, struct boot_params *bp,
			 unsigned int version, size_t setup_bytes,
			 struct boot_result *res, char *err, size_t errlen)
{
	const struct bp_setup_header *hdr = &bp->hdr;
	struct boot_image elf = *img;
	uint64_t poff, pend, kstart, kend, entry;
	uint64_t initrd_gpa = 0, initrd_size = 0;
	uint8_t *vmlinux = NULL;
	size_t vlen, cmdline_len;
	char why[256];
	int rc;

	if (version < BP_PROTO_2_08 || hdr->payload_length == 0)
		return -ENOTSUP;
	poff = (uint64_t)setup_bytes + hdr->payload_offset;
	if (__builtin_add_overflow(poff, (uint64_t)hdr->payload_length, &pend) ||
	    pend > img->kernel_size ||
	    kunpack_detect(img->kernel + poff, hdr->payload_length) ==
		    KUNPACK_UNKNOWN)
		return -ENOTSUP;

	rc = kunpack(img->kernel + poff, hdr->payload_length, gm->ram_size,
		     &vmlinux, &vlen, why, sizeof(why));
	if (rc < 0) {
		log_warn("%s: %s; leaving decompression to the kernel",
			 img->kernel_name ? img->kernel_name : "kernel", why);
		return -ENOTSUP;
	}
	elf.kernel = vmlinux;
	elf.kernel_size = vlen;
	rc = elf_scan_segments(gm, e820, &elf, &kstart, &kend, &entry, why,
			       sizeof(why));
	if (rc == -ENOMEM) {
		rc = boot_error(err, errlen, img->kernel_name, rc,
				"unpacked kernel: %s", why);
		goto out;
	}
	if (rc < 0) {
		log_warn("%s: unpacked kernel not loadable (%s); leaving "
			 "decompression to the kernel",
			 img->kernel_name ? img->kernel_name : "kernel", why);
		rc = -ENOTSUP;
		goto out;
	}
	rc = place_initrd(gm, e820, img, hdr, kstart, kend, &initrd_gpa,
			  &initrd_size, err, errlen);
	if (rc < 0)
		goto out;
	rc = boot_cmdline_check(img, (uint64_t)hdr->cmdline_size + 1,
				&cmdline_len, err, errlen);
	if (rc < 0)
		goto out;

	rc = elf_copy_segments(gm, &elf, err, errlen);
	if (rc < 0)
		goto out;
	if ((initrd_size &&
	     gm_write(gm, initrd_gpa, img->initrd, initrd_size) < 0) ||
	    boot_cmdline_write(gm, img, cmdline_len) < 0) {
		rc = boot_error(err, errlen, img->kernel_name, -EFAULT,
				"guest RAM too small for the boot structures");
		goto out;
	}
	rc = write_zero_page(gm, e820, img, bp, version, kstart, initrd_gpa,
			     initrd_size, err, errlen);
	if (rc < 0)
		goto out;

	res->kind = BOOT_LINUX64;
	res->unpacked = true;
	res->entry = entry;		/* startup_64, physical */
	res->boot_info = PLAT_ZERO_PAGE_ADDR;
	res->kernel_start = kstart;
	res->kernel_end = kend;
	res->initrd_start = initrd_gpa;
	res->initrd_size = initrd_size;
out:
	free(vmlinux);
	return rc;
}

int bzimage_load(const struct guest_mem *gm, const struct e820_map *e820,
		 const struct boot_image *img, struct boot_result *res,
		 char *err, size_t errlen)
{
	const char *kn = img->kernel_name;
	const uint8_t *k = img->kernel;
	size_t size = img->kernel_size;
	struct boot_params bp;
	struct bp_setup_header *hdr = &bp.hdr;
	unsigned int setup_sects, version;
	size_t setup_bytes, hdr_end, pm_size, cmdline_len;
	uint64_t load = 0, need, initrd_gpa = 0, initrd_size = 0;
	int rc;

	if (!bzimage_probe(k, size))
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "not a bzImage: no boot flag 0xaa55 and "
				  "\"HdrS\" setup header at 0x1fe");

	setup_sects = k[BP_HDR_OFFSET];
	if (setup_sects == 0)
		setup_sects = BP_SETUP_SECTS_DEFAULT;
	setup_bytes = (size_t)(setup_sects + 1) * BP_SECTOR_SIZE;
	if (size <= setup_bytes)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "truncated: setup header says %u sectors "
				  "but the file has %zu bytes", setup_sects,
				  size);

	/* The whole setup area is in the file from here on. */
	version = le16_get(k + offsetof(struct boot_params, hdr.version));
	if (version < BP_PROTO_2_12)
		return boot_error(err, errlen, kn, -ENOTSUP,
				  "boot protocol %u.%02u is too old: vmon "
				  "needs 2.12 or later for the 64-bit entry "
				  "point (Linux 3.8+)", version >> 8,
				  version & 0xff);
	/* The header ends where its leading short jump lands. */
	hdr_end = BP_HDR_JUMP_END + k[BP_HDR_JUMP_END - 1];
	if (hdr_end < HDR_MIN_END)
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "setup header ends at %#zx but protocol "
				  "%u.%02u needs fields up to %#zx", hdr_end,
				  version >> 8, version & 0xff,
				  (size_t)HDR_MIN_END);
	if (hdr_end > HDR_MAX_END)
		hdr_end = HDR_MAX_END;

	memset(&bp, 0, sizeof(bp));
	memcpy(hdr, k + BP_HDR_OFFSET, hdr_end - BP_HDR_OFFSET);

	if (!(hdr->xloadflags & BP_XLF_KERNEL_64))
		return boot_error(err, errlen, kn, -ENOTSUP,
				  "kernel has no 64-bit entry point "
				  "(XLF_KERNEL_64 clear in xloadflags %#x); "
				  "vmon boots 64-bit kernels only",
				  hdr->xloadflags);
	if (!(hdr->loadflags & BP_LOADED_HIGH))
		return boot_error(err, errlen, kn, -ENOEXEC,
				  "kernel does not load high (loadflags %#x "
				  "lacks LOADED_HIGH): zImage is not "
				  "supported", hdr->loadflags);

	if (!img->guest_decompress) {
		rc = load_unpacked(gm, e820, img, &bp, version, setup_bytes, res,
				   err, errlen);
		if (rc != -ENOTSUP)
			return rc;
	}

	/*
	 * init_size covers the in-place decompression; the kernel itself
	 * must fit too, whatever init_size claims.
	 */
	pm_size = size - setup_bytes;
	need = hdr->init_size > pm_size ? hdr->init_size : pm_size;
	rc = choose_load_addr(gm, e820, img, hdr, need, &load, err, errlen);
	if (rc < 0)
		return rc;

	rc = place_initrd(gm, e820, img, hdr, load, load + need, &initrd_gpa,
			  &initrd_size, err, errlen);
	if (rc < 0)
		return rc;

	/* cmdline_size excludes the NUL. */
	rc = boot_cmdline_check(img, (uint64_t)hdr->cmdline_size + 1,
				&cmdline_len, err, errlen);
	if (rc < 0)
		return rc;

	/* All checks done: write guest RAM. */
	if (gm_write(gm, load, k + setup_bytes, pm_size) < 0 ||
	    (initrd_size &&
	     gm_write(gm, initrd_gpa, img->initrd, initrd_size) < 0) ||
	    boot_cmdline_write(gm, img, cmdline_len) < 0)
		return boot_error(err, errlen, kn, -EFAULT,
				  "guest RAM too small for the boot "
				  "structures");

	rc = write_zero_page(gm, e820, img, &bp, version, load, initrd_gpa,
			     initrd_size, err, errlen);
	if (rc < 0)
		return rc;
	res->kind = BOOT_LINUX64;
	res->unpacked = false;
	res->entry = load + BP_ENTRY_64_OFFSET;
	res->boot_info = PLAT_ZERO_PAGE_ADDR;
	res->kernel_start = load;
	res->kernel_end = load + need;
	res->initrd_start = initrd_gpa;
	res->initrd_size = initrd_size;
	return 0;
}
