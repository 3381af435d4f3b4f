// SPDX-License-Identifier: MIT
/*
 * Unit tests for the API's JSON to configuration mapping (guest-input.md
 * 23-24): each schema's fields, types and ranges, the VMM's lifecycle
 * rules before the start, GET bodies, and the config file.  No KVM needed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/config_file.h"
#include "api/describe.h"
#include "api/requests.h"
#include "vmm/vmm.h"

static char err[512];

static json_t *js(const char *s)
{
	json_t *j = jv_parse_body(s, strlen(s), err, sizeof(err));

	assert_non_null(j);
	return j;
}

/* Parse s as a machine config (PUT); 0 or -EINVAL with err set. */
static int machine(const char *s, struct vmm_machine *m)
{
	json_t *j = js(s);
	int ret = api_parse_machine(j, true, m, err, sizeof(err));

	json_decref(j);
	return ret;
}

static void expect_err(int ret, const char *needle)
{
	assert_int_equal(ret, -EINVAL);
	if (!strstr(err, needle))
		fail_msg("'%s' not in '%s'", needle, err);
}

static void body_syntax(void **state)
{
	json_t *j;

	assert_null(jv_parse_body("", 0, err, sizeof(err)));
	assert_non_null(strstr(err, "needs a JSON body"));
	assert_null(jv_parse_body("{", 1, err, sizeof(err)));
	assert_non_null(strstr(err, "malformed JSON"));
	assert_null(jv_parse_body("{} {}", 5, err, sizeof(err)));
	assert_non_null(strstr(err, "trailing data"));
	assert_string_equal(err, "trailing data after the JSON value at byte 3");
	j = jv_parse_body("{}\r\n ", 5, err, sizeof(err));
	assert_non_null(j);
	json_decref(j);
	/* Only UTF-8, and no NUL in strings (it would cut a path short). */
	assert_null(jv_parse_body("{\"a\":\"\xff\"}", 9, err, sizeof(err)));
	assert_non_null(strstr(err, "malformed JSON"));
	assert_null(jv_parse_body("{\"a\":\"x\\u0000\"}", 15, err, sizeof(err)));
	assert_non_null(strstr(err, "malformed JSON"));
	assert_null(jv_parse_body("{}\0", 3, err, sizeof(err)));
	assert_non_null(strstr(err, "trailing data"));
}

/* What answers carry is valid UTF-8 even when vmon's strings are not. */
static void answer_strings(void **state)
{
	json_t *j = json_object();
	char *s;

	/* A cut sequence, a byte that starts none, a surrogate. */
	json_object_set_new(j, "a",
			    jv_text("caf\xc3\xa9 \xff\xc3x\xed\xa0\x80"));
	json_object_set_new(j, "b", jv_u64(UINT64_MAX));
	json_object_set_new(j, "c", jv_u64(7));
	s = jv_compact(j);
	assert_string_equal(s, "{\"a\":\"caf\xc3\xa9 ??x???\",\"b\":"
			    "1.8446744073709552e19,\"c\":7}");
	free(s);
	json_decref(j);
}

