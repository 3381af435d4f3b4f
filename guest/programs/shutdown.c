/* SPDX-License-Identifier: MIT */
/*
 * shutdown: leaves the VM by the way "how=" names, so tests can check the
 * VMM's exit status for each:
 *   acpi      S5 through the FADT's PM1a control register  (vmon: 0)
 *   resetreg  the FADT's reset register                     (vmon: 0)
 *   kbd       the i8042 reset pulse, command 0xfe           (vmon: 0)
 *   triple    a triple fault: no IDT, then an exception     (vmon: 4)
 *   hang      halts forever with interrupts off (a signal ends the VMM)
 * The ports are vmon's (docs/platform.md); a real guest reads the FADT.
 */
#include "guest.h"

#define PM1A_CNT	0x604
#define ACPI_RESET	0x60c
#define ACPI_RESET_VAL	0x0e
#define SLP_TYP_S5	(5u << 10)
#define SLP_EN		(1u << 13)

int main(void)
{
	char how[16] = "acpi";

	cmdline_get("how", how, sizeof(how));
	printf("shutdown: how=%s\n", how);
	if (!strcmp(how, "acpi")) {
		outw(PM1A_CNT, SLP_TYP_S5 | SLP_EN);
	} else if (!strcmp(how, "resetreg")) {
		outb(ACPI_RESET, ACPI_RESET_VAL);
	} else if (!strcmp(how, "kbd")) {
		outb(0x64, 0xfe);
	} else if (!strcmp(how, "triple")) {
		static const struct { uint16_t limit; uint64_t base; }
			__attribute__((packed)) empty = { 0, 0 };

		__asm__ volatile("lidt %0; ud2" : : "m"(empty));
	} else if (!strcmp(how, "hang")) {
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	/* Still here: the VMM ignored the request. */
	printf("shutdown: still running after how=%s\n", how);
	return GUEST_EXIT_FAIL;
}
