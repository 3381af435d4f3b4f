// SPDX-License-Identifier: MIT
/*
 * The ioctl halves of vcpu_state.h: capture a vCPU's and the VM's
 * in-kernel x86 state from KVM and apply a decoded one, in the orders
 * Firecracker's vcpu.rs and api.rst ask for (docs/snapshot.md, "vCPU and
 * in-kernel device state", says why).  Every failure names the ioctl,
 * and for MSRs the MSR, so a failure on a real host says what happened.
 */
#include "arch/x86/vcpu_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* KVM_GET/SET_MSRS refuse 256 entries or more (MAX_IO_MSRS, -E2BIG). */
#define MSR_IO_MAX		255u

#define MSR_IA32_TSC		0x10
#define MSR_IA32_APICBASE	0x1b

/*
 * MSRs vmon wants whether or not KVM_GET_MSR_INDEX_LIST lists them (it
 * does on current kernels); probing drops those this vCPU cannot read.
 */
static const uint32_t msr_wanted[] = {
	MSR_IA32_TSC, 0x11, 0x12,		/* TSC, old kvmclock */
	MSR_IA32_APICBASE, 0x174, 0x175, 0x176,	/* APIC base, SYSENTER */
	0x1a0, 0x277, 0x6e0,			/* MISC_ENABLE, PAT, deadline */
	0xc0000081, 0xc0000082, 0xc0000083,	/* STAR, LSTAR, CSTAR */
	0xc0000084, 0xc0000102, 0xc0000103,	/* SFMASK, KERNEL_GS, TSC_AUX */
	0x4b564d00, 0x4b564d01,			/* kvmclock */
	0x4b564d02, 0x4b564d03, 0x4b564d04,	/* async PF, steal, PV EOI */
};

static int fail(struct vmon_err *e, const char *what)
{
	int ret = -errno;

	return err_set(e, ERR_HOST, ret, "%s: %s", what, strerror(-ret));
}

