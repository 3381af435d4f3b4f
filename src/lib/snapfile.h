/* SPDX-License-Identifier: MIT */
/*
 * vmon's snapshot container: a header and named, versioned, checksummed
 * sections (docs/snapshot.md has the format byte by byte), and the
 * separate, sparse guest-memory file.  A snapshot file is input from
 * outside like a guest write (guest-input.md 26-29): the reader checks
 * the whole file before anything is restored, every size is capped so a
 * hostile file cannot make vmon allocate without bound, and the decoder
 * never reads past a section's end.  Writers leave either the complete
 * new file at its path or nothing new at all.
 *
 * Every function returns 0 or -errno and, where given one, fills a
 * struct vmon_err naming the file, the section and the field.
 */
#ifndef VMON_LIB_SNAPFILE_H
#define VMON_LIB_SNAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define SNAP_MAGIC		"VMONSNAP"	/* 8 bytes, no NUL */
#define SNAP_VERSION		1u		/* the format this vmon writes */
#define SNAP_ARCH_LEN		16		/* NUL-padded tag, "x86_64" */
#define SNAP_NAME_LEN		16		/* NUL-padded section name */
#define SNAP_NAME_MAX		(SNAP_NAME_LEN - 1)	/* always one NUL */
#define SNAP_HEADER_SIZE	48
#define SNAP_SECTION_HEADER_SIZE 32

/*
 * Caps (docs/snapshot.md says why these numbers): the whole state file is
 * read into memory, so its size is what a hostile file can cost.
 */
#define SNAP_MAX_SECTIONS	4096
#define SNAP_MAX_SECTION	(16u << 20)	/* payload bytes, one section */
#define SNAP_MAX_FILE		(64u << 20)	/* the whole state file */

/* The page size of the memory file's holes. */
#define SNAP_PAGE_SIZE		4096u

/* ---- writing ------------------------------------------------------- */

/*
 * A growable buffer for one section's payload, capped at
 * SNAP_MAX_SECTION.  The first failure (-ENOMEM, -EFBIG) sticks: every
 * later put returns it and adds nothing, so callers put a whole struct
 * and check once.  Zero-initialised (or snap_enc_init) means empty.
 */
struct snap_enc {
	uint8_t *buf;
	size_t len;
	size_t alloc;
	int err;
};

void snap_enc_init(struct snap_enc *enc);
void snap_enc_free(struct snap_enc *enc);
int snap_put_u8(struct snap_enc *enc, uint8_t v);
int snap_put_bool(struct snap_enc *enc, bool v);
int snap_put_u16(struct snap_enc *enc, uint16_t v);
int snap_put_u32(struct snap_enc *enc, uint32_t v);
int snap_put_u64(struct snap_enc *enc, uint64_t v);
int snap_put_bytes(struct snap_enc *enc, const void *p, size_t n);
/*
 * A string or NULL: a presence byte, then a u16 length and the bytes (no
 * NUL).  At most SNAP_STR_MAX bytes; a longer one fails with -ENAMETOOLONG.
 */
#define SNAP_STR_MAX		4096u
int snap_put_str(struct snap_enc *enc, const char *s);

/*
 * A snapshot being put together in memory.  Sections keep the order they
 * were added in; names are 1 to SNAP_NAME_MAX characters of [A-Za-z0-9._-],
 * unique, and layout versions start at 1.  Every cap is enforced here, so
 * a writer never makes a file the reader would refuse.
 */
struct snap_writer;

/* arch: the architecture tag, at most SNAP_ARCH_LEN - 1 characters. */
int snap_writer_new(struct snap_writer **out, const char *arch,
		    struct vmon_err *e);
void snap_writer_free(struct snap_writer *w);

/* Add a section with a copy of data[0 .. len). */
int snap_writer_add(struct snap_writer *w, const char *name,
		    uint32_t version, const void *data, size_t len,
		    struct vmon_err *e);
/*
 * Add a section from an encoder, taking its buffer (no copy); enc is
 * left empty either way, so the caller only ever frees it.  A failed
 * encoder (enc->err) fails here, naming the section.
 */
int snap_writer_add_enc(struct snap_writer *w, const char *name,
			uint32_t version, struct snap_enc *enc,
			struct vmon_err *e);

/*
 * Write the snapshot to path: a new file beside it (mode 0600: it holds
 * guest state), fsync, rename over path, fsync the directory.  On any
 * failure the temporary is unlinked and whatever was at path is left as
 * it was.  The writer stays usable (and still needs snap_writer_free).
 */
int snap_writer_write(struct snap_writer *w, const char *path,
		      struct vmon_err *e);

/* The file's bytes, malloc'd, for streams and tests; *len its size. */
int snap_writer_image(const struct snap_writer *w, uint8_t **buf,
		      size_t *len, struct vmon_err *e);

/* ---- reading ------------------------------------------------------- */

struct snap_section {
	char name[SNAP_NAME_LEN];	/* NUL-terminated */
	uint32_t version;
	const uint8_t *data;		/* inside the reader's copy */
	size_t len;
	bool used;			/* handed to a decoder */
};

/*
 * A state file read whole into memory and checked whole before any of it
 * is handed out: magic, format version (newer ones refused by name),
 * architecture, flags, the header's checksum, the declared file size
 * against the real one, the section count, each section's name, length
 * (against the caps and the file) and checksum, duplicate names, and
 * bytes after the last section.  What is then decoded is this copy, so a
 * file changed after the check cannot change what is restored.
 */
