// SPDX-License-Identifier: MIT
/*
 * virtio-vsock connections and their host Unix sockets, on the VMM
 * thread's event loop (see vsock.h for the host-side convention and the
 * flow control, vsock_conn.h for the states).  All sockets are
 * nonblocking; nothing here waits.
 */
#include "virtio/vsock_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"

/* ---- lists and the table ----------------------------------------------- */

void vsock_list_add(struct vsock_list *l, struct vsock_conn *c, int k)
{
	c->link[k].prev = l->tail;
	c->link[k].next = NULL;
	if (l->tail)
		l->tail->link[k].next = c;
	else
		l->head = c;
	l->tail = c;
	l->nr++;
}

void vsock_list_del(struct vsock_list *l, struct vsock_conn *c, int k)
{
	struct vsock_link *ln = &c->link[k];

	if (ln->prev)
		ln->prev->link[k].next = ln->next;
	else
		l->head = ln->next;
	if (ln->next)
		ln->next->link[k].prev = ln->prev;
	else
		l->tail = ln->prev;
	ln->prev = ln->next = NULL;
	l->nr--;
}

static struct vsock_list *bucket(struct virtio_vsock *vs, uint32_t guest_port,
				 uint32_t host_port)
{
	uint32_t x = guest_port * 0x9e3779b1u ^ host_port * 0x85ebca6bu;

	return &vs->hash[(x ^ x >> 16) % VSOCK_HASH_SIZE];
}

struct vsock_conn *vsock_conn_find(struct virtio_vsock *vs,
				   uint32_t guest_port, uint32_t host_port)
{
	struct vsock_conn *c = bucket(vs, guest_port, host_port)->head;

	for (; c; c = c->link[VSOCK_L_HASH].next)
		if (c->guest_port == guest_port && c->host_port == host_port)
			return c;
	return NULL;
}

static void conn_hash(struct vsock_conn *c)
{
	vsock_list_add(bucket(c->vs, c->guest_port, c->host_port), c,
		       VSOCK_L_HASH);
	c->in_hash = true;
}

static void timer_arm(struct virtio_vsock *vs, bool on)
{
	struct itimerspec its = { 0 };

	if (vs->timer_armed == on)
		return;
	if (on) {
		its.it_value.tv_sec = 1;
		its.it_interval.tv_sec = 1;
	}
	if (!timerfd_settime(vs->timer_fd, 0, &its, NULL))
		vs->timer_armed = on;
}

static void conn_deadline(struct vsock_conn *c, uint64_t ms)
{
	c->deadline_ms = ms ? clock_mono_ms() + ms : 0;
	if (ms)
		timer_arm(c->vs, true);
}

/* ---- connection objects ------------------------------------------------ */

static void on_conn_event(void *opaque, uint32_t events);

static struct vsock_conn *conn_new(struct virtio_vsock *vs, int fd)
{
	struct vsock_conn *c;

	if (vs->all.nr >= VSOCK_MAX_CONNS) {
		vsock_count(vs, VSOCK_C_CONN_LIMIT, 1);
		log_ratelimited(&vs->vd.rl, LOG_WARN, "%s: %d connections "
				"already: refusing another", vs->vd.label,
				VSOCK_MAX_CONNS);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->vs = vs;
	c->fd = fd;
	if (evloop_add(vs->loop, fd, 0, on_conn_event, c)) {
		free(c);
		return NULL;
	}
	c->registered = true;
	vsock_list_add(&vs->all, c, VSOCK_L_ALL);
	vsock_count(vs, VSOCK_C_CONNS_OPENED, 1);
	return c;
}

static void conn_close_fd(struct vsock_conn *c)
{
	if (c->registered)
		evloop_del(c->vs->loop, c->fd);
	c->registered = false;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->pend);
	c->pend = NULL;
	c->pend_len = c->pend_head = 0;
}

void vsock_conn_free(struct vsock_conn *c)
{
	struct virtio_vsock *vs = c->vs;

	conn_close_fd(c);
	if (c->on_ready)
		vsock_list_del(&vs->ready, c, VSOCK_L_READY);
	if (c->in_hash)
		vsock_list_del(bucket(vs, c->guest_port, c->host_port), c,
			       VSOCK_L_HASH);
	vsock_list_del(&vs->all, c, VSOCK_L_ALL);
	vsock_count(vs, VSOCK_C_CONNS_CLOSED, 1);
	free(c);
}

