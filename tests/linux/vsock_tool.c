/*
 * vsock_tool: the Linux end-to-end test's vsock peer inside the guest
 * (busybox has no AF_VSOCK).  Static, no dependencies beyond libc.
 *
 *   vsock_tool connect CID PORT   copy stdin to the socket and the socket
 *                                 to stdout until both directions end
 *   vsock_tool echo PORT          accept one connection, send back every
 *                                 byte it receives, exit when it closes
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Pumps in->s and s->out; half-closes s when in ends. */
static int pump(int s, int in, int out)
{
	char buf[65536];
	struct pollfd p[2] = { { .fd = in, .events = POLLIN },
			       { .fd = s, .events = POLLIN } };
	int open_in = in >= 0, open_s = 1;

	if (!open_in)
		shutdown(s, SHUT_WR);
	while (open_s) {
		p[0].fd = open_in ? in : -1;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[0].revents) {
			ssize_t n = read(in, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				open_in = 0;
				shutdown(s, SHUT_WR);
			} else if (write_all(s, buf, (size_t)n)) {
				return -1;
			}
		}
		if (p[1].revents) {
			ssize_t n = read(s, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				open_s = 0;
			else if (write_all(out, buf, (size_t)n))
				return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK };
	int s = socket(AF_VSOCK, SOCK_STREAM, 0);

	if (s < 0) {
		perror("vsock_tool: socket");
		return 1;
	}
	if (argc == 4 && !strcmp(argv[1], "connect")) {
		a.svm_cid = (unsigned)strtoul(argv[2], NULL, 0);
		a.svm_port = (unsigned)strtoul(argv[3], NULL, 0);
		if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
			perror("vsock_tool: connect");
			return 1;
		}
		return pump(s, 0, 1) ? 1 : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "echo")) {
		a.svm_cid = VMADDR_CID_ANY;
		a.svm_port = (unsigned)strtoul(argv[2], NULL, 0);
		if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1)) {
			perror("vsock_tool: bind/listen");
			return 1;
		}
		puts("vsock_tool: listening");
		fflush(stdout);
		int c = accept(s, NULL, NULL);
		if (c < 0) {
			perror("vsock_tool: accept");
			return 1;
		}
		/* Echo: whatever arrives goes back on the same connection. */
		char buf[65536];
		for (;;) {
			ssize_t n = read(c, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			if (write_all(c, buf, (size_t)n))
				return 1;
		}
		close(c);
		return 0;
	}
	fprintf(stderr, "usage: vsock_tool connect CID PORT | echo PORT\n");
	return 2;
}
