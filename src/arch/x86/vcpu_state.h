/* SPDX-License-Identifier: MIT */
/*
 * The x86 KVM state of a vCPU and of the VM's in-kernel devices (PIC,
 * IOAPIC, PIT, kvmclock) for snapshots (docs/snapshot.md, "vCPU and
 * in-kernel device state").  Two halves: pure encode/decode of a captured
 * state, which the unit tests and fuzz/fuzz_vcpu_state.c drive, and thin
 * ioctl halves that capture and apply it.
 *
 * The kernel UAPI structs (struct kvm_regs and friends) are kept whole:
 * they are ABI, fixed for good by the kernel, so they are stored as byte
 * blobs with their size, and the decoder checks their size and the
 * fields KVM or the hardware would refuse (reserved bits, enums, ranges).
 */
#ifndef VMON_ARCH_X86_VCPU_STATE_H
#define VMON_ARCH_X86_VCPU_STATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/snapfile.h"

#define X86_VCPU_SNAP_VERSION	1u
#define X86_VM_SNAP_VERSION	1u

/* At most this many MSRs per vCPU (KVM offers a few hundred at most). */
#define X86_MSR_MAX		1024u
/*
 * The XSAVE area: at least the 4096 bytes of struct kvm_xsave (api.rst,
 * KVM_GET_XSAVE2), at most X86_XSAVE_MAX (AMX makes it 11008 today).
 */
#define X86_XSAVE_MIN		4096u
#define X86_XSAVE_MAX		(64u << 10)

/* About 85 KiB (the XSAVE and MSR arrays): allocate it, not on a stack. */
struct x86_vcpu_state {
	struct kvm_regs regs;
	/* KVM_GET_SREGS2 (keeps the PDPTRs of PAE paging) or KVM_GET_SREGS. */
	bool has_sregs2;
	struct kvm_sregs sregs;		/* when !has_sregs2 */
	struct kvm_sregs2 sregs2;	/* when has_sregs2 */
	uint32_t xsave_size;		/* bytes of xsave in use */
	uint32_t xsave[X86_XSAVE_MAX / 4];	/* struct kvm_xsave, grown */
	struct kvm_xcrs xcrs;		/* nr_xcrs 0: the host had none */
	struct kvm_lapic_state lapic;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	uint32_t mp_state;		/* KVM_MP_STATE_* */
	uint32_t tsc_khz;
	uint32_t nmsrs;			/* msrs[], index strictly ascending */
	struct kvm_msr_entry msrs[X86_MSR_MAX];
};

struct x86_vm_state {
	/* KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE, _IOAPIC, in that order. */
	struct kvm_irqchip chip[KVM_NR_IRQCHIPS];
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
};

/*
 * Pure halves.  encode: 0 or enc->err (-EINVAL for counts over the caps).
 * decode: validates every field and requires the section read to its
 * end; 0 or d->err, and on a refusal *out is left all zeros.
 */
int x86_vcpu_state_encode(const struct x86_vcpu_state *st,
			  struct snap_enc *enc);
int x86_vcpu_state_decode(struct snap_dec *d, struct x86_vcpu_state *out);
int x86_vm_state_encode(const struct x86_vm_state *st, struct snap_enc *enc);
int x86_vm_state_decode(struct snap_dec *d, struct x86_vm_state *out);

/*
 * Capture everything of one vCPU with KVM ioctls and encode it.  The vCPU
 * is not running (parked outside KVM_RUN).  kvm_fd is /dev/kvm (for
 * KVM_GET_MSR_INDEX_LIST and capability checks).
 */
int x86_vcpu_save(int kvm_fd, int vcpu_fd, struct snap_enc *enc,
		  struct vmon_err *e);
/*
 * Decode and validate the whole section, then apply it to a freshly
 * created vCPU (CPUID already set by the machine, exactly as at boot).
 * A refused section applies nothing.
 */
int x86_vcpu_restore(int kvm_fd, int vcpu_fd, struct snap_dec *d,
		     struct vmon_err *e);

/*
 * VM-wide in-kernel state: PIC master and slave and IOAPIC
 * (KVM_GET_IRQCHIP), PIT (KVM_GET_PIT2), kvmclock (KVM_GET_CLOCK).
 */
int x86_vm_state_save(int vm_fd, struct snap_enc *enc, struct vmon_err *e);
int x86_vm_state_restore(int vm_fd, struct snap_dec *d, struct vmon_err *e);

#endif