/* Does the guest know of this connection? */
static bool guest_knows(const struct vsock_conn *c)
{
	return c->state != VSOCK_LINE &&
	       !(c->state == VSOCK_REQUEST && (c->ctrl & CTRL_REQUEST));
}

void vsock_conn_reset(struct vsock_conn *c)
{
	if (!guest_knows(c)) {
		vsock_conn_free(c);
		return;
	}
	conn_close_fd(c);
	c->state = VSOCK_CLOSING;
	c->ctrl = CTRL_RST;
	c->deadline_ms = 0;
	vsock_conn_update(c);
}

void vsock_conn_free_all(struct virtio_vsock *vs, bool keep_unknown)
{
	struct vsock_conn *c = vs->all.head, *next;

	for (; c; c = next) {
		next = c->link[VSOCK_L_ALL].next;
		if (!keep_unknown || guest_knows(c))
			vsock_conn_free(c);
	}
}

/* ---- credit and readiness ---------------------------------------------- */

uint32_t vsock_conn_peer_free(const struct vsock_conn *c)
{
	/* A guest fwd_cnt ahead of what we sent makes this huge: no credit. */
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 :
	       c->peer_buf_alloc - in_flight;
}

bool vsock_conn_wants_read(const struct vsock_conn *c)
{
	return c->state == VSOCK_ESTABLISHED && c->fd >= 0 && !c->host_eof &&
	       !(c->guest_shut & VSOCK_SHUTDOWN_RCV) &&
	       vsock_conn_peer_free(c) > 0;
}

void vsock_conn_update(struct vsock_conn *c)
{
	struct virtio_vsock *vs = c->vs;
	bool wants = vsock_conn_wants_read(c);
	bool ready = c->ctrl || (wants && c->readable);
	uint32_t ev = 0;

	if (c->state == VSOCK_LINE) {
		ev = EPOLLIN;
		ready = false;
	} else {
		/* Level-triggered: EPOLLIN only while nothing else will read
		 * the socket, so a guest without credit or rx buffers never
		 * makes this loop spin. */
		if (wants && !c->readable)
			ev |= EPOLLIN;
		if (c->pend_len)
			ev |= EPOLLOUT;
	}
	if (ready && !c->on_ready)
		vsock_list_add(&vs->ready, c, VSOCK_L_READY);
	else if (!ready && c->on_ready)
		vsock_list_del(&vs->ready, c, VSOCK_L_READY);
	c->on_ready = ready;
	if (c->registered && ev != c->events && !evloop_mod(vs->loop, c->fd, ev))
		c->events = ev;
}

/* ---- host socket I/O --------------------------------------------------- */

static bool would_block(int e)
{
	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR;
}

ssize_t vsock_conn_read(struct vsock_conn *c, const struct iovec *iov,
			unsigned int n)
{
	struct msghdr m = { .msg_iov = (struct iovec *)iov, .msg_iovlen = n };
	ssize_t r = recvmsg(c->fd, &m, MSG_DONTWAIT);

	if (r >= 0)
		return r;
	if (would_block(errno)) {
		c->readable = false;
		return -EAGAIN;
	}
	vsock_count(c->vs, VSOCK_C_HOST_ERRORS, 1);
	return -errno;
}

static void credit_check(struct vsock_conn *c)
{
	/* Tell the guest once a quarter of its credit came back: it may be
	 * waiting for it (5.10.6.3). */
	if (c->fwd_cnt - c->fwd_cnt_sent >= VSOCK_BUF_ALLOC / 4)
		c->ctrl |= CTRL_CREDIT;
}

/* Everything the guest sent has reached the host socket. */
static void conn_drained(struct vsock_conn *c)
{
	if (c->pend_len || c->state != VSOCK_ESTABLISHED)
		return;
	if ((c->guest_shut & VSOCK_SHUTDOWN_SEND) && !c->host_wr_shut) {
		shutdown(c->fd, SHUT_WR);
		c->host_wr_shut = true;
	}
	/* Both ways shut: the peer's RST ends it (5.10.6.7). */
	if (c->guest_shut == (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND))
		vsock_conn_reset(c);
}

