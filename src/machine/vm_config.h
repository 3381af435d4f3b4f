/* SPDX-License-Identifier: MIT */
/*
 * What a VM is made of, as the command line (`vmon run`), the API and the
 * config file describe it; each device's part is in the device's header.
 * Front ends fill it and keep the strings alive for the VM's lifetime;
 * vm_create() only reads it.
 */
#ifndef VMON_MACHINE_VM_CONFIG_H
#define VMON_MACHINE_VM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "virtio/balloon.h"
#include "virtio/blk.h"
#include "virtio/net.h"
#include "virtio/rng.h"
#include "virtio/vsock.h"

#define VM_MAX_DISKS	16
#define VM_MAX_NETS	8
/* RAM: whole 4 KiB pages (`vmon run --mem`), at most 1 TiB. */
#define VM_MEM_ALIGN	4096u
#define VM_MAX_MEM	(1ULL << 40)

enum serial_mode { SERIAL_STDIO, SERIAL_NONE, SERIAL_FILE };

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
	bool no_seccomp;	/* threads without filters: debugging only */
	/* KVM's dirty log on RAM, and the VMM's writes marked: Diff snapshots. */
	bool track_dirty;
	/* A migration's destination: RAM is this memfd, mapped shared. */
	bool has_mem_fd;
	int mem_fd;
	/* A restore: RAM is this snapshot memory file, mapped private. */
	const char *mem_file;

	unsigned int nr_disks;
	struct disk_config disks[VM_MAX_DISKS];
	unsigned int nr_nets;
	struct net_config nets[VM_MAX_NETS];
	struct vsock_config vsock;
	bool rng;
	struct rate_limiter_config rng_limit;	/* all off: none */
	struct balloon_config balloon;
};

/*
 * Every rule between devices, for every front end: unique drive and
 * interface ids, TAP devices and MACs, one root drive, a usable vsock CID,
 * a balloon no larger than RAM.  Per-value syntax is the front ends'.
 * 0, or -EEXIST (a conflict) or -EINVAL with a message in err.
 */
int vm_config_check(const struct vm_config *cfg, char *err, size_t len);

#endif
