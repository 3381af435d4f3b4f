/* SPDX-License-Identifier: MIT */
/*
 * The operator's side of the serial console on stdio.  On a terminal it is
 * put in raw mode (so Ctrl-C reaches the guest) with an escape key,
 * Ctrl-A, as in QEMU: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A.  The
 * terminal's settings are restored on every way out, crashes included.
 */
#ifndef VMON_VMM_CONSOLE_H
#define VMON_VMM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ESCAPE 0x01	/* Ctrl-A */

struct serial;

struct console {
	int in_fd;		/* -1: no input */
	bool raw;		/* terminal settings changed */
	bool escape;		/* Ctrl-A seen, waiting for the command key */
	bool eof;
};

/* Start reading in_fd (-1 for none); raw mode if it is a terminal. */
int console_open(struct console *c, int in_fd);
void console_close(struct console *c);

/* fd to poll for input now, or -1 (none, EOF, or the guest's FIFO full). */
int console_poll_fd(struct console *c, struct serial *s);

enum console_action { CONSOLE_CONTINUE, CONSOLE_QUIT };

/*
 * Read what is there and pass it to the UART, acting on escapes.
 * Pure enough for tests: console_filter() does the escape handling.
 */
enum console_action console_read(struct console *c, struct serial *s);

/*
 * Apply the escape rules to in[0..n): guest-bound bytes go to out (which
 * has room for n bytes); *out_n receives their count.
 */
enum console_action console_filter(struct console *c, const uint8_t *in,
				   size_t n, uint8_t *out, size_t *out_n);

#endif
