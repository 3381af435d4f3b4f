// SPDX-License-Identifier: MIT
#include "core/guest_mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int gm_alloc(struct guest_mem *gm, uint64_t ram_size, uint64_t hole_start,
	     uint64_t high_start)
{
	return gm_alloc_fd(gm, ram_size, hole_start, high_start, -1);
}

static int alloc(struct guest_mem *gm, uint64_t ram_size, uint64_t hole_start,
		 uint64_t high_start, int fd, int share);

int gm_alloc_fd(struct guest_mem *gm, uint64_t ram_size, uint64_t hole_start,
		uint64_t high_start, int fd)
{
	return alloc(gm, ram_size, hole_start, high_start, fd, MAP_PRIVATE);
}

int gm_alloc_shared(struct guest_mem *gm, uint64_t ram_size,
		    uint64_t hole_start, uint64_t high_start, int fd)
{
	return fd < 0 ? -EBADF : alloc(gm, ram_size, hole_start, high_start,
					fd, MAP_SHARED);
}

static int alloc(struct guest_mem *gm, uint64_t ram_size, uint64_t hole_start,
		 uint64_t high_start, int fd, int share)
{
	uint64_t low, high;
	void *p;

	memset(gm, 0, sizeof(*gm));
	if (ram_size == 0 || ram_size > (1ULL << 46) || (ram_size & 0xfff))
		return -EINVAL;

	low = ram_size < hole_start ? ram_size : hole_start;
	high = ram_size - low;

	/*
	 * MAP_NORESERVE + anonymous: the kernel backs pages on first touch, so
	 * a 1 GiB guest that uses 20 MiB costs 20 MiB.
	 */
	p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		 share | MAP_NORESERVE | (fd < 0 ? MAP_ANONYMOUS : 0), fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	gm->mapping = p;
	gm->mapping_size = ram_size;
	gm->ram_size = ram_size;
	gm->backing = fd < 0 ? GM_ANON : share == MAP_SHARED ? GM_SHARED
							   : GM_FILE_PRIVATE;

	gm->region[0] = (struct gm_region){ .gpa = 0, .size = low, .hva = p };
	gm->nr_regions = 1;
	if (high) {
		gm->region[1] = (struct gm_region){
			.gpa = high_start,
			.size = high,
			.hva = (uint8_t *)p + low,
		};
		gm->nr_regions = 2;
	}
	return 0;
}

int gm_init_buffer(struct guest_mem *gm, void *buf, uint64_t size)
{
	memset(gm, 0, sizeof(*gm));
	if (!buf || size == 0)
		return -EINVAL;
	gm->region[0] = (struct gm_region){ .gpa = 0, .size = size, .hva = buf };
	gm->nr_regions = 1;
	gm->ram_size = size;
	return 0;
}

void gm_free(struct guest_mem *gm)
{
	free((void *)gm->dirty);
	if (gm->mapping_size)
		munmap(gm->mapping, gm->mapping_size);
	memset(gm, 0, sizeof(*gm));
}

void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	for (unsigned int i = 0; i < gm->nr_regions; i++) {
		const struct gm_region *r = &gm->region[i];

		/* r->gpa + r->size cannot overflow: regions are built by us. */
		if (gpa >= r->gpa && end <= r->gpa + r->size)
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = gm_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src,
	     uint64_t len)
{
	void *p = gm_ptr(gm, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	gm_mark_dirty(gm, gpa, len);
	return 0;
}

int gm_track_dirty(struct guest_mem *gm)
{
	size_t words = (gm_pages(gm) + 63) / 64;

	if (gm->dirty)
		return 0;
	gm->dirty = calloc(words ? words : 1, sizeof(*gm->dirty));
	if (!gm->dirty)
		return -ENOMEM;
	gm->dirty_words = words;
	return 0;
}

void gm_mark_dirty(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	const uint8_t *p;
	uint64_t first, last;

	if (!gm->dirty || !len || !(p = gm_ptr(gm, gpa, len)))
		return;
	/* Regions are consecutive in the host block from region 0's hva. */
	first = (uint64_t)(p - gm->region[0].hva) / GM_PAGE_SIZE;
	last = (uint64_t)(p - gm->region[0].hva + len - 1) / GM_PAGE_SIZE;
	for (uint64_t pg = first; pg <= last; pg++)
		atomic_fetch_or(&gm->dirty[pg / 64], 1ULL << (pg % 64));
}

void gm_take_dirty(const struct guest_mem *gm, uint64_t *bitmap)
{
	for (size_t i = 0; gm->dirty && i < gm->dirty_words; i++)
		bitmap[i] |= atomic_exchange(&gm->dirty[i], 0);
}

void gm_return_dirty(const struct guest_mem *gm, const uint64_t *bitmap)
{
	for (size_t i = 0; gm->dirty && i < gm->dirty_words; i++)
		if (bitmap[i])
			atomic_fetch_or(&gm->dirty[i], bitmap[i]);
}

uint64_t gm_low_end(const struct guest_mem *gm)
{
	return gm->nr_regions ? gm->region[0].size : 0;
}

int gm_discard(const struct guest_mem *gm, void *p, uint64_t len)
{
	switch (gm->backing) {
	case GM_FILE_PRIVATE:
		/*
		 * MADV_DONTNEED would bring the file's bytes back: map fresh
		 * anonymous memory over the range instead (KVM's MMU notifier
		 * drops the guest's mapping of the old pages).  Neighbouring
		 * discards merge into one mapping; if the kernel refuses
		 * (mapping count), fall back to dropping the private copies.
		 */
		if (mmap(p, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
			 MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) !=
		    MAP_FAILED)
			return 0;
		break;
	case GM_SHARED:
		/* The memfd's pages themselves: punched out, zero after. */
		return madvise(p, len, MADV_REMOVE) ? -errno : 0;
	case GM_ANON:
		break;
	}
	/* Private anonymous: the next touch faults in a zero page. */
	return madvise(p, len, MADV_DONTNEED) ? -errno : 0;
}
