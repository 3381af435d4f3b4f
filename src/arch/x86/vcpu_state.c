// SPDX-License-Identifier: MIT
/*
 * Encoding and validating decoding of struct x86_vcpu_state and struct
 * x86_vm_state (vcpu_state.h).  The decoders treat the bytes as hostile
 * (guest-input.md 26-27): every value KVM, the hardware or the emulated
 * chip could not have produced is refused by name before anything is
 * applied.  Layout (version 1), all little-endian:
 *
 *   vCPU: blob regs; u8 sregs kind (1 sregs, 2 sregs2) and its blob;
 *         u32 xsave size and the bytes; blob xcrs; blob lapic; blob
 *         events; blob debugregs; u32 mp_state; u32 tsc_khz; u32 nmsrs
 *         and nmsrs times (u32 index, u64 data), index ascending.
 *   VM:   blob irqchip 0, 1, 2; blob pit; blob clock.
 *
 * A blob is a u32 size, which must be the UAPI struct's, and its bytes.
 */
#include "arch/x86/vcpu_state.h"

#include <errno.h>
#include <string.h>

/* ---- blobs ---------------------------------------------------------- */

/* UAPI structs as bytes: ABI-stable (see vcpu_state.h), size first. */
static int put_blob(struct snap_enc *enc, const void *p, size_t n)
{
	snap_put_u32(enc, (uint32_t)n);
	return snap_put_bytes(enc, p, n);
}

static int get_blob(struct snap_dec *d, const char *field, void *dst,
		    size_t n)
{
	uint32_t size;

	memset(dst, 0, n);
	if (snap_get_u32(d, field, &size))
		return d->err;
	if (size != n)
		return snap_dec_fail(d, field, "%u bytes, but this kernel's "
				     "struct has %zu", size, n);
	return snap_get_bytes(d, field, dst, n);
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* ---- special registers ---------------------------------------------- */

/* The fields kvm_sregs and kvm_sregs2 share. */
struct sregs_view {
	const struct kvm_segment *seg[8];
	const struct kvm_dtable *dt[2];
	uint64_t cr0, cr8, efer, apic_base;
};

#define SREGS_VIEW(s) ((struct sregs_view){				\
	.seg = { &(s)->cs, &(s)->ds, &(s)->es, &(s)->fs, &(s)->gs,	\
		 &(s)->ss, &(s)->tr, &(s)->ldt },			\
	.dt = { &(s)->gdt, &(s)->idt },					\
	.cr0 = (s)->cr0, .cr8 = (s)->cr8, .efer = (s)->efer,		\
	.apic_base = (s)->apic_base })

/* EFER bits KVM knows (SDM vol. 3A 2.2.1, APM vol. 2 3.1.7). */
#define EFER_KNOWN	((1ULL << 0) | (1ULL << 8) | (0x3fULL << 10) | \
			 (1ULL << 21))
/* IA32_APIC_BASE: BSP (8), x2APIC (10), enable (11), base 12-51. */
#define APIC_BASE_BSP	(1ULL << 8)
#define APIC_BASE_EXTD	(1ULL << 10)
#define APIC_BASE_EN	(1ULL << 11)
#define APIC_BASE_ADDR	0x000ffffffffff000ULL
#define X86_CR0_PG	(1ULL << 31)
#define X86_CR4_PAE	(1ULL << 5)
#define EFER_LMA	(1ULL << 10)

