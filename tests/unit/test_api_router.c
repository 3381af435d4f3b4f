// SPDX-License-Identifier: MIT
/*
 * Unit tests for the API router and handlers, with the VMM called
 * directly (no threads, no KVM): every route and method of the contract,
 * 404 and 405, the pinned answers for features vmon lacks, the error
 * shape, and Ctrl+Alt+Del's scancodes reaching the i8042.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/router.h"
#include "hw/i8042.h"
#include "vmm/vmm.h"

static int direct_call(struct vmm *v, int (*fn)(void *), void *arg)
{
	return fn(arg);
}

struct fixture {
	struct vmm vmm;
	struct api_ctx ctx;
	struct api_metrics metrics;
	struct api_response r;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || vmm_init(&f->vmm, NULL))
		return -1;
	f->ctx = (struct api_ctx){ .vmm = &f->vmm, .call = direct_call,
				   .metrics = &f->metrics };
	api_metrics_init(&f->metrics, &f->vmm.metrics);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->r.body);
	vmm_destroy(&f->vmm);
	free(f);
	return 0;
}

/* Send one request; returns the status, f->r.body holds the body. */
static int req(struct fixture *f, enum http_method m, const char *path,
	       const char *body)
{
	free(f->r.body);
	api_dispatch(&f->ctx, m, path, body, body ? strlen(body) : 0, &f->r);
	return f->r.status;
}

static void expect_fault(struct fixture *f, const char *needle)
{
	json_t *j = json_loads(f->r.body, 0, NULL);
	const char *m = json_string_value(json_object_get(j, "fault_message"));

	assert_non_null(m);
	assert_int_equal(json_object_size(j), 1);
	if (!strstr(m, needle))
		fail_msg("'%s' not in '%s'", needle, m);
	json_decref(j);
}

static void every_route_answers(void **state)
{
	struct fixture *f = *state;
	char path[128];

	assert_int_equal(api_nr_routes(), 29);
	for (unsigned int i = 0; i < api_nr_routes(); i++) {
		const char *t = api_route_template(i), *brace = strchr(t, '{');

		if (brace)
			snprintf(path, sizeof(path), "%.*sx", (int)(brace - t),
				 t);
		else
			snprintf(path, sizeof(path), "%s", t);
		for (int m = HTTP_GET; m <= HTTP_OPTIONS; m++) {
			int st = req(f, (enum http_method)m, path, "{}");

			/* Every answer is a status and a JSON body. */
			assert_true(st == 200 || st == 204 || st == 400 ||
				    st == 405);
			if (st == 405)
				assert_non_null(f->r.allow);
		}
	}
}

static void not_found_and_wrong_method(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(req(f, HTTP_GET, "/nope", NULL), 404);
	expect_fault(f, "no such path: /nope");
	assert_int_equal(req(f, HTTP_GET, "/drives/a/b", NULL), 404);
	assert_int_equal(req(f, HTTP_GET, "/machine-config/", NULL), 404);
	assert_int_equal(req(f, HTTP_DELETE, "/machine-config", NULL), 405);
	assert_string_equal(f->r.allow, "Allow: GET, PUT, PATCH\r\n");
	expect_fault(f, "/machine-config takes GET, PUT, PATCH");
	assert_int_equal(req(f, HTTP_GET, "/actions", NULL), 405);
	assert_int_equal(req(f, HTTP_OTHER, "/", NULL), 405);
	assert_int_equal(req(f, HTTP_PUT, "/drives/", "{}"), 400);
	assert_int_equal(req(f, HTTP_PUT, "/drives/bad%20id", "{}"), 400);
	expect_fault(f, "the id in the path");
}

/* Pinned: replace each when vmon gains the feature. */
static void missing_features_pinned(void **state)
{
	static const struct {
		enum http_method m;
		const char *path, *what;
	} pins[] = {
		{ HTTP_GET, "/mmds", "MMDS" },
		{ HTTP_PUT, "/mmds", "MMDS" },
		{ HTTP_PATCH, "/mmds", "MMDS" },
		{ HTTP_PUT, "/mmds/config", "MMDS" },
		{ HTTP_GET, "/hotplug/memory", "memory hotplug" },
		{ HTTP_PUT, "/hotplug/memory", "memory hotplug" },
		{ HTTP_PATCH, "/hotplug/memory", "memory hotplug" },
		{ HTTP_PUT, "/pmem/p0", "virtio-pmem" },
		{ HTTP_PATCH, "/pmem/p0", "virtio-pmem" },
		{ HTTP_PUT, "/cpu-config", "CPU configuration templates" },
		{ HTTP_PATCH, "/balloon/hinting/start", "free page hinting" },
		{ HTTP_GET, "/balloon/hinting/status", "free page hinting" },
		{ HTTP_PATCH, "/balloon/hinting/stop", "free page hinting" },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		assert_int_equal(req(f, pins[i].m, pins[i].path, "{}"), 400);
		expect_fault(f, "vmon does not support");
		expect_fault(f, pins[i].what);
	}
}

