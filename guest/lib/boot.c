/* SPDX-License-Identifier: MIT */
/*
 * C side of boot: start_info, TSS, IDT, exception reports, IRQ dispatch,
 * guest_exit().  Kept short: all of it runs at CPL0.
 */
#include "apic.h"
#include "guest.h"
#include "internal.h"
#include "layout.h"

/* Register state saved by isr_common (isr.S), lowest address first. */
struct trap_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
	/* I/O permission bitmap, all zero: every port allowed at CPL3.
	 * RFLAGS.IOPL = 3 alone would do on hardware, but PVM hosts run CPL3
	 * with IOPL 0 whatever the guest sets; they do honour this bitmap.
	 * The extra byte of ones ends the map (SDM vol. 1 19.5.2). */
	uint8_t iomap[65536 / 8 + 1];
} __attribute__((packed));

struct idt_entry {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;		/* P | DPL | type (0xe: interrupt gate) */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} __attribute__((packed));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern uint64_t gdt[GDT_ENTRIES];
extern char isr_stubs[], user_exit_ud2[];
__attribute__((noreturn)) void user_return(uint64_t ret);

const struct hvm_start_info *start_info;

static struct tss64 tss __attribute__((aligned(16)));
static struct idt_entry idt[256] __attribute__((aligned(16)));
static irq_handler_t irq_handlers[256];
/* Interrupts taken at CPL3 (and user_return) run on this stack. */
static uint8_t trap_stack[0x4000] __attribute__((aligned(16)));

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
	"#TS", "#NP", "#SS", "#GP", "#PF", "?", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP",
};

/* Interrupt gates (IF cleared on entry), DPL0: `int n` from CPL3 is not
 * a way in (see run_user in isr.S). */
static void set_gate(unsigned vec, uintptr_t handler)
{
	idt[vec] = (struct idt_entry){
		.offset_lo = handler & 0xffff,
		.selector = SEL_KCODE64,
		.type_attr = 0x8e,
		.offset_mid = (handler >> 16) & 0xffff,
		.offset_hi = handler >> 32,
	};
}

void cpu_load_idt(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uintptr_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

static void cpu_init(void)
{
	uintptr_t base = (uintptr_t)&tss;
	uint64_t limit = sizeof(tss) - 1;

	tss.rsp[0] = (uintptr_t)(trap_stack + sizeof(trap_stack));
	tss.iomap_base = offsetof(struct tss64, iomap);
	tss.iomap[sizeof(tss.iomap) - 1] = 0xff;
	/* 64-bit TSS descriptor (SDM vol. 3 8.2.3), type 9, present. */
	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
			   (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
			   (((base >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));

	for (unsigned v = 0; v < 256; v++)
		set_gate(v, (uintptr_t)isr_stubs + 16 * v);
	cpu_load_idt();
}

void irq_set_handler(unsigned vector, irq_handler_t fn)
{
	irq_handlers[vector & 0xff] = fn;
}

void isr_dispatch(struct trap_frame *f)
{
	unsigned v = f->vector;

	if (v >= 32) {
		if (v == VECTOR_SPURIOUS)
			return;		/* no EOI for spurious (SDM 11.9) */
		if (irq_handlers[v])
			irq_handlers[v](v);
		lapic_eoi();
		return;
	}
	/* run_user()'s way back: see isr.S. */
	if (v == 6 && (f->cs & 3) == 3 && f->rip == (uintptr_t)user_exit_ud2)
		user_return(f->rdi);
	print_lock_break();
	printf("EXCEPTION %u %s rip=0x%lx err=0x%lx cs=0x%lx rflags=0x%lx rsp=0x%lx",
	       v, exception_names[v] ? exception_names[v] : "?", f->rip,
	       f->error, f->cs, f->rflags, f->rsp);
	if (v == 14)
		printf(" cr2=0x%lx", read_cr2());
	printf("\n  rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx rsi=0x%lx rdi=0x%lx\n",
	       f->rax, f->rbx, f->rcx, f->rdx, f->rsi, f->rdi);
	guest_exit(GUEST_EXIT_PANIC);
}

void guest_exit(unsigned code)
{
	/* isa-debug-exit: the VMM (or QEMU) exits with (code << 1) | 1. */
	outl(DEBUG_EXIT_PORT, code);
	if (cpu_cpl() != 0)
		for (;;)
			cpu_pause();
	for (;;)
		__asm__ volatile("cli; hlt");
}

void panic(const char *fmt, ...)
{
	va_list ap;

	print_lock_break();
	printf("PANIC: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	guest_exit(GUEST_EXIT_PANIC);
}

void boot_main(uint32_t start_info_paddr)
{
	serial_init();
	start_info = (const struct hvm_start_info *)(uintptr_t)start_info_paddr;
	if (!start_info || start_info->magic != XEN_HVM_START_MAGIC_VALUE)
		panic("no PVH start_info at 0x%x (magic 0x%x)", start_info_paddr,
		      start_info ? start_info->magic : 0);
	/* Copy the command line before anything can overwrite low memory. */
	cmdline_init(start_info->cmdline_paddr);
	cpu_init();
	pic_disable();
	guest_exit(main());
}
