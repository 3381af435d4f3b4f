/* SPDX-License-Identifier: MIT */
/*
 * The VMM: one VM's life as a management front end (the Firecracker API,
 * its config file) sees it.  It keeps the configuration until the start,
 * enforces the lifecycle rules (pre-boot only resources, one start, one
 * root drive), builds the struct vm_config, and then creates, runs, pauses
 * and stops the VM.  It knows nothing of HTTP or JSON.
 *
 * Threads: everything here runs on the VMM thread (the main thread), or
 * before vmm_run() starts it.  A front end on another thread posts work
 * with evloop_call(vmm_loop(v), ...).
 */
#ifndef VMON_VMM_VMM_H
#define VMON_VMM_VMM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/evloop.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "machine/vm.h"
#include "machine/vm_config.h"
#include "vmm/serve.h"

#define VMM_MAX_VCPUS		32	/* Firecracker's limit, the API's */
#define VMM_DEFAULT_MEM_MIB	128	/* Firecracker's default */
#define VMM_MIN_MEM_MIB		4
#define VMM_MAX_MEM_MIB		(1ULL << 20)	/* 1 TiB, as `vmon run` */
#define VMM_ID_MAX		64
#define VMM_METRICS_PERIOD_S	60	/* as Firecracker */
#define VMM_DEFAULT_CMDLINE \
	"reboot=k panic=1 nomodule i8042.noaux i8042.nomux i8042.dumbkbd"

enum vmm_state { VMM_NOT_STARTED, VMM_RUNNING, VMM_PAUSED };

/* Requests: strings are borrowed; the VMM copies what it keeps. */
struct vmm_boot_source {
	const char *kernel, *initrd, *boot_args;
};

struct vmm_machine {
	bool has_vcpus, has_mem, has_track;	/* PATCH sets some, PUT all */
	unsigned int vcpus;
	uint64_t mem_mib;
	bool track_dirty;	/* track_dirty_pages: Diff snapshots */
};

struct vmm_drive_req {
	const char *id, *path, *partuuid;
	bool root, read_only;
	enum disk_cache cache;
	struct rate_limiter_config limit;	/* all off: none */
};

struct vmm_net_req {
	const char *id, *tap;
	uint8_t mac[6];
	bool has_mac;
	struct rate_limiter_config rx_limit, tx_limit;
};

struct vmm_vsock_req {
	uint32_t cid;
	const char *uds_path, *vsock_id;
};

struct vmm_logger_req {
	const char *path;
	enum log_level level;
	bool show_level, show_origin;
	const char *module;
};

struct vmm_metrics_req {
	const char *path;
	bool emit_id;
	const char *extra_json;	/* members for each line: "\"k\":v," */
};

/* What the VMM keeps of a drive and an interface (owned strings). */
struct vmm_drive {
	char *id, *path, *partuuid;
	bool root, read_only;
	enum disk_cache cache;
	struct rate_limiter_config limit;
};

struct vmm_net {
	char *id, *tap;
	uint8_t mac[6];
	bool has_mac;
	struct rate_limiter_config rx_limit, tx_limit;
};

struct vmm {
	char id[VMM_ID_MAX + 1];
	atomic_int state;		/* enum vmm_state; read by front ends */

	/* The configuration, as set through the front end. */
	char *kernel, *initrd, *boot_args;
	unsigned int vcpus;
	uint64_t mem_mib;
	bool track_dirty;		/* track_dirty_pages */
	bool machine_set;		/* PUT/PATCH /machine-config done */
	unsigned int nr_drives;
	struct vmm_drive drives[VM_MAX_DISKS];	/* the root drive first */
	unsigned int nr_nets;
	struct vmm_net nets[VM_MAX_NETS];
	bool has_vsock;
	uint32_t vsock_cid;
	char *vsock_uds, *vsock_id;
	bool has_entropy;
	struct rate_limiter_config entropy_limit;
	struct balloon_config balloon;	/* .enabled: configured */
	char *serial_path;
	bool has_logger;
	char *log_path, *log_module;
	enum log_level log_level;
	bool log_show_level, log_show_origin;
	bool has_metrics;
	char *metrics_path, *metrics_extra;
	bool metrics_emit_id;
	int metrics_fd;

	/* The VMM thread. */
	struct evloop loop;		/* handed to the VM at the start */
	int sig_fd;
	int timer_fd;			/* periodic metrics flush */
	bool quit;			/* stop signal before the start */
	int quit_status;		/* the exit status then (0 unless a
					 * migration into this vmon failed) */
	struct vmm_mig *mig;		/* vmm/migrate.c; NULL until used */
	bool no_seccomp;		/* --no-seccomp: no thread filtered */
	bool debug_exit;		/* --debug-exit (vmon's own, tests) */
	bool sandbox_pending;		/* started; filter before serving */
	int stopped_fd;			/* eventfd: front ends, let go */
	unsigned int nr_frontends;	/* attached; vmm_run waits for them */
	struct metrics metrics;		/* the front ends' counters */

