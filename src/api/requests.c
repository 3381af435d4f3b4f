// SPDX-License-Identifier: MIT
#include "api/requests.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"


/* A refusal: the message in err, -EINVAL. */
#define bad(err, len, ...) err_say(err, len, -EINVAL, __VA_ARGS__)

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* Schema tables: F("name", J_TYPE, REQ, RANGE(lo, hi), NOT("why")). */
#define F(n, t, ...)	{ .name = (n), .type = (t), __VA_ARGS__ }
#define REQ		.required = true
#define RANGE(lo, hi)	.min = (lo), .max = (hi)
#define NOT(why)	.unsupported = (why)

bool api_valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > API_ID_MAX)
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789_") == n;
}

/* A path a client gives: non-empty, no longer than PATH_MAX. */
static int check_path(const char *schema, const char *field, const char *p,
		      char *err, size_t len)
{
	if (p && (!p[0] || strlen(p) >= 4096))
		return bad(err, len, "%s: field '%s' must be a path of 1 to "
			   "4095 bytes", schema, field);
	return 0;
}

/* The body's id must be valid and match the URL's. */
static int check_id(const char *schema, const char *field, const char *id,
		    const char *path_id, char *err, size_t len)
{
	if (!api_valid_id(id))
		return bad(err, len, "%s: %s '%.80s' must be 1 to %d letters, "
			   "digits or '_'", schema, field, id, API_ID_MAX);
	if (path_id && strcmp(id, path_id))
		return bad(err, len, "%s: %s '%s' does not match the path's "
			   "'%.80s'", schema, field, id, path_id);
	return 0;
}

/* A string member that must be one of names[] (compared case-insensitively
 * when icase); returns its index or -1 when absent. */
static int jv_enum(const json_t *j, const char *schema, const char *field,
		   const char *const *names, size_t n, bool icase, int *out,
		   char *err, size_t len)
{
	const char *s = jv_str(j, field);

	*out = -1;
	if (!s)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (icase ? !strcasecmp(s, names[i]) : !strcmp(s, names[i])) {
			*out = (int)i;
			return 0;
		}
	}
	return bad(err, len, "%s: field '%s': unknown value '%.64s'", schema,
		   field, s);
}

int api_parse_boot_source(const json_t *j, struct vmm_boot_source *r,
			  char *err, size_t len)
{
	static const struct jfield f[] = {
		F("kernel_image_path", J_STRING, REQ),
		F("initrd_path", J_STRING),
		F("boot_args", J_STRING),
	};
	int ret;

	if ((ret = jv_check(j, "BootSource", f, COUNT(f), err, len)))
		return ret;
	r->kernel = jv_str(j, "kernel_image_path");
	r->initrd = jv_str(j, "initrd_path");
	r->boot_args = jv_str(j, "boot_args");
	if ((ret = check_path("BootSource", "kernel_image_path", r->kernel, err,
			      len)) ||
	    (ret = check_path("BootSource", "initrd_path", r->initrd, err, len)))
		return ret;
	if (r->boot_args && strlen(r->boot_args) >= 65536)
		return bad(err, len, "BootSource: boot_args is longer than the "
			   "64 KiB the guest can take");
	return 0;
}