#define KVM_IO(fd, req, arg, e) \
	(ioctl((fd), (req), (arg)) < 0 ? fail((e), #req) : 0)

static int has_cap(int kvm_fd, long cap)
{
	int r = ioctl(kvm_fd, KVM_CHECK_EXTENSION, cap);

	return r > 0 ? r : 0;
}

/*
 * The XSAVE buffer size KVM reads and writes: KVM_CAP_XSAVE2's answer on
 * /dev/kvm (the same as on the VM: it depends on this process's XSAVE
 * permissions, api.rst), else struct kvm_xsave's 4096 bytes.
 */
static int xsave_size(int kvm_fd, uint32_t *size, struct vmon_err *e)
{
	int n = has_cap(kvm_fd, KVM_CAP_XSAVE2);

	if (!n && !has_cap(kvm_fd, KVM_CAP_XSAVE))
		return err_set(e, ERR_HOST, -ENOTSUP, "KVM offers neither "
			       "KVM_CAP_XSAVE2 nor KVM_CAP_XSAVE: vmon cannot "
			       "save or restore the FPU state");
	*size = (uint32_t)n < X86_XSAVE_MIN ? X86_XSAVE_MIN : (uint32_t)n;
	if (*size > X86_XSAVE_MAX)
		return err_set(e, ERR_HOST, -E2BIG, "KVM_CAP_XSAVE2: %u "
			       "bytes of XSAVE state, vmon takes at most %u",
			       *size, X86_XSAVE_MAX);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* KVM_GET_MSR_INDEX_LIST plus msr_wanted, sorted, without duplicates. */
static int msr_candidates(int kvm_fd, uint32_t **out, uint32_t *n,
			  struct vmon_err *e)
{
	const uint32_t extra = sizeof(msr_wanted) / sizeof(msr_wanted[0]);
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	uint32_t *idx, cnt, k = 0;

	/* With room for none, KVM says how many there are (E2BIG). */
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 &&
	    errno != E2BIG)
		return fail(e, "KVM_GET_MSR_INDEX_LIST");
	if (probe.nmsrs > X86_MSR_MAX)
		return err_set(e, ERR_HOST, -E2BIG, "KVM_GET_MSR_INDEX_LIST: "
			       "%u MSRs, vmon takes at most %u", probe.nmsrs,
			       X86_MSR_MAX);
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
	idx = calloc(probe.nmsrs + extra, sizeof(*idx));
	if (!list || !idx) {
		free(list);
		free(idx);
		return err_set(e, ERR_HOST, -ENOMEM, "no memory for the MSR "
			       "list");
	}
	list->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		int ret = fail(e, "KVM_GET_MSR_INDEX_LIST");

		free(list);
		free(idx);
		return ret;
	}
	cnt = list->nmsrs < probe.nmsrs ? list->nmsrs : probe.nmsrs;
	memcpy(idx, list->indices, cnt * sizeof(*idx));
	memcpy(idx + cnt, msr_wanted, sizeof(msr_wanted));
	free(list);
	cnt += extra;
	qsort(idx, cnt, sizeof(*idx), cmp_u32);
	for (uint32_t i = 0; i < cnt; i++)
		if (!k || idx[i] != idx[k - 1])
			idx[k++] = idx[i];
	if (k > X86_MSR_MAX) {
		free(idx);
		return err_set(e, ERR_HOST, -E2BIG, "%u MSRs to save, vmon "
			       "takes at most %u", k, X86_MSR_MAX);
	}
	*out = idx;
	*n = k;
	return 0;
}

/*
 * Read the candidates this vCPU has: KVM_GET_MSRS reads entries in order
 * and returns how many it read, stopping at the first it cannot, so
 * every short answer drops one MSR and goes on after it.
 */
static int msrs_capture(int kvm_fd, int vcpu_fd, struct x86_vcpu_state *st,
			struct vmon_err *e)
{
	struct kvm_msrs *m;
	uint32_t *idx = NULL, n = 0, done = 0;
	bool tsc = false, apic = false;
	int ret = msr_candidates(kvm_fd, &idx, &n, e);

	if (ret)
		return ret;
	m = calloc(1, sizeof(*m) + n * sizeof(m->entries[0]));
	if (!m) {
		free(idx);
		return err_set(e, ERR_HOST, -ENOMEM, "no memory for MSRs");
	}
	st->nmsrs = 0;
	while (done < n) {
		int r;

		m->nmsrs = n - done < MSR_IO_MAX ? n - done : MSR_IO_MAX;
		memset(m->entries, 0, m->nmsrs * sizeof(m->entries[0]));
		for (uint32_t j = 0; j < m->nmsrs; j++)
			m->entries[j].index = idx[done + j];
		r = ioctl(vcpu_fd, KVM_GET_MSRS, m);
		if (r < 0) {
			ret = fail(e, "KVM_GET_MSRS");
			goto out;
		}
		if ((uint32_t)r > m->nmsrs)
			r = (int)m->nmsrs;
		for (int j = 0; j < r; j++)
			st->msrs[st->nmsrs++] = m->entries[j];
		done += (uint32_t)r;
		if ((uint32_t)r < m->nmsrs)
			done++;		/* past the one it could not read */
	}
	for (uint32_t i = 0; i < st->nmsrs; i++) {
		tsc |= st->msrs[i].index == MSR_IA32_TSC;
		apic |= st->msrs[i].index == MSR_IA32_APICBASE;
	}
	if (!tsc || !apic)
		ret = err_set(e, ERR_HOST, -EIO, "KVM_GET_MSRS: MSR 0x%x (%s) "
			      "cannot be read, a restored guest would lose "
			      "it", tsc ? MSR_IA32_APICBASE : MSR_IA32_TSC,
			      tsc ? "APIC base" : "TSC");
out:
	free(m);
	free(idx);
	return ret;
}

/*
 * Firecracker's save order (vcpu.rs save_state): KVM_GET_MP_STATE first,
 * since it runs kvm_apic_accept_events(), which can change the vCPU and
 * LAPIC state the other reads return; vCPU events last, since the other
 * reads can still change what is pending.
 */
static int vcpu_capture(int kvm_fd, int vcpu_fd, struct x86_vcpu_state *st,
			struct vmon_err *e)
{
	struct kvm_mp_state mp = { 0 };
	int ret, khz;

	if ((ret = KVM_IO(vcpu_fd, KVM_GET_MP_STATE, &mp, e)))
		return ret;
	st->mp_state = mp.mp_state;
	if ((ret = KVM_IO(vcpu_fd, KVM_GET_REGS, &st->regs, e)))
		return ret;
	st->has_sregs2 = has_cap(kvm_fd, KVM_CAP_SREGS2);
	ret = st->has_sregs2 ? KVM_IO(vcpu_fd, KVM_GET_SREGS2, &st->sregs2, e)
			     : KVM_IO(vcpu_fd, KVM_GET_SREGS, &st->sregs, e);
	if (ret || (ret = xsave_size(kvm_fd, &st->xsave_size, e)))
		return ret;
	ret = has_cap(kvm_fd, KVM_CAP_XSAVE2)
		? KVM_IO(vcpu_fd, KVM_GET_XSAVE2, st->xsave, e)
		: KVM_IO(vcpu_fd, KVM_GET_XSAVE, st->xsave, e);
	if (ret)
		return ret;
	if (has_cap(kvm_fd, KVM_CAP_XCRS) &&
	    (ret = KVM_IO(vcpu_fd, KVM_GET_XCRS, &st->xcrs, e)))
		return ret;
	if ((ret = KVM_IO(vcpu_fd, KVM_GET_DEBUGREGS, &st->debugregs, e)) ||
	    (ret = KVM_IO(vcpu_fd, KVM_GET_LAPIC, &st->lapic, e)))
		return ret;
	khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return khz < 0 ? fail(e, "KVM_GET_TSC_KHZ")
			       : err_set(e, ERR_HOST, -EIO, "KVM_GET_TSC_KHZ: "
					 "KVM does not know the TSC frequency");
	st->tsc_khz = (uint32_t)khz;
	if ((ret = msrs_capture(kvm_fd, vcpu_fd, st, e)))
		return ret;
	return KVM_IO(vcpu_fd, KVM_GET_VCPU_EVENTS, &st->events, e);
}

int x86_vcpu_save(int kvm_fd, int vcpu_fd, struct snap_enc *enc,
		  struct vmon_err *e)
{
	struct x86_vcpu_state *st = calloc(1, sizeof(*st));
	int ret;

	if (!st)
		return err_set(e, ERR_HOST, -ENOMEM, "no memory for vCPU "
			       "state");
	ret = vcpu_capture(kvm_fd, vcpu_fd, st, e);
	if (!ret && (ret = x86_vcpu_state_encode(st, enc)))
		err_set(e, ERR_HOST, ret, "cannot encode the vCPU state: %s",
			strerror(-ret));
	free(st);
	return ret;
}

/* The TSC frequency first: KVM scales the TSC MSR written later by it. */
static int tsc_apply(int vcpu_fd, uint32_t khz, struct vmon_err *e)
{
	int host = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);
	int err;

	if (host < 0)
		return fail(e, "KVM_GET_TSC_KHZ");
	/* KVM itself lets 250 ppm through without scaling (tsc_tolerance). */
	if ((uint32_t)host == khz || ioctl(vcpu_fd, KVM_SET_TSC_KHZ, khz) == 0)
		return 0;
	err = errno;
	return err_set(e, ERR_USAGE, -err, "KVM_SET_TSC_KHZ: the snapshot's "
		       "TSC ran at %u kHz, this host's runs at %d kHz and it "
		       "cannot scale the guest's (%s); restore on a host with "
		       "the same TSC frequency or with TSC scaling", khz,
		       host, strerror(err));
}

