// SPDX-License-Identifier: MIT
#include "api/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define REPLY_MAX (1u << 20)

static int send_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Status line and body of a whole response. */
static int parse_reply(char *buf, size_t n, struct api_reply *r)
{
	char *body;
	int status;

	if (n < 12 || sscanf(buf, "HTTP/1.%*1d %3d", &status) != 1)
		return -EPROTO;
	body = strstr(buf, "\r\n\r\n");
	if (!body)
		return -EPROTO;
	r->status = status;
	r->body = strdup(body + 4);
	return r->body ? 0 : -ENOMEM;
}

int api_client_request(const char *sock, const char *method, const char *path,
		       const char *body, int timeout_ms, struct api_reply *r,
		       char *err, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (timeout_ms % 1000) * 1000 };
	char head[1024], *buf = NULL;
	size_t blen = body ? strlen(body) : 0, got = 0;
	int fd, ret, n;

	r->status = 0;
	r->body = NULL;
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		snprintf(err, len, "%s: socket path too long", sock);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		snprintf(err, len, "cannot connect to %s: %s", sock,
			 strerror(errno));
		goto out;
	}
	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: localhost\r\n"
		     "Accept: application/json\r\nConnection: close\r\n"
		     "%sContent-Length: %zu\r\n\r\n", method, path,
		     blen ? "Content-Type: application/json\r\n" : "", blen);
	if ((ret = send_all(fd, head, (size_t)n)) ||
	    (blen && (ret = send_all(fd, body, blen)))) {
		snprintf(err, len, "%s: cannot send: %s", sock, strerror(-ret));
		goto out;
	}
	buf = malloc(REPLY_MAX + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t k = recv(fd, buf + got, REPLY_MAX - got, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			ret = -errno;
			snprintf(err, len, "%s: no answer: %s", sock,
				 errno == EAGAIN ? "timed out" : strerror(errno));
			goto out;
		}
		if (k == 0 || (got += (size_t)k) == REPLY_MAX)
			break;
	}
	buf[got] = '\0';
	ret = parse_reply(buf, got, r);
	if (ret)
		snprintf(err, len, "%s: malformed answer", sock);
out:
	free(buf);
	close(fd);
	return ret;
}

void api_reply_free(struct api_reply *r)
{
	free(r->body);
	r->body = NULL;
}
