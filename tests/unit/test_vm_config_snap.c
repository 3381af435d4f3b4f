// SPDX-License-Identifier: MIT
/*
 * The snapshot's "config" section (machine/vm_config_snap.c): a machine
 * written and read back is the same machine, and a section that is cut
 * short, names impossible values or breaks a rule between devices is
 * refused with the field named, leaving nothing to free.
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

#include "lib/snapfile.h"
#include "machine/vm_config_snap.h"

static struct vm_config sample(void)
{
	struct vm_config c = { .kernel = "vmlinuz", .cmdline = "console=ttyS0",
			       .nr_cpus = 2, .mem_size = 256ULL << 20,
			       .debug_exit = true, .rng = true };

	c.nr_disks = 2;
	c.disks[0] = (struct disk_config){ .id = "rootfs", .path = "/r.img",
					   .is_root = true,
					   .cache = DISK_CACHE_WRITEBACK };
	c.disks[1] = (struct disk_config){ .path = "/d.img", .read_only = true };
	c.nr_nets = 1;
	c.nets[0] = (struct net_config){ .id = "eth0", .tap = "tap0",
					 .mac = { 6, 0, 0, 0, 0, 1 },
					 .has_mac = true };
	c.vsock = (struct vsock_config){ .enabled = true, .guest_cid = 3,
					 .uds_path = "/tmp/v.sock" };
	c.rng_limit.bytes = (struct tbucket_config){ .size = 4096,
						     .refill_ms = 100 };
	c.balloon = (struct balloon_config){ .enabled = true, .target_mib = 64,
					     .stats_interval_s = 1 };
	return c;
}

static void encode(const struct vm_config *c, struct snap_enc *enc)
{
	snap_enc_init(enc);
	assert_int_equal(vm_config_save(c, enc), 0);
}

/* Decode payload[0 .. len) as a config section; msg: what e must say. */
static int decode(const uint8_t *p, size_t len, struct vm_config_owned *o,
		  char *msg, size_t msglen)
{
	struct snap_writer *w;
	struct snap_reader *r;
	struct snap_dec d;
	struct vmon_err e = { 0 };
	uint8_t *img;
	size_t n;
	int ret;

	assert_int_equal(snap_writer_new(&w, "x86_64", &e), 0);
	assert_int_equal(snap_writer_add(w, "config", VM_CONFIG_SNAP_VERSION,
					 p, len, &e), 0);
	assert_int_equal(snap_writer_image(w, &img, &n, &e), 0);
	snap_writer_free(w);
	assert_int_equal(snap_reader_parse(&r, img, n, "t", "x86_64", &e), 0);
	free(img);
	assert_int_equal(snap_dec_begin(r, "config", VM_CONFIG_SNAP_VERSION,
					&d, &e), 0);
	ret = vm_config_restore(&d, o);
	if (msg)
		snprintf(msg, msglen, "%s", e.msg);
	snap_reader_free(r);
	return ret;
}

static void round_trip(void **state)
{
	struct vm_config c = sample();
	struct vm_config_owned o;
	struct snap_enc enc, again;

	encode(&c, &enc);
	assert_int_equal(decode(enc.buf, enc.len, &o, NULL, 0), 0);
	assert_int_equal(o.cfg.nr_cpus, 2);
	assert_true(o.cfg.mem_size == 256ULL << 20);
	assert_true(o.cfg.debug_exit && o.cfg.rng);
	/* The boot source is spent once RAM exists: not kept. */
	assert_null(o.cfg.kernel);
	assert_null(o.cfg.cmdline);
	assert_int_equal(o.cfg.nr_disks, 2);
	assert_string_equal(o.cfg.disks[0].id, "rootfs");
	assert_string_equal(o.cfg.disks[0].path, "/r.img");
	assert_true(o.cfg.disks[0].is_root);
	assert_int_equal(o.cfg.disks[0].cache, DISK_CACHE_WRITEBACK);
	assert_null(o.cfg.disks[1].id);
	assert_true(o.cfg.disks[1].read_only);
	assert_string_equal(o.cfg.nets[0].tap, "tap0");
	assert_memory_equal(o.cfg.nets[0].mac, c.nets[0].mac, 6);
	assert_string_equal(o.cfg.vsock.uds_path, "/tmp/v.sock");
	assert_int_equal(o.cfg.rng_limit.bytes.size, 4096);
	assert_int_equal(o.cfg.balloon.target_mib, 64);

	/* One encoding: what was read writes the same bytes. */
	encode(&o.cfg, &again);
	assert_int_equal(again.len, enc.len);
	assert_memory_equal(again.buf, enc.buf, enc.len);
	snap_enc_free(&again);
	snap_enc_free(&enc);
	vm_config_owned_free(&o);
}

static void truncated_everywhere(void **state)
{
	struct vm_config c = sample();
	struct vm_config_owned o;
	struct snap_enc enc;
	char msg[512];

	encode(&c, &enc);
	for (size_t n = 0; n < enc.len; n++) {
		assert_int_equal(decode(enc.buf, n, &o, msg, sizeof(msg)),
				 -EINVAL);
		if (!strstr(msg, "truncated"))
			fail_msg("cut at %zu: '%s'", n, msg);
		assert_int_equal(o.nr_strs, 0);	/* nothing left to free */
	}
	snap_enc_free(&enc);
}