static int check_sregs(struct snap_dec *d, const struct sregs_view *v)
{
	static const char *const seg[8] = {
		"sregs.cs", "sregs.ds", "sregs.es", "sregs.fs", "sregs.gs",
		"sregs.ss", "sregs.tr", "sregs.ldt",
	};
	static const char *const dt[2] = { "sregs.gdt", "sregs.idt" };
	uint64_t ab = v->apic_base;

	for (int i = 0; i < 8; i++) {
		const struct kvm_segment *s = v->seg[i];

		if (s->type > 15 || s->present > 1 || s->dpl > 3 ||
		    s->db > 1 || s->s > 1 || s->l > 1 || s->g > 1 ||
		    s->avl > 1 || s->unusable > 1 || s->padding)
			return snap_dec_fail(d, seg[i], "type %u present %u "
					     "dpl %u db %u s %u l %u g %u avl "
					     "%u unusable %u padding %u: a "
					     "field is out of range", s->type,
					     s->present, s->dpl, s->db, s->s,
					     s->l, s->g, s->avl, s->unusable,
					     s->padding);
	}
	for (int i = 0; i < 2; i++)
		if (!all_zero(v->dt[i]->padding, sizeof(v->dt[i]->padding)))
			return snap_dec_fail(d, dt[i], "padding not zero");
	/* CR0 bits 63-32 are reserved (SDM vol. 3A 2.5); KVM refuses them. */
	if (v->cr0 >> 32)
		return snap_dec_fail(d, "sregs.cr0", "0x%llx sets reserved "
				     "bits 63-32", (unsigned long long)v->cr0);
	if (v->cr8 > 15)
		return snap_dec_fail(d, "sregs.cr8", "%llu is not a task "
				     "priority (0-15)",
				     (unsigned long long)v->cr8);
	if (v->efer & ~EFER_KNOWN)
		return snap_dec_fail(d, "sregs.efer", "0x%llx sets reserved "
				     "bits", (unsigned long long)v->efer);
	if (ab & ~(APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN |
		   APIC_BASE_ADDR))
		return snap_dec_fail(d, "sregs.apic_base", "0x%llx sets "
				     "reserved bits", (unsigned long long)ab);
	/* x2APIC mode without the APIC enabled is invalid (SDM 10.12.5). */
	if ((ab & APIC_BASE_EXTD) && !(ab & APIC_BASE_EN))
		return snap_dec_fail(d, "sregs.apic_base", "0x%llx: x2APIC "
				     "mode with the APIC disabled",
				     (unsigned long long)ab);
	return 0;
}

static int get_sregs(struct snap_dec *d, struct x86_vcpu_state *st)
{
	uint8_t kind;
	struct sregs_view v;

	if (snap_get_u8(d, "sregs.kind", &kind))
		return d->err;
	if (kind != 1 && kind != 2)
		return snap_dec_fail(d, "sregs.kind", "%u is neither 1 "
				     "(KVM_GET_SREGS) nor 2 (KVM_GET_SREGS2)",
				     kind);
	st->has_sregs2 = kind == 2;
	if (!st->has_sregs2) {
		const __u64 *bm = st->sregs.interrupt_bitmap;
		unsigned int bits = 0;

		if (get_blob(d, "sregs", &st->sregs, sizeof(st->sregs)))
			return d->err;
		v = SREGS_VIEW(&st->sregs);
		/* KVM reports at most one pending interrupt here (api.rst). */
		for (size_t i = 0; i < sizeof(st->sregs.interrupt_bitmap) / 8;
		     i++)
			bits += (unsigned int)__builtin_popcountll(bm[i]);
		if (bits > 1)
			return snap_dec_fail(d, "sregs.interrupt_bitmap",
					     "%u interrupts pending, KVM "
					     "keeps at most one", bits);
	} else {
		const struct kvm_sregs2 *s2 = &st->sregs2;

		if (get_blob(d, "sregs2", &st->sregs2, sizeof(st->sregs2)))
			return d->err;
		v = SREGS_VIEW(s2);
		if (s2->flags & ~(uint64_t)KVM_SREGS2_FLAGS_PDPTRS_VALID)
			return snap_dec_fail(d, "sregs2.flags", "0x%llx sets "
					     "unknown flags",
					     (unsigned long long)s2->flags);
		if (!(s2->flags & KVM_SREGS2_FLAGS_PDPTRS_VALID) &&
		    !all_zero(s2->pdptrs, sizeof(s2->pdptrs)))
			return snap_dec_fail(d, "sregs2.pdptrs", "set but "
					     "not marked valid in flags");
		/* PDPTRs exist only in PAE paging; KVM_SET_SREGS2 says so. */
		if ((s2->flags & KVM_SREGS2_FLAGS_PDPTRS_VALID) &&
		    (!(s2->cr0 & X86_CR0_PG) || !(s2->cr4 & X86_CR4_PAE) ||
		     (s2->efer & EFER_LMA)))
			return snap_dec_fail(d, "sregs2.pdptrs", "marked valid "
					     "outside PAE paging (CR0 0x%llx "
					     "CR4 0x%llx EFER 0x%llx)",
					     (unsigned long long)s2->cr0,
					     (unsigned long long)s2->cr4,
					     (unsigned long long)s2->efer);
	}
	return check_sregs(d, &v);
}

