// SPDX-License-Identifier: MIT
#include "lib/migstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/le.h"
#include "lib/snapfile.h"

/* Header: magic 0..8, version 8..12, arch 12..28, crc32 of 0..28. */
#define H_VERSION	8
#define H_ARCH		12
#define H_CRC		28
/* Frame header: type 0..4, len 4..8, payload crc 8..12, crc of 0..12. */
#define F_LEN		4
#define F_PCRC		8
#define F_CRC		12

_Static_assert(H_CRC + 4 == MIG_HEADER_SIZE, "stream header layout");
_Static_assert(F_CRC + 4 == MIG_FRAME_HEADER_SIZE, "frame header layout");
_Static_assert(H_CRC - H_ARCH == SNAP_ARCH_LEN, "arch tag as a snapshot's");

static uint32_t crc(const void *p, size_t n)
{
	return n ? (uint32_t)crc32_z(0, p, n) : 0;
}

static const char *const type_names[MIG_FRAME_TYPES] = {
	[MIG_CONFIG] = "CONFIG", [MIG_PAGES] = "PAGES", [MIG_ROUND] = "ROUND",
	[MIG_STATE] = "STATE", [MIG_READY] = "READY", [MIG_GO] = "GO",
	[MIG_ERROR] = "ERROR",
};

uint32_t mig_frame_max(uint32_t type)
{
	switch (type) {
	case MIG_CONFIG:
		return 1u << 20;	/* one small section */
	case MIG_PAGES:
		return 8 + MIG_PAGES_PER_FRAME * MIG_PAGE_SIZE;
	case MIG_ROUND:
		return 20;
	case MIG_STATE:
		return SNAP_MAX_FILE;
	case MIG_READY:
		return 0;
	case MIG_GO:
		return 5;
	case MIG_ERROR:
		return 512;
	default:
		return 0;
	}
}

void mig_header_put(uint8_t out[MIG_HEADER_SIZE], const char *arch)
{
	memset(out, 0, MIG_HEADER_SIZE);
	memcpy(out, MIG_MAGIC, 8);
	le32_put(out + H_VERSION, MIG_VERSION);
	strncpy((char *)out + H_ARCH, arch, SNAP_ARCH_LEN - 1);
	le32_put(out + H_CRC, crc(out, H_CRC));
}

int mig_header_check(const uint8_t in[MIG_HEADER_SIZE], const char *arch,
		     struct vmon_err *e)
{
	uint8_t want[SNAP_ARCH_LEN] = { 0 };
	char tag[SNAP_ARCH_LEN];
	uint32_t v;

	if (memcmp(in, MIG_MAGIC, 8))
		return err_set(e, ERR_USAGE, -EPROTO, "migration stream: not a "
			       "vmon migration stream (bad magic)");
	if (le32_get(in + H_CRC) != crc(in, H_CRC))
		return err_set(e, ERR_USAGE, -EPROTO, "migration stream: "
			       "header checksum mismatch");
	v = le32_get(in + H_VERSION);
	if (v != MIG_VERSION)
		return err_set(e, ERR_USAGE, -EPROTO, "migration stream: "
			       "version %u, this vmon speaks %u%s", v,
			       MIG_VERSION, v > MIG_VERSION ?
			       " (the source is newer)" : "");
	/* All 16 bytes, NUL padding included: one encoding per tag. */
	strncpy((char *)want, arch, SNAP_ARCH_LEN - 1);
	if (memcmp(in + H_ARCH, want, SNAP_ARCH_LEN)) {
		/* The peer's bytes, printable ones only, into the message. */
		for (unsigned int i = 0; i < SNAP_ARCH_LEN - 1; i++) {
			uint8_t c = in[H_ARCH + i];

			tag[i] = c >= 0x20 && c <= 0x7e ? (char)c : c ? '?' : '\0';
		}
		tag[SNAP_ARCH_LEN - 1] = '\0';
		return err_set(e, ERR_USAGE, -EPROTO, "migration stream: for "
			       "architecture '%s', this is %s", tag, arch);
	}
	return 0;
}

void mig_frame_header_put(uint8_t out[MIG_FRAME_HEADER_SIZE], uint32_t type,
			  const void *payload, uint32_t len)
{
	le32_put(out, type);
	le32_put(out + F_LEN, len);
	le32_put(out + F_PCRC, crc(payload, len));
	le32_put(out + F_CRC, crc(out, F_CRC));
}

int mig_frame_header_check(const uint8_t in[MIG_FRAME_HEADER_SIZE],
			   uint32_t *type, uint32_t *len, struct vmon_err *e)
{
	uint32_t t = le32_get(in), n = le32_get(in + F_LEN);

	*type = *len = 0;
	if (le32_get(in + F_CRC) != crc(in, F_CRC))
		return err_set(e, ERR_USAGE, -EPROTO, "migration stream: frame "
			       "header checksum mismatch");
	if (t == 0 || t >= MIG_FRAME_TYPES)
		return err_set(e, ERR_USAGE, -EPROTO, "migration stream: "
			       "unknown frame type %u", t);
	if (n > mig_frame_max(t))
		return err_set(e, ERR_USAGE, -EPROTO, "migration stream: %s "
			       "frame of %u bytes, more than its %u", type_names[t],
			       n, mig_frame_max(t));
	*type = t;
	*len = n;
	return 0;
}

