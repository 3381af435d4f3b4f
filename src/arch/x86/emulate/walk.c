// SPDX-License-Identifier: MIT
/*
 * The guest page-table walker (walk.h).  Section numbers are of the
 * Intel SDM vol. 3A, chapter 4 (Paging).
 */
#include "arch/x86/emulate/walk.h"

#include <errno.h>
#include <string.h>

#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_A  (1ull << 5)
#define PTE_D  (1ull << 6)
#define PTE_PS (1ull << 7)
#define PTE_XD (1ull << 63)

#define PAGE_4K	  4096ull
#define RFLAGS_AC (1ull << 18)
#define RFLAGS_VM (1ull << 17)

/* A changed entry restarts the walk; a guest that rewrites it forever
 * cannot keep the vCPU here. */
#define WALK_TRIES 8
#define WALK_RETRY 2

enum mode { MODE_OFF, MODE_32, MODE_PAE, MODE_4LEVEL, MODE_5LEVEL };

/* One level of a walk: the linear-address bits that index it (4.3-4.5). */
struct level {
	uint8_t shift, bits;
	bool large; /* PS may map a page here */
};

/* Bits hi..lo of a 64-bit entry (none if hi < lo). */
static uint64_t bit_range(unsigned int hi, unsigned int lo)
{
	if (hi < lo)
		return 0;
	return (hi >= 63 ? ~0ull : (1ull << (hi + 1)) - 1) & ~((1ull << lo) - 1);
}

/* 4.1.1: which paging mode CR0.PG, CR4.PAE, EFER.LMA and CR4.LA57 select. */
static enum mode paging_mode(const struct x86_paging *pg)
{
	if (!(pg->cr0 & X86_CR0_PG))
		return MODE_OFF;
	if (!(pg->cr4 & X86_CR4_PAE))
		return MODE_32;
	if (!(pg->efer & X86_EFER_LMA))
		return MODE_PAE;
	return pg->cr4 & X86_CR4_LA57 ? MODE_5LEVEL : MODE_4LEVEL;
}

static unsigned int mode_levels(enum mode m, const struct x86_paging *pg,
				struct level lv[5])
{
	static const struct level l32[] = { { 22, 10, true },
					    { 12, 10, false } };
	static const struct level pae[] = { { 30, 2, false },
					    { 21, 9, true },
					    { 12, 9, false } };
	static const struct level l5[] = { { 48, 9, false },
					   { 39, 9, false },
					   { 30, 9, true },
					   { 21, 9, true },
					   { 12, 9, false } };
	const struct level *src = l5;
	unsigned int n = 5;

	switch (m) {
	case MODE_32:
		src = l32;
		n = 2;
		break;
	case MODE_PAE:
		src = pae;
		n = 3;
		break;
	case MODE_4LEVEL:
		src = l5 + 1;
		n = 4;
		break;
	default:
		break;
	}
	memcpy(lv, src, n * sizeof(*lv));
	/* 4.3: without CR4.PSE a PDE's PS is ignored; it always points to a
	 * page table. */
	if (m == MODE_32 && !(pg->cr4 & X86_CR4_PSE))
		lv[0].large = false;
	return n;
}

/*
 * The bits of entry that must be 0 at a level (tables 4-4 to 4-20).  leaf
 * is a large page's entry (PS set where it maps one).
 */
static uint64_t reserved_bits(enum mode m, const struct x86_paging *pg,
			      unsigned int shift, bool large)
{
	unsigned int mpa = pg->maxphyaddr;
	uint64_t r = pg->efer & X86_EFER_NXE ? 0 : PTE_XD;

	switch (m) {
	case MODE_32:
		/* Table 4-5: a 4 MiB PDE holds PA bits 39:32 in 20:13 (PSE-36,
		 * as far as MAXPHYADDR goes) and bit 21 is reserved.  Nothing
		 * else in 32-bit paging is. */
		if (!large)
			return 0;
		return bit_range(21, 21) |
		       bit_range(20, 13 + (mpa < 40 ? mpa - 32 : 8));
	case MODE_PAE:
		/* Table 4-8: a PDPTE has no R/W, U/S, A or XD. */
		if (shift == 30)
			return bit_range(63, mpa) | bit_range(2, 1) |
			       bit_range(8, 5);
		r |= bit_range(62, mpa);
		break;
	default:
		/* Tables 4-14 to 4-20: bits 62:52 are ignored. */
		r |= bit_range(51, mpa);
		if (shift >= 39)
			r |= PTE_PS; /* PML5E, PML4E */
		break;
	}
	if (large)
		r |= bit_range(shift - 1, 13); /* under the frame, above PAT */
	return r;
}