static int sregs_apply(int kvm_fd, int vcpu_fd,
		       const struct x86_vcpu_state *st, struct vmon_err *e)
{
	const struct kvm_sregs2 *s2 = &st->sregs2;
	struct kvm_sregs s;

	if (!st->has_sregs2)
		return KVM_IO(vcpu_fd, KVM_SET_SREGS, &st->sregs, e);
	if (has_cap(kvm_fd, KVM_CAP_SREGS2))
		return KVM_IO(vcpu_fd, KVM_SET_SREGS2, (void *)s2, e);
	/*
	 * A host without SREGS2: the old call, whose interrupt bitmap sregs2
	 * leaves to vCPU events; KVM reloads the PDPTRs from CR3.
	 */
	s = (struct kvm_sregs){
		.cs = s2->cs, .ds = s2->ds, .es = s2->es, .fs = s2->fs,
		.gs = s2->gs, .ss = s2->ss, .tr = s2->tr, .ldt = s2->ldt,
		.gdt = s2->gdt, .idt = s2->idt, .cr0 = s2->cr0,
		.cr2 = s2->cr2, .cr3 = s2->cr3, .cr4 = s2->cr4,
		.cr8 = s2->cr8, .efer = s2->efer, .apic_base = s2->apic_base,
	};
	return KVM_IO(vcpu_fd, KVM_SET_SREGS, &s, e);
}