int mig_frame_payload_check(const uint8_t in[MIG_FRAME_HEADER_SIZE],
			    const void *payload, uint32_t len,
			    struct vmon_err *e)
{
	if (le32_get(in + F_PCRC) != crc(payload, len))
		return err_set(e, ERR_USAGE, -EPROTO, "migration stream: %s "
			       "frame payload checksum mismatch",
			       le32_get(in) && le32_get(in) < MIG_FRAME_TYPES ?
			       type_names[le32_get(in)] : "?");
	return 0;
}

int mig_pages_parse(const void *payload, uint32_t len, uint64_t npages,
		    uint64_t *first, uint32_t *count, const uint8_t **data,
		    struct vmon_err *e)
{
	uint64_t f;
	uint32_t n;

	*first = 0;
	*count = 0;
	*data = NULL;
	if (len < 8 + MIG_PAGE_SIZE || (len - 8) % MIG_PAGE_SIZE)
		return err_set(e, ERR_USAGE, -EPROTO, "migration stream: PAGES "
			       "frame of %u bytes is not 8 + whole pages", len);
	f = le64_get(payload);
	n = (len - 8) / MIG_PAGE_SIZE;
	if (f >= npages || n > npages - f)
		return err_set(e, ERR_USAGE, -EPROTO, "migration stream: pages "
			       "%llu+%u are outside the guest's %llu pages",
			       (unsigned long long)f, n,
			       (unsigned long long)npages);
	*first = f;
	*count = n;
	*data = (const uint8_t *)payload + 8;
	return 0;
}

/* ---- I/O with deadlines ------------------------------------------------ */

/* Wait for fd to be ready for events; 0, or -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r ? 0 : -ETIMEDOUT;
}

int mig_read_full(int fd, void *buf, size_t n, int timeout_ms,
		  struct vmon_err *e)
{
	uint8_t *p = buf;
	int ret;

	while (n) {
		ssize_t r;

		/* Wait first: a blocking fd must not block past the deadline. */
		ret = wait_fd(fd, POLLIN, timeout_ms);
		if (ret == -ETIMEDOUT)
			return err_set(e, ERR_HOST, ret, "migration: the peer "
				       "sent nothing for %d ms", timeout_ms);
		if (ret)
			return err_set(e, ERR_HOST, ret, "migration: poll: %s",
				       strerror(-ret));
		r = read(fd, p, n);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == 0)
			return err_set(e, ERR_HOST, -ECONNRESET, "migration: the "
				       "peer closed the connection");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return err_set(e, ERR_HOST, -errno, "migration: read: "
				       "%s", strerror(errno));
	}
	return 0;
}

int mig_write_full(int fd, const void *buf, size_t n, int timeout_ms,
		   struct vmon_err *e)
{
	const uint8_t *p = buf;
	int ret;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN)
			return err_set(e, ERR_HOST, -errno, "migration: send: %s",
				       strerror(errno));
		ret = wait_fd(fd, POLLOUT, timeout_ms);
		if (ret == -ETIMEDOUT)
			return err_set(e, ERR_HOST, ret, "migration: the peer "
				       "took nothing for %d ms", timeout_ms);
		if (ret)
			return err_set(e, ERR_HOST, ret, "migration: poll: %s",
				       strerror(-ret));
	}
	return 0;
}

int mig_send(int fd, uint32_t type, const void *payload, uint32_t len,
	     int timeout_ms, struct vmon_err *e)
{
	uint8_t h[MIG_FRAME_HEADER_SIZE];
	int ret;

	mig_frame_header_put(h, type, payload, len);
	ret = mig_write_full(fd, h, sizeof(h), timeout_ms, e);
	if (!ret && len)
		ret = mig_write_full(fd, payload, len, timeout_ms, e);
	return ret;
}

int mig_recv(int fd, uint32_t *type, uint8_t **payload, uint32_t *len,
	     int timeout_ms, struct vmon_err *e)
{
	uint8_t h[MIG_FRAME_HEADER_SIZE], *p = NULL;
	int ret;

	*payload = NULL;
	if ((ret = mig_read_full(fd, h, sizeof(h), timeout_ms, e)) ||
	    (ret = mig_frame_header_check(h, type, len, e)))
		return ret;
	if (*len) {
		p = malloc(*len + 1);	/* +1: an ERROR message's NUL */
		if (!p)
			return err_set(e, ERR_HOST, -ENOMEM, "out of memory");
		if ((ret = mig_read_full(fd, p, *len, timeout_ms, e)))
			goto fail;
		p[*len] = '\0';
	}
	if ((ret = mig_frame_payload_check(h, p, *len, e)))
		goto fail;
	if (*type == MIG_ERROR) {
		/* Only printable bytes of the peer's words reach a log. */
		for (uint32_t i = 0; i < *len; i++)
			if (p[i] < 0x20 || p[i] > 0x7e)
				p[i] = '?';
		ret = err_set(e, ERR_HOST, -ECONNABORTED, "the peer gave up: "
			      "%s", p ? (char *)p : "(no reason)");
		goto fail;
	}
	*payload = p;
	return 0;
fail:
	free(p);
	return ret;
}

