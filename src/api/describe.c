// SPDX-License-Identifier: MIT
#include "api/describe.h"

#include <stdio.h>

#include "api/requests.h"
#include "vmm/migrate.h"
#include "virtio/balloon.h"

/* Members in the order they are added (jv_compact keeps it).  Out of
 * memory, a member is left out, as jansson's setters take NULL. */
static void add(json_t *o, const char *name, json_t *v)
{
	json_object_set_new(o, name, v);
}

static void add_str(json_t *o, const char *name, const char *s)
{
	add(o, name, jv_text(s));
}

static void add_str_or_null(json_t *o, const char *name, const char *s)
{
	add(o, name, s ? jv_text(s) : json_null());
}

static void add_num(json_t *o, const char *name, uint64_t v)
{
	add(o, name, jv_u64(v));
}

static void add_bool(json_t *o, const char *name, bool b)
{
	add(o, name, json_boolean(b));
}

/* A new object or array member, to fill; NULL when out of memory. */
static json_t *add_new(json_t *o, const char *name, json_t *x)
{
	return json_object_set_new(o, name, x) ? NULL : x;
}

json_t *api_describe_instance(struct vmm *v)
{
	json_t *o = json_object();

	add_str(o, "app_name", "vmon");
	add_str(o, "id", v->id);
	add_str(o, "state", vmm_state_name(vmm_state(v)));
	add_str(o, "vmm_version", VMON_VERSION);
	return o;
}

json_t *api_describe_version(void)
{
	json_t *o = json_object();

	add_str(o, "firecracker_version", API_FIRECRACKER_VERSION);
	return o;
}

json_t *api_describe_machine(struct vmm *v)
{
	json_t *o = json_object();

	add_num(o, "vcpu_count", v->vcpus);
	add_num(o, "mem_size_mib", v->mem_mib);
	add_bool(o, "smt", false);
	add_bool(o, "track_dirty_pages", v->track_dirty);
	add_str(o, "huge_pages", "None");
	return o;
}

json_t *api_describe_balloon(struct vmm *v)
{
	json_t *o;

	if (!v->balloon.enabled)
		return NULL;
	o = json_object();
	add_num(o, "amount_mib", v->balloon.target_mib);
	add_bool(o, "deflate_on_oom", v->balloon.deflate_on_oom);
	add_num(o, "stats_polling_interval_s", v->balloon.stats_interval_s);
	add_bool(o, "free_page_hinting", false);
	add_bool(o, "free_page_reporting", false);
	return o;
}

json_t *api_describe_balloon_stats(const struct balloon_stats *st)
{
	json_t *o = json_object();

	add_num(o, "target_pages", st->target_pages);
	add_num(o, "actual_pages", st->actual_pages);
	add_num(o, "target_mib", st->target_pages / BALLOON_PAGES_PER_MIB);
	add_num(o, "actual_mib", st->actual_pages / BALLOON_PAGES_PER_MIB);
	for (unsigned int t = 0; t < BALLOON_S_NR; t++)
		if (st->present & (1u << t))
			add_num(o, balloon_stat_names[t], st->val[t]);
	return o;
}

/* A RateLimiter object as Firecracker gives it back, or null when off. */
static json_t *describe_bucket(const struct tbucket_config *b)
{
	json_t *o;

	if (!tbucket_config_on(b))
		return json_null();
	o = json_object();
	add(o, "size", jv_u64(b->size));
	add(o, "one_time_burst", jv_u64(b->one_time_burst));
	add(o, "refill_time", jv_u64(b->refill_ms));
	return o;
}

static json_t *describe_rate_limiter(const struct rate_limiter_config *c)
{
	json_t *o;

	if (!tbucket_config_on(&c->bytes) && !tbucket_config_on(&c->ops))
		return json_null();
	o = json_object();
	add(o, "bandwidth", describe_bucket(&c->bytes));
	add(o, "ops", describe_bucket(&c->ops));
	return o;
}

static json_t *describe_drive(const struct vmm_drive *d)
{
	json_t *o = json_object();

	add_str(o, "drive_id", d->id);
	add_str_or_null(o, "partuuid", d->partuuid);
	add_bool(o, "is_root_device", d->root);
	add_str(o, "cache_type", d->cache == DISK_CACHE_WRITEBACK
				 ? "Writeback" : "Unsafe");
	add_bool(o, "is_read_only", d->read_only);
	add_str(o, "path_on_host", d->path);
	add_str(o, "io_engine", "Sync");
	add(o, "rate_limiter", describe_rate_limiter(&d->limit));
	add(o, "socket", json_null());
	return o;
}

