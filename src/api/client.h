/* SPDX-License-Identifier: MIT */
/* A minimal HTTP/1.1 client for the API socket, for `vmon ctl` and `vmon ps`. */
#ifndef VMON_API_CLIENT_H
#define VMON_API_CLIENT_H

#include <stddef.h>

struct api_reply {
	int status;
	char *body;		/* malloc'd, NUL-terminated ("" when none) */
};

/*
 * One request on a fresh connection (Connection: close), body may be NULL.
 * Returns 0 with the reply, or -errno with a message in err.
 */
int api_client_request(const char *sock, const char *method, const char *path,
		       const char *body, int timeout_ms, struct api_reply *r,
		       char *err, size_t len);
void api_reply_free(struct api_reply *r);

#endif
