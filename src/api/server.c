// SPDX-License-Identifier: MIT
#include "api/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/sandbox.h"
#include "lib/clock.h"
#include "lib/log.h"

#define SLOT_LISTEN	UINT64_MAX
#define SLOT_STOPPED	(UINT64_MAX - 1)

static const char *const server_counter_names[API_SERVER_NR] = {
	[API_CONNECTIONS] = "connections",
	[API_REJECTED] = "rejected_connections",
	[API_TIMEOUTS] = "timeouts",
	[API_BAD_HTTP] = "bad_http_requests",
};

static int server_call(struct vmm *v, int (*fn)(void *), void *arg)
{
	return evloop_call(vmm_loop(v), fn, arg);
}

/* Bind path; a socket file nobody listens on any more is replaced. */
static int bind_path(int fd, const char *path, char *err, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int probe, ret;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return 0;
	ret = -errno;
	if (ret == -EADDRINUSE) {
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 &&
		    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		    errno == ECONNREFUSED) {
			close(probe);
			unlink(path);
			if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
				return 0;
			ret = -errno;
		} else {
			if (probe >= 0)
				close(probe);
			snprintf(err, len, "API socket %s: another process is "
				 "serving it", path);
			return ret;
		}
	}
	snprintf(err, len, "API socket %s: %s", path, strerror(-ret));
	return ret;
}

int api_server_open(struct api_server *s, struct vmm *v, const char *path,
		    size_t max_body, char *err, size_t len)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct stat st;
	int ret;

	memset(s, 0, sizeof(*s));
	/*
	 * jansson seeds its hash function from /dev/urandom on first use;
	 * do it here, before the API thread is filtered and cannot open.
	 */
	json_object_seed(0);
	s->vmm = v;
	s->listen_fd = s->epfd = -1;
	s->max_body = max_body;
	for (int i = 0; i < API_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	if (!path[0] || strlen(path) > API_SOCK_PATH_MAX) {
		snprintf(err, len, "API socket path must be 1 to %d bytes",
			 API_SOCK_PATH_MAX);
		return -ENAMETOOLONG;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
					       SOCK_CLOEXEC, 0);
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->listen_fd < 0 || s->epfd < 0) {
		ret = -errno;
		snprintf(err, len, "API socket: %s", strerror(errno));
		goto err;
	}
	if ((ret = bind_path(s->listen_fd, path, err, len)))
		goto err;
	if (!stat(path, &st)) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	ev.data.u64 = SLOT_LISTEN;
	if (listen(s->listen_fd, 128) < 0 ||
	    epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) < 0) {
		ret = -errno;
		snprintf(err, len, "API socket %s: %s", path, strerror(errno));
		goto err_unlink;
	}
	ev.data.u64 = SLOT_STOPPED;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, v->stopped_fd, &ev) < 0) {
		ret = -errno;
		snprintf(err, len, "API: %s", strerror(errno));
		goto err_unlink;
	}
	s->ctx = (struct api_ctx){ .vmm = v, .call = server_call,
				   .metrics = &s->metrics };
	api_metrics_init(&s->metrics, &v->metrics);
	metrics_group_init(&s->server_metrics, "api_server",
			   server_counter_names, API_SERVER_NR);
	metrics_register(&v->metrics, &s->server_metrics);
	return 0;
err_unlink:
	unlink(path);
err:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->epfd >= 0)
		close(s->epfd);
	s->listen_fd = s->epfd = -1;
	return ret;
}

static void conn_close(struct api_server *s, struct api_conn *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	*c = (struct api_conn){ .fd = -1 };
}

