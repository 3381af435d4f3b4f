// SPDX-License-Identifier: MIT
#include "api/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/requests.h"

#define M_GET	(1u << HTTP_GET)
#define M_PUT	(1u << HTTP_PUT)
#define M_PATCH	(1u << HTTP_PATCH)

struct api_route {
	const char *path;	/* with an id: the prefix "/drives/" */
	const char *template;	/* as the contract writes it */
	unsigned int methods;
	api_handler get, put, patch;
	const char *missing;	/* the feature vmon lacks: 400 for all */
};

#define R(p, t, m, g, pu, pa) \
	{ .path = (p), .template = (t), .methods = (m), .get = (g), \
	  .put = (pu), .patch = (pa) }
#define MISSING(p, t, m, what) \
	{ .path = (p), .template = (t), .methods = (m), .missing = (what) }

/* The contract's paths, in its order; a test checks this against it. */
static const struct api_route routes[] = {
	R("/", "/", M_GET, api_get_instance, NULL, NULL),
	R("/actions", "/actions", M_PUT, NULL, api_put_actions, NULL),
	R("/balloon", "/balloon", M_GET | M_PUT | M_PATCH, api_get_balloon,
	  api_put_balloon, api_patch_balloon),
	R("/balloon/statistics", "/balloon/statistics", M_GET | M_PATCH,
	  api_get_balloon_stats, NULL, api_patch_balloon_stats),
	MISSING("/balloon/hinting/start", "/balloon/hinting/start", M_PATCH,
		"balloon free page hinting"),
	MISSING("/balloon/hinting/status", "/balloon/hinting/status", M_GET,
		"balloon free page hinting"),
	MISSING("/balloon/hinting/stop", "/balloon/hinting/stop", M_PATCH,
		"balloon free page hinting"),
	R("/boot-source", "/boot-source", M_PUT, NULL, api_put_boot_source,
	  NULL),
	MISSING("/cpu-config", "/cpu-config", M_PUT,
		"CPU configuration templates (cpu-config)"),
	R("/drives/", "/drives/{drive_id}", M_PUT | M_PATCH, NULL,
	  api_put_drive, api_patch_drive),
	MISSING("/pmem/", "/pmem/{id}", M_PUT | M_PATCH,
		"virtio-pmem devices"),
	R("/logger", "/logger", M_PUT, NULL, api_put_logger, NULL),
	R("/machine-config", "/machine-config", M_GET | M_PUT | M_PATCH,
	  api_get_machine, api_put_machine, api_patch_machine),
	R("/metrics", "/metrics", M_PUT, NULL, api_put_metrics, NULL),
	MISSING("/mmds", "/mmds", M_GET | M_PUT | M_PATCH,
		"MMDS (the microVM metadata service)"),
	MISSING("/mmds/config", "/mmds/config", M_PUT,
		"MMDS (the microVM metadata service)"),
	R("/entropy", "/entropy", M_PUT, NULL, api_put_entropy, NULL),
	R("/serial", "/serial", M_PUT, NULL, api_put_serial, NULL),
	MISSING("/hotplug/memory", "/hotplug/memory", M_GET | M_PUT | M_PATCH,
		"memory hotplug (virtio-mem)"),
	R("/network-interfaces/", "/network-interfaces/{iface_id}",
	  M_PUT | M_PATCH, NULL, api_put_net, api_patch_net),
	R("/snapshot/create", "/snapshot/create", M_PUT, NULL,
	  api_put_snapshot_create, NULL),
	R("/snapshot/load", "/snapshot/load", M_PUT, NULL,
	  api_put_snapshot_load, NULL),
	R("/version", "/version", M_GET, api_get_version, NULL, NULL),
	R("/vm", "/vm", M_PATCH, NULL, NULL, api_patch_vm),
	R("/vm/config", "/vm/config", M_GET, api_get_vm_config, NULL, NULL),
	R("/vsock", "/vsock", M_PUT, NULL, api_put_vsock, NULL),
	/* vmon's own, in Cloud Hypervisor's shape (docs/migration.md). */
	R("/migration", "/migration", M_GET, api_get_migration, NULL, NULL),
	R("/migration/send", "/migration/send", M_PUT, NULL,
	  api_put_migration_send, NULL),
	R("/migration/receive", "/migration/receive", M_PUT, NULL,
	  api_put_migration_receive, NULL),
};

#define NR_ROUTES (sizeof(routes) / sizeof(routes[0]))
_Static_assert(NR_ROUTES <= API_MAX_ROUTES, "too many routes");
_Static_assert(API_MAX_ROUTES <= METRICS_MAX_COUNTERS, "metrics too small");