static void machine_config_fields(void **state)
{
	struct vmm_machine m;
	const char *s;

	assert_int_equal(machine("{\"vcpu_count\":2,\"mem_size_mib\":1024,"
				 "\"smt\":false,\"track_dirty_pages\":false,"
				 "\"huge_pages\":\"None\",\"cpu_template\":"
				 "\"None\"}", &m), 0);
	assert_int_equal(m.vcpus, 2);
	assert_int_equal(m.mem_mib, 1024);
	assert_true(m.has_track && !m.track_dirty);
	assert_int_equal(machine("{\"vcpu_count\":1,\"mem_size_mib\":64,"
				 "\"track_dirty_pages\":true}", &m), 0);
	assert_true(m.has_track && m.track_dirty);
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":64,"
			   "\"track_dirty_pages\":1}", &m),
		   "'track_dirty_pages' must be a boolean");
	expect_err(machine("{\"vcpu_count\":2}", &m),
		   "missing field 'mem_size_mib'");
	expect_err(machine("{\"vcpu_count\":0,\"mem_size_mib\":128}", &m),
		   "'vcpu_count' must be an integer from 1 to 32, not 0");
	expect_err(machine("{\"vcpu_count\":33,\"mem_size_mib\":128}", &m),
		   "vcpu_count");
	expect_err(machine("{\"vcpu_count\":-1,\"mem_size_mib\":128}", &m),
		   "not -1");
	expect_err(machine("{\"vcpu_count\":1.5,\"mem_size_mib\":128}", &m),
		   "vcpu_count");
	expect_err(machine("{\"vcpu_count\":\"2\",\"mem_size_mib\":128}", &m),
		   "'vcpu_count' must be an integer");
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":0}", &m),
		   "'mem_size_mib' must be an integer from 4 to 1048576, not 0");
	/* 2^64 and a MiB count whose bytes overflow 64 bits. */
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":"
			   "18446744073709551616}", &m), "mem_size_mib");
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":"
			   "17592186044416}", &m), "mem_size_mib");
	/* Numbers are doubles, as JSON has one number type: 2.0 is 2;
	 * past a double's range the body itself is refused. */
	assert_int_equal(machine("{\"vcpu_count\":2.0,\"mem_size_mib\":"
				 "1.28e2}", &m), 0);
	assert_int_equal(m.vcpus, 2);
	assert_int_equal(m.mem_mib, 128);
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":12.5}", &m),
		   "'mem_size_mib' must be an integer from 4 to 1048576, not "
		   "12.5");
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":1e300}", &m),
		   "not 1.0000000000000001e+300");
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":"
			   "18446744073709551616}", &m),
		   "not 1.8446744073709552e+19");
	expect_err(machine("{\"vcpu_count\":-0,\"mem_size_mib\":128}", &m),
		   "not -0");
	s = "{\"vcpu_count\":1,\"mem_size_mib\": 1e400}";
	assert_null(jv_parse_body(s, strlen(s), err, sizeof(err)));
	assert_string_equal(err, "field 'mem_size_mib': the number 1e400 is "
			    "out of range at byte 32");
	s = "[-1e999]";
	assert_null(jv_parse_body(s, strlen(s), err, sizeof(err)));
	assert_string_equal(err, "the number -1e999 is out of range at byte 1");
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":128,"
			   "\"color\":\"red\"}", &m), "unknown field 'color'");
	/* Keys given twice are refused with the body, nested ones too. */
	s = "{\"vcpu_count\":1,\"vcpu_count\":2,\"mem_size_mib\":128}";
	assert_null(jv_parse_body(s, strlen(s), err, sizeof(err)));
	assert_string_equal(err, "field 'vcpu_count' given twice at byte 28");
	s = "{\"a\":{\"x\\\"y\":1, \"x\\\"y\" :2}}";
	assert_null(jv_parse_body(s, strlen(s), err, sizeof(err)));
	assert_string_equal(err, "field 'x\"y' given twice at byte 22");
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":128,\"smt\":1}",
			   &m), "'smt' must be a boolean");
	expect_err(machine("{\"vcpu_count\":2,\"mem_size_mib\":128,"
			   "\"smt\":true}", &m), "SMT");
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":128,"
			   "\"huge_pages\":\"2M\"}", &m), "huge pages");
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":128,"
			   "\"huge_pages\":\"1G\"}", &m), "unknown value '1G'");
	expect_err(machine("{\"vcpu_count\":1,\"mem_size_mib\":128,"
			   "\"cpu_template\":\"T2\"}", &m), "CPU templates");
	expect_err(machine("[1,2]", &m), "expected a JSON object");
}