static void conn_watch(struct api_server *s, struct api_conn *c)
{
	/* Read a new request only when the last answer has left. */
	struct epoll_event ev = {
		.events = c->out_len ? EPOLLOUT : EPOLLIN | EPOLLRDHUP,
		.data.u64 = (uint64_t)(c - s->conns),
	};

	epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Queue bytes for the client. */
static int conn_queue(struct api_conn *c, const char *buf, size_t n)
{
	char *out = realloc(c->out, c->out_len + n);

	if (!out)
		return -ENOMEM;
	memcpy(out + c->out_len, buf, n);
	c->out = out;
	c->out_len += n;
	return 0;
}

/* Write what is queued.  0: all written or must wait; -1: close it. */
static int conn_flush(struct api_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return c->close_after ? -1 : 0;
}

static int conn_respond(struct api_conn *c, int status, const char *allow,
			const char *body, bool keep_alive)
{
	size_t n;
	char *buf = http_format_response(status, allow, body,
					 body ? strlen(body) : 0, keep_alive,
					 &n);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = conn_queue(c, buf, n);
	free(buf);
	if (!keep_alive)
		c->close_after = true;
	return ret;
}

static void conn_fault(struct api_server *s, struct api_conn *c, int status,
		       const char *reason)
{
	struct api_response r = { 0 };

	metrics_inc(&s->server_metrics, API_BAD_HTTP);
	api_fault(&r, status, reason);
	/* The stream cannot be trusted after a framing error: close. */
	conn_respond(c, r.status, NULL, r.body, false);
	free(r.body);
}

/* Serve every whole request in the input buffer.  -1: close now. */
static int conn_serve(struct api_server *s, struct api_conn *c)
{
	bool served = false;

	while (c->in_len && !c->out_len && !c->close_after) {
		struct http_request req;
		struct http_error herr;
		struct api_response r;
		size_t used;
		enum http_result res;

		res = http_parse_request(c->in, c->in_len, s->max_body, &req,
					 &used, &herr);
		if (res == HTTP_ERROR) {
			conn_fault(s, c, herr.status, herr.reason);
			break;
		}
		if (res == HTTP_INCOMPLETE) {
			/* curl waits for this before sending a large body. */
			if (req.head_len && req.expect_continue &&
			    !c->sent_continue) {
				c->sent_continue = true;
				if (conn_queue(c, "HTTP/1.1 100 Continue\r\n\r\n",
					       25))
					return -1;
			}
			break;
		}
		api_dispatch(&s->ctx, req.method, req.path, req.body,
			     req.content_length, &r);
		if (conn_respond(c, r.status, r.allow, r.body, req.keep_alive)) {
			free(r.body);
			return -1;
		}
		free(r.body);
		memmove(c->in, c->in + used, c->in_len - used);
		c->in_len -= used;
		c->sent_continue = false;
		served = true;
		if (conn_flush(c))
			return -1;
	}
	if (conn_flush(c))
		return -1;
	/*
	 * A request's deadline runs from its first byte: trickling bytes
	 * does not extend it.  Idle connections get the longer one.
	 */
	if (served || (!c->in_len && !c->out_len))
		c->deadline_ms = clock_mono_ms() + (c->in_len || c->out_len
					     ? API_REQUEST_TIMEOUT_MS
					     : API_IDLE_TIMEOUT_MS);
	conn_watch(s, c);
	return 0;
}

static void conn_read(struct api_server *s, struct api_conn *c)
{
	/* One request at most: a head and a body, both bounded. */
	size_t cap = HTTP_MAX_HEAD + s->max_body;
	ssize_t n;

	if (!c->in) {
		c->in = malloc(cap);
		c->in_cap = cap;
	}
	/* A full buffer: the parser has refused what is in it already. */
	if (!c->in || c->in_len == c->in_cap) {
		conn_close(s, c);
		return;
	}
	n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(s, c);
		return;
	}
	if (!c->in_len)		/* a request starts */
		c->deadline_ms = clock_mono_ms() + API_REQUEST_TIMEOUT_MS;
	c->in_len += (size_t)n;
	if (conn_serve(s, c))
		conn_close(s, c);
}

