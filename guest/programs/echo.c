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

static volatile uint8_t ring[256];
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

static void fill(uint64_t seed, uint64_t len)
{
	volatile uint64_t *p = (volatile uint64_t *)MEM_BASE;

	for (uint64_t i = 0; i < len / 8; i++)
		p[i] = mix(seed * 0x9e3779b97f4a7c15ull + i);
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
		if (mem_command(line))
			continue;
		printf("echo: %s\n", line);
		if (strcmp(line, "quit") == 0) {
			printf("echo: bye\n");
			return GUEST_EXIT_OK;
		}
	}
}