/* A present entry's physical-address field (bits M-1:12). */
static uint64_t addr_mask(enum mode m, const struct x86_paging *pg)
{
	return m == MODE_32 ? 0xfffff000ull : bit_range(pg->maxphyaddr - 1, 12);
}

static int raise_pf(struct x86_fault *fault, uint64_t la, uint32_t ec)
{
	fault->vector = X86_VEC_PF;
	fault->error_code = ec;
	fault->cr2 = la;
	return X86_FAULT;
}

/* Rights accumulated over the levels (4.6): U/S and R/W must be 1 at every
 * level, XD at any level forbids fetches. */
struct rights {
	bool user, writable, nx;
};

/*
 * 4.6.1 (access rights) and 4.6.2 (protection keys) for the leaf entry:
 * 0 if the access is allowed, else the error-code bits it adds to P.
 */
static uint32_t rights_check(const struct x86_paging *pg, enum mode m,
			     unsigned int access, bool user_access,
			     const struct rights *r, uint64_t leaf)
{
	bool write = access & X86_ACC_WRITE, wp = pg->cr0 & X86_CR0_WP;
	bool denied = false;
	uint32_t reg = 0;
	bool keys = false;

	if (user_access && !r->user)
		return X86_PF_P;
	if (access & X86_ACC_FETCH) {
		/* No protection keys for fetches. */
		if (r->nx ||
		    (!user_access && r->user && (pg->cr4 & X86_CR4_SMEP)))
			return X86_PF_P;
		return 0;
	}
	/* SMAP: supervisor data accesses to user pages, unless explicit with
	 * RFLAGS.AC set. */
	if (!user_access && r->user && (pg->cr4 & X86_CR4_SMAP) &&
	    ((access & X86_ACC_IMPLICIT) || !pg->ac))
		denied = true;
	/* A read-only page: user writes always fault, supervisor ones only
	 * with CR0.WP. */
	if (write && !r->writable && (user_access || wp))
		denied = true;
	/* Keys exist in 4-level and 5-level paging only, in leaf bits 62:59:
	 * PKRU for user pages (whatever the CPL), IA32_PKRS for supervisor
	 * pages (supervisor accesses: a user one faulted above). */
	if (m == MODE_4LEVEL || m == MODE_5LEVEL) {
		if (r->user && (pg->cr4 & X86_CR4_PKE)) {
			reg = pg->pkru;
			keys = true;
		} else if (!r->user && (pg->cr4 & X86_CR4_PKS)) {
			reg = pg->pkrs;
			keys = true;
		}
	}
	if (keys) {
		unsigned int key = (leaf >> 59) & 0xf;
		bool ad = (reg >> (2 * key)) & 1,
		     wd = (reg >> (2 * key + 1)) & 1;

		/* Like KVM (permission_fault), PK is reported whenever a key
		 * forbids the access, other violations or not. */
		if (ad || (write && wd && (user_access || wp)))
			return X86_PF_P | X86_PF_PK;
	}
	return denied ? X86_PF_P : 0;
}

struct walked {
	uint64_t gpa; /* where the entry is */
	uint64_t val; /* what the walk read there */
	bool has_a;
};

/* 4.8: set A (and D in the leaf of a write) where they are clear, each
 * only if the entry still holds what the walk read. */
static int set_accessed_dirty(const struct guest_mem *gm, const struct walked *w,
			      unsigned int n, unsigned int esize, bool write)
{
	for (unsigned int i = 0; i < n; i++) {
		uint64_t want = w[i].val | PTE_A;
		void *p;

		if (!w[i].has_a)
			continue;
		if (write && i == n - 1)
			want |= PTE_D;
		if (want == w[i].val)
			continue;
		p = gm_ptr(gm, w[i].gpa, esize);
		if (!p)
			return -EFAULT;
		if (esize == 8) {
			uint64_t old = w[i].val;

			if (!__atomic_compare_exchange_n((uint64_t *)p, &old,
							 want, false,
							 __ATOMIC_SEQ_CST,
							 __ATOMIC_SEQ_CST))
				return WALK_RETRY;
		} else {
			uint32_t old = (uint32_t)w[i].val;

			if (!__atomic_compare_exchange_n((uint32_t *)p, &old,
							 (uint32_t)want, false,
							 __ATOMIC_SEQ_CST,
							 __ATOMIC_SEQ_CST))
				return WALK_RETRY;
		}
	}
	return 0;
}

