/* SPDX-License-Identifier: MIT */
/*
 * Routing of the Firecracker API: every path and method of the contract
 * (shared/reference/firecracker-api.yaml) reaches a handler, or, where
 * vmon lacks the feature, a 400 naming it.  Unknown paths get 404, known
 * paths with a method the contract does not list 405.  Errors have
 * Firecracker's shape: {"fault_message": "..."}.
 */
#ifndef VMON_API_ROUTER_H
#define VMON_API_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "api/http.h"
#include "lib/metrics.h"
#include "vmm/vmm.h"

#define API_MAX_ROUTES	32

struct api_response {
	int status;
	char *body;		/* malloc'd JSON, or NULL */
	const char *allow;	/* 405: the methods the path takes */
};

/* Runs fn(arg) on the VMM thread and returns its result. */
typedef int (*api_call_fn)(struct vmm *v, int (*fn)(void *arg), void *arg);

/* Counters of the API, in the VMM's registry. */
struct api_metrics {
	struct metrics_group requests;	/* per route */
	struct metrics_group errors;	/* per route: 4xx and 5xx answers */
};

struct api_ctx {
	struct vmm *vmm;
	api_call_fn call;
	struct api_metrics *metrics;	/* may be NULL */
};

/* Route and answer one request; resp->body is the caller's to free. */
void api_dispatch(struct api_ctx *ctx, enum http_method method,
		  const char *path, const char *body, size_t body_len,
		  struct api_response *resp);

/* An error response: status and {"fault_message": msg}. */
void api_fault(struct api_response *resp, int status, const char *msg);

/* Register the route counters with the VMM's registry. */
void api_metrics_init(struct api_metrics *m, struct metrics *reg);

/* The contract's paths, for tests: "/drives/{drive_id}" style. */
unsigned int api_nr_routes(void);
const char *api_route_template(unsigned int i);

#endif