/* ---- the rest of a vCPU --------------------------------------------- */

/* RFLAGS: bits 63-22, 15, 5 and 3 reserved as 0, bit 1 as 1 (SDM 3.4.3). */
#define RFLAGS_RESERVED	(~0x3fffffULL | (1u << 15) | (1u << 5) | (1u << 3))
#define RFLAGS_FIXED	(1u << 1)

/* The XSAVE area (SDM vol. 1 13.4): legacy region, then the header. */
#define XSAVE_MXCSR	(24 / 4)	/* u32 index of MXCSR */
#define XSAVE_XCOMP_BV	(520 / 4)	/* u32 index of XCOMP_BV */
#define XSAVE_HDR_RSVD	(528 / 4)	/* header bytes 16-63, reserved */

static int get_xsave(struct snap_dec *d, struct x86_vcpu_state *st)
{
	const uint32_t *x = st->xsave;
	uint32_t n;

	if (snap_get_u32(d, "xsave.size", &n))
		return d->err;
	/*
	 * At least struct kvm_xsave's 4096 bytes (api.rst, KVM_GET_XSAVE2),
	 * capped, and whole __u32s: the size is CPUID 0xD's, which only
	 * promises bytes; struct kvm_xsave counts in __u32.
	 */
	if (n < X86_XSAVE_MIN || n > X86_XSAVE_MAX || n % 4)
		return snap_dec_fail(d, "xsave.size", "%u bytes, not a "
				     "multiple of 4 in %u-%u", n,
				     X86_XSAVE_MIN, X86_XSAVE_MAX);
	st->xsave_size = n;
	if (snap_get_bytes(d, "xsave", st->xsave, n))
		return d->err;
	/* What the kernel's XSAVE header check refuses with -EINVAL. */
	if (x[XSAVE_MXCSR] >> 16)
		return snap_dec_fail(d, "xsave.mxcsr", "0x%x sets reserved "
				     "bits 31-16", x[XSAVE_MXCSR]);
	if (x[XSAVE_XCOMP_BV] || x[XSAVE_XCOMP_BV + 1])
		return snap_dec_fail(d, "xsave.xcomp_bv", "not zero: KVM's "
				     "XSAVE area is in the standard format");
	if (!all_zero(x + XSAVE_HDR_RSVD, 48))
		return snap_dec_fail(d, "xsave.header", "reserved bytes "
				     "16-63 of the XSAVE header not zero");
	return 0;
}

static int get_xcrs(struct snap_dec *d, struct kvm_xcrs *x)
{
	uint64_t v;

	if (get_blob(d, "xcrs", x, sizeof(*x)))
		return d->err;
	/* Only XCR0 exists (SDM vol. 1 13.3); KVM_SET_XCRS refuses others. */
	if (x->nr_xcrs > 1)
		return snap_dec_fail(d, "xcrs.nr_xcrs", "%u, but only XCR0 "
				     "exists", x->nr_xcrs);
	if (x->flags || !all_zero(x->padding, sizeof(x->padding)) ||
	    !all_zero(&x->xcrs[x->nr_xcrs],
		      sizeof(x->xcrs) - x->nr_xcrs * sizeof(x->xcrs[0])))
		return snap_dec_fail(d, "xcrs", "flags, padding or unused "
				     "entries not zero");
	if (!x->nr_xcrs)
		return 0;
	v = x->xcrs[0].value;
	if (x->xcrs[0].xcr || x->xcrs[0].reserved)
		return snap_dec_fail(d, "xcrs.xcr", "XCR %u (reserved %u): "
				     "only XCR0 exists", x->xcrs[0].xcr,
				     x->xcrs[0].reserved);
	/* x87 always on; AVX needs SSE (SDM vol. 1 13.3). */
	if (!(v & 1) || (v & 6) == 4)
		return snap_dec_fail(d, "xcrs.xcr0", "0x%llx is not a valid "
				     "XCR0", (unsigned long long)v);
	return 0;
}

/* LAPIC register offsets (SDM vol. 3A table 10-1). */
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200

