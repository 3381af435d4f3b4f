/* SPDX-License-Identifier: MIT */
/*
 * floor-ioloop: the exit-cost floor.  A bare KVM_RUN loop answering the
 * exits of a guest that does what the test guest's ioloop does: "n=N"
 * (default 1000000) OUT instructions to port 0x80, or with "mmio=1"
 * 32-bit stores to 0xd0000000 (no memory slot there), at CPL3 unless
 * "cpl=0".  The vCPU starts directly in 64-bit mode on identity page
 * tables (user-accessible) with a TSS whose I/O bitmap opens every port,
 * runs the same four-instruction loop as ioloop.elf and ends with an OUT
 * to port 0xf4.  The host does nothing per exit but count it.
 *
 * Prints "ioloop: n=N exits=E ns=T" and "ioloop: ns/op=X", T measured
 * around the KVM_RUN loop.
 */
#include "kvm.h"

#define GDT	0x0500
#define PML4	0x1000
#define PDPT	0x2000
#define PD_LOW	0x3000		/* 0-1 GiB */
#define PD_HOLE	0x4000		/* 3-4 GiB */
#define TSS	0x5000		/* 104 bytes, then the 8 KiB I/O bitmap */
#define TSS_LIMIT (104 + 8192)
#define CODE	0x8000
#define STACK	0xa000
#define MMIO	0xd0000000ull
#define DONE_PORT 0xf4

/* The guest: rsi = n, dx = port, rdi = MMIO address.  Same loops as
 * ioloop.elf's run() as compiled (-O2). */
__asm__(
	".pushsection .rodata\n"
	".code64\n"
	"guest_pio:\n"
	"	xor %eax, %eax\n"
	"	test %rsi, %rsi\n"
	"	jz 2f\n"
	"1:	out %al, (%dx)\n"
	"	add $1, %rax\n"
	"	cmp %rax, %rsi\n"
	"	jne 1b\n"
	"2:	mov $0xf4, %dx\n"
	"	out %al, (%dx)\n"
	"guest_pio_end:\n"
	"guest_mmio:\n"
	"	xor %ecx, %ecx\n"
	"	test %rsi, %rsi\n"
	"	jz 2f\n"
	"1:	mov %ecx, (%rdi)\n"
	"	add $1, %rcx\n"
	"	cmp %rcx, %rsi\n"
	"	jne 1b\n"
	"2:	mov $0xf4, %dx\n"
	"	out %al, (%dx)\n"
	"guest_mmio_end:\n"
	".popsection\n");
extern const uint8_t guest_pio[], guest_pio_end[], guest_mmio[], guest_mmio_end[];

static void put64(uint8_t *mem, uint64_t addr, uint64_t val)
{
	memcpy(mem + addr, &val, sizeof(val));
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, unsigned dpl, int code)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xfffff, .selector = sel, .type = type,
		.present = 1, .dpl = (uint8_t)dpl, .db = !code, .s = 1,
		.l = (uint8_t)code, .g = 1,
	};
}