int api_parse_machine(const json_t *j, bool put, struct vmm_machine *r,
		      char *err, size_t len)
{
	static const char *const templates[] = { "None", "C3", "T2", "T2S",
						 "T2CL", "T2A", "V1N1" };
	static const char *const huge[] = { "None", "Transparent", "2M" };
	const struct jfield f[] = {
		F("vcpu_count", J_UINT, .required = put, RANGE(1, VMM_MAX_VCPUS)),
		F("mem_size_mib", J_UINT, .required = put,
		  RANGE(VMM_MIN_MEM_MIB, VMM_MAX_MEM_MIB)),
		F("smt", J_BOOL),
		F("track_dirty_pages", J_BOOL),
		F("cpu_template", J_STRING),
		F("huge_pages", J_STRING),
	};
	const char *s = "MachineConfiguration";
	int ret, t, h;

	if ((ret = jv_check(j, s, f, COUNT(f), err, len)) ||
	    (ret = jv_enum(j, s, "cpu_template", templates, COUNT(templates),
			   false, &t, err, len)) ||
	    (ret = jv_enum(j, s, "huge_pages", huge, COUNT(huge), false, &h,
			   err, len)))
		return ret;
	if (jv_bool(j, "smt", false))
		return bad(err, len, "%s: smt: vmon does not support SMT "
			   "topologies (one thread per core)", s);
	if (t > 0)
		return bad(err, len, "%s: cpu_template %s: vmon does not "
			   "support CPU templates", s, templates[t]);
	if (h > 0)
		return bad(err, len, "%s: huge_pages %s: vmon does not support "
			   "huge pages for guest memory", s, huge[h]);
	r->has_vcpus = jv_get(j, "vcpu_count") != NULL;
	r->has_mem = jv_get(j, "mem_size_mib") != NULL;
	r->has_track = jv_get(j, "track_dirty_pages") != NULL;
	r->track_dirty = jv_bool(j, "track_dirty_pages", false);
	r->vcpus = (unsigned int)jv_uint(j, "vcpu_count", 1);
	r->mem_mib = jv_uint(j, "mem_size_mib", VMM_DEFAULT_MEM_MIB);
	return 0;
}

int api_parse_drive(const json_t *j, const char *path_id,
		    struct vmm_drive_req *r, char *err, size_t len)
{
	static const char *const caches[] = { "Unsafe", "Writeback" };
	static const char *const engines[] = { "Sync", "Async" };
	static const struct jfield f[] = {
		F("drive_id", J_STRING, REQ),
		F("partuuid", J_STRING),
		F("is_root_device", J_BOOL, REQ),
		F("cache_type", J_STRING),
		F("is_read_only", J_BOOL),
		F("path_on_host", J_STRING),
		F("rate_limiter", J_OBJECT),
		F("io_engine", J_STRING),
		F("socket", J_STRING, NOT(
		  "vhost-user block devices are not supported by vmon")),
	};
	int ret, c, e;

	if ((ret = jv_check(j, "Drive", f, COUNT(f), err, len)) ||
	    (ret = jv_enum(j, "Drive", "cache_type", caches, 2, false, &c, err,
			   len)) ||
	    (ret = jv_enum(j, "Drive", "io_engine", engines, 2, false, &e, err,
			   len)))
		return ret;
	r->id = jv_str(j, "drive_id");
	r->path = jv_str(j, "path_on_host");
	r->partuuid = jv_str(j, "partuuid");
	r->root = jv_bool(j, "is_root_device", false);
	r->read_only = jv_bool(j, "is_read_only", false);
	r->cache = c == 1 ? DISK_CACHE_WRITEBACK : DISK_CACHE_UNSAFE;
	if ((ret = check_id("Drive", "drive_id", r->id, path_id, err, len)) ||
	    (ret = api_parse_rate_limiter(j, "rate_limiter", &r->limit, err,
					  len)))
		return ret;
	if (e == 1)
		return bad(err, len, "Drive: io_engine Async: vmon does not "
			   "support asynchronous (io_uring) block I/O");
	if (!r->path)
		return bad(err, len, "Drive: missing field 'path_on_host'");
	if ((ret = check_path("Drive", "path_on_host", r->path, err, len)))
		return ret;
	if (r->partuuid && (!r->partuuid[0] || strlen(r->partuuid) > 64 ||
			    strpbrk(r->partuuid, " \t\"")))
		return bad(err, len, "Drive: partuuid must be 1 to 64 "
			   "characters without spaces");
	return 0;
}

