/* SPDX-License-Identifier: MIT */
/*
 * The API server: one thread serving HTTP on a Unix socket with epoll and
 * nonblocking sockets, so a slow or silent client never holds up another.
 * Each connection has bounded buffers and deadlines; requests are routed
 * (api/router.c) and their work runs on the VMM thread via evloop_call.
 */
#ifndef VMON_API_SERVER_H
#define VMON_API_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/http.h"
#include "api/router.h"
#include "lib/metrics.h"
#include "vmm/vmm.h"

#define API_MAX_CONNS		64
#define API_IDLE_TIMEOUT_MS	60000	/* no request in progress */
#define API_REQUEST_TIMEOUT_MS	5000	/* a request arriving, an answer leaving */
#define API_SOCK_PATH_MAX	107	/* sockaddr_un.sun_path, less the NUL */

struct api_conn {
	int fd;				/* -1: free slot */
	char *in;			/* what the client sent, not yet served */
	size_t in_len, in_cap;
	char *out;			/* answers not yet written */
	size_t out_len, out_off;
	bool close_after;		/* once out is written */
	bool sent_continue;		/* 100 Continue for this request */
	uint64_t deadline_ms;
};

enum api_server_counter {
	API_CONNECTIONS, API_REJECTED, API_TIMEOUTS, API_BAD_HTTP,
	API_SERVER_NR,
};

struct api_server {
	struct vmm *vmm;
	int listen_fd, epfd;
	char path[API_SOCK_PATH_MAX + 1];
	dev_t dev;			/* the socket file we made, to unlink */
	ino_t ino;
	size_t max_body;
	pthread_t thread;
	bool running;
	struct api_ctx ctx;
	struct api_metrics metrics;
	struct metrics_group server_metrics;
	struct api_conn conns[API_MAX_CONNS];
};

/*
 * Bind and listen on path (a stale socket file there is replaced; a live
 * one is an error), register the API's counters.  Connections queue from
 * now on.  0 or -errno with a message in err.
 */
int api_server_open(struct api_server *s, struct vmm *v, const char *path,
		    size_t max_body, char *err, size_t len);
/* Start the thread; it serves until the VMM stops.  Before vmm_run(). */
int api_server_start(struct api_server *s);
/* Join the thread (after vmm_run()), close, remove the socket file. */
void api_server_close(struct api_server *s);

#endif