static void drive_fields(void **state)
{
	struct vmm_drive_req d;
	struct rate_limiter_patch lp;
	const char *path;
	json_t *j;

	j = js("{\"drive_id\":\"rootfs\",\"is_root_device\":true,"
	       "\"path_on_host\":\"/x\",\"is_read_only\":true,\"cache_type\":"
	       "\"Writeback\",\"io_engine\":\"Sync\",\"partuuid\":null,"
	       "\"rate_limiter\":null,\"socket\":null}");
	assert_int_equal(api_parse_drive(j, "rootfs", &d, err, sizeof(err)), 0);
	assert_string_equal(d.id, "rootfs");
	assert_true(d.root && d.read_only);
	assert_int_equal(d.cache, DISK_CACHE_WRITEBACK);
	expect_err(api_parse_drive(j, "other", &d, err, sizeof(err)),
		   "does not match the path's 'other'");
	json_decref(j);

	j = js("{\"drive_id\":\"a\",\"is_root_device\":false}");
	expect_err(api_parse_drive(j, "a", &d, err, sizeof(err)),
		   "missing field 'path_on_host'");
	json_decref(j);
	j = js("{\"drive_id\":\"a\",\"path_on_host\":\"/x\"}");
	expect_err(api_parse_drive(j, "a", &d, err, sizeof(err)),
		   "missing field 'is_root_device'");
	json_decref(j);
	j = js("{\"drive_id\":\"a b\",\"path_on_host\":\"/x\","
	       "\"is_root_device\":false}");
	expect_err(api_parse_drive(j, NULL, &d, err, sizeof(err)), "drive_id");
	json_decref(j);
	j = js("{\"drive_id\":\"a\",\"path_on_host\":\"/x\",\"is_root_device\":"
	       "false,\"rate_limiter\":{\"ops\":{\"size\":1,\"refill_time\":1}}}");
	assert_int_equal(api_parse_drive(j, "a", &d, err, sizeof(err)), 0);
	assert_int_equal(d.limit.ops.size, 1);
	assert_int_equal(d.limit.bytes.size, 0);
	json_decref(j);
	j = js("{\"drive_id\":\"a\",\"path_on_host\":\"/x\",\"is_root_device\":"
	       "false,\"io_engine\":\"Async\"}");
	expect_err(api_parse_drive(j, "a", &d, err, sizeof(err)), "Async");
	json_decref(j);
	j = js("{\"drive_id\":\"a\",\"socket\":\"/s\",\"is_root_device\":false}");
	expect_err(api_parse_drive(j, "a", &d, err, sizeof(err)), "vhost-user");
	json_decref(j);

	j = js("{\"drive_id\":\"a\",\"path_on_host\":\"/new\"}");
	assert_int_equal(api_parse_drive_patch(j, "a", &path, &lp, err,
					       sizeof(err)), 0);
	assert_false(lp.bytes || lp.ops);
	assert_string_equal(path, "/new");
	json_decref(j);
}

static void net_vsock_balloon_fields(void **state)
{
	struct vmm_net_req n;
	struct vmm_vsock_req vs;
	struct balloon_config b;
	uint32_t u;
	json_t *j;

	j = js("{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\","
	       "\"guest_mac\":\"06:00:AC:10:00:02\"}");
	assert_int_equal(api_parse_net(j, "eth0", &n, err, sizeof(err)), 0);
	assert_true(n.has_mac);
	assert_int_equal(n.mac[2], 0xac);
	json_decref(j);
	j = js("{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\","
	       "\"guest_mac\":\"06:00:ac:10:00\"}");
	expect_err(api_parse_net(j, "eth0", &n, err, sizeof(err)), "guest_mac");
	json_decref(j);
	j = js("{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\","
	       "\"guest_mac\":\"07:00:ac:10:00:02\"}");
	expect_err(api_parse_net(j, "eth0", &n, err, sizeof(err)), "unicast");
	json_decref(j);
	j = js("{\"iface_id\":\"eth0\",\"host_dev_name\":"
	       "\"a-name-that-is-too-long\"}");
	expect_err(api_parse_net(j, "eth0", &n, err, sizeof(err)),
		   "host_dev_name");
	json_decref(j);

	j = js("{\"guest_cid\":3,\"uds_path\":\"/tmp/v.sock\"}");
	assert_int_equal(api_parse_vsock(j, &vs, err, sizeof(err)), 0);
	assert_int_equal(vs.cid, 3);
	json_decref(j);
	j = js("{\"guest_cid\":2,\"uds_path\":\"/tmp/v.sock\"}");
	expect_err(api_parse_vsock(j, &vs, err, sizeof(err)), "from 3 to");
	json_decref(j);
	j = js("{\"guest_cid\":4294967296,\"uds_path\":\"/tmp/v.sock\"}");
	expect_err(api_parse_vsock(j, &vs, err, sizeof(err)), "guest_cid");
	json_decref(j);

	j = js("{\"amount_mib\":64,\"deflate_on_oom\":true,"
	       "\"stats_polling_interval_s\":5}");
	assert_int_equal(api_parse_balloon(j, &b, err, sizeof(err)), 0);
	assert_true(b.enabled && b.deflate_on_oom);
	assert_int_equal(b.target_mib, 64);
	assert_int_equal(b.stats_interval_s, 5);
	json_decref(j);
	j = js("{\"amount_mib\":64}");
	expect_err(api_parse_balloon(j, &b, err, sizeof(err)),
		   "missing field 'deflate_on_oom'");
	json_decref(j);
	j = js("{\"amount_mib\":-64}");
	expect_err(api_parse_balloon_update(j, &u, err, sizeof(err)),
		   "amount_mib");
	json_decref(j);
}