static void configure_and_read_back(void **state)
{
	struct fixture *f = *state;
	json_t *j;

	assert_int_equal(req(f, HTTP_GET, "/machine-config", NULL), 200);
	assert_string_equal(f->r.body, "{\"vcpu_count\":1,\"mem_size_mib\":128,"
			    "\"smt\":false,\"track_dirty_pages\":false,"
			    "\"huge_pages\":\"None\"}");
	assert_int_equal(req(f, HTTP_PUT, "/machine-config",
			     "{\"vcpu_count\":4,\"mem_size_mib\":512}"), 204);
	assert_null(f->r.body);
	assert_int_equal(req(f, HTTP_PATCH, "/machine-config",
			     "{\"vcpu_count\":2}"), 204);
	assert_int_equal(req(f, HTTP_GET, "/machine-config", NULL), 200);
	j = json_loads(f->r.body, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(j, "vcpu_count")),
			 2);
	assert_int_equal(json_integer_value(json_object_get(j,
							    "mem_size_mib")),
			 512);
	json_decref(j);

	assert_int_equal(req(f, HTTP_PUT, "/boot-source",
			     "{\"kernel_image_path\":\"/nonexistent\"}"), 400);
	expect_fault(f, "kernel_image_path /nonexistent: No such file");
	assert_int_equal(req(f, HTTP_PUT, "/drives/rootfs",
			     "{\"drive_id\":\"rootfs\",\"path_on_host\":"
			     "\"/dev/null\",\"is_root_device\":true}"), 204);
	assert_int_equal(req(f, HTTP_PUT, "/drives/second",
			     "{\"drive_id\":\"second\",\"path_on_host\":"
			     "\"/dev/null\",\"is_root_device\":true}"), 400);
	expect_fault(f, "already the root device");
	assert_int_equal(req(f, HTTP_PUT, "/network-interfaces/eth0",
			     "{\"iface_id\":\"eth0\",\"host_dev_name\":"
			     "\"tap0\"}"), 204);
	assert_int_equal(req(f, HTTP_PUT, "/vsock", "{\"guest_cid\":3,"
			     "\"uds_path\":\"/tmp/v.sock\"}"), 204);
	assert_int_equal(req(f, HTTP_PUT, "/entropy", "{}"), 204);
	assert_int_equal(req(f, HTTP_GET, "/balloon", NULL), 400);
	assert_int_equal(req(f, HTTP_PUT, "/balloon", "{\"amount_mib\":16,"
			     "\"deflate_on_oom\":false}"), 204);
	assert_int_equal(req(f, HTTP_GET, "/balloon", NULL), 200);
	assert_non_null(strstr(f->r.body, "\"amount_mib\":16"));
	assert_int_equal(req(f, HTTP_GET, "/vm/config", NULL), 200);
	j = json_loads(f->r.body, 0, NULL);
	assert_int_equal(json_array_size(json_object_get(j, "drives")), 1);
	assert_int_equal(json_array_size(json_object_get(
				 j, "network-interfaces")), 1);
	assert_true(json_is_object(json_object_get(j, "vsock")));
	assert_true(json_is_object(json_object_get(j, "entropy")));
	json_decref(j);

	/* Run-time operations before the start. */
	assert_int_equal(req(f, HTTP_PATCH, "/vm", "{\"state\":\"Paused\"}"),
			 400);
	expect_fault(f, "not started");
	assert_int_equal(req(f, HTTP_PATCH, "/drives/rootfs",
			     "{\"drive_id\":\"rootfs\",\"path_on_host\":"
			     "\"/dev/null\"}"), 400);
	assert_int_equal(req(f, HTTP_PUT, "/actions",
			     "{\"action_type\":\"SendCtrlAltDel\"}"), 400);
	assert_int_equal(req(f, HTTP_PUT, "/actions",
			     "{\"action_type\":\"FlushMetrics\"}"), 400);
	expect_fault(f, "PUT /metrics first");
	/* Bodies: missing, malformed, not an object. */
	assert_int_equal(req(f, HTTP_PUT, "/actions", NULL), 400);
	expect_fault(f, "needs a JSON body");
	assert_int_equal(req(f, HTTP_PUT, "/actions", "{\"action_type\":"), 400);
	expect_fault(f, "malformed JSON");
	assert_int_equal(req(f, HTTP_PUT, "/actions", "\"InstanceStart\""),
			 400);
	expect_fault(f, "expected a JSON object");

	/* The API counted all that. */
	assert_true(metrics_get(&f->metrics.requests, 12) >= 4);
	assert_true(metrics_get(&f->metrics.errors, 1) >= 5);
}

static void ctrl_alt_del_scancodes(void **state)
{
	static const uint8_t want[8] = { 0x1d, 0x38, 0xe0, 0x53,
					 0xe0, 0xd3, 0xb8, 0x9d };
	struct i8042 k;

	assert_memory_equal(vmm_ctrl_alt_del_keys, want, 8);
	assert_int_equal(i8042_init(&k, NULL, NULL), 0);
	i8042_push_keys(&k, vmm_ctrl_alt_del_keys,
			sizeof(vmm_ctrl_alt_del_keys));
	/* The guest reads them from the data port, in order. */
	for (int i = 0; i < 8; i++) {
		uint8_t status = 0, v = 0;

		i8042_cmd_io(&k, 0, &status, 1, false);
		assert_true(status & I8042_STATUS_OBF);
		i8042_data_io(&k, 0, &v, 1, false);
		assert_int_equal(v, want[i]);
	}
	i8042_destroy(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_route_answers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(not_found_and_wrong_method,
						setup, teardown),
		cmocka_unit_test_setup_teardown(missing_features_pinned, setup,
						teardown),
		cmocka_unit_test_setup_teardown(configure_and_read_back, setup,
						teardown),
		cmocka_unit_test(ctrl_alt_del_scancodes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