static int xsave_apply(int kvm_fd, int vcpu_fd,
		       const struct x86_vcpu_state *st, struct vmon_err *e)
{
	uint32_t host;
	int ret = xsave_size(kvm_fd, &host, e);

	if (ret)
		return ret;
	/*
	 * KVM_SET_XSAVE reads host bytes; a smaller saved area is followed
	 * by zeros (the decoder cleared the buffer), whose components its
	 * XSTATE_BV does not mark.  A larger one holds features this host
	 * (or process) has not enabled.
	 */
	if (st->xsave_size > host)
		return err_set(e, ERR_USAGE, -EINVAL, "KVM_SET_XSAVE: the "
			       "snapshot's XSAVE area has %u bytes, this host "
			       "takes %u: it was taken with XSAVE features "
			       "this host lacks", st->xsave_size, host);
	return KVM_IO(vcpu_fd, KVM_SET_XSAVE, (void *)st->xsave, e);
}

/* In index order, MSR_IO_MAX at a time. */
static int msrs_apply(int vcpu_fd, const struct x86_vcpu_state *st,
		      struct vmon_err *e)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) +
				    MSR_IO_MAX * sizeof(m->entries[0]));
	int ret = 0;

	if (!m)
		return err_set(e, ERR_HOST, -ENOMEM, "no memory for MSRs");
	for (uint32_t done = 0; done < st->nmsrs && !ret;) {
		uint32_t k = st->nmsrs - done < MSR_IO_MAX ? st->nmsrs - done
							   : MSR_IO_MAX;
		const struct kvm_msr_entry *bad;
		int r;

		m->nmsrs = k;
		memcpy(m->entries, st->msrs + done, k * sizeof(m->entries[0]));
		r = ioctl(vcpu_fd, KVM_SET_MSRS, m);
		if (r < 0) {
			ret = fail(e, "KVM_SET_MSRS");
			break;
		}
		/* It returns how many it set, stopping at the first refused. */
		if ((uint32_t)r < k) {
			bad = &st->msrs[done + (uint32_t)r];
			ret = err_set(e, ERR_HOST, -EINVAL, "KVM_SET_MSRS: MSR "
				      "0x%x refused (value 0x%llx; %u of %u "
				      "set)", bad->index,
				      (unsigned long long)bad->data,
				      done + (uint32_t)r, st->nmsrs);
		}
		done += k;
	}
	free(m);
	return ret;
}

/*
 * Firecracker's restore order (vcpu.rs restore_state): MP state first,
 * as KVM_SET_MP_STATE can reset what follows; regs, sregs, XSAVE, XCRs,
 * debug registers; the LAPIC before the MSRs, since TSC_DEADLINE is only
 * taken by an in-kernel LAPIC in TSC-deadline mode; vCPU events last, as
 * KVM_SET_SREGS and KVM_SET_LAPIC can change pending events.
 */
