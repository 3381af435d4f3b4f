// SPDX-License-Identifier: MIT
/*
 * The x86 vCPU and VM state codecs (arch/x86/vcpu_state.h) as
 * guest-input.md 26-27 asks: hand-built states round trip exactly; a
 * section cut at any byte, with a byte too many, or with any one value
 * KVM or the hardware would not produce is refused, the message naming
 * the field, and the output left zeroed.  The ioctl halves cannot run
 * here (no /dev/kvm); on bad descriptors they must fail naming the ioctl.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86/vcpu_state.h"
#include "lib/err.h"
#include "lib/le.h"
#include "lib/snapfile.h"

static struct snap_dec dec_on(const struct snap_enc *enc, size_t len,
			      struct vmon_err *e)
{
	*e = (struct vmon_err){ 0 };
	return (struct snap_dec){ .file = "test", .section = "vcpu.0",
				  .p = enc->buf, .len = len, .version = 1,
				  .e = e };
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, uint8_t l)
{
	return (struct kvm_segment){ .limit = 0xffffffff, .selector = sel,
				     .type = type, .present = 1, .s = 1,
				     .l = l, .db = !l, .g = 1 };
}

/* A long-mode vCPU much as Linux leaves one. */
static struct x86_vcpu_state *vcpu_valid(bool sregs2)
{
	struct x86_vcpu_state *st = calloc(1, sizeof(*st));
	struct kvm_segment data = seg(0x18, 3, 0);
	uint64_t bv = 7;

	assert_non_null(st);
	st->regs = (struct kvm_regs){ .rax = 1, .rsp = 0x8000, .r15 = ~0ULL,
				      .rip = 0xffffffff81000000ULL,
				      .rflags = 0x246 };
	st->has_sregs2 = sregs2;
#define FILL(P) do {							\
		(P)->cs = seg(0x10, 11, 1); (P)->ds = data;		\
		(P)->es = data; (P)->fs = data; (P)->gs = data;		\
		(P)->ss = data; (P)->tr = seg(0x20, 11, 0);		\
		(P)->tr.s = 0; (P)->ldt.unusable = 1;			\
		(P)->gdt.base = 0x1000; (P)->gdt.limit = 0x27;		\
		(P)->cr0 = 0x80050033; (P)->cr3 = 0x2000;		\
		(P)->cr4 = 0x3606f0; (P)->cr8 = 0; (P)->efer = 0xd01;	\
		(P)->apic_base = 0xfee00900;				\
	} while (0)
	if (sregs2) {
		FILL(&st->sregs2);
		/* 32-bit PAE paging, where the PDPTRs matter. */
		st->sregs2.cs = seg(0x10, 11, 0);
		st->sregs2.cr4 = 0x20;
		st->sregs2.efer = 0x800;
		st->sregs2.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
		st->sregs2.pdptrs[0] = 0x3001;
	} else {
		FILL(&st->sregs);
		st->sregs.interrupt_bitmap[1] = 1ULL << 3;	/* vector 67 */
	}
#undef FILL
	st->xsave_size = sregs2 ? 11008 : 4096;
	st->xsave[0] = 0x037f;			/* FCW */
	st->xsave[6] = 0x1f80;			/* MXCSR */
	memcpy(&st->xsave[128], &bv, 8);	/* XSTATE_BV */
	st->xsave[st->xsave_size / 4 - 1] = 0xdeadbeef;
	st->xcrs.nr_xcrs = 1;
	st->xcrs.xcrs[0].value = 7;
	st->lapic.regs[0x20 + 3] = 0;		/* APIC ID 0 */
	st->lapic.regs[0xf0] = (char)0xff;	/* SVR: enabled, vector 0xff */
	st->lapic.regs[0xf1] = 1;
	st->lapic.regs[0x200 + 4] = 0x20;	/* IRR vector 0x25 */
	st->events.flags = KVM_VCPUEVENT_VALID_NMI_PENDING |
			   KVM_VCPUEVENT_VALID_SIPI_VECTOR |
			   KVM_VCPUEVENT_VALID_SHADOW;
	st->events.exception.injected = 1;
	st->events.exception.nr = 14;
	st->events.exception.has_error_code = 1;
	st->events.exception.error_code = 2;
	st->events.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	st->events.sipi_vector = 0x9a;
	st->events.nmi.pending = 2;
	st->debugregs.dr6 = 0xffff0ff0;
	st->debugregs.dr7 = 0x400;
	st->mp_state = KVM_MP_STATE_HALTED;
	st->tsc_khz = 2400000;
	st->nmsrs = 4;
	st->msrs[0] = (struct kvm_msr_entry){ .index = 0x10, .data = 1234 };
	st->msrs[1] = (struct kvm_msr_entry){ .index = 0x1b,
					      .data = 0xfee00900 };
	st->msrs[2] = (struct kvm_msr_entry){ .index = 0x6e0, .data = 99 };
	st->msrs[3] = (struct kvm_msr_entry){ .index = 0x4b564d01,
					      .data = 0x5001 };
	return st;
}

