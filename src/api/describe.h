/* SPDX-License-Identifier: MIT */
/*
 * The VMM's state as the Firecracker API's GET answers describe it:
 * InstanceInfo, MachineConfiguration, Balloon, FullVmConfiguration.  Run
 * on the VMM thread (they read its configuration).  The full configuration
 * has the config file's shape, so it can be fed back as --config-file.
 */
#ifndef VMON_API_DESCRIBE_H
#define VMON_API_DESCRIBE_H

#include <jansson.h>

#include "vmm/vmm.h"

/* The Firecracker API version vmon implements (the contract's). */
#define API_FIRECRACKER_VERSION	"1.17.0-dev"

json_t *api_describe_instance(struct vmm *v);
json_t *api_describe_version(void);
json_t *api_describe_machine(struct vmm *v);
/* GET /migration: the last migration's state and progress. */
json_t *api_describe_migration(struct vmm *v);
json_t *api_describe_balloon(struct vmm *v);	/* NULL: none configured */
/* BalloonStats: the device's target and actual size, and each statistic
 * the driver reported (the rest are left out, as Firecracker does). */
struct balloon_stats;
json_t *api_describe_balloon_stats(const struct balloon_stats *st);
json_t *api_describe_vm_config(struct vmm *v);

#endif