/* Firecracker's RateLimiter on the entropy device: parsed, bounded. */
static void entropy_rate_limiter(void **state)
{
	struct rate_limiter_config l;
	json_t *j;

	(void)state;
	j = js("{\"rate_limiter\":{\"bandwidth\":{\"size\":4096,"
	       "\"one_time_burst\":8192,\"refill_time\":100},"
	       "\"ops\":{\"size\":10,\"refill_time\":1000}}}");
	assert_int_equal(api_parse_entropy(j, &l, err, sizeof(err)), 0);
	assert_int_equal(l.bytes.size, 4096);
	assert_int_equal(l.bytes.one_time_burst, 8192);
	assert_int_equal(l.bytes.refill_ms, 100);
	assert_int_equal(l.ops.size, 10);
	assert_int_equal(l.ops.one_time_burst, 0);
	assert_int_equal(l.ops.refill_ms, 1000);
	json_decref(j);
	j = js("{}");
	assert_int_equal(api_parse_entropy(j, &l, err, sizeof(err)), 0);
	assert_int_equal(l.bytes.size | l.ops.size, 0);
	json_decref(j);
	j = js("{\"rate_limiter\":null}");
	assert_int_equal(api_parse_entropy(j, &l, err, sizeof(err)), 0);
	json_decref(j);
	j = js("{\"rate_limiter\":{\"bandwidth\":{\"size\":1}}}");
	expect_err(api_parse_entropy(j, &l, err, sizeof(err)),
		   "missing field 'refill_time'");
	json_decref(j);
	j = js("{\"rate_limiter\":{\"ops\":{\"size\":-1,\"refill_time\":1}}}");
	expect_err(api_parse_entropy(j, &l, err, sizeof(err)), "'size' must be");
	json_decref(j);
	j = js("{\"rate_limiter\":{\"ops\":{\"size\":1,\"refill_time\":"
	       "3600001}}}");
	expect_err(api_parse_entropy(j, &l, err, sizeof(err)), "refill_time");
	json_decref(j);
	j = js("{\"rate_limiter\":{\"bytes\":{}}}");
	expect_err(api_parse_entropy(j, &l, err, sizeof(err)),
		   "unknown field 'bytes'");
	json_decref(j);
	j = js("{\"rate_limiter\":[1]}");
	expect_err(api_parse_entropy(j, &l, err, sizeof(err)),
		   "must be an object");
	json_decref(j);
}

/*
 * Drives' and interfaces' limiters: PUT takes the RateLimiter object,
 * PATCH says which buckets it names (Firecracker's BucketUpdate), and bad
 * bodies are refused the same way in every place.
 */
