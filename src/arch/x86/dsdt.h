/* SPDX-License-Identifier: MIT */
/* The DSDT's definition block, built with the AML builder (aml.h). */
#ifndef VMON_ARCH_X86_DSDT_H
#define VMON_ARCH_X86_DSDT_H

#include "arch/x86/acpi.h"
#include "arch/x86/aml.h"

/* Append \_S5 and the \_SB devices for cfg to a; errors stick in a. */
void dsdt_build_aml(struct aml *a, const struct acpi_config *cfg);

#endif