/* Push pending guest bytes to the host socket.  0, or -errno. */
static int conn_flush(struct vsock_conn *c)
{
	while (c->pend_len) {
		uint32_t first = VSOCK_BUF_ALLOC - c->pend_head;
		struct iovec v[2] = {
			{ c->pend + c->pend_head,
			  first < c->pend_len ? first : c->pend_len },
			{ c->pend, first < c->pend_len ? c->pend_len - first : 0 },
		};
		struct msghdr m = { .msg_iov = v, .msg_iovlen = 2 };
		ssize_t r = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (r < 0) {
			if (would_block(errno))
				return 0;
			vsock_count(c->vs, VSOCK_C_HOST_ERRORS, 1);
			return -errno;
		}
		c->pend_head = (c->pend_head + (uint32_t)r) % VSOCK_BUF_ALLOC;
		c->pend_len -= (uint32_t)r;
		c->fwd_cnt += (uint32_t)r;
	}
	free(c->pend);
	c->pend = NULL;
	c->pend_head = 0;
	credit_check(c);
	conn_drained(c);
	return 0;
}

int vsock_conn_write(struct vsock_conn *c, const struct virtq_chain *ch,
		     uint32_t len)
{
	struct virtio_vsock *vs = c->vs;
	uint32_t done = 0;

	/* The guest may have at most VSOCK_BUF_ALLOC bytes in flight. */
	if (len > VSOCK_BUF_ALLOC - c->pend_len) {
		vsock_count(vs, VSOCK_C_CREDIT, 1);
		return -ENOBUFS;
	}
	c->rx_cnt += len;
	if (!c->pend_len && len) {
		struct msghdr m = { .msg_iov = vs->sub_iov };
		ssize_t r;

		m.msg_iovlen = vsock_sub_iov(ch, false, VSOCK_HDR_SIZE, len,
					     vs->sub_iov, VSOCK_QUEUE_SIZE);
		r = sendmsg(c->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && !would_block(errno)) {
			vsock_count(vs, VSOCK_C_HOST_ERRORS, 1);
			return -errno;
		}
		done = r > 0 ? (uint32_t)r : 0;
		c->fwd_cnt += done;
	}
	if (done < len) {
		uint32_t tail, n = len - done, first;

		if (!c->pend && !(c->pend = malloc(VSOCK_BUF_ALLOC)))
			return -ENOMEM;
		tail = (c->pend_head + c->pend_len) % VSOCK_BUF_ALLOC;
		first = VSOCK_BUF_ALLOC - tail < n ? VSOCK_BUF_ALLOC - tail : n;
		virtq_chain_read(ch, VSOCK_HDR_SIZE + done, c->pend + tail, first);
		virtq_chain_read(ch, VSOCK_HDR_SIZE + done + first, c->pend,
				 n - first);
		c->pend_len += n;
		return 0;
	}
	credit_check(c);
	return 0;
}

void vsock_conn_shutdown(struct vsock_conn *c, uint32_t flags)
{
	/* Permanent hints: later packets cannot clear them (5.10.6.7). */
	c->guest_shut |= flags & (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND);
	conn_drained(c);
}

int vsock_conn_established(struct vsock_conn *c)
{
	char ok[24];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);

	/* A fresh socket's buffer takes a few bytes; anything else means
	 * the host client is gone. */
	if (send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		vsock_count(c->vs, VSOCK_C_HOST_ERRORS, 1);
		return -EPIPE;
	}
	c->state = VSOCK_ESTABLISHED;
	c->deadline_ms = 0;
	c->readable = true;	/* bytes may have come after CONNECT */
	return 0;
}

/* ---- host-initiated: the CONNECT line ---------------------------------- */

static uint32_t alloc_port(struct virtio_vsock *vs, uint32_t guest_port)
{
	/* At most VSOCK_MAX_CONNS ports are taken: this ends. */
	for (;;) {
		uint32_t p = vs->next_port;

		vs->next_port = p == UINT32_MAX ? VSOCK_LOCAL_PORT_BASE : p + 1;
		if (!vsock_conn_find(vs, guest_port, p))
			return p;
	}
}