static int get_lapic(struct snap_dec *d, struct kvm_lapic_state *l)
{
	static const struct { unsigned int off; const char *name; } vec[] = {
		{ APIC_ISR, "lapic.isr" }, { APIC_TMR, "lapic.tmr" },
		{ APIC_IRR, "lapic.irr" },
	};

	if (get_blob(d, "lapic", l, sizeof(*l)))
		return d->err;
	/*
	 * Vectors 0-15 are illegal for the APIC (SDM vol. 3A 10.5.2): none
	 * can be requested, in service or latched.  KVM checks the rest of
	 * the page itself in KVM_SET_LAPIC (the APIC ID against the mode).
	 */
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		uint32_t w;

		memcpy(&w, l->regs + vec[i].off, 4);
		if (w & 0xffff)
			return snap_dec_fail(d, vec[i].name, "0x%08x marks "
					     "vectors 0-15, which are "
					     "illegal", w);
	}
	return 0;
}

#define EVENTS_VALID	(KVM_VCPUEVENT_VALID_NMI_PENDING |		\
			 KVM_VCPUEVENT_VALID_SIPI_VECTOR |		\
			 KVM_VCPUEVENT_VALID_SHADOW |			\
			 KVM_VCPUEVENT_VALID_SMM |			\
			 KVM_VCPUEVENT_VALID_PAYLOAD |			\
			 KVM_VCPUEVENT_VALID_TRIPLE_FAULT)
#define SHADOW_VALID	(KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI)

static int get_events(struct snap_dec *d, struct kvm_vcpu_events *ev)
{
	if (get_blob(d, "events", ev, sizeof(*ev)))
		return d->err;
	if (ev->flags & ~EVENTS_VALID)
		return snap_dec_fail(d, "events.flags", "0x%x sets unknown "
				     "flags", ev->flags);
	if (ev->exception.injected > 1 || ev->exception.pending > 1 ||
	    ev->exception.has_error_code > 1 || ev->exception.nr > 31)
		return snap_dec_fail(d, "events.exception", "injected %u "
				     "pending %u has_error_code %u nr %u: "
				     "out of range (flags 0/1, vector 0-31)",
				     ev->exception.injected,
				     ev->exception.pending,
				     ev->exception.has_error_code,
				     ev->exception.nr);
	if (ev->exception_has_payload > 1 ||
	    (!ev->exception_has_payload && ev->exception_payload))
		return snap_dec_fail(d, "events.exception_payload",
				     "has_payload %u with payload 0x%llx",
				     ev->exception_has_payload,
				     (unsigned long long)ev->exception_payload);
	if (ev->interrupt.injected > 1 || ev->interrupt.soft > 1 ||
	    (ev->interrupt.shadow & ~SHADOW_VALID))
		return snap_dec_fail(d, "events.interrupt", "injected %u "
				     "soft %u shadow 0x%x: out of range",
				     ev->interrupt.injected,
				     ev->interrupt.soft, ev->interrupt.shadow);
	/* nmi.pending counts: KVM keeps up to two NMIs pending. */
	if (ev->nmi.injected > 1 || ev->nmi.pending > 2 ||
	    ev->nmi.masked > 1 || ev->nmi.pad)
		return snap_dec_fail(d, "events.nmi", "injected %u pending "
				     "%u masked %u pad %u: out of range",
				     ev->nmi.injected, ev->nmi.pending,
				     ev->nmi.masked, ev->nmi.pad);
	/* The SIPI vector is 8 bits (SDM vol. 3A 8.4.4). */
	if (ev->sipi_vector > 0xff)
		return snap_dec_fail(d, "events.sipi_vector", "%u is not a "
				     "vector (0-255)", ev->sipi_vector);
	if (ev->smi.smm > 1 || ev->smi.pending > 1 ||
	    ev->smi.smm_inside_nmi > 1 || ev->smi.latched_init > 1 ||
	    ev->triple_fault.pending > 1)
		return snap_dec_fail(d, "events.smi", "smm %u pending %u "
				     "inside_nmi %u latched_init %u triple "
				     "fault %u: out of range", ev->smi.smm,
				     ev->smi.pending, ev->smi.smm_inside_nmi,
				     ev->smi.latched_init,
				     ev->triple_fault.pending);
	if (!all_zero(ev->reserved, sizeof(ev->reserved)))
		return snap_dec_fail(d, "events.reserved", "not zero");
	return 0;
}