static void encode(const struct x86_vcpu_state *st, struct snap_enc *enc)
{
	snap_enc_init(enc);
	assert_int_equal(x86_vcpu_state_encode(st, enc), 0);
}

/* Decode st's encoding, expecting a refusal naming field. */
static void vcpu_refused(const struct x86_vcpu_state *st, const char *field)
{
	struct x86_vcpu_state *out = malloc(sizeof(*out));
	struct vmon_err e;
	struct snap_enc enc;
	struct snap_dec d;
	char want[80];

	assert_non_null(out);
	memset(out, 0xa5, sizeof(*out));
	encode(st, &enc);
	d = dec_on(&enc, enc.len, &e);
	assert_int_equal(x86_vcpu_state_decode(&d, out), -EINVAL);
	assert_int_equal(e.code, -EINVAL);
	snprintf(want, sizeof(want), "field %s:", field);
	if (!strstr(e.msg, want))
		fail_msg("wanted \"%s\" in \"%s\"", want, e.msg);
	/* Refused: nothing half decoded is left behind. */
	assert_true(out->nmsrs == 0 && out->xsave_size == 0 &&
		    out->regs.rip == 0);
	snap_enc_free(&enc);
	free(out);
}

static void vcpu_round_trip(void **state)
{
	for (int v = 0; v < 2; v++) {
		struct x86_vcpu_state *st = vcpu_valid(v), *out;
		struct snap_enc enc, again;
		struct vmon_err e;
		struct snap_dec d;

		out = malloc(sizeof(*out));
		assert_non_null(out);
		encode(st, &enc);
		d = dec_on(&enc, enc.len, &e);
		assert_int_equal(x86_vcpu_state_decode(&d, out), 0);
		assert_int_equal(d.off, enc.len);
		assert_memory_equal(st, out, sizeof(*st));
		/* One encoding: the decoded state encodes to the same bytes. */
		encode(out, &again);
		assert_int_equal(again.len, enc.len);
		assert_memory_equal(again.buf, enc.buf, enc.len);
		snap_enc_free(&again);
		snap_enc_free(&enc);
		free(out);
		free(st);
	}
}

static void vcpu_truncated_and_long(void **state)
{
	struct x86_vcpu_state *st = vcpu_valid(false), *out;
	struct snap_enc enc;
	struct vmon_err e;
	struct snap_dec d;

	out = malloc(sizeof(*out));
	assert_non_null(out);
	encode(st, &enc);
	for (size_t n = 0; n < enc.len; n++) {
		d = dec_on(&enc, n, &e);
		assert_int_equal(x86_vcpu_state_decode(&d, out), -EINVAL);
		if (!strstr(e.msg, "truncated") || !strstr(e.msg, "field "))
			fail_msg("cut at %zu: %s", n, e.msg);
	}
	assert_int_equal(snap_put_u8(&enc, 0), 0);
	d = dec_on(&enc, enc.len, &e);
	assert_int_equal(x86_vcpu_state_decode(&d, out), -EINVAL);
	assert_non_null(strstr(e.msg, "left over after field msr.data"));
	snap_enc_free(&enc);
	free(out);
	free(st);
}

