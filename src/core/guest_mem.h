/* SPDX-License-Identifier: MIT */
/*
 * Guest physical memory.  gm_ptr() is the one checked accessor: no other
 * code does guest-physical address arithmetic.  Every range [gpa, gpa+len)
 * is checked for overflow and must lie entirely inside one RAM region, or
 * the accessor returns NULL (never aborts): the guest controls most gpas.
 */
#ifndef VMON_CORE_GUEST_MEM_H
#define VMON_CORE_GUEST_MEM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GM_MAX_REGIONS 2

struct gm_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

#define GM_PAGE_SIZE 4096ULL

enum gm_backing {
	GM_ANON,		/* private anonymous (a booted VM) */
	GM_FILE_PRIVATE,	/* a snapshot's memory file, private */
	GM_SHARED,		/* a memfd, shared (a migration's) */
};

struct guest_mem {
	struct gm_region region[GM_MAX_REGIONS];
	unsigned int nr_regions;
	uint64_t ram_size;	/* sum of region sizes */
	void *mapping;		/* one host mapping backing all regions */
	size_t mapping_size;	/* 0 if the caller owns the memory */
	/*
	 * Pages the VMM itself wrote (device DMA, virtqueue used rings,
	 * balloon discards), one bit per 4 KiB page of the host block that
	 * backs RAM (region 0's hva on: the memory file's offsets), or NULL
	 * when nobody tracks.  KVM's dirty log sees only the guest's writes;
	 * a diff snapshot needs both (docs/snapshot.md, "Diff snapshots").
	 */
	_Atomic uint64_t *dirty;
	size_t dirty_words;
	enum gm_backing backing;	/* how gm_discard gives pages back */
};

/*
 * Reserve ram_size bytes of guest RAM, mapped lazily (pages are only
 * backed when touched).  RAM that would reach into the board's MMIO hole
 * (from hole_start) moves to high_start (above 4 GiB on a PC).  Returns 0
 * or -errno.
 */
int gm_alloc(struct guest_mem *gm, uint64_t ram_size, uint64_t hole_start,
	     uint64_t high_start);
/*
 * The same layout over ram_size bytes of fd (a snapshot's memory file),
 * mapped private: the guest's writes stay in this process, the file is
 * read page by page as the guest touches it.
 */
int gm_alloc_fd(struct guest_mem *gm, uint64_t ram_size, uint64_t hole_start,
		uint64_t high_start, int fd);
/*
 * The same over fd mapped shared: the guest's RAM is fd's pages (a memfd
 * a migration filled), nothing copied and nothing doubled.
 */
int gm_alloc_shared(struct guest_mem *gm, uint64_t ram_size,
		    uint64_t hole_start, uint64_t high_start, int fd);

/* Use a caller-owned buffer as RAM at gpa 0 (unit tests).  No hole. */
int gm_init_buffer(struct guest_mem *gm, void *buf, uint64_t size);

void gm_free(struct guest_mem *gm);

/*
 * Start tracking the VMM's own writes (dirty bitmap, all clear).  0 or
 * -ENOMEM.  Freed by gm_free().
 */
int gm_track_dirty(struct guest_mem *gm);

/*
 * [gpa, gpa + len) was written by the VMM: mark its pages.  Nothing when
 * nobody tracks or the range is not RAM.  Any thread.  gm_write() does it
 * itself; code that writes through gm_ptr() calls this after writing.
 */
void gm_mark_dirty(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Pages of the host block (gm_pages() of them). */
static inline uint64_t gm_pages(const struct guest_mem *gm)
{
	return (gm->ram_size + GM_PAGE_SIZE - 1) / GM_PAGE_SIZE;
}

/*
 * OR the VMM's dirty bits into bitmap (gm_pages() bits, indexed like the
 * memory file) and clear them, atomically word by word.
 */
void gm_take_dirty(const struct guest_mem *gm, uint64_t *bitmap);

/* Give bits back (a diff snapshot that failed must not lose them). */
void gm_return_dirty(const struct guest_mem *gm, const uint64_t *bitmap);

/*
 * Give the host pages of [p, p + len) (inside RAM, page-aligned) back:
 * freed, and zeros when the guest touches them again, whatever backs
 * RAM (a snapshot's file would otherwise show its old bytes).  0 or
 * -errno.
 */
int gm_discard(const struct guest_mem *gm, void *p, uint64_t len);

/* Host pointer to [gpa, gpa + len), or NULL if any byte is not RAM. */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Copy helpers over gm_ptr(); return 0 or -EFAULT. */
int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len);
int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src,
	     uint64_t len);

/* End (exclusive) of the RAM region that starts at gpa 0. */
uint64_t gm_low_end(const struct guest_mem *gm);

/* Is the whole range RAM?  Same rule as gm_ptr(). */
static inline bool gm_is_ram(const struct guest_mem *gm, uint64_t gpa,
			     uint64_t len)
{
	return gm_ptr(gm, gpa, len) != NULL;
}

#endif
