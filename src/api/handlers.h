/* SPDX-License-Identifier: MIT */
/* The API's endpoint handlers, for the router (api/router.c). */
#ifndef VMON_API_HANDLERS_H
#define VMON_API_HANDLERS_H

#include <jansson.h>

#include "api/router.h"

/*
 * id: the path's {id} (routes that have one); body: the parsed JSON body
 * of PUT and PATCH, NULL for GET.  The handler fills resp.
 */
typedef void (*api_handler)(struct api_ctx *ctx, const char *id,
			    const json_t *body, struct api_response *resp);

void api_get_instance(struct api_ctx *, const char *, const json_t *,
		      struct api_response *);
void api_get_version(struct api_ctx *, const char *, const json_t *,
		     struct api_response *);
void api_put_actions(struct api_ctx *, const char *, const json_t *,
		     struct api_response *);
void api_get_balloon(struct api_ctx *, const char *, const json_t *,
		     struct api_response *);
void api_put_balloon(struct api_ctx *, const char *, const json_t *,
		     struct api_response *);
void api_patch_balloon(struct api_ctx *, const char *, const json_t *,
		       struct api_response *);
void api_get_balloon_stats(struct api_ctx *, const char *, const json_t *,
			   struct api_response *);
void api_patch_balloon_stats(struct api_ctx *, const char *, const json_t *,
			     struct api_response *);
void api_put_boot_source(struct api_ctx *, const char *, const json_t *,
			 struct api_response *);
void api_put_drive(struct api_ctx *, const char *, const json_t *,
		   struct api_response *);
void api_patch_drive(struct api_ctx *, const char *, const json_t *,
		     struct api_response *);
void api_put_logger(struct api_ctx *, const char *, const json_t *,
		    struct api_response *);
void api_get_machine(struct api_ctx *, const char *, const json_t *,
		     struct api_response *);
void api_put_machine(struct api_ctx *, const char *, const json_t *,
		     struct api_response *);
void api_patch_machine(struct api_ctx *, const char *, const json_t *,
		       struct api_response *);
void api_put_metrics(struct api_ctx *, const char *, const json_t *,
		     struct api_response *);
void api_get_migration(struct api_ctx *, const char *, const json_t *,
		       struct api_response *);
void api_put_migration_send(struct api_ctx *, const char *, const json_t *,
			    struct api_response *);
void api_put_migration_receive(struct api_ctx *, const char *,
			       const json_t *, struct api_response *);
void api_put_snapshot_create(struct api_ctx *, const char *, const json_t *,
			     struct api_response *);
void api_put_snapshot_load(struct api_ctx *, const char *, const json_t *,
			   struct api_response *);
void api_put_entropy(struct api_ctx *, const char *, const json_t *,
		     struct api_response *);
void api_put_serial(struct api_ctx *, const char *, const json_t *,
		    struct api_response *);
void api_put_net(struct api_ctx *, const char *, const json_t *,
		 struct api_response *);
void api_patch_net(struct api_ctx *, const char *, const json_t *,
		   struct api_response *);
void api_patch_vm(struct api_ctx *, const char *, const json_t *,
		  struct api_response *);
void api_get_vm_config(struct api_ctx *, const char *, const json_t *,
		       struct api_response *);
void api_put_vsock(struct api_ctx *, const char *, const json_t *,
		   struct api_response *);

#endif
