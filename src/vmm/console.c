// SPDX-License-Identifier: MIT
#include "vmm/console.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hw/serial.h"

/*
 * The saved terminal settings live at file scope for one reason: a crash
 * handler (SIGSEGV, SIGABRT) can reach nothing else, and it must put the
 * operator's terminal back.  Only console_open/close write them.
 */
static struct termios saved_termios;
static volatile sig_atomic_t saved_fd = -1;

static void crash_restore(int sig)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSANOW, &saved_termios);
	signal(sig, SIG_DFL);
	raise(sig);
}

int console_open(struct console *c, int in_fd)
{
	struct termios raw;

	memset(c, 0, sizeof(*c));
	c->in_fd = in_fd;
	if (in_fd < 0 || !isatty(in_fd))
		return 0;
	if (tcgetattr(in_fd, &saved_termios) < 0)
		return 0;	/* not a terminal after all: plain reads */
	raw = saved_termios;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST | ONLCR;	/* guest "\n" still starts a line */
	if (tcsetattr(in_fd, TCSANOW, &raw) < 0)
		return -errno;
	saved_fd = in_fd;
	c->raw = true;
	signal(SIGSEGV, crash_restore);
	signal(SIGBUS, crash_restore);
	signal(SIGABRT, crash_restore);
	signal(SIGFPE, crash_restore);
	fprintf(stderr, "vmon: serial console on this terminal; "
			"press Ctrl-A x to quit, Ctrl-A h for help\r\n");
	return 0;
}

void console_close(struct console *c)
{
	if (c->raw) {
		tcsetattr(c->in_fd, TCSANOW, &saved_termios);
		saved_fd = -1;
		c->raw = false;
	}
}

int console_poll_fd(struct console *c, struct serial *s)
{
	if (c->in_fd < 0 || c->eof || serial_rx_space(s) == 0)
		return -1;
	return c->in_fd;
}

enum console_action console_filter(struct console *c, const uint8_t *in,
				   size_t n, uint8_t *out, size_t *out_n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t b = in[i];

		/* Escapes only mean something on an interactive terminal. */
		if (!c->raw) {
			out[o++] = b;
			continue;
		}
		if (!c->escape) {
			if (b == CONSOLE_ESCAPE)
				c->escape = true;
			else
				out[o++] = b;
			continue;
		}
		c->escape = false;
		switch (b) {
		case 'x':
		case 'X':
			*out_n = o;
			return CONSOLE_QUIT;
		case CONSOLE_ESCAPE:
			out[o++] = b;
			break;
		case 'h':
		case 'H':
		case '?':
			fprintf(stderr, "\r\nvmon console: Ctrl-A x  quit\r\n"
					"              Ctrl-A Ctrl-A  send "
					"Ctrl-A\r\n");
			break;
		default:
			break;	/* unknown escapes are swallowed */
		}
	}
	*out_n = o;
	return CONSOLE_CONTINUE;
}

enum console_action console_read(struct console *c, struct serial *s)
{
	uint8_t in[256], out[256];
	size_t space = serial_rx_space(s), out_n = 0;
	enum console_action act;
	ssize_t n;

	if (space > sizeof(in))
		space = sizeof(in);
	if (space == 0)
		return CONSOLE_CONTINUE;
	n = read(c->in_fd, in, space);
	if (n < 0) {
		if (errno != EINTR && errno != EAGAIN)
			c->eof = true;	/* stop polling a broken fd */
		return CONSOLE_CONTINUE;
	}
	if (n == 0) {
		c->eof = true;
		return CONSOLE_CONTINUE;
	}
	act = console_filter(c, in, (size_t)n, out, &out_n);
	serial_rx_push(s, out, out_n);
	return act;
}
