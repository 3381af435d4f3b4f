/* SPDX-License-Identifier: MIT */
/*
 * Interrupt controllers: the legacy 8259s (masked), the local APIC in
 * x2APIC mode (Intel SDM vol. 3 ch. 11 "x2APIC") and the IOAPIC (82093AA
 * datasheet).  x2APIC is used because its MSR-based ICR starts APs on the
 * KVM hosts we target, where the xAPIC MMIO ICR did not.
 */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_APIC_BASE		0x1b
#define APIC_BASE_EXTD		(1u << 10)
#define APIC_BASE_EN		(1u << 11)
#define MSR_X2APIC_ID		0x802
#define MSR_X2APIC_TPR		0x808
#define MSR_X2APIC_EOI		0x80b
#define MSR_X2APIC_SVR		0x80f
#define MSR_X2APIC_ICR		0x830

#define ICR_INIT		0x500u
#define ICR_STARTUP		0x600u
#define ICR_LEVEL_ASSERT	(1u << 14)
#define ICR_TRIGGER_LEVEL	(1u << 15)

#define VECTOR_SPURIOUS		0xff

void pic_disable(void);
bool x2apic_enable(void);		/* this CPU; false if unsupported */
uint32_t lapic_id(void);		/* x2APIC ID; x2APIC must be on */
void lapic_eoi(void);
void x2apic_send_ipi(uint32_t dest, uint32_t icr_low);

/* Route a GSI to `vector` on the CPU with APIC ID `dest`; mps_flags are
 * the MADT INTI flags (0 = ISA default: edge, active high). */
void ioapic_route(uint32_t gsi, uint8_t vector, uint16_t mps_flags, uint32_t dest);
void ioapic_mask(uint32_t gsi);
/* Route ISA IRQ `irq` (through any MADT override) to `vector` on this
 * CPU; returns the GSI used. */
uint32_t irq_route_isa(unsigned irq, uint8_t vector);

#endif