static void vcpu_bad_values(void **state)
{
	struct x86_vcpu_state *st;

#define BAD(field, change) do {						\
		st = vcpu_valid(false);					\
		change;							\
		vcpu_refused(st, field);				\
		free(st);						\
	} while (0)
	BAD("mp_state", st->mp_state = 5);
	BAD("mp_state", st->mp_state = KVM_MP_STATE_AP_RESET_HOLD);
	BAD("tsc_khz", st->tsc_khz = 0);
	BAD("msr.index", st->msrs[2].index = st->msrs[1].index);
	BAD("msr.index", st->msrs[2].index = 0x11);
	BAD("xsave.size", st->xsave_size = 4098);
	BAD("xsave.size", st->xsave_size = 2048);
	BAD("xsave.mxcsr", st->xsave[6] = 0x11f80);
	BAD("xsave.xcomp_bv", st->xsave[131] = 0x80000000u);
	BAD("xsave.header", st->xsave[140] = 1);
	BAD("events.reserved", st->events.reserved[25] = 1);
	BAD("events.flags", st->events.flags |= 0x40);
	BAD("events.nmi", st->events.nmi.pad = 1);
	BAD("events.nmi", st->events.nmi.masked = 2);
	BAD("events.nmi", st->events.nmi.pending = 3);
	BAD("events.exception", st->events.exception.nr = 32);
	BAD("events.interrupt", st->events.interrupt.shadow = 4);
	BAD("events.sipi_vector", st->events.sipi_vector = 0x100);
	BAD("events.smi", st->events.triple_fault.pending = 2);
	BAD("events.exception_payload", st->events.exception_payload = 1);
	BAD("debugregs", st->debugregs.reserved[8] = 1);
	BAD("debugregs", st->debugregs.flags = 1);
	BAD("debugregs.dr6", st->debugregs.dr7 = 1ULL << 32);
	BAD("xcrs.nr_xcrs", st->xcrs.nr_xcrs = 2);
	BAD("xcrs", st->xcrs.padding[15] = 1);
	BAD("xcrs", st->xcrs.xcrs[1].value = 1);
	BAD("xcrs.xcr", st->xcrs.xcrs[0].xcr = 1);
	BAD("xcrs.xcr0", st->xcrs.xcrs[0].value = 6);
	BAD("xcrs.xcr0", st->xcrs.xcrs[0].value = 5);
	BAD("lapic.irr", st->lapic.regs[0x200] = 2);
	BAD("lapic.isr", st->lapic.regs[0x101] = 1);
	BAD("regs.rflags", st->regs.rflags = 0x244);
	BAD("regs.rflags", st->regs.rflags = 0x246 | (1ULL << 40));
	BAD("sregs.cs", st->sregs.cs.padding = 1);
	BAD("sregs.ss", st->sregs.ss.dpl = 4);
	BAD("sregs.ldt", st->sregs.ldt.unusable = 2);
	BAD("sregs.idt", st->sregs.idt.padding[2] = 1);
	BAD("sregs.cr0", st->sregs.cr0 |= 1ULL << 32);
	BAD("sregs.cr8", st->sregs.cr8 = 16);
	BAD("sregs.efer", st->sregs.efer |= 1ULL << 1);
	BAD("sregs.apic_base", st->sregs.apic_base |= 1);
	BAD("sregs.apic_base", st->sregs.apic_base = 0xfee00400);
	BAD("sregs.interrupt_bitmap", st->sregs.interrupt_bitmap[3] = 1);
#undef BAD
	st = vcpu_valid(true);
	st->sregs2.flags = 2;
	vcpu_refused(st, "sregs2.flags");
	st->sregs2.flags = 0;
	vcpu_refused(st, "sregs2.pdptrs");
	st->sregs2.flags = KVM_SREGS2_FLAGS_PDPTRS_VALID;
	st->sregs2.efer = 0xd00;	/* long mode: no PDPTRs */
	vcpu_refused(st, "sregs2.pdptrs");
	free(st);
}

/* Byte-level damage the encoder cannot make: sizes and counts. */
static void vcpu_bad_bytes(void **state)
{
	struct x86_vcpu_state *st = vcpu_valid(false), *out;
	struct snap_enc enc;
	struct vmon_err e;
	struct snap_dec d;
	size_t nmsrs_at;

	out = malloc(sizeof(*out));
	assert_non_null(out);
	encode(st, &enc);
	nmsrs_at = enc.len - st->nmsrs * 12 - 4;
	assert_int_equal(le32_get(enc.buf + nmsrs_at), st->nmsrs);

	le32_put(enc.buf + nmsrs_at, X86_MSR_MAX + 1);
	d = dec_on(&enc, enc.len, &e);
	assert_int_equal(x86_vcpu_state_decode(&d, out), -EINVAL);
	assert_non_null(strstr(e.msg, "field nmsrs: 1025 MSRs"));
	le32_put(enc.buf + nmsrs_at, st->nmsrs);

	/* A struct of another size: another kernel ABI. */
	le32_put(enc.buf, sizeof(struct kvm_regs) - 8);
	d = dec_on(&enc, enc.len, &e);
	assert_int_equal(x86_vcpu_state_decode(&d, out), -EINVAL);
	assert_non_null(strstr(e.msg, "field regs: 136 bytes"));
	le32_put(enc.buf, sizeof(struct kvm_regs));

	enc.buf[4 + sizeof(struct kvm_regs)] = 3;	/* sregs kind */
	d = dec_on(&enc, enc.len, &e);
	assert_int_equal(x86_vcpu_state_decode(&d, out), -EINVAL);
	assert_non_null(strstr(e.msg, "field sregs.kind: 3"));

	enc.buf[4 + sizeof(struct kvm_regs)] = 1;
	le32_put(enc.buf + 9 + sizeof(struct kvm_regs) +
		 sizeof(struct kvm_sregs), X86_XSAVE_MAX + 4);
	d = dec_on(&enc, enc.len, &e);
	assert_int_equal(x86_vcpu_state_decode(&d, out), -EINVAL);
	assert_non_null(strstr(e.msg, "field xsave.size: 65540 bytes"));

	/* The encoder refuses what the decoder would. */
	snap_enc_free(&enc);
	snap_enc_init(&enc);
	st->nmsrs = X86_MSR_MAX + 1;
	assert_int_equal(x86_vcpu_state_encode(st, &enc), -EINVAL);
	snap_enc_free(&enc);
	free(out);
	free(st);
}

