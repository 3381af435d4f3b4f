/* SPDX-License-Identifier: MIT */
/*
 * 8259 PIC, x2APIC and IOAPIC programming.  References: Intel SDM vol. 3
 * ch. 11 (APIC, x2APIC MSRs 0x800-0x8ff), Intel 82093AA IOAPIC datasheet
 * (IOREGSEL at +0x00, IOWIN at +0x10; redirection entry n at 0x10 + 2n).
 */
#include "acpi.h"
#include "apic.h"
#include "guest.h"

#define IOAPIC_REGSEL	0x00
#define IOAPIC_WIN	0x10
#define IOAPIC_REDTBL(n) (0x10 + 2 * (n))
#define RTE_POLARITY_LOW (1u << 13)
#define RTE_TRIGGER_LEVEL (1u << 15)
#define RTE_MASKED	(1u << 16)

void pic_disable(void)
{
	/* Mask every line on both 8259s: only the IOAPIC delivers IRQs. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

bool x2apic_enable(void)
{
	if (!(cpuid(1, 0).ecx & (1u << 21)))
		return false;
	uint64_t base = rdmsr(MSR_APIC_BASE);
	/* disabled -> x2APIC is an invalid transition: go through xAPIC. */
	if (!(base & APIC_BASE_EN))
		wrmsr(MSR_APIC_BASE, base |= APIC_BASE_EN);
	if (!(base & APIC_BASE_EXTD))
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	wrmsr(MSR_X2APIC_TPR, 0);
	wrmsr(MSR_X2APIC_SVR, 0x100 | VECTOR_SPURIOUS);	/* APIC software enable */
	return true;
}

uint32_t lapic_id(void)
{
	return (uint32_t)rdmsr(MSR_X2APIC_ID);
}

void lapic_eoi(void)
{
	wrmsr(MSR_X2APIC_EOI, 0);
}

void x2apic_send_ipi(uint32_t dest, uint32_t icr_low)
{
	/* x2APIC ICR is one 64-bit MSR write: destination in bits 63:32. */
	wrmsr(MSR_X2APIC_ICR, ((uint64_t)dest << 32) | icr_low);
}

static uint32_t ioapic_for(uint32_t gsi, uint32_t *pin)
{
	const struct madt_info *m = acpi_madt();
	uint32_t addr = acpi_ioapic_addr(), base = 0;

	/* The IOAPIC with the highest GSI base not above gsi. */
	for (unsigned i = 0; m && i < m->nioapics; i++)
		if (m->ioapic[i].gsi_base <= gsi && m->ioapic[i].gsi_base >= base) {
			addr = m->ioapic[i].addr;
			base = m->ioapic[i].gsi_base;
		}
	*pin = gsi - base;
	return addr;
}

static void ioapic_write(uint32_t addr, uint32_t reg, uint32_t val)
{
	mmio_write32(addr + IOAPIC_REGSEL, reg);
	mmio_write32(addr + IOAPIC_WIN, val);
}

void ioapic_route(uint32_t gsi, uint8_t vector, uint16_t mps_flags, uint32_t dest)
{
	uint32_t pin, addr = ioapic_for(gsi, &pin);
	uint32_t lo = vector;		/* fixed delivery, physical dest */

	/* MPS INTI flags: polarity 3 = active low, trigger 3 = level;
	 * 0 ("conforms to bus") is ISA's edge/active-high. */
	if ((mps_flags & 3) == 3)
		lo |= RTE_POLARITY_LOW;
	if (((mps_flags >> 2) & 3) == 3)
		lo |= RTE_TRIGGER_LEVEL;
	ioapic_write(addr, IOAPIC_REDTBL(pin) + 1, dest << 24);
	ioapic_write(addr, IOAPIC_REDTBL(pin), lo);
}

void ioapic_mask(uint32_t gsi)
{
	uint32_t pin, addr = ioapic_for(gsi, &pin);

	ioapic_write(addr, IOAPIC_REDTBL(pin), RTE_MASKED);
}

uint32_t irq_route_isa(unsigned irq, uint8_t vector)
{
	const struct madt_info *m = acpi_madt();
	uint32_t gsi = m ? m->isa[irq].gsi : irq;
	uint16_t flags = m ? m->isa[irq].flags : 0;

	/* The PIT's IRQ0 is wired to IOAPIC pin 2 on PC-compatibles (vmon's
	 * MADT says so; QEMU microvm's omits the override but wires it so). */
	if (irq == 0 && !(m && m->isa[0].overridden))
		gsi = 2;
	ioapic_route(gsi, vector, flags, lapic_id());
	return gsi;
}
