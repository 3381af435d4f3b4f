/* SPDX-License-Identifier: MIT */
/*
 * The VMM's state as the Firecracker API's GET answers describe it:
 * InstanceInfo, MachineConfiguration, Balloon, FullVmConfiguration.  Run
 * on the VMM thread (they read its configuration).  The full configuration
 * has the config file's shape, so it can be fed back as --config-file.
 */
#ifndef VMON_API_DESCRIBE_H
#define VMON_API_DESCRIBE_H

#include <cjson/cJSON.h>

#include "core/vmm.h"

/* The Firecracker API version vmon implements (the contract's). */
#define API_FIRECRACKER_VERSION	"1.17.0-dev"

cJSON *api_describe_instance(struct vmm *v);
cJSON *api_describe_version(void);
cJSON *api_describe_machine(struct vmm *v);
cJSON *api_describe_balloon(struct vmm *v);	/* NULL: none configured */
/* BalloonStats: the device's target and actual size, and each statistic
 * the driver reported (the rest are left out, as Firecracker does). */
struct balloon_stats;
cJSON *api_describe_balloon_stats(const struct balloon_stats *st);
cJSON *api_describe_vm_config(struct vmm *v);

#endif
