// SPDX-License-Identifier: MIT
/*
 * vm_config_check(), the one set of rules between devices, and both
 * front ends applying it: `vmon run`'s options and the VMM the API
 * drives refuse the same configurations.  And the error object whose
 * kind gives the exit status.
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

#include "cli/options.h"
#include "lib/err.h"
#include "lib/exit_status.h"
#include "machine/vm_config.h"
#include "vmm/vmm.h"

static struct vm_config base(void)
{
	return (struct vm_config){ .kernel = "k", .nr_cpus = 1,
				   .mem_size = 256ULL << 20 };
}

static void expect(const struct vm_config *c, int want, const char *msg)
{
	char err[256] = "";

	assert_int_equal(vm_config_check(c, err, sizeof(err)), want);
	if (msg && !strstr(err, msg))
		fail_msg("message '%s' lacks '%s'", err, msg);
}

static void rules(void **state)
{
	struct vm_config c = base();
	static const uint8_t mac[6] = { 0x06, 0, 0, 0, 0, 1 };

	expect(&c, 0, NULL);

	c.nr_disks = 2;
	c.disks[0] = (struct disk_config){ .id = "a", .path = "x",
					   .is_root = true };
	c.disks[1] = (struct disk_config){ .id = "b", .path = "y" };
	expect(&c, 0, NULL);
	c.disks[1].is_root = true;
	expect(&c, -EEXIST, "'a' is already the root device");
	c.disks[1] = (struct disk_config){ .id = "a", .path = "y" };
	expect(&c, -EEXIST, "id=a given twice");
	c.disks[1].id = NULL;	/* ids are optional */
	expect(&c, 0, NULL);

	c.nr_nets = 2;
	c.nets[0] = (struct net_config){ .id = "eth0", .tap = "tap0" };
	c.nets[1] = (struct net_config){ .id = "eth1", .tap = "tap0" };
	expect(&c, -EEXIST, "TAP device tap0 is already used by interface "
	       "'eth0'");
	c.nets[1].tap = "tap1";
	memcpy(c.nets[0].mac, mac, 6);
	memcpy(c.nets[1].mac, mac, 6);
	c.nets[0].has_mac = true;
	expect(&c, 0, NULL);	/* the second one gets a made-up MAC */
	c.nets[1].has_mac = true;
	expect(&c, -EEXIST, "06:00:00:00:00:01 is already used");
	c.nets[1].has_mac = false;

	c.vsock = (struct vsock_config){ .enabled = true, .guest_cid = 2,
					 .uds_path = "/tmp/v" };
	expect(&c, -EINVAL, "guest_cid 2");
	c.vsock.guest_cid = UINT32_MAX;
	expect(&c, -EINVAL, "guest_cid 4294967295");
	c.vsock.guest_cid = 3;
	expect(&c, 0, NULL);

	c.balloon = (struct balloon_config){ .enabled = true,
					     .target_mib = 257 };
	expect(&c, -EINVAL, "more than the VM's memory (256 MiB)");
	c.balloon.target_mib = 256;
	expect(&c, 0, NULL);
}

static int parse(const char *line, char *err, size_t len)
{
	static char buf[512];
	char *argv[32];
	int argc = 0;
	struct run_options o;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	return run_options_parse(argc, argv, &o, err, len);
}

/* The same rules reach both front ends. */
static void both_front_ends(void **state)
{
	struct vmm *v = calloc(1, sizeof(*v));
	struct vmm_net_req n = { .id = "eth0", .tap = "tap0", .has_mac = true,
				 .mac = { 0x06, 0, 0, 0, 0, 1 } };
	struct vmm_vsock_req vs = { .cid = 2, .uds_path = "/tmp/v" };
	char err[256];

	assert_int_equal(parse("run --kernel k --net tap=a,mac=06:00:00:00:00:01"
			       " --net tap=b,mac=06:00:00:00:00:01", err,
			       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--net: guest MAC"));
	assert_int_equal(parse("run --kernel k --vsock cid=2,uds=/tmp/v", err,
			       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "guest_cid 2"));
	assert_int_equal(parse("run --kernel k --balloon=target_mib=512 "
			       "--mem 1G", err, sizeof(err)), 0);
	assert_int_equal(parse("run --kernel k --balloon=target_mib=512", err,
			       sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than the VM's memory (256 MiB)"));

	assert_non_null(v);
	assert_int_equal(vmm_init(v, NULL), 0);
	assert_int_equal(vmm_put_net(v, &n, err, sizeof(err)), 0);
	n.id = "eth1";
	n.tap = "tap1";
	assert_int_equal(vmm_put_net(v, &n, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "guest MAC"));
	/* Replacing an interface does not conflict with itself. */
	n.id = "eth0";
	n.tap = "tap0";
	assert_int_equal(vmm_put_net(v, &n, err, sizeof(err)), 0);
	assert_int_equal(vmm_put_vsock(v, &vs, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "guest_cid 2"));
	vmm_destroy(v);
	free(v);
}

/* The exit status comes from whose fault it is; the first cause stays. */
static void error_kinds(void **state)
{
	struct vmon_err e = { 0 };

	assert_int_equal(err_exit_status(&e), VMON_EXIT_OK);
	assert_int_equal(err_set(&e, ERR_USAGE, -ENOENT, "disk %s", "x"),
			 -ENOENT);
	assert_int_equal(err_set(&e, ERR_HOST, -EIO, "outer"), -EIO);
	assert_int_equal(e.code, -ENOENT);
	assert_string_equal(e.msg, "disk x");
	assert_int_equal(err_exit_status(&e), VMON_EXIT_USAGE);
	e = (struct vmon_err){ 0 };
	err_set(&e, ERR_HOST, -ENOMEM, "out of memory");
	assert_int_equal(err_exit_status(&e), VMON_EXIT_INTERNAL);
	e = (struct vmon_err){ 0 };
	err_set(&e, ERR_GUEST, -EFAULT, "triple fault");
	assert_int_equal(err_exit_status(&e), VMON_EXIT_GUEST_FAULT);
	assert_int_equal(err_set(NULL, ERR_HOST, -EIO, "nowhere"), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rules),
		cmocka_unit_test(error_kinds),
		cmocka_unit_test(both_front_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
