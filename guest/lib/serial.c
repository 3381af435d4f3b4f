/* SPDX-License-Identifier: MIT */
/*
 * COM1, a 16550A UART, polled (PC16550D datasheet).  Every register access
 * is a VM exit, so this does the minimum: set 115200 8N1 once, then poll
 * LSR.THRE before each byte.
 */
#include "guest.h"

#define UART_RBR 0	/* receive buffer (read) */
#define UART_THR 0	/* transmit holding (write) */
#define UART_DLL 0	/* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1	/* divisor latch high (DLAB=1) */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR   0x01	/* data ready */
#define LSR_THRE 0x20	/* transmit holding register empty */

void serial_init(void)
{
	outb(COM1_PORT + UART_IER, 0x00);
	outb(COM1_PORT + UART_LCR, 0x80);	/* DLAB */
	outb(COM1_PORT + UART_DLL, 0x01);	/* 115200 baud */
	outb(COM1_PORT + UART_DLM, 0x00);
	outb(COM1_PORT + UART_LCR, 0x03);	/* 8N1 */
	/* FCR left alone: changing FIFO enable clears the receive FIFO,
	 * losing input that arrived before boot (echo needs it). */
	outb(COM1_PORT + UART_MCR, 0x03);	/* DTR | RTS */
}

void serial_putc(char c)
{
	/* Bounded: a UART that never drains must not hang the guest. */
	for (unsigned i = 0; i < 100000; i++)
		if (inb(COM1_PORT + UART_LSR) & LSR_THRE)
			break;
	outb(COM1_PORT + UART_THR, (uint8_t)c);
}

int serial_getc(void)
{
	if (!(inb(COM1_PORT + UART_LSR) & LSR_DR))
		return -1;
	return inb(COM1_PORT + UART_RBR);
}
