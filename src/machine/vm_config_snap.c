// SPDX-License-Identifier: MIT
/*
 * The "config" section of a snapshot: what the VM is made of, so that a
 * fresh process can build the same machine before the state of each part
 * is poured into it (docs/snapshot.md, "The machine's sections").  Only
 * what shapes the machine is kept: the boot source (kernel, initrd,
 * command line) is spent once RAM exists, and how the new process shows
 * its console or sandboxes itself is that process's choice.
 */
#include "machine/vm_config_snap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/platform.h"
#include "lib/err.h"

/* The longest path or name a front end accepts (PATH_MAX). */
#define CFG_STR_MAX 4096u

static void put_bucket(struct snap_enc *enc, const struct tbucket_config *b)
{
	snap_put_u64(enc, b->size);
	snap_put_u64(enc, b->one_time_burst);
	snap_put_u64(enc, b->refill_ms);
}

static void put_limit(struct snap_enc *enc,
		      const struct rate_limiter_config *l)
{
	put_bucket(enc, &l->bytes);
	put_bucket(enc, &l->ops);
}

int vm_config_save(const struct vm_config *c, struct snap_enc *enc)
{
	static const uint8_t zero_mac[6];
	static const struct rate_limiter_config no_limit;
	const struct balloon_config b = c->balloon.enabled ? c->balloon :
				       (struct balloon_config){ 0 };

	snap_put_u32(enc, c->nr_cpus);
	snap_put_u64(enc, c->mem_size);
	snap_put_bool(enc, c->debug_exit);

	snap_put_u32(enc, c->nr_disks);
	for (unsigned int i = 0; i < c->nr_disks; i++) {
		const struct disk_config *d = &c->disks[i];

		snap_put_str(enc, d->id);
		snap_put_str(enc, d->path);
		snap_put_bool(enc, d->read_only);
		snap_put_bool(enc, d->is_root);
		snap_put_u8(enc, (uint8_t)d->cache);
	}
	snap_put_u32(enc, c->nr_nets);
	for (unsigned int i = 0; i < c->nr_nets; i++) {
		const struct net_config *n = &c->nets[i];

		snap_put_str(enc, n->id);
		snap_put_str(enc, n->tap);
		/* One encoding: what is off is written as zeros. */
		snap_put_bytes(enc, n->has_mac ? n->mac : zero_mac, 6);
		snap_put_bool(enc, n->has_mac);
	}
	snap_put_bool(enc, c->vsock.enabled);
	snap_put_u32(enc, c->vsock.enabled ? c->vsock.guest_cid : 0);
	snap_put_str(enc, c->vsock.enabled ? c->vsock.uds_path : NULL);
	snap_put_bool(enc, c->rng);
	put_limit(enc, c->rng ? &c->rng_limit : &no_limit);
	snap_put_bool(enc, b.enabled);
	snap_put_u32(enc, b.target_mib);
	snap_put_bool(enc, b.deflate_on_oom);
	snap_put_u32(enc, b.stats_interval_s);
	return enc->err;
}

/* A string the new config owns: kept in o so that one free releases all. */
static const char *get_str(struct snap_dec *d, struct vm_config_owned *o,
			   const char *field, bool required)
{
	char *s;

	if (snap_get_str(d, field, CFG_STR_MAX, &s))
		return NULL;
	if (required && (!s || !*s)) {
		free(s);
		snap_dec_fail(d, field, "missing or empty");
		return NULL;
	}
	if (!s)
		return NULL;
	if (o->nr_strs == VM_CONFIG_MAX_STRS) {
		free(s);	/* cannot happen: the counts are capped */
		snap_dec_fail(d, field, "too many strings");
		return NULL;
	}
	o->strs[o->nr_strs++] = s;
	return s;
}

static void get_bucket(struct snap_dec *d, const char *field,
		       struct tbucket_config *b)
{
	const char *why;

	snap_get_u64(d, field, &b->size);
	snap_get_u64(d, field, &b->one_time_burst);
	snap_get_u64(d, field, &b->refill_ms);
	if (!d->err && tbucket_check(b, &why))
		snap_dec_fail(d, field, "%s", why);
}

static void get_disks(struct snap_dec *d, struct vm_config_owned *o)
{
	struct vm_config *c = &o->cfg;

	if (snap_get_u32(d, "nr_disks", &c->nr_disks))
		return;
	if (c->nr_disks > VM_MAX_DISKS) {
		snap_dec_fail(d, "nr_disks", "%u drives, at most %u",
			      c->nr_disks, VM_MAX_DISKS);
		c->nr_disks = 0;
		return;
	}
	for (unsigned int i = 0; i < c->nr_disks && !d->err; i++) {
		struct disk_config *k = &c->disks[i];
		uint8_t cache;

		k->id = get_str(d, o, "disk.id", false);
		k->path = get_str(d, o, "disk.path", true);
		snap_get_bool(d, "disk.read_only", &k->read_only);
		snap_get_bool(d, "disk.is_root", &k->is_root);
		snap_get_u8(d, "disk.cache", &cache);
		if (cache > DISK_CACHE_WRITEBACK)
			snap_dec_fail(d, "disk.cache", "%u is not a cache mode",
				      cache);
		k->cache = (enum disk_cache)cache;
	}
}

