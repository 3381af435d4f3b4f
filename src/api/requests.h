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

#include "vmm/vmm.h"

#define API_ID_MAX	64	/* drive_id, iface_id: [A-Za-z0-9_] */

enum jtype { J_STRING, J_BOOL, J_UINT, J_OBJECT, J_ARRAY, J_ANY };

struct jfield {
	const char *name;
	enum jtype type;
	bool required;
	uint64_t min, max;		/* J_UINT; max 0 means 2^53 */
	const char *unsupported;	/* set and not null: refused, saying so */
};

/*
 * obj is an object whose members are all in fields, each once, of its
 * type (null counts as absent), with the required ones present.
 */
int jv_check(const json_t *obj, const char *schema, const struct jfield *fields,
	     size_t n, char *err, size_t len);
/* A member's value; absent and null both give NULL / the default. */
const json_t *jv_get(const json_t *obj, const char *name);
const char *jv_str(const json_t *obj, const char *name);
bool jv_bool(const json_t *obj, const char *name, bool dflt);
uint64_t jv_uint(const json_t *obj, const char *name, uint64_t dflt);

/*
 * Parse a whole body: one JSON value and nothing after it, valid UTF-8,
 * no object with a key twice, no NUL in strings.  Every number is a real
 * (a double, as JSON has one number type); jv_check's J_UINT then takes
 * only the integral ones in its range.
 */
json_t *jv_parse_body(const char *body, size_t len, char *err, size_t elen);

/* For answers: a string node that is valid UTF-8 even when s is not (bytes
 * that are not UTF-8 become '?'); an integer node for v; and j printed
 * compactly, in its insertion order, malloc'd (NULL when out of memory). */
json_t *jv_text(const char *s);
json_t *jv_u64(uint64_t v);
char *jv_compact(const json_t *j);

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
int api_parse_drive_patch(const json_t *j, const char *path_id,
			  const char **path, char *err, size_t len);
int api_parse_net(const json_t *j, const char *path_id, struct vmm_net_req *r,
		  char *err, size_t len);
int api_parse_net_patch(const json_t *j, const char *path_id, char *err,
			size_t len);
int api_parse_vsock(const json_t *j, struct vmm_vsock_req *r, char *err,
		    size_t len);
/* The RateLimiter object in j's `field` (all off when absent or null). */
int api_parse_rate_limiter(const json_t *j, const char *field,
			   struct rate_limiter_config *out, char *err,
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