static int get_debugregs(struct snap_dec *d, struct kvm_debugregs *dr)
{
	if (get_blob(d, "debugregs", dr, sizeof(*dr)))
		return d->err;
	/* KVM_SET_DEBUGREGS refuses flags and DR6/DR7 bits 63-32. */
	if (dr->flags || !all_zero(dr->reserved, sizeof(dr->reserved)))
		return snap_dec_fail(d, "debugregs", "flags or reserved not "
				     "zero");
	if ((dr->dr6 >> 32) || (dr->dr7 >> 32))
		return snap_dec_fail(d, "debugregs.dr6", "DR6 0x%llx or DR7 "
				     "0x%llx sets bits 63-32",
				     (unsigned long long)dr->dr6,
				     (unsigned long long)dr->dr7);
	return 0;
}

int x86_vcpu_state_encode(const struct x86_vcpu_state *st,
			  struct snap_enc *enc)
{
	put_blob(enc, &st->regs, sizeof(st->regs));
	snap_put_u8(enc, st->has_sregs2 ? 2 : 1);
	if (st->has_sregs2)
		put_blob(enc, &st->sregs2, sizeof(st->sregs2));
	else
		put_blob(enc, &st->sregs, sizeof(st->sregs));
	snap_put_u32(enc, st->xsave_size);
	snap_put_bytes(enc, st->xsave, st->xsave_size <= X86_XSAVE_MAX ?
		       st->xsave_size : 0);
	put_blob(enc, &st->xcrs, sizeof(st->xcrs));
	put_blob(enc, &st->lapic, sizeof(st->lapic));
	put_blob(enc, &st->events, sizeof(st->events));
	put_blob(enc, &st->debugregs, sizeof(st->debugregs));
	snap_put_u32(enc, st->mp_state);
	snap_put_u32(enc, st->tsc_khz);
	snap_put_u32(enc, st->nmsrs);
	for (uint32_t i = 0; i < st->nmsrs && i < X86_MSR_MAX; i++) {
		snap_put_u32(enc, st->msrs[i].index);
		snap_put_u64(enc, st->msrs[i].data);
	}
	if (!enc->err && (st->xsave_size > X86_XSAVE_MAX ||
			  st->nmsrs > X86_MSR_MAX))
		enc->err = -EINVAL;
	return enc->err;
}

static int get_msrs(struct snap_dec *d, struct x86_vcpu_state *st)
{
	if (snap_get_u32(d, "nmsrs", &st->nmsrs))
		return d->err;
	if (st->nmsrs > X86_MSR_MAX) {
		uint32_t n = st->nmsrs;

		st->nmsrs = 0;
		return snap_dec_fail(d, "nmsrs", "%u MSRs, more than the %u "
				     "vmon takes", n, X86_MSR_MAX);
	}
	for (uint32_t i = 0; i < st->nmsrs; i++) {
		struct kvm_msr_entry *m = &st->msrs[i];

		uint64_t data;

		snap_get_u32(d, "msr.index", &m->index);
		if (snap_get_u64(d, "msr.data", &data))
			return d->err;
		m->data = data;
		/* Ascending: one encoding, and no MSR set twice. */
		if (i && m->index == m[-1].index)
			return snap_dec_fail(d, "msr.index", "entry %u: MSR "
					     "0x%x is listed twice", i,
					     m->index);
		if (i && m->index < m[-1].index)
			return snap_dec_fail(d, "msr.index", "entry %u: MSR "
					     "0x%x after 0x%x, not ascending",
					     i, m->index, m[-1].index);
	}
	return 0;
}

