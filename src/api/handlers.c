// SPDX-License-Identifier: MIT
/*
 * Each handler checks its body (api/requests.c) on the API thread, then
 * runs the VMM operation on the VMM thread through ctx->call, and answers
 * 204, 200 with a body, or 400 with the VMM's message.
 */
#include "api/handlers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/describe.h"
#include "api/requests.h"
#include "vmm/migrate.h"
#include "virtio/balloon.h"

#define ERR_LEN 512

/* One operation for the VMM thread, with room for its arguments. */
struct call {
	struct vmm *v;
	int (*op)(struct call *c);
	const void *req;
	const char *id, *str;
	uint32_t u;
	bool flag;
	json_t *out;
	char err[ERR_LEN];
};

static int trampoline(void *arg)
{
	struct call *c = arg;

	return c->op(c);
}

/* Run c->op on the VMM thread; answer 204, or the fault it reported. */
static void run(struct api_ctx *ctx, struct call *c, struct api_response *r)
{
	int ret;

	c->v = ctx->vmm;
	ret = ctx->call(ctx->vmm, trampoline, c);
	if (ret == -ECANCELED)
		api_fault(r, 503, "vmon is shutting down");
	else if (ret == -ENOMEM)
		api_fault(r, 500, "out of memory");
	else if (ret)
		api_fault(r, 400, c->err[0] ? c->err : strerror(-ret));
	else
		r->status = 204;
}

/* Answer 200 with c->out, which an op built on the VMM thread. */
static void run_get(struct api_ctx *ctx, struct call *c,
		    struct api_response *r)
{
	run(ctx, c, r);
	if (r->status != 204) {
		json_decref(c->out);
		return;
	}
	r->body = c->out ? jv_compact(c->out) : NULL;
	json_decref(c->out);
	if (!r->body)
		api_fault(r, 500, "out of memory");
	else
		r->status = 200;
}

static void refuse(struct api_response *r, const char *err)
{
	api_fault(r, 400, err);
}

/* ---- GET ---------------------------------------------------------------- */

static int op_instance(struct call *c)
{
	c->out = api_describe_instance(c->v);
	return 0;
}

void api_get_instance(struct api_ctx *ctx, const char *id, const json_t *b,
		      struct api_response *r)
{
	struct call c = { .op = op_instance };

	run_get(ctx, &c, r);
}

void api_get_version(struct api_ctx *ctx, const char *id, const json_t *b,
		     struct api_response *r)
{
	json_t *o = api_describe_version();

	r->body = jv_compact(o);
	json_decref(o);
	r->status = r->body ? 200 : 500;
}

static int op_machine(struct call *c)
{
	c->out = api_describe_machine(c->v);
	return 0;
}

void api_get_machine(struct api_ctx *ctx, const char *id, const json_t *b,
		     struct api_response *r)
{
	struct call c = { .op = op_machine };

	run_get(ctx, &c, r);
}

static int op_vm_config(struct call *c)
{
	c->out = api_describe_vm_config(c->v);
	return 0;
}

void api_get_vm_config(struct api_ctx *ctx, const char *id, const json_t *b,
		       struct api_response *r)
{
	struct call c = { .op = op_vm_config };

	run_get(ctx, &c, r);
}

static int op_balloon(struct call *c)
{
	c->out = api_describe_balloon(c->v);
	if (!c->out) {
		strcpy(c->err, "no balloon device is configured");
		return -ENOENT;
	}
	return 0;
}

void api_get_balloon(struct api_ctx *ctx, const char *id, const json_t *b,
		     struct api_response *r)
{
	struct call c = { .op = op_balloon };

	run_get(ctx, &c, r);
}

static int op_balloon_stats(struct call *c)
{
	struct balloon_stats st;
	int ret = vmm_balloon_stats(c->v, &st, c->err, sizeof(c->err));

	if (!ret)
		c->out = api_describe_balloon_stats(&st);
	return ret;
}

void api_get_balloon_stats(struct api_ctx *ctx, const char *id,
			   const json_t *b, struct api_response *r)
{
	struct call c = { .op = op_balloon_stats };

	run_get(ctx, &c, r);
}

/* ---- actions and state -------------------------------------------------- */

static int op_action(struct call *c)
{
	switch ((enum api_action)c->u) {
	case ACTION_INSTANCE_START:
		return vmm_start(c->v, c->err, sizeof(c->err));
	case ACTION_SEND_CTRL_ALT_DEL:
		return vmm_send_ctrl_alt_del(c->v, c->err, sizeof(c->err));
	case ACTION_FLUSH_METRICS:
		return vmm_flush_metrics(c->v, c->err, sizeof(c->err));
	}
	return -EINVAL;
}