static int walk_once(const struct guest_mem *gm, const struct x86_paging *pg,
		     enum mode m, uint64_t la, unsigned int access,
		     struct x86_xlat *out, struct x86_fault *fault)
{
	bool user_access = pg->cpl == 3 && !(access & X86_ACC_IMPLICIT);
	unsigned int esize = m == MODE_32 ? 4 : 8;
	struct rights r = { .user = true, .writable = true, .nx = false };
	struct walked w[5];
	struct level lv[5];
	unsigned int n = mode_levels(m, pg, lv), i;
	uint64_t amask = addr_mask(m, pg), table, e = 0, size, frame;
	uint32_t ec, denied;
	int ret;

	/* 4.7: I/D only where fetches can be refused by SMEP or XD. */
	ec = (access & X86_ACC_WRITE ? X86_PF_W : 0) |
	     (user_access ? X86_PF_U : 0);
	if ((access & X86_ACC_FETCH) &&
	    ((pg->cr4 & X86_CR4_SMEP) ||
	     ((pg->cr4 & X86_CR4_PAE) && (pg->efer & X86_EFER_NXE))))
		ec |= X86_PF_I;

	/* CR3 (4.3, 4.4.1, 4.5.2): bits 11:0 are PWT/PCD or the PCID, 63 the
	 * no-flush bit of MOV to CR3. */
	if (m == MODE_32)
		table = pg->cr3 & 0xfffff000ull;
	else if (m == MODE_PAE)
		table = pg->cr3 & 0xffffffe0ull;
	else
		table = pg->cr3 & amask;

	for (i = 0; i < n; i++) {
		unsigned int idx = (la >> lv[i].shift) &
				   ((1u << lv[i].bits) - 1);
		bool pdpte = m == MODE_PAE && i == 0, large;
		const void *p;

		/* table < 2^52 and idx * esize < 4 KiB: no overflow. */
		w[i].gpa = table + (uint64_t)idx * esize;
		p = gm_ptr(gm, w[i].gpa, esize);
		if (!p)
			return -EFAULT;
		/* One load: another vCPU may be writing the entry. */
		e = esize == 8 ? __atomic_load_n((const uint64_t *)p,
						 __ATOMIC_ACQUIRE) :
				 __atomic_load_n((const uint32_t *)p,
						 __ATOMIC_ACQUIRE);
		w[i].val = e;
		w[i].has_a = !pdpte;
		if (!(e & PTE_P))
			return raise_pf(fault, la, ec);
		large = lv[i].large && (e & PTE_PS);
		if (e & reserved_bits(m, pg, lv[i].shift, large))
			return raise_pf(fault, la, ec | X86_PF_P | X86_PF_RSVD);
		if (!pdpte) {
			r.user &= !!(e & PTE_US);
			r.writable &= !!(e & PTE_RW);
			if (pg->efer & X86_EFER_NXE)
				r.nx |= !!(e & PTE_XD);
		}
		if (large || i == n - 1)
			break;
		table = e & amask;
	}

	denied = rights_check(pg, m, access, user_access, &r, e);
	if (denied)
		return raise_pf(fault, la, ec | denied);

	if (!(access & X86_ACC_NO_AD)) {
		ret = set_accessed_dirty(gm, w, i + 1, esize,
					 access & X86_ACC_WRITE);
		if (ret)
			return ret;
	}

	size = 1ull << lv[i].shift;
	if (m == MODE_32 && size > PAGE_4K)
		/* Table 4-5: PA 39:32 from PDE bits 20:13 (PSE-36). */
		frame = (e & 0xffc00000ull) | (((e >> 13) & 0xff) << 32);
	else
		frame = e & amask & ~(size - 1);
	out->gpa = frame | (la & (size - 1));
	out->page_size = size;
	return 0;
}

int x86_walk(const struct guest_mem *gm, const struct x86_paging *pg,
	     uint64_t la, unsigned int access, struct x86_xlat *out,
	     struct x86_fault *fault)
{
	enum mode m = paging_mode(pg);

	if (pg->cpl > 3 || pg->maxphyaddr < 32 || pg->maxphyaddr > 52 ||
	    ((access & X86_ACC_WRITE) && (access & X86_ACC_FETCH)))
		return -EINVAL;