/* Change c with f, then expect the decoder to refuse it, naming what. */
static void refused(void (*f)(struct vm_config *), const char *what)
{
	struct vm_config c = sample();
	struct vm_config_owned o;
	struct snap_enc enc;
	char msg[512];

	f(&c);
	encode(&c, &enc);
	assert_int_equal(decode(enc.buf, enc.len, &o, msg, sizeof(msg)),
			 -EINVAL);
	if (!strstr(msg, what))
		fail_msg("message '%s' lacks '%s'", msg, what);
	assert_int_equal(o.nr_strs, 0);
	snap_enc_free(&enc);
}

static void no_cpus(struct vm_config *c) { c->nr_cpus = 0; }
static void many_cpus(struct vm_config *c) { c->nr_cpus = 255; }
static void odd_mem(struct vm_config *c) { c->mem_size += 512; }
static void no_mem(struct vm_config *c) { c->mem_size = 0; }
static void huge_mem(struct vm_config *c) { c->mem_size = 1ULL << 41; }
static void no_path(struct vm_config *c) { c->disks[1].path = ""; }
static void two_roots(struct vm_config *c) { c->disks[1].is_root = true; }
static void same_id(struct vm_config *c) { c->disks[1].id = "rootfs"; }
static void bad_cache(struct vm_config *c) { c->disks[0].cache = 7; }
static void mcast(struct vm_config *c) { c->nets[0].mac[0] = 1; }
static void low_cid(struct vm_config *c) { c->vsock.guest_cid = 2; }
static void no_uds(struct vm_config *c) { c->vsock.uds_path = NULL; }
static void big_balloon(struct vm_config *c) { c->balloon.target_mib = 512; }
static void big_bucket(struct vm_config *c)
{
	c->rng_limit.ops.size = 1ULL << 51;
	c->rng_limit.ops.refill_ms = 1;
}

static void bad_values(void **state)
{
	refused(no_cpus, "field nr_cpus: 0 vCPUs");
	refused(many_cpus, "field nr_cpus: 255 vCPUs");
	refused(odd_mem, "field mem_size");
	refused(no_mem, "field mem_size");
	refused(huge_mem, "field mem_size");
	refused(no_path, "field disk.path: missing or empty");
	refused(two_roots, "already the root device");
	refused(same_id, "id=rootfs given twice");
	refused(bad_cache, "field disk.cache: 7 is not a cache mode");
	refused(mcast, "field net.mac: a multicast address");
	refused(low_cid, "guest_cid 2");
	refused(no_uds, "field vsock.uds_path: missing or empty");
	refused(big_balloon, "balloon amount_mib 512");
	refused(big_bucket, "field rng_limit.ops: size and one_time_burst");
}

/* Hand-made payloads the encoder would never write. */
static void bad_bytes(void **state)
{
	struct vm_config c = sample();
	struct vm_config_owned o;
	struct snap_enc enc;
	char msg[512];
	uint8_t *p;

	/* nr_cpus, mem_size, debug_exit, then nr_disks at offset 13. */
	encode(&c, &enc);
	p = enc.buf;
	p[13] = 17;
	assert_int_equal(decode(p, enc.len, &o, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "field nr_disks: 17 drives, at most 16"));
	p[13] = 2;
	/* The first disk's id: present, length 6, "rootfs": a NUL inside. */
	assert_int_equal(p[17], 1);
	assert_int_equal(p[18], 6);
	p[22] = 0;
	assert_int_equal(decode(p, enc.len, &o, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "field disk.id: a NUL byte inside"));
	p[22] = 'f';
	p[17] = 2;	/* a presence byte that is not a boolean */
	assert_int_equal(decode(p, enc.len, &o, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "field disk.id: 2 is not a boolean"));
	p[17] = 1;
	p[19] = 0x20;	/* length 0x2006: over the 4096 allowed */
	assert_int_equal(decode(p, enc.len, &o, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "8198 bytes long, more than the 4096"));
	p[19] = 0;
	assert_int_equal(decode(p, enc.len, &o, msg, sizeof(msg)), 0);
	vm_config_owned_free(&o);
	snap_enc_free(&enc);

	/*
	 * What is off is zeros (one encoding): the minimal config's vsock
	 * CID, at offset 17 + 4 after the empty device counts, set anyway.
	 */
	{
		struct vm_config m = { .nr_cpus = 1, .mem_size = 64ULL << 20 };
		struct snap_enc e2;

		encode(&m, &e2);
		/* nr_cpus 4, mem 8, debug_exit 1, nr_disks 4, nr_nets 4,
		 * vsock.enabled 1: the CID is at 22. */
		assert_int_equal(e2.buf[21], 0);
		e2.buf[22] = 3;
		assert_int_equal(decode(e2.buf, e2.len, &o, msg, sizeof(msg)),
				 -EINVAL);
		assert_non_null(strstr(msg, "field vsock.enabled: off, but a "
				       "CID"));
		e2.buf[22] = 0;
		assert_int_equal(decode(e2.buf, e2.len, &o, msg, sizeof(msg)), 0);
		vm_config_owned_free(&o);
		snap_enc_free(&e2);
	}

	/* Bytes after the last field. */
	encode(&c, &enc);
	snap_put_u8(&enc, 0);
	assert_int_equal(decode(enc.buf, enc.len, &o, msg, sizeof(msg)),
			 -EINVAL);
	assert_non_null(strstr(msg, "1 bytes left over"));
	snap_enc_free(&enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(truncated_everywhere),
		cmocka_unit_test(bad_values),
		cmocka_unit_test(bad_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
