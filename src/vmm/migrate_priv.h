/* SPDX-License-Identifier: MIT */
/* Between migrate.c (the source, the shared state) and migrate_recv.c. */
#ifndef VMON_VMM_MIGRATE_PRIV_H
#define VMON_VMM_MIGRATE_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/migrate.h"

struct vmm_mig {
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct vmm_migration_status st;	/* under lock */

	/* VMM thread only. */
	struct vmm *v;
	int fd;
	int listen_fd;
	uint64_t npages;
	size_t words;
	uint64_t *todo;			/* pages to send this round */
	uint64_t cursor;		/* next page of todo to look at */
	uint8_t *out;			/* one frame being written */
	size_t out_len, out_off;
	uint64_t round_start, round_bytes, start;
	uint64_t bandwidth;		/* bytes/s, last round */
	uint32_t downtime_ms;
	bool was_running;
	bool watched;
	bool disks_unlocked;		/* between READY and GO */
	int timer_fd;			/* a tick a second: is the peer stuck? */
	uint64_t progress_at;		/* the last byte the peer took */
};

/* The migration state of v, made on first use; NULL out of memory. */
struct vmm_mig *mig_get(struct vmm *v);
/* Under the lock, waking waiters; msg (may be NULL) is the reason kept. */
void mig_set_state(struct vmm_mig *m, enum vmm_mig_state s, const char *msg);
/* The connection, its watch and timer, and the round's buffers, gone. */
void mig_close_stream(struct vmm_mig *m);
/* Best effort: an ERROR frame with msg to the peer. */
void mig_tell_peer(struct vmm_mig *m, const char *msg);

#endif