/* "CONNECT <port>\n" (Firecracker's), port a decimal uint32. */
static bool parse_line(const char *s, unsigned int len, uint32_t *port)
{
	uint64_t v = 0;
	unsigned int i = 8;

	if (len < 10 || memcmp(s, "CONNECT ", 8) || s[len - 1] != '\n')
		return false;
	for (; i < len - 1; i++) {
		if (s[i] < '0' || s[i] > '9' || i > 18)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*port = (uint32_t)v;
	return true;
}

/* Take bytes up to the newline and no further: what follows is data. */
static void line_read(struct vsock_conn *c)
{
	struct virtio_vsock *vs = c->vs;
	char *at = c->line + c->line_len;
	ssize_t n = recv(c->fd, at, VSOCK_LINE_MAX - c->line_len, MSG_PEEK);
	char *nl;
	size_t take;
	uint32_t port;

	if (n < 0 && would_block(errno))
		return;
	if (n <= 0) {
		vsock_conn_free(c);		/* gone before a word */
		return;
	}
	nl = memchr(at, '\n', (size_t)n);
	take = nl ? (size_t)(nl - at) + 1 : (size_t)n;
	if (recv(c->fd, at, take, 0) != (ssize_t)take) {
		vsock_conn_free(c);
		return;
	}
	c->line_len += (unsigned int)take;
	if (!nl && c->line_len < VSOCK_LINE_MAX)
		return;				/* more to come */
	if (!nl || !parse_line(c->line, c->line_len, &port)) {
		vsock_count(vs, VSOCK_C_HOST_BAD_LINE, 1);
		log_ratelimited(&vs->vd.rl, LOG_WARN, "%s: a host client on %s "
				"sent no 'CONNECT <port>' line: closed",
				vs->vd.label, vs->uds_path);
		vsock_conn_free(c);
		return;
	}
	c->guest_port = port;
	c->host_port = alloc_port(vs, port);
	c->state = VSOCK_REQUEST;
	c->ctrl = CTRL_REQUEST;
	conn_hash(c);
	conn_deadline(c, VSOCK_REQUEST_TIMEOUT_MS);
	vsock_conn_update(c);
}

/* ---- event handlers ---------------------------------------------------- */

/*
 * An event loop slot freed and reused within one epoll batch can deliver
 * the old socket's events to a new one: check before acting on a hang-up.
 */
static bool hung_up(int fd)
{
	struct pollfd p = { .fd = fd };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

static void on_conn_event(void *opaque, uint32_t events)
{
	struct vsock_conn *c = opaque;
	struct virtio_vsock *vs = c->vs;

	evloop_assert_owner(vs->loop);
	virtio_lock(&vs->vd);
	if ((events & (EPOLLHUP | EPOLLERR)) && hung_up(c->fd)) {
		/* Reported even when not asked for: off the loop, or it would
		 * spin.  Reads now end in EOF or an error, never EAGAIN. */
		evloop_del(vs->loop, c->fd);
		c->registered = false;
		events |= EPOLLIN | EPOLLOUT;
	}
	if (c->state == VSOCK_LINE) {
		line_read(c);			/* may free c */
		goto out;
	}
	if ((events & EPOLLOUT) && c->pend_len && conn_flush(c)) {
		vsock_conn_reset(c);
		goto out;
	}
	if (events & EPOLLIN)
		c->readable = true;
	vsock_conn_update(c);
out:
	vsock_rx_pump(vs);
	virtio_unlock(&vs->vd);
}

static void on_accept(void *opaque, uint32_t events)
{
	struct virtio_vsock *vs = opaque;

	evloop_assert_owner(vs->loop);
	virtio_lock(&vs->vd);
	for (int i = 0; i < 16; i++) {
		int fd = accept4(vs->listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct vsock_conn *c;

		if (fd < 0) {
			if (!would_block(errno) && errno != ECONNABORTED) {
				/* Out of fds: pause until the next tick. */
				vsock_count(vs, VSOCK_C_HOST_ERRORS, 1);
				log_ratelimited(&vs->vd.rl, LOG_WARN, "%s: "
						"accept on %s: %s", vs->vd.label,
						vs->uds_path, strerror(errno));
				evloop_mod(vs->loop, vs->listen_fd, 0);
				timer_arm(vs, true);
			}
			break;
		}
		c = conn_new(vs, fd);
		if (!c) {
			close(fd);
			continue;
		}
		c->state = VSOCK_LINE;
		conn_deadline(c, VSOCK_LINE_TIMEOUT_MS);
		vsock_conn_update(c);
	}
	virtio_unlock(&vs->vd);
}

static void on_timer(void *opaque, uint32_t events)
{
	struct virtio_vsock *vs = opaque;
	struct vsock_conn *c, *next;
	uint64_t n, now = clock_mono_ms();
	bool pending = false;

	evloop_assert_owner(vs->loop);
	if (read(vs->timer_fd, &n, sizeof(n)) < 0)
		return;
	virtio_lock(&vs->vd);
	evloop_mod(vs->loop, vs->listen_fd, EPOLLIN);
	for (c = vs->all.head; c; c = next) {
		next = c->link[VSOCK_L_ALL].next;
		if (!c->deadline_ms)
			continue;
		if (now < c->deadline_ms) {
			pending = true;
			continue;
		}
		vsock_count(vs, VSOCK_C_TIMEOUTS, 1);
		vsock_conn_reset(c);	/* frees what the guest never saw */
	}
	if (!pending)
		timer_arm(vs, false);
	vsock_rx_pump(vs);
	virtio_unlock(&vs->vd);
}

/* ---- guest-initiated --------------------------------------------------- */

struct vsock_conn *vsock_conn_connect(struct virtio_vsock *vs,
				      const struct vsock_hdr *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsock_conn *c;
	int fd, n;

	if (vs->all.nr >= VSOCK_MAX_CONNS) {
		vsock_count(vs, VSOCK_C_CONN_LIMIT, 1);
		return NULL;
	}
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", vs->uds_path,
		     h->dst_port);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* A Unix connect completes or fails at once (EAGAIN: the listener's
	 * backlog is full; refused like the rest). */
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path) || fd < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		vsock_count(vs, VSOCK_C_CONNECT_FAILED, 1);
		log_debug("%s: guest port %u to host port %u: %s: %s",
			  vs->vd.label, h->src_port, h->dst_port, sa.sun_path,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	c = conn_new(vs, fd);
	if (!c) {
		close(fd);
		return NULL;
	}
	c->state = VSOCK_ESTABLISHED;
	c->guest_port = h->src_port;
	c->host_port = h->dst_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->ctrl = CTRL_RESPONSE;
	conn_hash(c);
	return c;
}

/* ---- the listener ------------------------------------------------------ */

/* A socket file nobody accepts on: left by a vmon that died. */
static bool stale_socket(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) || !S_ISSOCK(st.st_mode))
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	return ret < 0 && errno == ECONNREFUSED;
}