	if (m == MODE_OFF || m == MODE_32 || m == MODE_PAE)
		la &= 0xffffffffull;
	if (m == MODE_OFF) {
		/* 4.1.1: linear addresses are physical ones, no rights. */
		out->gpa = la;
		out->page_size = PAGE_4K;
		return 0;
	}
	if (m == MODE_4LEVEL || m == MODE_5LEVEL) {
		/* 4.5: bits 63:48 (63:57) copy bit 47 (56), or #GP(0) (vol. 1,
		 * 3.3.7.1); it comes before any paging-structure access. */
		unsigned int drop = m == MODE_5LEVEL ? 7 : 16;

		if ((uint64_t)((int64_t)(la << drop) >> drop) != la) {
			fault->vector = X86_VEC_GP;
			fault->error_code = 0;
			fault->cr2 = 0;
			return X86_FAULT;
		}
	}
	for (int t = 0; t < WALK_TRIES; t++) {
		int ret = walk_once(gm, pg, m, la, access, out, fault);

		if (ret != WALK_RETRY)
			return ret;
	}
	return -EAGAIN;
}

/* The bytes of [la + done, la + len) in done's 4 KiB page. */
static size_t page_chunk(uint64_t la, size_t done, size_t len)
{
	uint64_t left = PAGE_4K - ((la + done) & (PAGE_4K - 1));

	return len - done < left ? len - done : (size_t)left;
}

int x86_linear_read(const struct guest_mem *gm, const struct x86_paging *pg,
		    uint64_t la, void *dst, size_t len, unsigned int access,
		    size_t *done, struct x86_fault *fault)
{
	size_t n = 0;
	int ret = 0;

	access &= ~X86_ACC_WRITE;
	while (n < len) {
		size_t chunk = page_chunk(la, n, len);
		struct x86_xlat x;
		const void *p;

		ret = x86_walk(gm, pg, la + n, access, &x, fault);
		if (ret)
			break;
		p = gm_ptr(gm, x.gpa, chunk);
		if (!p) {
			ret = -ENXIO;
			break;
		}
		memcpy((uint8_t *)dst + n, p, chunk);
		n += chunk;
	}
	if (done)
		*done = n;
	return ret;
}

int x86_linear_write(const struct guest_mem *gm, const struct x86_paging *pg,
		     uint64_t la, const void *src, size_t len,
		     unsigned int access, struct x86_fault *fault)
{
	uint64_t gpa[X86_LINEAR_WRITE_MAX / PAGE_4K + 1];
	struct x86_xlat x;
	size_t n, chunk;
	unsigned int i;
	int ret;

	if (len > X86_LINEAR_WRITE_MAX)
		return -EINVAL;
	access = (access & ~X86_ACC_FETCH) | X86_ACC_WRITE;
	/* First every page, changing nothing. */
	for (n = 0; n < len; n += chunk) {
		chunk = page_chunk(la, n, len);
		ret = x86_walk(gm, pg, la + n, access | X86_ACC_NO_AD, &x,
			       fault);
		if (ret)
			return ret;
		if (!gm_is_ram(gm, x.gpa, chunk))
			return -ENXIO;
	}
	/*
	 * Then again, setting A/D, and only then the data: the bytes written
	 * may be page tables of the later pages (a CPU translates a store's
	 * pages before it stores).
	 */
	for (n = 0, i = 0; n < len; n += chunk, i++) {
		chunk = page_chunk(la, n, len);
		ret = x86_walk(gm, pg, la + n, access, &x, fault);
		if (ret)
			return ret;
		if (!gm_is_ram(gm, x.gpa, chunk))
			return -ENXIO;
		gpa[i] = x.gpa;
	}
	for (n = 0, i = 0; n < len; n += chunk, i++) {
		chunk = page_chunk(la, n, len);
		if (gm_write(gm, gpa[i], (const uint8_t *)src + n, chunk))
			return -ENXIO; /* checked above: cannot happen */
	}
	return 0;
}

void x86_paging_from_sregs(const struct kvm_sregs *s, uint64_t rflags,
			   unsigned int maxphyaddr, struct x86_paging *pg)
{
	memset(pg, 0, sizeof(*pg));
	pg->cr0 = s->cr0;
	pg->cr3 = s->cr3;
	pg->cr4 = s->cr4;
	pg->efer = s->efer;
	pg->ac = rflags & RFLAGS_AC;
	pg->maxphyaddr = maxphyaddr;
	/* CPL is SS.DPL in protected mode (vol. 3A, 5.5); 0 in real mode,
	 * 3 in virtual-8086 mode. */
	if (!(s->cr0 & X86_CR0_PE))
		pg->cpl = 0;
	else if (rflags & RFLAGS_VM)
		pg->cpl = 3;
	else
		pg->cpl = s->ss.dpl & 3;
}
