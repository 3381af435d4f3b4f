// SPDX-License-Identifier: MIT
#include "api/describe.h"

#include <stdio.h>

#include "virtio/balloon.h"

/* cJSON_Add*ToObject returns NULL on failure; cJSON_Print* then fails. */
static void add_str_or_null(cJSON *o, const char *name, const char *s)
{
	if (s)
		cJSON_AddStringToObject(o, name, s);
	else
		cJSON_AddNullToObject(o, name);
}

cJSON *api_describe_instance(struct vmm *v)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "app_name", "vmon");
	cJSON_AddStringToObject(o, "id", v->id);
	cJSON_AddStringToObject(o, "state", vmm_state_name(vmm_state(v)));
	cJSON_AddStringToObject(o, "vmm_version", VMON_VERSION);
	return o;
}

cJSON *api_describe_version(void)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "firecracker_version",
				API_FIRECRACKER_VERSION);
	return o;
}

cJSON *api_describe_machine(struct vmm *v)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "vcpu_count", v->vcpus);
	cJSON_AddNumberToObject(o, "mem_size_mib", (double)v->mem_mib);
	cJSON_AddFalseToObject(o, "smt");
	cJSON_AddFalseToObject(o, "track_dirty_pages");
	cJSON_AddStringToObject(o, "huge_pages", "None");
	return o;
}

cJSON *api_describe_balloon(struct vmm *v)
{
	cJSON *o;

	if (!v->balloon.enabled)
		return NULL;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "amount_mib", v->balloon.target_mib);
	cJSON_AddBoolToObject(o, "deflate_on_oom", v->balloon.deflate_on_oom);
	cJSON_AddNumberToObject(o, "stats_polling_interval_s",
				v->balloon.stats_interval_s);
	cJSON_AddFalseToObject(o, "free_page_hinting");
	cJSON_AddFalseToObject(o, "free_page_reporting");
	return o;
}

cJSON *api_describe_balloon_stats(const struct balloon_stats *st)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "target_pages", st->target_pages);
	cJSON_AddNumberToObject(o, "actual_pages", st->actual_pages);
	cJSON_AddNumberToObject(o, "target_mib",
				st->target_pages / BALLOON_PAGES_PER_MIB);
	cJSON_AddNumberToObject(o, "actual_mib",
				st->actual_pages / BALLOON_PAGES_PER_MIB);
	for (unsigned int t = 0; t < BALLOON_S_NR; t++)
		if (st->present & (1u << t))
			cJSON_AddNumberToObject(o, balloon_stat_names[t],
						(double)st->val[t]);
	return o;
}

static cJSON *describe_drive(const struct vmm_drive *d)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "drive_id", d->id);
	add_str_or_null(o, "partuuid", d->partuuid);
	cJSON_AddBoolToObject(o, "is_root_device", d->root);
	cJSON_AddStringToObject(o, "cache_type", d->cache == DISK_CACHE_WRITEBACK
						 ? "Writeback" : "Unsafe");
	cJSON_AddBoolToObject(o, "is_read_only", d->read_only);
	cJSON_AddStringToObject(o, "path_on_host", d->path);
	cJSON_AddStringToObject(o, "io_engine", "Sync");
	cJSON_AddNullToObject(o, "rate_limiter");
	cJSON_AddNullToObject(o, "socket");
	return o;
}

static cJSON *describe_net(const struct vmm_net *n)
{
	cJSON *o = cJSON_CreateObject();
	char mac[18];

	cJSON_AddStringToObject(o, "iface_id", n->id);
	cJSON_AddStringToObject(o, "host_dev_name", n->tap);
	if (n->has_mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
			 n->mac[5]);
		cJSON_AddStringToObject(o, "guest_mac", mac);
	} else {
		cJSON_AddNullToObject(o, "guest_mac");
	}
	cJSON_AddNullToObject(o, "rx_rate_limiter");
	cJSON_AddNullToObject(o, "tx_rate_limiter");
	return o;
}

static cJSON *describe_logger(struct vmm *v)
{
	static const char *const names[] = { "Error", "Warning", "Info",
					     "Debug" };
	cJSON *o;

	if (!v->has_logger)
		return cJSON_CreateNull();
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "level", v->log_level == LOG_OFF
				? "Off" : names[v->log_level]);
	add_str_or_null(o, "log_path", v->log_path);
	cJSON_AddBoolToObject(o, "show_level", v->log_show_level);
	cJSON_AddBoolToObject(o, "show_log_origin", v->log_show_origin);
	add_str_or_null(o, "module", v->log_module);
	return o;
}

cJSON *api_describe_vm_config(struct vmm *v)
{
	cJSON *o = cJSON_CreateObject(), *b, *a, *x;

	if (v->kernel) {
		b = cJSON_AddObjectToObject(o, "boot-source");
		cJSON_AddStringToObject(b, "kernel_image_path", v->kernel);
		add_str_or_null(b, "initrd_path", v->initrd);
		add_str_or_null(b, "boot_args", v->boot_args);
	} else {
		cJSON_AddNullToObject(o, "boot-source");
	}
	a = cJSON_AddArrayToObject(o, "drives");
	for (unsigned int i = 0; i < v->nr_drives; i++)
		cJSON_AddItemToArray(a, describe_drive(&v->drives[i]));
	cJSON_AddItemToObject(o, "machine-config", api_describe_machine(v));
	cJSON_AddNullToObject(o, "cpu-config");
	x = api_describe_balloon(v);
	cJSON_AddItemToObject(o, "balloon", x ? x : cJSON_CreateNull());
	a = cJSON_AddArrayToObject(o, "network-interfaces");
	for (unsigned int i = 0; i < v->nr_nets; i++)
		cJSON_AddItemToArray(a, describe_net(&v->nets[i]));
	if (v->has_vsock) {
		x = cJSON_AddObjectToObject(o, "vsock");
		cJSON_AddNumberToObject(x, "guest_cid", v->vsock_cid);
		cJSON_AddStringToObject(x, "uds_path", v->vsock_uds);
		if (v->vsock_id)
			cJSON_AddStringToObject(x, "vsock_id", v->vsock_id);
	} else {
		cJSON_AddNullToObject(o, "vsock");
	}
	cJSON_AddItemToObject(o, "logger", describe_logger(v));
	if (v->has_metrics) {
		x = cJSON_AddObjectToObject(o, "metrics");
		cJSON_AddStringToObject(x, "metrics_path", v->metrics_path);
	} else {
		cJSON_AddNullToObject(o, "metrics");
	}
	cJSON_AddNullToObject(o, "mmds-config");
	if (v->has_entropy)
		cJSON_AddObjectToObject(o, "entropy");
	else
		cJSON_AddNullToObject(o, "entropy");
	cJSON_AddArrayToObject(o, "pmem");
	cJSON_AddNullToObject(o, "memory-hotplug");
	return o;
}