int x86_vcpu_state_decode(struct snap_dec *d, struct x86_vcpu_state *st)
{
	memset(st, 0, sizeof(*st));
	if (get_blob(d, "regs", &st->regs, sizeof(st->regs)))
		goto out;
	if ((st->regs.rflags & RFLAGS_RESERVED) ||
	    !(st->regs.rflags & RFLAGS_FIXED)) {
		snap_dec_fail(d, "regs.rflags", "0x%llx: reserved bits not "
			      "as the SDM fixes them (bit 1 set, 3, 5, 15 "
			      "and 22-63 clear)",
			      (unsigned long long)st->regs.rflags);
		goto out;
	}
	if (get_sregs(d, st) || get_xsave(d, st) ||
	    get_xcrs(d, &st->xcrs) || get_lapic(d, &st->lapic) ||
	    get_events(d, &st->events) ||
	    get_debugregs(d, &st->debugregs))
		goto out;
	if (snap_get_u32(d, "mp_state", &st->mp_state))
		goto out;
	/* The x86 states KVM_SET_MP_STATE takes (api.rst; no SEV-ES). */
	if (st->mp_state > KVM_MP_STATE_SIPI_RECEIVED) {
		snap_dec_fail(d, "mp_state", "%u is not an x86 MP state "
			      "(0-4)", st->mp_state);
		goto out;
	}
	if (snap_get_u32(d, "tsc_khz", &st->tsc_khz))
		goto out;
	/* KVM_GET_TSC_KHZ answers in an int. */
	if (!st->tsc_khz || st->tsc_khz > INT32_MAX) {
		snap_dec_fail(d, "tsc_khz", "%u kHz is not a TSC frequency",
			      st->tsc_khz);
		goto out;
	}
	if (get_msrs(d, st))
		goto out;
	snap_dec_end(d);
out:
	if (d->err)
		memset(st, 0, sizeof(*st));
	return d->err;
}

/* ---- VM-wide state --------------------------------------------------- */

/* KVM's fixed ELCR masks (arch/x86/kvm/i8259.c, PIIX4 ELCR1/ELCR2). */
static const uint8_t pic_elcr_mask[2] = { 0xf8, 0xde };

static int check_pic(struct snap_dec *d, unsigned int i,
		     const struct kvm_pic_state *p)
{
	static const char *const name[2] = { "irqchip.pic_master",
					     "irqchip.pic_slave" };

	/* What the 8259A's command words can make of them (8259A ICW/OCW). */
	if (p->read_reg_select > 1 || p->poll > 1 || p->special_mask > 1 ||
	    p->init_state > 3 || p->auto_eoi > 1 ||
	    p->rotate_on_auto_eoi > 1 || p->special_fully_nested_mode > 1 ||
	    p->init4 > 1 || p->priority_add > 7)
		return snap_dec_fail(d, name[i], "a mode field is out of "
				     "range (init_state %u, priority_add %u)",
				     p->init_state, p->priority_add);
	/* ICW2 gives the vector base in bits 7-3. */
	if (p->irq_base & 7)
		return snap_dec_fail(d, name[i], "irq_base 0x%x is not a "
				     "multiple of 8", p->irq_base);
	if (p->elcr_mask != pic_elcr_mask[i] || (p->elcr & ~p->elcr_mask))
		return snap_dec_fail(d, name[i], "elcr 0x%x with mask 0x%x, "
				     "KVM's mask is 0x%x", p->elcr,
				     p->elcr_mask, pic_elcr_mask[i]);
	return 0;
}

#define IOAPIC_BASE		0xfec00000ULL	/* KVM's, fixed */
/*
 * Redirection entry bits 55-17 are reserved (82093AA 3.2.4), but KVM
 * keeps what the guest writes and Linux puts extended destination IDs in
 * 55-49 (KVM_FEATURE_MSI_EXT_DEST_ID) and its remapped format's bit 48:
 * 47-17 are reserved in every format.
 */
#define IOAPIC_RTE_RESERVED	0x0000fffffffe0000ULL

static int check_ioapic(struct snap_dec *d, const struct kvm_ioapic_state *s)
{
	if (s->base_address != IOAPIC_BASE)
		return snap_dec_fail(d, "irqchip.ioapic", "base 0x%llx, KVM's "
				     "IOAPIC is at 0x%llx",
				     (unsigned long long)s->base_address,
				     IOAPIC_BASE);
	/* IOREGSEL is 8 bits, the ID 4, one IRR bit per pin. */
	if (s->ioregsel > 0xff || s->id > 0xf ||
	    (s->irr >> KVM_IOAPIC_NUM_PINS) || s->pad)
		return snap_dec_fail(d, "irqchip.ioapic", "ioregsel 0x%x id "
				     "0x%x irr 0x%x pad 0x%x: out of range",
				     s->ioregsel, s->id, s->irr, s->pad);
	for (unsigned int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		if (s->redirtbl[i].bits & IOAPIC_RTE_RESERVED)
			return snap_dec_fail(d, "irqchip.ioapic.redirtbl",
					     "entry %u, 0x%016llx, sets "
					     "reserved bits 47-17", i,
					     (unsigned long long)
					     s->redirtbl[i].bits);
	return 0;
}

static int get_chip(struct snap_dec *d, unsigned int i, struct kvm_irqchip *c)
{
	size_t used = i < 2 ? sizeof(c->chip.pic) : sizeof(c->chip.ioapic);

	if (get_blob(d, "irqchip", c, sizeof(*c)))
		return d->err;
	if (c->chip_id != i || c->pad)
		return snap_dec_fail(d, "irqchip.chip_id", "chip %u (pad %u) "
				     "where chip %u belongs", c->chip_id,
				     c->pad, i);
	if (!all_zero(c->chip.dummy + used, sizeof(c->chip.dummy) - used))
		return snap_dec_fail(d, "irqchip", "chip %u: bytes after its "
				     "state not zero", i);
	return i < 2 ? check_pic(d, i, &c->chip.pic)
		     : check_ioapic(d, &c->chip.ioapic);
}

#define PIT_FLAGS	(KVM_PIT_FLAGS_HPET_LEGACY | \
			 KVM_PIT_FLAGS_SPEAKER_DATA_ON)