/* Metric names, one per route, in the same order. */
static const char *const route_names[NR_ROUTES] = {
	"root", "actions", "balloon", "balloon_statistics",
	"balloon_hinting_start", "balloon_hinting_status",
	"balloon_hinting_stop", "boot_source", "cpu_config", "drives", "pmem",
	"logger", "machine_config", "metrics", "mmds", "mmds_config",
	"entropy", "serial", "hotplug_memory", "network_interfaces",
	"snapshot_create", "snapshot_load", "version", "vm", "vm_config",
	"vsock", "migration", "migration_send", "migration_receive",
};

unsigned int api_nr_routes(void)
{
	return NR_ROUTES;
}

const char *api_route_template(unsigned int i)
{
	return i < NR_ROUTES ? routes[i].template : NULL;
}

void api_metrics_init(struct api_metrics *m, struct metrics *reg)
{
	metrics_group_init(&m->requests, "api_requests", route_names,
			   NR_ROUTES);
	metrics_group_init(&m->errors, "api_errors", route_names, NR_ROUTES);
	metrics_register(reg, &m->requests);
	metrics_register(reg, &m->errors);
}

void api_fault(struct api_response *resp, int status, const char *msg)
{
	json_t *o = json_object();

	json_object_set_new(o, "fault_message", jv_text(msg));
	free(resp->body);
	resp->body = jv_compact(o);
	resp->status = status;
	json_decref(o);
}

/* The route for path, and its {id} (empty when missing), or NULL. */
static const struct api_route *find(const char *path, const char **id)
{
	for (size_t i = 0; i < NR_ROUTES; i++) {
		const struct api_route *r = &routes[i];
		size_t n = strlen(r->path);

		*id = NULL;
		if (r->path[n - 1] == '/' && n > 1) {
			/* "/drives" alone, or "/drives/ID" with no more '/'. */
			if (!strncmp(path, r->path, n - 1) && !path[n - 1]) {
				*id = "";
				return r;
			}
			if (!strncmp(path, r->path, n) &&
			    !strchr(path + n, '/')) {
				*id = path + n;
				return r;
			}
		} else if (!strcmp(path, r->path)) {
			return r;
		}
	}
	return NULL;
}

static const char *allow_header(unsigned int methods)
{
	static const char *const allow[8] = {
		[M_GET] = "Allow: GET\r\n",
		[M_PUT] = "Allow: PUT\r\n",
		[M_PATCH] = "Allow: PATCH\r\n",
		[M_GET | M_PUT] = "Allow: GET, PUT\r\n",
		[M_GET | M_PATCH] = "Allow: GET, PATCH\r\n",
		[M_PUT | M_PATCH] = "Allow: PUT, PATCH\r\n",
		[M_GET | M_PUT | M_PATCH] = "Allow: GET, PUT, PATCH\r\n",
	};
	return allow[methods & 7];
}

static void route(struct api_ctx *ctx, const struct api_route *r,
		  enum http_method method, const char *id, const char *body,
		  size_t body_len, struct api_response *resp)
{
	char msg[600];
	api_handler h = NULL;
	json_t *j = NULL;

	if (method > HTTP_PATCH || !(r->methods & (1u << method))) {
		snprintf(msg, sizeof(msg), "%s takes %s", r->template,
			 allow_header(r->methods) + 7);
		msg[strlen(msg) - 2] = '\0';	/* the header's CRLF */
		api_fault(resp, 405, msg);
		resp->allow = allow_header(r->methods);
		return;
	}
	if (r->missing) {
		snprintf(msg, sizeof(msg), "vmon does not support %s",
			 r->missing);
		api_fault(resp, 400, msg);
		return;
	}
	if (id && !api_valid_id(id)) {
		snprintf(msg, sizeof(msg), "%s: the id in the path must be 1 "
			 "to %d letters, digits or '_'", r->template,
			 API_ID_MAX);
		api_fault(resp, 400, msg);
		return;
	}
	h = method == HTTP_GET ? r->get : method == HTTP_PUT ? r->put
							    : r->patch;
	if (method != HTTP_GET) {
		j = jv_parse_body(body, body_len, msg, sizeof(msg));
		if (!j) {
			api_fault(resp, 400, msg);
			return;
		}
	}
	h(ctx, id, j, resp);
	json_decref(j);
}

void api_dispatch(struct api_ctx *ctx, enum http_method method,
		  const char *path, const char *body, size_t body_len,
		  struct api_response *resp)
{
	const struct api_route *r;
	const char *id;
	char msg[HTTP_MAX_TARGET + 64];

	memset(resp, 0, sizeof(*resp));
	r = find(path, &id);
	if (!r) {
		snprintf(msg, sizeof(msg), "no such path: %s", path);
		api_fault(resp, 404, msg);
		return;
	}
	route(ctx, r, method, id, body, body_len, resp);
	if (ctx->metrics) {
		unsigned int i = (unsigned int)(r - routes);

		metrics_inc(&ctx->metrics->requests, i);
		if (resp->status >= 400)
			metrics_inc(&ctx->metrics->errors, i);
	}
	if (!resp->status)	/* cannot happen: every path answers */
		api_fault(resp, 500, "no answer");
}