static void get_nets(struct snap_dec *d, struct vm_config_owned *o)
{
	struct vm_config *c = &o->cfg;

	if (snap_get_u32(d, "nr_nets", &c->nr_nets))
		return;
	if (c->nr_nets > VM_MAX_NETS) {
		snap_dec_fail(d, "nr_nets", "%u interfaces, at most %u",
			      c->nr_nets, VM_MAX_NETS);
		c->nr_nets = 0;
		return;
	}
	for (unsigned int i = 0; i < c->nr_nets && !d->err; i++) {
		struct net_config *n = &c->nets[i];

		n->id = get_str(d, o, "net.id", false);
		n->tap = get_str(d, o, "net.tap", true);
		snap_get_bytes(d, "net.mac", n->mac, sizeof(n->mac));
		snap_get_bool(d, "net.has_mac", &n->has_mac);
		/* A guest MAC is a unicast address (IEEE 802: bit 0 of byte 0). */
		if (n->has_mac && (n->mac[0] & 1))
			snap_dec_fail(d, "net.mac", "a multicast address");
		if (!n->has_mac && memcmp(n->mac, "\0\0\0\0\0\0", 6))
			snap_dec_fail(d, "net.mac", "set, but has_mac is not");
	}
}

int vm_config_restore(struct snap_dec *d, struct vm_config_owned *o)
{
	struct vm_config *c = &o->cfg;
	char why[256];

	memset(o, 0, sizeof(*o));
	c->serial_mode = SERIAL_STDIO;
	snap_get_u32(d, "nr_cpus", &c->nr_cpus);
	if (!d->err && (c->nr_cpus < 1 || c->nr_cpus > PLAT_MAX_VCPUS))
		snap_dec_fail(d, "nr_cpus", "%u vCPUs, expected 1 to %u",
			      c->nr_cpus, PLAT_MAX_VCPUS);
	snap_get_u64(d, "mem_size", &c->mem_size);
	if (!d->err && (!c->mem_size || c->mem_size > VM_MAX_MEM ||
			c->mem_size % VM_MEM_ALIGN))
		snap_dec_fail(d, "mem_size", "%llu bytes: expected a multiple "
			      "of %u up to %llu",
			      (unsigned long long)c->mem_size, VM_MEM_ALIGN,
			      (unsigned long long)VM_MAX_MEM);
	snap_get_bool(d, "debug_exit", &c->debug_exit);
	get_disks(d, o);
	get_nets(d, o);
	snap_get_bool(d, "vsock.enabled", &c->vsock.enabled);
	snap_get_u32(d, "vsock.guest_cid", &c->vsock.guest_cid);
	c->vsock.uds_path = get_str(d, o, "vsock.uds_path", c->vsock.enabled);
	/* What is off is all zeros: one encoding of each machine. */
	if (!c->vsock.enabled && (c->vsock.guest_cid || c->vsock.uds_path))
		snap_dec_fail(d, "vsock.enabled", "off, but a CID or socket "
			      "path is given");
	snap_get_bool(d, "rng", &c->rng);
	get_bucket(d, "rng_limit.bytes", &c->rng_limit.bytes);
	get_bucket(d, "rng_limit.ops", &c->rng_limit.ops);
	if (!c->rng && (c->rng_limit.bytes.size || c->rng_limit.bytes.refill_ms ||
			c->rng_limit.bytes.one_time_burst ||
			c->rng_limit.ops.size || c->rng_limit.ops.refill_ms ||
			c->rng_limit.ops.one_time_burst))
		snap_dec_fail(d, "rng", "off, but a rate limit is given");
	snap_get_bool(d, "balloon.enabled", &c->balloon.enabled);
	snap_get_u32(d, "balloon.target_mib", &c->balloon.target_mib);
	snap_get_bool(d, "balloon.deflate_on_oom", &c->balloon.deflate_on_oom);
	snap_get_u32(d, "balloon.stats_interval_s",
		     &c->balloon.stats_interval_s);
	if (!c->balloon.enabled && (c->balloon.target_mib ||
				    c->balloon.deflate_on_oom ||
				    c->balloon.stats_interval_s))
		snap_dec_fail(d, "balloon.enabled", "off, but its settings "
			      "are given");
	if (!snap_dec_end(d) && vm_config_check(c, why, sizeof(why)))
		snap_dec_fail(d, "devices", "%s", why);
	if (d->err)
		vm_config_owned_free(o);
	return d->err;
}

void vm_config_owned_free(struct vm_config_owned *o)
{
	for (unsigned int i = 0; i < o->nr_strs; i++)
		free(o->strs[i]);
	memset(o, 0, sizeof(*o));
}
