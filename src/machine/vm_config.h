/* SPDX-License-Identifier: MIT */
/*
 * What a VM is made of, as the command line (`vmon run`), the API and the
 * config file describe it.  Front ends fill it and keep the strings alive
 * for the VM's lifetime; vm_create() only reads it.
 */
#ifndef VMON_MACHINE_VM_CONFIG_H
#define VMON_MACHINE_VM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define VM_MAX_DISKS	16
#define VM_MAX_NETS	8

enum serial_mode { SERIAL_STDIO, SERIAL_NONE, SERIAL_FILE };

enum disk_cache {
	DISK_CACHE_UNSAFE,	/* flush is a no-op (Firecracker's Unsafe) */
	DISK_CACHE_WRITEBACK,	/* flush = fdatasync (Firecracker's Writeback) */
};

struct disk_config {
	const char *id;		/* API drive_id; GET_ID serial; may be NULL */
	const char *path;
	bool read_only;
	bool is_root;		/* Firecracker's is_root_device */
	enum disk_cache cache;
};

struct net_config {
	const char *id;		/* API iface_id; may be NULL */
	const char *tap;	/* host TAP device name */
	uint8_t mac[6];
	bool has_mac;		/* else a locally administered one is made */
};

struct vsock_config {
	bool enabled;
	uint32_t guest_cid;	/* >= 3 */
	const char *uds_path;	/* host side, Firecracker's convention */
};

struct balloon_config {
	bool enabled;
	uint32_t target_mib;
	bool deflate_on_oom;
	uint32_t stats_interval_s;	/* 0: statistics off */
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	unsigned int nr_cpus;
	uint64_t mem_size;
	enum serial_mode serial_mode;
	const char *serial_path;
	bool debug_exit;
	bool guest_decompress;	/* bzImage: no host-side unpacking */

	unsigned int nr_disks;
	struct disk_config disks[VM_MAX_DISKS];
	unsigned int nr_nets;
	struct net_config nets[VM_MAX_NETS];
	struct vsock_config vsock;
	bool rng;
	struct balloon_config balloon;
};

#endif