int vsock_listen(struct virtio_vsock *vs)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ret;

	if (strlen(vs->uds_path) >= sizeof(sa.sun_path) - 12) {
		/* Room for "_<port>" too. */
		log_error("vsock: uds path %s is too long (at most %zu bytes)",
			  vs->uds_path, sizeof(sa.sun_path) - 13);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, vs->uds_path);
	vs->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, 0);
	vs->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
				      TFD_CLOEXEC);
	if (vs->listen_fd < 0 || vs->timer_fd < 0) {
		ret = -errno;
		goto err;
	}
	ret = bind(vs->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	if (ret && errno == EADDRINUSE && stale_socket(vs->uds_path, &sa) &&
	    !unlink(vs->uds_path))
		ret = bind(vs->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	if (ret) {
		ret = -errno;
		log_error("vsock: cannot listen on %s: %s%s", vs->uds_path,
			  strerror(-ret), ret == -EADDRINUSE ? " (another "
			  "vmon uses it, or it is not a socket)" : "");
		goto err;
	}
	if (listen(vs->listen_fd, 128)) {
		ret = -errno;
		log_error("vsock: cannot listen on %s: %s", vs->uds_path,
			  strerror(-ret));
		goto err_unlink;
	}
	if ((ret = evloop_add(vs->loop, vs->listen_fd, EPOLLIN, on_accept, vs)))
		goto err_unlink;
	if ((ret = evloop_add(vs->loop, vs->timer_fd, EPOLLIN, on_timer, vs))) {
		evloop_del(vs->loop, vs->listen_fd);
		goto err_unlink;
	}
	return 0;
err_unlink:
	unlink(vs->uds_path);
err:
	if (vs->listen_fd >= 0)
		close(vs->listen_fd);
	if (vs->timer_fd >= 0)
		close(vs->timer_fd);
	vs->listen_fd = vs->timer_fd = -1;
	return ret;
}

void vsock_unlisten(struct virtio_vsock *vs)
{
	if (vs->listen_fd >= 0) {
		evloop_del(vs->loop, vs->listen_fd);
		close(vs->listen_fd);
		unlink(vs->uds_path);
	}
	if (vs->timer_fd >= 0) {
		evloop_del(vs->loop, vs->timer_fd);
		close(vs->timer_fd);
	}
	vs->listen_fd = vs->timer_fd = -1;
}