static void drive_net_rate_limiters(void **state)
{
	static const char *const bad[][2] = {
		{ "{\"bytes\":{}}", "unknown field 'bytes'" },
		{ "{\"ops\":{\"size\":1,\"refill_time\":1,\"x\":1}}",
		  "unknown field 'x'" },
		{ "{\"ops\":{\"size\":-1,\"refill_time\":1}}", "'size' must be" },
		{ "{\"bandwidth\":{\"size\":1,\"refill_time\":-5}}",
		  "refill_time" },
		{ "{\"bandwidth\":{\"size\":1125899906842625,"
		  "\"refill_time\":1}}", "'size' must be" },
		{ "{\"bandwidth\":{\"size\":1,\"one_time_burst\":"
		  "1125899906842625,\"refill_time\":1}}", "one_time_burst" },
		{ "{\"ops\":{\"size\":1,\"refill_time\":3600001}}",
		  "refill_time" },
		{ "{\"ops\":{\"size\":1}}", "missing field 'refill_time'" },
		{ "{\"ops\":{\"size\":1.5,\"refill_time\":1}}", "size" },
		{ "[1]", "must be an object" },
		{ "{\"ops\":7}", "must be an object" },
	};
	struct rate_limiter_patch rx, tx, lp;
	struct vmm_drive_req d;
	struct vmm_net_req n;
	const char *path;
	char body[512];
	json_t *j;

	(void)state;
	j = js("{\"iface_id\":\"eth0\",\"host_dev_name\":\"tap0\","
	       "\"rx_rate_limiter\":{\"bandwidth\":{\"size\":1000,"
	       "\"refill_time\":10}},\"tx_rate_limiter\":{\"ops\":"
	       "{\"size\":5,\"one_time_burst\":7,\"refill_time\":100}}}");
	assert_int_equal(api_parse_net(j, "eth0", &n, err, sizeof(err)), 0);
	assert_int_equal(n.rx_limit.bytes.size, 1000);
	assert_int_equal(n.rx_limit.bytes.refill_ms, 10);
	assert_int_equal(n.rx_limit.ops.size, 0);
	assert_int_equal(n.tx_limit.ops.size, 5);
	assert_int_equal(n.tx_limit.ops.one_time_burst, 7);
	assert_int_equal(n.tx_limit.bytes.size, 0);
	json_decref(j);

	/* PATCH: a bucket named (even off) is replaced, one absent kept. */
	j = js("{\"iface_id\":\"eth0\",\"rx_rate_limiter\":{\"ops\":"
	       "{\"size\":0,\"refill_time\":0},\"bandwidth\":null}}");
	assert_int_equal(api_parse_net_patch(j, "eth0", &rx, &tx, err,
					     sizeof(err)), 0);
	assert_true(rx.ops && !rx.bytes);
	assert_false(tx.ops || tx.bytes);
	json_decref(j);
	j = js("{\"drive_id\":\"a\",\"rate_limiter\":{\"bandwidth\":"
	       "{\"size\":4096,\"refill_time\":1000}}}");
	assert_int_equal(api_parse_drive_patch(j, "a", &path, &lp, err,
					       sizeof(err)), 0);
	assert_null(path);
	assert_true(lp.bytes && !lp.ops);
	assert_int_equal(lp.cfg.bytes.size, 4096);
	json_decref(j);
	j = js("{\"drive_id\":\"a\",\"rate_limiter\":{}}");
	assert_int_equal(api_parse_drive_patch(j, "a", &path, &lp, err,
					       sizeof(err)), 0);
	assert_false(lp.bytes || lp.ops);
	json_decref(j);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), "{\"drive_id\":\"a\","
			 "\"path_on_host\":\"/x\",\"is_root_device\":false,"
			 "\"rate_limiter\":%s}", bad[i][0]);
		j = js(body);
		expect_err(api_parse_drive(j, "a", &d, err, sizeof(err)),
			   bad[i][1]);
		json_decref(j);
		snprintf(body, sizeof(body), "{\"drive_id\":\"a\","
			 "\"rate_limiter\":%s}", bad[i][0]);
		j = js(body);
		expect_err(api_parse_drive_patch(j, "a", &path, &lp, err,
						 sizeof(err)), bad[i][1]);
		json_decref(j);
		snprintf(body, sizeof(body), "{\"iface_id\":\"e\","
			 "\"host_dev_name\":\"tap0\",\"tx_rate_limiter\":%s}",
			 bad[i][0]);
		j = js(body);
		expect_err(api_parse_net(j, "e", &n, err, sizeof(err)),
			   bad[i][1]);
		json_decref(j);
		snprintf(body, sizeof(body), "{\"iface_id\":\"e\","
			 "\"rx_rate_limiter\":%s}", bad[i][0]);
		j = js(body);
		expect_err(api_parse_net_patch(j, "e", &rx, &tx, err,
					       sizeof(err)), bad[i][1]);
		json_decref(j);
	}
}

