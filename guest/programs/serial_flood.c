/* SPDX-License-Identifier: MIT */
/*
 * serial_flood: floods COM1 as a driver that honours LSR would: whenever
 * THRE is set it writes "burst=B" bytes (default 16, the 16550A's FIFO,
 * what Linux writes per THRE), and while it is clear it polls, counting
 * the polls that found the transmitter busy.  It stops after "bytes=N"
 * (default 1 MiB, rounded up to whole lines), or at the end of a line
 * once a byte arrives on COM1 (LSR DR, in the same LSR reads), so a test
 * can flood for as long as it needs.  The flood is 64-byte lines
 *	"F<10-digit line number> <51 pattern characters>\n"
 * so a reader can check the order.  Before and after:
 *	serial-flood: bytes=N burst=B
 *	serial-flood: done, S bytes, W busy polls
 * (S: bytes sent) then "end=exit" (default) leaves through isa-debug-exit
 * (status 0) and "end=acpi" powers off through ACPI S5 (the API has no
 * debug-exit).  The loop runs at CPL3, or at CPL0 with "cpl=0" (cheaper
 * exits on PVM hosts, see ioloop.c).
 */
#include "guest.h"

#define COM1_THR	(COM1_PORT + 0)
#define COM1_LSR	(COM1_PORT + 5)
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define LINE_LEN	64
#define PM1A_CNT	0x604
#define SLP_TYP_S5	(5u << 10)
#define SLP_EN		(1u << 13)

struct flood {
	uint64_t bytes, burst, sent, busy_polls;
};

/* Line n: its number in decimal, then a pattern that shifts with n. */
static void make_line(char *l, uint64_t n)
{
	l[0] = 'F';
	for (int i = 10; i >= 1; i--, n /= 10)
		l[i] = (char)('0' + n % 10);
	l[11] = ' ';
	for (int i = 12; i < LINE_LEN - 1; i++)
		l[i] = (char)('a' + (l[10] - '0' + i) % 26);
	l[LINE_LEN - 1] = '\n';
}

static long flood(void *arg)
{
	struct flood *f = arg;
	char line[LINE_LEN];
	uint64_t n = 0;
	unsigned int pos = LINE_LEN;
	bool stop = false;

	while (f->sent < f->bytes) {
		uint8_t lsr = inb(COM1_LSR);

		stop |= lsr & LSR_DR;
		if (!(lsr & LSR_THRE)) {
			f->busy_polls++;
			continue;
		}
		for (uint64_t b = 0; b < f->burst && f->sent < f->bytes; b++) {
			if (pos == LINE_LEN) {
				if (stop)
					return 0;
				make_line(line, n++);
				pos = 0;
			}
			outb(COM1_THR, (uint8_t)line[pos++]);
			f->sent++;
		}
	}
	return 0;
}

int main(void)
{
	struct flood f = {
		.bytes = cmdline_u64("bytes", 1 << 20),
		.burst = cmdline_u64("burst", 16),
	};
	char end[8] = "exit";

	cmdline_get("end", end, sizeof(end));
	f.bytes = (f.bytes + LINE_LEN - 1) / LINE_LEN * LINE_LEN;
	if (f.burst < 1 || f.burst > 4096)
		f.burst = 16;
	printf("serial-flood: bytes=%llu burst=%llu\n",
	       (unsigned long long)f.bytes, (unsigned long long)f.burst);
	if (cmdline_u64("cpl", 3) == 0)
		flood(&f);
	else
		run_user(flood, &f);
	printf("serial-flood: done, %llu bytes, %llu busy polls\n",
	       (unsigned long long)f.sent, (unsigned long long)f.busy_polls);
	if (!strcmp(end, "acpi"))
		outw(PM1A_CNT, SLP_TYP_S5 | SLP_EN);
	return GUEST_EXIT_OK;
}
