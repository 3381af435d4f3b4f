/* SPDX-License-Identifier: MIT */
/* Runtime-internal entry points (called from assembly or across lib/). */
#ifndef GUEST_INTERNAL_H
#define GUEST_INTERNAL_H

#include <stdint.h>

struct trap_frame;

void boot_main(uint32_t start_info_paddr);	/* entry.S */
void isr_dispatch(struct trap_frame *f);	/* isr.S */
void ap_main(uint32_t slot);			/* trampoline.S */
void cmdline_init(uint64_t paddr);

#endif