static int vcpu_apply(int kvm_fd, int vcpu_fd,
		      const struct x86_vcpu_state *st, struct vmon_err *e)
{
	struct kvm_mp_state mp = { .mp_state = st->mp_state };
	int ret;

	if ((ret = tsc_apply(vcpu_fd, st->tsc_khz, e)) ||
	    (ret = KVM_IO(vcpu_fd, KVM_SET_MP_STATE, &mp, e)) ||
	    (ret = KVM_IO(vcpu_fd, KVM_SET_REGS, (void *)&st->regs, e)) ||
	    (ret = sregs_apply(kvm_fd, vcpu_fd, st, e)) ||
	    (ret = xsave_apply(kvm_fd, vcpu_fd, st, e)))
		return ret;
	if (st->xcrs.nr_xcrs &&
	    (ret = KVM_IO(vcpu_fd, KVM_SET_XCRS, (void *)&st->xcrs, e)))
		return ret;
	if ((ret = KVM_IO(vcpu_fd, KVM_SET_DEBUGREGS, (void *)&st->debugregs,
			  e)) ||
	    (ret = KVM_IO(vcpu_fd, KVM_SET_LAPIC, (void *)&st->lapic, e)) ||
	    (ret = msrs_apply(vcpu_fd, st, e)))
		return ret;
	return KVM_IO(vcpu_fd, KVM_SET_VCPU_EVENTS, (void *)&st->events, e);
}

/* A refused section: its words in e too, if the decoder had another. */
static int dec_refused(struct snap_dec *d, struct vmon_err *e)
{
	if (e && d->e != e)
		err_set(e, d->e ? d->e->kind : ERR_USAGE, d->err, "%s",
			d->e && d->e->code ? d->e->msg : "section refused");
	return d->err;
}

int x86_vcpu_restore(int kvm_fd, int vcpu_fd, struct snap_dec *d,
		     struct vmon_err *e)
{
	struct x86_vcpu_state *st = calloc(1, sizeof(*st));
	int ret;

	if (!st)
		return err_set(e, ERR_HOST, -ENOMEM, "no memory for vCPU "
			       "state");
	if (x86_vcpu_state_decode(d, st))
		ret = dec_refused(d, e);
	else
		ret = vcpu_apply(kvm_fd, vcpu_fd, st, e);
	free(st);
	return ret;
}

static const char *const chip_name[KVM_NR_IRQCHIPS] = {
	"PIC master", "PIC slave", "IOAPIC",
};

static int chip_fail(struct vmon_err *e, const char *what, unsigned int i)
{
	int ret = -errno;

	return err_set(e, ERR_HOST, ret, "%s (%s): %s", what, chip_name[i],
		       strerror(-ret));
}

int x86_vm_state_save(int vm_fd, struct snap_enc *enc, struct vmon_err *e)
{
	struct x86_vm_state st;
	int ret;

	memset(&st, 0, sizeof(st));
	for (unsigned int i = 0; i < KVM_NR_IRQCHIPS; i++) {
		st.chip[i].chip_id = i;
		if (ioctl(vm_fd, KVM_GET_IRQCHIP, &st.chip[i]) < 0)
			return chip_fail(e, "KVM_GET_IRQCHIP", i);
	}
	if ((ret = KVM_IO(vm_fd, KVM_GET_PIT2, &st.pit, e)) ||
	    (ret = KVM_IO(vm_fd, KVM_GET_CLOCK, &st.clock, e)))
		return ret;
	if ((ret = x86_vm_state_encode(&st, enc)))
		err_set(e, ERR_HOST, ret, "cannot encode the VM state: %s",
			strerror(-ret));
	return ret;
}

int x86_vm_state_restore(int vm_fd, struct snap_dec *d, struct vmon_err *e)
{
	struct x86_vm_state st;
	int ret;

	if (x86_vm_state_decode(d, &st))
		return dec_refused(d, e);
	for (unsigned int i = 0; i < KVM_NR_IRQCHIPS; i++)
		if (ioctl(vm_fd, KVM_SET_IRQCHIP, &st.chip[i]) < 0)
			return chip_fail(e, "KVM_SET_IRQCHIP", i);
	if ((ret = KVM_IO(vm_fd, KVM_SET_PIT2, &st.pit, e)))
		return ret;
	/*
	 * KVM_CLOCK_TSC_STABLE and _HOST_TSC only report (api.rst), kernels
	 * before 5.16 refuse any flag, and with KVM_CLOCK_REALTIME KVM
	 * would advance the clock by the wall time since the snapshot, a
	 * jump the guest sees as a stall.  Without flags kvmclock goes on
	 * from where it stopped, as in Firecracker.
	 */
	st.clock.flags = 0;
	st.clock.realtime = 0;
	st.clock.host_tsc = 0;
	return KVM_IO(vm_fd, KVM_SET_CLOCK, &st.clock, e);
}
