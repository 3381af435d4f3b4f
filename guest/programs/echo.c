/* SPDX-License-Identifier: MIT */
/*
 * echo: interrupt-driven serial input.  COM1's received-data interrupt
 * (IER bit 0; MCR OUT2 gates the IRQ line on PC UARTs) arrives as ISA
 * IRQ4 through the IOAPIC; the handler drains the FIFO into a ring, the
 * main loop halts until there is input and prints "echo: <line>" per
 * line.  The line "quit" ends it: "echo: bye", exit 0.
 */
#include "apic.h"
#include "guest.h"

#define VECTOR_COM1	0x24
#define UART_IER	1
#define UART_MCR	4
#define UART_IIR	2

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
		printf("echo: %s\n", line);
		if (strcmp(line, "quit") == 0) {
			printf("echo: bye\n");
			return GUEST_EXIT_OK;
		}
	}
}