struct snap_reader;

int snap_reader_open(struct snap_reader **out, const char *path,
		     const char *arch, struct vmon_err *e);
/* The same checks on bytes from elsewhere (a stream); what names them. */
int snap_reader_parse(struct snap_reader **out, const void *buf, size_t len,
		      const char *what, const char *arch, struct vmon_err *e);
void snap_reader_free(struct snap_reader *r);

/* Sections in file order; NULL past the end. */
unsigned int snap_reader_count(const struct snap_reader *r);
const struct snap_section *snap_reader_at(const struct snap_reader *r,
					  unsigned int i);
/* The section named name, or NULL. */
const struct snap_section *snap_reader_find(const struct snap_reader *r,
					    const char *name);
/*
 * -EINVAL naming the first section no decoder was started on: a section
 * this vmon does not know must not be dropped without a word.
 */
int snap_reader_all_used(const struct snap_reader *r, struct vmon_err *e);

/*
 * A bounded cursor over one section.  Each get names its field; the
 * first failure is recorded in e with the file, section and field
 * ("section vcpu.0, field rip: truncated ..."), sticks (later gets fail
 * the same way) and leaves every output zeroed, so a struct decoded
 * field by field is never half garbage.
 */
struct snap_dec {
	const char *file;
	const char *section;
	const uint8_t *p;
	size_t len;
	size_t off;
	uint32_t version;	/* the section's layout version */
	const char *last;	/* the last field read, for messages */
	int err;
	struct vmon_err *e;
};

/*
 * Start decoding section name: -ENOENT if the snapshot has none, -ENOTSUP
 * if its layout version is above max_version (d->version tells the
 * caller which older layout it has).  Marks the section used.
 */
int snap_dec_begin(struct snap_reader *r, const char *name,
		   uint32_t max_version, struct snap_dec *d,
		   struct vmon_err *e);

int snap_get_u8(struct snap_dec *d, const char *field, uint8_t *v);
/* A u8 that must be 0 or 1. */
int snap_get_bool(struct snap_dec *d, const char *field, bool *v);
int snap_get_u16(struct snap_dec *d, const char *field, uint16_t *v);
int snap_get_u32(struct snap_dec *d, const char *field, uint32_t *v);
int snap_get_u64(struct snap_dec *d, const char *field, uint64_t *v);
int snap_get_bytes(struct snap_dec *d, const char *field, void *dst,
		   size_t n);
/*
 * A string put by snap_put_str: *out is NULL (absent) or a malloc'd
 * NUL-terminated copy the caller frees.  Refused: a length over max (at
 * most SNAP_STR_MAX), a NUL inside, an empty string when required; an
 * allocation failure is -ENOMEM, sticky like the rest.
 */
int snap_get_str(struct snap_dec *d, const char *field, size_t max,
		 char **out);
/*
 * Refuse a value the caller found invalid, in the same words ("section
 * virtio.blk0, field q0.size: 3 is not a power of two"): -EINVAL, sticky.
 */
int snap_dec_fail(struct snap_dec *d, const char *field, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));
/* The section must have been read to its last byte: 0 or -EINVAL. */
int snap_dec_end(struct snap_dec *d);

/* ---- the memory file ----------------------------------------------- */

/*
 * Write guest RAM ram[0 .. len) to path sparsely: the file is len bytes
 * and every SNAP_PAGE_SIZE page that is all zeros is a hole.  The same
 * discipline as snap_writer_write (temporary, fsync, rename, directory
 * fsync, nothing left behind on failure).
 */
int snap_mem_write(const char *path, const void *ram, size_t len,
		   struct vmon_err *e);

/*
 * A diff memory file: only the pages whose bit is set in pages (one bit
 * per SNAP_PAGE_SIZE page of ram, LSB first), each written whole even
 * when it is all zeros (a page the guest zeroed is a change); the rest
 * are holes, and the file ends with the last page written.  Same
 * discipline as snap_mem_write.  It means nothing alone: rebase it onto
 * the memory file it follows (snap_mem_rebase).
 */
int snap_mem_write_diff(const char *path, const void *ram, size_t len,
			const uint64_t *pages, struct vmon_err *e);

/*
 * Firecracker's `snapshot-editor edit-memory rebase`: write every data
 * extent of the diff memory file diff_path (SEEK_DATA, SEEK_HOLE) over
 * base_path at the same offsets, then fdatasync.  In place, so a failure
 * midway leaves base partly rebased: running it again finishes the job
 * (the same pages, the same bytes).  The diff must not be longer than
 * base.  *copied gets the bytes written.  0 or -errno.
 */
int snap_mem_rebase(const char *base_path, const char *diff_path,
		    uint64_t *copied, struct vmon_err *e);

/*
 * Open the memory file of a snapshot whose RAM is size bytes: it must
 * exist, be a regular file and be exactly size bytes.  *fd is read-only.
 */
int snap_mem_open(const char *path, uint64_t size, int *fd,
		  struct vmon_err *e);

/*
 * Map size bytes of fd private and writable (guest writes stay in this
 * process, the file is never changed) and lazily: nothing is read until
 * touched.  The file must not change while the mapping lives.
 */
int snap_mem_map(int fd, uint64_t size, void **out, struct vmon_err *e);

#endif