static json_t *describe_net(const struct vmm_net *n)
{
	json_t *o = json_object();
	char mac[18];

	add_str(o, "iface_id", n->id);
	add_str(o, "host_dev_name", n->tap);
	if (n->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
			 n->mac[5]);
		add_str(o, "guest_mac", mac);
	} else {
		add(o, "guest_mac", json_null());
	}
	add(o, "rx_rate_limiter", describe_rate_limiter(&n->rx_limit));
	add(o, "tx_rate_limiter", describe_rate_limiter(&n->tx_limit));
	return o;
}

static json_t *describe_logger(struct vmm *v)
{
	static const char *const names[] = { "Error", "Warning", "Info",
					     "Debug" };
	json_t *o;

	if (!v->has_logger)
		return json_null();
	o = json_object();
	add_str(o, "level", v->log_level == LOG_OFF
			    ? "Off" : names[v->log_level]);
	add_str_or_null(o, "log_path", v->log_path);
	add_bool(o, "show_level", v->log_show_level);
	add_bool(o, "show_log_origin", v->log_show_origin);
	add_str_or_null(o, "module", v->log_module);
	return o;
}

json_t *api_describe_vm_config(struct vmm *v)
{
	json_t *o = json_object(), *b, *a, *x;

	if (v->kernel) {
		b = add_new(o, "boot-source", json_object());
		add_str(b, "kernel_image_path", v->kernel);
		add_str_or_null(b, "initrd_path", v->initrd);
		add_str_or_null(b, "boot_args", v->boot_args);
	} else {
		add(o, "boot-source", json_null());
	}
	a = add_new(o, "drives", json_array());
	for (unsigned int i = 0; i < v->nr_drives; i++)
		json_array_append_new(a, describe_drive(&v->drives[i]));
	add(o, "machine-config", api_describe_machine(v));
	add(o, "cpu-config", json_null());
	x = api_describe_balloon(v);
	add(o, "balloon", x ? x : json_null());
	a = add_new(o, "network-interfaces", json_array());
	for (unsigned int i = 0; i < v->nr_nets; i++)
		json_array_append_new(a, describe_net(&v->nets[i]));
	if (v->has_vsock) {
		x = add_new(o, "vsock", json_object());
		add_num(x, "guest_cid", v->vsock_cid);
		add_str(x, "uds_path", v->vsock_uds);
		if (v->vsock_id)
			add_str(x, "vsock_id", v->vsock_id);
	} else {
		add(o, "vsock", json_null());
	}
	add(o, "logger", describe_logger(v));
	if (v->has_metrics) {
		x = add_new(o, "metrics", json_object());
		add_str(x, "metrics_path", v->metrics_path);
	} else {
		add(o, "metrics", json_null());
	}
	add(o, "mmds-config", json_null());
	if (v->has_entropy) {
		x = add_new(o, "entropy", json_object());
		add(x, "rate_limiter", describe_rate_limiter(&v->entropy_limit));
	} else
		add(o, "entropy", json_null());
	add(o, "pmem", json_array());
	add(o, "memory-hotplug", json_null());
	return o;
}

json_t *api_describe_migration(struct vmm *v)
{
	static const char *const states[] = {
		[VMM_MIG_NONE] = "None", [VMM_MIG_SENDING] = "Sending",
		[VMM_MIG_RECEIVING] = "Receiving", [VMM_MIG_DONE] = "Done",
		[VMM_MIG_FAILED] = "Failed",
	};
	struct vmm_migration_status st;
	json_t *o = json_object();

	vmm_migration_status(v, &st);
	add_str(o, "state", states[st.state]);
	if (st.state == VMM_MIG_NONE)
		return o;
	add_str(o, "role", st.source ? "source" : "destination");
	add_str(o, "url", st.url);
	add_num(o, "round", st.round);
	add_num(o, "pages", st.pages);
	add_num(o, "bytes", st.bytes);
	add_num(o, "dirty_pages", st.dirty_pages);
	if (st.source) {
		add_num(o, "dirty_rate_bytes_per_s", st.dirty_rate);
		add_num(o, "bandwidth_bytes_per_s", st.bandwidth);
		add_num(o, "expected_downtime_ms", st.expected_downtime_ms);
	}
	if (st.state == VMM_MIG_DONE)
		add_num(o, "downtime_ms", st.downtime_ms);
	if (st.state == VMM_MIG_DONE || st.state == VMM_MIG_FAILED)
		add_num(o, "total_ms", st.total_ms);
	if (st.state == VMM_MIG_FAILED)
		add_str(o, "fault_message", st.message);
	return o;
}