static int get_pit(struct snap_dec *d, struct kvm_pit_state2 *p)
{
	if (get_blob(d, "pit", p, sizeof(*p)))
		return d->err;
	if ((p->flags & ~PIT_FLAGS) ||
	    !all_zero(p->reserved, sizeof(p->reserved)))
		return snap_dec_fail(d, "pit.flags", "0x%x, or reserved "
				     "words, set unknown bits", p->flags);
	for (unsigned int i = 0; i < 3; i++) {
		const struct kvm_pit_channel_state *c = &p->channels[i];

		/*
		 * 8254 counters count 1 to 65536 (0 loads 65536); rw_mode
		 * is the control word's access field, the read and write
		 * states KVM's LSB/MSB/WORD0/WORD1 (1-4); mode 0xff is
		 * KVM's "never programmed".
		 */
		if (c->count > 0x10000 || c->rw_mode > 3 ||
		    c->read_state > 4 || c->write_state > 4 ||
		    c->count_latched > 3 || c->status_latched > 1 ||
		    (c->mode > 7 && c->mode != 0xff) || c->bcd > 1 ||
		    c->gate > 1)
			return snap_dec_fail(d, "pit.channels", "channel %u: "
					     "count %u rw_mode %u mode %u "
					     "read_state %u write_state %u: "
					     "a field is out of range", i,
					     c->count, c->rw_mode, c->mode,
					     c->read_state, c->write_state);
	}
	return 0;
}

#define CLOCK_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
			 KVM_CLOCK_HOST_TSC)

static int get_clock(struct snap_dec *d, struct kvm_clock_data *c)
{
	if (get_blob(d, "clock", c, sizeof(*c)))
		return d->err;
	if ((c->flags & ~CLOCK_FLAGS) || c->pad0 ||
	    !all_zero(c->pad, sizeof(c->pad)))
		return snap_dec_fail(d, "clock.flags", "0x%x, or padding, "
				     "sets unknown bits", c->flags);
	/* KVM fills these only with their flag (api.rst, KVM_GET_CLOCK). */
	if ((!(c->flags & KVM_CLOCK_REALTIME) && c->realtime) ||
	    (!(c->flags & KVM_CLOCK_HOST_TSC) && c->host_tsc))
		return snap_dec_fail(d, "clock.realtime", "realtime or "
				     "host_tsc set without its flag (0x%x)",
				     c->flags);
	return 0;
}

int x86_vm_state_encode(const struct x86_vm_state *st, struct snap_enc *enc)
{
	for (unsigned int i = 0; i < KVM_NR_IRQCHIPS; i++)
		put_blob(enc, &st->chip[i], sizeof(st->chip[i]));
	put_blob(enc, &st->pit, sizeof(st->pit));
	return put_blob(enc, &st->clock, sizeof(st->clock));
}

int x86_vm_state_decode(struct snap_dec *d, struct x86_vm_state *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned int i = 0; i < KVM_NR_IRQCHIPS; i++)
		if (get_chip(d, i, &st->chip[i]))
			goto out;
	if (get_pit(d, &st->pit) || get_clock(d, &st->clock))
		goto out;
	snap_dec_end(d);
out:
	if (d->err)
		memset(st, 0, sizeof(*st));
	return d->err;
}