/* Firecracker's snapshot bodies: what is taken, what is refused by name. */
static void snapshot_bodies(void **state)
{
	static const struct {
		bool load;
		const char *body, *want;	/* want NULL: accepted */
	} cases[] = {
		{ false, "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\"}", NULL },
		{ false, "{\"snapshot_type\":\"Full\",\"snapshot_path\":\"/s\","
			 "\"mem_file_path\":\"/m\",\"version\":\"1.0.0\"}", NULL },
		{ false, "{\"snapshot_path\":\"/s\"}", "missing field 'mem_file_path'" },
		{ false, "{\"snapshot_type\":\"Half\",\"snapshot_path\":\"/s\","
			 "\"mem_file_path\":\"/m\"}", "'Half' is not Full or Diff" },
		{ false, "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/s\"}",
		  "are the same file" },
		{ false, "{\"snapshot_path\":\"\",\"mem_file_path\":\"/m\"}",
		  "'snapshot_path' must be a path" },
		{ false, "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\","
			 "\"extra\":1}", "unknown field 'extra'" },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\"}", NULL },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_backend\":{\"backend_type\":"
			"\"File\",\"backend_path\":\"/m\"},\"resume_vm\":true}", NULL },
		{ true, "{\"snapshot_path\":\"/s\"}", "not neither" },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\","
			"\"mem_backend\":{\"backend_type\":\"File\",\"backend_path\":"
			"\"/m\"}}", "not both" },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_backend\":{\"backend_type\":"
			"\"Uffd\",\"backend_path\":\"/u\"}}", "Uffd is not supported" },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_backend\":{\"backend_type\":"
			"\"Disk\",\"backend_path\":\"/u\"}}", "'Disk' is not File" },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_backend\":{\"backend_path\":"
			"\"/u\"}}", "missing field 'backend_type'" },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\","
			"\"network_overrides\":[]}", "network_overrides" },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\","
			"\"resume_vm\":1}", "resume_vm" },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\","
			"\"huge_pages\":\"Snapshot\",\"clock_realtime\":false}", NULL },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\","
			"\"huge_pages\":\"2M\"}", "huge_pages '2M'" },
		{ true, "{\"snapshot_path\":\"/s\",\"mem_file_path\":\"/m\","
			"\"clock_realtime\":true}", "clock_realtime" },
	};
	struct vmm_snapshot_req r;
	json_t *j;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret;

		j = js(cases[i].body);
		ret = cases[i].load ?
			api_parse_snapshot_load(j, &r, err, sizeof(err)) :
			api_parse_snapshot_create(j, &r, err, sizeof(err));
		if (!cases[i].want)
			assert_int_equal(ret, 0);
		else
			expect_err(ret, cases[i].want);
		json_decref(j);
	}
	j = js("{\"snapshot_path\":\"/s\",\"mem_backend\":{\"backend_type\":"
	       "\"File\",\"backend_path\":\"/m\"},\"resume_vm\":true,"
	       "\"track_dirty_pages\":true}");
	assert_int_equal(api_parse_snapshot_load(j, &r, err, sizeof(err)), 0);
	assert_string_equal(r.state_path, "/s");
	assert_string_equal(r.mem_path, "/m");
	assert_true(r.resume && r.diff);
	json_decref(j);
}

static void actions_logger_metrics(void **state)
{
	struct vmm_logger_req l;
	struct vmm_metrics_req m;
	enum api_action a;
	char *extra;
	bool pause;
	json_t *j;

	j = js("{\"action_type\":\"SendCtrlAltDel\"}");
	assert_int_equal(api_parse_action(j, &a, err, sizeof(err)), 0);
	assert_int_equal(a, ACTION_SEND_CTRL_ALT_DEL);
	json_decref(j);
	j = js("{\"action_type\":\"Reboot\"}");
	expect_err(api_parse_action(j, &a, err, sizeof(err)),
		   "unknown value 'Reboot'");
	json_decref(j);
	j = js("{}");
	expect_err(api_parse_action(j, &a, err, sizeof(err)),
		   "missing field 'action_type'");
	expect_err(api_parse_vm_state(j, &pause, err, sizeof(err)),
		   "missing field 'state'");
	json_decref(j);
	j = js("{\"state\":\"Resumed\"}");
	assert_int_equal(api_parse_vm_state(j, &pause, err, sizeof(err)), 0);
	assert_false(pause);
	json_decref(j);

	j = js("{\"level\":\"debug\",\"log_path\":\"/tmp/l\",\"show_level\":"
	       "true,\"module\":\"api_server::request\"}");
	assert_int_equal(api_parse_logger(j, &l, err, sizeof(err)), 0);
	assert_int_equal(l.level, LOG_DEBUG);
	assert_true(l.show_level);
	assert_false(l.show_origin);
	json_decref(j);
	j = js("{\"level\":\"Loud\"}");
	expect_err(api_parse_logger(j, &l, err, sizeof(err)), "Loud");
	json_decref(j);

	j = js("{\"metrics_path\":\"/tmp/m\",\"emit_id\":true,\"properties\":"
	       "{\"host\":\"h1\"}}");
	assert_int_equal(api_parse_metrics(j, &m, &extra, err, sizeof(err)), 0);
	assert_string_equal(extra, "\"properties\":{\"host\":\"h1\"},");
	assert_true(m.emit_id);
	free(extra);
	json_decref(j);
	j = js("{\"metrics_path\":\"/tmp/m\",\"properties\":{\"n\":1}}");
	expect_err(api_parse_metrics(j, &m, &extra, err, sizeof(err)),
		   "properties.n must be a string");
	json_decref(j);
}