int api_parse_drive_patch(const json_t *j, const char *path_id,
			  const char **path, struct rate_limiter_patch *limit,
			  char *err, size_t len)
{
	static const struct jfield f[] = {
		F("drive_id", J_STRING, REQ),
		F("path_on_host", J_STRING),
		F("rate_limiter", J_OBJECT),
	};
	int ret;

	if ((ret = jv_check(j, "PartialDrive", f, COUNT(f), err, len)) ||
	    (ret = check_id("PartialDrive", "drive_id", jv_str(j, "drive_id"),
			    path_id, err, len)) ||
	    (ret = api_parse_rate_limiter_patch(j, "rate_limiter", limit, err,
						len)))
		return ret;
	*path = jv_str(j, "path_on_host");
	return check_path("PartialDrive", "path_on_host", *path, err, len);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	int n = 0;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &n) != 6 || n != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		/* sscanf's %x takes signs and spaces: insist on hex digits. */
		if (!strchr("0123456789abcdefABCDEF", s[i * 3]) ||
		    !strchr("0123456789abcdefABCDEF", s[i * 3 + 1]) ||
		    (i < 5 && s[i * 3 + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

int api_parse_net(const json_t *j, const char *path_id, struct vmm_net_req *r,
		  char *err, size_t len)
{
	static const struct jfield f[] = {
		F("iface_id", J_STRING, REQ),
		F("host_dev_name", J_STRING, REQ),
		F("guest_mac", J_STRING),
		F("mtu", J_UINT, NOT(
		  "vmon's network device does not advertise an MTU")),
		F("rx_rate_limiter", J_OBJECT),
		F("tx_rate_limiter", J_OBJECT),
	};
	const char *mac;
	int ret;

	if ((ret = jv_check(j, "NetworkInterface", f, COUNT(f), err, len)))
		return ret;
	memset(r, 0, sizeof(*r));
	r->id = jv_str(j, "iface_id");
	r->tap = jv_str(j, "host_dev_name");
	if ((ret = check_id("NetworkInterface", "iface_id", r->id, path_id,
			    err, len)) ||
	    (ret = api_parse_rate_limiter(j, "rx_rate_limiter", &r->rx_limit,
					  err, len)) ||
	    (ret = api_parse_rate_limiter(j, "tx_rate_limiter", &r->tx_limit,
					  err, len)))
		return ret;
	/* IFNAMSIZ is 16 with the NUL. */
	if (!r->tap[0] || strlen(r->tap) > 15 || strpbrk(r->tap, "/: \t"))
		return bad(err, len, "NetworkInterface: host_dev_name must be "
			   "a network interface name of 1 to 15 characters");
	mac = jv_str(j, "guest_mac");
	if (mac) {
		if (parse_mac(mac, r->mac))
			return bad(err, len, "NetworkInterface: guest_mac "
				   "'%.32s' is not like 06:00:ac:10:00:02", mac);
		if (r->mac[0] & 1)
			return bad(err, len, "NetworkInterface: guest_mac "
				   "must be a unicast address");
		r->has_mac = true;
	}
	return 0;
}

int api_parse_net_patch(const json_t *j, const char *path_id,
			struct rate_limiter_patch *rx,
			struct rate_limiter_patch *tx, char *err, size_t len)
{
	static const struct jfield f[] = {
		F("iface_id", J_STRING, REQ),
		F("rx_rate_limiter", J_OBJECT),
		F("tx_rate_limiter", J_OBJECT),
	};
	int ret;

	if ((ret = jv_check(j, "PartialNetworkInterface", f, COUNT(f), err,
			    len)) ||
	    (ret = check_id("PartialNetworkInterface", "iface_id",
			    jv_str(j, "iface_id"), path_id, err, len)) ||
	    (ret = api_parse_rate_limiter_patch(j, "rx_rate_limiter", rx, err,
						len)))
		return ret;
	return api_parse_rate_limiter_patch(j, "tx_rate_limiter", tx, err, len);
}

int api_parse_vsock(const json_t *j, struct vmm_vsock_req *r, char *err,
		    size_t len)
{
	static const struct jfield f[] = {
		F("guest_cid", J_UINT, REQ, RANGE(3, UINT32_MAX)),
		F("uds_path", J_STRING, REQ),
		F("vsock_id", J_STRING),
	};
	int ret;

	if ((ret = jv_check(j, "Vsock", f, COUNT(f), err, len)))
		return ret;
	r->cid = (uint32_t)jv_uint(j, "guest_cid", 3);
	r->uds_path = jv_str(j, "uds_path");
	r->vsock_id = jv_str(j, "vsock_id");
	/* Room for "_PORT" after it in a sockaddr_un (108 bytes). */
	if (!r->uds_path[0] || strlen(r->uds_path) > 96)
		return bad(err, len, "Vsock: uds_path must be 1 to 96 bytes "
			   "(a Unix socket path, with room for _PORT)");
	if (r->vsock_id && strlen(r->vsock_id) > API_ID_MAX)
		return bad(err, len, "Vsock: vsock_id is too long");
	return 0;
}

/* A TokenBucket: size and refill_time required, one_time_burst not. */
static int parse_bucket(const json_t *j, const char *name,
			struct tbucket_config *out, char *err, size_t len)
{
	static const struct jfield f[] = {
		F("size", J_UINT, REQ, RANGE(0, TBUCKET_MAX_TOKENS)),
		F("one_time_burst", J_UINT, RANGE(0, TBUCKET_MAX_TOKENS)),
		F("refill_time", J_UINT, REQ, RANGE(0, TBUCKET_MAX_REFILL_MS)),
	};
	const json_t *b = jv_get(j, name);
	char schema[48];
	int ret;

	*out = (struct tbucket_config){ 0 };
	if (!b)
		return 0;
	snprintf(schema, sizeof(schema), "TokenBucket (%s)", name);
	if ((ret = jv_check(b, schema, f, COUNT(f), err, len)))
		return ret;
	out->size = jv_uint(b, "size", 0);
	out->one_time_burst = jv_uint(b, "one_time_burst", 0);
	out->refill_ms = jv_uint(b, "refill_time", 0);
	return 0;
}

int api_parse_rate_limiter(const json_t *j, const char *field,
			   struct rate_limiter_config *out, char *err,
			   size_t len)
{
	static const struct jfield f[] = {
		F("bandwidth", J_OBJECT),
		F("ops", J_OBJECT),
	};
	const json_t *rl = jv_get(j, field);
	int ret;

	*out = (struct rate_limiter_config){ 0 };
	if (!rl)
		return 0;
	if ((ret = jv_check(rl, "RateLimiter", f, COUNT(f), err, len)) ||
	    (ret = parse_bucket(rl, "bandwidth", &out->bytes, err, len)) ||
	    (ret = parse_bucket(rl, "ops", &out->ops, err, len)))
		return ret;
	return 0;
}

int api_parse_rate_limiter_patch(const json_t *j, const char *field,
				 struct rate_limiter_patch *out, char *err,
				 size_t len)
{
	const json_t *rl = jv_get(j, field);
	int ret;

	*out = (struct rate_limiter_patch){ 0 };
	if ((ret = api_parse_rate_limiter(j, field, &out->cfg, err, len)))
		return ret;
	/* Firecracker's BucketUpdate: a bucket absent (or null) is kept. */
	out->bytes = rl && jv_get(rl, "bandwidth");
	out->ops = rl && jv_get(rl, "ops");
	return 0;
}

int api_parse_entropy(const json_t *j, struct rate_limiter_config *limit,
		      char *err, size_t len)
{
	static const struct jfield f[] = {
		F("rate_limiter", J_OBJECT),
	};
	int ret = jv_check(j, "EntropyDevice", f, COUNT(f), err, len);

	return ret ? ret :
		     api_parse_rate_limiter(j, "rate_limiter", limit, err, len);
}

int api_parse_balloon(const json_t *j, struct balloon_config *r, char *err,
		      size_t len)
{
	static const struct jfield f[] = {
		F("amount_mib", J_UINT, REQ, RANGE(0, UINT32_MAX)),
		F("deflate_on_oom", J_BOOL, REQ),
		F("stats_polling_interval_s", J_UINT, RANGE(0, UINT32_MAX)),
		F("free_page_hinting", J_BOOL),
		F("free_page_reporting", J_BOOL),
	};
	uint64_t interval;
	int ret;

	if ((ret = jv_check(j, "Balloon", f, COUNT(f), err, len)))
		return ret;
	if (jv_bool(j, "free_page_hinting", false) ||
	    jv_bool(j, "free_page_reporting", false))
		return bad(err, len, "Balloon: vmon does not support free page "
			   "hinting or reporting");
	interval = jv_uint(j, "stats_polling_interval_s", 0);
	*r = (struct balloon_config){
		.enabled = true,
		.target_mib = (uint32_t)jv_uint(j, "amount_mib", 0),
		.deflate_on_oom = jv_bool(j, "deflate_on_oom", false),
		.stats_interval_s = (uint32_t)interval,
	};
	return 0;
}

int api_parse_balloon_update(const json_t *j, uint32_t *amount_mib, char *err,
			     size_t len)
{
	static const struct jfield f[] = {
		F("amount_mib", J_UINT, REQ, RANGE(0, UINT32_MAX)),
	};
	int ret = jv_check(j, "BalloonUpdate", f, COUNT(f), err, len);

	*amount_mib = (uint32_t)jv_uint(j, "amount_mib", 0);
	return ret;
}

int api_parse_balloon_stats_update(const json_t *j, uint32_t *interval_s,
				   char *err, size_t len)
{
	static const struct jfield f[] = {
		F("stats_polling_interval_s", J_UINT, REQ, RANGE(0, UINT32_MAX)),
	};
	int ret = jv_check(j, "BalloonStatsUpdate", f, COUNT(f), err, len);

	*interval_s = (uint32_t)jv_uint(j, "stats_polling_interval_s", 0);
	return ret;
}

int api_parse_serial(const json_t *j, const char **path, char *err,
		     size_t len)
{
	static const struct jfield f[] = {
		F("serial_out_path", J_STRING),
		F("rate_limiter", J_OBJECT, NOT(
		  "vmon does not rate-limit the serial console")),
	};
	int ret;

	if ((ret = jv_check(j, "SerialDevice", f, COUNT(f), err, len)))
		return ret;
	*path = jv_str(j, "serial_out_path");
	return check_path("SerialDevice", "serial_out_path", *path, err, len);
}

int api_parse_level(const char *s, enum log_level *level)
{
	static const struct {
		const char *name;
		enum log_level level;
	} levels[] = {
		{ "Error", LOG_ERROR }, { "Warning", LOG_WARN },
		{ "Warn", LOG_WARN }, { "Info", LOG_INFO },
		{ "Debug", LOG_DEBUG }, { "Trace", LOG_DEBUG },
		{ "Off", LOG_OFF },
	};

	for (size_t i = 0; i < COUNT(levels); i++) {
		if (!strcasecmp(s, levels[i].name)) {
			*level = levels[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

int api_parse_logger(const json_t *j, struct vmm_logger_req *r, char *err,
		     size_t len)
{
	static const struct jfield f[] = {
		F("level", J_STRING),
		F("log_path", J_STRING),
		F("show_level", J_BOOL),
		F("show_log_origin", J_BOOL),
		F("module", J_STRING),
	};
	const char *level;
	int ret;

	if ((ret = jv_check(j, "Logger", f, COUNT(f), err, len)))
		return ret;
	memset(r, 0, sizeof(*r));
	r->level = LOG_INFO;	/* Firecracker's default */
	level = jv_str(j, "level");
	if (level && api_parse_level(level, &r->level))
		return bad(err, len, "Logger: level '%.32s' is not one of "
			   "Error, Warning, Info, Debug, Trace, Off", level);
	r->path = jv_str(j, "log_path");
	r->show_level = jv_bool(j, "show_level", false);
	r->show_origin = jv_bool(j, "show_log_origin", false);
	r->module = jv_str(j, "module");
	if (r->module && strlen(r->module) > 60)
		return bad(err, len, "Logger: module is too long");
	return check_path("Logger", "log_path", r->path, err, len);
}

int api_parse_metrics(const json_t *j, struct vmm_metrics_req *r,
		      char **extra, char *err, size_t len)
{
	static const struct jfield f[] = {
		F("metrics_path", J_STRING, REQ),
		F("emit_id", J_BOOL),
		F("properties", J_OBJECT),
	};
	const json_t *props;
	const char *key;
	json_t *it;
	char *s;
	int ret, n = 0;

	*extra = NULL;
	if ((ret = jv_check(j, "Metrics", f, COUNT(f), err, len)))
		return ret;
	r->path = jv_str(j, "metrics_path");
	r->emit_id = jv_bool(j, "emit_id", false);
	r->extra_json = NULL;
	if ((ret = check_path("Metrics", "metrics_path", r->path, err, len)))
		return ret;
	props = jv_get(j, "properties");
	if (!props)
		return 0;
	json_object_foreach((json_t *)props, key, it) {
		if (!json_is_string(it))
			return bad(err, len, "Metrics: properties.%.64s must be "
				   "a string", key);
		if (++n > 32)
			return bad(err, len, "Metrics: at most 32 properties");
	}
	s = jv_compact(props);
	if (!s || asprintf(extra, "\"properties\":%s,", s) < 0)
		*extra = NULL;
	free(s);
	if (!*extra)
		return bad(err, len, "out of memory");
	r->extra_json = *extra;
	return 0;
}

int api_parse_action(const json_t *j, enum api_action *a, char *err,
		     size_t len)
{
	static const char *const names[] = { "FlushMetrics", "InstanceStart",
					     "SendCtrlAltDel" };
	static const struct jfield f[] = {
		F("action_type", J_STRING, REQ),
	};
	int ret, i;

	if ((ret = jv_check(j, "InstanceActionInfo", f, COUNT(f), err, len)) ||
	    (ret = jv_enum(j, "InstanceActionInfo", "action_type", names, 3,
			   false, &i, err, len)))
		return ret;
	*a = (enum api_action)i;
	return 0;
}

int api_parse_vm_state(const json_t *j, bool *pause, char *err, size_t len)
{
	static const char *const names[] = { "Paused", "Resumed" };
	static const struct jfield f[] = { F("state", J_STRING, REQ) };
	int ret, i;

	if ((ret = jv_check(j, "Vm", f, COUNT(f), err, len)) ||
	    (ret = jv_enum(j, "Vm", "state", names, 2, false, &i, err, len)))
		return ret;
	*pause = i == 0;
	return 0;
}

int api_parse_snapshot_create(const json_t *j, struct vmm_snapshot_req *r,
			      char *err, size_t len)
{
	static const struct jfield f[] = {
		F("snapshot_path", J_STRING, REQ),
		F("mem_file_path", J_STRING, REQ),
		F("snapshot_type", J_STRING),
		F("version", J_STRING),	/* older Firecrackers; one format here */
	};
	const char *type;
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = jv_check(j, "SnapshotCreateParams", f, COUNT(f), err, len)))
		return ret;
	r->state_path = jv_str(j, "snapshot_path");
	r->mem_path = jv_str(j, "mem_file_path");
	type = jv_str(j, "snapshot_type");
	if (type && strcmp(type, "Full") && strcmp(type, "Diff"))
		return bad(err, len, "SnapshotCreateParams: snapshot_type '%s' "
			   "is not Full or Diff", type);
	r->diff = type && !strcmp(type, "Diff");
	if ((ret = check_path("SnapshotCreateParams", "snapshot_path",
			      r->state_path, err, len)) ||
	    (ret = check_path("SnapshotCreateParams", "mem_file_path",
			      r->mem_path, err, len)))
		return ret;
	if (!strcmp(r->state_path, r->mem_path))
		return bad(err, len, "SnapshotCreateParams: snapshot_path and "
			   "mem_file_path are the same file");
	return 0;
}

int api_parse_snapshot_load(const json_t *j, struct vmm_snapshot_req *r,
			    char *err, size_t len)
{
	static const struct jfield f[] = {
		F("snapshot_path", J_STRING, REQ),
		F("mem_file_path", J_STRING),
		F("mem_backend", J_OBJECT),
		F("enable_diff_snapshots", J_BOOL),
		F("track_dirty_pages", J_BOOL),
		F("resume_vm", J_BOOL),
		F("network_overrides", J_ARRAY, NOT("not supported yet: interfaces come back on the TAP devices the snapshot names")),
		F("vsock_override", J_OBJECT, NOT("not supported yet: vsock comes back on the snapshot's uds_path")),
		F("clock_realtime", J_BOOL),
		F("huge_pages", J_STRING),
	};
	static const struct jfield bf[] = {
		F("backend_type", J_STRING, REQ),
		F("backend_path", J_STRING, REQ),
	};
	const json_t *b;
	const char *type;
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = jv_check(j, "SnapshotLoadParams", f, COUNT(f), err, len)))
		return ret;
	r->state_path = jv_str(j, "snapshot_path");
	r->mem_path = jv_str(j, "mem_file_path");
	b = jv_get(j, "mem_backend");
	/* Exactly one of them (Firecracker's rule). */
	if (!!b == !!r->mem_path)
		return bad(err, len, "SnapshotLoadParams: give either "
			   "mem_backend or the older mem_file_path, not %s",
			   b ? "both" : "neither");
	if (b) {
		if ((ret = jv_check(b, "MemoryBackend", bf, COUNT(bf), err,
				    len)))
			return ret;
		type = jv_str(b, "backend_type");
		if (!strcmp(type, "Uffd"))
			return bad(err, len, "MemoryBackend: backend_type Uffd "
				   "is not supported: vmon maps a File");
		if (strcmp(type, "File"))
			return bad(err, len, "MemoryBackend: backend_type '%s' "
				   "is not File or Uffd", type);
		r->mem_path = jv_str(b, "backend_path");
	}
	r->diff = jv_bool(j, "enable_diff_snapshots", false) ||
		  jv_bool(j, "track_dirty_pages", false);
	r->resume = jv_bool(j, "resume_vm", false);
	type = jv_str(j, "huge_pages");
	if (type && strcmp(type, "Snapshot") && strcmp(type, "None"))
		return bad(err, len, "SnapshotLoadParams: huge_pages '%s': "
			   "a restore maps the memory file in ordinary pages "
			   "(Snapshot or None)", type);
	if (jv_bool(j, "clock_realtime", false))
		return bad(err, len, "SnapshotLoadParams: field "
			   "'clock_realtime': not supported yet");
	if ((ret = check_path("SnapshotLoadParams", "snapshot_path",
			      r->state_path, err, len)) ||
	    (ret = check_path("SnapshotLoadParams", "mem_file_path",
			      r->mem_path, err, len)))
		return ret;
	return 0;
}

int api_parse_migration_send(const json_t *j, struct vmm_migration_req *r,
			     char *err, size_t len)
{
	static const struct jfield f[] = {
		F("destination_url", J_STRING, REQ),
		F("downtime_ms", J_UINT, RANGE(1, 60000)),
		F("local", J_BOOL),
	};
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = jv_check(j, "SendMigrationData", f, COUNT(f), err, len)))
		return ret;
	if (jv_bool(j, "local", false))
		return bad(err, len, "SendMigrationData: local: migration by "
			   "handing over the memory file descriptor is not "
			   "supported; use a unix: URL and local false");
	r->url = jv_str(j, "destination_url");
	r->downtime_ms = (uint32_t)jv_uint(j, "downtime_ms",
					   VMM_MIG_DOWNTIME_MS);
	return 0;
}

int api_parse_migration_receive(const json_t *j,
				struct vmm_migration_req *r, char *err,
				size_t len)
{
	static const struct jfield f[] = {
		F("receiver_url", J_STRING, REQ),
	};
	int ret;

	memset(r, 0, sizeof(*r));
	if ((ret = jv_check(j, "ReceiveMigrationData", f, COUNT(f), err,
			    len)))
		return ret;
	r->url = jv_str(j, "receiver_url");
	return 0;
}
