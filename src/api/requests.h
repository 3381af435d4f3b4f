/* SPDX-License-Identifier: MIT */
/*
 * Request bodies of the Firecracker API (and its config file's sections)
 * into the VMM's request structures.  Every schema is checked strictly:
 * unknown fields, wrong types, missing required fields, integers out of
 * range (negative, fractional, 2^64...) are refused with a message naming
 * the schema and the field; a field given twice, or a number beyond a
 * double's range, is refused with the body (jv_parse_body), naming the
 * field.  Fields vmon has no feature for are refused when set, with a
 * message naming the missing feature.
 * Strings in the results point into the jansson tree.
 */
#ifndef VMON_API_REQUESTS_H
#define VMON_API_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api/jv.h"
#include "lib/tbucket.h"
#include "vmm/migrate.h"
#include "vmm/vmm.h"

#define API_ID_MAX	64	/* drive_id, iface_id: [A-Za-z0-9_] */


enum api_action { ACTION_FLUSH_METRICS, ACTION_INSTANCE_START,
		  ACTION_SEND_CTRL_ALT_DEL };

/* Each: 0 or -EINVAL with the message in err. */
int api_parse_boot_source(const json_t *j, struct vmm_boot_source *r,
			  char *err, size_t len);
/* put: PUT (vcpu_count and mem_size_mib required) or PATCH. */
int api_parse_machine(const json_t *j, bool put, struct vmm_machine *r,
		      char *err, size_t len);
/* path_id: the id in the URL (NULL in the config file). */
int api_parse_drive(const json_t *j, const char *path_id,
		    struct vmm_drive_req *r, char *err, size_t len);
/* limit: the buckets given (none: rate_limiter absent or empty). */
int api_parse_drive_patch(const json_t *j, const char *path_id,
			  const char **path, struct rate_limiter_patch *limit,
			  char *err, size_t len);
int api_parse_net(const json_t *j, const char *path_id, struct vmm_net_req *r,
		  char *err, size_t len);
int api_parse_net_patch(const json_t *j, const char *path_id,
			struct rate_limiter_patch *rx,
			struct rate_limiter_patch *tx, char *err, size_t len);
/* PUT /snapshot/create and /snapshot/load (strings point into j). */
int api_parse_snapshot_create(const json_t *j, struct vmm_snapshot_req *r,
			      char *err, size_t len);
int api_parse_snapshot_load(const json_t *j, struct vmm_snapshot_req *r,
			    char *err, size_t len);
/*
 * PUT /migration/send {"destination_url", "downtime_ms"} and
 * /migration/receive {"receiver_url"} (Cloud Hypervisor's bodies).
 */
int api_parse_migration_send(const json_t *j, struct vmm_migration_req *r,
			     char *err, size_t len);
int api_parse_migration_receive(const json_t *j,
				struct vmm_migration_req *r, char *err,
				size_t len);
int api_parse_vsock(const json_t *j, struct vmm_vsock_req *r, char *err,
		    size_t len);
/* The RateLimiter object in j's `field` (all off when absent or null). */
int api_parse_rate_limiter(const json_t *j, const char *field,
			   struct rate_limiter_config *out, char *err,
			   size_t len);
/*
 * The same for a PATCH: out->bytes and out->ops say which buckets were
 * given (Firecracker's BucketUpdate: given and off turns a bucket off,
 * absent or null keeps it).
 */
int api_parse_rate_limiter_patch(const json_t *j, const char *field,
				 struct rate_limiter_patch *out, char *err,
				 size_t len);
int api_parse_entropy(const json_t *j, struct rate_limiter_config *limit,
		      char *err, size_t len);
int api_parse_balloon(const json_t *j, struct balloon_config *r, char *err,
		      size_t len);
int api_parse_balloon_update(const json_t *j, uint32_t *amount_mib, char *err,
			     size_t len);
int api_parse_balloon_stats_update(const json_t *j, uint32_t *interval_s,
				   char *err, size_t len);
int api_parse_serial(const json_t *j, const char **path, char *err,
		     size_t len);
int api_parse_logger(const json_t *j, struct vmm_logger_req *r, char *err,
		     size_t len);
/* *extra receives a malloc'd "\"properties\":{...}," or NULL. */
int api_parse_metrics(const json_t *j, struct vmm_metrics_req *r,
		      char **extra, char *err, size_t len);
int api_parse_action(const json_t *j, enum api_action *a, char *err,
		     size_t len);
/* *pause: true for "Paused", false for "Resumed". */
int api_parse_vm_state(const json_t *j, bool *pause, char *err, size_t len);

/* Firecracker's level names, any case; "Trace" is vmon's debug. */
int api_parse_level(const char *s, enum log_level *level);
bool api_valid_id(const char *id);

#endif
