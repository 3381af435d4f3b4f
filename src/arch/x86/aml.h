/* SPDX-License-Identifier: MIT */
/*
 * A small AML byte-code builder (ACPI 6.5 chapter 20, "ACPI Machine
 * Language Specification") and resource-descriptor builder (sec. 6.4).
 *
 * Bytes go into a growable buffer with a hard cap.  Nothing aborts: the
 * first failure sets a sticky error (-EINVAL for a bad name or a value out
 * of range, -ENOSPC when the cap is reached, -ENOMEM), every later call is
 * a no-op, and the caller checks aml_error() once at the end.
 *
 * Packages (Scope, Device, Method, Package) are opened with *_begin(),
 * which returns a mark, and closed with aml_end(mark) once the body is
 * known: the PkgLength prefix is then encoded in 1-4 bytes (sec. 20.2.4).
 *
 * A resource template is built in its own struct aml with the aml_res_*
 * helpers (descriptors only, no EndTag) and emitted with aml_restemplate()
 * or aml_name_restemplate(), which add the EndTag and wrap the bytes in a
 * Buffer.
 */
#ifndef VMON_ARCH_X86_AML_H
#define VMON_ARCH_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t len;		/* bytes written */
	size_t alloc;		/* bytes allocated */
	size_t max;		/* hard cap on len */
	int err;		/* sticky: 0 or the first failure's -errno */
};

/* Largest value a PkgLength can encode: 28 bits (sec. 20.2.4). */
#define AML_PKGLEN_MAX		0x0fffffffu
#define AML_PKGLEN_MAX_BYTES	4

void aml_init(struct aml *a, size_t max);
void aml_free(struct aml *a);
/* 0, or the -errno of the first failure. */
static inline int aml_error(const struct aml *a) { return a->err; }

/* Append raw bytes (tests and callers with pre-built byte code). */
void aml_bytes(struct aml *a, const void *p, size_t n);

/*
 * Encode the PkgLength of a package whose body (everything after the
 * PkgLength) is body_len bytes.  The encoded value counts its own bytes.
 * Returns the number of bytes written to out (1-4), or 0 if too large.
 */
size_t aml_pkglen(uint8_t out[AML_PKGLEN_MAX_BYTES], size_t body_len);

/*
 * NamePath such as "\\_SB.COM1", "^PCI0.S08" or "_HID" (sec. 20.2.2).
 * Segments shorter than four characters are padded with '_'.
 */
void aml_name_path(struct aml *a, const char *path);

/* Integer with the smallest encoding: Zero, One, Byte..QWord (20.2.3). */
void aml_integer(struct aml *a, uint64_t v);
/* String: printable ASCII, NUL-terminated in AML. */
void aml_string(struct aml *a, const char *s);
/* Buffer (BufferSize) { bytes } (sec. 19.6.10, 20.2.5.4). */
void aml_buffer(struct aml *a, const void *data, size_t n);

/*
 * Compressed EISA id ("PNP0501" -> 0x0105d041): three capital letters,
 * four capital hex digits (sec. 19.3.4, EISAID macro).  0 or -EINVAL.
 */
int aml_eisaid(const char *id, uint32_t *out);
/* The EisaId as a DWord integer. */
void aml_eisaid_int(struct aml *a, const char *id);

/* Name (name, <object>): NameOp and the name; the caller adds the object. */
void aml_name(struct aml *a, const char *name);
void aml_name_int(struct aml *a, const char *name, uint64_t v);
void aml_name_string(struct aml *a, const char *name, const char *s);
void aml_name_eisaid(struct aml *a, const char *name, const char *id);
/*
 * ResourceTemplate () {...}: a Buffer holding rt's descriptors and an
 * EndTag whose checksum makes all of the template's bytes sum to zero
 * (sec. 6.4.2.9).  An error in rt is passed on to a.
 */
void aml_restemplate(struct aml *a, const struct aml *rt);
/* Name (name, ResourceTemplate () {...}) */
void aml_name_restemplate(struct aml *a, const char *name,
			  const struct aml *rt);

/* Package and block openers; each returns a mark for aml_end(). */
size_t aml_scope_begin(struct aml *a, const char *path);
size_t aml_device_begin(struct aml *a, const char *path);
size_t aml_method_begin(struct aml *a, const char *path, unsigned int nargs,
			bool serialized);
/* Package (nelem) { ... }: the caller emits exactly nelem objects. */
size_t aml_package_begin(struct aml *a, unsigned int nelem);
void aml_end(struct aml *a, size_t mark);

/* Return (v) */
void aml_return_int(struct aml *a, uint64_t v);

/* ---- Resource descriptors (sec. 6.4) ----------------------------------- */

/* IO (Decode16, base, base, 1, len): a fixed 16-bit-decoded port range. */
void aml_res_io(struct aml *rt, uint16_t base, uint8_t len);
/* IRQNoFlags () {irq}: ISA IRQ 0-15, edge, active high (sec. 6.4.2.1). */
void aml_res_irq(struct aml *rt, unsigned int irq);

/* Extended Interrupt descriptor flags (sec. 6.4.3.6). */
#define AML_INT_CONSUMER	(1u << 0)
#define AML_INT_EDGE		(1u << 1)	/* 0: level */
#define AML_INT_ACTIVE_LOW	(1u << 2)	/* 0: active high */
#define AML_INT_SHARED		(1u << 3)
#define AML_INT_WAKE		(1u << 4)
/* Interrupt (ResourceConsumer, ...) {gsi}: one GSI. */
void aml_res_ext_irq(struct aml *rt, uint8_t flags, uint32_t gsi);

/* Memory32Fixed (ReadWrite or ReadOnly, base, len) (sec. 6.4.3.4). */
void aml_res_mem32_fixed(struct aml *rt, bool writable, uint32_t base,
			 uint32_t len);

/* Address space descriptors (sec. 6.4.3.5): Word, DWord, QWord. */
#define AML_SPACE_MEM		0
#define AML_SPACE_IO		1
#define AML_SPACE_BUS		2
/* General flags (sec. 6.4.3.5.1-3, Table 6.49). */
#define AML_SPACE_CONSUMER	(1u << 0)	/* 0: ResourceProducer */
#define AML_SPACE_SUB_DECODE	(1u << 1)
#define AML_SPACE_MIN_FIXED	(1u << 2)
#define AML_SPACE_MAX_FIXED	(1u << 3)
/* Type-specific flags, memory (Table 6.50) and I/O (Table 6.51). */
#define AML_MEM_RW		(1u << 0)
#define AML_MEM_CACHEABLE	(1u << 1)
#define AML_MEM_WC		(2u << 1)
#define AML_MEM_PREFETCH	(3u << 1)
#define AML_IO_ENTIRE_RANGE	3u

struct aml_space {
	uint8_t type;		/* AML_SPACE_MEM, _IO, _BUS */
	uint8_t flags;		/* AML_SPACE_* general flags */
	uint8_t type_flags;	/* AML_MEM_* or AML_IO_* */
	uint64_t granularity;
	uint64_t min;
	uint64_t max;
	uint64_t translation;
	uint64_t len;
};
/* Each fails (sets the error) if a value does not fit the width. */
void aml_res_word_space(struct aml *rt, const struct aml_space *s);
void aml_res_dword_space(struct aml *rt, const struct aml_space *s);
void aml_res_qword_space(struct aml *rt, const struct aml_space *s);

#endif
