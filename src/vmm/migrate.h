/* SPDX-License-Identifier: MIT */
/*
 * Live migration on the VMM state machine (docs/migration.md): pre-copy
 * over TCP or a Unix socket, memory in rounds by the dirty log, then a
 * short stop for the rest and the device state.
 *
 *   source       PUT /migration/send: vmm_migrate_send starts it on the
 *                VMM thread (the rounds run on the event loop between the
 *                devices' events), the API thread waits in vmm_migrate_wait
 *                for its end: 0 when the destination has taken over (this
 *                process then exits 0), or an error with the guest still
 *                running here.
 *   destination  PUT /migration/receive in a vmon with nothing
 *                configured: listening when it returns; the stream is then
 *                read on the VMM thread (no VM here yet) with a deadline on
 *                every read.  A failed receive ends the process, status 2.
 */
#ifndef VMON_VMM_MIGRATE_H
#define VMON_VMM_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmm;

#define VMM_MIG_DOWNTIME_MS	50u	/* default target */
#define VMM_MIG_MAX_ROUNDS	30u	/* then it fails: did not converge */
#define VMM_MIG_TIMEOUT_MS	10000	/* the peer silent this long: fail */

struct vmm_migration_req {
	const char *url;	/* destination_url / receiver_url */
	uint32_t downtime_ms;	/* 0: the default */
};

enum vmm_mig_state {
	VMM_MIG_NONE, VMM_MIG_SENDING, VMM_MIG_RECEIVING, VMM_MIG_DONE,
	VMM_MIG_FAILED,
};

/* What GET /migration reports; a copy, taken under the lock. */
struct vmm_migration_status {
	enum vmm_mig_state state;
	bool source;
	char url[128];
	unsigned int round;
	uint64_t bytes;		/* page data sent or received */
	uint64_t pages;		/* pages sent or received */
	uint64_t dirty_pages;	/* left after the last round */
	uint64_t dirty_rate;	/* bytes per second, the last round */
	uint64_t bandwidth;	/* bytes per second, the last round */
	uint32_t expected_downtime_ms;
	uint32_t downtime_ms;	/* the stop, measured (source, done) */
	uint32_t total_ms;
	char message[512];	/* why it failed */
};

/* VMM thread. */
int vmm_migrate_send(struct vmm *v, const struct vmm_migration_req *r,
		     char *err, size_t len);
int vmm_migrate_receive(struct vmm *v, const struct vmm_migration_req *r,
			char *err, size_t len);
/* Any thread. */
void vmm_migration_status(struct vmm *v, struct vmm_migration_status *out);
/*
 * Not the VMM thread (the API's): wait for the send started by
 * vmm_migrate_send to end.  0, or -errno with err the reason.
 */
int vmm_migrate_wait(struct vmm *v, char *err, size_t len);
/* VMM thread, vmon stopping: end a migration in progress, waking waiters. */
void vmm_migrate_abort(struct vmm *v, const char *why);
void vmm_migrate_free(struct vmm *v);

#endif
