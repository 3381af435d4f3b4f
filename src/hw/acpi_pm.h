/* SPDX-License-Identifier: MIT */
/*
 * ACPI fixed hardware (ACPI 6.5 ch. 4.8): the PM1a event and control
 * blocks, the PM timer and the reset register, at the ports the FADT
 * names.  Writing SLP_TYP=5 with SLP_EN powers the VM off; writing the
 * reset value resets it.
 */
#ifndef VMON_HW_ACPI_PM_H
#define VMON_HW_ACPI_PM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/stop.h"

enum acpi_pm_event { ACPI_PM_NONE, ACPI_PM_POWEROFF, ACPI_PM_RESET };

struct acpi_pm {
	struct stop_sink stop;	/* power-off and reset */
	pthread_mutex_t lock;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint64_t timer_base_ns;
	enum acpi_pm_event last_event;	/* for unit tests */
};

/* stop may be NULL: not connected (unit tests). */
int acpi_pm_init(struct acpi_pm *pm, const struct stop_sink *stop);
void acpi_pm_destroy(struct acpi_pm *pm);

/* One handler for the whole 16-port block at PLAT_PORT_PM1A_EVT. */
void acpi_pm_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		bool is_write);

/*
 * Snapshot state (docs/snapshot.md, "Device state: the legacy platform
 * devices"): PM1 status, enable and control, and the PM timer's count,
 * which carries on from where it was saved.  Restore checks everything
 * before it changes pm.
 */
#define ACPI_PM_SNAP_VERSION 1u
struct snap_enc;
struct snap_dec;
int acpi_pm_save(struct acpi_pm *pm, struct snap_enc *enc);
int acpi_pm_restore(struct acpi_pm *pm, struct snap_dec *d);

#define ACPI_PM_BLOCK_LEN 16
#define ACPI_PM_TIMER_HZ 3579545ULL

#endif
