// SPDX-License-Identifier: MIT
#include "api/config_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/requests.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define F(n, t, ...)	{ .name = (n), .type = (t), __VA_ARGS__ }
#define NOT(why)	.unsupported = (why)

/* Prefix the message the step left in err with where it happened. */
static int where(int ret, const char *section, int index, char *err,
		 size_t len)
{
	char msg[512];

	if (!ret)
		return 0;
	snprintf(msg, sizeof(msg), "%s", err);
	if (index >= 0)
		snprintf(err, len, "%s[%d]: %s", section, index, msg);
	else
		snprintf(err, len, "%s: %s", section, msg);
	return ret;
}

static int apply_drives(struct vmm *v, const json_t *a, char *err, size_t len)
{
	const json_t *it;
	size_t i;
	int ret;

	json_array_foreach(a, i, it) {
		struct vmm_drive_req r;

		ret = api_parse_drive(it, NULL, &r, err, len);
		if (!ret)
			ret = vmm_put_drive(v, &r, err, len);
		if (where(ret, "drives", (int)i, err, len))
			return ret;
	}
	return 0;
}

static int apply_nets(struct vmm *v, const json_t *a, char *err, size_t len)
{
	const json_t *it;
	size_t i;
	int ret;

	json_array_foreach(a, i, it) {
		struct vmm_net_req r;

		ret = api_parse_net(it, NULL, &r, err, len);
		if (!ret)
			ret = vmm_put_net(v, &r, err, len);
		if (where(ret, "network-interfaces", (int)i, err, len))
			return ret;
	}
	return 0;
}

/* Each section parsed and applied like its API request. */
static int apply_section(struct vmm *v, const char *name, const json_t *j,
			 char *err, size_t len)
{
	int ret;

	if (!strcmp(name, "logger")) {
		struct vmm_logger_req r;

		if ((ret = api_parse_logger(j, &r, err, len)))
			return ret;
		return vmm_put_logger(v, &r, err, len);
	}
	if (!strcmp(name, "metrics")) {
		struct vmm_metrics_req r;
		char *extra;

		ret = api_parse_metrics(j, &r, &extra, err, len);
		if (!ret)
			ret = vmm_put_metrics(v, &r, err, len);
		free(extra);
		return ret;
	}
	if (!strcmp(name, "machine-config")) {
		struct vmm_machine r;

		if ((ret = api_parse_machine(j, true, &r, err, len)))
			return ret;
		r.has_vcpus = r.has_mem = r.has_track = true;
		return vmm_set_machine(v, &r, err, len);
	}
	if (!strcmp(name, "boot-source")) {
		struct vmm_boot_source r;

		if ((ret = api_parse_boot_source(j, &r, err, len)))
			return ret;
		return vmm_set_boot_source(v, &r, err, len);
	}
	if (!strcmp(name, "drives"))
		return apply_drives(v, j, err, len);
	if (!strcmp(name, "network-interfaces"))
		return apply_nets(v, j, err, len);
	if (!strcmp(name, "vsock")) {
		struct vmm_vsock_req r;

		if ((ret = api_parse_vsock(j, &r, err, len)))
			return ret;
		return vmm_put_vsock(v, &r, err, len);
	}
	if (!strcmp(name, "entropy")) {
		struct rate_limiter_config limit;

		if ((ret = api_parse_entropy(j, &limit, err, len)))
			return ret;
		return vmm_put_entropy(v, &limit, err, len);
	}
	if (!strcmp(name, "balloon")) {
		struct balloon_config r;

		if ((ret = api_parse_balloon(j, &r, err, len)))
			return ret;
		return vmm_put_balloon(v, &r, err, len);
	}
	return 0;
}

int api_config_apply(struct vmm *v, const char *text, size_t len, char *err,
		     size_t elen)
{
	/* In the order the sections depend on each other. */
	static const char *const order[] = {
		"logger", "metrics", "machine-config", "boot-source", "drives",
		"network-interfaces", "vsock", "entropy", "balloon",
	};
	static const struct jfield f[] = {
		F("boot-source", J_OBJECT, .required = true),
		F("drives", J_ARRAY),
		F("machine-config", J_OBJECT),
		F("cpu-config", J_OBJECT,
		  NOT("vmon does not support CPU configuration templates")),
		F("balloon", J_OBJECT),
		F("network-interfaces", J_ARRAY),
		F("vsock", J_OBJECT),
		F("logger", J_OBJECT),
		F("metrics", J_OBJECT),
		F("mmds-config", J_OBJECT,
		  NOT("vmon does not support MMDS")),
		F("entropy", J_OBJECT),
		F("pmem", J_ARRAY),
		F("memory-hotplug", J_OBJECT,
		  NOT("vmon does not support memory hotplug")),
	};
	json_t *j = jv_parse_body(text, len, err, elen);
	int ret = -EINVAL;

	if (!j)
		return ret;
	if ((ret = jv_check(j, "config file", f, COUNT(f), err, elen)))
		goto out;
	if (json_array_size(jv_get(j, "pmem")) > 0) {
		snprintf(err, elen, "pmem: vmon does not support virtio-pmem "
			 "devices");
		ret = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < COUNT(order); i++) {
		const json_t *s = jv_get(j, order[i]);

		if (s && (ret = where(apply_section(v, order[i], s, err, elen),
				      order[i], -1, err, elen)))
			goto out;
	}
	ret = 0;
out:
	json_decref(j);
	return ret;
}

int api_config_file(struct vmm *v, const char *path, char *err, size_t elen)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, elen, "config file %s: %s", path, strerror(errno));
		return ret;
	}
	buf = malloc(API_CONFIG_MAX + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while ((n = read(fd, buf + len, API_CONFIG_MAX + 1 - len)) > 0 &&
	       len + (size_t)n <= API_CONFIG_MAX)
		len += (size_t)n;
	close(fd);
	if (n != 0) {
		snprintf(err, elen, "config file %s: %s", path, n < 0 ?
			 strerror(errno) : "larger than 1 MiB");
		free(buf);
		return n < 0 ? -EIO : -EFBIG;
	}
	ret = api_config_apply(v, buf, len, err, elen);
	free(buf);
	return ret;
}
