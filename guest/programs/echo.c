/* SPDX-License-Identifier: MIT */
/*
 * echo: interrupt-driven serial input.  COM1's received-data interrupt
 * (IER bit 0; MCR OUT2 gates the IRQ line on PC UARTs) arrives as ISA
 * IRQ4 through the IOAPIC; the handler drains the FIFO into a ring, the
 * main loop halts until there is input and prints "echo: <line>" per
 * line.  The line "quit" ends it: "echo: bye", exit 0.
 *
 * Memory commands, for snapshot tests (the checksum is the guest's own
 * word on what its RAM holds after a restore):
 *   "fill S"   write a pattern seeded S over MEM_LEN bytes at MEM_BASE
 *   "touch S"  rewrite only the first TOUCH_PAGES pages of it with seed S
 *   "sum"      print "echo: sum XXXXXXXXXXXXXXXX" over the whole region
 *   "churn"    keep rewriting the region, 1 MiB window after window, a new
 *              seed each time, between lines of input (a guest that keeps
 *              writing memory through a migration); any line stops it
 *   "verify"   check every window holds what the last write put there
 *              (the seeds are in guest memory too): "echo: verify ok N"
 */
#include "apic.h"
#include "guest.h"

#define VECTOR_COM1	0x24
#define UART_IER	1
#define UART_MCR	4
#define UART_IIR	2

/* 16 MiB from 32 MiB: clear of the image at 1 MiB in a 64 MiB guest. */
#define MEM_BASE	0x2000000ull
#define MEM_LEN		0x1000000ull
#define TOUCH_PAGES	16

#define WINDOW		0x100000ull
#define NR_WINDOWS	(MEM_LEN / WINDOW)

static volatile uint8_t ring[256];
/* The seed each window was last written with (fill: all the same). */
static uint64_t window_seed[NR_WINDOWS];
static uint64_t churn_passes;
static bool churning;
static volatile uint8_t head, tail;	/* head: IRQ side, tail: main */

static void uart_drain(void)
{
	int c;

	while ((c = serial_getc()) >= 0)
		if ((uint8_t)(head + 1) != tail)	/* drop when full */
			ring[head++] = (uint8_t)c;
}

static void com1_irq(unsigned vector)
{
	uart_drain();			/* reading RBR clears the interrupt */
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static void fill_at(uint64_t off, uint64_t seed, uint64_t len)
{
	volatile uint64_t *p = (volatile uint64_t *)(MEM_BASE + off);

	for (uint64_t i = 0; i < len / 8; i++)
		p[i] = mix(seed * 0x9e3779b97f4a7c15ull + off / 8 + i);
}

static void fill(uint64_t seed, uint64_t len)
{
	fill_at(0, seed, len);
	/* "touch" rewrites part of window 0 only: verify fails after it. */
	for (uint64_t w = 0; w < NR_WINDOWS; w++)
		if ((w + 1) * WINDOW <= len)
			window_seed[w] = seed;
}

/* One window rewritten with a fresh seed. */
static void churn_step(void)
{
	uint64_t w = churn_passes % NR_WINDOWS, seed = 1000 + churn_passes;

	fill_at(w * WINDOW, seed, WINDOW);
	window_seed[w] = seed;
	churn_passes++;
}

/* Windows that do not hold their seed's pattern: 0 when all is well. */
static uint64_t verify(void)
{
	const volatile uint64_t *p = (const volatile uint64_t *)MEM_BASE;
	uint64_t bad = 0;

	for (uint64_t w = 0; w < NR_WINDOWS; w++)
		for (uint64_t i = w * WINDOW / 8; i < (w + 1) * WINDOW / 8; i++)
			if (p[i] != mix(window_seed[w] * 0x9e3779b97f4a7c15ull + i)) {
				bad++;
				break;
			}
	return bad;
}

static uint64_t sum(void)
{
	const volatile uint64_t *p = (const volatile uint64_t *)MEM_BASE;
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint64_t i = 0; i < MEM_LEN / 8; i++)
		h = mix(h ^ p[i]) + i;
	return h;
}

/* A memory command: true when line was one. */
static bool mem_command(const char *line)
{
	uint64_t seed = 0;
	const char *arg;

	if (!strcmp(line, "churn")) {
		churning = true;
		printf("echo: churn started\n");
		return true;
	}
	if (!strcmp(line, "verify")) {
		uint64_t bad = verify();

		if (bad)
			printf("echo: verify BAD %llu windows\n",
			       (unsigned long long)bad);
		else
			printf("echo: verify ok %llu\n",
			       (unsigned long long)churn_passes);
		return true;
	}
	if (!strcmp(line, "sum")) {
		printf("echo: sum %016llx\n", (unsigned long long)sum());
		return true;
	}
	if (!strncmp(line, "fill ", 5))
		arg = line + 5;
	else if (!strncmp(line, "touch ", 6))
		arg = line + 6;
	else
		return false;
	for (; *arg >= '0' && *arg <= '9'; arg++)
		seed = seed * 10 + (uint64_t)(*arg - '0');
	fill(seed, line[0] == 'f' ? MEM_LEN : TOUCH_PAGES * 4096);
	printf("echo: %s done\n", line);
	return true;
}

int main(void)
{
	char line[256];
	size_t len = 0;
	bool after_cr = false;

	if (!x2apic_enable()) {
		printf("echo: FAIL no x2APIC\n");
		return GUEST_EXIT_FAIL;
	}
	irq_set_handler(VECTOR_COM1, com1_irq);
	uint32_t gsi = irq_route_isa(4, VECTOR_COM1);
	outb(COM1_PORT + UART_MCR, 0x0b);	/* DTR | RTS | OUT2 */
	outb(COM1_PORT + UART_IER, 0x01);	/* received data available */
	(void)inb(COM1_PORT + UART_IIR);
	uart_drain();			/* bytes that came before the IRQ was on */
	printf("echo: ready (com1 irq 4 -> gsi %u -> vector 0x%x)\n", gsi,
	       VECTOR_COM1);

	for (;;) {
		cli();
		if (head == tail) {
			if (churning) {
				sti();
				churn_step();
				continue;
			}
			sti_hlt();
			continue;
		}
		uint8_t c = ring[tail++];
		sti();

		if (c == '\n' && after_cr) {	/* CR LF is one end of line */
			after_cr = false;
			continue;
		}
		after_cr = c == '\r';
		if (c != '\r' && c != '\n') {
			if (len < sizeof(line) - 1)
				line[len++] = (char)c;
			continue;
		}
		line[len] = '\0';
		len = 0;
		churning = false;	/* any line stops it */
		if (mem_command(line))
			continue;
		printf("echo: %s\n", line);
		if (strcmp(line, "quit") == 0) {
			printf("echo: bye\n");
			return GUEST_EXIT_OK;
		}
	}
}