/* ---- addresses --------------------------------------------------------- */

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int mig_addr_parse(const char *url, struct mig_addr *a, char *err,
		   size_t len)
{
	memset(a, 0, sizeof(*a));
	if (!url || strlen(url) >= sizeof(a->text))
		return err_say(err, len, -EINVAL, "migration URL: give "
			       "tcp:HOST:PORT or unix:PATH (at most %zu "
			       "characters)", sizeof(a->text) - 1);
	snprintf(a->text, sizeof(a->text), "%s", url);
	if (!strncmp(url, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)&a->sa;
		const char *path = url + 5;

		if (!*path || strlen(path) >= sizeof(un->sun_path))
			return err_say(err, len, -EINVAL, "migration URL %s: "
				       "the socket path must be 1 to %zu "
				       "characters", url,
				       sizeof(un->sun_path) - 1);
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, path, strlen(path) + 1);
		a->len = sizeof(*un);
		return 0;
	}
	if (!strncmp(url, "tcp:", 4)) {
		char host[64];
		const char *h = url + 4, *colon = strrchr(h, ':');
		uint16_t port;
		size_t hl;

		if (!colon || parse_port(colon + 1, &port))
			return err_say(err, len, -EINVAL, "migration URL %s: "
				       "expected tcp:HOST:PORT with a port of "
				       "1 to 65535", url);
		hl = (size_t)(colon - h);
		bool bracketed = hl >= 2 && h[0] == '[' && h[hl - 1] == ']';

		if (bracketed) {
			h++;
			hl -= 2;
		}
		if (hl == 0 || hl >= sizeof(host))
			return err_say(err, len, -EINVAL, "migration URL %s: "
				       "no host", url);
		memcpy(host, h, hl);
		host[hl] = '\0';
		if (!strcmp(host, "localhost"))
			strcpy(host, "127.0.0.1");
		struct sockaddr_in *in4 = (struct sockaddr_in *)&a->sa;
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->sa;

		if (!bracketed && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
			in4->sin_family = AF_INET;
			in4->sin_port = htons(port);
			a->len = sizeof(*in4);
			return 0;
		}
		/* IPv6 in brackets ([::1]), as URLs write it. */
		if (bracketed && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
			in6->sin6_family = AF_INET6;
			in6->sin6_port = htons(port);
			a->len = sizeof(*in6);
			return 0;
		}
		return err_say(err, len, -EINVAL, "migration URL %s: '%s' is "
			       "not an IPv4 address or a bracketed IPv6 one "
			       "([::1]; names are not looked up)", url, host);
	}
	return err_say(err, len, -EINVAL, "migration URL '%s': expected "
		       "tcp:HOST:PORT or unix:PATH", url);
}

void mig_tune(int fd)
{
	int one = 1;

	/* Frames are written whole; small ones (GO) must not wait.  Fails
	 * harmlessly on a Unix socket. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int mig_listen(const struct mig_addr *a, int *fd, struct vmon_err *e)
{
	int family = a->sa.ss_family, one = 1, s, ret;

	*fd = -1;
	s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return err_set(e, ERR_HOST, -errno, "migration: socket: %s",
			       strerror(errno));
	if (family != AF_UNIX)
		(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (const struct sockaddr *)&a->sa, a->len) < 0 ||
	    listen(s, 1) < 0) {
		ret = err_set(e, ERR_USAGE, -errno, "migration: cannot listen "
			      "on %s: %s", a->text, strerror(errno));
		close(s);
		return ret;
	}
	*fd = s;
	return 0;
}

int mig_connect(const struct mig_addr *a, int timeout_ms, int *fd,
		struct vmon_err *e)
{
	int family = a->sa.ss_family, s, ret;

	*fd = -1;
	s = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return err_set(e, ERR_HOST, -errno, "migration: socket: %s",
			       strerror(errno));
	if (connect(s, (const struct sockaddr *)&a->sa, a->len) < 0) {
		if (errno != EINPROGRESS && errno != EAGAIN) {
			ret = err_set(e, ERR_USAGE, -errno, "migration: cannot "
				      "connect to %s: %s", a->text,
				      strerror(errno));
			goto fail;
		}
		/*
		 * Its result by connecting again (0 or EISCONN: connected),
		 * not getsockopt, which the VMM thread's seccomp filter
		 * has no use for otherwise.
		 */
		ret = wait_fd(s, POLLOUT, timeout_ms);
		if (!ret && connect(s, (const struct sockaddr *)&a->sa,
				    a->len) < 0 && errno != EISCONN)
			ret = -errno;
		if (ret) {
			err_set(e, ERR_USAGE, ret, "migration: cannot connect "
				"to %s: %s", a->text, ret == -ETIMEDOUT ?
				"no answer" : strerror(-ret));
			goto fail;
		}
	}
	*fd = s;
	return 0;
fail:
	close(s);
	return ret;
}