/* ---- VM state ------------------------------------------------------ */

static void vm_valid(struct x86_vm_state *st)
{
	memset(st, 0, sizeof(*st));
	st->chip[0].chip_id = 0;
	st->chip[0].chip.pic = (struct kvm_pic_state){
		.irr = 1, .imr = 0xb8, .irq_base = 0x20, .init4 = 1,
		.priority_add = 1, .elcr = 0, .elcr_mask = 0xf8 };
	st->chip[1].chip_id = 1;
	st->chip[1].chip.pic = (struct kvm_pic_state){
		.imr = 0xff, .irq_base = 0x28, .init4 = 1, .elcr = 0x0c,
		.elcr_mask = 0xde, .init_state = 3 };
	st->chip[2].chip_id = 2;
	st->chip[2].chip.ioapic.base_address = 0xfec00000;
	st->chip[2].chip.ioapic.irr = 1u << 23;
	st->chip[2].chip.ioapic.ioregsel = 0x3f;
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		st->chip[2].chip.ioapic.redirtbl[i].bits =
			i == 4 ? 0x24 | (1ULL << 56) | (1ULL << 50) : 1u << 16;
	st->pit.channels[0] = (struct kvm_pit_channel_state){
		.count = 0x10000, .rw_mode = 3, .mode = 2, .gate = 1,
		.read_state = 3, .write_state = 3, .count_load_time = -5 };
	st->pit.channels[1].mode = 0xff;
	st->pit.channels[2].mode = 3;
	st->pit.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	st->clock = (struct kvm_clock_data){
		.clock = 123456789, .flags = KVM_CLOCK_TSC_STABLE |
		KVM_CLOCK_REALTIME, .realtime = 1700000000000000000ULL };
}

static void vm_refused(const struct x86_vm_state *st, const char *field)
{
	struct x86_vm_state out;
	struct snap_enc enc;
	struct vmon_err e;
	struct snap_dec d;
	char want[80];

	snap_enc_init(&enc);
	assert_int_equal(x86_vm_state_encode(st, &enc), 0);
	d = dec_on(&enc, enc.len, &e);
	assert_int_equal(x86_vm_state_decode(&d, &out), -EINVAL);
	snprintf(want, sizeof(want), "field %s:", field);
	if (!strstr(e.msg, want))
		fail_msg("wanted \"%s\" in \"%s\"", want, e.msg);
	assert_int_equal(out.clock.clock, 0);
	snap_enc_free(&enc);
}

static void vm_round_trip_and_cuts(void **state)
{
	struct x86_vm_state st, out;
	struct snap_enc enc, again;
	struct vmon_err e;
	struct snap_dec d;

	vm_valid(&st);
	snap_enc_init(&enc);
	assert_int_equal(x86_vm_state_encode(&st, &enc), 0);
	d = dec_on(&enc, enc.len, &e);
	assert_int_equal(x86_vm_state_decode(&d, &out), 0);
	assert_memory_equal(&st, &out, sizeof(st));
	snap_enc_init(&again);
	assert_int_equal(x86_vm_state_encode(&out, &again), 0);
	assert_int_equal(again.len, enc.len);
	assert_memory_equal(again.buf, enc.buf, enc.len);
	snap_enc_free(&again);
	for (size_t n = 0; n < enc.len; n++) {
		d = dec_on(&enc, n, &e);
		assert_int_equal(x86_vm_state_decode(&d, &out), -EINVAL);
		assert_non_null(strstr(e.msg, "truncated"));
	}
	snap_put_u8(&enc, 0);
	d = dec_on(&enc, enc.len, &e);
	assert_int_equal(x86_vm_state_decode(&d, &out), -EINVAL);
	assert_non_null(strstr(e.msg, "left over"));
	snap_enc_free(&enc);
}