static void setup_long_mode(struct floor_vm *v, unsigned cpl)
{
	uint8_t *m = v->mem;
	const uint64_t P = 1, RW = 2, US = 4, PCD = 0x10, PS = 0x80;

	/* GDT: null, kernel code 0x08, kernel data 0x10, user data 0x18,
	 * user code 0x20, TSS 0x28 (two slots).  KVM_SET_SREGS loads the
	 * segment caches; the descriptors are there for completeness. */
	put64(m, GDT + 0x08, 0x00af9b000000ffffull);
	put64(m, GDT + 0x10, 0x00cf93000000ffffull);
	put64(m, GDT + 0x18, 0x00cff3000000ffffull);
	put64(m, GDT + 0x20, 0x00affb000000ffffull);
	put64(m, GDT + 0x28, (uint64_t)(TSS_LIMIT & 0xffff) | ((uint64_t)TSS << 16) |
	      (0x8bull << 40) | ((uint64_t)(TSS_LIMIT >> 16) << 48));
	/* Identity page tables, user-accessible: RAM at 0-1 GiB and the
	 * uncached 2 MiB page holding the MMIO address. */
	put64(m, PML4, PDPT | P | RW | US);
	put64(m, PDPT, PD_LOW | P | RW | US);
	put64(m, PDPT + 3 * 8, PD_HOLE | P | RW | US);
	for (uint64_t i = 0; i < 512; i++)
		put64(m, PD_LOW + i * 8, (i << 21) | P | RW | US | PS);
	put64(m, PD_HOLE + ((MMIO >> 21) & 511) * 8, MMIO | P | RW | US | PS | PCD);
	/* TSS: I/O bitmap right after the 104-byte header, all ports open,
	 * closed by the trailing 0xff byte. */
	m[TSS + 102] = 104 & 0xff;
	m[TSS + 103] = 104 >> 8;
	m[TSS + TSS_LIMIT] = 0xff;

	struct kvm_sregs s;
	xioctl(v->vcpu, KVM_GET_SREGS, &s, "KVM_GET_SREGS");
	s.cr0 = 0x80050033;	/* PG WP NE ET MP PE */
	s.cr3 = PML4;
	s.cr4 = 0x20;		/* PAE */
	s.efer = 0x500;		/* LMA LME */
	s.cs = cpl ? seg(0x23, 11, 3, 1) : seg(0x08, 11, 0, 1);
	s.ss = cpl ? seg(0x1b, 3, 3, 0) : seg(0x10, 3, 0, 0);
	s.ds = s.es = s.fs = s.gs = s.ss;
	s.tr = (struct kvm_segment){ .base = TSS, .limit = TSS_LIMIT,
		.selector = 0x28, .type = 11, .present = 1 };
	s.gdt.base = GDT;
	s.gdt.limit = 0x37;
	xioctl(v->vcpu, KVM_SET_SREGS, &s, "KVM_SET_SREGS");
}

int main(int argc, char **argv)
{
	uint64_t n = arg_u64(argc, argv, "n", 1000000);
	int mmio = arg_u64(argc, argv, "mmio", 0) != 0;
	unsigned cpl = arg_u64(argc, argv, "cpl", 3) == 0 ? 0 : 3;
	const uint8_t *code = mmio ? guest_mmio : guest_pio;
	const uint8_t *end = mmio ? guest_mmio_end : guest_pio_end;
	struct floor_vm v;

	floor_vm_create(&v, 2 << 20, 0);
	memcpy(v.mem + CODE, code, (size_t)(end - code));
	setup_long_mode(&v, cpl);
	struct kvm_regs regs = {
		.rip = CODE, .rsp = STACK, .rflags = 2,
		.rsi = n, .rdx = 0x80, .rdi = MMIO,
	};
	xioctl(v.vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");

	uint64_t exits = 0, t0 = now_ns();
	for (;;) {
		floor_run(&v);
		struct kvm_run *r = v.run;
		if (r->exit_reason == KVM_EXIT_IO && r->io.port == 0x80 && !mmio)
			exits++;
		else if (r->exit_reason == KVM_EXIT_MMIO && r->mmio.phys_addr == MMIO &&
			 r->mmio.is_write && mmio)
			exits++;
		else if (r->exit_reason == KVM_EXIT_IO && r->io.port == DONE_PORT)
			break;
		else
			unexpected_exit(&v);
	}
	uint64_t ns = now_ns() - t0;
	printf("ioloop: mode=%s cpl=%u\n", mmio ? "mmio" : "pio", cpl);
	printf("ioloop: n=%llu exits=%llu ns=%llu\n", (unsigned long long)n,
	       (unsigned long long)exits, (unsigned long long)ns);
	if (n)
		printf("ioloop: ns/op=%llu\n", (unsigned long long)(ns / n));
	return exits == n ? 0 : 1;
}
