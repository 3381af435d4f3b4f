/* SPDX-License-Identifier: MIT */
/*
 * Firecracker's --config-file: the whole configuration as one JSON object
 * whose sections have the API's schemas ("boot-source", "drives",
 * "machine-config", ...), applied to the VMM as the API would apply them.
 */
#ifndef VMON_API_CONFIG_FILE_H
#define VMON_API_CONFIG_FILE_H

#include <stddef.h>

#include "vmm/vmm.h"

#define API_CONFIG_MAX	(1u << 20)	/* bytes of config file */

/* On the VMM thread, before the start.  0 or -errno, message in err. */
int api_config_apply(struct vmm *v, const char *text, size_t len, char *err,
		     size_t elen);
int api_config_file(struct vmm *v, const char *path, char *err, size_t elen);

#endif