	/* The VM, once started; why the last start failed. */
	struct vmon_err start_err;
	bool vm_created;
	struct vm vm;
	struct vm_config cfg;
	char *cmdline;
	struct vm_serve serve;
};

int vmm_init(struct vmm *v, const char *id);
void vmm_destroy(struct vmm *v);

/* The loop a front end posts to (the VM's too, once it exists). */
struct evloop *vmm_loop(struct vmm *v);
static inline enum vmm_state vmm_state(struct vmm *v)
{
	return (enum vmm_state)atomic_load(&v->state);
}
const char *vmm_state_name(enum vmm_state s);

/*
 * Configuration.  Each returns 0, or -errno with a message for the client
 * in err: -EPERM wrong state, -EINVAL bad value, -ENOENT unknown id,
 * -EEXIST conflict, -ENOSPC too many, -ENODEV no device for a run-time
 * change yet, or the errno of a file that cannot be opened.
 */
int vmm_set_boot_source(struct vmm *v, const struct vmm_boot_source *r,
			char *err, size_t len);
int vmm_set_machine(struct vmm *v, const struct vmm_machine *r, char *err,
		    size_t len);
int vmm_put_drive(struct vmm *v, const struct vmm_drive_req *r, char *err,
		  size_t len);
/*
 * On a running VM: a media change (path) and a new rate limit (limit);
 * either may be NULL (nothing to change there).
 */
int vmm_patch_drive(struct vmm *v, const char *id, const char *path,
		    const struct rate_limiter_patch *limit, char *err,
		    size_t len);
int vmm_put_net(struct vmm *v, const struct vmm_net_req *r, char *err,
		size_t len);
/* New rate limits on a running VM; rx or tx NULL: no change there. */
int vmm_patch_net(struct vmm *v, const char *id,
		  const struct rate_limiter_patch *rx,
		  const struct rate_limiter_patch *tx, char *err, size_t len);
int vmm_put_vsock(struct vmm *v, const struct vmm_vsock_req *r, char *err,
		  size_t len);
int vmm_put_entropy(struct vmm *v, const struct rate_limiter_config *limit,
		    char *err, size_t len);
int vmm_put_balloon(struct vmm *v, const struct balloon_config *r, char *err,
		    size_t len);
int vmm_patch_balloon(struct vmm *v, uint32_t amount_mib, char *err,
		      size_t len);
int vmm_patch_balloon_stats(struct vmm *v, uint32_t interval_s, char *err,
			    size_t len);
/* The balloon device's statistics into *out; -EPERM before the start. */
struct balloon_stats;
int vmm_balloon_stats(struct vmm *v, struct balloon_stats *out, char *err,
		      size_t len);
int vmm_put_serial(struct vmm *v, const char *path, char *err, size_t len);
int vmm_put_logger(struct vmm *v, const struct vmm_logger_req *r, char *err,
		   size_t len);
int vmm_put_metrics(struct vmm *v, const struct vmm_metrics_req *r, char *err,
		    size_t len);

/* Actions. */
int vmm_start(struct vmm *v, char *err, size_t len);

/* PUT /snapshot/create and /snapshot/load (vmm/snapshot.c). */
struct vmm_snapshot_req {
	const char *state_path, *mem_path;
	bool diff;	/* create: Diff; load: dirty page tracking asked */
	bool resume;	/* load: resume_vm */
};
int vmm_snapshot_create(struct vmm *v, const struct vmm_snapshot_req *r,
			char *err, size_t len);
int vmm_snapshot_load(struct vmm *v, const struct vmm_snapshot_req *r,
		      char *err, size_t len);
int vmm_pause(struct vmm *v, char *err, size_t len);
int vmm_resume(struct vmm *v, char *err, size_t len);
int vmm_send_ctrl_alt_del(struct vmm *v, char *err, size_t len);
int vmm_flush_metrics(struct vmm *v, char *err, size_t len);

/* Ctrl+Alt+Del as an i8042 with translation sends it (scancode set 1). */
extern const uint8_t vmm_ctrl_alt_del_keys[8];

/*
 * The VMM thread's life: serve the loop until the VM stops (or a stop
 * signal comes before the start), tell front ends through stopped_fd,
 * keep serving until every front end has called vmm_detach(), then stop
 * the vCPUs.  Returns the process exit status.
 */
int vmm_run(struct vmm *v);
/* Front ends: attach before vmm_run, detach (on the VMM thread) when done. */
void vmm_attach(struct vmm *v);
int vmm_detach(void *vmm);

#endif