static void accept_all(struct api_server *s)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP };
		struct api_conn *c = NULL;
		int fd = accept4(s->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;	/* EAGAIN, or out of fds: try next time */
		for (int i = 0; i < API_MAX_CONNS && !c; i++)
			if (s->conns[i].fd < 0)
				c = &s->conns[i];
		if (!c) {
			static const char busy[] =
				"HTTP/1.1 503 Service Unavailable\r\n"
				"Content-Length: 0\r\nConnection: close\r\n\r\n";

			metrics_inc(&s->server_metrics, API_REJECTED);
			if (send(fd, busy, sizeof(busy) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
				log_debug("api: %s", strerror(errno));
			close(fd);
			continue;
		}
		*c = (struct api_conn){
			.fd = fd, .deadline_ms = clock_mono_ms() + API_IDLE_TIMEOUT_MS,
		};
		ev.data.u64 = (uint64_t)(c - s->conns);
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			c->fd = -1;
			continue;
		}
		metrics_inc(&s->server_metrics, API_CONNECTIONS);
	}
}

/* Close connections past their deadline; the time to the next one. */
static int expire(struct api_server *s)
{
	uint64_t now = clock_mono_ms(), next = UINT64_MAX;

	for (int i = 0; i < API_MAX_CONNS; i++) {
		struct api_conn *c = &s->conns[i];

		if (c->fd < 0)
			continue;
		if (c->deadline_ms <= now) {
			metrics_inc(&s->server_metrics, API_TIMEOUTS);
			/* A half-sent request learns why, if it listens. */
			if (c->in_len && !c->out_len) {
				conn_fault(s, c, 408, "the request did not "
					   "arrive in time");
				conn_flush(c);
			}
			conn_close(s, c);
			continue;
		}
		if (c->deadline_ms < next)
			next = c->deadline_ms;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

static void *server_thread(void *arg)
{
	struct api_server *s = arg;
	struct epoll_event ev[32];
	bool stop = false;

	prctl(PR_SET_NAME, "vmon_api");
	/* Filtered before the first request is read. */
	if (!s->vmm->no_seccomp) {
		struct vmon_err e = { 0 };

		if (sandbox_enter(SANDBOX_API, &e)) {
			log_error("api: %s", e.msg);
			stop = true;
		}
	}
	while (!stop) {
		int n = epoll_wait(s->epfd, ev, 32, expire(s));

		if (n < 0 && errno != EINTR) {
			log_error("api: epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			uint64_t slot = ev[i].data.u64;
			struct api_conn *c;

			if (slot == SLOT_LISTEN) {
				accept_all(s);
				continue;
			}
			if (slot == SLOT_STOPPED) {
				stop = true;
				continue;
			}
			c = &s->conns[slot];
			if (c->fd < 0)
				continue;
			if (ev[i].events & EPOLLOUT) {
				if (conn_flush(c) || conn_serve(s, c))
					conn_close(s, c);
			} else if (ev[i].events & (EPOLLIN | EPOLLHUP |
						   EPOLLRDHUP | EPOLLERR)) {
				conn_read(s, c);
			}
		}
	}
	for (int i = 0; i < API_MAX_CONNS; i++)
		if (s->conns[i].fd >= 0)
			conn_close(s, &s->conns[i]);
	/* Last: the VMM may finish once no front end is left. */
	evloop_call(vmm_loop(s->vmm), vmm_detach, s->vmm);
	return NULL;
}

int api_server_start(struct api_server *s)
{
	int ret;

	vmm_attach(s->vmm);
	ret = -pthread_create(&s->thread, NULL, server_thread, s);
	if (ret) {
		vmm_detach(s->vmm);
		return ret;
	}
	s->running = true;
	return 0;
}

void api_server_close(struct api_server *s)
{
	struct stat st;

	if (s->running)
		pthread_join(s->thread, NULL);
	s->running = false;
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		/* Only our own socket file: another vmon may have replaced it. */
		if (!stat(s->path, &st) && st.st_dev == s->dev &&
		    st.st_ino == s->ino)
			unlink(s->path);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	s->listen_fd = s->epfd = -1;
}
