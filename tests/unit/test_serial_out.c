// SPDX-License-Identifier: MIT
/*
 * The console's output path with no VM behind it: the byte ring, the
 * non-blocking writer, and the 16550 driven through its registers onto a
 * pipe that the test reads or leaves unread (a stalled reader), drained
 * by a real event loop as the VMM thread drains it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/evloop.h"
#include "hw/serial.h"
#include "lib/clock.h"
#include "lib/outfd.h"
#include "lib/ring.h"
#include "unit/hw_io.h"

/* ---- the ring ---------------------------------------------------------- */

static void ring_wraps_and_refuses(void **state)
{
	struct ring r;
	const uint8_t *p;

	assert_int_equal(ring_init(&r, 0), -EINVAL);
	assert_int_equal(ring_init(&r, 8), 0);
	assert_int_equal(ring_peek(&r, &p), 0);
	assert_int_equal(ring_push(&r, "abcde", 5), 5);
	assert_int_equal(ring_peek(&r, &p), 5);
	assert_memory_equal(p, "abcde", 5);
	ring_consume(&r, 3);
	/* Six free, five asked: the run wraps past the end of the buffer. */
	assert_int_equal(ring_push(&r, "fghij", 5), 5);
	assert_int_equal(ring_len(&r), 7);
	assert_int_equal(ring_space(&r), 1);
	assert_int_equal(ring_peek(&r, &p), 5);		/* up to the end */
	assert_memory_equal(p, "defgh", 5);
	ring_consume(&r, 5);
	assert_int_equal(ring_peek(&r, &p), 2);
	assert_memory_equal(p, "ij", 2);
	/* Full: what does not fit is refused, not grown into. */
	assert_int_equal(ring_push(&r, "0123456789", 10), 6);
	assert_int_equal(ring_space(&r), 0);
	assert_int_equal(ring_push(&r, "x", 1), 0);
	ring_consume(&r, 100);			/* more than held: all */
	assert_int_equal(ring_len(&r), 0);
	/* Empty starts over at 0: one whole run again. */
	assert_int_equal(ring_push(&r, "ABCDEFGH", 8), 8);
	assert_int_equal(ring_peek(&r, &p), 8);
	assert_memory_equal(p, "ABCDEFGH", 8);
	ring_destroy(&r);
	assert_null(r.buf);
}

/* ---- the writer ------------------------------------------------------- */

