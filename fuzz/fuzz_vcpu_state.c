// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the x86 vCPU and VM state decoders
 * (src/arch/x86/vcpu_state.c): section payloads from a hostile file.
 *
 * Input: byte 0 bit 0 picks the decoder (0 vCPU, 1 VM).  Bit 1 clear:
 * the rest is the payload.  Bit 1 set: the payload is a built-in valid
 * encoding, changed by the rest read as (u16 position, u8 xor) triples,
 * and with bit 2 set first cut to the length in the rest's first two
 * bytes (mod its length + 1): the fuzzer starts past the 4 KiB XSAVE
 * blob and the sizes instead of having to find them.  Unchanged, the
 * built-in encoding must be accepted.
 *
 * Checked: no sanitizer report; a refusal is -EINVAL with its code in
 * the error object, a message naming a field (or the bytes left over)
 * and the output all zeros; an accepted payload was read to its end and
 * encodes again to exactly its bytes (the layout has one encoding).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/vcpu_state.h"
#include "lib/err.h"
#include "lib/le.h"
#include "lib/snapfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct x86_vcpu_state vcpu, vcpu_zero;
static struct x86_vm_state vm, vm_zero;

static void vcpu_build(struct x86_vcpu_state *st)
{
	struct kvm_segment code = { .limit = 0xffffffff, .selector = 0x10,
				    .type = 11, .present = 1, .s = 1,
				    .l = 1, .g = 1 };
	struct kvm_segment data = code;
	uint64_t bv = 3;

	data.selector = 0x18;
	data.type = 3;
	data.l = 0;
	data.db = 1;
	memset(st, 0, sizeof(*st));
	st->regs.rip = 0x100000;
	st->regs.rflags = 0x2;
	st->has_sregs2 = true;
	st->sregs2.cs = code;
	st->sregs2.ds = st->sregs2.es = st->sregs2.ss = data;
	st->sregs2.cr0 = 0x80000011;
	st->sregs2.cr4 = 0x20;
	st->sregs2.efer = 0x500;
	st->sregs2.apic_base = 0xfee00900;
	st->xsave_size = 4096;
	st->xsave[6] = 0x1f80;
	memcpy(&st->xsave[128], &bv, 8);
	st->xcrs.nr_xcrs = 1;
	st->xcrs.xcrs[0].value = 3;
	st->events.flags = KVM_VCPUEVENT_VALID_SHADOW;
	st->mp_state = KVM_MP_STATE_RUNNABLE;
	st->tsc_khz = 3000000;
	st->nmsrs = 3;
	st->msrs[0] = (struct kvm_msr_entry){ .index = 0x10, .data = 5 };
	st->msrs[1] = (struct kvm_msr_entry){ .index = 0x1b,
					      .data = 0xfee00900 };
	st->msrs[2] = (struct kvm_msr_entry){ .index = 0xc0000082,
					      .data = 0xffffffff81000000 };
}

static void vm_build(struct x86_vm_state *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned int i = 0; i < 3; i++)
		st->chip[i].chip_id = i;
	st->chip[0].chip.pic.irq_base = 0x20;
	st->chip[0].chip.pic.elcr_mask = 0xf8;
	st->chip[1].chip.pic.irq_base = 0x28;
	st->chip[1].chip.pic.elcr_mask = 0xde;
	st->chip[2].chip.ioapic.base_address = 0xfec00000;
	for (unsigned int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		st->chip[2].chip.ioapic.redirtbl[i].bits = 1u << 16;
	st->pit.channels[0].mode = 0xff;
	st->clock.clock = 1000000;
}

static void check(bool is_vm, const uint8_t *p, size_t len)
{
	struct vmon_err e = { 0 };
	struct snap_dec d = { .file = "fuzz", .section = "x86", .p = p,
			      .len = len, .version = 1, .e = &e };
	struct snap_enc enc;
	int ret;

	ret = is_vm ? x86_vm_state_decode(&d, &vm)
		    : x86_vcpu_state_decode(&d, &vcpu);
	if (ret) {
		if (ret != -EINVAL || e.code != ret ||
		    (!strstr(e.msg, ", field ") &&
		     !strstr(e.msg, "left over")))
			abort();
		if (is_vm ? memcmp(&vm, &vm_zero, sizeof(vm))
			  : memcmp(&vcpu, &vcpu_zero, sizeof(vcpu)))
			abort();
		return;
	}
	if (d.off != len)
		abort();
	snap_enc_init(&enc);
	ret = is_vm ? x86_vm_state_encode(&vm, &enc)
		    : x86_vcpu_state_encode(&vcpu, &enc);
	if (ret || enc.len != len || memcmp(enc.buf, p, len))
		abort();
	snap_enc_free(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool is_vm;
	struct snap_enc enc;
	const uint8_t *rest;
	size_t n, len;

	if (size < 1)
		return 0;
	is_vm = data[0] & 1;
	rest = data + 1;
	n = size - 1;
	if (!(data[0] & 2)) {
		check(is_vm, rest, n);
		return 0;
	}
	snap_enc_init(&enc);
	if (is_vm) {
		vm_build(&vm);
		x86_vm_state_encode(&vm, &enc);
	} else {
		vcpu_build(&vcpu);
		x86_vcpu_state_encode(&vcpu, &enc);
	}
	if (enc.err)
		abort();
	len = enc.len;
	if (n == 0) {
		struct vmon_err e = { 0 };
		struct snap_dec d = { .file = "fuzz", .section = "x86",
				      .p = enc.buf, .len = len, .e = &e };

		/* The built-in states are valid. */
		if (is_vm ? x86_vm_state_decode(&d, &vm)
			  : x86_vcpu_state_decode(&d, &vcpu))
			abort();
	}
	if ((data[0] & 4) && n >= 2) {
		len = le16_get(rest) % (len + 1);
		rest += 2;
		n -= 2;
	}
	for (size_t i = 0; i + 3 <= n && len; i += 3)
		enc.buf[le16_get(rest + i) % len] ^= rest[i + 2];
	check(is_vm, enc.buf, len);
	snap_enc_free(&enc);
	return 0;
}