static void vm_bad_values(void **state)
{
	struct x86_vm_state st;

#define BAD(field, change) do {						\
		vm_valid(&st);						\
		change;							\
		vm_refused(&st, field);					\
	} while (0)
	BAD("irqchip.chip_id", st.chip[1].chip_id = 2);
	BAD("irqchip.chip_id", st.chip[0].pad = 1);
	BAD("irqchip", st.chip[0].chip.dummy[16] = 1);
	BAD("irqchip", st.chip[2].chip.dummy[511] = 1);
	BAD("irqchip.pic_master", st.chip[0].chip.pic.irq_base = 0x21);
	BAD("irqchip.pic_master", st.chip[0].chip.pic.init_state = 4);
	BAD("irqchip.pic_slave", st.chip[1].chip.pic.elcr = 0x01);
	BAD("irqchip.pic_slave", st.chip[1].chip.pic.elcr_mask = 0xff);
	BAD("irqchip.pic_slave", st.chip[1].chip.pic.priority_add = 8);
	BAD("irqchip.ioapic", st.chip[2].chip.ioapic.base_address = 0);
	BAD("irqchip.ioapic", st.chip[2].chip.ioapic.irr = 1u << 24);
	BAD("irqchip.ioapic", st.chip[2].chip.ioapic.id = 0x10);
	BAD("irqchip.ioapic", st.chip[2].chip.ioapic.pad = 1);
	BAD("irqchip.ioapic.redirtbl",
	    st.chip[2].chip.ioapic.redirtbl[23].bits |= 1ULL << 17);
	BAD("pit.flags", st.pit.flags = 4);
	BAD("pit.flags", st.pit.reserved[8] = 1);
	BAD("pit.channels", st.pit.channels[2].count = 0x10001);
	BAD("pit.channels", st.pit.channels[1].mode = 8);
	BAD("pit.channels", st.pit.channels[0].rw_mode = 4);
	BAD("clock.flags", st.clock.flags |= 1u << 4);
	BAD("clock.flags", st.clock.pad[3] = 1);
	BAD("clock.realtime", st.clock.host_tsc = 1);
#undef BAD
}

/* ---- the ioctl halves, without KVM --------------------------------- */

static void ioctls_name_themselves(void **state)
{
	struct x86_vcpu_state *st = vcpu_valid(false);
	struct x86_vm_state vm;
	struct vmon_err e = { 0 }, de;
	struct snap_enc enc;
	struct snap_dec d;

	snap_enc_init(&enc);
	assert_int_equal(x86_vcpu_save(-1, -1, &enc, &e), -EBADF);
	assert_non_null(strstr(e.msg, "KVM_GET_MP_STATE: "));
	assert_int_equal(enc.len, 0);
	e = (struct vmon_err){ 0 };
	assert_int_equal(x86_vm_state_save(-1, &enc, &e), -EBADF);
	assert_non_null(strstr(e.msg, "KVM_GET_IRQCHIP (PIC master): "));

	/* A valid section reaches KVM, and says which call failed. */
	encode(st, &enc);
	d = dec_on(&enc, enc.len, &de);
	e = (struct vmon_err){ 0 };
	assert_int_equal(x86_vcpu_restore(-1, -1, &d, &e), -EBADF);
	assert_non_null(strstr(e.msg, "KVM_GET_TSC_KHZ: "));
	/* A refused one never does; its words reach the caller's e. */
	d = dec_on(&enc, enc.len - 1, &de);
	e = (struct vmon_err){ 0 };
	assert_int_equal(x86_vcpu_restore(-1, -1, &d, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "field msr.data: truncated"));
	snap_enc_free(&enc);

	vm_valid(&vm);
	snap_enc_init(&enc);
	assert_int_equal(x86_vm_state_encode(&vm, &enc), 0);
	d = dec_on(&enc, enc.len, &e);
	assert_int_equal(x86_vm_state_restore(-1, &d, &e), -EBADF);
	assert_non_null(strstr(e.msg, "KVM_SET_IRQCHIP (PIC master): "));
	snap_enc_free(&enc);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vcpu_round_trip),
		cmocka_unit_test(vcpu_truncated_and_long),
		cmocka_unit_test(vcpu_bad_values),
		cmocka_unit_test(vcpu_bad_bytes),
		cmocka_unit_test(vm_round_trip_and_cuts),
		cmocka_unit_test(vm_bad_values),
		cmocka_unit_test(ioctls_name_themselves),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