void api_put_actions(struct api_ctx *ctx, const char *id, const json_t *b,
		     struct api_response *r)
{
	struct call c = { .op = op_action };
	enum api_action a;

	if (api_parse_action(b, &a, c.err, sizeof(c.err))) {
		refuse(r, c.err);
		return;
	}
	c.u = a;
	run(ctx, &c, r);
}

static int op_vm_state(struct call *c)
{
	return c->flag ? vmm_pause(c->v, c->err, sizeof(c->err))
		       : vmm_resume(c->v, c->err, sizeof(c->err));
}

void api_patch_vm(struct api_ctx *ctx, const char *id, const json_t *b,
		  struct api_response *r)
{
	struct call c = { .op = op_vm_state };

	if (api_parse_vm_state(b, &c.flag, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

/* ---- configuration ------------------------------------------------------ */

static int op_boot_source(struct call *c)
{
	return vmm_set_boot_source(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_boot_source(struct api_ctx *ctx, const char *id, const json_t *b,
			 struct api_response *r)
{
	struct vmm_boot_source req;
	struct call c = { .op = op_boot_source, .req = &req };

	if (api_parse_boot_source(b, &req, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_machine_set(struct call *c)
{
	return vmm_set_machine(c->v, c->req, c->err, sizeof(c->err));
}

static void machine(struct api_ctx *ctx, bool put, const json_t *b,
		    struct api_response *r)
{
	struct vmm_machine req;
	struct call c = { .op = op_machine_set, .req = &req };

	if (api_parse_machine(b, put, &req, c.err, sizeof(c.err))) {
		refuse(r, c.err);
		return;
	}
	/* PUT resets what it leaves out to Firecracker's defaults. */
	if (put)
		req.has_vcpus = req.has_mem = req.has_track = true;
	run(ctx, &c, r);
}

void api_put_machine(struct api_ctx *ctx, const char *id, const json_t *b,
		     struct api_response *r)
{
	machine(ctx, true, b, r);
}

void api_patch_machine(struct api_ctx *ctx, const char *id, const json_t *b,
		       struct api_response *r)
{
	machine(ctx, false, b, r);
}

static int op_drive(struct call *c)
{
	return vmm_put_drive(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_drive(struct api_ctx *ctx, const char *id, const json_t *b,
		   struct api_response *r)
{
	struct vmm_drive_req req;
	struct call c = { .op = op_drive, .req = &req };

	if (api_parse_drive(b, id, &req, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_drive_patch(struct call *c)
{
	const struct rate_limiter_patch *l = c->req;

	return vmm_patch_drive(c->v, c->id, c->str, l->bytes || l->ops ? l : NULL,
			       c->err, sizeof(c->err));
}

void api_patch_drive(struct api_ctx *ctx, const char *id, const json_t *b,
		     struct api_response *r)
{
	struct rate_limiter_patch limit;
	struct call c = { .op = op_drive_patch, .id = id, .req = &limit };

	if (api_parse_drive_patch(b, id, &c.str, &limit, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_net(struct call *c)
{
	return vmm_put_net(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_net(struct api_ctx *ctx, const char *id, const json_t *b,
		 struct api_response *r)
{
	struct vmm_net_req req;
	struct call c = { .op = op_net, .req = &req };

	if (api_parse_net(b, id, &req, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_net_patch(struct call *c)
{
	const struct rate_limiter_patch *l = c->req;

	return vmm_patch_net(c->v, c->id, l[0].bytes || l[0].ops ? &l[0] : NULL,
			     l[1].bytes || l[1].ops ? &l[1] : NULL, c->err,
			     sizeof(c->err));
}

void api_patch_net(struct api_ctx *ctx, const char *id, const json_t *b,
		   struct api_response *r)
{
	struct rate_limiter_patch limits[2];	/* rx, tx */
	struct call c = { .op = op_net_patch, .id = id, .req = limits };

	if (api_parse_net_patch(b, id, &limits[0], &limits[1], c.err,
				sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_vsock(struct call *c)
{
	return vmm_put_vsock(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_vsock(struct api_ctx *ctx, const char *id, const json_t *b,
		   struct api_response *r)
{
	struct vmm_vsock_req req;
	struct call c = { .op = op_vsock, .req = &req };

	if (api_parse_vsock(b, &req, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_entropy(struct call *c)
{
	return vmm_put_entropy(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_entropy(struct api_ctx *ctx, const char *id, const json_t *b,
		     struct api_response *r)
{
	struct rate_limiter_config limit;
	struct call c = { .op = op_entropy, .req = &limit };

	if (api_parse_entropy(b, &limit, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_balloon_put(struct call *c)
{
	return vmm_put_balloon(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_balloon(struct api_ctx *ctx, const char *id, const json_t *b,
		     struct api_response *r)
{
	struct balloon_config req;
	struct call c = { .op = op_balloon_put, .req = &req };

	if (api_parse_balloon(b, &req, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_balloon_patch(struct call *c)
{
	return vmm_patch_balloon(c->v, c->u, c->err, sizeof(c->err));
}

void api_patch_balloon(struct api_ctx *ctx, const char *id, const json_t *b,
		       struct api_response *r)
{
	struct call c = { .op = op_balloon_patch };

	if (api_parse_balloon_update(b, &c.u, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_balloon_stats_patch(struct call *c)
{
	return vmm_patch_balloon_stats(c->v, c->u, c->err, sizeof(c->err));
}

void api_patch_balloon_stats(struct api_ctx *ctx, const char *id,
			     const json_t *b, struct api_response *r)
{
	struct call c = { .op = op_balloon_stats_patch };

	if (api_parse_balloon_stats_update(b, &c.u, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_serial(struct call *c)
{
	return c->str ? vmm_put_serial(c->v, c->str, c->err, sizeof(c->err))
		      : 0;
}

void api_put_serial(struct api_ctx *ctx, const char *id, const json_t *b,
		    struct api_response *r)
{
	struct call c = { .op = op_serial };

	if (api_parse_serial(b, &c.str, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_logger(struct call *c)
{
	return vmm_put_logger(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_logger(struct api_ctx *ctx, const char *id, const json_t *b,
		    struct api_response *r)
{
	struct vmm_logger_req req;
	struct call c = { .op = op_logger, .req = &req };

	if (api_parse_logger(b, &req, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_metrics(struct call *c)
{
	return vmm_put_metrics(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_metrics(struct api_ctx *ctx, const char *id, const json_t *b,
		     struct api_response *r)
{
	struct vmm_metrics_req req;
	struct call c = { .op = op_metrics, .req = &req };
	char *extra = NULL;

	if (api_parse_metrics(b, &req, &extra, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
	free(extra);
}

/* ---- snapshots ---------------------------------------------------------- */

static int op_snapshot_create(struct call *c)
{
	return vmm_snapshot_create(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_snapshot_create(struct api_ctx *ctx, const char *id,
			     const json_t *b, struct api_response *r)
{
	struct vmm_snapshot_req req;
	struct call c = { .op = op_snapshot_create, .req = &req };

	if (api_parse_snapshot_create(b, &req, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

static int op_snapshot_load(struct call *c)
{
	return vmm_snapshot_load(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_snapshot_load(struct api_ctx *ctx, const char *id,
			   const json_t *b, struct api_response *r)
{
	struct vmm_snapshot_req req;
	struct call c = { .op = op_snapshot_load, .req = &req };

	if (api_parse_snapshot_load(b, &req, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}

/* ---- migration (Cloud Hypervisor's shape; docs/migration.md) ------------ */

static int op_migration(struct call *c)
{
	c->out = api_describe_migration(c->v);
	return 0;
}

void api_get_migration(struct api_ctx *ctx, const char *id, const json_t *b,
		       struct api_response *r)
{
	struct call c = { .op = op_migration };

	run_get(ctx, &c, r);
}

static int op_migration_send(struct call *c)
{
	return vmm_migrate_send(c->v, c->req, c->err, sizeof(c->err));
}

/*
 * Started on the VMM thread, where the rounds then run between the
 * devices' events; this (API) thread waits for the end, so the answer is
 * the migration's result.
 */
void api_put_migration_send(struct api_ctx *ctx, const char *id,
			    const json_t *b, struct api_response *r)
{
	struct vmm_migration_req req;
	struct call c = { .op = op_migration_send, .req = &req };

	if (api_parse_migration_send(b, &req, c.err, sizeof(c.err))) {
		refuse(r, c.err);
		return;
	}
	run(ctx, &c, r);
	if (r->status != 204)
		return;
	if (vmm_migrate_wait(ctx->vmm, c.err, sizeof(c.err)))
		api_fault(r, 400, c.err);
}

static int op_migration_receive(struct call *c)
{
	return vmm_migrate_receive(c->v, c->req, c->err, sizeof(c->err));
}

void api_put_migration_receive(struct api_ctx *ctx, const char *id,
			       const json_t *b, struct api_response *r)
{
	struct vmm_migration_req req;
	struct call c = { .op = op_migration_receive, .req = &req };

	if (api_parse_migration_receive(b, &req, c.err, sizeof(c.err)))
		refuse(r, c.err);
	else
		run(ctx, &c, r);
}
