// SPDX-License-Identifier: MIT
/*
 * Unit tests for virtio-net's pure parts: net_tx_build on hand-made
 * chains (bounds, the header skipped across buffers), the default MAC,
 * and the `--net tap=NAME[,mac=MAC][,id=ID]` option.  The device itself:
 * test_virtio_net.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/options.h"
#include "virtio/net.h"

static const uint8_t mac[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 };

static void tx_build_bounds(void **state)
{
	uint8_t buf[NET_HDR_LEN + NET_ETH_HLEN] = { 0 };
	struct iovec iov[2] = { { buf, sizeof(buf) - 1 } }, out[3];
	struct virtq_chain c = { .nr_out = 1, .out_bytes = sizeof(buf) - 1,
				 .cap = 2, .iov = iov };
	struct virtio_net_hdr h;
	unsigned int n;

	assert_int_equal(net_tx_build(&c, 0, &h, out, &n), NET_TX_SHORT);
	assert_int_equal(n, 0);
	iov[0].iov_len = c.out_bytes = sizeof(buf);
	assert_int_equal(net_tx_build(&c, 0, &h, out, &n), NET_TX_OK);
	assert_int_equal(n, 2);
	assert_ptr_equal(out[0].iov_base, &h);
	assert_ptr_equal(out[1].iov_base, buf + NET_HDR_LEN);
	assert_int_equal(out[1].iov_len, NET_ETH_HLEN);
	/* Exactly the header in the first buffer: it is skipped whole. */
	iov[0].iov_len = NET_HDR_LEN;
	iov[1] = (struct iovec){ buf + NET_HDR_LEN, NET_ETH_HLEN };
	c.nr_out = 2;
	assert_int_equal(net_tx_build(&c, 0, &h, out, &n), NET_TX_OK);
	assert_int_equal(n, 2);
	assert_ptr_equal(out[1].iov_base, buf + NET_HDR_LEN);
	c.nr_in = 1;
	assert_int_equal(net_tx_build(&c, 0, &h, out, &n), NET_TX_WRITABLE);
	assert_string_not_equal(net_tx_verdict_name(NET_TX_BAD_GSO), "?");
}

static int parse(char *line, struct run_options *o, char *err, size_t len)
{
	char *argv[32];
	int argc = 0;

	for (char *t = strtok(line, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return run_options_parse(argc, argv, o, err, len);
}

static void net_option(void **state)
{
	struct run_options o;
	char err[256];
	char ok[] = "run --kernel k --net tap=tap0,mac=06:00:AC:10:00:02,id=eth0 "
		    "--net tap=tap1";
	static const char *const bad[] = {
		"run --kernel k --net mac=06:00:00:00:00:01",
		"run --kernel k --net tap=",
		"run --kernel k --net tap=abcdefghijklmnop",
		"run --kernel k --net tap=t,mac=07:00:00:00:00:01",
		"run --kernel k --net tap=t,mac=06:00:00:00:00",
		"run --kernel k --net tap=t,mac=06:00:00:00:00:0g",
		"run --kernel k --net tap=t,speed=10",
		"run --kernel k --net tap=t --net tap=t",
		/* One element: parenthesised so clang sees the join is meant. */
		("run --kernel k --net tap=a --net tap=b --net tap=c --net tap=d "
		 "--net tap=e --net tap=f --net tap=g --net tap=h --net tap=i"),
	};

	assert_int_equal(parse(ok, &o, err, sizeof(err)), 0);
	assert_int_equal(o.vm.nr_nets, 2);
	assert_string_equal(o.vm.nets[0].tap, "tap0");
	assert_string_equal(o.vm.nets[0].id, "eth0");
	assert_true(o.vm.nets[0].has_mac);
	assert_memory_equal(o.vm.nets[0].mac, mac, 6);
	assert_string_equal(o.vm.nets[1].tap, "tap1");
	assert_false(o.vm.nets[1].has_mac);
	assert_null(o.vm.nets[1].id);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[256];

		snprintf(line, sizeof(line), "%s", bad[i]);
		err[0] = 0;
		if (parse(line, &o, err, sizeof(err)) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		if (!strstr(err, "--net"))
			fail_msg("'%s': message '%s' does not name --net", bad[i],
				 err);
	}
}

static void default_mac(void **state)
{
	uint8_t a[6], b[6], c[6];

	virtio_net_default_mac("tap0", 100, a);
	virtio_net_default_mac("tap0", 100, b);
	virtio_net_default_mac("tap0", 101, c);
	assert_memory_equal(a, b, 6);
	assert_memory_not_equal(a, c, 6);
	assert_int_equal(a[0], 0x02);	/* locally administered, unicast */
	virtio_net_default_mac("tap1", 100, c);
	assert_memory_not_equal(a, c, 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tx_build_bounds),
		cmocka_unit_test(default_mac),
		cmocka_unit_test(net_option),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