static void outfd_leaves_the_shared_description_alone(void **state)
{
	struct outfd w;
	char buf[4096];
	int fds[2];
	ssize_t n;
	size_t total = 0;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(outfd_open(&w, fds[1]), 0);
	/* A private reopen: the caller's fd stays blocking. */
	assert_true(w.own);
	assert_int_not_equal(w.fd, fds[1]);
	assert_false(fcntl(fds[1], F_GETFL) & O_NONBLOCK);
	memset(buf, 'w', sizeof(buf));
	while ((n = outfd_write(&w, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	assert_int_equal(n, -EAGAIN);
	assert_true(total >= 4096);
	outfd_close(&w);
	assert_false(fcntl(fds[1], F_GETFL) & O_NONBLOCK);
	/* The reader gone: EPIPE (SIGPIPE is ignored by vmon, and here). */
	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(outfd_open(&w, fds[1]), 0);
	assert_int_equal(outfd_write(&w, "x", 1), -EPIPE);
	outfd_close(&w);
	close(fds[1]);

	/* A socket: send(MSG_DONTWAIT), its flags untouched too. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
	assert_int_equal(outfd_open(&w, fds[1]), 0);
	assert_true(w.sock);
	assert_int_equal(w.fd, fds[1]);
	while ((n = outfd_write(&w, buf, sizeof(buf))) > 0)
		;
	assert_int_equal(n, -EAGAIN);
	assert_false(fcntl(fds[1], F_GETFL) & O_NONBLOCK);
	outfd_close(&w);
	close(fds[0]);
	close(fds[1]);
}

static void outfd_writes_files_as_they_are(void **state)
{
	char path[] = "/tmp/vmon-outfd.XXXXXX";
	int fd = mkstemp(path);
	struct outfd w;

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(outfd_open(&w, fd), 0);
	assert_int_equal(w.fd, fd);
	assert_false(w.own);
	assert_int_equal(w.restore_flags, -1);
	assert_int_equal(outfd_write(&w, "file", 4), 4);
	outfd_close(&w);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 4);
	close(fd);
}

/* ---- the UART on a pipe ------------------------------------------------ */

/* The byte at stream position i: a prime period shows any reordering. */
static uint8_t pat(size_t i)
{
	return (uint8_t)(i % 251);
}

struct line_rec {
	int level;
};

static void line_set(void *opaque, unsigned int line, int level)
{
	struct line_rec *r = opaque;

	r->level = level;
}

struct fixture {
	struct evloop loop;
	struct serial s;
	struct line_rec line;
	int rd, wr;		/* the pipe: the test reads rd */
	size_t sent;		/* stream positions accepted so far */
	size_t seen;		/* stream positions read back */
};

static void fx_init(struct fixture *f, int pipe_size)
{
	struct irq_line l = { .set = line_set, .opaque = &f->line, .line = 4 };
	int fds[2];

	memset(f, 0, sizeof(*f));
	assert_int_equal(pipe(fds), 0);
	f->rd = fds[0];
	f->wr = fds[1];
	/* A small pipe: the ring fills after a page, not 64 KiB more. */
	assert_true(fcntl(f->wr, F_SETPIPE_SZ, pipe_size) >= pipe_size);
	assert_int_equal(fcntl(f->rd, F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(evloop_init(&f->loop), 0);
	assert_int_equal(serial_init(&f->s, &l, f->wr, &f->loop), 0);
	assert_true(f->s.out_polled);
}

static void fx_fini(struct fixture *f)
{
	serial_destroy(&f->s);
	evloop_destroy(&f->loop);
	if (f->rd >= 0)
		close(f->rd);
	close(f->wr);
}

static bool thre(struct fixture *f)
{
	uint8_t lsr = rd(serial_io, &f->s, UART_LSR);

	/* THRE and TEMT always agree here: nothing lingers in a shifter. */
	assert_int_equal(!!(lsr & UART_LSR_THRE), !!(lsr & UART_LSR_TEMT));
	return lsr & UART_LSR_THRE;
}

static void run_loop(struct fixture *f)
{
	while (evloop_run_once(&f->loop, 0) > 0)
		;
}

/* What the reader has: checked against the pattern, counted. */
static size_t read_back(struct fixture *f)
{
	uint8_t buf[4096];
	ssize_t n;
	size_t got = 0;

	while ((n = read(f->rd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			assert_int_equal(buf[i], pat(f->seen + (size_t)i));
		f->seen += (size_t)n;
		got += (size_t)n;
	}
	return got;
}

/* A polling driver: write while THRE says so, the loop draining now and then. */
static void fill_until_busy(struct fixture *f)
{
	while (thre(f)) {
		wr(serial_io, &f->s, UART_THR, pat(f->sent++));
		if (f->sent % 1024 == 0)
			run_loop(f);
		assert_true(f->sent < 4 * SERIAL_TX_CAP);
	}
}

static void serial_busy_when_full_and_thri_when_drained(void **state)
{
	struct fixture f;
	size_t space;

	fx_init(&f, 4096);
	wr(serial_io, &f.s, UART_IER, UART_IER_THRI);
	assert_int_equal(rd(serial_io, &f.s, UART_IIR) & 0x0f, UART_IIR_THRI);
	assert_int_equal(f.line.level, 0);

	fill_until_busy(&f);
	/* The pipe took a page, the ring all but its slack. */
	assert_true(f.sent >= 4096 + SERIAL_TX_CAP - SERIAL_TX_SLACK);
	assert_true(f.sent <= 4096 + SERIAL_TX_CAP);
	assert_int_equal(counter_get(&f.s.tx_full), 1);
	assert_true(f.s.out_watching);		/* EPOLLOUT while held */
	/*
	 * Busy: the last write cleared the THRE interrupt and nothing set
	 * it again, nor does re-enabling THRI.
	 */
	assert_int_equal(f.line.level, 0);
	assert_int_equal(rd(serial_io, &f.s, UART_IIR) & 0x0f, UART_IIR_NO_INT);
	wr(serial_io, &f.s, UART_IER, 0);
	wr(serial_io, &f.s, UART_IER, UART_IER_THRI);
	assert_int_equal(rd(serial_io, &f.s, UART_IIR) & 0x0f, UART_IIR_NO_INT);
	assert_int_equal(f.line.level, 0);

	/* A driver that ignores THRE fills the slack, then loses bytes. */
	space = ring_space(&f.s.tx);
	assert_true(space > 0 && space < SERIAL_TX_SLACK);
	for (size_t i = 0; i < space; i++)
		wr(serial_io, &f.s, UART_THR, pat(f.sent++));
	assert_int_equal(counter_get(&f.s.tx_dropped), 0);
	for (int i = 0; i < 3; i++)
		wr(serial_io, &f.s, UART_THR, 0xee);	/* lost, not sent */
	assert_int_equal(counter_get(&f.s.tx_dropped), 3);
	assert_false(thre(&f));

	/* The stalled pipe makes the loop wait, not spin. */
	assert_int_equal(evloop_run_once(&f.loop, 0), 0);

	/* The reader takes a page: the loop refills it, still busy. */
	assert_int_equal(read_back(&f), 4096);
	run_loop(&f);
	assert_false(thre(&f));
	assert_int_equal(f.line.level, 0);
	/* Another page: twice the slack free, THRE and its interrupt. */
	assert_int_equal(read_back(&f), 4096);
	run_loop(&f);
	assert_true(ring_space(&f.s.tx) >= SERIAL_TX_RESUME);
	assert_int_equal(f.line.level, 1);
	assert_int_equal(rd(serial_io, &f.s, UART_IIR) & 0x0f, UART_IIR_THRI);
	assert_int_equal(f.line.level, 0);
	assert_true(thre(&f));

	/* Everything else arrives, in order, and the watch is dropped. */
	for (int i = 0; i < 20; i++)
		wr(serial_io, &f.s, UART_THR, pat(f.sent++));
	while (f.seen < f.sent) {
		read_back(&f);
		run_loop(&f);
	}
	read_back(&f);
	assert_int_equal(f.seen, f.sent);
	assert_int_equal(counter_get(&f.s.tx_bytes), f.sent);
	assert_int_equal(ring_len(&f.s.tx), 0);
	assert_false(f.s.out_watching);
	assert_int_equal(counter_get(&f.s.tx_dropped), 3);
	fx_fini(&f);
}

static void serial_stalled_reader_turns_lossy(void **state)
{
	struct fixture f;
	uint64_t t0;
	size_t space, dropped;

	fx_init(&f, 4096);
	f.s.tx_stall_ns = 30 * 1000000ULL;
	fill_until_busy(&f);
	assert_false(thre(&f));
	usleep(40 * 1000);
	/* Nothing taken for the stall time: ready again, and counted. */
	assert_true(thre(&f));
	assert_int_equal(counter_get(&f.s.tx_stalls), 1);
	space = ring_space(&f.s.tx);
	for (size_t i = 0; i < 2 * SERIAL_TX_SLACK; i++) {
		assert_true(thre(&f));
		wr(serial_io, &f.s, UART_THR, i < space ? pat(f.sent++) : 0xee);
	}
	assert_int_equal(counter_get(&f.s.tx_dropped), 2 * SERIAL_TX_SLACK - space);
	assert_int_equal(counter_get(&f.s.tx_stalls), 1);

	/* The reader is back: waiting for it again, nothing lost since. */
	assert_int_equal(read_back(&f), 4096);
	run_loop(&f);
	assert_false(thre(&f));

	/* Teardown with the reader stalled again: bounded, counted. */
	dropped = counter_get(&f.s.tx_dropped);
	t0 = clock_mono_ms();
	space = serial_flush(&f.s, 50, 200);
	assert_true(clock_mono_ms() - t0 < 1000);
	assert_true(space > SERIAL_TX_CAP / 2);
	assert_int_equal(counter_get(&f.s.tx_dropped), dropped + space);
	assert_int_equal(ring_len(&f.s.tx), 0);
	/* What did reach the pipe is the stream, in order. */
	read_back(&f);
	assert_int_equal(f.seen + space, f.sent);
	fx_fini(&f);
}

static void serial_flush_writes_everything_to_a_live_reader(void **state)
{
	struct fixture f;

	fx_init(&f, 4096);
	for (int i = 0; i < 10000; i++)
		wr(serial_io, &f.s, UART_THR, pat(f.sent++));
	/*
	 * No loop turn: serial_flush alone.  The pipe takes a page, then
	 * waits: a child reads it slowly meanwhile.
	 */
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		uint8_t buf[512];
		size_t seen = 0;
		ssize_t n;

		/* Only the reader's end: no write end of ours keeps it open. */
		close(f.wr);
		close(f.s.out.fd);
		fcntl(f.rd, F_SETFL, 0);
		while ((n = read(f.rd, buf, sizeof(buf))) > 0) {
			for (ssize_t i = 0; i < n; i++)
				if (buf[i] != pat(seen + (size_t)i))
					_exit(2);
			seen += (size_t)n;
			usleep(1000);
		}
		_exit(seen == 10000 ? 0 : 1);
	}
	close(f.rd);
	f.rd = -1;
	assert_int_equal(serial_flush(&f.s, 500, 5000), 0);
	assert_int_equal(counter_get(&f.s.tx_bytes), 10000);
	fx_fini(&f);
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void serial_reader_gone(void **state)
{
	struct fixture f;

	signal(SIGPIPE, SIG_IGN);
	fx_init(&f, 4096);
	/* Gone while nothing is pending: epoll says so, the loop stops. */
	close(f.rd);
	f.rd = -1;
	assert_int_equal(evloop_run_once(&f.loop, 0), 1);
	assert_false(f.s.out_polled);
	assert_true(f.s.tx_broken);
	assert_int_equal(evloop_run_once(&f.loop, 0), 0);
	/* From then on the UART is ready and its bytes are counted lost. */
	for (int i = 0; i < 5; i++) {
		assert_true(thre(&f));
		wr(serial_io, &f.s, UART_THR, 'x');
	}
	assert_int_equal(counter_get(&f.s.tx_dropped), 5);
	run_loop(&f);
	assert_int_equal(counter_get(&f.s.tx_bytes), 0);
	fx_fini(&f);

	/* Gone with bytes pending: the write says EPIPE. */
	fx_init(&f, 4096);
	wr(serial_io, &f.s, UART_THR, 'a');
	close(f.rd);
	f.rd = -1;
	run_loop(&f);
	assert_true(f.s.tx_broken);
	assert_int_equal(counter_get(&f.s.tx_dropped), 1);
	assert_int_equal(evloop_run_once(&f.loop, 0), 0);
	fx_fini(&f);
}

static void serial_to_a_regular_file(void **state)
{
	char path[] = "/tmp/vmon-serial.XXXXXX";
	int fd = mkstemp(path);
	struct evloop loop;
	struct serial s;
	char buf[16] = { 0 };

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(evloop_init(&loop), 0);
	assert_int_equal(serial_init(&s, NULL, fd, &loop), 0);
	/* epoll refuses regular files: written when the ring wakes us. */
	assert_false(s.out_polled);
	for (const char *p = "to a file"; *p; p++)
		wr(serial_io, &s, UART_THR, (uint8_t)*p);
	assert_int_equal(evloop_run_once(&loop, 100), 1);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 9);
	assert_string_equal(buf, "to a file");
	assert_int_equal(counter_get(&s.tx_bytes), 9);
	serial_destroy(&s);
	evloop_destroy(&loop);
	close(fd);
}

/* ---- a flood ------------------------------------------------------------ */

#define FLOOD_BYTES (16u << 20)

static long rss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

struct slow_reader {
	int fd;
	size_t seen;
	bool bad;
};

/* Takes a page at a time and naps every fourth: slower than the guest. */
static void *slow_reader_main(void *arg)
{
	struct slow_reader *r = arg;
	uint8_t buf[4096];
	ssize_t n;
	unsigned int reads = 0;

	while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pat(r->seen + (size_t)i))
				r->bad = true;
		r->seen += (size_t)n;
		if (++reads % 4 == 0)
			usleep(1000);
	}
	return NULL;
}

static void serial_flood_to_a_slow_reader(void **state)
{
	struct fixture f;
	struct slow_reader r = { 0 };
	pthread_t t;
	long rss0, rss1;

	fx_init(&f, 4096);
	assert_int_equal(fcntl(f.rd, F_SETFL, 0), 0);
	r.fd = f.rd;
	assert_int_equal(pthread_create(&t, NULL, slow_reader_main, &r), 0);
	rss0 = rss_kib();
	/*
	 * Linux's interrupt-driven writer: 16 bytes (the FIFO) each time
	 * THRE is set; the loop's turn while it is not.
	 */
	while (f.sent < FLOOD_BYTES) {
		if (!thre(&f)) {
			evloop_run_once(&f.loop, 10);
			continue;
		}
		for (int i = 0; i < 16; i++)
			wr(serial_io, &f.s, UART_THR, pat(f.sent++));
		if (f.sent % 4096 == 0)
			run_loop(&f);
	}
	while (ring_len(&f.s.tx))
		evloop_run_once(&f.loop, 10);
	rss1 = rss_kib();
	assert_int_equal(counter_get(&f.s.tx_bytes), FLOOD_BYTES);
	assert_int_equal(counter_get(&f.s.tx_dropped), 0);	/* back-pressure, no loss */
	assert_true(counter_get(&f.s.tx_full) > 0);		/* ... and it was needed */
	/* Every write end closed: the reader sees the end. */
	serial_destroy(&f.s);
	evloop_destroy(&f.loop);
	close(f.wr);
	pthread_join(t, NULL);
	close(f.rd);
	assert_false(r.bad);
	assert_int_equal(r.seen, FLOOD_BYTES);
	/* 16 MiB through a 64 KiB ring: memory stays where it was. */
	assert_true(rss0 > 0 && rss1 > 0);
	assert_true(rss1 - rss0 < 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ring_wraps_and_refuses),
		cmocka_unit_test(outfd_leaves_the_shared_description_alone),
		cmocka_unit_test(outfd_writes_files_as_they_are),
		cmocka_unit_test(serial_busy_when_full_and_thri_when_drained),
		cmocka_unit_test(serial_stalled_reader_turns_lossy),
		cmocka_unit_test(serial_flush_writes_everything_to_a_live_reader),
		cmocka_unit_test(serial_reader_gone),
		cmocka_unit_test(serial_to_a_regular_file),
		cmocka_unit_test(serial_flood_to_a_slow_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