/* A file that exists, for the VMM's checks. */
static const char *exe(void)
{
	return "/proc/self/exe";
}

static void vmm_rules_before_start(void **state)
{
	struct vmm *v = calloc(1, sizeof(*v));
	struct vmm_boot_source bs = { .kernel = "/nonexistent/vmlinux" };
	struct vmm_drive_req d = { .id = "root", .path = "/dev/null",
				   .root = true };
	struct vmm_machine m = { .has_mem = true, .mem_mib = 64 };
	struct balloon_config b = { .target_mib = 100 };

	assert_int_equal(vmm_init(v, "test-vm"), 0);
	/* Missing files are named with their path. */
	assert_int_equal(vmm_set_boot_source(v, &bs, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "kernel_image_path /nonexistent/vmlinux"));
	bs.kernel = exe();
	assert_int_equal(vmm_set_boot_source(v, &bs, err, sizeof(err)), 0);
	bs.initrd = "/nonexistent/initrd";
	assert_int_equal(vmm_set_boot_source(v, &bs, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "initrd_path /nonexistent/initrd"));

	/* One root drive; it is kept first; a second root is refused. */
	d.id = "data";
	d.root = false;
	assert_int_equal(vmm_put_drive(v, &d, err, sizeof(err)), 0);
	d.id = "root";
	d.root = true;
	assert_int_equal(vmm_put_drive(v, &d, err, sizeof(err)), 0);
	assert_string_equal(v->drives[0].id, "root");
	assert_string_equal(v->drives[1].id, "data");
	d.id = "root2";
	assert_int_equal(vmm_put_drive(v, &d, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "'root' is already the root device"));
	/* Replacing the root drive itself is fine. */
	d.id = "root";
	assert_int_equal(vmm_put_drive(v, &d, err, sizeof(err)), 0);
	assert_int_equal(v->nr_drives, 2);
	d.id = "gone";
	d.root = false;
	d.path = "/nonexistent/disk.img";
	assert_int_equal(vmm_put_drive(v, &d, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/disk.img"));
	/* A media change needs a running VM. */
	assert_int_equal(vmm_patch_drive(v, "root", "/dev/null", NULL, err,
					 sizeof(err)), -EPERM);

	/* Machine: PATCH keeps what it does not name. */
	assert_int_equal(vmm_set_machine(v, &m, err, sizeof(err)), 0);
	assert_int_equal(v->vcpus, 1);
	assert_int_equal(v->mem_mib, 64);
	/* The balloon cannot be larger than the VM, nor the VM shrink under it. */
	assert_int_equal(vmm_put_balloon(v, &b, err, sizeof(err)), -EINVAL);
	b.target_mib = 32;
	assert_int_equal(vmm_put_balloon(v, &b, err, sizeof(err)), 0);
	m.mem_mib = 16;
	assert_int_equal(vmm_set_machine(v, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(vmm_patch_balloon(v, 48, err, sizeof(err)), 0);
	assert_int_equal(v->balloon.target_mib, 48);
	assert_int_equal(vmm_balloon_stats(v, NULL, err, sizeof(err)),
			 -EINVAL);

	/* Actions that need a started VM. */
	assert_int_equal(vmm_pause(v, err, sizeof(err)), -EPERM);
	assert_int_equal(vmm_send_ctrl_alt_del(v, err, sizeof(err)), -EPERM);
	assert_int_equal(vmm_flush_metrics(v, err, sizeof(err)), -EPERM);
	vmm_destroy(v);
	free(v);
}

static void describe_and_config_file(void **state)
{
	struct vmm *v = calloc(1, sizeof(*v));
	char cfg[1024], *s;
	json_t *j;

	assert_int_equal(vmm_init(v, NULL), 0);
	j = api_describe_instance(v);
	s = jv_compact(j);
	assert_string_equal(s, "{\"app_name\":\"vmon\",\"id\":"
			    "\"anonymous-instance\",\"state\":\"Not started\","
			    "\"vmm_version\":\"" VMON_VERSION "\"}");
	free(s);
	json_decref(j);

	snprintf(cfg, sizeof(cfg),
		 "{\"boot-source\":{\"kernel_image_path\":\"%s\","
		 "\"boot_args\":\"console=ttyS0\",\"initrd_path\":null},"
		 "\"drives\":[{\"drive_id\":\"rootfs\",\"is_root_device\":true,"
		 "\"path_on_host\":\"/dev/null\",\"is_read_only\":true}],"
		 "\"machine-config\":{\"vcpu_count\":2,\"mem_size_mib\":256},"
		 "\"cpu-config\":null,\"balloon\":null,"
		 "\"network-interfaces\":[],\"vsock\":null,\"logger\":null,"
		 "\"metrics\":null,\"mmds-config\":null,\"entropy\":{},"
		 "\"pmem\":[],\"memory-hotplug\":null}", exe());
	assert_int_equal(api_config_apply(v, cfg, strlen(cfg), err,
					  sizeof(err)), 0);
	assert_int_equal(v->vcpus, 2);
	assert_true(v->has_entropy);
	assert_string_equal(v->drives[0].path, "/dev/null");

	/* What GET /vm/config reports is a config file that applies. */
	j = api_describe_vm_config(v);
	s = jv_compact(j);
	json_decref(j);
	vmm_destroy(v);
	assert_int_equal(vmm_init(v, NULL), 0);
	assert_int_equal(api_config_apply(v, s, strlen(s), err, sizeof(err)),
			 0);
	assert_string_equal(v->boot_args, "console=ttyS0");
	assert_true(v->drives[0].root && v->drives[0].read_only);
	free(s);
	vmm_destroy(v);

	/* Errors say where. */
	assert_int_equal(vmm_init(v, NULL), 0);
	expect_err(api_config_apply(v, "{}", 2, err, sizeof(err)),
		   "missing field 'boot-source'");
	snprintf(cfg, sizeof(cfg), "{\"boot-source\":{\"kernel_image_path\":"
		 "\"%s\"},\"drives\":[{\"drive_id\":\"x\"}]}", exe());
	expect_err(api_config_apply(v, cfg, strlen(cfg), err, sizeof(err)),
		   "drives[0]: Drive: missing field 'is_root_device'");
	snprintf(cfg, sizeof(cfg), "{\"boot-source\":{\"kernel_image_path\":"
		 "\"%s\"},\"mmds-config\":{\"network_interfaces\":[]}}", exe());
	expect_err(api_config_apply(v, cfg, strlen(cfg), err, sizeof(err)),
		   "MMDS");
	snprintf(cfg, sizeof(cfg), "{\"boot-source\":{\"kernel_image_path\":"
		 "\"%s\"},\"floppy\":{}}", exe());
	expect_err(api_config_apply(v, cfg, strlen(cfg), err, sizeof(err)),
		   "unknown field 'floppy'");
	vmm_destroy(v);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(body_syntax),
		cmocka_unit_test(answer_strings),
		cmocka_unit_test(machine_config_fields),
		cmocka_unit_test(drive_fields),
		cmocka_unit_test(net_vsock_balloon_fields),
		cmocka_unit_test(entropy_rate_limiter),
		cmocka_unit_test(drive_net_rate_limiters),
		cmocka_unit_test(snapshot_bodies),
		cmocka_unit_test(actions_logger_metrics),
		cmocka_unit_test(vmm_rules_before_start),
		cmocka_unit_test(describe_and_config_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
